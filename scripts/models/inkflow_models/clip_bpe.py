"""CLIP byte-level BPE: the vocabulary, Hugging Face's vocab.json/merges.txt layout, and an encoder.

Built from OpenAI's merges file (testdata/reference/clip/bpe_simple_vocab_16e6.txt.gz) the way
clip/simple_tokenizer.py and transformers' CLIPTokenizer do it:

* vocabulary: the 256 byte-level characters, the same 256 with ``</w>``, the merged pairs of lines
  1..48894 of the merges file (line 0 is the ``#version`` header), then ``<|startoftext|>`` and
  ``<|endoftext|>``: 49408 entries, SOT = 49406, EOT = 49407;
* encode: html-unescape twice, strip, collapse whitespace, lowercase, split with CLIP's regex, map
  each UTF-8 byte through ``bytes_to_unicode`` and merge by rank with ``</w>`` on the last symbol.

``ftfy.fix_text`` is not applied (Debian has no ftfy); it changes none of the texts used here.
"""

import gzip
import html
import json

import regex

SOT = "<|startoftext|>"
EOT = "<|endoftext|>"
CONTEXT_LENGTH = 77
MERGE_COUNT = 49152 - 256 - 2  # lines 1..48894 of the merges file

PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE)


def bytes_to_unicode():
    """The byte -> printable character table shared by GPT-2 and CLIP."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


class ClipBpe:
    def __init__(self, merges_gz):
        with gzip.open(merges_gz, "rt", encoding="utf-8") as f:
            lines = f.read().split("\n")
        self.header = lines[0]
        self.merges = [tuple(line.split()) for line in lines[1:MERGE_COUNT + 1]]
        assert len(self.merges) == MERGE_COUNT
        self.byte_encoder = bytes_to_unicode()
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab]
        vocab.extend("".join(m) for m in self.merges)
        vocab.extend([SOT, EOT])
        self.encoder = {token: i for i, token in enumerate(vocab)}
        assert len(self.encoder) == 49408
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        self.sot = self.encoder[SOT]
        self.eot = self.encoder[EOT]
        self.cache = {}

    def _bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = [(word[i], word[i + 1]) for i in range(len(word) - 1)]
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self.cache[token] = word
        return word

    def bpe_ids(self, text):
        text = html.unescape(html.unescape(text)).strip()
        text = regex.sub(r"\s+", " ", text).strip().lower()
        ids = []
        for piece in PATTERN.findall(text):
            piece = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self._bpe(piece))
        return ids

    def ids77(self, text, pad_id):
        """[SOT] + ids + [EOT], truncated to 77 with EOT kept last, padded with ``pad_id``."""
        ids = [self.sot] + self.bpe_ids(text)[:CONTEXT_LENGTH - 2] + [self.eot]
        return ids + [pad_id] * (CONTEXT_LENGTH - len(ids))

    def write_vocab(self, path):
        """vocab.json as transformers' CLIPTokenizer.save_vocabulary writes it."""
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(json.dumps(self.encoder, indent=2, sort_keys=True, ensure_ascii=False) + "\n")

    def write_merges(self, path):
        """merges.txt as CLIPTokenizer.save_vocabulary writes it: the version line, then one merge a
        line in rank order."""
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write("#version: 0.2\n")
            for pair in self.merges:
                f.write(" ".join(pair) + "\n")


def check_cases(bpe, cases_json):
    """Assert that every id of testdata/reference/clip/tokenizer-cases.json is reproduced."""
    with open(cases_json, encoding="utf-8") as f:
        cases = json.load(f)
    for case in cases["cases"]:
        assert bpe.bpe_ids(case["text"]) == case["bpe_ids"], case["text"]
        assert bpe.ids77(case["text"], 0) == case["ctx77_pad0_openai_clip_tokenize"], case["text"]
        assert bpe.ids77(case["text"], bpe.eot) == case["ctx77_pad49407_hf_sd15"], case["text"]
    return len(cases["cases"])
