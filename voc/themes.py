"""Theme tagging: codeframe phrases matched over our jieba words, plus optional trained models.

:class:`ThemeTagger` finds mentions of sub-themes in a normalised text. A mention is a phrase of the
codeframe that (a) respects word boundaries (see :class:`voc.segment.PhraseMatcher`), (b) for contextual
phrases such as 快/慢, has one of its ``near`` words in the same clause, and (c) has none of its
``unless_near`` words there (态度 next to 快递员 is the courier, not the shop's staff). When a trained
multi-label model is attached (``voc train``), themes it predicts with confidence are added, with the
clause it scores highest as evidence; rules keep precedence for evidence spans.

Sentiment per mention is decided by :mod:`voc.pipeline` from the clauses the mention sits in.

Example:
    >>> from voc.segment import Segmenter
    >>> tagger = ThemeTagger()
    >>> seg = Segmenter()
    >>> text = "送餐很慢，菜也凉了"
    >>> [(m.subtheme, m.phrase) for m in tagger.find(text, seg.tokenize(text))]
    [('delivery_speed', '送餐'), ('delivery_speed', '很慢'), ('taste', '菜'), ('delivery_speed', '凉了')]
"""
from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from voc.codeframe import Codeframe, load_codeframe
from voc.pii import pii_regions
from voc.segment import PhraseMatcher, Token

RULE_CONFIDENCE = 0.9
CONTEXT_CONFIDENCE = 0.75


class RawMention(NamedTuple):
    """A sub-theme found in the normalised text (offsets into the normalised text)."""

    theme: str
    subtheme: str
    phrase: str
    start: int
    end: int
    confidence: float
    source: str = "rules"


class _Rule(NamedTuple):
    theme: str
    subtheme: str
    contextual: bool
    near: re.Pattern[str] | None  # one of these words must be in the clause (contextual phrases)
    unless_near: re.Pattern[str] | None  # none of these may be in the clause (or the one before)
    weak: bool = False


def _any_of(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for "any of these words" (a search is much cheaper than a loop of ``in`` tests)."""
    unique = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, unique))) if unique else None


_new_mention = tuple.__new__  # builds a RawMention without the NamedTuple constructor's overhead (hot loop)


class ThemeTagger:
    """Find codeframe sub-themes in normalised text.

    Args:
        codeframe: a :class:`Codeframe` or a path to one; the shipped codeframe when None.
        convert: converts codeframe phrases to the internal script (the Normaliser's OpenCC step),
            so phrases written in Simplified also match when voc runs in another script.
    """

    def __init__(self, codeframe: Codeframe | str | None = None, *,
                 convert: Callable[[str], str] | None = None) -> None:
        self.codeframe = codeframe
        self.convert = convert
        self._matcher: PhraseMatcher | None = None
        self._lock = threading.Lock()

    @property
    def frame(self) -> Codeframe:
        """The loaded codeframe."""
        if not isinstance(self.codeframe, Codeframe):
            self.codeframe = load_codeframe(self.codeframe)
        return self.codeframe

    def _get_matcher(self) -> PhraseMatcher:
        if self._matcher is None:
            with self._lock:
                if self._matcher is None:
                    conv = self.convert or (lambda s: s)
                    entries: list[tuple[str, _Rule]] = []
                    for theme in self.frame.themes:
                        for sub in theme.subthemes:
                            near = _any_of(conv(w) for w in sub.near)
                            unless = tuple(conv(w) for w in sub.unless_near)
                            for kind, phrases in (("plain", sub.phrases), ("ctx", sub.contextual),
                                                  ("weak", sub.weak)):
                                for p in phrases:
                                    phrase = conv(p)
                                    # a phrase never rules itself out (态度 listed in its own unless_near)
                                    rx = _any_of(w for w in unless if w != phrase)
                                    entries.append((phrase, _Rule(theme.id, sub.id, kind == "ctx",
                                                                  near if kind == "ctx" else None, rx,
                                                                  weak=kind == "weak")))
                    self._matcher = PhraseMatcher(entries)
        return self._matcher

    def find(self, text: str, tokens: Sequence[Token] | set[int],
             clauses: Sequence[tuple[int, int]] | None = None,
             opinion: Sequence[bool] | None = None) -> list[RawMention]:
        """Mentions in ``text`` (normalised), given its tokens and optionally its clause spans.

        ``opinion[k]`` tells whether clause k voices an opinion (has sentiment words); ``weak`` phrases
        count only in such clauses. Without it, weak phrases always count. Personal data
        (:func:`voc.pii.pii_regions`: a placeholder or a raw number, with its label such as 手机) is skipped,
        so redaction never changes the mentions.
        """
        if not text:
            return []
        # tokens, or already the set of their start/end offsets (Segmenter.boundaries)
        boundaries = tokens if isinstance(tokens, set) else {t.start for t in tokens} | {
            t.end for t in tokens}
        # personal data and the word introducing it (我的手机<PHONE>) are no mention and no context
        regions = pii_regions(text)
        spans = list(clauses) if clauses else _outside(regions, len(text))
        out: list[RawMention] = []
        starts = [s for s, _ in spans]
        for m in self._get_matcher().find(text, boundaries):
            if regions and any(m.start < e and s < m.end for s, e in regions):
                continue
            at = bisect_right(starts, m.start) - 1
            # clauses given out of order or with gaps: look for the one holding the match
            k = at if at >= 0 and m.start < spans[at][1] else _clause_index(spans, m.start)
            clause = text[spans[k][0]:max(spans[k][1], m.end)] if k is not None else text
            # a clause that opens with the phrase ("…小哥很准时，态度也好") continues the previous one's
            # subject
            before = text[spans[k - 1][0]:spans[k - 1][1]] if k and m.start - spans[k][0] <= 1 else ""
            opinionated = opinion is None or k is None or opinion[k]
            seen: set[tuple[str, str]] = set()
            for rule in m.payloads:
                key = (rule.theme, rule.subtheme)
                if key in seen or (rule.weak and not opinionated):
                    continue
                unless = rule.unless_near
                if unless is not None and (unless.search(clause) or (before and unless.search(before))):
                    continue
                if rule.contextual and (rule.near is None
                                        or not rule.near.search(clause.replace(m.phrase, "", 1))):
                    continue
                seen.add(key)
                conf = CONTEXT_CONFIDENCE if rule.contextual else RULE_CONFIDENCE
                fields = (rule.theme, rule.subtheme, m.phrase, m.start, m.end, conf, "rules")
                out.append(_new_mention(RawMention, fields))
        return out


def _outside(regions: Sequence[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    """The spans of ``[0, n)`` between the (sorted, disjoint) ``regions``; the whole text without any."""
    if not regions:
        return [(0, n)]
    out = []
    pos = 0
    for s, e in regions:
        if s > pos:
            out.append((pos, s))
        pos = e
    if n > pos:
        out.append((pos, n))
    return out or [(0, n)]


def _clause_index(spans: Sequence[tuple[int, int]], start: int) -> int | None:
    for k, (s, e) in enumerate(spans):
        if s <= start < e:
            return k
    return None
