#!/usr/bin/env python3
"""Generate voc's bundled demo survey: a fictional grocery + food-delivery brand, 鲜到家 / 鮮到家.

Every comment is assembled from phrase banks written for voc (no third-party text; they are in
demo_phrases.toml beside this script, to read and edit), in the script of
the respondent's region: 华东/华南/华北 Simplified, 台湾 Taiwan Traditional, 香港 Hong Kong
Traditional with Cantonese. Scores come from a latent model with planted drivers, so the truth is known:

    python corpora/make_demo.py                     # rewrite the files next to this script
    python corpora/make_demo.py --out /tmp/demo --seed 7
    python corpora/make_demo.py --print-table       # the planted-driver table used in corpora/README.md

Files written (see corpora/README.md): demo_survey.csv, demo_truth.csv, demo_truth.json,
demo_qualtrics.csv, demo_wjx.csv (GB18030), demo_wjx.xlsx, demo_surveymonkey.csv.
Standard library + numpy + openpyxl only; the same seed gives byte-identical files.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import re
import sys
import tomllib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SEED = 2026
N_ROWS = 2600
N_EXPORT = 60  #: rows copied into the survey-tool exports
THEMES = ("logistics", "price", "service", "product")
SUBTHEMES: dict[str, tuple[str, ...]] = {
    "logistics": ("delivery_speed", "courier", "packaging", "wrong_or_missing", "tracking"),
    "price": ("price_level", "value_for_money", "promotion", "fees"),
    "service": ("customer_service", "staff_attitude", "after_sales_returns", "response_time"),
    "product": ("quality", "function", "taste", "appearance", "size_fit", "authenticity"),
}
ALL_SUBTHEMES = tuple(f"{t}.{s}" for t in THEMES for s in SUBTHEMES[t])
POLARITY = {"-": "negative", "+": "positive", "0": "neutral"}
SIGN = {"negative": -1, "neutral": 0, "positive": 1}

REGIONS = ("华东", "华南", "华北", "台湾", "香港")
REGION_P = (0.32, 0.24, 0.22, 0.12, 0.10)
SCRIPT = {"华东": "s", "华南": "s", "华北": "s", "台湾": "tw", "香港": "hk"}
CHANNELS = ("app", "miniprogram", "web", "store")
CHANNEL_P = {"s": (0.44, 0.28, 0.16, 0.12), "tw": (0.58, 0.0, 0.27, 0.15), "hk": (0.55, 0.0, 0.28, 0.17)}
MONTHS = ((2026, 4, 30), (2026, 5, 31), (2026, 6, 30), (2026, 7, 31), (2026, 8, 31), (2026, 9, 30))
MONTH_P = (0.15, 0.16, 0.18, 0.17, 0.17, 0.17)
HOUR_W = (1, 1, 0, 0, 0, 1, 2, 4, 6, 6, 6, 8, 10, 9, 6, 5, 5, 6, 8, 10, 11, 10, 7, 3)

# Score quirks, planted exactly (documented in README.md and demo_truth.json).
NPS_BLANK = 52
NPS_JUNK = (("N/A", 4, "any"), ("10分", 3, "ten"), ("11", 3, "ten"))  # value, count, which rows
CSAT_BLANK = 49
N_MULTILINE = 6  #: comments with a line break between two clauses
EXPORT_BLANKS = 3  #: blank comments guaranteed among the first N_EXPORT rows (skip codes in the exports)
EXPORT_CSAT_BLANKS = 2  #: of the CSAT blanks, how many fall in the first N_EXPORT rows

# Latent score model: nps = clip(round(NPS_BASE + shifts + N(0, NPS_SD)), 0, 10);
# csat = clip(round(CSAT_INTERCEPT + CSAT_SLOPE * clip(nps_latent, 0, 10) + csat shifts
#                   + N(0, CSAT_SD)), 1, 5)
NPS_BASE, NPS_SD = 8.7, 2.0
CSAT_INTERCEPT, CSAT_SLOPE, CSAT_SD = 1.05, 0.37, 0.5


@dataclass(frozen=True)
class Effect:
    """A planted driver: respondents with a matching mention get their latent scores shifted."""

    theme: str
    subtheme: str  #: '' = any sub-theme of the theme (the shift is applied once)
    polarity: str
    nps_shift: float  #: points on the 0-10 scale
    csat_shift: float  #: points on the 1-5 scale, on top of the shift carried over from NPS
    headline: bool = False

    @property
    def key(self) -> str:
        return f"{self.theme}{'.' + self.subtheme if self.subtheme else ''}:{self.polarity}"


EFFECTS: tuple[Effect, ...] = (
    Effect("logistics", "delivery_speed", "negative", -3.0, -0.3, headline=True),
    Effect("service", "", "negative", -2.5, -0.8, headline=True),
    Effect("price", "value_for_money", "positive", +1.2, +0.1, headline=True),
    Effect("product", "quality", "negative", -2.0, -0.4, headline=True),
    Effect("product", "", "positive", +0.8, +0.2, headline=True),
    Effect("logistics", "wrong_or_missing", "negative", -1.5, -0.3),
    Effect("product", "taste", "negative", -1.2, -0.3),
    Effect("logistics", "packaging", "negative", -1.0, -0.2),
    Effect("price", "price_level", "negative", -1.0, -0.1),
    Effect("logistics", "courier", "negative", -1.0, -0.2),
    Effect("price", "fees", "negative", -1.0, -0.2),
    Effect("service", "", "positive", +0.6, +0.3),
    Effect("logistics", "delivery_speed", "positive", +0.5, +0.1),
)

# Mention probabilities per themed comment: sub-theme -> (negative, positive, neutral).
MENTION_P: dict[str, tuple[float, float, float]] = {
    "logistics.delivery_speed": (0.16, 0.13, 0.02),
    "logistics.courier": (0.03, 0.045, 0.0),
    "logistics.packaging": (0.04, 0.045, 0.01),
    "logistics.wrong_or_missing": (0.035, 0.01, 0.0),
    "logistics.tracking": (0.022, 0.01, 0.0),
    "price.price_level": (0.055, 0.04, 0.02),
    "price.value_for_money": (0.035, 0.19, 0.0),
    "price.promotion": (0.03, 0.045, 0.0),
    "price.fees": (0.03, 0.01, 0.0),
    "service.customer_service": (0.065, 0.035, 0.0),
    "service.staff_attitude": (0.02, 0.025, 0.0),
    "service.after_sales_returns": (0.05, 0.02, 0.0),
    "service.response_time": (0.03, 0.01, 0.0),
    "product.quality": (0.125, 0.11, 0.025),
    "product.function": (0.02, 0.025, 0.0),
    "product.taste": (0.05, 0.10, 0.0),
    "product.appearance": (0.012, 0.03, 0.0),
    "product.size_fit": (0.025, 0.025, 0.0),
    "product.authenticity": (0.01, 0.015, 0.0),
}
MAX_MENTIONS = 3
SEGMENT_EFFECT = {"region": "华南", "mention": "logistics.delivery_speed:negative", "multiplier": 1.6}
TIME_EFFECT = {
    "event": "carrier change on 2026-08-01",
    "multipliers": {
        "logistics.delivery_speed:negative": {"2026-08": 2.0, "2026-09": 1.5},
        "logistics.courier:negative": {"2026-08": 1.5, "2026-09": 1.5},
        "logistics.tracking:negative": {"2026-08": 1.8, "2026-09": 1.4},
    },
}
SEASONAL = {"price.promotion:positive": {"2026-06": 1.8}}  # 618 sales; not a planted score effect
STORE_ONLY = {"service.staff_attitude": (3.0, 0.5)}  # mention multiplier for store / other channels

# Comment kinds (shares of all rows); "themed" comments with no mention drawn become "generic".
KIND_P = {"blank": 0.022, "nonanswer": 0.025, "emoji": 0.012, "generic": 0.08, "themed": 0.861}

# --------------------------------------------------------------------------------------------------
# Phrase banks, written for voc, in demo_phrases.toml beside this script (template syntax there:
# {a|b|c} picks one alternative, <SLOT> is filled from SLOTS[script]).
# --------------------------------------------------------------------------------------------------

PHRASES = Path(__file__).with_name("demo_phrases.toml")
_TABLES = ("bank", "carrier_change", "slots", "openings", "closings", "generic", "non_answers", "blanks",
           "emoji_only", "decor", "contrast", "additive", "pii")


def _check(value: object, where: str, file: str) -> None:
    """Every leaf of the phrase file is a string or a non-empty list of strings (or of tables)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check(item, f"{where}.{key}" if where else key, file)
    elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        for i, item in enumerate(value):
            _check(item, f"{where}[{i}]", file)
    elif isinstance(value, list):
        if not value or not all(isinstance(x, str) for x in value):
            raise ValueError(f"{file}: {where} should be a non-empty list of strings, not {value!r}")
    elif not isinstance(value, str):
        raise ValueError(f"{file}: {where} should be a string, not {value!r}")


