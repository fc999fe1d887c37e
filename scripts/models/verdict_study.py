"""Shared pieces of the bad-case verdict study (``scripts/eval/verdicts``) and of the reward pack's
verdict fine-tuning (``sharpen_reward.py``): the image sets the mini generator draws, the Java side that
draws and scores them, the checker's labels, Wilson intervals.

Images are drawn by the Java pipeline from the committed ``mini-mmdit-flow`` pack (the worker's code
path) and scored by the Java ``RewardModel`` with the scoring stream's ``RewardPolicy``
(``io.inkflow.bench.verdict.VerdictStudy``). The rule-based checker (``synthetic_data.check``) only
labels images here in Python; nothing on the Java scoring path sees it.

Sets (scene seed, draw seeds, which (colour, shape) pairs):

* ``train``: training scenes (held-out pairs excluded), for fine-tuning the reward heads;
* ``val``: training scenes with their own seeds, for choosing the pack's thresholds;
* ``test``: evaluation scenes, half with a held-out (colour, shape) pair and half without, captions
  that occur in neither ``train`` nor ``val`` (the study reports the verdict on these only).
"""

import json
import math
import os
import random
import subprocess
import sys
import unicodedata

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import synthetic_data as sd  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
GENERATOR_PACK = os.path.join(REPO, "infra", "models", "mini-mmdit-flow")
REWARD_PACK = os.path.join(REPO, "infra", "models", "mini-reward")
STEPS, GUIDANCE = 16, 4.0  # the generator pack's defaults

SETS = {
    # name: (scene seed, first draw seed, default size)
    "train": (31000, 31_000_000, 1200),
    "val": (32000, 32_000_000, 400),
    "test": (33000, 33_000_000, 800),
}


def as_scored(prompt):
    """The prompt as the scoring stream sees it (the PE stream NFKC-normalises prompts)."""
    return unicodedata.normalize("NFKC", prompt)


def requests(name, n=None):
    """The set's requests, in order: dicts with id, scene, lang, prompt (as drawn), glyphs, size, seed."""
    scene_seed, draw_seed, default_n = SETS[name]
    n = default_n if n is None else n
    rng = random.Random(scene_seed)
    seen = set()
    if name == "test":  # captions of the other sets are not test prompts
        seen = {r["prompt"] for other in ("train", "val") for r in requests(other)}
    out = []
    i = 0
    while len(out) < n:
        held = "only" if (name == "test" and len(out) % 2) else "exclude"
        scene = sd.sample_scene(rng, held_out=held)
        lang = rng.choice(["en", "zh"])
        prompt = sd.caption(scene, lang, rng.randrange(6))
        i += 1
        if prompt in seen:
            continue
        out.append({"id": "%s-%04d" % (name, len(out)), "scene": scene, "lang": lang, "prompt": prompt,
                    "glyphs": [scene["text"]] if scene["text"] else [], "width": scene["width"],
                    "height": scene["height"], "steps": STEPS, "guidance": GUIDANCE, "seed": draw_seed + len(out),
                    "held_out_pair": held == "only"})
    return out


def java(mode, pack, rows, images, out=None):
    """Runs ``VerdictStudy`` (bench module) in ``mode`` draw or score over ``rows``."""
    os.makedirs(images, exist_ok=True)
    listing = os.path.join(images, "%s-input.jsonl" % mode)
    with open(listing, "w", encoding="utf-8") as f:
        for r in rows:
            row = {k: r[k] for k in ("id", "prompt", "glyphs", "width", "height", "steps", "guidance", "seed")}
            if mode == "score":
                row["prompt"] = as_scored(r["prompt"])
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    cp_file = os.path.join(REPO, "bench", "target", "classpath.txt")
    if not os.path.exists(cp_file):
        raise SystemExit("build inkflow first (mvn install -DskipTests): %s is missing" % cp_file)
    with open(cp_file, encoding="utf-8") as f:
        cp = os.path.join(REPO, "bench", "target", "classes") + ":" + f.read().strip()
    cmd = ["java", "-Xmx1g", "-XX:+UseSerialGC", "-cp", cp, "io.inkflow.bench.verdict.VerdictStudy", mode,
           "--pack", pack, "--input", listing, "--images", images]
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        cmd += ["--out", out]
    if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode != 0:
        raise SystemExit("VerdictStudy %s failed (its error is above)" % mode)
    if out:
        with open(out, encoding="utf-8") as f:
            return {s["id"]: s for s in (json.loads(line) for line in f if line.strip())}
    return None


def load_image(images, rid):
    from PIL import Image
    with Image.open(os.path.join(images, rid + ".png")) as im:
        return np.asarray(im.convert("RGB"))


def checker_label(arr, scene):
    """The checker's report and verdict: wrong when any attribute (object colour, shape, position,
    background, text) is not what the scene asked (``attributes_right``'s "everything")."""
    report = sd.check(arr, scene)
    return report, not sd.attributes_right(scene, report)[1]


def report_labels(scene, report):
    """Alignment-slot labels (``synthetic_data.SLOTS``) of what the checker read, or None when it found
    no object where one was asked: the image side learns to read generated images as the checker does."""
    objs = report["objects"]
    if any(o is None for o in objs):
        return None
    two = len(objs) == 2
    layout = 3 if two else list(sd.POSITIONS).index(objs[0]["pos"])
    text = report["text"] if scene["text"] else ""
    return [
        sd.COLOURS.index(report["bg"]),
        layout,
        sd.COLOURS.index(objs[0]["colour"]),
        sd.SHAPE_NAMES.index(objs[0]["shape"]),
        sd.COLOURS.index(objs[1]["colour"]) if two else len(sd.COLOURS),
        sd.SHAPE_NAMES.index(objs[1]["shape"]) if two else len(sd.SHAPE_NAMES),
        sd.TEXTS.index(text) if text else len(sd.TEXTS),
    ]


def wilson(k, n, z=1.959964):
    """Wilson score interval of k successes in n trials (95% by default)."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))
