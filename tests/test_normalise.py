"""Tests for voc.normalise: cleanup, PII redaction, repeats, OpenCC and the offsets back to the original."""
from __future__ import annotations

import math
import pickle
import random
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from voc import schema
from voc.config import Config
from voc.errors import ConfigError, InputError
from voc.normalise import (
    NFKC_STABLE,
    PLACEHOLDERS,
    PROTECTED_HINT,
    PROTECTED_PATTERN,
    Normalised,
    Normaliser,
    normalise_frame,
)

PROTECTED = re.compile(PROTECTED_PATTERN)
PROTECTED_HINT_RX = re.compile(PROTECTED_HINT)


@pytest.fixture(scope="module")
def norm() -> Normaliser:
    return Normaliser()


@pytest.fixture(scope="module")
def keep_script() -> Normaliser:
    """No script conversion: checks the other steps on their own."""
    return Normaliser(convert="none")


@pytest.fixture(scope="module")
def tw() -> Normaliser:
    return Normaliser(convert="tw2sp")


def assert_well_formed(n: Normalised) -> None:
    """Offsets/ends have the right lengths, never decrease and stay inside the original."""
    assert len(n.offsets) == len(n.text) + 1
    assert n.offsets[-1] == len(n.original)
    assert len(n.ends) == len(n.text)
    assert all(a <= b for a, b in zip(n.offsets, n.offsets[1:]))
    assert all(a <= b for a, b in zip(n.ends, n.ends[1:]))
    assert all(0 <= s < e <= len(n.original) for s, e in zip(n.offsets, n.ends))
    for _, s, e in n.pii:
        assert 0 <= s < e <= len(n.original)


# ------------------------------------------------------------------------------------------------
# Step 1: full-width, invisible characters, whitespace
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("ＡＢＣ１２３", "ABC123"),
    ("５星好评，ｗｉｆｉ很快", "5星好评，wifi很快"),
    ("打９折，省了１０％", "打9折，省了10%"),
    ("＃新品＃到了", "新品到了"),  # full-width # becomes ASCII, then the hashtag marks go
    ("［捂脸］太慢了", "[捂脸]太慢了"),
    # Chinese punctuation stays full-width as typed; ASCII stays ASCII
    ("价格：９９元！真便宜？", "价格：99元！真便宜？"),
    ("（推荐）好吃～；下次再来", "（推荐）好吃～；下次再来"),
    ("等了好久……才到。", "等了好久……才到。"),
    ("好吃,便宜!", "好吃,便宜!"),
    ("「服务」《菜单》【好评】", "「服务」《菜单》【好评】"),
    ("物流\u3000很快", "物流 很快"),  # ideographic space
    ("面积１００㎡", "面积100m2"),  # compatibility characters expand
])
def test_fullwidth_to_halfwidth_keeps_chinese_punctuation(keep_script: Normaliser, text: str,
                                                           expected: str) -> None:
    n = keep_script.normalise(text)
    assert n.text == expected
    assert_well_formed(n)


@pytest.mark.parametrize("text, expected", [
    ("物\u200b流很快", "物流很快"),  # zero-width space
    ("\ufeff好评", "好评"),  # byte-order mark
    ("客服\x00态度\x07差", "客服态度差"),  # control characters
    ("\u202e差评\u202c", "差评"),  # bidi override
    ("包\u00ad装不错", "包装不错"),  # soft hyphen
    ("好\u200d评", "好评"),  # ZWJ outside an emoji
    ("好\u200c评\u2060", "好评"),  # ZWNJ, word joiner
    ("好\ufe0f评", "好评"),  # emoji presentation selector after a letter
    ("\ud800坏\udfff字节", "坏字节"),  # lone surrogates
])
def test_invisible_and_control_characters_removed(keep_script: Normaliser, text: str, expected: str) -> None:
    assert keep_script.normalise(text).text == expected


