"""A tiny T5-style SentencePiece tokenizer: training, the Hugging Face files, reference ids.

T5's conventions (google/t5-v1_1-xxl, which SD3's ``tokenizer_3`` and FLUX.1's ``tokenizer_2``
are): a unigram model, ``<pad>`` = 0, ``</s>`` = 1, ``<unk>`` = 2, no BOS, byte fallback off,
``nmt_nfkc`` normalisation, a dummy ``▁`` prefix and collapsed whitespace; the Hugging Face side
adds 100 ``<extra_id_N>`` tokens after the pieces (``<extra_id_0>`` last) and appends ``</s>``.

``tokenizer.json`` is written by hand from the model's pieces and scores in the layout that
T5's published file has (tokenizers < 0.14 serialisation: ``Metaspace`` with
``add_prefix_space: true``, which current tokenizers reads as ``prepend_scheme: always``).
Sources: scripts/models/sd3_flux_exports_notes.md.
"""

import base64
import io
import json
import os
import random
import shutil

EXTRA_IDS = 100
PAD, EOS, UNK = 0, 1, 2

_COLOURS = ["red", "green", "blue", "yellow", "orange", "purple", "pink", "brown", "black", "white", "grey",
            "golden", "silver", "teal", "crimson", "violet", "beige", "navy", "olive", "amber"]
_THINGS = ["cat", "dog", "horse", "bird", "fish", "car", "house", "tree", "flower", "mountain", "river", "boat",
           "castle", "robot", "astronaut", "dragon", "city", "street", "forest", "lake", "bridge", "sign", "book",
           "cup", "chair", "table", "window", "door", "lamp", "clock", "apple", "banana", "bicycle", "train",
           "airplane", "garden", "beach", "desert", "island", "village", "tower", "cloud", "moon", "sun", "star",
           "circle", "square", "triangle", "poster", "banner", "shop", "cafe", "bakery", "library", "portrait",
           "painting", "photograph", "sculpture", "letter", "word", "text", "label", "logo", "kitten", "puppy",
           "owl", "fox", "wolf", "bear", "rabbit", "turtle", "whale", "butterfly", "bee", "rose", "tulip", "cake"]
_ADJECTIVES = ["small", "large", "tiny", "huge", "old", "new", "bright", "dark", "shiny", "soft", "wooden",
               "glass", "metal", "ancient", "modern", "cozy", "quiet", "busy", "snowy", "rainy", "sunny", "foggy",
               "happy", "sleepy", "curious", "elegant", "simple", "detailed", "colorful", "minimal", "vintage",
               "futuristic", "realistic", "cinematic", "beautiful", "strange", "friendly", "fluffy", "striped"]
_VERBS = ["sitting on", "standing next to", "flying over", "riding", "holding", "looking at", "walking through",
          "sleeping under", "jumping over", "painted on", "floating above", "hiding behind", "reading",
          "drinking from", "resting beside", "running across", "carrying"]
_SCENES = ["at sunset", "at night", "in the morning", "in winter", "in the rain", "on mars", "in a studio",
           "under the stars", "by the sea", "in the mountains", "in a busy market", "on a table",
           "in watercolor style", "as an oil painting", "in high detail", "with soft lighting",
           "with dramatic shadows", "on a white background", "on a blue background", "in the style of a poster"]
_WORDS = ("a about above across after again against along also always among an ancient and another around as at away "
          "back because before behind below beneath beside between beyond both bright but by calm careful carved "
          "center child children clear close cold corner covered crowded crystal deep delicate distant does down "
          "during each early edge empty evening every everything far fast few field filled final first floor for "
          "from front full gentle glowing great green ground growing half hanging heavy her high his hundred "
          "inside into its just kind last late left light little long low many middle mirror more most much "
          "narrow near never next night nine none north number of off often on once one only open other our out "
          "outside over painted pale people perfect place plain quick rather ready really right rough round "
          "second seven several shadow sharp short should side since single six slow smooth some south spring "
          "still stone summer surface tall ten than that the their them then there these they thick thin this "
          "those three through together top toward twelve twenty two under until upon very wall warm water wave "
          "west where which while whole wide wild will with within without woman man women men world writing "
          "yard year young zero painter writer farmer sailor dancer singer teacher doctor baker knight queen king "
          "princess wizard monster giant pirate ninja soldier cowboy musician scientist student festival parade "
          "concert market harbor station airport stadium museum temple church palace cottage cabin tent canyon "
          "valley glacier volcano jungle meadow orchard vineyard waterfall lighthouse windmill skyscraper alley "
          "umbrella lantern candle balloon kite guitar piano violin trumpet drum camera telescope compass helmet "
          "crown sword shield ring necklace bottle basket bucket blanket pillow carpet curtain ladder rope "
          "wheel").split()
