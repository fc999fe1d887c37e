"""Synthetic bilingual scenes for the mini packs: what is drawn, its captions, and a rule-based checker.

A scene is a background colour, one or two flat shapes (a colour and a position each) and, optionally,
a short text drawn in a band along the bottom edge. Every scene has an English and a Chinese caption
that say exactly what is drawn, in a few phrasings each. Some (colour, shape) pairs are held out of
training (``HELD_OUT``) to test generalisation.

The checker (``check``) reads an image directly, with no learning: background from the border, object
masks by colour distance, colour by nearest palette entry, shape by template matching against the
generator's own shape drawings, position from the centroid, and the text band by template matching
against the candidate texts. ``scripts/models/evaluate`` validates it against the generator's ground
truth before trusting it.

Text is drawn with WenQuanYi Zen Hei (Debian ``fonts-wqy-zenhei``), which covers Latin and CJK;
``INKFLOW_FONT`` names the file where it is not at the Debian path.
"""

import os
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_PATH = os.environ.get("INKFLOW_FONT", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

# name -> (RGB, Chinese name)
PALETTE = {
    "red": ((220, 30, 30), "红色"),
    "orange": ((245, 140, 20), "橙色"),
    "yellow": ((245, 220, 30), "黄色"),
    "green": ((40, 170, 60), "绿色"),
    "blue": ((30, 70, 220), "蓝色"),
    "purple": ((140, 50, 190), "紫色"),
    "pink": ((245, 130, 190), "粉色"),
    "white": ((245, 245, 245), "白色"),
    "black": ((20, 20, 20), "黑色"),
}
COLOURS = list(PALETTE)
SHAPES = {"circle": "圆形", "square": "方形", "triangle": "三角形", "diamond": "菱形", "ring": "圆环"}
SHAPE_NAMES = list(SHAPES)
POSITIONS = {"left": "左边", "center": "中间", "right": "右边"}
TEXTS = ["SALE", "NEW", "OFF", "50%", "福", "春", "中秋", "新"]
HELD_OUT = {("green", "triangle"), ("purple", "circle"), ("yellow", "square"), ("pink", "diamond"),
            ("blue", "ring")}
BUCKETS = [(48, 48), (64, 48), (48, 64)]  # (width, height)
BUCKET_WEIGHTS = [0.5, 0.25, 0.25]
TEXT_BAND = 16  # px at the bottom edge when the scene has text
FG_DISTANCE = 60.0

_FONTS = {}


def font(size):
    if size not in _FONTS:
        _FONTS[size] = ImageFont.truetype(FONT_PATH, size)
    return _FONTS[size]


def text_colour(bg):
    r, g, b = PALETTE[bg][0]
    return (15, 15, 15) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (250, 250, 250)


# ------------------------------------------------------------------------------------- scenes

def sample_scene(rng, bucket=None, text_prob=0.35, two_prob=0.3, held_out="exclude"):
    """A random scene. ``held_out``: "exclude" (training), "only" (every scene has a held-out pair)."""
    if bucket is None:
        bucket = rng.choices(BUCKETS, BUCKET_WEIGHTS)[0]
    width, height = bucket
    while True:
        two = rng.random() < two_prob
        bg = rng.choice(COLOURS)
        n = 2 if two else 1
        objects = []
        for i in range(n):
            colour = rng.choice([c for c in COLOURS if c != bg])
            shape = rng.choice(SHAPE_NAMES)
            pos = ("left", "right")[i] if two else rng.choice(list(POSITIONS))
            objects.append({"colour": colour, "shape": shape, "pos": pos})
        pairs = [(o["colour"], o["shape"]) for o in objects]
        if held_out == "exclude" and any(p in HELD_OUT for p in pairs):
            continue
        if held_out == "only" and not any(p in HELD_OUT for p in pairs):
            continue
        if two and pairs[0] == pairs[1]:
            continue
        break
    text = rng.choice(TEXTS) if rng.random() < text_prob else None
    scene = {"width": width, "height": height, "bg": bg, "objects": objects, "text": text}
    _layout(scene, rng)
    return scene


def _layout(scene, rng):
    """Object boxes: each object in its third (single) or half (two) of the region above the text."""
    w, h = scene["width"], scene["height"]
    region_h = h - (TEXT_BAND if scene["text"] else 0)
    two = len(scene["objects"]) == 2
    base = min(region_h, w / 2.0) * 0.8
    for o in scene["objects"]:
        size = int(round(base * rng.uniform(0.8, 1.0)))
        cx = {"left": w * 0.25, "center": w * 0.5, "right": w * 0.75}[o["pos"]]
        cy = region_h / 2.0
        cx += rng.uniform(-2, 2)
        cy += rng.uniform(-2, 2)
        x0 = int(round(cx - size / 2.0))
        y0 = int(round(cy - size / 2.0))
        x0 = max(0, min(w - size, x0))
        y0 = max(0, min(region_h - size, y0))
        o["box"] = [x0, y0, x0 + size - 1, y0 + size - 1]
    del two


def draw_shape(draw, shape, box, fill):
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    if shape == "circle":
        draw.ellipse(box, fill=fill)
    elif shape == "square":
        draw.rectangle(box, fill=fill)
    elif shape == "triangle":
        draw.polygon([(cx, y0), (x1, y1), (x0, y1)], fill=fill)
    elif shape == "diamond":
        draw.polygon([(cx, y0), (x1, cy), (cx, y1), (x0, cy)], fill=fill)
    elif shape == "ring":
        draw.ellipse(box, fill=fill)
        t = max(3, (x1 - x0 + 1) // 4)
        inner = [x0 + t, y0 + t, x1 - t, y1 - t]
        draw.ellipse(inner, fill=(0, 0, 0, 0))
    else:
        raise ValueError(shape)


def shape_mask(shape, box, width, height):
    """Boolean mask of a shape drawn in ``box`` on a ``width`` x ``height`` canvas."""
    img = Image.new("L", (width, height), 0)
    d = ImageDraw.Draw(img)
    if shape == "ring":
        x0, y0, x1, y1 = box
        d.ellipse(box, fill=255)
        t = max(3, (x1 - x0 + 1) // 4)
        d.ellipse([x0 + t, y0 + t, x1 - t, y1 - t], fill=0)
    else:
        draw_shape(d, shape, box, 255)
    return np.asarray(img) > 127


def text_layer(text, width, height):
    """Boolean mask of ``text`` drawn centred in the bottom band (no anti-aliasing)."""
    size = 14
    while size > 7:
        f = font(size)
        left, top, right, bottom = f.getbbox(text)
        if right - left <= width - 2 and bottom - top <= TEXT_BAND - 2:
            break
        size -= 1
    f = font(size)
    left, top, right, bottom = f.getbbox(text)
    img = Image.new("L", (width, height), 0)
    d = ImageDraw.Draw(img)
    d.fontmode = "1"
    x = (width - (right - left)) / 2.0 - left
    y = height - TEXT_BAND + (TEXT_BAND - (bottom - top)) / 2.0 - top
    d.text((x, y), text, font=f, fill=255)
    return np.asarray(img) > 127


_TEXT_CACHE = {}


def cached_text_layer(text, width, height):
    key = (text, width, height)
    if key not in _TEXT_CACHE:
        _TEXT_CACHE[key] = text_layer(text, width, height)
    return _TEXT_CACHE[key]


def render(scene):
    """The scene as an [H, W, 3] uint8 array."""
    w, h = scene["width"], scene["height"]
    arr = np.empty((h, w, 3), dtype=np.uint8)
    arr[:, :] = PALETTE[scene["bg"]][0]
    for o in scene["objects"]:
        arr[shape_mask(o["shape"], o["box"], w, h)] = PALETTE[o["colour"]][0]
    if scene["text"]:
        arr[cached_text_layer(scene["text"], w, h)] = text_colour(scene["bg"])
    return arr


# ----------------------------------------------------------------------------------- captions

EN_SINGLE = [
    "a {c} {s} on the {p} of a {bg} background",
    "{c} {s}, {p}, {bg} background",
    "a {c} {s} on the {p}, on a {bg} background",
]
EN_CENTER = [
    "a {c} {s} in the center of a {bg} background",
    "{c} {s}, center, {bg} background",
    "a {c} {s} in the middle, on a {bg} background",
]
EN_TWO = [
    "a {c1} {s1} on the left and a {c2} {s2} on the right, on a {bg} background",
    "{c1} {s1} left, {c2} {s2} right, {bg} background",
]
EN_TEXT = [', with the word "{t}"', ', with the text "{t}"']
ZH_SINGLE = ["{bg}背景{p}有一个{c}{s}", "{c}{s}在{p}，{bg}背景"]
ZH_TWO = ["{bg}背景，左边是{c1}{s1}，右边是{c2}{s2}", "左边一个{c1}{s1}，右边一个{c2}{s2}，{bg}背景"]
ZH_TEXT = ["，写着“{t}”", "，文字“{t}”"]


def caption(scene, lang, variant=0):
    """The caption of ``scene`` in ``lang`` ("en" or "zh"), phrasing ``variant`` (any int)."""
    objs = scene["objects"]
    if lang == "en":
        if len(objs) == 2:
            t = EN_TWO[variant % len(EN_TWO)]
            out = t.format(c1=objs[0]["colour"], s1=objs[0]["shape"], c2=objs[1]["colour"],
                           s2=objs[1]["shape"], bg=scene["bg"])
        else:
            o = objs[0]
            table = EN_CENTER if o["pos"] == "center" else EN_SINGLE
            out = table[variant % len(table)].format(c=o["colour"], s=o["shape"], p=o["pos"], bg=scene["bg"])
        if scene["text"]:
            out += EN_TEXT[variant % len(EN_TEXT)].format(t=scene["text"])
        return out
    zc = {k: v[1] for k, v in PALETTE.items()}
    if len(objs) == 2:
        t = ZH_TWO[variant % len(ZH_TWO)]
        out = t.format(c1=zc[objs[0]["colour"]], s1=SHAPES[objs[0]["shape"]], c2=zc[objs[1]["colour"]],
                       s2=SHAPES[objs[1]["shape"]], bg=zc[scene["bg"]])
    else:
        o = objs[0]
        out = ZH_SINGLE[variant % len(ZH_SINGLE)].format(c=zc[o["colour"]], s=SHAPES[o["shape"]],
                                                         p=POSITIONS[o["pos"]], bg=zc[scene["bg"]])
    if scene["text"]:
        out += ZH_TEXT[variant % len(ZH_TEXT)].format(t=scene["text"])
    return out


def perturb(scene, rng):
    """A copy of ``scene`` with one attribute changed (for mismatched captions): an object's colour or
    shape, the background, the position, the two objects swapped, or the text changed/added/removed."""
    s = {"width": scene["width"], "height": scene["height"], "bg": scene["bg"], "text": scene["text"],
         "objects": [dict(o) for o in scene["objects"]]}
    choices = ["colour", "shape", "bg", "text"]
    if len(s["objects"]) == 2:
        if (s["objects"][0]["colour"], s["objects"][0]["shape"]) != (s["objects"][1]["colour"], s["objects"][1]["shape"]):
            choices.append("swap")
    else:
        choices.append("pos")
    kind = rng.choice(choices)
    o = rng.choice(s["objects"])
    if kind == "colour":
        o["colour"] = rng.choice([c for c in COLOURS if c not in (o["colour"], s["bg"])])
    elif kind == "shape":
        o["shape"] = rng.choice([x for x in SHAPE_NAMES if x != o["shape"]])
    elif kind == "bg":
        used = {x["colour"] for x in s["objects"]}
        s["bg"] = rng.choice([c for c in COLOURS if c != s["bg"] and c not in used])
    elif kind == "pos":
        o["pos"] = rng.choice([p for p in POSITIONS if p != o["pos"]])
    elif kind == "swap":
        a, b = s["objects"]
        a["colour"], b["colour"] = b["colour"], a["colour"]
        a["shape"], b["shape"] = b["shape"], a["shape"]
    else:
        s["text"] = rng.choice([None] + [t for t in TEXTS if t != s["text"]]) if s["text"] else rng.choice(TEXTS)
    return s


# --------------------------------------------------------------------------------- degradations

def degrade(arr, rng, kind=None):
    """A degraded copy (blur, noise, JPEG artefacts, colour cast, blocky), as an aesthetic negative."""
    kind = kind or rng.choice(["blur", "noise", "jpeg", "cast", "blocky"])
    img = Image.fromarray(arr)
    if kind == "blur":
        out = np.asarray(img.filter(ImageFilter.GaussianBlur(rng.uniform(1.2, 2.5))))
    elif kind == "noise":
        nrs = np.random.RandomState(rng.randrange(1 << 30))
        out = np.clip(arr.astype(np.float32) + nrs.normal(0, rng.uniform(25, 50), arr.shape), 0, 255).astype(np.uint8)
    elif kind == "jpeg":
        import io
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=rng.randint(3, 10))
        out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    elif kind == "cast":
        cast = np.array([rng.uniform(-90, 90) for _ in range(3)], dtype=np.float32)
        while np.abs(cast).max() < 60:
            cast = np.array([rng.uniform(-90, 90) for _ in range(3)], dtype=np.float32)
        out = np.clip(arr.astype(np.float32) * rng.uniform(0.6, 0.9) + cast, 0, 255).astype(np.uint8)
    else:
        h, w = arr.shape[:2]
        small = img.resize((max(1, w // 6), max(1, h // 6)), Image.BILINEAR)
        out = np.asarray(small.resize((w, h), Image.NEAREST))
    return np.ascontiguousarray(out), kind


# ------------------------------------------------------------------------------------- checker

def _nearest_colour(rgb):
    best, dist = None, 1e9
    for name, (c, _) in PALETTE.items():
        d = float(np.sum((np.asarray(c, dtype=np.float32) - rgb) ** 2))
        if d < dist:
            best, dist = name, d
    return best


def _components(mask):
    """4-connected components of a boolean mask, largest first, as lists of (y, x)."""
    h, w = mask.shape
    seen = np.zeros_like(mask)
    comps = []
    ys, xs = np.nonzero(mask)
    for y, x in zip(ys, xs):
        if seen[y, x]:
            continue
        stack = [(y, x)]
        seen[y, x] = True
        comp = []
        while stack:
            cy, cx = stack.pop()
            comp.append((cy, cx))
            for ny, nx in ((cy - 1, cx), (cy + 1, cx), (cy, cx - 1), (cy, cx + 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        comps.append(comp)
    comps.sort(key=len, reverse=True)
    return comps


def _shape_of(comp_mask, box, width, height):
    best, best_iou = None, -1.0
    for shape in SHAPE_NAMES:
        template = shape_mask(shape, box, width, height)
        inter = np.logical_and(template, comp_mask).sum()
        union = np.logical_or(template, comp_mask).sum()
        iou = inter / max(1, union)
        if iou > best_iou:
            best, best_iou = shape, iou
    return best, float(best_iou)


def check(arr, scene):
    """Read ``arr`` ([H, W, 3] uint8) as the layout of ``scene`` says (one object or a left/right
    pair; a text band when text is requested) and report what is drawn.

    Returns {"bg", "objects": [{"colour", "shape", "pos", "iou"} or None per requested object],
    "text": recognised text or ""}.
    """
    h, w = arr.shape[:2]
    px = arr.astype(np.float32)
    band = TEXT_BAND if scene["text"] else 0
    region_h = h - band
    border = np.concatenate([px[0:2, :].reshape(-1, 3), px[:region_h, 0:2].reshape(-1, 3),
                             px[:region_h, w - 2:w].reshape(-1, 3)])
    bg_rgb = np.median(border, axis=0)
    dist = np.sqrt(((px - bg_rgb) ** 2).sum(axis=-1))
    fg = dist > FG_DISTANCE
    fg[region_h:, :] = False
    report = {"bg": _nearest_colour(bg_rgb), "objects": [], "text": ""}
    two = len(scene["objects"]) == 2
    for i, _ in enumerate(scene["objects"]):
        part = fg.copy()
        if two:
            if i == 0:
                part[:, w // 2:] = False
            else:
                part[:, :w // 2] = False
        comps = _components(part)
        if not comps or len(comps[0]) < 12:
            report["objects"].append(None)
            continue
        comp = comps[0]
        ys = np.array([c[0] for c in comp])
        xs = np.array([c[1] for c in comp])
        comp_mask = np.zeros((h, w), dtype=bool)
        comp_mask[ys, xs] = True
        box = [int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())]
        side = max(box[2] - box[0], box[3] - box[1])
        # shapes are drawn in square boxes: match in the square box around the component's centre
        cx, cy = (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0
        sq = [int(round(cx - side / 2.0)), int(round(cy - side / 2.0))]
        sq += [sq[0] + side, sq[1] + side]
        shape, iou = _shape_of(comp_mask, sq, w, h)
        colour = _nearest_colour(np.median(px[ys, xs], axis=0))
        mx = xs.mean()
        pos = "left" if mx < w * 0.375 else ("right" if mx > w * 0.625 else "center")
        report["objects"].append({"colour": colour, "shape": shape, "pos": pos, "iou": iou})
    if scene["text"]:
        report["text"] = read_text(arr, bg_rgb)
    return report


def shifted(mask, dy, dx):
    """``mask`` moved by (dy, dx) px, what moves out dropped, what moves in False."""
    out = np.zeros_like(mask)
    h, w = mask.shape
    out[max(0, dy):h + min(0, dy), max(0, dx):w + min(0, dx)] = mask[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    return out


def read_text(arr, bg_rgb=None):
    """Template-match the bottom band against every candidate text, each template also moved by up to
    1 px each way (a generated text that is right but 1 px off matches its template worse than a
    bigger glyph does in place); "" when nothing fits."""
    h, w = arr.shape[:2]
    px = arr.astype(np.float32)
    if bg_rgb is None:
        bg_rgb = np.median(px[h - TEXT_BAND:, :].reshape(-1, 3), axis=0)
    ink = np.sqrt(((px - bg_rgb) ** 2).sum(axis=-1)) > FG_DISTANCE
    ink[:h - TEXT_BAND, :] = False
    if ink.sum() < 4:
        return ""
    best, best_iou = "", 0.3
    for t in TEXTS:
        placed = cached_text_layer(t, w, h)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                template = shifted(placed, dy, dx)
                iou = np.logical_and(template, ink).sum() / max(1, np.logical_or(template, ink).sum())
                if iou > best_iou:
                    best, best_iou = t, iou
    return best


def attributes_right(scene, report):
    """(colour and shape of every object right, everything right incl. position, bg and text)."""
    cs = True
    full = report["bg"] == scene["bg"]
    for want, got in zip(scene["objects"], report["objects"]):
        if got is None or got["colour"] != want["colour"] or got["shape"] != want["shape"]:
            cs = False
            full = False
        elif len(scene["objects"]) == 1 and got["pos"] != want["pos"]:
            full = False
    if scene["text"] and report["text"] != scene["text"]:
        full = False
    return cs, full and cs


def scene_rng(seed):
    return random.Random(seed)


# ---------------------------------------------------------------------------- attribute labels

SLOTS = [("background", len(COLOURS)), ("layout", 4), ("colour_1", len(COLOURS)), ("shape_1", len(SHAPE_NAMES)),
         ("colour_2", len(COLOURS) + 1), ("shape_2", len(SHAPE_NAMES) + 1), ("text", len(TEXTS) + 1)]


def scene_labels(scene):
    """One class per slot of ``SLOTS``: layout is left / center / right for one object, 3 for a pair;
    the second object's colour and shape, and the text, have a final "none" class."""
    objs = scene["objects"]
    layout = 3 if len(objs) == 2 else list(POSITIONS).index(objs[0]["pos"])
    second = objs[1] if len(objs) == 2 else None
    return [
        COLOURS.index(scene["bg"]),
        layout,
        COLOURS.index(objs[0]["colour"]),
        SHAPE_NAMES.index(objs[0]["shape"]),
        COLOURS.index(second["colour"]) if second else len(COLOURS),
        SHAPE_NAMES.index(second["shape"]) if second else len(SHAPE_NAMES),
        TEXTS.index(scene["text"]) if scene["text"] else len(TEXTS),
    ]