@pytest.mark.parametrize("emoji", [
    "👨\u200d👩\u200d👧",  # ZWJ family
    "👩\u200d💻",  # ZWJ profession
    "🏳\ufe0f\u200d🌈",  # ZWJ with a variation selector
    "👍🏻",  # skin tone
    "🧑🏽\u200d🍳",  # skin tone inside a ZWJ sequence
    "❤\ufe0f",  # emoji presentation
    "🇭🇰", "🇹🇼", "🇨🇳",  # flags
    "1\ufe0f\u20e3", "#\ufe0f\u20e3",  # keycaps
    "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",  # subdivision flag
    "[捂脸]", "[笑哭]", "[微笑]", "[doge]", "[笑cry]",  # bracket emoticons
    ":)", ":-(", "^_^",  # ASCII emoticons
    "<PHONE>", "<URL>", "<USER>", "<EMAIL>", "<ID>", "<CARD>",  # placeholders
])
def test_emoji_and_protected_tokens_kept_whole(norm: Normaliser, emoji: str) -> None:
    text = f"外卖很好吃{emoji}下次再点"
    n = norm.normalise(text)
    assert n.text == text
    assert [m.group() for m in PROTECTED.finditer(n.text)] == [emoji]
    assert PROTECTED_HINT_RX.search(emoji), "the cheap pre-test must see every protected token"


def test_protected_hint_is_a_superset_of_the_protected_pattern() -> None:
    """The segmenter skips the full pattern when PROTECTED_HINT finds nothing: that must never lose a token."""
    rng = random.Random(7)
    pool = "物流很快好评差评" + "".join(map(chr, range(0x2190, 0x2800, 7))) + ":;=()DPp^_T-Q><[]" \
        + "".join(map(chr, range(0x1F300, 0x1FA00, 11))) + "\ufe0f\u200d\u20e3#*19🇭🇰🏻"
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
        if PROTECTED.search(text):
            assert PROTECTED_HINT_RX.search(text), repr(text)


def test_nfkc_stable_characters_are_unchanged_by_nfkc() -> None:
    """Texts made only of these skip NFKC: each must be NFKC-stable (or a full-width mark kept as typed)."""
    stable = re.compile(f"[{NFKC_STABLE}]")
    kept = set("，！？：；（）～…")
    changed = [c for c in map(chr, range(0x10000)) if stable.match(c) and c not in kept
               and unicodedata.normalize("NFKC", c) != c]
    assert changed == []


@pytest.mark.parametrize("text, expected", [
    ("好评，ｆｕｌｌ　ｗｉｄｔｈ！", "好评，full width！"),  # one full-width letter sends the text through NFKC
    ("物流很快，包装完好。", "物流很快，包装完好。"),
])
def test_nfkc_fast_path_agrees_with_full_nfkc(keep_script: Normaliser, text: str, expected: str) -> None:
    assert keep_script.normalise(text).text == expected


@pytest.mark.parametrize("text", ["物流很快", "[1]", "【好评】", "12:30到", "<b>加粗</b>"])
def test_protected_pattern_leaves_ordinary_text_alone(text: str) -> None:
    assert PROTECTED.search(text) is None


@pytest.mark.parametrize("text, expected", [
    ("  物流   很快\n\n包装\t不错  ", "物流 很快 包装 不错"),
    ("\r\n好评\r\n", "好评"),
    ("一\u00a0二\u2003三", "一 二 三"),
    ("   ", ""),
    ("\u200b\u200b", ""),
])
def test_whitespace_collapsed_and_stripped(keep_script: Normaliser, text: str, expected: str) -> None:
    n = keep_script.normalise(text)
    assert n.text == expected
    assert_well_formed(n)


# ------------------------------------------------------------------------------------------------
# Step 3: repeats
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("好好好好好", "好好好"),
    ("好好好", "好好好"),
    ("太差了!!!!!!", "太差了!!!"),
    ("太差了！！！！！！", "太差了！！！"),
    ("哈哈哈哈哈哈哈哈", "哈哈哈"),
    ("呵呵呵呵呵呵", "呵呵呵"),
    ("好吃好吃好吃好吃好吃", "好吃好吃好吃"),  # two-character unit
    ("赞赞赞赞👍👍👍👍👍", "赞赞赞👍👍👍"),
    ("。。。。。。", "。。。"),
    ("soooooo good", "sooo good"),
    # never shortened: numbers and ratings
    ("花了10000元", "花了10000元"),
    ("单号8888888", "单号8888888"),
    ("★★★★★ 五星", "★★★★★ 五星"),
    ("⭐⭐⭐⭐⭐", "⭐⭐⭐⭐⭐"),
])
def test_repeats_shortened_but_signal_kept(keep_script: Normaliser, text: str, expected: str) -> None:
    n = keep_script.normalise(text)
    assert n.text == expected
    assert_well_formed(n)


