"""NPS, CSAT, CES and loyalty formulas against numbers worked out by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from voc.errors import InputError
from voc.metrics import (
    SCALE_CHECK_MIN,
    ces,
    churn_rate,
    clv,
    clv_retention,
    csat,
    csat_bands,
    csat_mean,
    nps,
    nps_by,
    parse_scores,
    read_score,
    repeat_purchase_rate,
    retention_rate,
    score_checks,
)


@pytest.mark.parametrize("scores, value, n", [
    ([10, 9, 8, 7, 3], 20.0, 5),                    # 2 promoters, 2 passives, 1 detractor: (2 - 1) / 5
    ([8, 7, 8, 7], 0.0, 4),                         # all passive
    ([10, None, "", 0], 0.0, 2),                    # blanks are excluded, never counted as 0
    (["10分", "１０", " 9 ", "9.0", "6"], 60.0, 5),  # Chinese, full-width and padded answers are read
    ([0, 1, 2], -100.0, 3),
])
def test_nps_by_hand(scores, value, n) -> None:
    s = nps(pd.Series(scores, dtype=object))
    assert s.value == pytest.approx(value)
    assert s.n == n


def test_nps_standard_error_and_interval() -> None:
    s = nps(pd.Series([10] * 50 + [8] * 30 + [3] * 20))
    p, d = 0.5, 0.2
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / 100)
    assert s.value == pytest.approx(30.0)
    assert s.se == pytest.approx(se)
    assert s.ci_low == pytest.approx(30 - 1.959964 * se, abs=1e-4)
    assert s.shares == pytest.approx({"promoters": 0.5, "passives": 0.3, "detractors": 0.2})


def test_nps_edge_cases() -> None:
    empty = nps(pd.Series([None, "", "N/A", "不适用"], dtype=object))
    assert empty.value is None and empty.n == 0 and empty.n_missing == 4 and empty.n_invalid == 0
    one = nps(pd.Series([9]))
    assert one.value == 100.0 and one.ci_low is None and any("one respondent" in w for w in one.warnings)


@pytest.mark.parametrize("raw, parsed, kind", [
    ("10", 10.0, "valid"), ("10分", 10.0, "valid"), ("１０", 10.0, "valid"), (" 9 ", 9.0, "valid"),
    ("9.0", 9.0, "valid"), ("7 分", 7.0, "valid"), (9, 9.0, "valid"), ("十", 10.0, "valid"),
    ("十分", 10.0, "valid"),  # a score cell saying "ten points", not the adverb "very"
    ("九分", 9.0, "valid"), ("零", 0.0, "valid"), ("两分", 2.0, "valid"), ("１０分", 10.0, "valid"),
    ("十一", None, "invalid"), ("11", None, "invalid"), ("-1", None, "invalid"), ("9.5", None, "invalid"),
    ("二十", None, "invalid"), ("abc", None, "invalid"), ("十分满意", None, "invalid"),
    ("", None, "missing"), (None, None, "missing"), ("N/A", None, "missing"), ("  ", None, "missing"),
])
def test_parse_scores_table(raw, parsed, kind) -> None:
    p = parse_scores(pd.Series([raw, 8], dtype=object), low=0, high=10, drop_invalid=True)
    got = p.values.iloc[0]
    assert (parsed is None and np.isnan(got)) or got == parsed
    assert (p.n_valid - 1, p.n_invalid, p.n_missing) == {"valid": (1, 0, 0), "invalid": (0, 1, 0),
                                                         "missing": (0, 0, 1)}[kind]
    if kind == "invalid":
        assert p.invalid_examples == (f"row 1: {str(raw)!r}",)


@pytest.mark.parametrize("raw", ["十", "十分", "１０", "10分"])
def test_ten_written_in_words_is_a_promoter(raw) -> None:
    assert read_score(raw) == 10.0
    assert nps(pd.Series([raw, "3"], dtype=object)).counts == {"promoters": 1, "passives": 0, "detractors": 1}


def test_a_text_column_as_score_names_the_column_and_three_rows() -> None:
    comments = pd.Series(["物流太慢了", "客服态度不错", "", "包装破损，希望改进", "10", "价格有点贵"], name="意见")
    with pytest.raises(InputError) as exc:
        nps(comments, param="nps")
    msg = str(exc.value)
    assert "column '意见' given as nps= is not a numeric NPS score" in msg
    assert "4 of 5 answers are not numbers" in msg
    assert "row 1: '物流太慢了', row 2: '客服态度不错', row 4: '包装破损，希望改进'" in msg
    assert "价格" not in msg  # three examples, not every row
    with pytest.raises(InputError, match="not a numeric"):  # dropping does not rescue a text column
        parse_scores(comments, low=0, high=10, drop_invalid=True)


def test_values_off_the_scale_are_listed_with_rows_or_dropped_with_a_count() -> None:
    answers = pd.Series(["9", "11", "7", "", "满分", "十一", "3", "8"], name="推荐意愿")
    with pytest.raises(InputError) as exc:
        nps(answers)
    msg = str(exc.value)
    assert "column '推荐意愿' given as score= has 3 NPS value(s) that are not whole numbers from 0 to 10" in msg
    assert "row 2: '11', row 5: '满分', row 6: '十一'" in msg and "drop_invalid=True" in msg
    s = nps(answers, drop_invalid=True)
    assert (s.n, s.n_invalid, s.n_missing) == (4, 3, 1)
    assert s.value == pytest.approx(0.0)  # 9 promoter, 3 detractor, 7 and 8 passive
    assert "3 invalid NPS value(s) excluded (e.g. row 2: '11'" in s.warnings[0]


def test_row_numbers_follow_the_index_of_a_subset() -> None:
    df = pd.DataFrame({"nps": [9, 10, 12, 8]})
    with pytest.raises(InputError, match=r"row 3: '12'"):
        nps(df.loc[df.index >= 1, "nps"])


def test_a_csat_column_passed_as_nps_is_refused_unless_allowed() -> None:
    five = pd.Series([5, 4, 4, 3, 2, 1, 5, 4] * 3, name="满意度")
    with pytest.raises(InputError, match=r"column '满意度' given as score= looks like a 1-5 CSAT scale.*allow_scale=True"):
        nps(five)
    with pytest.raises(InputError, match="1-7 CES scale"):
        nps(pd.Series([7, 6, 5, 2, 1] * 5))
    assert nps(five, allow_scale=True).value == pytest.approx(-100.0)
    assert nps(five.head(SCALE_CHECK_MIN - 1)).value == pytest.approx(-100.0)  # too few to judge
    assert nps(pd.Series([0, 5, 4, 3] * 6)).value == pytest.approx(-100.0)  # a 0 is off a 1-5 scale: NPS
    assert nps(pd.Series([2] * 30 + [5] * 30)).value == pytest.approx(-100.0)  # two values: a bad month, no scale


def test_score_checks_set_the_defaults_for_a_block() -> None:
    five = pd.Series([1, 2, 3, 4, 5] * 5)
    with score_checks(allow_scale=True, drop_invalid=True):
        assert nps(pd.Series([10, 11, 0])).n == 2
        assert nps(five).n == 25
    with pytest.raises(InputError):
        nps(pd.Series([10, 11, 0]))


def test_nps_by_checks_the_scale_once_on_the_whole_column() -> None:
    df = pd.DataFrame({"nps": [10, 9, 8] * 10 + [1, 2, 3, 4, 5] * 5, "region": ["华南"] * 30 + ["台湾"] * 25})
    t = nps_by(df, score="nps", by="region").set_index("region")
    assert t.loc["台湾", "nps"] == -100.0 and t.loc["All", "n"] == 55


def test_csat_bands_count_top_and_bottom_boxes() -> None:
    top, bottom = csat_bands(np.array([1.0, 2.0, 3.0, 6.0, 7.0]), scale=7, top_box=2, bottom_box=1)
    assert top.tolist() == [False, False, False, True, True]
    assert bottom.tolist() == [True, False, False, False, False]


def test_csat_top_two_box_with_wilson_interval() -> None:
    s = csat(pd.Series([5, 4, 4, 3, 1, None, "6"], dtype=object), drop_invalid=True)
    assert s.value == pytest.approx(60.0)  # 3 of 5 valid answers are 4-5; "6" is out of range
    assert s.n == 5 and s.n_invalid == 1 and s.n_missing == 1
    # Wilson 95% interval for 3/5, worked out with the textbook formula
    z, ph, n = 1.959964, 0.6, 5
    centre = (ph + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert s.ci_low == pytest.approx(100 * (centre - half), abs=1e-3)
    assert s.ci_high == pytest.approx(100 * (centre + half), abs=1e-3)
    assert csat(pd.Series([7, 6, 2]), scale=7, top_box=2).value == pytest.approx(200 / 3)


def test_mean_scores_are_labelled_as_means() -> None:
    m = csat_mean(pd.Series([5, 4, 3]))
    assert m.metric == "csat_mean" and m.value == pytest.approx(4.0)
    e = ces(pd.Series([7, 6, 2, 1]))
    assert e.value == pytest.approx(4.0) and e.shares["net"] == pytest.approx(0.0)


def test_pooled_nps_is_recomputed_not_averaged() -> None:
    df = pd.DataFrame({"nps": [10, 10, 10, 0], "region": ["华东", "华东", "华东", "台湾"]})
    t = nps_by(df, score="nps", by="region").set_index("region")
    assert t.loc["华东", "nps"] == 100.0 and t.loc["台湾", "nps"] == -100.0
    assert t.loc["All", "nps"] == pytest.approx(50.0)  # not (100 - 100) / 2


def test_loyalty_formulas() -> None:
    assert retention_rate(200, 180, 30) == pytest.approx(0.75)
    assert churn_rate(200, 180, 30) == pytest.approx(0.25)
    assert repeat_purchase_rate(30, 120) == pytest.approx(0.25)
    assert clv(80, 4, 3, cac=100) == pytest.approx(860)
    assert clv_retention(100, 0.8, 0.1, cac=50) == pytest.approx(100 * 0.8 / 0.3 - 50)
    with pytest.raises(InputError, match="start"):
        retention_rate(0, 10, 2)
    with pytest.raises(InputError, match="cannot exceed"):
        repeat_purchase_rate(5, 3)