_SIGNS = ["OPEN", "SALE", "HELLO", "WELCOME", "COFFEE", "EXIT", "STOP", "BOOKS", "FRESH BREAD", "NO PARKING"]


def corpus(seed=20240901, sentences=4000):
    """A fixed English prompt corpus: caption-like sentences with quoted sign texts, numbers and
    punctuation. Deterministic for a given seed."""
    rng = random.Random(seed)
    out = []
    for _ in range(sentences):
        kind = rng.randrange(6)
        a, b = rng.choice(_THINGS), rng.choice(_THINGS)
        adj, col = rng.choice(_ADJECTIVES), rng.choice(_COLOURS)
        if kind == 0:
            s = "a %s %s %s %s a %s %s" % (adj, col, a, rng.choice(_VERBS), b, rng.choice(_SCENES))
        elif kind == 1:
            s = "A %s with a sign that says \"%s\", %s." % (a, rng.choice(_SIGNS), rng.choice(_SCENES))
        elif kind == 2:
            s = "%d %s %ss and %d %s %ss, %s" % (rng.randrange(2, 13), col, a, rng.randrange(2, 13),
                                                  rng.choice(_COLOURS), b, rng.choice(_SCENES))
        elif kind == 3:
            s = "The %s %s is %s the %s; it is %d:%02d and %d%% of the %s is %s!" % (
                adj, a, rng.choice(_VERBS), b, rng.randrange(1, 13), rng.randrange(60), rng.randrange(101),
                rng.choice(_THINGS), rng.choice(_COLOURS))
        elif kind == 4:
            s = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(6, 14))).capitalize() + "."
        else:
            s = "%s (%s), %s - %s photo, %dx%d, %s?" % (
                a.capitalize(), col, adj, rng.choice(_ADJECTIVES), rng.choice([512, 768, 1024]),
                rng.choice([512, 768, 1024]), rng.choice(_SCENES))
        out.append(s)
    return out


