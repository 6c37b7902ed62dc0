"""Normalisation: clean the text, hide URLs and personal data, shorten repeats, convert the script.

Every text goes through four steps, in this order, and keeps a map from each output character back to
the characters of the text as given, so that evidence found later can be shown in the customer's words:

1. **Clean.** Drop control, zero-width and bidi characters (a ZWJ *inside* an emoji sequence and the
   variation selector of an emoji stay), apply Unicode NFKC (full-width letters and digits become ASCII,
   the ideographic space a space), collapse whitespace runs to one space and strip. This comes first
   because every later pattern is written for ASCII digits and letters: a phone number typed in
   full-width digits, or cut in two by a zero-width space, must look like a phone number before we look.
2. **Replace.** URLs become ``<URL>``, @mentions ``<USER>``, and (unless ``redact_pii=False``) emails,
   phone numbers (mainland, Taiwan, Hong Kong), ID numbers (mainland, Taiwan, Hong Kong, checksums
   verified) and bank cards (Luhn-valid) their placeholder from :data:`PLACEHOLDERS`. Hashtag marks are
   dropped, the words kept (``#物流太慢#`` -> ``物流太慢``). One pass with priorities: URLs first (their
   paths hold digit runs that look like phones), checksummed numbers before phones, emails before
   mentions. It runs before the repeat step, which would otherwise have to know what a phone number is.
   The patterns and checksums live in :mod:`voc.pii` (with :func:`voc.pii.redact_frame` for outputs);
   the cleanup and the offset maps in :mod:`voc._clean`.
3. **Repeats.** A run of one character (or of one two-character unit) longer than ``max_repeat`` is cut
   to ``max_repeat`` copies: 好好好好好 -> 好好好, !!!!!! -> !!!, 好吃好吃好吃好吃 -> 好吃好吃好吃. Digits
   and rating stars (★, ⭐) are never shortened: 10000元 and ★★★★★ keep their meaning.
4. **Script.** OpenCC (the official ``opencc`` package) converts to the internal script, Simplified by
   default (``t2s``; ``tw2sp`` also maps Taiwan phrases: 記憶體 -> 内存, 軟體 -> 软件). Last, because it is
   the only step whose phrase dictionaries change lengths, and it should see clean text: no zero-width
   character or ``#`` in the middle of a phrase. Placeholders are ASCII and pass through unchanged.

What comes out: Chinese punctuation stays as typed and full-width (，。、！？：；（）～…「」“”《》【】), ASCII
punctuation stays ASCII; NFKC is applied to everything else, so ``ＡＢＣ１２３＠＃％`` become
``ABC123@#%``. Downstream clause splitting therefore sees both ``，`` and ``,``. A few emoji that are
enclosed ideographs become the ideograph (🉑 -> 可, ㊗ -> 祝), as NFKC defines.

Offsets: ``Normalised.offsets[i]`` is where normalised character ``i`` starts in the original text and
``Normalised.ends[i]`` where it ends. Characters OpenCC converts one to one map one to one; a phrase that
changes length (記憶體 -> 内存) and a placeholder map as a block, each character to the whole source span.
Characters removed as repeats belong to the kept copy before them; removed whitespace, zero-width
characters and hashtag marks belong to nothing.

Example:
    >>> n = Normaliser(convert="tw2sp").normalise("記憶體太小！！！！！電話0912-345-678")
    >>> n.text
    '内存太小！！！电话<PHONE>'
    >>> n.original_span(0, 2)
    '記憶體'
    >>> n.pii
    (('phone', 12, 24),)
"""
from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voc import schema
from voc._accel import _scan  # compiled text checks where built; the regular expressions otherwise
from voc._clean import (
    _EMOJI_CHARS,
    _RI,
    _SKIN,
    _TAGS,
    NFKC_STABLE,
    Map,
    _align,
    _apply,
    _as_text,
    _back,
    _compose,
    clean,
)
from voc.config import Config
from voc.errors import ConfigError, InputError
from voc.pii import PLACEHOLDERS, Redactor, find_spans

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["NFKC_STABLE", "PLACEHOLDERS", "PROTECTED_HINT", "PROTECTED_PATTERN", "Normalised", "Normaliser",
           "normalise_frame"]


