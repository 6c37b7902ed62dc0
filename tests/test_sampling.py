"""The validation sample: inclusion probabilities, the label sheet (CSV and Excel) and the plan."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from voc.errors import InputError
from voc.sampling import draw_sample, plan, priority, write_label_sheet
from voc.validated import ppi_impact, read_labels

THEMES = ["logistics", "price", "service", "product"]
COMMENTS = ["快递三天才到，盒子也压扁了", "价格实惠，下次还买", "客服回复很慢", "东西质量一般", "挺好的"]


def _tagged(n: int = 1000, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    late = rng.random(n) < 0.25
    cheap = rng.random(n) < 0.03  # a rare theme
    return pd.DataFrame({
        "response_id": [f"r{i}" for i in range(n)],
        "comment": [COMMENTS[i % len(COMMENTS)] for i in range(n)],
        "nps": np.clip(np.round(8 - 4 * late + rng.normal(0, 1.5, n)), 0, 10).astype(int),
        "themes": [";".join(t for t, on in (("logistics", a), ("price", b)) if on) for a, b in zip(late, cheap)],
        "subthemes": ["logistics.delivery_speed" if a else "" for a in late],
        "logistics_sentiment": np.where(late, "negative", ""), "price_sentiment": np.where(cheap, "positive", ""),
        "sentiment": np.where(late, "negative", "positive"),
        "sentiment_score": rng.uniform(-1, 1, n),
        "evidence": ["logistics.delivery_speed:三天才到@2-6" if a else "" for a in late],
    })


def test_simple_random_sample() -> None:
    t = _tagged()
    s = draw_sample(t, n=200, seed=1, text="comment", theme_ids=THEMES)
    assert len(s) == 200 and s["id"].is_unique
    assert np.allclose(s["inclusion_probability"], 0.2)
    assert list(s.columns) == ["id", "text", "themes", *THEMES, "overall", "inclusion_probability",
                               "predicted_themes", *(f"predicted_{x}" for x in THEMES), "predicted_overall"]
    assert (s[["themes", *THEMES, "overall"]] == "").all().all()  # label columns start blank
    row = s[s["predicted_logistics"] == "negative"].iloc[0]
    assert row["predicted_themes"].startswith("logistics") and "logistics.delivery_speed" in row["predicted_themes"]
    again = draw_sample(t, n=200, seed=1, text="comment", theme_ids=THEMES)
    pd.testing.assert_frame_equal(s, again)


def test_stratified_sample_oversamples_unsure_and_rare_rows() -> None:
    t = _tagged()
    high = priority(t, theme_ids=THEMES)
    s = draw_sample(t, n=200, seed=1, stratify=True, text="comment", theme_ids=THEMES)
    assert len(s) == 200
    pi = dict(zip(s["id"], s["inclusion_probability"]))
    # the inclusion probabilities of all N rows sum to n: each stratum's 1/π sums to its size
    assert (1 / s["inclusion_probability"]).sum() == pytest.approx(len(t))
    drawn_high = s["id"].isin(t.loc[high, "response_id"])
    assert s.loc[drawn_high, "inclusion_probability"].iloc[0] == pytest.approx(
        3 * s.loc[~drawn_high, "inclusion_probability"].iloc[0], rel=0.02)
    assert all(pi[r] > 0.2 for r in t.loc[t["themes"].str.contains("price"), "response_id"] if r in pi)
    assert drawn_high.mean() > high.mean() * 2


def test_priority_reads_scores_and_model_only_mentions() -> None:
    t = pd.DataFrame({"themes": ["logistics", "logistics", "logistics", ""] * 10,
                      "sentiment_score": [0.05, 0.9, -0.8, 0.0] * 10,
                      "evidence": ["logistics.courier:快递员@0-3", "logistics.courier:快递员@0-3", "", ""] * 10})
    assert priority(t, theme_ids=THEMES)[:4].tolist() == [True, False, True, False]


def test_prefill_copies_the_prediction() -> None:
    s = draw_sample(_tagged(), n=50, prefill=True, text="comment", theme_ids=THEMES)
    assert (s["themes"] == s["predicted_themes"].str.replace(";logistics.delivery_speed", "")
            .str.replace("logistics.delivery_speed", "")).all()
    assert (s["logistics"] == s["predicted_logistics"]).all() and (s["overall"] == s["predicted_overall"]).all()


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="column 'text' not found"):
        draw_sample(_tagged(), text="text", theme_ids=THEMES)
    with pytest.raises(InputError, match="n must be a positive"):
        draw_sample(_tagged(), n=0, text="comment", theme_ids=THEMES)


def test_xlsx_sheet_has_validation_no_formulas_and_reads_back(tmp_path) -> None:
    t = _tagged(60)
    t.loc[0, "comment"] = "=HYPERLINK(\"http://example.com\",\"点我\") 快递太慢"
    s = draw_sample(t, n=60, text="comment", theme_ids=THEMES)
    path = write_label_sheet(s, tmp_path / "labels.xlsx", theme_ids=THEMES)
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "labels" and "instructions" in wb.sheetnames[1]
    ws = wb["labels"]
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2"
    ranges = {str(r) for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges}
    for col in (*THEMES, "overall"):
        letter = ws.cell(row=1, column=header.index(col) + 1).column_letter
        assert f"{letter}2:{letter}61" in ranges
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert ws.cell(row=2, column=2).value.startswith("=HYPERLINK")
    pred = ws.cell(row=2, column=header.index("predicted_logistics") + 1)
    label = ws.cell(row=2, column=header.index("logistics") + 1)
    assert ws.protection.sheet and pred.protection.locked and not label.protection.locked
    assert pred.fill.fgColor.rgb.endswith("D9D9D9")
    text = " ".join(str(c.value) for c in wb.worksheets[1]["A"])
    assert "如何标注" in text and "How to label" in text
    lab = read_labels(path, theme_ids=THEMES)
    assert lab.frame["id"].tolist() == s["id"].tolist()
    assert lab.frame["inclusion_probability"].tolist() == pytest.approx(s["inclusion_probability"].tolist())


def test_csv_sheet_reads_back(tmp_path) -> None:
    s = draw_sample(_tagged(), n=30, prefill=True, text="comment", theme_ids=THEMES)
    path = write_label_sheet(s, tmp_path / "labels.csv", theme_ids=THEMES)
    lab = read_labels(path, theme_ids=THEMES)
    assert len(lab) == 30 and lab.frame["logistics"].tolist() == s["logistics"].tolist()


def test_plan_matches_the_interval_it_predicts() -> None:
    """Under the plan's own assumptions (precision = recall = 0.8, mention independent of score given the
    tagger), its half-width for n = 400 is what the estimator gives on average."""
    rng = np.random.default_rng(5)
    t = _tagged(3000)
    p = plan(t, score="nps", theme_ids=THEMES).set_index(["theme", "polarity"])
    hw = p.loc[("logistics", "negative")]
    assert hw.half_width_200 > hw.half_width_400 > hw.half_width_800
    assert hw.half_width_200 / hw.half_width_800 == pytest.approx(2, rel=0.15)
    f = (t["logistics_sentiment"] == "negative").to_numpy()
    c = np.where(t["nps"] >= 9, 100.0, np.where(t["nps"] <= 6, -100.0, 0.0))
    q0 = f.sum() * 0.2 / (len(f) - f.sum())
    widths = []
    for _ in range(100):
        y = np.where(f, rng.random(len(f)) < 0.8, rng.random(len(f)) < q0)
        labelled = np.zeros(len(f), dtype=bool)
        labelled[rng.choice(len(f), 400, replace=False)] = True
        lo, hi = ppi_impact(c, f, y, labelled).ci
        widths.append((hi - lo) / 2)
    assert np.mean(widths) == pytest.approx(hw.half_width_400, rel=0.1)
