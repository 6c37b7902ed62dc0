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

import math
import re
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

from voc import schema
from voc.config import Config

if TYPE_CHECKING:
    import pandas as pd
from voc._accel import _scan  # compiled text checks where built; the regular expressions otherwise
from voc.errors import ConfigError, InputError

__all__ = ["PLACEHOLDERS", "PROTECTED_PATTERN", "Normalised", "Normaliser", "normalise_frame"]

#: kind -> the token that replaces it in the normalised text (and in :meth:`Normaliser.redact`).
PLACEHOLDERS: dict[str, str] = {
    "phone": "<PHONE>",
    "email": "<EMAIL>",
    "id_card": "<ID>",
    "bank_card": "<CARD>",
    "url": "<URL>",
    "mention": "<USER>",
}

# ---------------------------------------------------------------------------------------------------
# Emoji and protected tokens
# ---------------------------------------------------------------------------------------------------
#: characters that are emoji on their own (or with U+FE0F); regional indicators and skin tones are apart
_EMOJI_CHARS = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u23cf"
    "\u23e9-\u23f3\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf\u2934\u2935"
    "\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
    "\U0001F000-\U0001F1E5\U0001F200-\U0001F3FA\U0001F400-\U0001FAFF"
)
_SKIN = "\U0001F3FB-\U0001F3FF"
_RI = "\U0001F1E6-\U0001F1FF"
_TAGS = "\U000E0020-\U000E007F"
_EMOJI_ELEMENT = rf"[{_EMOJI_CHARS}](?:[{_SKIN}]|\ufe0f|\ufe0e)?"
_EMOJI_SEQUENCE = (
    rf"[#*0-9]\ufe0f?\u20e3"  # keycap 1️⃣
    rf"|[{_RI}]{{2}}"  # flag 🇭🇰
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"  # subdivision flag
    rf"|{_EMOJI_ELEMENT}(?:\u200d{_EMOJI_ELEMENT})*"  # 👍🏻, ❤️, 👨‍👩‍👧 (ZWJ sequence)
    rf"|[{_SKIN}]"  # a lone skin-tone swatch
)
_BRACKET_EMOTICON = r"\[(?![0-9]+\])[\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9]{1,6}\]"  # [捂脸] [笑哭] [doge] [笑cry]
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
# Step 1: clean
# ---------------------------------------------------------------------------------------------------
_REMOVE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"  # control characters that are not whitespace
    "\u00ad\u061c\u115f\u1160\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\u3164\ufeff\uffa0\ufff9-\ufffb"  # soft hyphen, zero-width, bidi controls, fillers, BOM
    "\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff"  # noncharacters (used internally) and lone surrogates
    "\ufe00-\ufe0d\U000E0100-\U000E01EF]"  # variation selectors that are not emoji presentation
    rf"|(?<![{_EMOJI_CHARS}{_SKIN}\ufe0f])\u200d|\u200d(?![{_EMOJI_CHARS}])"  # ZWJ outside emoji
    rf"|(?<![{_EMOJI_CHARS}#*0-9])[\ufe0e\ufe0f]"  # text/emoji presentation selector after a non-emoji
    rf"|(?<![\U0001F3F4{_TAGS}])[{_TAGS}]"  # tag characters outside a subdivision flag
)
#: Chinese punctuation that NFKC would turn into ASCII: kept as typed (swapped for noncharacters meanwhile)
_KEEP_FULLWIDTH = "，！？：；（）～…"
_HIDE = {ord(c): 0xFDD0 + i for i, c in enumerate(_KEEP_FULLWIDTH)}
_UNHIDE = {v: k for k, v in _HIDE.items()}
_WS_TO_FIX = re.compile(r"^\s|\s$|\s\s|[^\S ]")
# Cheap tests that let most texts skip a step (each is one character-class scan in C):
#: a character _REMOVE might remove (the first class of _REMOVE plus ZWJ, presentation selectors, tags)
_MAYBE_REMOVE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    "\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\u3164\ufeff\uffa0\ufff9-\ufffb\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff"
    "\ufe00-\ufe0f\U000E0000-\U000E01EF]"
)
#: a character NFKC might change: anything but CJK ideographs, printable ASCII, newline and the Chinese
#: punctuation that is NFKC-stable or kept as typed (tests check each of these is unchanged by NFKC)
NFKC_STABLE = "\u4e00-\u9fff\x20-\x7e\n、。“”‘’《》【】「」" + _KEEP_FULLWIDTH
_MAYBE_NFKC = re.compile(f"[^{NFKC_STABLE}]")
_OTHER_WS = re.compile(r"[^\S ]")
_WS = re.compile(r"\s+")