# ---------------------------------------------------------------------------------------------------
# Emoji and protected tokens
# ---------------------------------------------------------------------------------------------------
_EMOJI_ELEMENT = rf"[{_EMOJI_CHARS}](?:[{_SKIN}]|\ufe0f|\ufe0e)?"
_EMOJI_SEQUENCE = (
    rf"[#*0-9]\ufe0f?\u20e3"  # keycap 1️⃣
    rf"|[{_RI}]{{2}}"  # flag 🇭🇰
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"  # subdivision flag
    rf"|{_EMOJI_ELEMENT}(?:\u200d{_EMOJI_ELEMENT})*"  # 👍🏻, ❤️, 👨‍👩‍👧 (ZWJ sequence)
    rf"|[{_SKIN}]"  # a lone skin-tone swatch
)
#: [捂脸] [笑哭] [doge] [笑cry]
_BRACKET_EMOTICON = r"\[(?![0-9]+\])[\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9]{1,6}\]"
_ASCII_EMOTICON = (
    r"(?<![A-Za-z0-9:;=])[:;=]-?[()DPp](?![A-Za-z0-9])"  # :) :-( ;P =D
    r"|\^_*\^|T_T|QAQ|>_<"
)

#: Regex (a string: compile it yourself) matching the tokens a segmenter must keep whole: placeholders,
#: emoji sequences (ZWJ, skin tones, flags, keycaps), bracket emoticons such as [捂脸], ASCII emoticons.
PROTECTED_PATTERN: str = (
    "(?:" + "|".join(re.escape(p) for p in PLACEHOLDERS.values()) + ")"
    + f"|(?:{_EMOJI_SEQUENCE})|{_BRACKET_EMOTICON}|(?:{_ASCII_EMOTICON})"
)
#: Regex (a string) of characters of which every protected token holds at least one: a text without
#: any of them has no protected token (a cheap test before the full PROTECTED_PATTERN)
PROTECTED_HINT: str = f"[<\\[\u20e3:;=^TQ>{_EMOJI_CHARS}{_SKIN}{_RI}]"

# ---------------------------------------------------------------------------------------------------
# Step 2: hashtags (URLs, mentions and personal data: voc.pii)
# ---------------------------------------------------------------------------------------------------
_HASHTAG = re.compile(r"#[^#\s<>]{1,50}#|(?<![A-Za-z0-9&/#])#(?=[^\W\d_])")

# ---------------------------------------------------------------------------------------------------
# Step 3: repeats
# ---------------------------------------------------------------------------------------------------
#: never shortened: digits, whitespace, emoji joiners/modifiers, rating stars
_NO_REPEAT = rf"0-9\s\u200d\ufe0e\ufe0f{_SKIN}{_RI}{_TAGS}★☆✩✪✫✬✭✮✯✰⭐"

# ---------------------------------------------------------------------------------------------------
# Step 4: OpenCC
# ---------------------------------------------------------------------------------------------------
_NO_CONVERSION = "none"
#: texts up to this length are aligned whole; longer ones piece by piece (alignment is quadratic at worst)
_ALIGN_WHOLE = 500
#: pieces converted separately when a conversion changes the length (phrases do not cross punctuation)
_CHUNK = re.compile(r"[^，。！？；、,.!?;:：\s]{1,200}[，。！？；、,.!?;:：\s]*|[，。！？；、,.!?;:：\s]+")


def _opencc_names() -> list[str]:
    import opencc

    return sorted(c[: -len(".json")] for c in opencc.CONFIGS)