def load_phrases(path: Path = PHRASES) -> dict[str, Any]:
    """The phrase banks of ``path`` (TOML), lists as tuples; ValueError naming the key if one is malformed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path.name} is not valid TOML ({exc}): fix it and rerun") from exc
    missing = [name for name in _TABLES if name not in data]
    if missing:
        raise ValueError(f"{path.name} has no [{missing[0]}] table; expected tables: {', '.join(_TABLES)}")
    _check(data, "", path.name)
    return _frozen(data)


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


_PHRASES = load_phrases()
#: clause templates: BANK[script][theme.subtheme][polarity key "-" / "+" / "0"]
BANK: dict[str, dict[str, dict[str, tuple[str, ...]]]] = _PHRASES["bank"]
#: extra delivery-speed complaints used after the carrier change (2026-08 onwards)
CARRIER_CHANGE: dict[str, str] = _PHRASES["carrier_change"]
SLOTS: dict[str, dict[str, tuple[str, ...]]] = _PHRASES["slots"]
OPENINGS: dict[str, tuple[str, ...]] = _PHRASES["openings"]
CLOSINGS: dict[str, dict[str, tuple[str, ...]]] = _PHRASES["closings"]
GENERIC: dict[str, dict[str, tuple[str, ...]]] = _PHRASES["generic"]
NON_ANSWERS: dict[str, tuple[str, ...]] = _PHRASES["non_answers"]
BLANKS: tuple[str, ...] = _PHRASES["blanks"]["all"]
EMOJI_ONLY: dict[str, tuple[str, ...]] = _PHRASES["emoji_only"]
DECOR: dict[str, dict[str, tuple[str, ...]]] = _PHRASES["decor"]
#: contrast words before a negative / a positive clause ("只是" and "可惜" only introduce a flaw)
CONTRAST: dict[str, dict[str, tuple[str, ...]]] = _PHRASES["contrast"]
ADDITIVE: dict[str, tuple[str, ...]] = _PHRASES["additive"]
#: fake contact details appended to a few complaints (redaction demo): (script, template)
PII: tuple[tuple[str, str], ...] = tuple((p["script"], p["text"]) for p in _PHRASES["pii"])

_ALT = re.compile(r"\{([^{}]*)\}")
_SLOT = re.compile(r"<([A-Z0-9]+)>")


# --------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------


@dataclass
class Response:
    """One generated respondent: observed fields plus the true labels behind them."""

    submitted: dt.datetime
    region: str
    channel: str
    kind: str
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (theme.subtheme, polarity)
    nps_latent: float = 0.0
    nps: str = ""
    nps_true: int = 0
    csat: str = ""
    comment: str = ""
    overall: str = ""

    @property
    def script(self) -> str:
        return SCRIPT[self.region]

    @property
    def month(self) -> str:
        return self.submitted.strftime("%Y-%m")


class _Writer:
    """Expands templates with one numpy Generator (all randomness flows through it)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def pick(self, seq: Sequence[str]) -> str:
        return seq[int(self.rng.integers(len(seq)))]

    def fill(self, template: str, script: str) -> str:
        text = _ALT.sub(lambda m: self.pick(m.group(1).split("|")), template)
        return _SLOT.sub(lambda m: self._slot(m.group(1), script), text)

    def _slot(self, name: str, script: str) -> str:
        if name == "M":
            return str(int(self.rng.integers(50, 121)))
        if name == "M2":
            return str(int(self.rng.integers(15, 36)))
        if name == "YUAN":
            return str(int(self.rng.integers(3, 31)))
        return self.pick(SLOTS[script][name])

    def clause(self, sub: str, polarity: str, script: str, month: str) -> str:
        if (sub == "logistics.delivery_speed" and polarity == "negative" and month >= "2026-08"
                and self.rng.random() < 0.3):
            return self.fill(CARRIER_CHANGE[script], script)
        key = {"negative": "-", "positive": "+", "neutral": "0"}[polarity]
        return self.fill(self.pick(BANK[script][sub][key]), script)


