"""A bilingual word-level (English) / character-level (CJK) tokenizer.

It is written as a Hugging Face ``tokenizer.json`` (a WordLevel model behind a BertNormalizer and
a BERT pre-tokenizer), which the Java side loads with the DJL tokenizers library, offline. This
module also mirrors the same rules in plain Python so golden token ids can be computed without the
``tokenizers`` package:

* normalise: drop control characters, map whitespace to spaces, put spaces around CJK ideographs,
  lowercase, strip accents (NFD, drop combining marks);
* split on whitespace, isolate every punctuation character and every numeric character (Nd, Nl, No);
* look each piece up in the vocabulary (unknown pieces become ``[UNK]``);
* prepend ``[BOS]``, as a decoder-only LLM tokenizer does.
"""

import json
import unicodedata

PAD, UNK, BOS = "[PAD]", "[UNK]", "[BOS]"
SPECIALS = [PAD, UNK, BOS]

ENGLISH_WORDS = """
a an the of on in at with and or to for from by over under near behind beside between above below
front back left right top bottom center centre middle corner side inside outside around across
is are has have with without very more most less small big large tiny huge tall short long wide
narrow round square flat thin thick soft hard bright dark light pale deep vivid warm cool cold hot
red orange yellow green blue purple pink brown black white gray grey silver gold golden beige cyan
magenta navy teal olive maroon violet cream transparent colorful colourful striped dotted plain
circle triangle rectangle star heart hexagon diamond oval ring cross arrow line dot shape shapes
background foreground border frame text word words letter letters sign label logo banner poster
card cover sticker badge icon pattern texture gradient shadow glow reflection
photo photograph image picture illustration painting drawing sketch render rendering design style
realistic photorealistic cinematic minimalist minimal flat vector watercolor watercolour oil ink
cartoon anime pixel art studio lighting soft sunlight daylight night evening morning sunset sunrise
product bottle cup mug glass jar box bag shoe shoes sneaker sneakers shirt dress hat watch phone
laptop chair table lamp sofa bed book pen clock vase plant flower flowers tree trees leaf leaves
fruit apple orange banana lemon cherry strawberry grape cake bread coffee tea wine juice water
cat dog bird fish horse rabbit panda tiger lion dragon bear fox duck
sky sea ocean river lake mountain mountains hill forest desert beach island city street road
house building bridge tower window door wall floor garden park field snow rain cloud clouds sun
moon stars fire smoke
man woman boy girl child children people person family friends face hands
new sale off discount free offer deal deals price shop store buy now today only best top quality
premium luxury organic fresh natural handmade limited edition collection season summer winter
spring autumn fall holiday festival christmas year lunar happy birthday love gift gifts welcome
open closed hello thank thanks you we our your my it this that one two three four five ten hundred
percent high resolution detailed detail sharp focus closeup close up view wide angle aerial macro
centered isolated simple clean modern vintage retro classic elegant cute cool
""".split()

# Frequent simplified and traditional characters for prompts, product copy and festival text.
CJK_CHARS = (
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对"
    "可里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同"
    "三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名"
    "定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内"
    "加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原"
    "车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战"
    "干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连"
    "远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转"
    "量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找"
    "友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离"
    "虽坏兴切阳坐球热朋底春福秋夏冬节鱼鸟猫狗龙虎云雨雪星桥灯茶酒衣鞋帽杯瓶盒圆蓝绿紫橙灰粉棕黑银"
    "乐促销折扣特价优惠免费礼物送购买店铺限量正宗精选品质新鲜天然手工中秋春节快乐生日恭喜发财福字"
    "红包灯笼月饼粽子元宵圣诞周年庆典开业大吉招牌海报标志背景前景左右上下中间角落边框文字图案纹理"
    "阴影发光反射照片图像插画油画水彩素描风格写实电影极简卡通动漫像素艺术灯光阳光夜晚早晨日落日出"
    "产品瓶子杯子盒子袋子鞋子衬衫裙子帽子手表手机电脑椅子桌子台灯沙发床书笔时钟花瓶植物花朵树叶水果"
    "苹果香蕉柠檬樱桃草莓葡萄蛋糕面包咖啡茶叶果汁猫咪小狗鸟儿金鱼马儿兔子熊猫老虎狮子龙凤熊狐狸鸭子"
    "天空大海海洋河流湖泊山脉森林沙漠海滩岛屿城市街道道路房子建筑桥梁高塔窗户门口墙壁地板花园公园"
    "田野雪花雨水云朵太阳月亮星星火焰烟雾男人女人男孩女孩孩子家庭朋友人们脸庞双手三角形方形圆形心形"
    "星形菱形椭圆圆环十字箭头线条点状"
)