# ---------------------------------------------------------------------------------------------------
# Step 2: URLs, mentions, personal data, hashtags
# ---------------------------------------------------------------------------------------------------
_TLD = r"(?:com|cn|net|org|hk|tw|io|me|ly|co|top|xyz|info|shop|vip|gov|edu)"
_URL = re.compile(
    r"(?:(?:https?|ftp)://|www\.)[!-~]*[A-Za-z0-9/#=&_%~+\-]"
    rf"|(?<![A-Za-z0-9@.\-])(?:[A-Za-z0-9\-]+\.)+{_TLD}(?:\.(?:cn|hk|tw))?(?::[0-9]+)?"
    r"(?:/[!-~]*[A-Za-z0-9/#=&_%~+\-])?(?![A-Za-z0-9])"
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)
_MENTION = re.compile(r"(?<![A-Za-z0-9._%+\-])@[\w\-]{1,30}+(?!\.[A-Za-z]|@)")
_HASHTAG = re.compile(r"#[^#\s<>]{1,50}#|(?<![A-Za-z0-9&/#])#(?=[^\W\d_])")
_THREE_DIGITS = re.compile(r"[0-9]{3}")

# mainland ID: region, birth date, sequence, check character (checksum verified in _valid_cn_id)
_ID_CN = re.compile(
    r"(?<![0-9])[1-9][0-9]{5} ?"  # region
    r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]) ?"  # birth date
    r"[0-9]{3}[0-9Xx](?![0-9])"  # sequence, check character
)
_ID_TW = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][1289][0-9]{8}(?![0-9])")
_ID_HK = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}[0-9]{6}(?:[(（][0-9Aa][)）]|[0-9Aa])(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![0-9\-])(?:[0-9]{4,6}(?:[ \-][0-9]{3,6}){2,4}|[0-9]{13,19})(?![0-9])")
_CC = r"(?:(?:\+|00)"  # country code, +86 or 0086 (the group is closed by each use)
_AREA = r"(?:10|2[0-9]|[3-9][0-9]{2})"  # mainland area code after the 0
_PHONE = re.compile(
    r"(?<![0-9+¥$￥.])(?:"
    rf"{_CC}86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{{4}}){{2}}"  # mainland mobile 138-1234-5678
    rf"|{_CC}86[ \-]?)?(?:\(0?{_AREA}\)|0{_AREA})[ \-]?[1-9][0-9]{{6,7}}"  # mainland landline 010-62345678
    rf"|(?:{_CC}886[ \-]?)|0)9[0-9]{{2}}[ \-]?[0-9]{{3}}[ \-]?[0-9]{{3}}"  # Taiwan mobile 0912-345-678
    rf"|(?:{_CC}886[ \-]?)\(?[2-8][0-9]{{0,2}}\)?|\(0[2-8][0-9]{{0,2}}\)|0[2-8][0-9]{{0,2}}-)"  # Taiwan fixed
    r"[ \-]?[0-9]{3,4}[ \-]?[0-9]{4}"  # (02)2345-6789
    rf"|(?:{_CC}852)[ \-]?|\(852\) ?|852 )[2-35-79][0-9]{{3}}[ \-]?[0-9]{{4}}"  # Hong Kong with code
    r"|[569][0-9]{3} [0-9]{4}(?![0-9元块塊蚊萬万千百%.])"  # Hong Kong mobile written as 9123 4567
    r")(?![0-9])"
)
_PHONE_AFTER_WORD = re.compile(  # a bare 8-digit Hong Kong number right after a phone word
    r"(?:電話|电话|手機|手机|聯絡|联络|聯繫|联系|致電|致电|熱線|热线|(?i:whatsapp|wts|tel|phone|call))"
    r" ?[:：]? ?(?P<n>[2-35-79][0-9]{3}[ \-]?[0-9]{4})(?![0-9])"
)

