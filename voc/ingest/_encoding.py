"""Encoding of CSV, TSV, text and JSON files: UTF-8 first, else GB18030 / Big5, checked on the whole file.

UTF-8 (with or without BOM) and UTF-16 with BOM are taken as they are. Otherwise the legacy codecs are
ranked by how much of the decoded text is common hanzi (charset-normalizer breaks close calls), and the
choice is confirmed by decoding the whole file strictly; an error names the byte offset and the line.
"""
from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Sequence
from typing import IO

from voc.errors import InputError
from voc.ingest._source import Source, empty_error

BLOCK = 1 << 20  #: bytes per read when sampling and confirming an encoding
_LEGACY_ORDER = ("gb18030", "big5", "cp950", "big5hkscs")  #: tried only when UTF-8 fails, in this order
_FAMILY = {"gb18030": "gb", "big5": "big5", "cp950": "big5", "big5hkscs": "big5"}
_CLOSE_CALL = 0.05  #: odd-character ratios closer than this are settled by charset-normalizer ...
_MIN_CHARS_TO_ASK = 32  #: ... when the sample has this many non-ASCII characters; else GB18030 wins the tie
_CJK_PUNCT = frozenset("，。！？、；：“”‘’（）《》【】〔〕…—·～「」『』〈〉　￥")
_NON_ASCII = re.compile(rb"[\x80-\xff]")



class _Undecodable(Exception):
    def __init__(self, encoding: str, offset: int, line: int, byte: int | None) -> None:
        super().__init__(encoding, offset, line, byte)
        self.encoding, self.offset, self.line, self.byte = encoding, offset, line, byte


def _encoding_error(name: str, err: _Undecodable, *, detected: bool) -> InputError:
    label = "UTF-8, GB18030 or Big5" if detected else err.encoding
    where = f"at byte offset {err.offset:,} (line {err.line:,})"
    if err.byte is None:
        return InputError(f"{name}: the file ends in the middle of a character {where} when read as {label}; "
                          "it looks cut short. Export or copy it again")
    return InputError(
        f"{name}: cannot decode byte 0x{err.byte:02X} {where} as {label}. Pass encoding= with the file's "
        "encoding (e.g. encoding='gb18030', 'big5' or 'utf-16'), or save it as UTF-8 and try again"
    )


