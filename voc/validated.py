"""Driver impact corrected for tagging error: a hand-labelled sample and prediction-powered inference.

The plain driver table (:mod:`voc.drivers`) treats the tagger's mentions as the truth, so its interval
covers sampling noise only. Here a random sample of the rows is labelled by hand and every impact gets an
estimate and an interval that stay valid however good or bad the tagger is on this survey.

Notation: N rows with a valid score; on each, ``c`` = the score contribution (NPS +100/0/−100, CSAT
100/0, observed everywhere), ``f`` = the tagger's 0/1 mention of a theme × polarity, ``Y`` = the true
mention (from the labels; known on the labelled rows L only), ``R`` = 1 on labelled rows, ``π`` = each
row's inclusion probability in the sample (n/N for a simple random sample), ``w = 1/π``.

Estimand (the same leave-one-out impact as the plain table, with true mentions)::

    impact = E[c] − E[c | Y = 0] = g(μ_c, μ_m, μ_cm) = μ_c − (μ_c − μ_cm) / (1 − μ_m),
    μ_c = E[c],  μ_m = E[Y],  μ_cm = E[c·Y].

Each mean is a PPI++ mean (Angelopoulos, Duchi, Zrnic 2023) with "predictions" F = (f, c·f, c) for the
"labels" (Y, c·Y, c)::

    θ̂_k(λ_k) = λ_k · mean_N(F_k) + Σ_L w (Y_k − λ_k F_k) / Σ_L w          (Hájek-weighted rectifier)

unbiased to first order for every λ_k, because the labelled rows are a probability sample of the N rows.
(μ_c needs no tagger: λ_c = 1 is its mean over all rows; λ_c < 1 lets it share the labelled rows' noise
with the other two, so that λ = (0, 0, 0) is exactly the labelled-rows-only estimate.)
Variance: the estimate of (μ_m, μ_cm, μ_c) is the mean over ALL N rows of the per-row vector ψ (its
linearisation), which also accounts for the labelled rows being part of the N rows::

    ψ_i = λ F_i + ρ + R_i w̃_i (Y_i − λ F_i − ρ),   w̃ = w · N / Σ_L w,   ρ = the rectifier,

so Cov(θ̂) ≈ Cov_N(ψ) / N (sample covariance over the N rows; every ψ_i is observed). Delta method:
Var(impact) ≈ aᵀ Cov(θ̂) a with a = ∇g = (−(μ_c − μ_cm)/(1−μ_m)², 1/(1−μ_m), −μ_m/(1−μ_m)).
Power tuning: aᵀψ_i is affine in λ, so its sample variance is a quadratic in λ; λ is its exact minimiser
over the box [0, 1]³ (λ = 0: labels only; λ = 1: plain PPI). The
interval is impact ± 1.96 · SE: it covers the survey population's impact (the quantity the plain
bootstrap interval is for, with true mentions instead of the tagger's) with 95% probability over both the
respondents and the labelled sample. The simulation in tests/test_validated.py checks this, also with
stratified (unequal) inclusion probabilities; for a stratified sample the interval treats the design as
Poisson sampling with the recorded π, which is slightly conservative.

``tagger_precision`` = Σ_L w f Y / Σ_L w f and ``tagger_recall`` = Σ_L w f Y / Σ_L w Y on the labelled rows.
A row whose labelled rows hold fewer than :data:`MIN_LABELLED` true mentions gets a ``validated_note``
instead of a number.

Example:
    >>> labels = read_labels("labels.xlsx", theme_ids=["logistics", "price"])  # doctest: +SKIP
    >>> validated_table(tagged, labels, score="nps")  # doctest: +SKIP
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc import schema
from voc.config import Config
from voc.drivers import VALIDATED_COLUMNS, contributions, indicators, row_groups
from voc.errors import InputError

MIN_LABELLED = 10  #: fewer true mentions than this among the labelled rows: no validated figure
INCLUSION_PROBABILITY = "inclusion_probability"
LABEL_POLARITIES: tuple[str, ...] = ("positive", "negative", "neutral")
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Labels:
    """Hand labels read by :func:`read_labels`.

    ``frame`` has one row per labelled response: ``id`` (str), ``themes`` (frozenset of theme ids, with
    sub-theme ids such as ``logistics.packaging`` and their parent theme), one polarity column per
    top-level theme ('' when not mentioned), ``overall`` and ``inclusion_probability`` (NaN when the file
    has none: then the sample is taken as a simple random sample).
    """

    frame: pd.DataFrame
    theme_ids: tuple[str, ...]
    source: str = "labels"

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def has_subthemes(self) -> set[str]:
        """Top-level themes for which the labels list at least one sub-theme id."""
        return {t.split(".", 1)[0] for ts in self.frame["themes"] for t in ts if "." in t}


def read_labels(source: str | Path | pd.DataFrame, *, theme_ids: Sequence[str], id: str = "id") -> Labels:
    """Read a hand-labelled sheet (CSV or Excel from :func:`voc.sampling.write_label_sheet`, or a frame).

    Every row counts as labelled; a blank ``themes`` cell means "no theme". A theme listed in ``themes``
    without a polarity counts for the "any" rows only.

    Raises:
        InputError: empty file, no id column, duplicate ids, no ``themes`` column and no theme column, a
            polarity that is not positive/negative/neutral/blank, or a bad inclusion probability.
    """
    name = "labels" if isinstance(source, pd.DataFrame) else str(source)
    df = source.copy() if isinstance(source, pd.DataFrame) else _read_file(Path(source))
    df.columns = [str(c).strip() for c in df.columns]
    if df.empty:
        raise InputError(f"{name} has no labelled rows; expected one row per labelled response. "
                         "Fill in the sheet from voc.sampling.write_label_sheet")
    theme_ids = tuple(theme_ids)
    if "themes" not in df.columns and not any(t in df.columns for t in theme_ids):
        raise InputError(f"{name} has no 'themes' column and no theme column ({', '.join(theme_ids)}); "
                         f"columns are: {', '.join(df.columns)}. Label with the sheet from write_label_sheet")
    if id not in df.columns:
        raise InputError(schema.missing_column_message(id, list(df.columns), source=name, option="id="))
    ids = df[id].map(_cell).str.strip()
    dup = ids[ids.duplicated(keep=False) & (ids != "")]
    if len(dup):
        rows = [str(i + 2) for i in dup.index[:4]]
        raise InputError(f"{name}: id '{dup.iloc[0]}' appears more than once (rows {', '.join(rows)}, column "
                         f"'{id}'); each response is labelled once: remove the duplicates")
    blank = ids[ids == ""]
    if len(blank):
        raise InputError(f"{name}: row {blank.index[0] + 2}, column '{id}' is blank; every labelled row needs "
                         "the id of its response")
    out: dict[str, Any] = {"id": ids.tolist()}
    themes_cells = df["themes"].map(_cell) if "themes" in df.columns else pd.Series([""] * len(df))
    sets = []
    for k, cell in enumerate(themes_cells):
        ts = {t.strip() for t in cell.replace("；", ";").replace(",", ";").split(";") if t.strip()}
        ts |= {t.split(".", 1)[0] for t in ts if "." in t}
        for t in theme_ids:  # a polarity given without the theme in `themes` still means a mention
            if t in df.columns and _cell(df[t].iloc[k]).strip():
                ts.add(t)
        sets.append(frozenset(ts))
    out["themes"] = sets
    for t in (*theme_ids, "overall"):
        col = df[t].map(_cell).str.strip().str.lower() if t in df.columns else pd.Series([""] * len(df))
        bad = col[~col.isin(("", *LABEL_POLARITIES))]
        if len(bad):
            k = bad.index[0]
            raise InputError(f"{name}: row {k + 2}, column '{t}' is '{df[t].iloc[k]}'; expected positive, "
                             "negative, neutral or blank. Correct that cell")
        out[t] = col.tolist()
    out[INCLUSION_PROBABILITY] = _probabilities(df, name)
    return Labels(frame=pd.DataFrame(out), theme_ids=theme_ids, source=name)


def _read_file(path: Path) -> pd.DataFrame:
    from voc.ingest import read_responses

    df = read_responses(path)
    return df.drop(columns=[schema.RESPONSE_ID], errors="ignore")


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def _probabilities(df: pd.DataFrame, name: str) -> list[float]:
    if INCLUSION_PROBABILITY not in df.columns:
        return [float("nan")] * len(df)
    raw = df[INCLUSION_PROBABILITY]
    p = pd.to_numeric(raw, errors="coerce")
    bad = p[~((p > 0) & (p <= 1))]
    if len(bad):
        k = bad.index[0]
        raise InputError(f"{name}: row {k + 2}, column '{INCLUSION_PROBABILITY}' is '{_cell(raw.iloc[k])}'; "
                         "expected a number in (0, 1] as written by draw_sample. Restore the drawn value")
    return p.astype(float).tolist()


# ---------------------------------------------------------------------------------------------- estimator

@dataclass(frozen=True)
class Estimate:
    """A PPI++ estimate: point, standard error, the λ used, and the 95% interval."""

    estimate: float
    se: float
    lam: tuple[float, ...]

    @property
    def ci(self) -> tuple[float, float]:
        """Normal 95% interval."""
        return self.estimate - _Z95 * self.se, self.estimate + _Z95 * self.se


def _weights(labelled: np.ndarray, pi: np.ndarray | None) -> np.ndarray:
    """w̃ on the labelled rows: 1/π normalised to sum to N (Hájek)."""
    n_all = len(labelled)
    w = np.ones(int(labelled.sum())) if pi is None else 1.0 / np.asarray(pi, dtype=float)[labelled]
    return w * n_all / w.sum()


def _psi_parts(F: np.ndarray, Y: np.ndarray, labelled: np.ndarray, wl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ψ = A + λ·B per row and column (F, Y: N x k, Y used on labelled rows only)."""
    n_all = len(F)
    Fl, Yl = F[labelled], Y[labelled]
    ybar = (wl[:, None] * Yl).sum(0) / n_all
    fbar = (wl[:, None] * Fl).sum(0) / n_all
    A = np.broadcast_to(ybar, F.shape).copy()
    A[labelled] += wl[:, None] * (Yl - ybar)
    B = F - fbar
    B[labelled] -= wl[:, None] * (Fl - fbar)
    return A, B