@pytest.mark.parametrize("max_repeat, expected", [
    (1, "好!"), (2, "好好!!"), (5, "好好好好好!!!!!"), (0, "好" * 8 + "!" * 6),
])
def test_max_repeat_setting(max_repeat: int, expected: str) -> None:
    assert Normaliser(convert="none", max_repeat=max_repeat).normalise("好" * 8 + "!" * 6).text == expected


def test_repeat_span_covers_the_whole_run(keep_script: Normaliser) -> None:
    n = keep_script.normalise("真的好好好好好吃")
    assert n.text == "真的好好好吃"
    assert n.original_span(2, 5) == "好好好好好"
    assert n.original_span(5, 6) == "吃"


# ------------------------------------------------------------------------------------------------
# Steps 2: URLs, mentions, hashtags
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected, kinds", [
    ("详情见 https://shop.example.com/item/12345678901?from=app 谢谢", "详情见 <URL> 谢谢", ["url"]),
    ("链接http://t.cn/A6xYz9K很好", "链接<URL>很好", ["url"]),
    ("官网www.example.com.cn/help。", "官网<URL>。", ["url"]),
    ("去m.example.cn/a/b看看", "去<URL>看看", ["url"]),
    ("回复@小王同学:菜很好吃", "回复<USER>:菜很好吃", ["mention"]),
    ("@Lucy_88 你说得对", "<USER> 你说得对", ["mention"]),
    ("//@吃货一号: 同意", "//<USER>: 同意", ["mention"]),
    ("#外卖踩雷#又凉了", "外卖踩雷又凉了", []),
    ("#好评 #准时", "好评 准时", []),
    ("住在5#楼", "住在5#楼", []),  # building number, not a hashtag
    ("学C#很难", "学C#很难", []),
])
def test_urls_mentions_hashtags(keep_script: Normaliser, text: str, expected: str, kinds: list[str]) -> None:
    n = keep_script.normalise(text)
    assert n.text == expected
    assert [k for k, _, _ in n.pii] == kinds
    assert_well_formed(n)


def test_hashtag_words_map_back_without_the_marks(keep_script: Normaliser) -> None:
    n = keep_script.normalise("#物流太慢#真的")
    assert n.text == "物流太慢真的"
    assert n.original_span(0, 4) == "物流太慢"


def test_url_digits_are_not_phone_numbers(keep_script: Normaliser) -> None:
    n = keep_script.normalise("https://example.com/u/13812345678")
    assert n.text == "<URL>"
    assert [k for k, _, _ in n.pii] == ["url"]


