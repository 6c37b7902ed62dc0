"""Validated driver impact: coverage by simulation, the mean estimator against closed forms and ppi_py,
the label reader's errors, and the table on a case small enough to check by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from voc.config import Config
from voc.drivers import COLUMNS, driver_table
from voc.errors import InputError
from voc.validated import MIN_LABELLED, ppi_impact, ppi_mean, read_labels, validated_table

THEMES = ["logistics", "price", "service", "product"]
FAST = Config(bootstrap=100)


# ----------------------------------------------------------------------------------------- simulation

P_MENTION = 0.2
CAT_WITH = np.array([0.5, 0.3, 0.2])  # detractor, passive, promoter among true mentioners
CAT_WITHOUT = np.array([0.15, 0.35, 0.5])
TRUE_IMPACT = P_MENTION * 100 * ((CAT_WITH[2] - CAT_WITH[0]) - (CAT_WITHOUT[2] - CAT_WITHOUT[0]))  # = -13


def _survey(rng: np.random.Generator, n_rows: int) -> tuple[np.ndarray, ...]:
    """True mentions Y, NPS contributions c, a tagger f whose misses and false mentions depend on the score,
    and an 'unsure' flag that is more often on where the tagger is wrong (what a stratified sample uses)."""
    y = rng.random(n_rows) < P_MENTION
    u = rng.random(n_rows)
    cat = np.where(y, np.searchsorted(np.cumsum(CAT_WITH), u), np.searchsorted(np.cumsum(CAT_WITHOUT), u))
    c = np.array([-100.0, 0.0, 100.0])[np.minimum(cat, 2)]
    recall = np.where(c < 0, 0.7, 0.5)
    false_rate = np.where(c < 0, 0.06, 0.03)
    f = np.where(y, rng.random(n_rows) < recall, rng.random(n_rows) < false_rate)
    unsure = np.where(y != f, rng.random(n_rows) < 0.7, rng.random(n_rows) < 0.15)
    return c, f, y, unsure


def _labels_only(c: np.ndarray, y: np.ndarray, labelled: np.ndarray, pi: np.ndarray) -> tuple[float, float]:
    """The classical estimate from the labelled rows alone (Hájek means, delta method)."""
    w = 1 / pi[labelled]
    w = w / w.sum()
    cl, yl = c[labelled], y[labelled].astype(float)
    mc, mm, mcm = (w * cl).sum(), (w * yl).sum(), (w * cl * yl).sum()
    grad = np.array([-mm / (1 - mm), -(mc - mcm) / (1 - mm) ** 2, 1 / (1 - mm)])
    lin = np.column_stack([cl - mc, yl - mm, cl * yl - mcm]) @ grad
    return mc - (mc - mcm) / (1 - mm), float(np.sqrt((w ** 2 * lin ** 2).sum()))


@pytest.mark.parametrize("stratified", [False, True])
def test_coverage_and_width_by_simulation(stratified: bool) -> None:
    rng = np.random.default_rng(16)
    n_rows, n, reps = 1500, 250, 600
    covered = 0
    plain = 0.0
    width = width_labels = 0.0
    for _ in range(reps):
        c, f, y, unsure = _survey(rng, n_rows)
        labelled = np.zeros(n_rows, dtype=bool)
        if stratified:  # the design of draw_sample(stratify=True): unsure rows 3x as likely
            n_high = int(unsure.sum())
            take_high = min(n_high, round(3 * n / (3 * n_high + n_rows - n_high) * n_high))
            labelled[rng.choice(np.flatnonzero(unsure), take_high, replace=False)] = True
            labelled[rng.choice(np.flatnonzero(~unsure), n - take_high, replace=False)] = True
            pi = np.where(unsure, take_high / n_high, (n - take_high) / (n_rows - n_high))
        else:
            labelled[rng.choice(n_rows, n, replace=False)] = True
            pi = np.full(n_rows, n / n_rows)
        est = ppi_impact(c, f, y, labelled, pi=pi)
        lo, hi = est.ci
        covered += lo <= TRUE_IMPACT <= hi
        width += hi - lo
        _, se = _labels_only(c, y, labelled, pi)
        width_labels += 2 * 1.959964 * se
        plain += c.mean() - c[~f].mean()
    assert 0.93 <= covered / reps <= 0.97
    assert width / reps <= width_labels / reps
    assert plain / reps - TRUE_IMPACT > 3  # the tagger's own figure is biased: what the correction is for


# ----------------------------------------------------------------------------------------- the mean

def _mean_case(seed: int = 3, n_rows: int = 3000, n: int = 300) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n_rows) < 0.3).astype(float)
    f = np.where(y > 0, rng.random(n_rows) < 0.8, rng.random(n_rows) < 0.1).astype(float)
    labelled = np.zeros(n_rows, dtype=bool)
    labelled[rng.choice(n_rows, n, replace=False)] = True
    return y, f, labelled


def test_lambda_zero_is_the_labelled_mean() -> None:
    y, f, labelled = _mean_case()
    est = ppi_mean(y, f, labelled, lam=0)
    yl = y[labelled]
    assert est.estimate == pytest.approx(yl.mean())
    assert est.se == pytest.approx(yl.std() / np.sqrt(len(yl)))


def test_lambda_one_is_plain_ppi_with_the_overlap_term() -> None:
    y, f, labelled = _mean_case()
    n_rows, n = len(y), int(labelled.sum())
    est = ppi_mean(y, f, labelled, lam=1)
    r = (y - f)[labelled]
    assert est.estimate == pytest.approx(f.mean() + r.mean())
    # Var = Var_N(f)/N + Var_n(Y − f)/n + 2 Cov_n(f, Y − f)/N: the last term is the labelled rows being in N
    cov = np.mean((f[labelled] - f[labelled].mean()) * (r - r.mean()))
    assert est.se ** 2 == pytest.approx(f.var() / n_rows + r.var() / n + 2 * cov / n_rows)


def test_tuned_lambda_is_in_the_box_and_minimises_the_variance() -> None:
    y, f, labelled = _mean_case()
    best = ppi_mean(y, f, labelled)
    assert 0 <= best.lam[0] <= 1
    for lam in np.linspace(0, 1, 11):
        assert best.se <= ppi_mean(y, f, labelled, lam=lam).se + 1e-12
    # closed form of the minimiser: λ* = (N/n − 1) Cov_n(f, Y) / (Var_N(f) + (N/n − 2) Var_n(f))
    n_rows, n = len(y), int(labelled.sum())
    fl, yl = f[labelled], y[labelled]
    cov = np.mean((fl - fl.mean()) * (yl - yl.mean()))
    assert best.lam[0] == pytest.approx((n_rows / n - 1) * cov / (f.var() + (n_rows / n - 2) * fl.var()))
    useless = ppi_mean(y, np.random.default_rng(0).random(len(y)) < 0.5, labelled)  # noise for predictions
    assert useless.lam[0] < 0.2


def test_weighted_rectifier_is_hajek() -> None:
    y, f, labelled = _mean_case()
    pi = np.where(f > 0, 0.3, 0.1)
    est = ppi_mean(y, f, labelled, pi=pi, lam=0.5)
    w = 1 / pi[labelled]
    assert est.estimate == pytest.approx(0.5 * f.mean() + (w * (y - 0.5 * f)[labelled]).sum() / w.sum())


@pytest.mark.parametrize("lam", [0.0, 0.4, 1.0, None])
def test_against_ppi_py(lam: float | None) -> None:
    ppi_py = pytest.importorskip("ppi_py")
    y, f, labelled = _mean_case()
    n_rows = len(y)
    yl, fl = y[labelled], f[labelled]
    if lam is None:  # ppi_py tunes λ for an unlabelled set independent of the labelled one: nearly the same
        ref = float(np.ravel(ppi_py.ppi_mean_pointestimate(yl, fl, f))[0])
        lo, hi = (float(np.ravel(v)[0]) for v in ppi_py.ppi_mean_ci(yl, fl, f, alpha=0.05))
        ours = ppi_mean(y, f, labelled)
        assert ours.estimate == pytest.approx(ref, abs=0.1 * ours.se)
        assert ours.se == pytest.approx((hi - lo) / 2 / 1.959963984540054, rel=0.02)
        return
    ref = float(np.ravel(ppi_py.ppi_mean_pointestimate(yl, fl, f, lam=lam))[0])
    lo, hi = (float(np.ravel(v)[0]) for v in ppi_py.ppi_mean_ci(yl, fl, f, alpha=0.05, lam=lam))
    ours = ppi_mean(y, f, labelled, lam=lam)
    assert ours.estimate == pytest.approx(ref)
    assert (lo + hi) / 2 == pytest.approx(ref)
    # same interval up to the overlap term: ppi_py takes the N rows as a second, independent sample
    r = yl - lam * fl
    overlap = 2 * lam * np.mean((fl - fl.mean()) * (r - r.mean())) / n_rows
    ref_se = (hi - lo) / 2 / 1.959963984540054
    assert ours.se ** 2 == pytest.approx(ref_se ** 2 + overlap, rel=1e-9)


# ----------------------------------------------------------------------------------------- read_labels

def _write(tmp_path, text: str, name: str = "labels.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("content, match", [
    ("id,text,themes,logistics\n1,快递三天才到,logistics,slow\n", r"row 2, column 'logistics' is 'slow'"),
    ("id,text,themes,logistics\n1,快递很快,logistics,positive\n2,价格偏贵,price,\n1,客服不理人,service,\n",
     r"id '1' appears more than once \(rows 2, 4"),
    ("id,text,评分\n1,快递很快,9\n", r"no 'themes' column and no theme column"),
    ("id,text,themes,logistics\n", r"no labelled rows"),
    ("id,text,themes,inclusion_probability\n1,东西不错,product,0\n", r"row 2, column 'inclusion_probability'"),
])
def test_read_labels_errors(tmp_path, content: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        read_labels(_write(tmp_path, content), theme_ids=THEMES)


def test_read_labels_reads_themes_subthemes_and_polarity(tmp_path) -> None:
    p = _write(tmp_path, "id,text,themes,logistics,price,overall\n"
                         "a1,包装破了，还送晚了,logistics.packaging,Negative,,negative\n"
                         "a2,挺好的,,,,positive\n"
                         "a3,便宜但是质量差,price;product,,positive,neutral\n")
    lab = read_labels(p, theme_ids=THEMES)
    f = lab.frame.set_index("id")
    assert f.loc["a1", "themes"] == {"logistics", "logistics.packaging"}
    assert f.loc["a1", "logistics"] == "negative"
    assert f.loc["a2", "themes"] == frozenset()
    assert f.loc["a3", "price"] == "positive" and np.isnan(f.loc["a3", "inclusion_probability"])
    assert lab.has_subthemes == {"logistics"}


# ----------------------------------------------------------------------------------------- the table

def _hand_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    """24 responses, all labelled: 12 true negative logistics mentions, the tagger finds 9 of them and
    marks 1 more. True mentioners: 3 promoters (10), 9 detractors (2); the rest: 9 promoters, 3 passives."""
    scores = [10] * 3 + [2] * 9 + [9] * 9 + [8] * 3
    truth = [True] * 12 + [False] * 12
    found = [True] * 9 + [False] * 3 + [True] + [False] * 11
    comments = ["快递慢得离谱"] * 12 + ["东西还行"] * 12
    tagged = pd.DataFrame({"response_id": [f"q{i}" for i in range(24)], "comment": comments, "nps": scores,
                           "themes": ["logistics" if x else "" for x in found],
                           "logistics_sentiment": ["negative" if x else "" for x in found]})
    labels = pd.DataFrame({"id": tagged["response_id"], "text": comments,
                           "themes": ["logistics" if x else "" for x in truth],
                           "logistics": ["negative" if x else "" for x in truth]})
    return tagged, labels


def test_validated_table_by_hand() -> None:
    tagged, labels = _hand_case()
    t = validated_table(tagged, read_labels(labels, theme_ids=THEMES), score="nps", level="theme")
    row = t.set_index(["theme", "polarity"]).loc[("logistics", "negative")]
    # NPS of all: (12 promoters − 9 detractors)/24 = 12.5; without true mentioners: 9 promoters of 12 = 75
    assert row.impact_validated == pytest.approx(12.5 - 75.0)
    assert row.n_validated == 12
    assert row.tagger_precision == pytest.approx(9 / 10)
    assert row.tagger_recall == pytest.approx(9 / 12)
    assert row.impact_validated_ci_low < row.impact_validated < row.impact_validated_ci_high
    assert row.validated_note == ""
    assert list(t.columns) == ["theme", "polarity", "impact_validated", "impact_validated_ci_low",
                               "impact_validated_ci_high", "n_validated", "tagger_precision", "tagger_recall",
                               "validated_note"]


def test_too_few_mentions_and_unlabelled_subthemes_get_a_note() -> None:
    tagged, labels = _hand_case()
    labels = labels.iloc[4:]  # 8 true mentions left
    tagged = tagged.assign(subthemes=["logistics.delivery_speed" if x else "" for x in tagged["themes"]])
    t = validated_table(tagged, read_labels(labels, theme_ids=THEMES), score="nps").set_index(["theme", "polarity"])
    assert t.loc[("logistics", "negative"), "validated_note"].startswith(f"too few labelled mentions (8 < {MIN_LABELLED})")
    assert np.isnan(t.loc[("logistics", "negative"), "impact_validated"])
    assert "no sub-themes of 'logistics'" in t.loc[("logistics.delivery_speed", "any"), "validated_note"]


def test_label_ids_not_in_the_data() -> None:
    tagged, labels = _hand_case()
    labels = pd.concat([labels, pd.DataFrame({"id": ["x1", "x2"], "themes": ["", ""]})], ignore_index=True)
    with pytest.raises(InputError, match=r"2 of 26 labelled id\(s\).*'x1', 'x2'.*id="):
        validated_table(tagged, read_labels(labels, theme_ids=THEMES), score="nps")


def test_driver_table_keeps_plain_columns_and_adds_validated() -> None:
    rng = np.random.default_rng(4)
    tagged, labels = _hand_case()
    tagged = pd.concat([tagged] * 5, ignore_index=True).assign(response_id=[f"q{i}" for i in range(120)],
                                                               region=rng.choice(["华东", "华南"], 120))
    labels = read_labels(labels, theme_ids=THEMES)
    plain = driver_table(tagged, score="nps", segment="region", config=FAST)
    both = driver_table(tagged, score="nps", segment="region", config=FAST, validated=labels)
    pd.testing.assert_frame_equal(both[plain.columns.tolist()], plain)
    assert list(both.columns) == ["segment", *COLUMNS, "impact_validated", "impact_validated_ci_low",
                                  "impact_validated_ci_high", "n_validated", "tagger_precision", "tagger_recall",
                                  "validated_note"]
    pooled = both[(both.segment == "All") & (both.theme == "logistics") & (both.polarity == "negative")].iloc[0]
    assert pooled.n_validated == 12 and np.isfinite(pooled.impact_validated)