def _check_convert(name: str) -> str:
    stem = name.strip()
    stem = stem[: -len(".json")] if stem.lower().endswith(".json") else stem
    stem = stem.lower()
    if stem == _NO_CONVERSION:
        return stem
    valid = _opencc_names()
    if stem not in valid:
        raise ConfigError(
            f"unknown OpenCC conversion {name!r}; choose one of: {', '.join(valid)} "
            f"(or {_NO_CONVERSION!r} to keep the script). Pass --convert t2s for Traditional -> Simplified?"
        )
    return stem


# ---------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Normalised:
    """A normalised text and the way back to the text as given.

    Attributes:
        original: the text as given ('' for None/NaN).
        text: the normalised text.
        offsets: ``len(text) + 1`` entries; ``offsets[i]`` is where normalised character ``i`` starts in
            ``original``; ``offsets[-1] == len(original)``.
        pii: ``(kind, start, end)`` of every replaced URL, mention and personal datum, in ``original``.
        ends: ``len(text)`` entries; ``ends[i]`` is where the source of character ``i`` ends in
            ``original`` (empty: derived from ``offsets``).

    Example:
        >>> n = Normaliser().normalise("軟體很好用")
        >>> n.text, n.to_original(0, 2), n.original_span(0, 2)
        ('软件很好用', (0, 2), '軟體')
    """

    original: str
    text: str
    offsets: tuple[int, ...]
    pii: tuple[tuple[str, int, int], ...] = ()
    ends: tuple[int, ...] = ()

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span ``[start, end)`` of :attr:`text` as a span of :attr:`original`.

        The result covers every original character that produced the span: a part of a converted phrase
        or of a placeholder gives the whole phrase or the whole redacted value.

        Raises:
            InputError: the span is not inside the text.
        """
        n = len(self.text)
        if not 0 <= start <= end <= n:
            raise InputError(f"span ({start}, {end}) is outside the normalised text of length {n}; "
                             f"pass 0 <= start <= end <= {n}")
        if start == end:
            return self.offsets[start], self.offsets[start]
        if self.ends:
            return self.offsets[start], self.ends[end - 1]
        last = self.offsets[end - 1]
        k = min(bisect_right(self.offsets, last, lo=end), n)
        return self.offsets[start], self.offsets[k]

    def original_span(self, start: int, end: int) -> str:
        """The original characters behind ``text[start:end]``."""
        s, e = self.to_original(start, end)
        return self.original[s:e]


class Normaliser:
    """Clean, redact, de-repeat and script-convert texts (see the module docstring for the steps).

    Args:
        config: settings (``convert``, ``redact_pii``, ``max_repeat``); defaults when None.
        convert: OpenCC conversion to the internal script, overriding the config: "t2s", "tw2sp",
            "hk2s", "tw2s", "s2t", ... (with or without ".json"), or "none" to keep the script.
        redact_pii: replace phones, emails, ID and bank-card numbers by placeholders (default True).
        max_repeat: longest run of one repeated character kept (default 3); 0 keeps every run.

    Raises:
        ConfigError: an unknown conversion or a negative ``max_repeat``.

    The OpenCC converter is built on first use and cached on the object; the build is guarded by a lock,
    so one Normaliser can serve many threads.

    Example:
        >>> Normaliser().normalise("這家店的服務態度很差！！！！").text
        '这家店的服务态度很差！！！'
    """

    def __init__(self, config: Config | None = None, *, convert: str | None = None,
                 redact_pii: bool | None = None, max_repeat: int | None = None) -> None:
        self.config = config or Config()
        self.convert = _check_convert(convert if convert is not None else self.config.convert)
        self.redact_pii = bool(self.config.redact_pii if redact_pii is None else redact_pii)
        self.max_repeat = int(self.config.max_repeat if max_repeat is None else max_repeat)
        if self.max_repeat < 0:
            raise ConfigError(f"max_repeat must be 0 (keep every run) or more; got {self.max_repeat}")
        self._lock = threading.Lock()
        self._converter: Any = None
        self._repeat: re.Pattern[str] | None = None
        self._any_repeat: re.Pattern[str] | None = None

    def __repr__(self) -> str:
        return (f"Normaliser(convert={self.convert!r}, redact_pii={self.redact_pii}, "
                f"max_repeat={self.max_repeat})")

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_lock=None, _converter=None, _repeat=None, _any_repeat=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # -- lazy parts --------------------------------------------------------------------------------
    def _load(self) -> Any:
        """The OpenCC converter (None for "none"); builds it, and the repeat pattern, once."""
        if self._repeat is None:
            with self._lock:
                if self._repeat is None:
                    if self.convert != _NO_CONVERSION:
                        import opencc

                        self._converter = opencc.OpenCC(f"{self.convert}.json")
                    n = self.max_repeat
                    c = f"[^{_NO_REPEAT}]"
                    self._repeat = re.compile(f"({c})\\1{{{n},}}|({c}{c})\\2{{{n},}}" if n else "(?!)")
                    # the same runs of any characters: a cheaper first test (no character classes)
                    self._any_repeat = re.compile(f"(.)\\1{{{n}}}|(..)\\2{{{n}}}" if n else "(?!)", re.DOTALL)
        return self._converter

    # -- the steps ---------------------------------------------------------------------------------
    @staticmethod
    def _clean(text: str) -> tuple[str, Map, Map]:
        return clean(text)

    def _find(self, text: str) -> list[tuple[int, int, str]]:
        """Spans to replace, ``(start, end, kind)``, sorted; kind "hashtag" marks a '#' to drop."""
        found = find_spans(text, pii=self.redact_pii, links=True)

        def add(s: int, e: int, kind: str) -> None:
            if e > s and all(e <= fs or s >= fe for fs, fe, _ in found):
                found.append((s, e, kind))

        if "#" in text:
            for m in _HASHTAG.finditer(text):
                s, e = m.span()
                if e - s > 1 and all(e <= fs or s >= fe for fs, fe, _ in found):
                    found.extend([(s, s + 1, "hashtag"), (e - 1, e, "hashtag")])
                else:
                    add(s, s + 1, "hashtag")
        found.sort()
        return found

    def _convert(self, conv: Any, text: str) -> tuple[str, list[int], list[int]] | None:
        """OpenCC conversion; maps only when lengths changed (None: unchanged; empty maps: one to one).

        Character conversions keep the length. Phrase conversions (the "p" configs) may not, so their
        output is checked against a character-by-character conversion, piece by piece, and aligned to it
        where they differ (a shorter and a longer phrase in one text must not cancel out).
        """
        out = conv.convert(text)
        if out == text:
            return None
        phrases = self.convert.endswith("p")
        if len(out) == len(text) and not phrases:
            return out, [], []
        if len(text) <= _ALIGN_WHOLE:
            by_char = _char_by_char(conv, text)
            if by_char == out:
                return out, [], []
            return out, *_align(by_char, out)
        parts: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for m in _CHUNK.finditer(text):
            chunk, base = m.group(), m.start()
            converted = conv.convert(chunk)
            parts.append(converted)
            if len(converted) == len(chunk):
                by_char = _char_by_char(conv, chunk) if phrases else converted
                if by_char == converted or not phrases:
                    starts.extend(range(base, base + len(chunk)))
                    ends.extend(range(base + 1, base + len(chunk) + 1))
                    continue
            else:
                by_char = _char_by_char(conv, chunk)
            s, e = _align(by_char, converted)
            starts.extend(base + i for i in s)
            ends.extend(base + i for i in e)
        return "".join(parts), starts, ends

    # -- public ------------------------------------------------------------------------------------
    def normalise(self, text: str | None) -> Normalised:
        """Normalise one text (None, NaN and other missing values give an empty text).

        Example:
            >>> n = Normaliser().normalise("ＯＫ，送餐很快👍🏻，電話 138 1234 5678")
            >>> n.text
            'OK，送餐很快👍🏻，电话 <PHONE>'
            >>> n.pii
            (('phone', 13, 26),)
        """
        original = _as_text(text)
        conv = self._load()
        t, starts, ends = self._clean(original)
        pii: tuple[tuple[str, int, int], ...] = ()
        if t:
            found = self._find(t)
            if found:
                pii = tuple((k, *_back(starts, ends, s, e)) for s, e, k in found if k != "hashtag")
                t, s_, e_ = _apply(t, [(s, e, PLACEHOLDERS.get(k, ""), k != "hashtag") for s, e, k in found])
                starts, ends = _compose(starts, ends, s_, e_)
            assert self._repeat is not None and self._any_repeat is not None
            if (self._any_repeat.search(t) if _scan is None else _scan.has_repeat(t, self.max_repeat)) \
                    and self._repeat.search(t):
                t, s_, e_ = _apply(t, list(self._repeat_edits(t)))
                starts, ends = _compose(starts, ends, s_, e_)
            if conv is not None:
                res = self._convert(conv, t)
                if res is not None:
                    new, s_, e_ = res
                    if s_:
                        starts, ends = _compose(starts, ends, s_, e_)
                    t = new
        if starts is None or ends is None:
            n = len(t)
            return Normalised(original, t, tuple(range(n + 1)), pii, tuple(range(1, n + 1)))
        return Normalised(original, t, (*starts, len(original)), pii, tuple(ends))

    def _repeat_edits(self, text: str) -> Iterable[tuple[int, int, str, bool]]:
        assert self._repeat is not None
        for m in self._repeat.finditer(text):
            unit = len(m.group(1) or m.group(2))
            yield m.start() + unit * self.max_repeat, m.end(), "", True

    def normalise_many(self, texts: Iterable[str | None]) -> list[Normalised]:
        """:meth:`normalise` over many texts, in order."""
        return [self.normalise(t) for t in texts]

    def redact(self, text: str) -> str:
        """The text as given, with URLs, mentions and (if ``redact_pii``) personal data replaced.

        Nothing else changes: no script conversion, no cleanup. The same spans :attr:`Normalised.pii`
        lists are replaced, so reports show what the analysis saw.

        Example:
            >>> Normaliser().redact("請致電０９１２-３４５-６７８，謝謝")
            '請致電<PHONE>，謝謝'
        """
        return Redactor(pii=self.redact_pii, links=True).redact(text)


def _char_by_char(conv: Any, text: str) -> str:
    """``text`` converted one character at a time (no phrases), same length as ``text``."""
    joined = conv.convert("\n".join(text))
    n = len(text)
    if len(joined) == 2 * n - 1 and joined[1::2] == "\n" * (n - 1):
        return joined[::2]
    pieces = joined.split("\n")  # a character became two or none: keep the original there
    if len(pieces) != n:  # pragma: no cover - a separator got converted: go one by one
        pieces = [conv.convert(c) for c in text]
    return "".join(p if len(p) == 1 else c for p, c in zip(pieces, text, strict=True))


def normalise_frame(df: pd.DataFrame, *, text: str, config: Config | None = None,
                    normaliser: Normaliser | None = None) -> pd.DataFrame:
    """``df`` plus the column ``text_normalised`` (the ``voc normalise`` output); ``df`` is not changed.

    Missing texts give ''. Every row and column of ``df`` is kept, in order, with its index.

    Args:
        df: the responses.
        text: the column holding the free text.
        config: settings of the Normaliser built when ``normaliser`` is None.
        normaliser: a Normaliser to reuse (its converter is built once; the CLI passes one per run).

    Raises:
        InputError: ``text`` is not a column of ``df``.

    Example:
        >>> import pandas as pd
        >>> out = normalise_frame(pd.DataFrame({"comment": ["物流太慢了！！！！", None]}), text="comment")
        >>> out["text_normalised"].tolist()
        ['物流太慢了！！！', '']
    """
    schema.require_columns(df, [text], option="text=")
    norm = normaliser or Normaliser(config)
    return df.assign(**{schema.TEXT_NORMALISED: [n.text for n in norm.normalise_many(df[text].tolist())]})