def _box_minimise(T: np.ndarray, U: np.ndarray) -> np.ndarray:
    """argmin over λ ∈ [0, 1]^k of ||T + U λ||² (T, U centred; k ≤ 3): exact, by trying every face of the box.

    A convex quadratic's minimum over a box is the unconstrained minimum of some face (each coordinate free,
    at 0 or at 1); the feasible face minimum with the lowest value is the answer.
    """
    k = U.shape[1]
    G, h = U.T @ U, U.T @ T
    try:
        inner = np.linalg.solve(G, -h)
        if np.all((inner >= 0) & (inner <= 1)):
            return inner  # the unconstrained minimum is in the box
    except np.linalg.LinAlgError:
        pass
    best, best_val = np.zeros(k), 0.0
    for fix in itertools.product((None, 0.0, 1.0), repeat=k):
        lam = np.array([0.0 if v is None else v for v in fix])
        free = [i for i, v in enumerate(fix) if v is None]
        if free:
            bound = [i for i in range(k) if i not in free]
            rhs = -(h[free] + G[np.ix_(free, bound)] @ lam[bound])
            sol, *_ = np.linalg.lstsq(G[np.ix_(free, free)], rhs, rcond=None)
            if np.any(sol < -1e-12) or np.any(sol > 1 + 1e-12):
                continue
            lam[free] = np.clip(sol, 0, 1)
        val = float(lam @ G @ lam + 2 * h @ lam)
        if val < best_val - 1e-12 * max(1.0, abs(best_val)):
            best, best_val = lam, val
    return best


