"""Driver analysis: which themes move NPS or CSAT, by how much, and how sure we are.

Both metrics are means of a per-respondent contribution ``c``: for NPS +100 (promoter), 0 (passive),
−100 (detractor); for CSAT 100 (top box) or 0. So for a theme × polarity with mentioners ``m``:

- ``score_with`` = mean(c | m), ``score_without`` = mean(c | not m), ``gap`` = with − without, with a
  normal 95% interval from SE² = var(c|m)/n₁ + var(c|¬m)/n₀ (population variances: for NPS this is the
  usual 100·sqrt((p + d − (p − d)²)/n) per group; for CSAT the Wald SE of a proportion);
- ``impact`` (leave-one-out) = score(all) − score(all without the mentioners) = share × gap exactly
  (the Thematic / Kapiche definition), with a seeded bootstrap 95% interval resampling respondents;
- ``p_value`` (two-sided z-test of the gap) and ``p_adjusted`` (Benjamini–Hochberg over the table);
- ``relative_weight``: Johnson's relative weights of the negative/positive indicators in a regression of
  the raw score (they sum to the model's R²; an 'any' row carries the sum of its two polarities);
- ``kano``: penalty–reward analysis, regressing the score on negative and positive indicators of each
  theme: a significant penalty with little reward is a must-have, a significant reward with little penalty
  a delighter, both a performance theme, neither indifferent.

Example:
    >>> # driver_table(tagged, score="nps", metric="nps")  -> one row per theme x polarity
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from voc import schema
from voc.config import Config
from voc.errors import DataQualityWarning, InputError
from voc.metrics import csat as csat_score
from voc.metrics import nps as nps_score
from voc.metrics import parse_scores

if TYPE_CHECKING:
    from voc.validated import Labels

COLUMNS = ["theme", "polarity", "n", "share", "score_with", "score_without", "gap", "gap_ci_low", "gap_ci_high",
           "impact", "impact_ci_low", "impact_ci_high", "p_value", "p_adjusted", "relative_weight", "kano", "low_n"]
#: columns added by ``validated=`` (see :mod:`voc.validated`)
VALIDATED_COLUMNS = ["impact_validated", "impact_validated_ci_low", "impact_validated_ci_high", "n_validated",
                     "tagger_precision", "tagger_recall", "validated_note"]
_Z95 = float(stats.norm.ppf(0.975))


def contributions(values: pd.Series, *, metric: str, config: Config | None = None) -> tuple[np.ndarray, Any]:
    """Per-respondent contribution c (NaN where the score is missing/invalid) and the parse report."""
    cfg = config or Config()
    if metric == "nps":
        parsed = parse_scores(values, low=0, high=10, name="NPS")
        a = parsed.values.to_numpy()
        c = np.where(a >= cfg.nps_promoter_min, 100.0, np.where(a <= cfg.nps_detractor_max, -100.0, 0.0))
    elif metric == "csat":
        parsed = parse_scores(values, low=1, high=cfg.csat_scale, name="CSAT")
        a = parsed.values.to_numpy()
        c = np.where(a > cfg.csat_scale - cfg.csat_top_box, 100.0, 0.0)
    else:
        raise InputError(f"metric must be 'nps' or 'csat', not {metric!r}")
    return np.where(np.isfinite(a), c, np.nan), parsed


def indicators(tagged: pd.DataFrame, *, level: str = "both") -> dict[tuple[str, str], np.ndarray]:
    """Boolean mention indicators per (theme or theme.subtheme, polarity) from the tagger's columns."""
    schema.require_columns(tagged, [schema.THEMES], source="tagged data", option="--text")
    themes = tagged[schema.THEMES].fillna("").astype(str).str.split(";")
    subs = (tagged[schema.SUBTHEMES].fillna("").astype(str).str.split(";") if schema.SUBTHEMES in tagged.columns
            else pd.Series([[]] * len(tagged), index=tagged.index))
    names: list[str] = []
    for ts in themes:
        names.extend(t for t in ts if t and t not in names)
    out: dict[tuple[str, str], np.ndarray] = {}
    for t in names:
        has = np.array([t in ts for ts in themes])
        col = schema.theme_sentiment_column(t)
        sent = tagged[col].fillna("").astype(str).to_numpy() if col in tagged.columns else np.array([""] * len(tagged))
        if level in ("theme", "both"):
            out[(t, "any")] = has
            out[(t, "negative")] = has & (sent == "negative")
            out[(t, "positive")] = has & (sent == "positive")
        if level in ("subtheme", "both"):
            sub_names = sorted({s for ss in subs for s in ss if s.startswith(t + ".")})
            for sname in sub_names:
                hs = np.array([sname in ss for ss in subs])
                out[(sname, "any")] = hs
                out[(sname, "negative")] = hs & (sent == "negative")
                out[(sname, "positive")] = hs & (sent == "positive")
    return out


