"""Tests for voc.pii: what counts as personal data, redaction of texts and frames, and that redaction never
changes how a text is tagged."""
from __future__ import annotations

import pandas as pd
import pytest

from voc.config import Config
from voc.errors import InputError
from voc.pii import PLACEHOLDERS, Redactor, pii_regions, redact_frame, redact_text, without_pii
from voc.pipeline import Pipeline

# ------------------------------------------------------------------------------------------------
# Patterns
# ------------------------------------------------------------------------------------------------
FOUND = [
    # mainland mobiles, with country code, spaces and dashes
    ("有问题打+86 139 1234 5678找我", "phone", "+86 139 1234 5678"),
    ("电话139-1234-5678，晚上别打", "phone", "139-1234-5678"),
    ("0086 13712345678 是我老公的", "phone", "0086 13712345678"),
    ("收件人手机15012345678", "phone", "15012345678"),
    # Taiwan mobiles and landlines
    ("我的手機0912-345-678", "phone", "0912-345-678"),
    ("手機號碼0912345678請回電", "phone", "0912345678"),
    ("國外請撥+886 912 345 678", "phone", "+886 912 345 678"),
    ("門市電話(02) 2345-6789週一公休", "phone", "(02) 2345-6789"),
    # Hong Kong: eight digits count only with a phone word before them (or written 9123 4567)
    ("電話 61234567 搵陳生", "phone", "61234567"),
    ("手提：98765432", "phone", "98765432"),
    ("call 2345 6789 for booking", "phone", "2345 6789"),
    ("Tel:23456789", "phone", "23456789"),
    ("WhatsApp 51234567 訂位", "phone", "51234567"),
    ("手機號碼是 92345678", "phone", "92345678"),
    # emails (full-width at sign too)
    ("发到 wang.fang@example.cn 就行", "email", "wang.fang@example.cn"),
    ("信箱ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ", "email", "ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
    # ID numbers with valid checksums
    ("身份证号 440304198512310011 麻烦核对", "id_card", "440304198512310011"),
    ("身分證B123456780遺失", "id_card", "B123456780"),
    ("身份證 C668668(9) 登記", "id_card", "C668668(9)"),
    # bank cards: Luhn-valid, with an issuer prefix
    ("退到卡里 4123 4567 8901 2349 吧", "bank_card", "4123 4567 8901 2349"),
    ("银行卡6222021234567890128", "bank_card", "6222021234567890128"),
]


@pytest.mark.parametrize("text, kind, value", FOUND)
def test_personal_data_found_and_redacted(text: str, kind: str, value: str) -> None:
    out = redact_text(text)
    assert value not in out
    assert out == text.replace(value, PLACEHOLDERS[kind])
    assert [(k, text[s:e]) for k, s, e in Redactor().spans(text)] == [(kind, value)]


@pytest.mark.parametrize("text", [
    "订单号 202312011234567 还没发货",  # 15-digit order number
    "订单号：4123456789012349",  # Luhn-valid and card-shaped, but an order number
    "单号5123456789010查不到",  # the same for a tracking number
    "顺丰SF4123456789012349到了",  # tracking number: letters before the digits
    "原价¥1380，现在￥998",
    "2024-03-15 下的单，2024/03/18 才到",
    "14:30 送到，晚了 45 分钟",
    "一共买了 12 件，花了 3299.00 元",
    "编号61234567",  # eight digits with no phone word
    "房间 2308，早餐 7:00-10:00",
    "身份证110101199003077775",  # wrong check character
    "身份證A123456788",  # wrong Taiwan checksum
    "卡号4123456789012345",  # fails Luhn
    "物流@0-2|价格@5-7",  # an evidence column: no email, no mention
])
def test_look_alikes_are_not_personal_data(text: str) -> None:
    assert redact_text(text) == text
    assert Redactor().spans(text) == []


def test_redact_text_of_missing_values() -> None:
    assert redact_text(None) == ""
    assert redact_text(float("nan")) == ""


def test_links_only_when_asked() -> None:
    text = "@小明 看 https://shop.example.com/item/13812345678 或打13812345678"
    assert redact_text(text) == "@小明 看 https://shop.example.com/item/<PHONE> 或打<PHONE>"
    assert Redactor(links=True).redact(text) == "<USER> 看 <URL> 或打<PHONE>"
    assert Redactor(pii=False, links=False).redact(text) == text
    # a user name holds a letter: "@0-2" in an evidence column is none
    assert Redactor(links=True).redact("物流@0-2，找@客服小王") == "物流@0-2，找<USER>"


# ------------------------------------------------------------------------------------------------
# Frames
# ------------------------------------------------------------------------------------------------
@pytest.fixture()
def survey() -> pd.DataFrame:
    return pd.DataFrame({
        "resp_id": ["13812345678", "A123456789", "r3"],  # ids that look like a phone and an ID number
        "comment": ["电话13812345678，物流很慢", "服务很好", None],
        "original_text": ["我的手機0912-345-678，外送很慢", "服務很好", "卡号6222021234567890128扣错了"],
        "evidence": ["logistics.delivery_speed:很慢@17-19", "service.staff:服务@0-2", ""],
        "note": ["回访13812345678", "", "ok"],
        "nps": [3, 9, 5],
        "score": [-0.8, 0.9, float("nan")],
    }, index=[7, 8, 9])


def test_redact_frame_redacts_free_text_and_leaves_the_rest(survey: pd.DataFrame) -> None:
    before = survey.copy()
    out = redact_frame(survey, keep=["note"], id_columns=["resp_id"])
    pd.testing.assert_frame_equal(survey, before)  # the input is not changed
    assert out is not survey
    assert out["comment"].tolist()[:2] == ["电话<PHONE>，物流很慢", "服务很好"]
    assert pd.isna(out["comment"].iloc[2])
    assert out["original_text"].tolist() == ["我的手機<PHONE>，外送很慢", "服務很好", "卡号<CARD>扣错了"]
    pd.testing.assert_series_equal(out["evidence"], survey["evidence"])
    pd.testing.assert_series_equal(out["note"], survey["note"])
    pd.testing.assert_series_equal(out["resp_id"], survey["resp_id"])
    pd.testing.assert_frame_equal(out[["nps", "score"]], survey[["nps", "score"]])
    assert list(out.columns) == list(survey.columns)
    assert list(out.index) == [7, 8, 9]


def test_redact_frame_columns_and_ids(survey: pd.DataFrame) -> None:
    out = redact_frame(survey, columns=["note", "resp_id"], id_columns=["resp_id"])
    assert out["note"].tolist() == ["回访<PHONE>", "", "ok"]
    assert out["resp_id"].tolist() == survey["resp_id"].tolist()  # ids win over columns=
    assert out["comment"].tolist()[0] == "电话13812345678，物流很慢"  # not asked for


def test_redact_frame_string_and_categorical_columns() -> None:
    df = pd.DataFrame({"s": pd.array(["电邮 chan@example.hk", None], dtype="string"),
                       "c": pd.Categorical(["電話 61234567", "好"])})
    out = redact_frame(df)
    assert out["s"].tolist()[0] == "电邮 <EMAIL>"
    assert str(out["s"].dtype) == "string"
    assert out["c"].tolist() == ["電話 <PHONE>", "好"]
    assert isinstance(out["c"].dtype, pd.CategoricalDtype)


def test_redact_frame_unknown_column_names_the_parameter(survey: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"columns=.*'comments'.*columns are: resp_id, comment"):
        redact_frame(survey, columns=["comments"])


# ------------------------------------------------------------------------------------------------
# Analysis regions
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, regions", [
    ("我的手机<PHONE>物流很慢", ((2, 11),)),
    ("我的手机13812345678物流很慢", ((2, 15),)),  # redaction off: the raw number, with its label
    ("电话号码是：<PHONE>", ((0, 13),)),
    ("<PHONE>，<EMAIL>", ((0, 7), (8, 15))),
    ("看<URL>，@<USER>", ()),  # links are not personal data
    ("原价¥1380，订单号202312011234567", ()),
    ("物流很快", ()),
])
def test_pii_regions(text: str, regions: tuple[tuple[int, int], ...]) -> None:
    assert pii_regions(text) == regions