def _mention_p(sub: str, polarity: str, r: Response) -> float:
    base = MENTION_P[sub][["negative", "positive", "neutral"].index(polarity)]
    key = f"{sub}:{polarity}"
    if key == SEGMENT_EFFECT["mention"] and r.region == SEGMENT_EFFECT["region"]:
        base *= float(SEGMENT_EFFECT["multiplier"])  # type: ignore[arg-type]
    base *= TIME_EFFECT["multipliers"].get(key, {}).get(r.month, 1.0)  # type: ignore[attr-defined]
    base *= SEASONAL.get(key, {}).get(r.month, 1.0)
    if sub in STORE_ONLY:
        base *= STORE_ONLY[sub][0] if r.channel == "store" else STORE_ONLY[sub][1]
    return base


def _draw_mentions(r: Response, rng: np.random.Generator) -> list[tuple[str, str]]:
    found = []
    for sub in ALL_SUBTHEMES:
        u = rng.random()
        acc = 0.0
        for polarity in ("negative", "positive", "neutral"):
            acc += _mention_p(sub, polarity, r)
            if u < acc:
                found.append((sub, polarity))
                break
    if len(found) > MAX_MENTIONS:
        keep = sorted(rng.choice(len(found), MAX_MENTIONS, replace=False).tolist())
        found = [found[i] for i in keep]
    order = rng.permutation(len(found)).tolist()
    return [found[i] for i in order]


def _matches(effect: Effect, mentions: Sequence[tuple[str, str]]) -> bool:
    for sub, polarity in mentions:
        theme, name = sub.split(".")
        if theme == effect.theme and polarity == effect.polarity and effect.subtheme in ("", name):
            return True
    return False


def _scores(r: Response, rng: np.random.Generator) -> tuple[float, int, int]:
    nps_shift = sum(e.nps_shift for e in EFFECTS if _matches(e, r.mentions))
    csat_shift = sum(e.csat_shift for e in EFFECTS if _matches(e, r.mentions))
    latent = NPS_BASE + nps_shift + rng.normal(0.0, NPS_SD)
    nps = int(np.clip(np.rint(latent), 0, 10))
    c = CSAT_INTERCEPT + CSAT_SLOPE * float(np.clip(latent, 0, 10)) + csat_shift + rng.normal(0.0, CSAT_SD)
    return latent, nps, int(np.clip(np.rint(c), 1, 5))


def _sign(x: float) -> str:
    return "positive" if x > 0 else "negative" if x < 0 else "neutral"