def driver_table(tagged: pd.DataFrame, *, score: str, metric: str = "nps", level: str = "both",
                 segment: str | None = None, date: str | None = None, period: str = "M",
                 config: Config | None = None, validated: Labels | None = None,
                 id: str = schema.RESPONSE_ID) -> pd.DataFrame:
    """Impact, gap, significance and importance of every theme × polarity on NPS or CSAT.

    Args:
        tagged: output of ``voc tag`` (or :meth:`voc.Pipeline.tag_frame`) with the score column.
        score: the score column; metric: "nps" (0-10) or "csat" (1-5, top-2-box by default).
        level: "theme", "subtheme" or "both".
        segment: also compute per value of this column (rows with segment "All" are the pooled table).
        date, period: also compute per period ("M" month, "W" week) of this date column.
        validated: hand labels (:func:`voc.validated.read_labels`): adds the columns of
            :func:`voc.validated.validated_table` (impact corrected for tagging error), joined on ``id``;
            the plain columns and rows stay exactly as without it.
        id: the column of ``tagged`` that the labels' ids refer to.

    Raises:
        InputError: no such score column, or no valid score at all (says what was dropped).
    """
    cfg = config or Config()
    schema.require_columns(tagged, [score], source="input", option="--score")
    for col, opt in ((segment, "--segment"), (date, "--date")):
        if col:
            schema.require_columns(tagged, [col], source="input", option=opt)
    c, parsed = contributions(tagged[score], metric=metric, config=cfg)
    if parsed.n_valid == 0:
        raise InputError(f"column '{score}' has no valid {metric.upper()} score: {parsed.warning_text() or 'all blank'}")
    if parsed.n_invalid or parsed.n_missing:
        warnings.warn(parsed.warning_text(), DataQualityWarning, stacklevel=2)
    raw = parsed.values.to_numpy()
    ind = indicators(tagged, level=level)
    groups = row_groups(tagged, segment=segment, date=date, period=period)
    frames = []
    for extra, mask in groups:
        sub_ind = {k: v[mask] for k, v in ind.items()}
        t = _table(c[mask], raw[mask], sub_ind, cfg)
        for k, v in reversed(list(extra.items())):
            t.insert(0, k, v)
        frames.append(t)
    out = pd.concat(frames, ignore_index=True) if frames else _empty()
    if out.empty:
        out = _empty(list(groups[0][0]))
        out.attrs["explanation"] = ("no response mentions any theme (or no mentioner has a valid score), so there "
                                    "is nothing to attribute the score to")
    if validated is not None:
        from voc.validated import validated_table

        v = validated_table(tagged, validated, score=score, metric=metric, id=id, level=level, segment=segment,
                            date=date, period=period, config=cfg)
        out = out.merge(v, on=[k for k in v.columns if k not in VALIDATED_COLUMNS], how="left")
    return out


def row_groups(tagged: pd.DataFrame, *, segment: str | None = None, date: str | None = None,
               period: str = "M") -> list[tuple[dict[str, str], np.ndarray]]:
    """The row subsets of a driver table: all rows, or "All" + each segment value, times each period.

    Each item is (key columns -> value, boolean row mask).
    """
    groups: list[tuple[dict[str, str], np.ndarray]] = [({}, np.ones(len(tagged), dtype=bool))]
    if segment:
        keys = tagged[segment].fillna("(blank)").astype(str).to_numpy()
        groups = [({"segment": "All"}, np.ones(len(tagged), dtype=bool))] + [
            ({"segment": k}, keys == k) for k in sorted(set(keys))]
    if date:
        per = _periods(tagged[date], period)
        groups = [({**g, "period": p}, mask & (per == p)) for g, mask in groups
                  for p in sorted(set(per[per != ""]))]
    return groups


