// The console's only script (inline scripts are refused by the pages' Content-Security-Policy).
(function () {
  'use strict';
  function csrf() {
    var m = document.querySelector('meta[name="csrf"]');
    return m ? m.getAttribute('content') : '';
  }

  // Batch page: poll the progress until the batch is complete.
  function watchProgress(section) {
    var url = section.getAttribute('data-progress-url');
    function tick() {
      fetch(url, { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (p) {
        document.getElementById('bar').value = p.percent;
        document.getElementById('done').textContent = p.done;
        document.getElementById('expected').textContent = p.expected == null ? '?' : p.expected;
        document.getElementById('state').textContent = p.complete ? 'complete' : 'running';
        var counts = document.getElementById('counts');
        counts.textContent = Object.keys(p.counts).map(function (k) { return k + ' ' + p.counts[k]; }).join(' ');
        if (!p.complete) { setTimeout(tick, 1000); }
      }).catch(function () { setTimeout(tick, 3000); });
    }
    tick();
  }

  // Upload page: post the file's bytes to the API's own batch path, then open the batch.
  function upload(form) {
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var file = document.getElementById('file').files[0];
      var out = document.getElementById('upload-result');
      if (!file) { return; }
      var jsonl = /\.(jsonl|ndjson)$/i.test(file.name);
      fetch('/console/upload', {
        method: 'POST', credentials: 'same-origin', body: file,
        headers: { 'Content-Type': jsonl ? 'application/x-ndjson' : 'text/csv', 'X-CSRF-Token': csrf() }
      }).then(function (r) {
        return r.json().then(function (body) {
          if (r.ok && body.batchId) {
            window.location = '/console/batches/' + encodeURIComponent(body.batchId);
          } else {
            out.textContent = JSON.stringify(body, null, 2);
          }
        });
      }).catch(function (err) { out.textContent = String(err); });
    });
  }

  // Labelling page: two images, keys 1 / 2 / 0 / s, the next pair at once.
  function label(section) {
    var current = null;
    var shownAt = 0;
    var busy = false;
    var answered = 0;
    var status = document.getElementById('label-status');
    function show(p) {
      current = p.done ? null : p;
      busy = false;
      if (!current) {
        section.setAttribute('data-state', 'done');
        status.textContent = 'No pair waits for you now.';
        return;
      }
      document.getElementById('pair-prompt').textContent = p.prompt;
      document.getElementById('pair-rewritten').textContent = p.rewritten || '';
      document.getElementById('left').src = p.left;
      document.getElementById('right').src = p.right;
      current.labelId = (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
        : String(Date.now()) + '-' + Math.floor(Math.random() * 1e9);
      shownAt = performance.now();
      section.setAttribute('data-pair-id', p.pairId);
      section.setAttribute('data-state', 'ready');
      status.textContent = '';
    }
    function failed(err) { busy = false; status.textContent = 'Not saved: ' + err; }
    fetch('/console/label/next', { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(show).catch(failed);
    document.addEventListener('keydown', function (e) {
      var key = e.key === 'S' ? 's' : e.key;
      if (!current || busy || ['1', '2', '0', 's'].indexOf(key) < 0) { return; }
      busy = true;
      section.setAttribute('data-state', 'saving');
      fetch('/console/label', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
        body: JSON.stringify({ labelId: current.labelId, pairId: current.pairId, swapped: current.swapped, key: key,
          timeTakenMs: Math.round(performance.now() - shownAt) })
      }).then(function (r) {
        if (!r.ok) { return r.text().then(function (t) { throw new Error(r.status + ' ' + t); }); }
        answered += 1;
        document.getElementById('answered').textContent = answered;
        return r.json().then(show);
      }).catch(failed);
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var progress = document.getElementById('progress');
    if (progress) { watchProgress(progress); }
    var form = document.getElementById('upload');
    if (form) { upload(form); }
    var pair = document.getElementById('pair');
    if (pair) { label(pair); }
    document.querySelectorAll('.shown-at').forEach(function (i) { i.value = String(Date.now()); });
  });
})();