def _themed_comment(r: Response, w: _Writer, *, multiline: bool) -> tuple[str, str]:
    """Assemble clauses for the mentions; returns (comment, overall sentiment)."""
    s, rng = r.script, w.rng
    parts: list[str] = []
    total = 0.0
    prev = 0
    for i, (sub, polarity) in enumerate(r.mentions):
        text = w.clause(sub, polarity, s, r.month)
        sign = SIGN[polarity]
        weight = 1.0
        if i == 0:
            parts.append(text)
        else:
            sep = "\n" if multiline and i == 1 else w.pick(("，", "，", "，", "，", "。", "；", " ", "！", ","))
            if sign and prev and sign != prev and rng.random() < 0.75:
                word = w.pick(CONTRAST[s]["+" if sign > 0 else "-"])
                sep = ("\n" if sep == "\n" else w.pick(("，", "，", "。"))) + word
                weight = 2.0  # the clause after a contrast word carries the verdict
            elif rng.random() < 0.25:
                sep += w.pick(ADDITIVE[s])
            parts.append(sep + text)
        total += weight * sign
        prev = sign or prev
    if rng.random() < 0.3 and len(parts[0]) < 25:  # no preamble before a long story
        parts.insert(0, w.fill(w.pick(OPENINGS[s]), s))
    mood = "+" if total > 0 else "-" if total < 0 else "0"
    if rng.random() < 0.35:
        parts.append(w.pick(("，", "。", "！", "，", " ")) + w.fill(w.pick(CLOSINGS[s][mood]), s))
    if mood != "0" and rng.random() < 0.22:
        parts.append(w.pick(DECOR[s][mood]))
    elif rng.random() < 0.4:
        parts.append(w.pick(("。", "！", "!", "~", "。。。")))
    return "".join(parts), _sign(total)


def _generic_comment(r: Response, w: _Writer) -> tuple[str, str]:
    score = r.nps_latent
    u = w.rng.random()
    if score >= 8.5:
        mood = "+" if u < 0.8 else "0"
    elif score >= 6.5:
        mood = "+" if u < 0.4 else "0"
    else:
        mood = "-" if u < 0.7 else "0"
    text = w.pick(GENERIC[r.script][mood])
    if mood != "0" and w.rng.random() < 0.25:
        text += w.pick(DECOR[r.script][mood])
    return text, POLARITY[mood]


def _timestamps(n: int, rng: np.random.Generator) -> list[dt.datetime]:
    hour_p = np.asarray(HOUR_W, dtype=float) / sum(HOUR_W)
    out = []
    for _ in range(n):
        y, m, days = MONTHS[int(rng.choice(len(MONTHS), p=MONTH_P))]
        day = int(rng.integers(1, days + 1))
        hour = int(rng.choice(24, p=hour_p))
        secs = int(rng.integers(3600))
        out.append(dt.datetime(y, m, day, hour) + dt.timedelta(seconds=secs))
    return sorted(out)


def generate(*, seed: int = SEED, rows: int = N_ROWS) -> list[Response]:
    """Draw the whole survey; the same seed always gives the same responses.

    Example:
        >>> generate(seed=1, rows=50)[0].region in REGIONS
        True
    """
    # Three independent streams: editing a phrase bank changes wording only, never scores or quirks.
    rng = np.random.default_rng([seed, 1])  # respondents, mentions, scores
    w = _Writer(np.random.default_rng([seed, 2]))  # wording
    quirks = np.random.default_rng([seed, 3])  # which scores are blank or junk
    kinds, kind_p = list(KIND_P), np.asarray(list(KIND_P.values()))
    out: list[Response] = []
    for ts in _timestamps(rows, rng):
        region = REGIONS[int(rng.choice(len(REGIONS), p=REGION_P))]
        channel = CHANNELS[int(rng.choice(len(CHANNELS), p=CHANNEL_P[SCRIPT[region]]))]
        r = Response(ts, region, channel, kinds[int(rng.choice(len(kinds), p=kind_p / kind_p.sum()))])
        if r.kind == "themed":
            r.mentions = _draw_mentions(r, rng)
            if not r.mentions:
                r.kind = "generic"
        r.nps_latent, r.nps_true, csat = _scores(r, rng)
        r.nps, r.csat = str(r.nps_true), str(csat)
        out.append(r)

    themed = [i for i, r in enumerate(out) if r.kind == "themed" and len(r.mentions) >= 2]
    multiline = set(w.rng.choice(themed, min(N_MULTILINE, len(themed)), replace=False).tolist())
    for i, r in enumerate(out):
        if r.kind == "themed":
            r.comment, r.overall = _themed_comment(r, w, multiline=i in multiline)
        elif r.kind == "generic":
            r.comment, r.overall = _generic_comment(r, w)
        elif r.kind == "blank":
            r.comment, r.overall = w.pick(BLANKS), ""
        elif r.kind == "nonanswer":
            r.comment, r.overall = w.pick(NON_ANSWERS[r.script]), "neutral"
        else:  # emoji only
            mood = "+" if r.nps_latent >= 7 else "-"
            r.comment, r.overall = w.pick(EMOJI_ONLY[mood]), POLARITY[mood]
    _plant_export_blanks(out, w)
    _plant_pii(out, w)
    _plant_score_quirks(out, quirks)
    return out