def _empty(extra: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame(columns=[*(extra or []), *COLUMNS])


def _periods(values: pd.Series, period: str) -> np.ndarray:
    when = pd.to_datetime(values, errors="coerce", format="mixed")
    bad = int(when.isna().sum() - values.isna().sum())
    if bad > 0:
        warnings.warn(f"{bad} date value(s) could not be read and are left out of the period views",
                      DataQualityWarning, stacklevel=3)
    return np.array(["" if pd.isna(w) else str(w.to_period(period)) for w in when])


def _table(c: np.ndarray, raw: np.ndarray, ind: dict[tuple[str, str], np.ndarray], cfg: Config) -> pd.DataFrame:
    valid = np.isfinite(c)
    cv = c[valid]
    n_all = len(cv)
    rows = []
    keys = [k for k, v in ind.items() if v[valid].sum() > 0]
    if n_all == 0 or not keys:
        return _empty()
    M = np.column_stack([ind[k][valid] for k in keys]).astype(float)  # N x K
    # bootstrap: multinomial weights of respondents, all rows at once
    rng = np.random.default_rng(cfg.seed)
    B = max(int(cfg.bootstrap), 0)
    boot = None
    if B:
        W = np.zeros((B, n_all))
        idx = rng.integers(0, n_all, size=(B, n_all))
        for b in range(B):
            W[b] = np.bincount(idx[b], minlength=n_all)
        sum_c = W @ cv
        n_m = W @ M
        sum_cm = W @ (M * cv[:, None])
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = sum_c[:, None] / n_all - (sum_c[:, None] - sum_cm) / (n_all - n_m)
    for j, (theme, pol) in enumerate(keys):
        m = M[:, j].astype(bool)
        n1, n0 = int(m.sum()), int((~m).sum())
        w = float(cv[m].mean())
        wo = float(cv[~m].mean()) if n0 else float("nan")
        gap = w - wo
        se = math.sqrt(cv[m].var() / n1 + (cv[~m].var() / n0 if n0 else float("nan")))
        share = n1 / n_all
        impact = share * gap if n0 else float("nan")
        z = gap / se if se > 0 else float("nan")
        p = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else float("nan")
        lo = hi = float("nan")
        if boot is not None:
            col = boot[:, j]
            col = col[np.isfinite(col)]
            if len(col):
                lo, hi = (float(x) for x in np.percentile(col, [2.5, 97.5]))
        rows.append({"theme": theme, "polarity": pol, "n": n1, "share": share, "score_with": w, "score_without": wo,
                     "gap": gap, "gap_ci_low": gap - _Z95 * se, "gap_ci_high": gap + _Z95 * se, "impact": impact,
                     "impact_ci_low": lo, "impact_ci_high": hi, "p_value": p, "low_n": n1 < cfg.low_n})
    out = pd.DataFrame(rows)
    out["p_adjusted"] = _bh(out["p_value"].to_numpy())
    y = raw[valid]  # relative weights and Kano regress the raw score (0-10 or 1-5)
    out["relative_weight"] = _relative_weight_column(keys, M, y)
    out["kano"] = _kano_column(keys, M, y)
    return out[COLUMNS].sort_values(["impact"], key=lambda s: -s.abs(), kind="stable").reset_index(drop=True)


def _bh(p: np.ndarray) -> np.ndarray:
    from statsmodels.stats.multitest import multipletests

    out = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return out


def relative_weights(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's relative weights of the columns of X for y; they sum to R². Constant columns get 0."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = X.std(axis=0) > 0
    weights = np.zeros(X.shape[1])
    if not keep.any() or y.std() == 0:
        return weights, 0.0
    Xs = (X[:, keep] - X[:, keep].mean(0)) / X[:, keep].std(0)
    ys = (y - y.mean()) / y.std()
    n = len(y)
    rxx = Xs.T @ Xs / n
    rxy = Xs.T @ ys / n
    evals, evecs = np.linalg.eigh(rxx)
    evals = np.clip(evals, 1e-12, None)
    lam = evecs @ np.diag(np.sqrt(evals)) @ evecs.T  # R_xx^(1/2): correlations of X with its orthogonal twin Z
    beta = np.linalg.solve(lam, rxy)  # regression of y on Z
    raw = (lam ** 2) @ (beta ** 2)
    weights[keep] = raw
    return weights, float(raw.sum())


def _relative_weight_column(keys: list[tuple[str, str]], M: np.ndarray, y: np.ndarray) -> list[float]:
    polar = [j for j, (_, pol) in enumerate(keys) if pol != "any"]
    if not polar:
        return [float("nan")] * len(keys)
    # one model per level: top-level themes, or sub-themes
    out = [float("nan")] * len(keys)
    for is_sub in (False, True):
        cols = [j for j in polar if ("." in keys[j][0]) == is_sub]
        if not cols:
            continue
        w, _ = relative_weights(M[:, cols], y)
        by_key = {keys[j]: float(wt) for j, wt in zip(cols, w)}
        for j, (theme, pol) in enumerate(keys):
            if ("." in theme) != is_sub:
                continue
            out[j] = (by_key.get((theme, "negative"), 0.0) + by_key.get((theme, "positive"), 0.0)
                      if pol == "any" else by_key.get((theme, pol), float("nan")))
    return out


def _kano_column(keys: list[tuple[str, str]], M: np.ndarray, y: np.ndarray) -> list[str]:
    import statsmodels.api as sm

    out = [""] * len(keys)
    for is_sub in (False, True):
        cols = [j for j, (t, pol) in enumerate(keys) if pol != "any" and ("." in t) == is_sub and M[:, j].std() > 0]
        if not cols or len(y) <= len(cols) + 2:
            continue
        try:
            with warnings.catch_warnings():  # small or collinear samples: the classes then come out indifferent
                warnings.simplefilter("ignore")
                fit = sm.OLS(y, sm.add_constant(M[:, cols], has_constant="add")).fit()
        except (np.linalg.LinAlgError, ValueError):
            continue
        coef = dict(zip((keys[j] for j in cols), fit.params[1:]))
        pval = dict(zip((keys[j] for j in cols), fit.pvalues[1:]))
        for j, (theme, _) in enumerate(keys):
            if ("." in theme) != is_sub:
                continue
            penalty = -coef.get((theme, "negative"), 0.0)
            reward = coef.get((theme, "positive"), 0.0)
            pen_sig = pval.get((theme, "negative"), 1.0) < 0.05 and penalty > 0
            rew_sig = pval.get((theme, "positive"), 1.0) < 0.05 and reward > 0
            out[j] = kano_class(penalty, reward, pen_sig, rew_sig)
    return out


def importance_table(tagged: pd.DataFrame, *, score: str, metric: str = "nps", level: str = "theme",
                     config: Config | None = None) -> pd.DataFrame:
    """Johnson's relative weights of each theme's negative/positive indicator for three targets.

    For NPS: the 0-10 score, being a promoter (9-10) and being a detractor (0-6); for CSAT: the 1-5 score,
    being satisfied (top box) and being dissatisfied (1-2). Each column sums to that model's R² (in ``attrs``).
    """
    cfg = config or Config()
    _, parsed = contributions(tagged[score], metric=metric, config=cfg)
    raw = parsed.values.to_numpy()
    valid = np.isfinite(raw)
    keys = [k for k, v in indicators(tagged, level=level).items() if k[1] != "any" and v[valid].any()]
    cols = ["theme", "polarity", "weight_score", "weight_top", "weight_bottom"]
    if not keys or valid.sum() < 3:
        return pd.DataFrame(columns=cols)
    ind = indicators(tagged, level=level)
    X = np.column_stack([ind[k][valid] for k in keys]).astype(float)
    y = raw[valid]
    if metric == "nps":
        top, bottom = y >= cfg.nps_promoter_min, y <= cfg.nps_detractor_max
    else:
        top, bottom = y > cfg.csat_scale - cfg.csat_top_box, y <= 2
    out = pd.DataFrame({"theme": [k[0] for k in keys], "polarity": [k[1] for k in keys]})
    for name, target in (("weight_score", y), ("weight_top", top.astype(float)), ("weight_bottom", bottom.astype(float))):
        w, r2 = relative_weights(X, target)
        out[name] = w
        out.attrs[f"r2_{name[len('weight_'):]}"] = r2
    return out.sort_values("weight_score", ascending=False, kind="stable").reset_index(drop=True)


def kano_class(penalty: float, reward: float, penalty_significant: bool, reward_significant: bool) -> str:
    """Penalty–reward class: must-have, performance, delighter or indifferent (see the module docstring)."""
    if penalty_significant and (not reward_significant or reward < penalty / 2):
        return "must-have"
    if reward_significant and (not penalty_significant or penalty < reward / 2):
        return "delighter"
    if penalty_significant and reward_significant:
        return "performance"
    return "indifferent"


def trend_table(tagged: pd.DataFrame, *, score: str, metric: str = "nps", date: str, period: str = "M",
                config: Config | None = None) -> pd.DataFrame:
    """The metric per period with its 95% interval, theme-polarity shares, and significant changes flagged."""
    cfg = config or Config()
    schema.require_columns(tagged, [score], option="--score")
    schema.require_columns(tagged, [date], option="--date")
    per = _periods(tagged[date], period)
    ind = indicators(tagged, level="theme")
    rows = []
    prev = None
    for p in sorted(set(per[per != ""])):
        mask = per == p
        s = (nps_score(tagged.loc[mask, score], promoter_min=cfg.nps_promoter_min, detractor_max=cfg.nps_detractor_max)
             if metric == "nps" else csat_score(tagged.loc[mask, score], scale=cfg.csat_scale, top_box=cfg.csat_top_box))
        row: dict[str, Any] = {"period": p, "metric": metric, "value": s.value, "ci_low": s.ci_low,
                               "ci_high": s.ci_high, "n": s.n}
        for (theme, pol), v in ind.items():
            if pol != "any":
                row[f"{theme}_{pol}"] = float(v[mask].mean()) if mask.any() else float("nan")
        change = False
        if prev is not None and s.se is not None and prev.se is not None and s.value is not None \
                and prev.value is not None:
            se = math.sqrt(s.se ** 2 + prev.se ** 2)
            diff = s.value - prev.value
            change = bool(diff != 0) if se == 0 else bool(2 * stats.norm.sf(abs(diff / se)) < 0.05)
        row["change_significant"] = change
        rows.append(row)
        prev = s
    return pd.DataFrame(rows)


def follow_up(tagged: pd.DataFrame, *, text: str, nps: str | None = None, csat: str | None = None,
              redact: Callable[[str], str] | None = None, config: Config | None = None) -> pd.DataFrame:
    """Close the loop: detractors (NPS 0-6) and CSAT 1-2 answers, most severe first, comments redacted."""
    cfg = config or Config()
    n = len(tagged)
    nv = parse_scores(tagged[nps], low=0, high=10).values if nps else pd.Series(np.nan, index=tagged.index)
    cv = (parse_scores(tagged[csat], low=1, high=cfg.csat_scale).values if csat
          else pd.Series(np.nan, index=tagged.index))
    flag = (nv <= cfg.nps_detractor_max) | (cv <= 2)
    cols = {schema.RESPONSE_ID: tagged[schema.RESPONSE_ID] if schema.RESPONSE_ID in tagged.columns
            else pd.Series([str(i + 1) for i in range(n)], index=tagged.index)}
    if nps:
        cols[nps] = nv
    if csat:
        cols[csat] = cv
    for col in (schema.THEMES, schema.SENTIMENT, schema.SENTIMENT_SCORE, schema.EVIDENCE):
        if col in tagged.columns:
            cols[col] = tagged[col]
    comments = tagged[text].fillna("").astype(str)
    cols["comment"] = comments.map(redact) if redact else comments
    out = pd.DataFrame(cols)[flag.to_numpy()]
    keys = []
    if nps:
        keys.append(nps)
    if csat:
        keys.append(csat)
    if schema.SENTIMENT_SCORE in out.columns:
        keys.append(schema.SENTIMENT_SCORE)
    return out.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True) if keys else out