# ------------------------------------------------------------------------------------------------
# Step 2: personal data
# ------------------------------------------------------------------------------------------------
PII_POSITIVE = [
    # mainland mobiles
    ("电话13812345678谢谢", "phone", "13812345678"),
    ("打 139 8765 4321 找我", "phone", "139 8765 4321"),
    ("号码是158-1234-5678。", "phone", "158-1234-5678"),
    ("+86 186 0000 1234 随时联系", "phone", "+86 186 0000 1234"),
    ("拨0086-17712345678", "phone", "0086-17712345678"),
    ("手机１３５１２３４５６７８", "phone", "１３５１２３４５６７８"),  # full-width digits
    ("手机135\u200b1234\u200b5678", "phone", "135\u200b1234\u200b5678"),  # split by zero-width spaces
    # mainland landlines
    ("座机010-62345678", "phone", "010-62345678"),
    ("店里电话0571-8765432", "phone", "0571-8765432"),
    ("拨(021)54321234", "phone", "(021)54321234"),
    # Taiwan
    ("請打0912-345-678給我", "phone", "0912-345-678"),
    ("手機0987654321", "phone", "0987654321"),
    ("撥 +886 912 345 678", "phone", "+886 912 345 678"),
    ("市話(02)2345-6789", "phone", "(02)2345-6789"),
    ("店家02-2765-4321", "phone", "02-2765-4321"),
    ("台中04-2345-6789", "phone", "04-2345-6789"),
    # Hong Kong
    ("打+852 9123 4567問", "phone", "+852 9123 4567"),
    ("852 6123 4567 搵我", "phone", "852 6123 4567"),
    ("WhatsApp 5123 4567", "phone", "5123 4567"),
    ("有事打9876 5432啦", "phone", "9876 5432"),
    ("電話: 61234567", "phone", "61234567"),
    ("電話：2345 6789", "phone", "2345 6789"),
    # emails
    ("邮箱abc.def@example.com有问题", "email", "abc.def@example.com"),
    ("寄到 x_y+1@mail.example.com.cn", "email", "x_y+1@mail.example.com.cn"),
    # ID numbers (checksums valid)
    ("身份证110101199003077774", "id_card", "110101199003077774"),
    ("证件 11010519491231002X 已上传", "id_card", "11010519491231002X"),
    ("身份證A123456789", "id_card", "A123456789"),
    ("身分證字號 F123456784", "id_card", "F123456784"),
    ("身份證 G123456(A)", "id_card", "G123456(A)"),
    ("身份證號AB987654(3)", "id_card", "AB987654(3)"),
    ("身份證Y123456（9）", "id_card", "Y123456（9）"),
    # bank cards (Luhn valid)
    ("卡号6222021234567890128", "bank_card", "6222021234567890128"),
    ("卡號 4111 1111 1111 1111 扣了兩次", "bank_card", "4111 1111 1111 1111"),
    ("卡号5200-0011-1122-2233", "bank_card", "5200-0011-1122-2233"),
]


@pytest.mark.parametrize("text, kind, value", PII_POSITIVE)
def test_pii_redacted(keep_script: Normaliser, text: str, kind: str, value: str) -> None:
    n = keep_script.normalise(text)
    assert PLACEHOLDERS[kind] in n.text
    assert value not in n.text
    assert [(k, text[s:e]) for k, s, e in n.pii] == [(kind, value)]
    start = n.text.index(PLACEHOLDERS[kind])
    assert n.original_span(start, start + len(PLACEHOLDERS[kind])) == value
    assert_well_formed(n)


@pytest.mark.parametrize("text", [
    "价格¥1999，运费25元",
    "一共花了3299.00元",
    "订单号2024050112345678",  # 16 digits, not a card (and no card prefix)
    "订单号110101199003077775",  # ID-shaped, wrong check digit
    "单号4111111111111112",  # card-shaped, fails Luhn
    "证号A123456788",  # Taiwan-ID-shaped, wrong check digit
    "編號G123456(5)",  # Hong-Kong-ID-shaped, wrong check digit
    "2024-05-01 13:30 送到",
    "2024/05/01下单，12:45:30签收",
    "预算6000-8000元",
    "买了3000mAh的充电宝",
    "等了45分钟，送了120单",
    "房间1208，门牌88号",
    "单号12345678901",  # 11 digits but not a mobile prefix
    "编号91234567",  # bare 8 digits, not written as a phone
])
def test_ordinary_numbers_survive(keep_script: Normaliser, text: str) -> None:
    n = keep_script.normalise(text)
    assert n.text == text
    assert n.pii == ()


@pytest.mark.parametrize("text, kind, value", PII_POSITIVE)
def test_redact_pii_off_keeps_personal_data(text: str, kind: str, value: str) -> None:
    n = Normaliser(convert="none", redact_pii=False).normalise(text)
    assert PLACEHOLDERS[kind] not in n.text
    assert n.pii == ()