_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_TW_LETTERS = {c: v for v, c in enumerate("ABCDEFGHJKLMNPQRSTUVXYWZIO", start=10)}


def _valid_cn_id(s: str) -> bool:
    d = s.replace(" ", "").upper()
    total = sum(int(c) * w for c, w in zip(d[:17], _CN_ID_WEIGHTS))
    return "10X98765432"[total % 11] == d[17]


def _valid_tw_id(s: str) -> bool:
    code = _TW_LETTERS[s[0].upper()]
    digits = [code // 10, code % 10, *map(int, s[1:])]
    return sum(d * w for d, w in zip(digits, (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1))) % 10 == 0


def _valid_hk_id(s: str) -> bool:
    s = s.upper().translate({ord("("): None, ord(")"): None, ord("（"): None, ord("）"): None})
    letters, digits, check = s[:-7], s[-7:-1], s[-1]
    values = [36] * (2 - len(letters)) + [ord(c) - 55 for c in letters] + [int(c) for c in digits]
    expected = (11 - sum(v * w for v, w in zip(values, (9, 8, 7, 6, 5, 4, 3, 2))) % 11) % 11
    return ("A" if expected == 10 else str(expected)) == check


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_end(s: str) -> int:
    """Length of the longest prefix of ``s`` (whole groups) that is a plausible card number, else 0."""
    groups = re.split(r"([ \-])", s)  # keep separators so lengths add up
    for n in range(len(groups), 0, -2):
        digits = "".join(groups[:n:2])
        issuer = digits[0] in "3456" or "2221" <= digits[:4] <= "2720"  # Amex/JCB, Visa, Master, UnionPay
        if 13 <= len(digits) <= 19 and issuer and _luhn(digits):
            return len("".join(groups[:n]))
    return 0


#: (kind, regex, check) in priority order; check(matched text) -> length to redact (0 = not PII)
_PII_RULES: tuple[tuple[str, re.Pattern[str], Callable[[str], int]], ...] = (
    ("email", _EMAIL, len),
    ("id_card", _ID_CN, lambda s: len(s) if _valid_cn_id(s) else 0),
    ("id_card", _ID_TW, lambda s: len(s) if _valid_tw_id(s) else 0),
    ("id_card", _ID_HK, lambda s: len(s) if _valid_hk_id(s) else 0),
    ("bank_card", _CARD, _card_end),
    ("phone", _PHONE, len),
    ("phone", _PHONE_AFTER_WORD, len),
)

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
# Offset maps
# ---------------------------------------------------------------------------------------------------
# A step turns text ``t`` into ``u`` and describes, for every character of ``u``, the half-open span of
# ``t`` that produced it: ``starts[i]``, ``ends[i]``. Maps compose, so after every step they point into
# the original text. ``None`` stands for the identity (nothing changed length yet).
Map = list[int] | None


def _apply(text: str, edits: Sequence[tuple[int, int, str, bool]]) -> tuple[str, list[int], list[int]]:
    """Apply sorted, non-overlapping ``(start, end, replacement, glue)`` edits; return text and maps.

    A replacement of the same length maps one to one, of another length (or with ``glue``) as a block:
    every character to the whole span. A deletion with ``glue`` joins the character before it.
    """
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for s, e, rep, glue in edits:
        if s > pos:
            out.append(text[pos:s])
            starts.extend(range(pos, s))
            ends.extend(range(pos + 1, s + 1))
        n = len(rep)
        if n:
            out.append(rep)
            if n == e - s and not glue:
                starts.extend(range(s, e))
                ends.extend(range(s + 1, e + 1))
            else:
                starts.extend([s] * n)
                ends.extend([e] * n)
        elif glue and ends:
            ends[-1] = e
        pos = e
    if pos < len(text):
        out.append(text[pos:])
        starts.extend(range(pos, len(text)))
        ends.extend(range(pos + 1, len(text) + 1))
    return "".join(out), starts, ends


def _align(src: str, dst: str) -> tuple[list[int], list[int]]:
    """Maps of ``dst`` onto ``src`` where ``src`` is a one-to-one rewrite of the real source.

    Equal runs and same-length replacements map one to one; other replacements as blocks; inserted
    characters join the character before them; deleted ones the character before them.
    """
    starts: list[int] = []
    ends: list[int] = []
    pending: int | None = None  # a deletion at the very beginning: the next character starts there
    # the texts differ in a few phrases: match the common head and tail directly, diff only the middle
    head = 0
    limit = min(len(src), len(dst))
    while head < limit and src[head] == dst[head]:
        head += 1
    tail = 0
    while tail < limit - head and src[-1 - tail] == dst[-1 - tail]:
        tail += 1
    opcodes = [("equal", 0, head, 0, head)] if head else []
    middle = SequenceMatcher(None, src[head:len(src) - tail], dst[head:len(dst) - tail], autojunk=False)
    opcodes += [(tag, i1 + head, i2 + head, j1 + head, j2 + head) for tag, i1, i2, j1, j2 in middle.get_opcodes()]
    if tail:
        opcodes.append(("equal", len(src) - tail, len(src), len(dst) - tail, len(dst)))
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            starts.extend(range(i1, i2))
            ends.extend(range(i1 + 1, i2 + 1))
        elif tag == "replace":
            starts.extend([i1] * (j2 - j1))
            ends.extend([i2] * (j2 - j1))
        elif tag == "insert":
            prev = max(i1 - 1, 0)
            starts.extend([prev] * (j2 - j1))
            ends.extend([max(i1, 1)] * (j2 - j1))
        else:  # delete
            if ends:
                ends[-1] = i2
            else:
                pending = i1
        if pending is not None and starts:
            starts[0] = min(starts[0], pending)
            pending = None
    return starts, ends


def _compose(starts: Map, ends: Map, step_starts: list[int],
             step_ends: list[int]) -> tuple[list[int], list[int]]:
    if starts is None or ends is None:
        return step_starts, step_ends
    return [starts[j] for j in step_starts], [ends[j - 1] for j in step_ends]


def _back(starts: Map, ends: Map, s: int, e: int) -> tuple[int, int]:
    """A span of the current text as a span of the original text."""
    if starts is None or ends is None:
        return s, e
    if e <= s:
        return (starts[s], starts[s]) if s < len(starts) else (ends[-1], ends[-1]) if ends else (0, 0)
    return starts[s], ends[e - 1]


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
        ('软体很好用', (0, 2), '軟體')
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
        starts: Map = None
        ends: Map = None
        if _MAYBE_REMOVE.search(text) and _REMOVE.search(text):
            text, s, e = _apply(text, [(m.start(), m.end(), "", False) for m in _REMOVE.finditer(text)])
            starts, ends = _compose(starts, ends, s, e)
        if _MAYBE_NFKC.search(text) and not unicodedata.is_normalized("NFKC", text):
            hidden = text.translate(_HIDE)
            nf = unicodedata.normalize("NFKC", hidden)
            if nf != hidden:
                step = _nfkc_maps(hidden, nf)
                if step is not None:
                    starts, ends = _compose(starts, ends, *step)
                text = nf.translate(_UNHIDE)
        if (text[:1].isspace() or text[-1:].isspace() or "  " in text or _OTHER_WS.search(text)) \
                and _WS_TO_FIX.search(text):
            n = len(text)
            edits = []
            for m in _WS.finditer(text):
                s, e = m.span()
                if s == 0 or e == n:
                    edits.append((s, e, "", False))
                elif e - s > 1 or m.group() != " ":
                    edits.append((s, e, " ", False))
            text, s_, e_ = _apply(text, edits)
            starts, ends = _compose(starts, ends, s_, e_)
        return text, starts, ends

    def _find(self, text: str) -> list[tuple[int, int, str]]:
        """Spans to replace, ``(start, end, kind)``, sorted; kind "hashtag" marks a '#' to drop."""
        found: list[tuple[int, int, str]] = []

        def add(s: int, e: int, kind: str) -> None:
            if e > s and all(e <= fs or s >= fe for fs, fe, _ in found):
                found.append((s, e, kind))

        if "." in text or "://" in text:
            for m in _URL.finditer(text):
                add(m.start(), m.end(), "url")
        if self.redact_pii and (_THREE_DIGITS.search(text) or "@" in text):
            for kind, rx, check in _PII_RULES:
                for m in rx.finditer(text):
                    s, e = m.span("n") if rx.groupindex else m.span()
                    add(s, s + check(text[s:e]), kind)
        if "@" in text:
            for m in _MENTION.finditer(text):
                add(m.start(), m.end(), "mention")
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
            assert self._repeat is not None
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
        original = _as_text(text)
        t, starts, ends = self._clean(original)
        if not t:
            return original
        out: list[str] = []
        pos = 0
        for s, e, kind in self._find(t):
            if kind == "hashtag":
                continue
            os_, oe = _back(starts, ends, s, e)
            out.append(original[pos:os_])
            out.append(PLACEHOLDERS[kind])
            pos = oe
        out.append(original[pos:])
        return "".join(out)


def _nfkc_maps(text: str, nf: str) -> tuple[list[int], list[int]] | None:
    """Maps of ``nf`` (the NFKC form of ``text``) onto ``text``; None when one to one."""
    if len(nf) == len(text):
        diff = [i for i, (a, b) in enumerate(zip(text, nf)) if a != b]
        if all(unicodedata.normalize("NFKC", text[i]) == nf[i] for i in diff):
            return None
    parts = [unicodedata.normalize("NFKC", c) for c in text]
    starts: list[int] = []
    ends: list[int] = []
    for i, p in enumerate(parts):
        if p:
            starts.extend([i] * len(p))
            ends.extend([i + 1] * len(p))
        elif ends:
            ends[-1] = i + 1
    joined = "".join(parts)
    if joined == nf:
        return starts, ends
    # composition across characters (decomposed accents, half-width kana with voicing marks)
    s2, e2 = _align(joined, nf)
    return [starts[j] for j in s2], [ends[j - 1] for j in e2]


def _char_by_char(conv: Any, text: str) -> str:
    """``text`` converted one character at a time (no phrases), same length as ``text``."""
    joined = conv.convert("\n".join(text))
    n = len(text)
    if len(joined) == 2 * n - 1 and joined[1::2] == "\n" * (n - 1):
        return joined[::2]
    pieces = joined.split("\n")  # a character became two or none: keep the original there
    if len(pieces) != n:  # pragma: no cover - a separator got converted: go one by one
        pieces = [conv.convert(c) for c in text]
    return "".join(p if len(p) == 1 else c for p, c in zip(pieces, text))


def _as_text(value: object) -> str:
    """The text of one cell: None, NaN and pd.NA give ''; bytes are decoded as UTF-8."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if type(value).__name__ in ("NAType", "NaTType") or (hasattr(value, "dtype") and value != value):
        return ""  # pd.NA, NaT, numpy NaN (checked without importing pandas)
    return str(value)


def normalise_frame(df: pd.DataFrame, *, text: str, config: Config | None = None,
                    normaliser: Normaliser | None = None) -> pd.DataFrame:
    """``df`` plus the column ``text_normalised``; missing texts give ''. ``df`` is not changed.

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
    return df.assign(**{schema.TEXT_NORMALISED: [norm.normalise(v).text for v in df[text].tolist()]})
