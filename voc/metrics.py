"""Survey metrics as pure functions on Series: NPS, CSAT, CES and the loyalty formulas.

Scores are parsed strictly: "10", "10分", "１０", " 9 ", "9.0", "十", "十分" are read; blanks and "no answer"
cells ("N/A", "不适用") are missing, excluded and counted. A column that is mostly text, values off the
scale ("十一", "11", "-1", "9.5") and a 1-5/1-7 column passed as NPS raise InputError naming the column,
the caller's parameter and the rows, unless ``drop_invalid=True`` (excluded and counted) or
``allow_scale=True``. A missing answer is never counted as 0, and passives stay in the NPS denominator.

Example:
    >>> import pandas as pd
    >>> nps(pd.Series([10, 9, 8, 7, 3, None])).value
    20.0
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from voc.errors import InputError

_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(?:分|points?|pts?)?$", re.IGNORECASE)
#: Chinese numerals up to 99, optionally with 分 ("points"): 十 and 十分 are 10. A cell that is exactly
#: "十分" is read as "10 points" (in a score column it is an answer, not the adverb "very"); "十分满意"
#: (very satisfied) is not a number and is reported.
_HANZI = re.compile(r"^([零〇一二两三四五六七八九]?十?[一二三四五六七八九]?|[零〇])\s*分?$")
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
#: cells that say "no answer" in so many words: counted with the blanks, never as invalid scores
NON_ANSWERS = frozenset({"n/a", "na", "-", "--", "—", "/", "无", "没有", "不适用", "不知道", "未填", "未作答",
                         "未回答", "跳过", "skip", "none", "null"})
#: an NPS column needs at least this many answers (and three different ones) before "all in 1-5 / 1-7" is
#: taken for another scale
SCALE_CHECK_MIN = 20


@dataclass(frozen=True)
class ScoreChecks:
    """How strict :func:`parse_scores` is when a call does not say (see :func:`score_checks`)."""

    allow_scale: bool = False
    drop_invalid: bool = False


_CHECKS: ContextVar[ScoreChecks] = ContextVar("voc_score_checks", default=ScoreChecks())  # noqa: B039 - frozen


@contextmanager
def score_checks(*, allow_scale: bool = False, drop_invalid: bool = False) -> Iterator[ScoreChecks]:
    """Set the defaults of ``allow_scale`` / ``drop_invalid`` for every score parsed inside the block.

    For code that calls :func:`driver_table` or :func:`analyse`, which parse scores several times
    (whole column, then per segment and period). Thread- and task-local (a ContextVar), like
    ``decimal.localcontext``.

    Example:
        >>> with score_checks(drop_invalid=True):
        ...     nps(pd.Series([10, 11, 9])).n
        2
    """
    checks = ScoreChecks(allow_scale=allow_scale, drop_invalid=drop_invalid)
    token = _CHECKS.set(checks)
    try:
        yield checks
    finally:
        _CHECKS.reset(token)


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


def read_score(value: object) -> float | None:
    """One answer as a number ("10", "10分", "１０", "十", "9.0"), or None when it is not a number.

    Example:
        >>> read_score("十分"), read_score("１０"), read_score("十分满意")
        (10.0, 10.0, None)
    """
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    m = _NUMBER.match(text)
    if m:
        return float(m.group(1))
    m = _HANZI.match(text)
    if not m or not m.group(1):
        return None
    word = m.group(1)
    if "十" not in word:
        return float(_DIGITS[word]) if len(word) == 1 else None
    tens, _, ones = word.partition("十")
    return float(_DIGITS.get(tens, 1) * 10 + _DIGITS.get(ones, 0))


def _is_blank(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return True
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        return not text or text.lower() in NON_ANSWERS
    return False


def _row(label: object, position: int) -> str:
    """Where a value is, for a human: 'row 17' (1-based) for a default index, else the index label."""
    if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
        return f"row {int(label) + 1}"
    return f"row {position + 1} (index {label!r})"


def _show(value: object, width: int = 24) -> str:
    text = str(value)
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def parse_scores(values: pd.Series, *, low: int, high: int, name: str = "score", param: str = "score",
                 allow_scale: bool | None = None, drop_invalid: bool | None = None) -> ParsedScores:
    """Read whole-number scores in [low, high]; blanks (and "N/A", "不适用", ...) are missing.

    Args:
        values: the answers as given (numbers or text such as "10分", "１０", "十").
        low, high: the scale (0-10 for NPS, 1-5 for CSAT).
        name: the metric, for messages ("NPS"); param: the caller's parameter that named the column.
        allow_scale: accept a 0-10 column whose answers all lie in 1-5 or 1-7 (else: InputError, it
            looks like a CSAT/CES column passed as NPS).
        drop_invalid: leave out values off the scale, counted in ``n_invalid`` (else: InputError
            listing them with their rows).
        ``None`` takes the setting of the enclosing :func:`score_checks` block (default: strict).

    Raises:
        InputError: the column is not numeric (most answers are not numbers), has invalid values
            and ``drop_invalid`` is off, or looks like another scale and ``allow_scale`` is off.

    Example:
        >>> p = parse_scores(pd.Series(["10分", "N/A", "", "11", "7"]), low=0, high=10, drop_invalid=True)
        >>> p.values.tolist()[:1], p.n_valid, p.n_missing, p.n_invalid
        ([10.0], 2, 2, 1)
    """
    checks = _CHECKS.get()
    allow_scale = checks.allow_scale if allow_scale is None else allow_scale
    drop_invalid = checks.drop_invalid if drop_invalid is None else drop_invalid
    out = np.full(len(values), np.nan)
    n_missing = 0
    not_numbers: list[str] = []
    off_scale: list[str] = []
    for k, (label, v) in enumerate(zip(values.index, values.tolist(), strict=True)):
        if _is_blank(v):
            n_missing += 1
            continue
        num = read_score(v)
        if num is None or math.isnan(num):
            not_numbers.append(f"{_row(label, k)}: {_show(v)}")
        elif num != int(num) or not low <= num <= high:
            off_scale.append(f"{_row(label, k)}: {_show(v)}")
        else:
            out[k] = num
    column = f"column {str(values.name)!r}" if values.name is not None else "the column"
    answered = len(values) - n_missing
    if not_numbers and len(not_numbers) * 2 > answered:
        raise InputError(f"{column} given as {param}= is not a numeric {name} score: {len(not_numbers)} of "
                         f"{answered} answers are not numbers ({', '.join(not_numbers[:3])}); pass the column "
                         f"that holds the {low}-{high} answers as {param}=")
    invalid = sorted(not_numbers + off_scale, key=lambda s: int(re.findall(r"\d+", s)[0]))
    if invalid and not drop_invalid:
        more = f" and {len(invalid) - 5} more" if len(invalid) > 5 else ""
        raise InputError(f"{column} given as {param}= has {len(invalid)} {name} value(s) that are not whole "
                         f"numbers from {low} to {high}: {', '.join(invalid[:5])}{more}; correct them, or "
                         f"pass drop_invalid=True to leave them out")
    valid = out[np.isfinite(out)]
    if (low, high) == (0, 10) and not allow_scale and len(valid) >= SCALE_CHECK_MIN and valid.min() >= 1 \
            and valid.max() <= 7 and len(np.unique(valid)) >= 3:  # one or two values: no sign of a scale
        top, kind = (5, "CSAT") if valid.max() <= 5 else (7, "CES")
        raise InputError(f"{column} given as {param}= looks like a 1-{top} {kind} scale, not 0-10 {name}: all "
                         f"{len(valid)} answers lie between {int(valid.min())} and {int(valid.max())}; pass "
                         f"the 0-10 column, or allow_scale=True if these really are 0-10 answers")
    series = pd.Series(out, index=values.index, name=values.name)
    return ParsedScores(series, len(valid), n_missing, len(invalid), tuple(invalid[:5]), name)


def csat_bands(scores: np.ndarray, *, scale: int = 5, top_box: int = 2,
               bottom_box: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Masks of satisfied (top ``top_box`` boxes) and dissatisfied (bottom ``bottom_box``) CSAT answers.

    Example:
        >>> top, bottom = csat_bands(np.array([5.0, 3.0, 1.0]))
        >>> top.tolist(), bottom.tolist()
        ([True, False, False], [False, False, True])
    """
    return scores > scale - top_box, scores <= bottom_box


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


