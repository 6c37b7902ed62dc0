"""NPS, CSAT, CES and loyalty formulas against numbers worked out by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from voc.errors import InputError
from voc.metrics import (
    ces,
    churn_rate,
    clv,
    clv_retention,
    csat,
    csat_mean,
    nps,
    nps_by,
    parse_scores,
    repeat_purchase_rate,
    retention_rate,
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
    empty = nps(pd.Series([None, "", "N/A"], dtype=object))
    assert empty.value is None and empty.n == 0 and empty.n_invalid == 1
    one = nps(pd.Series([9]))
    assert one.value == 100.0 and one.ci_low is None and any("one respondent" in w for w in one.warnings)


@pytest.mark.parametrize("raw, parsed, kind", [
    ("10", 10.0, "valid"), ("10分", 10.0, "valid"), ("１０", 10.0, "valid"), (" 9 ", 9.0, "valid"),
    ("9.0", 9.0, "valid"), ("7 分", 7.0, "valid"), (9, 9.0, "valid"),
    ("N/A", None, "invalid"), ("十一", None, "invalid"), ("11", None, "invalid"), ("-1", None, "invalid"),
    ("9.5", None, "invalid"), ("abc", None, "invalid"), ("", None, "missing"), (None, None, "missing"),
])
def test_parse_scores_table(raw, parsed, kind) -> None:
    p = parse_scores(pd.Series([raw], dtype=object), low=0, high=10)
    got = p.values.iloc[0]
    assert (parsed is None and np.isnan(got)) or got == parsed
    assert (p.n_valid, p.n_invalid, p.n_missing) == {"valid": (1, 0, 0), "invalid": (0, 1, 0), "missing": (0, 0, 1)}[kind]
    if kind == "invalid":
        assert p.invalid_examples == (f"row 1: {str(raw)!r}",)


def test_csat_top_two_box_with_wilson_interval() -> None:
    s = csat(pd.Series([5, 4, 4, 3, 1, None, "6"], dtype=object))
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
