"""Driver tables: definitions checked by hand, and the drivers planted in the demo survey recovered."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from voc.config import Config
from voc.drivers import driver_table, follow_up, kano_class, relative_weights, trend_table
from voc.errors import InputError

CORPORA = Path(__file__).resolve().parent.parent / "corpora"


def _tagged(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    late = rng.random(n) < 0.25
    cheap = rng.random(n) < 0.2
    score = np.clip(np.round(8 - 4 * late + 1.5 * cheap + rng.normal(0, 1.5, n)), 0, 10).astype(int)
    themes = [";".join(t for t, on in (("logistics", a), ("price", b)) if on) for a, b in zip(late, cheap)]
    return pd.DataFrame({
        "response_id": [str(i) for i in range(n)], "comment": ["评论"] * n, "nps": score,
        "csat": np.clip(score // 2, 1, 5), "themes": themes,
        "subthemes": [";".join(s for s, on in (("logistics.delivery_speed", a), ("price.value_for_money", b)) if on)
                      for a, b in zip(late, cheap)],
        "logistics_sentiment": np.where(late, "negative", ""), "price_sentiment": np.where(cheap, "positive", ""),
        "region": rng.choice(["华东", "华南"], n),
        "submitted_at": pd.date_range("2026-04-01", periods=n, freq="8h").astype(str),
        "sentiment_score": rng.uniform(-1, 1, n),
    })


FAST = Config(bootstrap=200)


def test_columns_and_impact_equals_share_times_gap() -> None:
    t = driver_table(_tagged(), score="nps", metric="nps", config=FAST)
    assert list(t.columns) == ["theme", "polarity", "n", "share", "score_with", "score_without", "gap", "gap_ci_low",
                               "gap_ci_high", "impact", "impact_ci_low", "impact_ci_high", "p_value", "p_adjusted",
                               "relative_weight", "kano", "low_n"]
    assert np.allclose(t["impact"], t["share"] * t["gap"], atol=1e-9)
    row = t[(t.theme == "logistics") & (t.polarity == "negative")].iloc[0]
    assert row.impact < 0 and row.p_adjusted < 0.001 and row.impact_ci_low < row.impact < row.impact_ci_high


def test_leave_one_out_by_hand() -> None:
    df = pd.DataFrame({"nps": [10, 9, 0, 3, 8, 10], "themes": ["logistics", "logistics", "logistics", "", "", ""],
                       "logistics_sentiment": ["positive", "positive", "negative", "", "", ""]})
    t = driver_table(df, score="nps", metric="nps", level="theme", config=FAST).set_index(["theme", "polarity"])
    # all: 3 promoters, 1 passive, 2 detractors -> NPS 16.67; without the three mentioners: [3, 8, 10] -> 0
    assert t.loc[("logistics", "any"), "impact"] == pytest.approx(100 / 6)
    assert t.loc[("logistics", "any"), "score_with"] == pytest.approx(100 / 3)
    assert t.loc[("logistics", "any"), "score_without"] == pytest.approx(0.0)
    assert t.loc[("logistics", "any"), "low_n"]


def test_bootstrap_is_seeded() -> None:
    a = driver_table(_tagged(), score="nps", config=FAST)
    b = driver_table(_tagged(), score="nps", config=FAST)
    c = driver_table(_tagged(), score="nps", config=Config(bootstrap=200, seed=7))
    assert a["impact_ci_low"].equals(b["impact_ci_low"])
    assert not np.allclose(a["impact_ci_low"], c["impact_ci_low"])


def test_relative_weights_sum_to_r2() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    X = (rng.random((500, 3)) < [0.3, 0.2, 0.5]).astype(float)
    y = 7 - 3 * X[:, 0] + 1 * X[:, 1] + rng.normal(0, 1, 500)
    w, r2 = relative_weights(X, y)
    assert (w >= 0).all() and w.sum() == pytest.approx(r2)
    assert r2 == pytest.approx(sm.OLS(y, sm.add_constant(X)).fit().rsquared, abs=1e-9)
    assert w.argmax() == 0


@pytest.mark.parametrize("penalty, reward, ps, rs, cls", [
    (2.0, 0.1, True, False, "must-have"), (0.1, 1.5, False, True, "delighter"),
    (1.0, 1.0, True, True, "performance"), (0.2, 0.1, False, False, "indifferent"),
])
def test_kano_rule(penalty, reward, ps, rs, cls) -> None:
    assert kano_class(penalty, reward, ps, rs) == cls


def test_planted_must_have_is_classified() -> None:
    t = driver_table(_tagged(), score="nps", level="theme", config=FAST).set_index(["theme", "polarity"])
    assert t.loc[("logistics", "negative"), "kano"] == "must-have"
    assert t.loc[("price", "positive"), "kano"] == "delighter"


def test_segments_include_pooled_rows() -> None:
    t = driver_table(_tagged(), score="nps", segment="region", level="theme", config=FAST)
    assert set(t["segment"]) == {"All", "华东", "华南"}
    pooled = driver_table(_tagged(), score="nps", level="theme", config=FAST)
    all_rows = t[t.segment == "All"].drop(columns="segment").reset_index(drop=True)
    assert np.allclose(all_rows["impact"], pooled["impact"])


def test_trend_flags_a_planted_jump() -> None:
    df = pd.DataFrame({"nps": [10] * 100 + [2] * 100, "themes": [""] * 200,
                       "d": ["2026-05-03"] * 100 + ["2026-06-03"] * 100})
    tr = trend_table(df, score="nps", metric="nps", date="d")
    assert tr["period"].tolist() == ["2026-05", "2026-06"]
    assert tr["change_significant"].tolist() == [False, True]


def test_follow_up_most_severe_first() -> None:
    df = pd.DataFrame({"response_id": ["a", "b", "c", "d"], "nps": [6, 0, 9, 3], "csat": [3, 2, 1, 5],
                       "comment": ["电话13800138000", "太差", "一般", "慢"], "themes": ["", "", "", ""],
                       "sentiment_score": [0.1, -0.9, 0.0, -0.2]})
    f = follow_up(df, text="comment", nps="nps", csat="csat", redact=lambda s: s.replace("13800138000", "<PHONE>"))
    assert f["response_id"].tolist() == ["b", "d", "a", "c"]  # c is a promoter but gave CSAT 1
    assert "<PHONE>" in f.loc[f.response_id == "a", "comment"].iloc[0]


def test_no_theme_gives_an_empty_table_with_a_reason() -> None:
    t = driver_table(pd.DataFrame({"nps": [1, 9], "themes": ["", ""]}), score="nps")
    assert t.empty and "no response mentions" in t.attrs["explanation"]


def test_unusable_scores() -> None:
    with pytest.raises(InputError, match="column 'score' not found"):
        driver_table(_tagged(), score="score")
    with pytest.raises(InputError, match="no valid NPS"):
        driver_table(pd.DataFrame({"nps": ["N/A", ""], "themes": ["price", ""]}), score="nps")


def test_planted_demo_drivers_are_recovered() -> None:
    survey = pd.read_csv(CORPORA / "demo_survey.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(CORPORA / "demo_truth.csv", dtype=str, keep_default_na=False)
    facts = json.loads((CORPORA / "demo_truth.json").read_text(encoding="utf-8"))
    tagged = survey.assign(themes=truth["themes"], subthemes=truth["subthemes"],
                           **{f"{t}_sentiment": truth[t] for t in ("logistics", "price", "service", "product")})
    tagged["nps"] = tagged["nps"].replace("10分", "")  # the truth file counts these as junk; voc reads them as 10
    tagged["nps"] = tagged["nps"].replace("11", "")  # off-scale answers are refused by default: the truth file drops them
    t = driver_table(tagged, score="nps", level="theme", config=Config(bootstrap=300))
    rows = t.set_index(["theme", "polarity"])
    checked = 0
    for d in facts["drivers"]:
        if d["subtheme"] or (d["theme"], d["polarity"]) not in rows.index:
            continue
        row = rows.loc[(d["theme"], d["polarity"])]
        assert row["impact"] == pytest.approx(d["nps"]["impact"], abs=0.01)
        assert row["gap"] == pytest.approx(d["nps"]["gap"], abs=0.01)
        assert row["impact_ci_low"] <= d["nps"]["impact"] <= row["impact_ci_high"]
        checked += 1
    assert checked >= 6
    # the biggest planted cost is negative logistics, then negative service / product
    neg = t[t.polarity == "negative"].sort_values("impact")
    assert neg.iloc[0]["theme"] == "logistics"


def test_importance_for_score_promoters_and_detractors() -> None:
    from voc.drivers import importance_table

    imp = importance_table(_tagged(), score="nps", metric="nps")
    assert list(imp.columns) == ["theme", "polarity", "weight_score", "weight_top", "weight_bottom"]
    assert imp.iloc[0]["theme"] == "logistics" and imp.iloc[0]["polarity"] == "negative"
    assert imp["weight_score"].sum() == pytest.approx(imp.attrs["r2_score"])
    assert imp["weight_bottom"].sum() == pytest.approx(imp.attrs["r2_bottom"])
