"""Survey metrics as pure functions on Series: NPS, CSAT, CES and the loyalty formulas.

Scores are parsed strictly: "10", "10分", "１０", " 9 ", "9.0" are read; "N/A", "十一", "11", "-1", "9.5" are
invalid, reported (count and examples) and excluded; blanks are missing and excluded. A missing answer
is never counted as 0, and passives stay in the NPS denominator.

Example:
    >>> import pandas as pd
    >>> nps(pd.Series([10, 9, 8, 7, 3, None])).value
    20.0
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from voc.errors import InputError

_NUMBER = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(?:分|points?|pts?)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedScores:
    """Scores read from a column: numbers (NaN for missing/invalid) and what was dropped."""

    values: pd.Series
    n_valid: int
    n_missing: int
    n_invalid: int
    invalid_examples: tuple[str, ...] = ()
    name: str = "score"

    def warning_text(self) -> str:
        """One line on what was excluded ('' when nothing was)."""
        parts = []
        if self.n_invalid:
            parts.append(f"{self.n_invalid} invalid {self.name} value(s) excluded (e.g. {', '.join(self.invalid_examples)})")
        if self.n_missing:
            parts.append(f"{self.n_missing} blank {self.name} answer(s) excluded")
        return "; ".join(parts)


def parse_scores(values: pd.Series, *, low: int, high: int, name: str = "score") -> ParsedScores:
    """Read integer scores in [low, high]; blanks are missing, anything else that is not such a score is invalid.

    Example:
        >>> p = parse_scores(pd.Series(["10分", "N/A", "", "11", "7"]), low=0, high=10)
        >>> p.values.tolist()[:1], p.n_valid, p.n_missing, p.n_invalid
        ([10.0], 2, 1, 2)
    """
    out = np.full(len(values), np.nan)
    n_missing = n_invalid = 0
    examples: list[str] = []
    for k, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            n_missing += 1
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            num: float | None = float(v)
        else:
            text = unicodedata.normalize("NFKC", str(v)).strip()
            if not text:
                n_missing += 1
                continue
            m = _NUMBER.match(text)
            num = float(m.group(1)) if m else None
        if num is None or num != int(num) or not low <= num <= high:
            n_invalid += 1
            if len(examples) < 5:
                examples.append(f"row {k + 1}: {str(v)!r}")
            continue
        out[k] = num
    series = pd.Series(out, index=values.index, name=values.name)
    return ParsedScores(series, int(np.isfinite(out).sum()), n_missing, n_invalid, tuple(examples), name)


@dataclass(frozen=True)
class Score:
    """A metric with its uncertainty and what it rests on."""

    metric: str
    value: float | None
    n: int
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    shares: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    n_missing: int = 0
    n_invalid: int = 0
    invalid_examples: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def label(self) -> str:
        """Human line, e.g. 'NPS +23.4 (95% CI +19.8 to +27.0, n=2,381)'."""
        name = {"nps": "NPS", "csat": "CSAT", "csat_mean": "CSAT mean", "ces": "CES"}.get(self.metric, self.metric)
        if self.value is None:
            return f"{name}: no valid answers (n=0)"
        fmt = "{:+.1f}" if self.metric == "nps" else ("{:.1f}%" if self.metric == "csat" else "{:.2f}")
        ci = ""
        if self.ci_low is not None and self.ci_high is not None:
            ci = f"95% CI {fmt.format(self.ci_low)} to {fmt.format(self.ci_high)}, "
        return f"{name} {fmt.format(self.value)} ({ci}n={self.n:,})"


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def nps_value(scores: np.ndarray, *, promoter_min: int = 9, detractor_max: int = 6) -> float:
    """NPS of an array of valid 0-10 scores (NaN ignored); nan when empty."""
    a = scores[np.isfinite(scores)]
    if not len(a):
        return float("nan")
    return 100.0 * (float((a >= promoter_min).mean()) - float((a <= detractor_max).mean()))


def nps_se(p: float, d: float, n: int) -> float:
    """Standard error of NPS in points: 100·sqrt((p + d − (p − d)²)/n), p and d as fractions."""
    return 100.0 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n) if n else float("nan")


def _valid(parsed: ParsedScores, metric: str) -> tuple[np.ndarray, list[str], Score | None]:
    """The valid scores, the data-quality warnings, and the empty Score to return when there are none."""
    a = parsed.values.to_numpy()
    a = a[np.isfinite(a)]
    warnings = [w for w in [parsed.warning_text()] if w]
    if len(a):
        return a, warnings, None
    warnings.append(f"no valid {parsed.name} answers: {parsed.name} cannot be computed")
    return a, warnings, Score(metric, None, 0, n_missing=parsed.n_missing, n_invalid=parsed.n_invalid,
                              invalid_examples=parsed.invalid_examples, warnings=tuple(warnings))


def nps(scores: pd.Series, *, promoter_min: int = 9, detractor_max: int = 6, confidence: float = 0.95) -> Score:
    """Net Promoter Score: %promoters (9-10) − %detractors (0-6) over valid answers, with a normal interval.

    Example:
        >>> nps(pd.Series([9, 9, 7, 3, None])).value
        25.0
    """
    parsed = parse_scores(pd.Series(scores), low=0, high=10, name="NPS")
    a, warnings, empty = _valid(parsed, "nps")
    if empty is not None:
        return empty
    n = len(a)
    prom = int((a >= promoter_min).sum())
    det = int((a <= detractor_max).sum())
    pas = n - prom - det
    p, d = prom / n, det / n
    value = 100.0 * (p - d)
    se = ci_low = ci_high = None
    if n >= 2:
        se = nps_se(p, d, n)
        z = _z(confidence)
        ci_low, ci_high = max(-100.0, value - z * se), min(100.0, value + z * se)
    else:
        warnings.append("only one respondent: NPS has no interval")
    return Score("nps", value, n, se, ci_low, ci_high,
                 shares={"promoters": p, "passives": pas / n, "detractors": d},
                 counts={"promoters": prom, "passives": pas, "detractors": det},
                 n_missing=parsed.n_missing, n_invalid=parsed.n_invalid,
                 invalid_examples=parsed.invalid_examples, warnings=tuple(warnings))


def csat(scores: pd.Series, *, scale: int = 5, top_box: int = 2, confidence: float = 0.95) -> Score:
    """CSAT: % of answers in the top ``top_box`` boxes of a 1..``scale`` scale, with a Wilson interval.

    Example:
        >>> round(csat(pd.Series([5, 4, 3, 2, None])).value, 1)
        50.0
    """
    from statsmodels.stats.proportion import proportion_confint

    parsed = parse_scores(pd.Series(scores), low=1, high=scale, name="CSAT")
    a, warnings, empty = _valid(parsed, "csat")
    if empty is not None:
        return empty
    n = len(a)
    sat = int((a > scale - top_box).sum())
    value = 100.0 * sat / n
    se = 100.0 * math.sqrt(sat / n * (1 - sat / n) / n)
    lo, hi = proportion_confint(sat, n, alpha=1 - confidence, method="wilson")
    if n < 2:
        warnings.append("only one respondent: CSAT interval is very wide")
    return Score("csat", value, n, se, 100.0 * lo, 100.0 * hi, shares={"satisfied": sat / n, "other": 1 - sat / n},
                 counts={"satisfied": sat, "other": n - sat}, n_missing=parsed.n_missing,
                 n_invalid=parsed.n_invalid, invalid_examples=parsed.invalid_examples, warnings=tuple(warnings))


def csat_mean(scores: pd.Series, *, scale: int = 5, confidence: float = 0.95) -> Score:
    """Mean satisfaction on 1..scale with a t-interval (labelled as a mean, not a CSAT percentage)."""
    parsed = parse_scores(pd.Series(scores), low=1, high=scale, name="CSAT")
    a = parsed.values.dropna().to_numpy()
    return _mean_score("csat_mean", a, parsed, confidence)


def ces(scores: pd.Series, *, scale: int = 7, confidence: float = 0.95) -> Score:
    """Customer Effort Score on 1..scale: the mean (value) plus %agree (6-7) − %disagree (1-3) in shares."""
    parsed = parse_scores(pd.Series(scores), low=1, high=scale, name="CES")
    a = parsed.values.dropna().to_numpy()
    score = _mean_score("ces", a, parsed, confidence)
    if len(a):
        net = 100.0 * (float((a >= scale - 1).mean()) - float((a <= 3).mean()))
        score = Score(**{**score.__dict__, "shares": {"net": net / 100.0}})
    return score


def _mean_score(metric: str, a: np.ndarray, parsed: ParsedScores, confidence: float) -> Score:
    n = len(a)
    warnings = tuple(w for w in [parsed.warning_text()] if w)
    if n == 0:
        return Score(metric, None, 0, n_missing=parsed.n_missing, n_invalid=parsed.n_invalid, warnings=warnings)
    mean = float(a.mean())
    if n < 2:
        return Score(metric, mean, n, n_missing=parsed.n_missing, n_invalid=parsed.n_invalid, warnings=warnings)
    se = float(a.std(ddof=1) / math.sqrt(n))
    t = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    return Score(metric, mean, n, se, mean - t * se, mean + t * se, n_missing=parsed.n_missing,
                 n_invalid=parsed.n_invalid, invalid_examples=parsed.invalid_examples, warnings=warnings)


def nps_by(df: pd.DataFrame, *, score: str, by: str) -> pd.DataFrame:
    """NPS per group plus an 'All' row recomputed from all respondents (never an average of groups)."""
    rows = []
    groups = [(str(k), g) for k, g in df.groupby(df[by].fillna("(blank)").astype(str), sort=True)]
    for key, g in [*groups, ("All", df)]:
        s = nps(g[score])
        rows.append({by: key, "n": s.n, "nps": s.value, "ci_low": s.ci_low, "ci_high": s.ci_high,
                     "promoters": s.shares.get("promoters"), "passives": s.shares.get("passives"),
                     "detractors": s.shares.get("detractors")})
    return pd.DataFrame(rows)


# -- loyalty formulas --------------------------------------------------------------------------------------
def _positive(**values: float) -> None:
    for k, v in values.items():
        if v is None or v < 0 or (isinstance(v, float) and math.isnan(v)):
            raise InputError(f"{k} must be a non-negative number, got {v!r}")


def retention_rate(start: float, end: float, new: float) -> float:
    """Customer retention rate (E − N) / S: customers at the end minus new ones, over those at the start."""
    _positive(start=start, end=end, new=new)
    if start == 0:
        raise InputError("start (S) must be above 0: retention is undefined without customers at the start")
    if new > end:
        raise InputError(f"new customers ({new}) cannot exceed customers at the end ({end})")
    return (end - new) / start


def churn_rate(start: float, end: float, new: float) -> float:
    """Churn rate = 1 − retention rate (share of starting customers lost in the period)."""
    return 1.0 - retention_rate(start, end, new)


def repeat_purchase_rate(repeat_customers: float, customers: float) -> float:
    """Repeat-purchase rate = customers who bought more than once / all customers."""
    _positive(repeat_customers=repeat_customers, customers=customers)
    if customers == 0:
        raise InputError("customers must be above 0")
    if repeat_customers > customers:
        raise InputError("repeat customers cannot exceed customers")
    return repeat_customers / customers


def clv(aov: float, purchase_frequency: float, lifespan: float, cac: float = 0.0) -> float:
    """Customer lifetime value = AOV × purchase frequency × lifespan − CAC."""
    _positive(aov=aov, purchase_frequency=purchase_frequency, lifespan=lifespan, cac=cac)
    return aov * purchase_frequency * lifespan - cac


def clv_retention(margin: float, retention: float, discount_rate: float, cac: float = 0.0) -> float:
    """CLV from retention: m·r / (1 + i − r) − CAC (margin per period, retention r, discount rate i)."""
    _positive(margin=margin, discount_rate=discount_rate, cac=cac)
    if not 0 <= retention < 1 + discount_rate:
        raise InputError(f"retention must be in [0, 1 + discount rate), got {retention}")
    return margin * retention / (1 + discount_rate - retention) - cac