def ppi_mean(y: np.ndarray, f: np.ndarray, labelled: np.ndarray, *, pi: np.ndarray | None = None,
             lam: float | None = None) -> Estimate:
    """PPI++ estimate of E[Y] from predictions ``f`` on all N rows and labels ``y`` on the labelled rows.

    ``labelled`` marks the rows (a probability sample of the N rows, inclusion probabilities ``pi``) whose
    ``y`` is known; other entries of ``y`` are ignored. ``lam=None`` tunes λ in [0, 1] to minimise the
    variance; ``lam=0`` is the labelled-only (Hájek) mean, ``lam=1`` plain PPI.
    """
    f = np.asarray(f, dtype=float)[:, None]
    labelled = np.asarray(labelled, dtype=bool)
    y = np.where(labelled, np.nan_to_num(np.asarray(y, dtype=float)), 0.0)[:, None]
    A, B = _psi_parts(f, y, labelled, _weights(labelled, pi))
    lam_v = _box_minimise(A[:, 0] - A[:, 0].mean(), B - B.mean(0)) if lam is None else np.array([float(lam)])
    psi = A[:, 0] + lam_v[0] * B[:, 0]
    n_all = len(psi)
    return Estimate(float(psi.mean()), float(np.sqrt(psi.var() / n_all)), (float(lam_v[0]),))