def nps(scores: pd.Series, *, promoter_min: int = 9, detractor_max: int = 6, confidence: float = 0.95,
        param: str = "score", allow_scale: bool | None = None, drop_invalid: bool | None = None) -> Score:
    """Net Promoter Score: %promoters (9-10) − %detractors (0-6) over valid answers, with a normal interval.

    Passives (7-8) stay in the denominator. ``param``, ``allow_scale`` and ``drop_invalid`` as in
    :func:`parse_scores` (which raises InputError on a text column, values off the scale or a 1-5 column).

    Example:
        >>> nps(pd.Series([9, 9, 7, 3, None])).value
        25.0
    """
    parsed = parse_scores(pd.Series(scores), low=0, high=10, name="NPS", param=param, allow_scale=allow_scale,
                          drop_invalid=drop_invalid)
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


def csat(scores: pd.Series, *, scale: int = 5, top_box: int = 2, confidence: float = 0.95, param: str = "score",
         drop_invalid: bool | None = None) -> Score:
    """CSAT: % of answers in the top ``top_box`` boxes of a 1..``scale`` scale, with a Wilson interval.

    Example:
        >>> round(csat(pd.Series([5, 4, 3, 2, None])).value, 1)
        50.0
    """
    from statsmodels.stats.proportion import proportion_confint

    parsed = parse_scores(pd.Series(scores), low=1, high=scale, name="CSAT", param=param, drop_invalid=drop_invalid)
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