def test_redact_pii_off_still_replaces_urls_and_mentions_but_not_emails() -> None:
    keep = Normaliser(convert="none", redact_pii=False)
    n = keep.normalise("@小明 看 https://example.com 或写信 a.b@example.com")
    assert n.text == "<USER> 看 <URL> 或写信 a.b@example.com"


def test_redact_pii_from_config() -> None:
    assert Normaliser(Config(redact_pii=False)).normalise("13812345678").text == "13812345678"
    assert Normaliser(Config(redact_pii=False), redact_pii=True).normalise("13812345678").text == "<PHONE>"


@pytest.mark.parametrize("text, expected", [
    ("請致電０９１２-３４５-６７８，謝謝", "請致電<PHONE>，謝謝"),
    ("聯絡 A123456789 或 abc@example.com 喔！！！！", "聯絡 <ID> 或 <EMAIL> 喔！！！！"),
    ("回覆@小美:  網址 https://example.tw/x 記憶體", "回覆<USER>:  網址 <URL> 記憶體"),
    ("沒有個人資料，只有繁體字。", "沒有個人資料，只有繁體字。"),
])
def test_redact_keeps_the_original_script(norm: Normaliser, text: str, expected: str) -> None:
    assert norm.redact(text) == expected


def test_redact_respects_redact_pii_off() -> None:
    assert Normaliser(redact_pii=False).redact("電話0912345678") == "電話0912345678"


# ------------------------------------------------------------------------------------------------
# Step 4: OpenCC
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("convert, text, expected", [
    ("t2s", "這家店的服務態度很差", "这家店的服务态度很差"),
    ("t2s", "軟體更新後滑鼠不能用", "软体更新后滑鼠不能用"),  # characters only
    ("t2s", "这家店已经是简体", "这家店已经是简体"),
    ("tw2sp", "我的筆記型電腦記憶體太小", "我的笔记本电脑内存太小"),
    ("tw2sp", "軟體更新後滑鼠不能用", "软件更新后鼠标不能用"),
    ("tw2sp", "外送員態度很好，計程車也很快", "外送员态度很好，出租车也很快"),
    ("tw2sp", "網路很慢，資料庫掛了", "网络很慢，数据库挂了"),
    ("hk2s", "呢間餐廳啲嘢食好好味，不過服務好差", "呢间餐厅啲嘢食好好味，不过服务好差"),
    ("hk2s", "唔該晒，下次再幫襯", "唔该晒，下次再帮衬"),
    ("tw2s", "這個價錢真的不划算", "这个价钱真的不划算"),
    ("s2t", "这家店的服务态度很差", "這家店的服務態度很差"),
    ("s2twp", "内存不够，软件太慢", "記憶體不夠，軟體太慢"),
    ("t2s.json", "這家店", "这家店"),
    ("TW2SP.json", "軟體", "软件"),
    ("none", "這家店的服務", "這家店的服務"),
])
def test_opencc_conversions(convert: str, text: str, expected: str) -> None:
    n = Normaliser(convert=convert).normalise(text)
    assert n.text == expected
    assert_well_formed(n)


def test_convert_default_comes_from_config() -> None:
    assert Normaliser().convert == "tw2sp"  # Taiwan phrases map too, so TW and mainland wording meet
    assert Normaliser().normalise("記憶體").text == "内存"
    assert Normaliser(Config(convert="t2s")).normalise("記憶體").text == "记忆体"
    assert Normaliser(Config(convert="tw2sp"), convert="t2s").normalise("記憶體").text == "记忆体"


@pytest.mark.parametrize("convert", ["t2x", "zh-hans", "", "t2s.txt"])
def test_unknown_conversion_is_a_config_error(convert: str) -> None:
    with pytest.raises(ConfigError, match=r"unknown OpenCC conversion.*t2s.*tw2sp"):
        Normaliser(convert=convert)


def test_negative_max_repeat_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="max_repeat"):
        Normaliser(max_repeat=-1)