def ppi_impact(c: np.ndarray, f: np.ndarray, y: np.ndarray, labelled: np.ndarray, *,
               pi: np.ndarray | None = None, lam: tuple[float, float, float] | None = None) -> Estimate:
    """PPI++ estimate of impact = E[c] − E[c | Y = 0] with its delta-method standard error.

    Args:
        c: score contribution of every row (finite); f: the tagger's 0/1 mention on every row;
        y: the true 0/1 mention (read on the labelled rows only); labelled: bool mask of labelled rows;
        pi: inclusion probabilities (read on the labelled rows; None = equal); lam: fixed (λ_m, λ_cm, λ_c)
            instead of tuning ((0, 0, 0): labelled rows only; (1, 1, 1): plain PPI).

    Returns:
        :class:`Estimate` (NaN when the true share comes out ≥ 1 or there are no labelled rows).
    """
    c = np.asarray(c, dtype=float)
    labelled = np.asarray(labelled, dtype=bool)
    n_all = len(c)
    if n_all == 0 or not labelled.any():
        return Estimate(float("nan"), float("nan"), (float("nan"), float("nan")))
    f = np.asarray(f, dtype=float)
    y = np.where(labelled, np.nan_to_num(np.asarray(y, dtype=float)), 0.0)
    # means (μ_m, μ_cm, μ_c), "predictions" (f, c·f, c), "labels" (Y, c·Y, c): μ_c too has a λ, so that
    # λ = (0, 0, 0) is exactly the labelled-rows-only estimate and λ_c = 1 the mean of c over all rows
    F = np.column_stack([f, c * f, c])
    A, B = _psi_parts(F, np.column_stack([y, c * y, c]), labelled, _weights(labelled, pi))
    nan = Estimate(float("nan"), float("nan"), (float("nan"),) * 3)
    if lam is None:
        grad = _gradient(A + B)  # at the plain-PPI (λ = 1) estimate, as ppi_py does
        if grad is None:
            return nan
        T, U = A @ grad, B * grad
        lam_v = _box_minimise(T - T.mean(), U - U.mean(0))
    else:
        lam_v = np.asarray(lam, dtype=float)
    psi = A + B * lam_v
    grad = _gradient(psi)
    if grad is None:
        return Estimate(float("nan"), float("nan"), tuple(float(v) for v in lam_v))
    mu_m, mu_cm, mu_c = psi.mean(0)
    impact = mu_c - (mu_c - mu_cm) / (1 - mu_m)
    lin = psi @ grad
    return Estimate(float(impact), float(np.sqrt(lin.var() / n_all)), tuple(float(v) for v in lam_v))