def _decode_stream(fh: IO[bytes], encoding: str, *, first_line: int = 1, first_offset: int = 0) -> None:
    """Decode the rest of ``fh`` strictly; raise :class:`_Undecodable` at the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset, line = first_offset, first_line
    while True:
        block = fh.read(BLOCK)
        pending = decoder.getstate()[0]
        try:
            decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            buffer = pending + block
            at = max(exc.start, 0)
            line += buffer[:at].count(b"\n")
            byte = buffer[at] if block and at < len(buffer) else None  # None: cut short at the end
            raise _Undecodable(encoding, offset - len(pending) + at, line, byte) from None
        if not block:
            return
        offset += len(block)
        line += block.count(b"\n")


def _decodes(data: bytes, encoding: str, *, final: bool) -> str | None:
    try:
        return codecs.getincrementaldecoder(encoding)("strict").decode(data, final=final)
    except UnicodeDecodeError:
        return None


@functools.lru_cache(maxsize=65536)
def _is_common_hanzi(ch: str) -> bool:
    """True for the frequent characters of GB2312 level 1 or Big5 level 1 (what real text is made of)."""
    try:
        code = ch.encode("gb2312")
        if 0xB0 <= code[0] <= 0xD7:
            return True
    except UnicodeEncodeError:
        pass
    try:
        code = ch.encode("big5")
        return 0xA440 <= (code[0] << 8 | code[1]) <= 0xC67E
    except UnicodeEncodeError:
        return False


def _odd_ratio(text: str, *, limit: int = 20_000) -> float:
    """Share of non-ASCII characters that are neither common hanzi nor CJK punctuation / full-width forms.

    Text decoded with the right codec scores near 0; Big5 read as GB18030 (or the reverse) turns into
    rare characters, bopomofo, kana and box drawing, and scores far higher.
    """
    odd = total = 0
    for ch in text:
        if ch.isascii():
            continue
        total += 1
        if ch in _CJK_PUNCT or "\uff01" <= ch <= "\uff5e":
            pass
        elif not _is_common_hanzi(ch):
            odd += 1
        if total >= limit:
            break
    return odd / total if total else 0.0


def _charset_normalizer_pick(sample: bytes, candidates: Sequence[str]) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(sample[:65536], cp_isolation=list(candidates)).best()
    if best is None:
        return None
    name = codecs.lookup(best.encoding).name
    return next((c for c in candidates if codecs.lookup(c).name == name), None)


def _legacy_candidates(sample: bytes, *, final: bool) -> list[str]:
    """Legacy Chinese codecs that decode ``sample``, best first (the real text looks like real Chinese)."""
    scored = []
    non_ascii = 0
    for rank, enc in enumerate(_LEGACY_ORDER):
        decoded = _decodes(sample, enc, final=final)
        if decoded is not None:
            scored.append((_odd_ratio(decoded), rank, enc))
            non_ascii = max(non_ascii, sum(not ch.isascii() for ch in decoded[:4096]))
    scored.sort()
    ranked = [enc for _, _, enc in scored]
    rivals = [s for s in scored if _FAMILY[s[2]] != _FAMILY[scored[0][2]]] if scored else []
    # a close call on a few characters stays with GB18030 (charset-normalizer guesses on tiny samples)
    if rivals and rivals[0][0] - scored[0][0] < _CLOSE_CALL and non_ascii >= _MIN_CHARS_TO_ASK:
        pick = _charset_normalizer_pick(sample, [scored[0][2], rivals[0][2]])
        if pick is not None and pick != ranked[0]:
            ranked.remove(pick)
            ranked.insert(0, pick)
    return ranked


def _read_sample(fh: IO[bytes]) -> tuple[bytes, bytes, int, int]:
    """The head of the file, plus a sample that starts at its first non-ASCII byte.

    Returns ``(head, sample, sample_offset, sample_line)``; ``sample`` is empty when the
    whole file is ASCII.
    """
    head = fh.read(BLOCK)
    block, offset, line = head, 0, 1
    while block:
        hit = None if block.isascii() else _NON_ASCII.search(block)
        if hit is not None:
            at = hit.start()
            sample = block[at:]
            if len(sample) < BLOCK // 4:
                sample += fh.read(BLOCK // 4)
            return head, sample, offset + at, line + block[:at].count(b"\n")
        offset += len(block)
        line += block.count(b"\n")
        block = fh.read(BLOCK)
    return head, b"", offset, line


def choose_encoding(src: Source, encoding: str | None) -> tuple[str, bytes]:
    """The codec that decodes the whole file, and the file's first megabyte (``encoding=`` forces one)."""
    if encoding is not None:
        try:
            enc = codecs.lookup(encoding).name
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}; use a Python codec name such as utf-8, "
                             "gb18030, big5 or utf-16") from None
        with src.open() as fh:
            head = fh.read(BLOCK)
            fh.seek(0)
            try:
                _decode_stream(fh, enc)
            except _Undecodable as err:
                raise _encoding_error(src.name, err, detected=False) from None
        return enc, head
    with src.open() as fh:
        head, sample, start, line = _read_sample(fh)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise empty_error(src.name)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif not sample:
        return "utf-8", head  # every byte is ASCII
    elif _decodes(sample, "utf-8", final=False) is not None:  # a cut last character fails below
        candidates = ["utf-8"]  # never GB18030 before UTF-8: it would silently garble UTF-8 text
    else:
        candidates = _legacy_candidates(sample, final=False)
        if not candidates:
            with src.open() as fh:
                try:
                    _decode_stream(fh, "utf-8")
                except _Undecodable as err:
                    raise _encoding_error(src.name, err, detected=True) from None
            candidates = ["utf-8"]  # pragma: no cover - the sample failed, so the file fails too
    first_error: _Undecodable | None = None
    for enc in candidates:
        if _FAMILY.get(enc, enc) != _FAMILY.get(candidates[0], candidates[0]):
            break  # fall back only within the family that looked right (Big5 -> CP950 -> Big5-HKSCS)
        with src.open() as fh:
            fh.seek(start)
            try:
                _decode_stream(fh, enc, first_line=line, first_offset=start)
            except _Undecodable as err:
                first_error = first_error or err
                continue
        return enc, head
    assert first_error is not None
    raise _encoding_error(src.name, first_error, detected=False) from None


def decode_head(head: bytes, encoding: str, *, complete: bool) -> str:
    """The head of a file as text (undecodable bytes replaced; a cut last character kept unless complete)."""
    return codecs.getincrementaldecoder(encoding)("replace").decode(head, final=complete)