def _plant_export_blanks(out: list[Response], w: _Writer) -> None:
    """Blank some generic comments in the first rows, so the survey-tool exports show skip codes."""
    have = sum(r.kind == "blank" for r in out[:N_EXPORT])
    pool = [i for i, r in enumerate(out[:N_EXPORT]) if r.kind == "generic"]
    k = min(max(EXPORT_BLANKS - have, 0), len(pool))
    for i in sorted(w.rng.choice(pool, k, replace=False).tolist()):
        out[i].kind, out[i].comment, out[i].overall = "blank", "", ""


def _plant_pii(out: list[Response], w: _Writer) -> None:
    """Append one made-up contact detail per PII template to a service complaint of that script."""
    used: set[int] = set()
    for script, template in PII:
        pool = [
            i for i, r in enumerate(out)
            if r.script == script and i not in used and r.kind == "themed"
            and any(sub.startswith("service.") and p == "negative" for sub, p in r.mentions)
        ]
        if not pool:  # only in tiny test runs
            continue
        i = int(w.rng.choice(pool))
        used.add(i)
        out[i].comment = out[i].comment.rstrip("。！!~") + w.fill(template, script)


def _plant_score_quirks(out: list[Response], rng: np.random.Generator) -> None:
    """Blank or spoil exactly the documented number of scores."""
    taken: set[int] = set()

    def draw(pool: list[int], k: int) -> list[int]:
        pool = [i for i in pool if i not in taken]
        chosen = sorted(rng.choice(pool, min(k, len(pool)), replace=False).tolist())
        taken.update(chosen)
        return chosen

    for i in draw(list(range(len(out))), NPS_BLANK):
        out[i].nps = ""
    for value, k, which in NPS_JUNK:
        pool = [i for i, r in enumerate(out) if which == "any" or r.nps_true == 10]
        for i in draw(pool, k):
            out[i].nps = value
    head = min(N_EXPORT, len(out))
    first = rng.choice(head, min(EXPORT_CSAT_BLANKS, head), replace=False).tolist()
    tail = len(out) - head
    later = (head + rng.choice(tail, min(CSAT_BLANK - len(first), tail), replace=False)).tolist()
    for i in sorted(first + later):
        out[i].csat = ""


# --------------------------------------------------------------------------------------------------
# Truth: labels and driver statistics from the TRUE mentions
# --------------------------------------------------------------------------------------------------