def csat_mean(scores: pd.Series, *, scale: int = 5, confidence: float = 0.95, param: str = "score",
              drop_invalid: bool | None = None) -> Score:
    """Mean satisfaction on 1..scale with a t-interval (labelled as a mean, not a CSAT percentage)."""
    parsed = parse_scores(pd.Series(scores), low=1, high=scale, name="CSAT", param=param, drop_invalid=drop_invalid)
    a = parsed.values.dropna().to_numpy()
    return _mean_score("csat_mean", a, parsed, confidence)


def ces(scores: pd.Series, *, scale: int = 7, confidence: float = 0.95, param: str = "score",
        drop_invalid: bool | None = None) -> Score:
    """Customer Effort Score on 1..scale: the mean (value) plus %agree (6-7) − %disagree (1-3) in shares."""
    parsed = parse_scores(pd.Series(scores), low=1, high=scale, name="CES", param=param, drop_invalid=drop_invalid)
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


def nps_by(df: pd.DataFrame, *, score: str, by: str, allow_scale: bool | None = None,
           drop_invalid: bool | None = None) -> pd.DataFrame:
    """NPS per group plus an 'All' row recomputed from all respondents (never an average of groups).

    The whole column is checked first (see :func:`parse_scores`); the scale check is not repeated on
    the groups, where a small group of low scores is no sign of another scale.
    """
    whole = nps(df[score], allow_scale=allow_scale, drop_invalid=drop_invalid)
    rows = []
    groups = [(str(k), g) for k, g in df.groupby(df[by].fillna("(blank)").astype(str), sort=True)]
    for key, s in [*((k, nps(g[score], allow_scale=True, drop_invalid=drop_invalid)) for k, g in groups),
                   ("All", whole)]:
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

