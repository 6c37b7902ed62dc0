"""Clause-level sentiment: lexicon, negation, degree words, contrast; overall and per span.

The text (already normalised) is cut into clauses at punctuation and at contrast words (但是, 不过, 但係,
...). In each clause, sentiment words from ``lexicons/sentiment.tsv`` score -2..2; a negator shortly before
a word flips and dampens it (没有破损 is good news, 唔好食 is bad), a degree word scales it (非常, 有点,
Cantonese 好), and a question with 为什么/难道 leans negative. The clause after a contrast word weighs
more than the clause before it. A linear model (see :mod:`voc.linear`), when given, adds what the lexicon
misses; the lexicon keeps the per-theme reading local to the clauses that mention a theme.

Example:
    >>> s = SentimentAnalyzer()
    >>> s.label(s.score_text("物流很快，但是客服态度很差"))
    'negative'
"""
from __future__ import annotations

import math
import re
import threading
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from voc.config import Config
from voc.errors import ConfigError
from voc.pii import pii_regions, without_pii
from voc.segment import PhraseMatcher

_PUNCT_CHARS = "，。！？；、,.!?;~～\n…"  # clause breaks, with runs of white space
_PUNCT = re.compile(f"[{_PUNCT_CHARS}]+|\\s{{1,}}")
from voc._accel import _scan  # noqa: E402 - compiled text checks where built; the regular expression otherwise