# ------------------------------------------------------------------------------------------------
# Offsets through every step
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("convert, text, normalised, phrase, source", [
    ("tw2sp", "記憶體", "内存", "内存", "記憶體"),
    ("tw2sp", "我的記憶體不夠", "我的内存不够", "内存", "記憶體"),
    ("tw2sp", "部落格寫說隨身碟壞了", "博客写说U盘坏了", "U盘", "隨身碟"),
    ("tw2sp", "計程車司機很好", "出租车司机很好", "出租车", "計程車"),
    ("tw2sp", "新的軟體很爛", "新的软件很烂", "软件", "軟體"),
    ("tw2sp", "去哈薩克玩", "去哈萨克斯坦玩", "哈萨克斯坦", "哈薩克"),  # a longer phrase
    ("tw2sp", "記憶體小，去哈薩克玩", "内存小，去哈萨克斯坦玩", "哈萨克斯坦", "哈薩克"),  # shorter + longer
    ("t2s", "ＯＫ啦，服務好好好好好！！！！", "OK啦，服务好好好！！！", "服务好好好", "服務好好好好好"),
])
def test_phrase_spans_map_to_their_source(convert: str, text: str, normalised: str, phrase: str,
                                          source: str) -> None:
    n = Normaliser(convert=convert).normalise(text)
    assert n.text == normalised
    start = n.text.index(phrase)
    assert n.original_span(start, start + len(phrase)) == source
    for i in range(start, start + len(phrase)):  # a part of a phrase stays inside the phrase's source
        s, e = n.to_original(i, i + 1)
        assert text.index(source) <= s < e <= text.index(source) + len(source)
    assert_well_formed(n)


def test_part_of_a_block_maps_to_the_whole_block(tw: Normaliser) -> None:
    n = tw.normalise("記憶體")
    assert n.original_span(0, 1) == "記憶體"
    assert n.original_span(1, 2) == "記憶體"
    assert n.to_original(0, 0) == (0, 0)
    assert n.to_original(2, 2) == (3, 3)


MIXED = [
    "這家店的服務態度很差！！！！！電話0912-345-678，記憶體也不夠 👍🏻",
    "ＯＫ，呢間餐廳好好味😋😋😋😋 #推介# 搵我 +852 9123 4567 或 abc@example.com",
    "  软件  很好用，www.example.cn/a 下单13812345678   订单2024050112345678 ",
    "@小明: 身份證A123456789\u200b，網址https://example.tw/p?id=1。哈哈哈哈哈哈 [捂脸]",
    "記憶體\u3000軟體 ｗｉｆｉ 計程車……部落格",
]


@pytest.mark.parametrize("convert", ["t2s", "tw2sp", "hk2s"])
@pytest.mark.parametrize("text", MIXED)
def test_offsets_point_at_the_source_of_every_character(convert: str, text: str) -> None:
    """Property: every kept or one-to-one converted character comes from the character it points to."""
    n = Normaliser(convert=convert).normalise(text)
    assert_well_formed(n)
    by_char = Normaliser(convert=convert, redact_pii=False, max_repeat=0)
    for i, ch in enumerate(n.text):
        s, e = n.to_original(i, i + 1)
        src = text[s:e]
        if e - s == 1:  # one source character: it is this character, full-width folded or converted alone,
            alone = by_char.normalise(src).text  # or a same-length phrase converted one to one (軟體 -> 软件)
            local = Normaliser(convert=convert, redact_pii=False).normalise(text[max(s - 3, 0):e + 3]).text
            assert alone in (ch, "") or (convert.endswith("p") and ch in local), (i, ch, src)
        else:  # a block: a placeholder, a phrase, a whitespace run or a shortened repeat
            assert src.strip() != "" or ch == " "
    for kind, s, e in n.pii:  # every placeholder maps to exactly its redacted value
        ph = PLACEHOLDERS[kind]
        starts = [m.start() for m in re.finditer(re.escape(ph), n.text)]
        assert any(n.to_original(p, p + len(ph)) == (s, e) for p in starts)