def theme_sentiments(mentions: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Per-theme sentiment: praise and criticism of one theme together count as neutral."""
    out = {}
    for theme in THEMES:
        signs = {SIGN[p] for sub, p in mentions if sub.split(".")[0] == theme}
        if not signs:
            out[theme] = ""
        elif {1, -1} <= signs:
            out[theme] = "neutral"
        else:
            out[theme] = _sign(sum(signs))
    return out


def _valid_nps(r: Response) -> int | None:
    return int(r.nps) if r.nps.isdigit() and int(r.nps) <= 10 else None


def _valid_csat(r: Response) -> int | None:
    return int(r.csat) if r.csat.isdigit() and 1 <= int(r.csat) <= 5 else None


def nps_of(scores: Sequence[int]) -> float:
    """NPS in points: % promoters (9-10) minus % detractors (0-6)."""
    if not scores:
        return float("nan")
    return 100.0 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def csat_of(scores: Sequence[int]) -> float:
    """CSAT in %: share of 4 and 5 on the 1-5 scale."""
    if not scores:
        return float("nan")
    return 100.0 * sum(s >= 4 for s in scores) / len(scores)


def _stats(group: list[Response], rest: list[Response], everyone: list[Response]) -> dict[str, object]:
    out: dict[str, object] = {"n": len(group), "share": round(len(group) / len(everyone), 4)}
    for name, valid, metric in (("nps", _valid_nps, nps_of), ("csat", _valid_csat, csat_of)):
        g = [v for v in map(valid, group) if v is not None]
        o = [v for v in map(valid, rest) if v is not None]
        a = [v for v in map(valid, everyone) if v is not None]
        out[name] = {
            "n_valid": len(g),
            "mentioners": round(metric(g), 2),
            "rest": round(metric(o), 2),
            "gap": round(metric(g) - metric(o), 2),
            "impact": round(metric(a) - metric(o), 2),
        }
    return out


def _drivers(out: list[Response]) -> list[dict[str, object]]:
    planted = {e.key: e for e in EFFECTS}
    sents = [theme_sentiments(r.mentions) for r in out]
    rows = []
    for theme in THEMES:
        for polarity in ("negative", "positive"):
            keys = [(f"{theme}:{polarity}", "", lambda i, t=theme, p=polarity: sents[i][t] == p)]
            for sub in SUBTHEMES[theme]:
                keys.append((
                    f"{theme}.{sub}:{polarity}", sub,
                    lambda i, s=f"{theme}.{sub}", p=polarity: (s, p) in out[i].mentions,
                ))
            for key, sub, test in keys:
                group = [r for i, r in enumerate(out) if test(i)]
                if not group:
                    continue
                rest = [r for i, r in enumerate(out) if not test(i)]
                e = planted.get(key)
                row: dict[str, object] = {
                    "driver": key, "theme": theme, "subtheme": sub, "polarity": polarity,
                    "planted": e is not None, "headline": bool(e and e.headline),
                    "nps_shift": e.nps_shift if e else 0.0, "csat_shift": e.csat_shift if e else 0.0,
                }
                row.update(_stats(group, rest, out))
                rows.append(row)
    return rows


def _share(rows: list[Response], key: str) -> float:
    sub, polarity = key.split(":")
    return round(sum((sub, polarity) in r.mentions for r in rows) / max(len(rows), 1), 4)


def truth_summary(out: list[Response], *, seed: int) -> dict[str, object]:
    """Everything tests and docs need to know about the planted truth."""
    nps_valid = [v for v in map(_valid_nps, out) if v is not None]
    csat_valid = [v for v in map(_valid_csat, out) if v is not None]
    key = str(SEGMENT_EFFECT["mention"])
    def nps_among(rs: list[Response]) -> float:
        return round(nps_of([v for v in map(_valid_nps, rs) if v is not None]), 2)

    by_region = {
        reg: {"n": len(rs), "share": _share(rs, key), "nps": nps_among(rs)}
        for reg in REGIONS for rs in [[r for r in out if r.region == reg]]
    }
    time_keys = list(TIME_EFFECT["multipliers"])  # type: ignore[call-overload]
    by_month = {
        m: {"n": len(rs), **{k: _share(rs, k) for k in time_keys}, "nps": nps_among(rs)}
        for m in sorted({r.month for r in out}) for rs in [[r for r in out if r.month == m]]
    }
    kinds: dict[str, int] = {}
    for r in out:
        kinds[r.kind] = kinds.get(r.kind, 0) + 1
    return {
        "generator": "python corpora/make_demo.py",
        "seed": seed,
        "rows": len(out),
        "definitions": {
            "nps": "% promoters (9-10) minus % detractors (0-6) over valid integer scores 0-10; "
                   "blanks and junk ('N/A', '10分', '11') excluded",
            "csat": "% of 4 and 5 over valid scores 1-5; blanks excluded",
            "group": "top-level driver: the theme's true sentiment column equals the polarity; "
                     "sub-theme driver: the response has a true mention of that sub-theme with that polarity",
            "share": "n / all rows",
            "gap": "metric(mentioners) - metric(rest)",
            "impact": "metric(all) - metric(all without the mentioners) (leave-one-out); "
                      "negative = drags the score down",
        },
        "nps": {
            "value": round(nps_of(nps_valid), 2), "n_valid": len(nps_valid),
            "blank": sum(r.nps == "" for r in out),
            "junk": {v: sum(r.nps == v for r in out) for v, _, _ in NPS_JUNK},
            "promoters": sum(v >= 9 for v in nps_valid), "passives": sum(7 <= v <= 8 for v in nps_valid),
            "detractors": sum(v <= 6 for v in nps_valid),
        },
        "csat": {"value": round(csat_of(csat_valid), 2), "n_valid": len(csat_valid),
                 "blank": sum(r.csat == "" for r in out)},
        "comments": {
            "kinds": dict(sorted(kinds.items())),
            "multiline": sum("\n" in r.comment for r in out),
            "pii": sum(bool(re.search(r"@|\d{4}[- ]?\d{3,4}", r.comment)) for r in out),
            "distinct": len({r.comment for r in out}),
        },
        "model": {
            "nps": f"clip(round({NPS_BASE} + sum(nps_shift) + N(0, {NPS_SD})), 0, 10)",
            "csat": f"clip(round({CSAT_INTERCEPT} + {CSAT_SLOPE} * clip(nps_latent, 0, 10) + sum(csat_shift)"
                    f" + N(0, {CSAT_SD})), 1, 5)",
            "effects": [
                {"driver": e.key, "nps_shift": e.nps_shift, "csat_shift": e.csat_shift,
                 "headline": e.headline}
                for e in EFFECTS
            ],
        },
        "segment_effect": {**SEGMENT_EFFECT, "by_region": by_region},
        "time_effect": {**TIME_EFFECT, "by_month": by_month},
        "drivers": _drivers(out),
    }


# --------------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------------


def _csv_bytes(rows: Sequence[Sequence[object]], *, encoding: str = "utf-8", crlf: bool = False,
               quote_all: bool = False) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n" if crlf else "\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def survey_rows(out: list[Response]) -> list[list[str]]:
    rows = [["id", "submitted_at", "channel", "region", "nps", "csat", "comment"]]
    for i, r in enumerate(out, 1):
        rows.append([f"R{i:05d}", r.submitted.isoformat(), r.channel, r.region, r.nps, r.csat, r.comment])
    return rows


def truth_rows(out: list[Response]) -> list[list[str]]:
    rows = [["id", "text", "themes", "subthemes", *THEMES, "ignore", "overall", "mentions"]]
    for i, r in enumerate(out, 1):
        subs = sorted({s for s, _ in r.mentions}, key=ALL_SUBTHEMES.index)
        sent = theme_sentiments(r.mentions)
        rows.append([
            f"R{i:05d}", r.comment, ";".join(t for t in THEMES if sent[t]), ";".join(subs),
            *(sent[t] for t in THEMES), "", r.overall,
            ";".join(f"{s}:{p}" for s, p in sorted(r.mentions, key=lambda m: ALL_SUBTHEMES.index(m[0]))),
        ])
    return rows


CHANNEL_LABEL = {"app": "App", "web": "网页", "miniprogram": "微信小程序", "store": "门店"}
CITY = {  # (latitude, longitude) of a city centre, and a masked IP prefix with 问卷星's location label
    "华东": ((31.2304, 121.4737), ("101.80.x.x(上海-上海)", "115.236.x.x(浙江-杭州)", "180.110.x.x(江苏-南京)")),
    "华南": ((23.1291, 113.2644), ("116.23.x.x(广东-广州)", "113.104.x.x(广东-深圳)", "59.41.x.x(广东-广州)")),
    "华北": ((39.9042, 116.4074), ("123.112.x.x(北京-北京)", "111.30.x.x(天津-天津)", "60.10.x.x(河北-石家庄)")),
    "台湾": ((25.0330, 121.5654), ("61.216.x.x(台湾-台北)", "114.34.x.x(台湾-台中)")),
    "香港": ((22.3193, 114.1694), ("203.198.x.x(香港-未知)", "112.118.x.x(香港-未知)")),
}
Q_NPS = "您向朋友或同事推荐鲜到家的可能性有多大？"
Q_CSAT = "总体而言，您对本次购物体验的满意度如何？"
Q_TEXT = "请写下您的意见或建议"
Q_CHANNEL = "您主要通过哪个渠道购买？"


def _export_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, 60])  # separate stream: exports never change the survey


def _test_net_ip(rng: np.random.Generator) -> str:
    net = ("192.0.2", "198.51.100", "203.0.113")[int(rng.integers(3))]  # RFC 5737 documentation ranges
    return f"{net}.{int(rng.integers(1, 255))}"


def qualtrics_rows(out: list[Response], seed: int) -> list[list[str]]:
    rng = _export_rng(seed)
    header = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
              "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
              "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel",
              "UserLanguage", "Q1", "Q1_NPS_GROUP", "Q2", "Q3", "Q4", "Q5"]
    labels = ["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)",
              "Finished", "Recorded Date", "Response ID", "Recipient Last Name", "Recipient First Name",
              "Recipient Email", "External Data Reference", "Location Latitude", "Location Longitude",
              "Distribution Channel", "User Language", Q_NPS, f"{Q_NPS} - Group", Q_CSAT, Q_TEXT, Q_CHANNEL,
              "您所在的地区"]
    tz = ',"timeZone":"Asia/Shanghai"'
    ids = ["startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished", "recordedDate",
           "_recordId", "recipientLastName", "recipientFirstName", "recipientEmail", "externalDataReference",
           "locationLatitude", "locationLongitude", "distributionChannel", "userLanguage", "QID1",
           "QID1_NPS_GROUP", "QID2", "QID3_TEXT", "QID4", "QID5"]
    import_ids = ['{{"ImportId":"{}"{}}}'.format(i, tz if i in ("startDate", "endDate", "recordedDate") else "")
                  for i in ids]
    rows = [header, labels, import_ids]
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    fmt = "%Y-%m-%d %H:%M:%S"
    for i, r in enumerate(out[:N_EXPORT], 1):
        secs = int(rng.integers(35, 600))
        v = _valid_nps(r)
        group = "" if v is None else "Promoter" if v >= 9 else "Passive" if v >= 7 else "Detractor"
        (lat, lon), _ = CITY[r.region]
        rows.append([
            (r.submitted - dt.timedelta(seconds=secs)).strftime(fmt), r.submitted.strftime(fmt), "IP Address",
            _test_net_ip(rng), "100", str(secs), "True",
            (r.submitted + dt.timedelta(seconds=1)).strftime(fmt),
            "R_" + "".join(alnum[int(k)] for k in rng.integers(len(alnum), size=15)), "", "", "",
            f"R{i:05d}", f"{lat:.4f}", f"{lon:.4f}", "anonymous", "ZH-S" if r.script == "s" else "ZH-T",
            "" if v is None else str(v), group, r.csat, r.comment, CHANNEL_LABEL[r.channel], r.region,
        ])
    return rows


WJX_CHANNELS = {"app": "App", "web": "网页", "miniprogram": "微信小程序", "store": "线下门店"}
WJX_HEADER = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP",
              "1、您向朋友或同事推荐我们的可能性有多大？", "2、您对本次购物体验的满意度",
              "3、您主要通过哪些渠道购买？", "4、请写下您的意见或建议"]


def wjx_rows(out: list[Response], seed: int) -> list[list[object]]:
    """问卷星 download: -3 = skipped, -2 = not shown (the text question was hidden for two respondents)."""
    rng = _export_rng(seed + 1)
    rows: list[list[object]] = [list(WJX_HEADER)]
    hidden = [i for i, r in enumerate(out[:N_EXPORT]) if not r.comment.strip()][:2]
    for i, r in enumerate(out[:N_EXPORT]):
        source = ("手机提交", "微信", "链接")[int(rng.choice(3, p=(0.45, 0.4, 0.15)))]
        detail = "直接访问" if source != "微信" else "N/A"
        channels = [WJX_CHANNELS[r.channel]]
        if rng.random() < 0.3:
            extra = WJX_CHANNELS[CHANNELS[int(rng.integers(len(CHANNELS)))]]
            if extra not in channels:
                channels.append(extra)
        nps, csat = _valid_nps(r), _valid_csat(r)
        t = r.submitted
        comment: object = r.comment if r.comment.strip() else (-2 if i in hidden else -3)
        rows.append([
            i + 1, f"{t.year}/{t.month}/{t.day} {t.hour}:{t:%M:%S}", f"{int(rng.integers(25, 400))}秒",
            source, detail, _pick(rng, CITY[r.region][1]),
            -3 if nps is None else nps, -3 if csat is None else csat, "┋".join(channels), comment,
        ])
    return rows


def _pick(rng: np.random.Generator, seq: Sequence[str]) -> str:
    return seq[int(rng.integers(len(seq)))]


CSAT_LABEL = {"1": "非常不满意", "2": "不满意", "3": "一般", "4": "满意", "5": "非常满意"}


def surveymonkey_rows(out: list[Response], seed: int) -> list[list[str]]:
    rng = _export_rng(seed + 2)
    head1 = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
             "First Name", "Last Name", "Custom Data 1", Q_NPS, Q_CSAT, Q_CHANNEL, Q_TEXT]
    head2 = [""] * 9 + ["Response", "Response", "Response", "Open-Ended Response"]
    rows = [head1, head2]
    fmt = "%m/%d/%Y %I:%M:%S %p"
    base = 11873400000
    for i, r in enumerate(out[:N_EXPORT], 1):
        secs = int(rng.integers(35, 600))
        v = _valid_nps(r)
        rows.append([
            str(base + i * 37 + int(rng.integers(30))), "431096542",
            (r.submitted - dt.timedelta(seconds=secs)).strftime(fmt), r.submitted.strftime(fmt),
            _test_net_ip(rng), "", "", "", f"R{i:05d}", "" if v is None else str(v),
            CSAT_LABEL.get(r.csat, ""), CHANNEL_LABEL[r.channel], r.comment,
        ])
    return rows


FIXED_TIME = dt.datetime(2026, 10, 1, 0, 0, 0)


def xlsx_bytes(rows: Sequence[Sequence[object]], *, sheet: str = "Sheet1") -> bytes:
    """An .xlsx with fixed timestamps inside, so the same rows give the same bytes."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    wb.properties.creator = "voc corpora/make_demo.py"
    wb.properties.created = FIXED_TIME
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    fixed = io.BytesIO()
    with zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp, data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    return fixed.getvalue()


def driver_table_markdown(truth: dict[str, object]) -> str:
    """The planted-driver table for corpora/README.md, from demo_truth.json."""
    lines = [
        "| driver (theme.sub-theme : polarity) | planted NPS shift | planted CSAT shift | n | share "
        "| NPS gap | NPS impact | CSAT gap | CSAT impact |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    drivers = {d["driver"]: d for d in truth["drivers"]}  # type: ignore[index, union-attr]
    for e in EFFECTS:
        d = drivers[e.key]
        name = f"**{e.key}**" if e.headline else e.key
        lines.append(
            f"| {name} | {e.nps_shift:+.1f} | {e.csat_shift:+.1f} | {d['n']} | {100 * d['share']:.1f}% "
            f"| {d['nps']['gap']:+.1f} | {d['nps']['impact']:+.1f} "
            f"| {d['csat']['gap']:+.1f} | {d['csat']['impact']:+.1f} |"
        )
    return "\n".join(lines)


def build(*, seed: int = SEED) -> dict[str, bytes]:
    """Every demo file as bytes, keyed by file name."""
    out = generate(seed=seed)
    truth = truth_summary(out, seed=seed)
    wjx = wjx_rows(out, seed)
    return {
        "demo_survey.csv": _csv_bytes(survey_rows(out)),
        "demo_truth.csv": _csv_bytes(truth_rows(out)),
        "demo_truth.json": (json.dumps(truth, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
        "demo_qualtrics.csv": _csv_bytes(
            qualtrics_rows(out, seed), encoding="utf-8-sig", crlf=True, quote_all=True
        ),
        "demo_wjx.csv": _csv_bytes(wjx, encoding="gb18030", crlf=True),
        "demo_wjx.xlsx": xlsx_bytes(wjx),
        "demo_surveymonkey.csv": _csv_bytes(surveymonkey_rows(out, seed), crlf=True),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output directory")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--print-table", action="store_true", help="print the README driver table and exit")
    args = parser.parse_args(argv)
    files = build(seed=args.seed)
    if args.print_table:
        print(driver_table_markdown(json.loads(files["demo_truth.json"])))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    truth = json.loads(files["demo_truth.json"])
    print(f"wrote {len(files)} files to {args.out} ({truth['rows']} responses, "
          f"NPS {truth['nps']['value']:+.1f}, CSAT {truth['csat']['value']:.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