def _punct_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the clause breaks: runs of punctuation, and runs of white space."""
    if _scan is not None:
        return _scan.punct_spans(text, _PUNCT_CHARS)
    return [m.span() for m in _PUNCT.finditer(text)]


def _breaks(text: str) -> list[tuple[int, int]]:
    """Clause breaks: punctuation and white space, and personal data with its label (voc.pii.pii_regions).

    "我的手机<PHONE>物流很慢" is two clauses, as "我的手机13812345678物流很慢" is: the number separates
    them, and whether it was redacted must not change the clauses.
    """
    spans = _punct_spans(text)
    regions = pii_regions(text)
    if not regions:
        return spans
    merged: list[tuple[int, int]] = []
    for s, e in sorted([*spans, *regions]):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


_QUESTION = re.compile(r"(为什么|为啥|怎么|凭什么|难道|有没有搞错|搞什么)")
_IRONY = re.compile(r"(这也叫|也配叫|还好意思)")


class ProbaModel(Protocol):
    """What the analyzer needs of a sentiment model: class names and probabilities."""

    classes_: Sequence[str]

    def predict_proba(self, texts: Sequence[str]) -> Any: ...


class Clause(NamedTuple):
    """One clause of a normalised text: span, contrast weight and lexicon score (unsquashed)."""

    start: int
    end: int
    weight: float
    lexicon: float
    hits: int


@dataclass(frozen=True)
class Lexicon:
    """Sentiment words and modifiers, converted to the internal script."""

    words: dict[str, float]
    negators: tuple[str, ...]
    degree: dict[str, float]
    contrast: tuple[str, ...]
    negation_window: int = 4
    negation_factor: float = -0.8
    contrast_after: float = 1.6
    contrast_before: float = 0.6


def _lexicon_dir() -> Path:
    return Path(str(resources.files("voc.lexicons")))


def load_lexicon(words_path: str | Path | None = None, modifiers_path: str | Path | None = None, *,
                 convert: Callable[[str], str] | None = None) -> Lexicon:
    """Read the sentiment word list (TSV: word, score) and the modifiers (TOML).

    Raises:
        ConfigError: a missing file, a bad score (line named), or bad TOML.
    """
    conv = convert or (lambda s: s)
    wp = Path(words_path) if words_path else _lexicon_dir() / "sentiment.tsv"
    mp = Path(modifiers_path) if modifiers_path else _lexicon_dir() / "sentiment_modifiers.toml"
    words: dict[str, float] = {}
    try:
        lines = wp.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError as exc:
        raise ConfigError(f"sentiment lexicon {wp} not found") from exc
    for lineno, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise ConfigError(f"{wp}, line {lineno}: expected 'word<TAB>score', got {line!r}")
        try:
            score = float(parts[1])
        except ValueError as exc:
            raise ConfigError(f"{wp}, line {lineno}: score {parts[1]!r} is not a number") from exc
        if not -2.0 <= score <= 2.0:
            raise ConfigError(f"{wp}, line {lineno}: score {score} is outside [-2, 2]")
        words[conv(parts[0].strip())] = score
    try:
        mods = tomllib.loads(mp.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise ConfigError(f"sentiment modifiers {mp} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"sentiment modifiers {mp}: {exc}") from exc
    contrast = mods.get("contrast", {})
    return Lexicon(
        words=words,
        negators=tuple(conv(w) for w in mods.get("negators", [])),
        degree={conv(k): float(v) for k, v in mods.get("degree", {}).items()},
        contrast=tuple(conv(w) for w in contrast.get("words", [])),
        negation_window=int(mods.get("negation_window", 4)),
        negation_factor=float(mods.get("negation_factor", -0.8)),
        contrast_after=float(contrast.get("after", 1.6)),
        contrast_before=float(contrast.get("before", 0.6)),
    )


_SENT, _NEG, _DEG, _TURN = "s", "n", "d", "t"
_new_clause = tuple.__new__  # builds a Clause without the NamedTuple constructor's overhead (hot loop)


def _two_letters(text: str) -> bool:
    """Whether ``text`` holds at least two different letters (most texts show it in their first two)."""
    if len(text) >= 2 and text[0] != text[1] and text[0].isalpha() and text[1].isalpha():
        return True
    return len(list(islice(filter(str.isalpha, set(text)), 2))) == 2


def _kinds(payloads: tuple[tuple[str, float], ...]) -> dict[str, float]:
    """The payloads of one lexicon phrase as {kind: value}: what it is (word, negator, degree, turn)."""
    return {kind: value for kind, value in payloads}


class SentimentAnalyzer:
    """Lexicon sentiment of clauses and spans, optionally blended with a probabilistic model.

    Args:
        config: settings (``neutral_band``); defaults when None.
        lexicon: a :class:`Lexicon`; the shipped one when None (loaded lazily).
        model: an object with ``classes_`` and ``predict_proba(texts)`` (e.g. a LinearTextModel), or None.
        model_weight: share of the model in blended scores (0..1).
    """

    def __init__(self, config: Config | None = None, *, lexicon: Lexicon | None = None,
                 model: ProbaModel | None = None, model_weight: float = 0.8,
                 clause_model_weight: float = 0.25,
                 convert: Callable[[str], str] | None = None) -> None:
        self.config = config or Config()
        self.lexicon = lexicon
        self.model = model
        self.model_weight = model_weight
        self.clause_model_weight = clause_model_weight
        self.convert = convert
        self._matcher: PhraseMatcher | None = None
        self._lock = threading.Lock()

    # -- set-up --------------------------------------------------------------------------------------
    def _get_matcher(self) -> PhraseMatcher:
        if self._matcher is None:
            with self._lock:
                if self._matcher is None:
                    if self.lexicon is None:
                        self.lexicon = load_lexicon(convert=self.convert)
                    lx = self.lexicon
                    entries: list[tuple[str, tuple[str, float]]] = []
                    entries += [(w, (_TURN, 0.0)) for w in lx.contrast]  # first: a turn is never a negator
                    entries += [(w, (_SENT, s)) for w, s in lx.words.items()]
                    entries += [(w, (_NEG, lx.negation_factor)) for w in lx.negators]
                    entries += [(w, (_DEG, f)) for w, f in lx.degree.items()]
                    self._matcher = PhraseMatcher(entries, combine=_kinds)
        return self._matcher

    @property
    def contrast_words(self) -> tuple[str, ...]:
        """Contrast words of the lexicon (after loading)."""
        self._get_matcher()
        assert self.lexicon is not None
        return self.lexicon.contrast

    # -- clauses -----------------------------------------------------------------------------------
    def clauses(self, text: str, boundaries: set[int] | None = None) -> list[Clause]:
        """Clauses of ``text`` with contrast weights and lexicon scores."""
        matcher = self._get_matcher()
        lx = self.lexicon
        assert lx is not None
        matches = matcher.find(text, boundaries)  # one pass: words, negators, degree words and turns
        cuts = [m.start for m in matches if _TURN in m.payloads]
        # pieces between punctuation, cut again at contrast words
        pieces: list[tuple[int, int, bool]] = []
        pos = 0
        n = len(text)
        breaks = _breaks(text)
        if not cuts:
            for stop, nxt in breaks:
                if stop > pos:
                    pieces.append((pos, stop, False))
                pos = nxt
            if n > pos:
                pieces.append((pos, n, False))
            weights = [1.0] * len(pieces)
        else:
            for stop, nxt in breaks + [(n, n)]:
                if stop > pos:
                    inner = [c for c in cuts if pos <= c < stop]
                    starts = [pos] + [c for c in inner if c > pos]
                    after_turn = [bool(inner) and inner[0] == pos] + [True] * (len(starts) - 1)
                    for k, st in enumerate(starts):
                        pieces.append((st, starts[k + 1] if k + 1 < len(starts) else stop, after_turn[k]))
                pos = nxt
            weights = [1.0] * len(pieces)
            for k, (_, _, after) in enumerate(pieces):
                if after:
                    weights[k] = lx.contrast_after
                    if k > 0 and not pieces[k - 1][2]:
                        weights[k - 1] = min(weights[k - 1], lx.contrast_before)
        out = []
        mi = 0
        n_matches = len(matches)
        for (st, en, _), w in zip(pieces, weights, strict=True):
            while mi < n_matches and matches[mi].start < st:
                mi += 1
            inside = []
            k = mi
            while k < n_matches and matches[k].start < en:
                if matches[k].end <= en:
                    inside.append(matches[k])
                k += 1
            if inside:
                score, hits = self._score_matches(text, inside, st, en)
            elif text[en:en + 1] in ("?", "？") and _QUESTION.search(text, st, en):
                score, hits = -0.6, 1  # a complaint question with no sentiment word (as in _score_matches)
            else:
                score, hits = 0.0, 0
            out.append(_new_clause(Clause, (st, en, w, score, hits)))
        return out

    def _score_matches(self, text: str, matches: list[Any], start: int, end: int) -> tuple[float, int]:
        lx = self.lexicon
        assert lx is not None
        total = 0.0
        hits = 0
        pending_neg: tuple[int, float] | None = None  # (end offset, factor)
        degree = 1.0
        degree_end = -1
        last = len(matches) - 1
        for k, m in enumerate(matches):
            kinds = m.payloads  # {kind: value} for this phrase (see _kinds)
            if _TURN in kinds:  # 不过 is a turn, not a negator: nothing carries across it
                pending_neg, degree, degree_end = None, 1.0, -1
                continue
            if _DEG in kinds:
                nxt = matches[k + 1] if k < last else None
                next_is_word = nxt is not None and nxt.start - m.end <= 1 and _SENT in nxt.payloads
                if next_is_word or _SENT not in kinds:
                    degree = kinds[_DEG] if degree_end < 0 else degree * kinds[_DEG]
                    degree_end = m.end
                    continue
            if _NEG in kinds and _SENT not in kinds:
                pending_neg = (m.end, kinds[_NEG])
                continue
            if _SENT in kinds:
                s = kinds[_SENT]
                if degree_end >= 0 and m.start - degree_end <= 2:
                    s *= degree
                if pending_neg is not None and m.start - pending_neg[0] <= lx.negation_window:
                    s *= pending_neg[1]
                pending_neg = None
                degree, degree_end = 1.0, -1
                total += s
                hits += 1
        end_mark = text[end:end + 1]
        if hits and _IRONY.search(text, start, end):
            total = -abs(total)
        elif end_mark in ("?", "？") and _QUESTION.search(text, start, end):
            total -= 0.6
            hits += 1
        if hits and end_mark in ("!", "！"):
            total *= 1.2
        return total, hits

    # -- scores ------------------------------------------------------------------------------------
    @staticmethod
    def squash(x: float) -> float:
        """Map an unbounded lexicon sum into [-1, 1]."""
        return math.tanh(x / 1.5)

    def lexicon_score(self, clauses: Sequence[Clause]) -> tuple[float, int]:
        """Weighted lexicon score of some clauses in [-1, 1], and how many sentiment hits it rests on."""
        hits = sum(c.hits for c in clauses)
        if not hits:
            return 0.0, 0
        total = sum(c.lexicon * c.weight for c in clauses)
        return self.squash(total), hits

    def model_scores(self, texts: Sequence[str]) -> list[float | None]:
        """Model score p(positive) − p(negative) per text, or None without a model / for empty texts."""
        return [None if p is None else p[0] - p[1] for p in self.model_probs(texts)]

    def model_probs(self, texts: Sequence[str]) -> list[tuple[float, float, float] | None]:
        """(p(positive), p(negative), p(neutral)) per text, or None without a model / for empty texts."""
        if self.model is None or not texts:
            return [None] * len(texts)
        # personal data and its label are not opinion: the model reads the text without them (a model
        # trained on few placeholders reads "<PHONE>" as a positive word)
        texts = [without_pii(t) for t in texts]
        # texts with under two different letters (emoji, punctuation, "xxx", "好") are left to the lexicon
        idx = [i for i, t in enumerate(texts) if _two_letters(t)]
        out: list[tuple[float, float, float] | None] = [None] * len(texts)
        if not idx:
            return out
        import numpy as np

        proba = np.asarray(self.model.predict_proba([texts[i] for i in idx]), dtype=np.float64)
        classes = list(self.model.classes_)
        # columns positive, negative, neutral (zeros for a class the model does not have), as Python floats
        picked = np.column_stack([proba[:, classes.index(c)] if c in classes else np.zeros(len(idx))
                                  for c in ("positive", "negative", "neutral")])
        for i, row in zip(idx, picked.tolist(), strict=True):
            out[i] = tuple(row)  # type: ignore[assignment]
        return out

    def blend(self, lexicon: float, hits: int, model: float | None, *, weight: float | None = None) -> float:
        """Combine a lexicon score and a model score into one score in [-1, 1].

        ``weight`` is the model's share (default ``model_weight``); clause-level calls pass a smaller one,
        since the model was trained on whole reviews and misreads short clauses.
        """
        if model is None:
            return lexicon
        if not hits:
            return model
        w = self.model_weight if weight is None else weight
        return max(-1.0, min(1.0, w * model + (1 - w) * lexicon))

    def score_text(self, text: str, boundaries: set[int] | None = None) -> float:
        """Overall score of one normalised text (lexicon blended with the model when there is one)."""
        lex, hits = self.lexicon_score(self.clauses(text, boundaries))
        return self.blend(lex, hits, self.model_scores([text])[0])

    def label(self, score: float, probs: tuple[float, float, float] | None = None) -> str:
        """positive | neutral | negative for a score, with ``config.neutral_band`` around 0.

        With the model's probabilities, a text the model finds most likely neutral is neutral, and one it
        finds hardly neutral at all (p(neutral) < ``config.model_neutral_min``) takes the sign of its score.
        """
        band = self.config.neutral_band
        if probs is not None:
            if probs[2] > max(probs[0], probs[1]):
                return "neutral"
            if probs[2] < self.config.model_neutral_min:
                band = 0.0
        if score > 0 and score >= band:
            return "positive"
        if score < 0 and score <= -band:
            return "negative"
        return "neutral"