ENGLISH_PUNCTUATION = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
CJK_PUNCTUATION = list("，。！？、：；“”‘’（）《》【】…—·～")
DIGITS = list("0123456789")


def build_vocab():
    """Token -> id, specials first, deterministic order."""
    tokens = list(SPECIALS)
    seen = set(tokens)
    for group in (DIGITS, ENGLISH_PUNCTUATION, CJK_PUNCTUATION, ENGLISH_WORDS, list(CJK_CHARS)):
        for token in group:
            token = normalize(token).strip() if token not in SPECIALS else token
            if token and token not in seen:
                seen.add(token)
                tokens.append(token)
    return {token: i for i, token in enumerate(tokens)}


def tokenizer_json(vocab):
    """The Hugging Face tokenizer.json document for ``vocab``."""
    added = [
        {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for t in SPECIALS
    ]
    bos = {"SpecialToken": {"id": BOS, "type_id": 0}}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "BertPreTokenizer"},
            {"type": "Digits", "individual_digits": True},
        ]},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [bos, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [bos, {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {BOS: {"id": BOS, "ids": [vocab[BOS]], "tokens": [BOS]}},
        },
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": UNK},
    }


def write_tokenizer(path, vocab):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(tokenizer_json(vocab), f, ensure_ascii=False, indent=1, sort_keys=False)
        f.write("\n")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _is_whitespace(ch):
    return ch in "\t\n\r" or ch.isspace()


def _is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch):
    return (ch.isascii() and not ch.isalnum() and not ch.isspace() and ch.isprintable()) \
        or unicodedata.category(ch).startswith("P")


def _is_numeric(ch):
    """Rust's char::is_numeric, which the Digits pre-tokenizer splits on: categories Nd, Nl, No."""
    return unicodedata.category(ch) in ("Nd", "Nl", "No")


def normalize(text):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_whitespace(ch):
            out.append(" ")
        elif _is_cjk(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    text = "".join(out).lower()
    text = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


def pre_tokenize(text):
    pieces = []
    for word in normalize(text).split():
        current = ""
        for ch in word:
            if _is_punctuation(ch) or _is_numeric(ch):
                if current:
                    pieces.append(current)
                    current = ""
                pieces.append(ch)
            else:
                current += ch
        if current:
            pieces.append(current)
    return pieces


def encode(text, vocab):
    """Token ids of ``text`` with ``[BOS]`` prepended, without truncation or padding."""
    return [vocab[BOS]] + [vocab.get(p, vocab[UNK]) for p in pre_tokenize(text)]


def pad(ids, max_length, pad_id=0):
    """(ids, mask) truncated/padded to ``max_length``, as the Java pipeline builds them."""
    ids = ids[:max_length]
    mask = [1] * len(ids) + [0] * (max_length - len(ids))
    return ids + [pad_id] * (max_length - len(ids)), mask


GLYPH_OFFSET = 3  # ByT5: 0 pad, 1 eos, 2 unk, then byte b -> b + 3
GLYPH_VOCAB = 256 + GLYPH_OFFSET
GLYPH_EOS = 1


def glyph_encode(texts, max_length):
    """ByT5-style ids for a list of glyph texts: UTF-8 bytes + 3, texts separated (and ended) by eos.

    Returns (ids, mask) of length ``max_length``; no texts gives an all-zero mask.
    """
    ids = []
    for text in texts:
        ids.extend(b + GLYPH_OFFSET for b in text.encode("utf-8"))
        ids.append(GLYPH_EOS)
    ids = ids[:max_length]
    mask = [1] * len(ids) + [0] * (max_length - len(ids))
    return ids + [0] * (max_length - len(ids)), mask