def _gradient(psi: np.ndarray) -> np.ndarray | None:
    """∇g with respect to (μ_m, μ_cm, μ_c) at the means of ψ; None when the share is not below 1."""
    mu_m, mu_cm, mu_c = psi.mean(0)
    if not mu_m < 1:
        return None
    rest = 1 - mu_m
    return np.array([-(mu_c - mu_cm) / rest ** 2, 1 / rest, -mu_m / rest])


# ---------------------------------------------------------------------------------------------- the table

def validated_table(tagged: pd.DataFrame, labels: Labels, *, score: str, metric: str = "nps",
                    id: str = schema.RESPONSE_ID, level: str = "both", segment: str | None = None,
                    date: str | None = None, period: str = "M", config: Config | None = None) -> pd.DataFrame:
    """Impact of every theme × polarity corrected for tagging error, from hand labels of a sample.

    Rows: every theme × polarity the tagger or the labels find (per segment and period when given, with
    the same keys as :func:`voc.drivers.driver_table`); columns: the key columns, then
    ``impact_validated`` with its 95% interval, ``n_validated`` (labelled rows that truly mention it),
    ``tagger_precision`` / ``tagger_recall`` on the labelled rows (weighted by 1/π) and
    ``validated_note`` (why there is no figure, else ''). See the module docstring for the estimator.

    Raises:
        InputError: no such score/id column, or label ids that are not in the data (names the first few).
    """
    cfg = config or Config()
    schema.require_columns(tagged, [score], source="input", option="score=")
    schema.require_columns(tagged, [id], source="input", option="id=")
    c, _parsed = contributions(tagged[score], metric=metric, config=cfg)
    labelled, pi, rows_of = _align(tagged[id], labels, id)
    valid = np.isfinite(c)
    truth = _true_indicators(labels, rows_of, len(tagged), level=level)
    pred = indicators(tagged, level=level)
    keys = list(pred) + [k for k in truth if k not in pred]
    keys = [k for k in keys if (k in pred and pred[k].any()) or (k in truth and truth[k].any())]
    with_subs = labels.has_subthemes
    rows = []
    for extra, mask in row_groups(tagged, segment=segment, date=date, period=period):
        m = mask & valid  # rows without a valid score are left out, as in the plain table
        for key in keys:
            f = pred.get(key, np.zeros(len(tagged), dtype=bool))
            y = truth.get(key, np.zeros(len(tagged), dtype=bool))
            rows.append({**extra, "theme": key[0], "polarity": key[1],
                         **_row(c[m], f[m], y[m], labelled[m], None if pi is None else pi[m],
                                key, with_subs)})
    cols = [*(["segment"] if segment else []), *(["period"] if date else []), "theme", "polarity",
            *VALIDATED_COLUMNS]
    return pd.DataFrame(rows, columns=cols)