@pytest.mark.parametrize("convert", ["t2s", "tw2sp"])
@pytest.mark.parametrize("text", MIXED)
def test_unchanged_substrings_map_to_themselves(convert: str, text: str) -> None:
    """Every substring of the normalised text that appears verbatim in the original maps onto that copy."""
    n = Normaliser(convert=convert).normalise(text)
    for m in re.finditer(r"[\u4e00-\u9fff]{2,}|[A-Za-z]{2,}|[0-9]{2,}", n.text):
        if m.group() in text:  # the span is the same text, plus any repeats that were cut after it
            span = n.original_span(*m.span())
            rest = span[len(m.group()):]
            assert span.startswith(m.group()) and set(rest) <= set(m.group()), (m.group(), span)


def test_identity_when_nothing_changes(norm: Normaliser) -> None:
    n = norm.normalise("物流很快，包装不错")
    assert n.text == n.original
    assert n.offsets == tuple(range(len(n.text) + 1))
    assert n.pii == ()


def test_to_original_rejects_spans_outside_the_text(norm: Normaliser) -> None:
    n = norm.normalise("好评")
    with pytest.raises(InputError, match="outside"):
        n.to_original(1, 3)
    with pytest.raises(InputError, match="outside"):
        n.to_original(2, 1)


def test_normalised_without_ends_derives_them_from_offsets() -> None:
    n = Normalised("記憶體不夠", "内存不够", (0, 0, 3, 4, 5))
    assert n.original_span(1, 2) == "記憶體"
    assert n.original_span(0, 4) == "記憶體不夠"
    assert n.original_span(2, 3) == "不"


# ------------------------------------------------------------------------------------------------
# Frames, batches, robustness
# ------------------------------------------------------------------------------------------------
def test_normalise_frame_adds_one_column_and_does_not_mutate() -> None:
    df = pd.DataFrame({"id": [1, 2, 3, 4], "评论": ["服務很好！！！！", None, float("nan"), "電話13812345678"],
                       "score": [9, 3, 7, 10]}, index=[10, 11, 12, 13])
    before = df.copy()
    out = normalise_frame(df, text="评论")
    pd.testing.assert_frame_equal(df, before)
    assert list(out.columns) == ["id", "评论", "score", schema.TEXT_NORMALISED]
    assert list(out.index) == [10, 11, 12, 13]
    assert out[schema.TEXT_NORMALISED].tolist() == ["服务很好！！！", "", "", "电话<PHONE>"]
    pd.testing.assert_frame_equal(out.drop(columns=schema.TEXT_NORMALISED), before)


def test_normalise_frame_uses_config() -> None:
    df = pd.DataFrame({"t": ["記憶體"]})
    out = normalise_frame(df, text="t", config=Config(convert="tw2sp"))
    assert out[schema.TEXT_NORMALISED].iloc[0] == "内存"


def test_normalise_frame_unknown_column() -> None:
    with pytest.raises(InputError, match="column 'comment' not found.*评论. Pass text="):
        normalise_frame(pd.DataFrame({"评论": ["好"]}), text="comment")


def test_normalise_frame_reuses_a_normaliser() -> None:
    df = pd.DataFrame({"t": ["記憶體不夠！！！！", "電話0912345678"]})
    out = normalise_frame(df, text="t", normaliser=Normaliser(convert="tw2sp", redact_pii=False, max_repeat=1))
    assert out[schema.TEXT_NORMALISED].tolist() == ["内存不够！", "电话0912345678"]


def test_normalise_many_keeps_order(norm: Normaliser) -> None:
    texts = ["這家店", None, "好好好好", ""]
    assert [n.text for n in norm.normalise_many(texts)] == ["这家店", "", "好好好", ""]


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, "", " ", "\u200b\n\t"])
def test_missing_and_empty_give_empty_text(norm: Normaliser, value: object) -> None:
    n = norm.normalise(value)  # type: ignore[arg-type]
    assert n.text == ""
    assert n.offsets == (len(n.original),)
    missing = value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
    assert n.original == ("" if missing else value)


