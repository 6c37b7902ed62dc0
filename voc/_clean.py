"""Text cleanup and offset maps: the steps of :mod:`voc.normalise` that other modules share.

:func:`clean` drops control, zero-width and bidi characters (a ZWJ inside an emoji sequence stays),
applies NFKC (Chinese punctuation kept full-width) and collapses white space, and returns maps from each
output character back to the text as given. :mod:`voc.pii` cleans before it looks for personal data
(a phone number in full-width digits, or cut by a zero-width space, must look like one), and
:mod:`voc.normalise` composes these maps with those of its later steps.

Offset maps: a step turns text ``t`` into ``u`` and describes, for every character of ``u``, the half-open
span of ``t`` that produced it: ``starts[i]``, ``ends[i]``. Maps compose, so after every step they point
into the original text. ``None`` stands for the identity (nothing changed length yet).
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher

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

# ---------------------------------------------------------------------------------------------------
# Cleanup
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


def clean(text: str) -> tuple[str, Map, Map]:
    """``text`` without invisible characters, NFKC-normalised, white space collapsed; and its maps."""
    starts: Map = None
    ends: Map = None
    if _MAYBE_REMOVE.search(text) and _REMOVE.search(text):
        text, rs, re_ = _apply(text, [(m.start(), m.end(), "", False) for m in _REMOVE.finditer(text)])
        starts, ends = _compose(starts, ends, rs, re_)
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


# ---------------------------------------------------------------------------------------------------
# Offset maps
# ---------------------------------------------------------------------------------------------------
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
    opcodes += [(tag, i1 + head, i2 + head, j1 + head, j2 + head)
                for tag, i1, i2, j1, j2 in middle.get_opcodes()]
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


def _nfkc_maps(text: str, nf: str) -> tuple[list[int], list[int]] | None:
    """Maps of ``nf`` (the NFKC form of ``text``) onto ``text``; None when one to one."""
    if len(nf) == len(text):
        diff = [i for i, (a, b) in enumerate(zip(text, nf, strict=True)) if a != b]
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