def test_without_pii() -> None:
    assert without_pii("我的手机<PHONE>物流很慢") == "我的物流很慢"
    assert without_pii("邮箱<EMAIL>，客服不回") == "，客服不回"
    assert without_pii("价格¥1380") == "价格¥1380"


# ------------------------------------------------------------------------------------------------
# Redaction never changes the answer
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def unredacted() -> Pipeline:
    return Pipeline(Config(redact_pii=False)).warm_up()


# (text with personal data, the same text without it and its label), at the start, middle and end;
# Simplified, Taiwan and Hong Kong
SAME_ANSWER = [
    ("我的手机13812345678物流很慢", "我的物流很慢"),
    ("13812345678 快递太慢了，等了五天", "快递太慢了，等了五天"),
    ("客服态度很差，有事打电话13912345678", "客服态度很差，有事打"),
    ("物流很快，包装也好，电话：139-1234-5678", "物流很快，包装也好，"),
    ("手機0912-345-678，外送超慢，餐都涼了", "外送超慢，餐都涼了"),
    ("服務很好，電話(02) 2345-6789，CP值很高", "服務很好，CP值很高"),
    ("WhatsApp 6123 4567 送餐好快，好味", "送餐好快，好味"),
    ("邮箱li.wei@example.com，退款一直没到账", "退款一直没到账"),
    ("卡号6222021234567890128被扣了两次钱，客服不处理", "被扣了两次钱，客服不处理"),
    ("价格实惠，身份證A123456789，房间干净", "价格实惠，房间干净"),
    ("联系电话+86 139 1234 5678，味道不错但是太贵了", "味道不错但是太贵了"),
]


def _answer(p: Pipeline, text: str) -> tuple[object, ...]:
    r = p.tag(text)
    return r.themes, r.theme_sentiment, r.sentiment


@pytest.mark.parametrize("with_pii, without", SAME_ANSWER)
def test_redaction_never_changes_the_answer(pipeline: Pipeline, unredacted: Pipeline, with_pii: str,
                                            without: str) -> None:
    redacted = pipeline.tag(with_pii)
    kept = unredacted.tag(with_pii)
    assert redacted.themes, "each row should carry at least one theme"
    assert _answer(pipeline, with_pii) == _answer(pipeline, without)
    assert _answer(pipeline, with_pii) == _answer(unredacted, with_pii)
    # redacted or not, the same scores and the same evidence, pointing into the original text
    assert (redacted.score, redacted.theme_scores) == (kept.score, kept.theme_scores)
    assert redacted.evidence == kept.evidence
    for m in redacted.mentions:
        assert with_pii[m.start:m.end] == m.span


def test_phone_word_before_a_number_is_no_phone(pipeline: Pipeline) -> None:
    r = pipeline.tag("我的手机13812345678物流很慢")
    assert r.normalised == "我的手机<PHONE>物流很慢"
    assert r.themes == ("logistics",)
    assert (r.theme_sentiment, r.sentiment) == ({"logistics": "negative"}, "negative")
    assert [m.span for m in r.mentions] == ["物流", "很慢"]
    assert r.mentions[0].start == 15  # in the original text, after the number