@pytest.mark.parametrize("text", [
    "😂😂😂😂😂", "👍🏻", "🇭🇰🇹🇼", "[捂脸][捂脸]", "！！！！", "#", "@", "<>", "..", "http://", "0" * 40,
    "\x00" * 10, "\U0010ffff\ufffe\ufdd0", "ｶﾞｷﾞ", "e\u0301\u0301", "\u0301", "記" * 5 + "\n",
])
def test_odd_inputs_never_crash(tw: Normaliser, norm: Normaliser, text: str) -> None:
    for nm in (norm, tw):
        assert_well_formed(nm.normalise(text))
        nm.redact(text)


def test_random_garbage_never_crashes() -> None:
    rng = random.Random(7)
    pool = [chr(rng.randrange(0, 0x110000)) for _ in range(3000)]
    pool += list("記憶體軟體部落格哈薩克好！，。 \u200b\u200d👍🏻❤\ufe0f１２３@#.:/0123456789ｶﾞ\u0301㎡…～\ud800")
    normalisers = [Normaliser(convert=c) for c in ("t2s", "tw2sp", "hk2s", "s2twp")]
    for _ in range(400):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 80)))
        for nm in normalisers:
            n = nm.normalise(text)
            assert_well_formed(n)
            n.text.encode("utf-8")  # no lone surrogates left


def test_bytes_are_decoded(norm: Normaliser) -> None:
    assert norm.normalise("這家店".encode()).text == "这家店"  # type: ignore[arg-type]
    assert_well_formed(norm.normalise(b"\xff\xfe\x00abc"))  # type: ignore[arg-type]


@pytest.mark.parametrize("convert", ["t2s", "tw2sp"])
def test_long_text(convert: str) -> None:
    rng = random.Random(3)
    pieces = ["記憶體", "軟體", "很好", "，", "！！！！！", " ", "電話13812345678", "😂"]
    text = "".join(rng.choice(pieces) for _ in range(20000))
    text = text[:100_000]
    n = Normaliser(convert=convert).normalise(text)
    assert_well_formed(n)
    assert "！！！！" not in n.text
    assert "13812345678" not in n.text


def test_thread_safe_lazy_build() -> None:
    shared = Normaliser(convert="tw2sp")
    texts = [f"第{i}則：記憶體不夠！！！！ 0912-345-678" for i in range(200)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda t: shared.normalise(t).text, texts))
    assert got == [Normaliser(convert="tw2sp").normalise(t).text for t in texts]
    assert got[0] == "第0则：内存不够！！！ <PHONE>"


def test_pickle_round_trip() -> None:
    n = Normaliser(convert="tw2sp", max_repeat=2)
    n.normalise("預熱")
    copy = pickle.loads(pickle.dumps(n))
    assert (copy.convert, copy.redact_pii, copy.max_repeat) == ("tw2sp", True, 2)
    assert copy.normalise("記憶體好好好").text == "内存好好"


def test_every_character_of_a_placeholder_maps_to_the_whole_value(keep_script: Normaliser) -> None:
    n = keep_script.normalise("写信a@b.com好")  # the value is as long as <EMAIL>: still one block
    assert n.text == "写信<EMAIL>好"
    assert {n.original_span(i, i + 1) for i in range(2, 9)} == {"a@b.com"}
    assert n.original_span(9, 10) == "好"


def test_compiled_repeat_check_agrees_with_its_regular_expression() -> None:
    """voc/_scan.pyx has_repeat finds exactly what (.)\\1{n}|(..)\\2{n} finds."""
    import random
    import re

    from voc import normalise

    if normalise._scan is None:
        pytest.skip("voc._scan is not built here: the regular expression is the only check")
    rng = random.Random(5)
    texts = ["好好好好吃", "哈哈哈哈", "好吃好吃好吃好吃", "好吃好吃好吃", "ababab", "abababab", "", "a", "😀😀😀😀",
             "太太太慢了", "送餐很快"] + ["".join(rng.choices("好吃哈ab😀 ", k=rng.randint(0, 30))) for _ in range(3000)]
    for n in (0, 1, 2, 3, 4):
        rx = re.compile(f"(.)\\1{{{n}}}|(..)\\2{{{n}}}" if n else "(?!)", re.DOTALL)
        for text in texts:
            assert normalise._scan.has_repeat(text, n) == (rx.search(text) is not None), (n, text)