def _align(ids: pd.Series, labels: Labels, id: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Labelled-row mask, per-row inclusion probabilities (None: equal) and the data row of each label."""
    data_ids = ids.map(_cell).str.strip().tolist()
    position = {v: k for k, v in enumerate(data_ids)}
    lab_ids = labels.frame["id"].tolist()
    unknown = [i for i in lab_ids if i not in position]
    if unknown:
        shown = ", ".join(f"'{i}'" for i in unknown[:5])
        raise InputError(f"{len(unknown)} of {len(lab_ids)} labelled id(s) in {labels.source} are not in column "
                         f"'{id}' of the data, e.g. {shown}; label rows drawn from this data and pass id= the "
                         "column that holds those ids")
    rows = np.array([position[i] for i in lab_ids], dtype=int)
    labelled = np.zeros(len(data_ids), dtype=bool)
    labelled[rows] = True
    p = labels.frame[INCLUSION_PROBABILITY].to_numpy(dtype=float)
    if np.isnan(p).all():
        return labelled, None, rows
    if np.isnan(p).any():
        k = int(np.flatnonzero(np.isnan(p))[0])
        raise InputError(f"{labels.source}: row {k + 2}, column '{INCLUSION_PROBABILITY}' is blank while other "
                         "rows have one; restore the value written by draw_sample")
    pi = np.ones(len(data_ids))
    pi[rows] = p
    return labelled, pi, rows


def _true_indicators(labels: Labels, rows: np.ndarray, n_rows: int, *,
                     level: str) -> dict[tuple[str, str], np.ndarray]:
    """True mention indicators per (theme or sub-theme, polarity) on the data's rows (False where unlabelled).

    ``rows[k]`` is the data row of label row k. A sub-theme takes the polarity of its top-level theme.
    """
    frame = labels.frame
    top = list(labels.theme_ids)
    names = sorted({t for ts in frame["themes"] for t in ts},
                   key=lambda t: (top.index(t.split(".")[0]) if t.split(".")[0] in top else len(top), t))
    out: dict[tuple[str, str], np.ndarray] = {}
    for name in names:
        is_sub = "." in name
        if (is_sub and level == "theme") or (not is_sub and level == "subtheme"):
            continue
        parent = name.split(".", 1)[0]
        has = np.array([name in ts for ts in frame["themes"]], dtype=bool)
        pol = frame[parent].to_numpy() if parent in frame.columns else np.array([""] * len(frame))
        for polarity, on in (("any", has), ("negative", has & (pol == "negative")),
                             ("positive", has & (pol == "positive"))):
            full = np.zeros(n_rows, dtype=bool)
            full[rows] = on
            out[(name, polarity)] = full
    return out


def _row(c: np.ndarray, f: np.ndarray, y: np.ndarray, labelled: np.ndarray, pi: np.ndarray | None,
         key: tuple[str, str], with_subs: set[str]) -> dict[str, Any]:
    """The validated columns of one theme × polarity in one row subset."""
    w = np.ones(int(labelled.sum())) if pi is None else 1.0 / pi[labelled]
    fl, yl = f[labelled], y[labelled]
    hit = float((w * (fl & yl)).sum())
    pf, py = float((w * fl).sum()), float((w * yl).sum())
    k = int(yl.sum())
    out: dict[str, Any] = {"impact_validated": float("nan"), "impact_validated_ci_low": float("nan"),
                           "impact_validated_ci_high": float("nan"), "n_validated": k,
                           "tagger_precision": hit / pf if pf else float("nan"),
                           "tagger_recall": hit / py if py else float("nan"), "validated_note": ""}
    theme = key[0]
    if "." in theme and theme.split(".", 1)[0] not in with_subs:
        out.update(n_validated=0, tagger_precision=float("nan"), tagger_recall=float("nan"),
                   validated_note=f"the labels list no sub-themes of '{theme.split('.', 1)[0]}': no validated figure")
        return out
    if k < MIN_LABELLED:
        out["validated_note"] = f"too few labelled mentions ({k} < {MIN_LABELLED}): no validated figure"
        return out
    if k == int(labelled.sum()):
        out["validated_note"] = "every labelled row mentions it: no rows without it to compare with"
        return out
    est = ppi_impact(c, f, y, labelled, pi=pi)
    if not math.isfinite(est.estimate):
        out["validated_note"] = "the estimated share of mentions is 100%: no validated figure"
        return out
    lo, hi = est.ci
    out.update(impact_validated=est.estimate, impact_validated_ci_low=lo, impact_validated_ci_high=hi)
    return out