def train(spiece_path, vocab_size=1000, seed=20240901):
    """Train the unigram model from the corpus in memory (one thread, no file paths recorded in the
    model's trainer_spec: the same model bytes on every run) and save it as ``spiece_path``."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus(seed)), model_writer=model, model_type="unigram", vocab_size=vocab_size,
        pad_id=PAD, eos_id=EOS, unk_id=UNK, bos_id=-1, byte_fallback=False, character_coverage=1.0,
        normalization_rule_name="nmt_nfkc", add_dummy_prefix=True, remove_extra_whitespaces=True,
        split_digits=False, num_threads=1, shuffle_input_sentence=False, minloglevel=2)
    os.makedirs(os.path.dirname(spiece_path), exist_ok=True)
    with open(spiece_path, "wb") as f:
        f.write(model.getvalue())


class T5Spm:
    """The trained model seen as T5Tokenizer(Fast) sees it."""

    def __init__(self, spiece_path):
        import sentencepiece as spm

        self.path = spiece_path
        self.sp = spm.SentencePieceProcessor(model_file=spiece_path)
        self.pieces = [(self.sp.id_to_piece(i), float(self.sp.get_score(i))) for i in range(self.sp.get_piece_size())]
        assert self.pieces[PAD][0] == "<pad>" and self.pieces[EOS][0] == "</s>" and self.pieces[UNK][0] == "<unk>"
        self.vocab_size = len(self.pieces) + EXTRA_IDS  # T5Tokenizer.vocab_size

    def ids(self, text):
        """EncodeAsIds + EOS, unpadded (T5TokenizerFast(text).input_ids)."""
        return list(self.sp.encode_as_ids(text)) + [EOS]

    def padded(self, text, max_length):
        """tokenizer(text, padding="max_length", max_length=n, truncation=True).input_ids: the
        pieces cut to n - 1, then EOS, then PAD."""
        ids = list(self.sp.encode_as_ids(text))[:max_length - 1] + [EOS]
        return ids + [PAD] * (max_length - len(ids))

    def extra_id(self, n):
        return len(self.pieces) + EXTRA_IDS - 1 - n

    def charsmap(self):
        """normalizer_spec.precompiled_charsmap of the model proto, read with a minimal protobuf walk
        (ModelProto field 3 = NormalizerSpec, its field 2 = precompiled_charsmap)."""
        with open(self.path, "rb") as f:
            data = f.read()
        spec = _field(data, 3)
        return _field(spec, 2) or b""

    def tokenizer_json(self):
        vocab = [[p, s] for p, s in self.pieces]
        vocab += [["<extra_id_%d>" % n, 0.0] for n in reversed(range(EXTRA_IDS))]
        added = [_added(PAD, "<pad>"), _added(EOS, "</s>"), _added(UNK, "<unk>")]
        added += [_added(self.extra_id(n), "<extra_id_%d>" % n) for n in reversed(range(EXTRA_IDS))]
        seq_a = {"Sequence": {"id": "A", "type_id": 0}}
        seq_b = {"Sequence": {"id": "B", "type_id": 0}}
        eos = {"SpecialToken": {"id": "</s>", "type_id": 0}}
        metaspace = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": {"type": "Precompiled",
                           "precompiled_charsmap": base64.b64encode(self.charsmap()).decode("ascii")},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, metaspace]},
            "post_processor": {"type": "TemplateProcessing", "single": [seq_a, eos], "pair": [seq_a, eos, seq_b, eos],
                               "special_tokens": {"</s>": {"id": "</s>", "ids": [EOS], "tokens": ["</s>"]}}},
            "decoder": dict(metaspace),
            "model": {"type": "Unigram", "unk_id": UNK, "vocab": vocab},
        }

    def tokenizer_config(self, max_length=512):
        """tokenizer_config.json with the keys of the published T5 tokenizer_3 / tokenizer_2
        (transformers 4.4x save: added_tokens_decoder, extra_ids, legacy)."""
        decoder = {str(PAD): _decoder("<pad>"), str(EOS): _decoder("</s>"), str(UNK): _decoder("<unk>")}
        for n in reversed(range(EXTRA_IDS)):
            decoder[str(self.extra_id(n))] = _decoder("<extra_id_%d>" % n)
        return {
            "add_prefix_space": True,
            "added_tokens_decoder": decoder,
            "additional_special_tokens": ["<extra_id_%d>" % n for n in range(EXTRA_IDS)],
            "clean_up_tokenization_spaces": True,
            "eos_token": "</s>",
            "extra_ids": EXTRA_IDS,
            "legacy": True,
            "model_max_length": max_length,
            "pad_token": "<pad>",
            "sp_model_kwargs": {},
            "tokenizer_class": "T5Tokenizer",
            "unk_token": "<unk>",
        }

    @staticmethod
    def special_tokens_map():
        def tok(content):
            return {"content": content, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False}
        return {
            "additional_special_tokens": ["<extra_id_%d>" % n for n in range(EXTRA_IDS)],
            "eos_token": tok("</s>"),
            "pad_token": tok("<pad>"),
            "unk_token": tok("<unk>"),
        }

    def write(self, folder, max_length=512):
        """spiece.model, tokenizer.json, tokenizer_config.json, special_tokens_map.json."""
        os.makedirs(folder, exist_ok=True)
        shutil.copyfile(self.path, os.path.join(folder, "spiece.model"))
        with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8", newline="\n") as f:
            f.write(json.dumps(self.tokenizer_json(), ensure_ascii=False, separators=(",", ":")))
        for name, doc in (("tokenizer_config.json", self.tokenizer_config(max_length)),
                          ("special_tokens_map.json", self.special_tokens_map())):
            with open(os.path.join(folder, name), "w", encoding="utf-8", newline="\n") as f:
                f.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


CASES = [
    ("plain", "a photo of a cat"),
    ("mixed case and punctuation", "A RED circle, on a blue background!"),
    ("quotes, numbers, times", "A shop with a sign that says \"OPEN 24/7\", it is 9:30 and 100% fresh."),
    ("extra spaces and a tab", "  two   small\tcats   on a  table  "),
    ("out-of-vocabulary word", "a zyxwvut qwertyplox creature"),
    ("character outside the corpus", "a na\u00efve caf\u00e9 on mars"),
    ("NFKC: full-width letters and a ligature", "\uff21\uff22\uff23 \ufb01ne \u2460"),
    ("Chinese (unknown)", "\u4e00\u53ea\u732b\u5750\u5728\u6905\u5b50\u4e0a"),
    ("Chinese inside English", "a sign that says \u201c\u4f60\u597d\u201d in red"),
    ("empty", ""),
    ("longer than the fixtures' 32 tokens",
     "a small green robot riding a large brown horse through a snowy forest at night, cinematic, "
     "in high detail, with dramatic shadows, as an oil painting"),
]


def golden_cases(tok):
    return [{"name": name, "text": text, "ids": tok.ids(text)} for name, text in CASES]


def _added(i, content):
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


def _decoder(content):
    return {"content": content, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
            "special": True}


def _varint(data, i):
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def _field(data, number):
    """The first length-delimited field ``number`` of a serialized protobuf message, or None."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, i = _varint(data, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            size, i = _varint(data, i)
            if field == number:
                return data[i:i + size]
            i += size
        else:
            raise ValueError("unsupported wire type %d" % wire)
    return None
