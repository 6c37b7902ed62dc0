"""Read survey responses from files and survey-tool exports into a DataFrame of strings.

Formats come from the file extension (or ``format=``): CSV, TSV, plain text (one answer per line), Excel
(.xlsx/.xlsm through openpyxl, .xls through xlrd), JSON Lines, JSON (a list of records) and Parquet;
``"-"`` reads standard input (format sniffed: Excel/Parquet by signature, ``{`` JSON Lines, else CSV).
Text files are decoded as UTF-8 (with or without BOM; UTF-16 with BOM), else GB18030 or Big5
(CP950/Big5-HKSCS when plain Big5 fails): UTF-8 is always tried first, the legacy codecs are ranked by
how much of the decoded text is common hanzi (charset-normalizer breaks close calls), and the choice is
then confirmed on the whole file. Every value is read as text (empty cells are missing), every data
row comes out in order, and a ``response_id`` column is appended.

Survey exports are recognised from their header rows (``df.attrs["voc_export"]``):

* ``qualtrics``: row 3 holds ``{"ImportId": ...}``; row 1 (field ids) names the columns, rows 2-3 are
  dropped; ``text=``/``id=`` may also give the question text of row 2 or the ImportId.
* ``qualtrics-legacy``: two header rows, the ``ResponseId``/``V1`` column labelled ``ResponseID`` in row 2.
* ``surveymonkey``: a ``Respondent ID`` column blank in row 2; one-column questions are named by their
  text, the columns of multi-column questions "question - option" (row 2 label).
* ``wjx`` (问卷星): ``提交答卷时间``, or ``序号`` with ``N、题干`` columns. ``-2``, ``-3`` and ``(跳过)`` in
  question columns become missing; multi-select answers keep their ``┋``.
* ``tencent`` (腾讯问卷): ``编号`` with ``开始答题时间``, ``结束答题时间`` or ``答题时长``; question columns
  like ``1.您的建议`` or ``Q1:您的建议``; ``(跳过)`` becomes missing.

In any file, a numbered question column (``3、...``, ``3.…``, ``Q3:…``) can also be named ``"3"``,
``"Q3"``, ``"第3题"`` or by its text without the number; an exact column name always wins.

Example:
    >>> df = read_responses("survey.csv", text="意见", id="id")  # doctest: +SKIP
    >>> df.attrs["voc_encoding"], df.attrs["voc_export"]  # doctest: +SKIP
    ('gb18030', None)
"""
from __future__ import annotations

import codecs
import csv
import functools
import io
import itertools
import json
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from voc import schema
from voc.errors import DataQualityWarning, InputError

__all__ = ["iter_responses", "read_responses", "supported_input_formats"]

#: file extension -> reader name; ``format=`` accepts either side
INPUT_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "txt",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
}

_BLOCK = 1 << 20  #: bytes per read when sampling and confirming an encoding
_KEEP_JSONL_BYTES = 64 << 20  #: JSON Lines up to this size are parsed once; larger files twice (streamed)
_HEAD_RECORDS = 200  #: records parsed from the head of a CSV to find the header rows and the row width
_LEGACY_ORDER = ("gb18030", "big5", "cp950", "big5hkscs")  #: tried only when UTF-8 fails, in this order
_FAMILY = {"gb18030": "gb", "big5": "big5", "cp950": "big5", "big5hkscs": "big5"}
_CLOSE_CALL = 0.05  #: odd-character ratios closer than this are settled by charset-normalizer ...
_MIN_CHARS_TO_ASK = 32  #: ... when the sample has this many non-ASCII characters; else GB18030 wins the tie
_CJK_PUNCT = frozenset("，。！？、；：“”‘’（）《》【】〔〕…—·～「」『』〈〉　￥")

_WJX_SKIP_CODES = frozenset({"-2", "-3", "(跳过)"})  #: 问卷星: -2/-3 = skipped / not shown by logic
_TENCENT_SKIP_CODES = frozenset({"(跳过)"})
_NUMBERED = re.compile(r"^(?:[Qq]|第)?(\d{1,4})(?:题)?\s*(?:[、:：]|[.．](?!\d))\s*(.+)$", re.S)
_NUMBERED_SUB = re.compile(r"^(?:[Qq])?(\d{1,4})\s*[(（](.+)[)）]$", re.S)
_SM_GENERIC_LABELS = frozenset({"", "response", "open-ended response"})
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def supported_input_formats() -> tuple[str, ...]:
    """File extensions :func:`read_responses` understands, for help texts.

    Example:
        >>> ".csv" in supported_input_formats()
        True
    """
    return tuple(INPUT_FORMATS)


def read_responses(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    text: str | None = None,
    id: str | None = None,
    columns: Sequence[str] = (),
    sheet: str | int | None = None,
    encoding: str | None = None,
    format: str | None = None,
) -> pd.DataFrame:
    """Read a survey file (or ``"-"`` for stdin) into a DataFrame of strings with a ``response_id`` column.

    Args:
        source: path, ``"-"`` (standard input) or a binary file object.
        text: the open-ended answer column; checked to exist (a Qualtrics question text, a 问卷星 question
            number or text also works). The chosen column name is in ``df.attrs["voc_text"]``.
        id: respondent id column; its values become ``response_id`` (else the 1-based data row number).
        columns: further columns that must exist (resolved the same way, see ``attrs["voc_columns"]``).
        sheet: Excel sheet name or 0-based position (default: the first sheet).
        encoding: force the text encoding instead of detecting UTF-8 / GB18030 / Big5.
        format: force the format (``"csv"``, ``"xlsx"``, ``"jsonl"``, ...) instead of the extension.

    Returns:
        Every column of the file (as strings, empty cells missing) in file order, every data row, plus
        ``response_id`` last. ``attrs`` records ``voc_source``, ``voc_format``, ``voc_encoding``,
        ``voc_export`` (``"qualtrics"``, ``"qualtrics-legacy"``, ``"surveymonkey"``, ``"wjx"``,
        ``"tencent"`` or None), ``voc_text``, ``voc_id`` and ``voc_columns``.

    Example:
        >>> df = read_responses("wjx_export.csv", text="3")  # doctest: +SKIP
        >>> df.attrs["voc_text"]  # doctest: +SKIP
        '3、请写下您的意见或建议'
    """
    chunks = list(iter_responses(source, chunksize=1_000_000, text=text, id=id, columns=columns, sheet=sheet,
                                 encoding=encoding, format=format))
    attrs = dict(chunks[0].attrs)
    df = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
    df = df.reset_index(drop=True)
    df.attrs = attrs
    return df


def iter_responses(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    chunksize: int = 50_000,
    text: str | None = None,
    id: str | None = None,
    columns: Sequence[str] = (),
    sheet: str | int | None = None,
    encoding: str | None = None,
    format: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Read a survey file chunk by chunk (same options and columns as :func:`read_responses`).

    CSV/TSV, text, JSON Lines and Parquet are streamed; Excel and JSON files are read whole and then
    handed out in chunks. The file, its encoding, header and the named columns are checked before this
    function returns, so errors come before any output is written. Row numbers (the default
    ``response_id``) continue across chunks; duplicate ids are reported once, after the last chunk.

    Example:
        >>> for chunk in iter_responses("big.csv", text="comment", chunksize=10_000):  # doctest: +SKIP
        ...     handle(chunk)
    """
    if not isinstance(chunksize, int) or chunksize < 1:
        raise InputError(f"chunksize must be a positive whole number, not {chunksize!r}")
    src = _resolve_source(source, format)
    if sheet is not None and src.fmt not in ("xlsx", "xls"):
        raise InputError(f"--sheet applies to Excel files only; {src.name} is read as {src.fmt}. "
                         "Leave out --sheet")
    raw = _READERS[src.fmt](src, encoding, sheet)
    layout = _detect_layout(raw.header, width=raw.width, keyed=raw.keyed)
    if id is None and schema.RESPONSE_ID in layout.names:
        id = schema.RESPONSE_ID  # a file voc wrote: keep its respondent ids
    wanted = _resolve_columns(layout, src.name, text=text, id=id, columns=columns)
    attrs: dict[str, Any] = {
        "voc_source": src.name,
        "voc_format": src.fmt,
        "voc_encoding": raw.encoding,
        "voc_export": layout.export,
        "voc_text": wanted.get(text) if text else None,
        "voc_id": wanted.get(id) if id else None,
        "voc_columns": wanted,
    }
    id_col = wanted.get(id) if id else None
    return _chunks(raw, layout, chunksize, id_col=id_col, attrs=attrs, source=src.name)


# ---------------------------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class _Source:
    """Where the bytes come from: a file on disk (streamed) or bytes already in memory (stdin, streams)."""

    name: str
    fmt: str
    path: Path | None = None
    data: bytes | None = None

    def open(self) -> IO[bytes]:
        if self.path is not None:
            return open(self.path, "rb")
        return io.BytesIO(self.data or b"")

    @property
    def handle(self) -> Path | IO[bytes]:
        """Something pandas/pyarrow can read: the path, or a fresh in-memory buffer."""
        return self.path if self.path is not None else io.BytesIO(self.data or b"")


def _format_name(fmt: str) -> str | None:
    key = fmt.strip().lower()
    key = key if key.startswith(".") else "." + key
    if key in INPUT_FORMATS:
        return INPUT_FORMATS[key]
    return key[1:] if key[1:] in INPUT_FORMATS.values() else None


def _unsupported(what: str) -> InputError:
    return InputError(f"cannot read {what}: supported input formats are "
                      f"{', '.join(supported_input_formats())} (or - for stdin). Convert the file, or pass "
                      "--format")


def _resolve_source(source: str | os.PathLike[str] | IO[bytes], fmt: str | None) -> _Source:
    forced = None
    if fmt is not None:
        forced = _format_name(fmt)
        if forced is None:
            raise _unsupported(f"format {fmt!r}")
    if isinstance(source, (str, os.PathLike)):
        if str(source) == "-":
            data = sys.stdin.buffer.read()
            if not data:
                raise _empty("<stdin>")
            return _Source("<stdin>", forced or _sniff_format(data), data=data)
        path = Path(source)
        if not path.exists():
            raise InputError(f"input file {path} not found; check the path (current directory: {Path.cwd()})")
        if path.is_dir():
            raise InputError(f"{path} is a directory; pass a file such as {path / 'survey.csv'}")
        kind = forced or INPUT_FORMATS.get(path.suffix.lower())
        if kind is None:
            raise _unsupported(f"{path} (extension {path.suffix or 'none'!r})")
        if path.stat().st_size == 0:
            raise _empty(str(path))
        return _Source(str(path), kind, path=path)
    if not hasattr(source, "read"):
        raise InputError(f"source must be a path, '-' or a binary file object, not {type(source).__name__}")
    data = source.read()
    name = str(getattr(source, "name", "") or "<stream>")
    if isinstance(data, str):
        raise InputError(f"{name} was opened in text mode; open it in binary mode ('rb') so voc can detect "
                         "the encoding")
    if not data:
        raise _empty(name)
    kind = forced or INPUT_FORMATS.get(Path(name).suffix.lower()) or _sniff_format(data)
    return _Source(name, kind, data=bytes(data))


def _empty(name: str) -> InputError:
    return InputError(f"{name} is empty: it has no header row. Export the survey again, with a header row")


def _sniff_format(data: bytes) -> str:
    """Guess the format of bytes with no file name: Excel/Parquet by signature, JSON by its first byte."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if data.startswith(b"PAR1"):
        return "parquet"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "jsonl"
    if head.startswith(b"["):
        return "json"
    return "csv"


# --------------------------------------------------------------------------------------------- encoding


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
        f"{name}: cannot decode byte 0x{err.byte:02X} {where} as {label}. Pass --encoding with the file's "
        "encoding (e.g. --encoding gb18030, big5 or utf-16), or save it as UTF-8 and try again"
    )


def _decode_stream(fh: IO[bytes], encoding: str, *, first_line: int = 1, first_offset: int = 0) -> None:
    """Decode the rest of ``fh`` strictly; raise :class:`_Undecodable` at the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset, line = first_offset, first_line
    while True:
        block = fh.read(_BLOCK)
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
    head = fh.read(_BLOCK)
    block, offset, line = head, 0, 1
    while block:
        hit = None if block.isascii() else _NON_ASCII.search(block)
        if hit is not None:
            at = hit.start()
            sample = block[at:]
            if len(sample) < _BLOCK // 4:
                sample += fh.read(_BLOCK // 4)
            return head, sample, offset + at, line + block[:at].count(b"\n")
        offset += len(block)
        line += block.count(b"\n")
        block = fh.read(_BLOCK)
    return head, b"", offset, line


def _choose_encoding(src: _Source, encoding: str | None) -> tuple[str, bytes]:
    """The codec that decodes the whole file, and the file's first megabyte."""
    if encoding is not None:
        try:
            enc = codecs.lookup(encoding).name
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}; use a Python codec name such as utf-8, "
                             "gb18030, big5 or utf-16") from None
        with src.open() as fh:
            head = fh.read(_BLOCK)
            fh.seek(0)
            try:
                _decode_stream(fh, enc)
            except _Undecodable as err:
                raise _encoding_error(src.name, err, detected=False) from None
        return enc, head
    with src.open() as fh:
        head, sample, start, line = _read_sample(fh)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise _empty(src.name)
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


def _decode_head(head: bytes, encoding: str, *, complete: bool) -> str:
    return codecs.getincrementaldecoder(encoding)("replace").decode(head, final=complete)


# ---------------------------------------------------------------------------------------------- readers


@dataclass
class _Raw:
    """What a format reader hands to the common layer.

    ``header`` holds the first records of the file (up to 3, for export detection) when ``keyed`` is
    False, else just the column names (JSON keys, Parquet fields). ``frames(skip, names, chunksize)``
    yields the data as frames of strings/missing with exactly ``names`` as columns, skipping ``skip``
    header records.
    """

    header: list[list[str]]
    width: int
    keyed: bool
    encoding: str | None
    frames: Callable[[int, list[str], int], Iterator[pd.DataFrame]]


def _sniff_delimiter(records_by_sep: dict[str, list[list[str]]]) -> str:
    """The delimiter that splits the header into the most fields, consistently over the next rows."""
    best, best_score = ",", (1, 0)
    for sep, records in records_by_sep.items():
        rows = [r for r in records if r]
        if not rows or len(rows[0]) < 2:
            continue
        same = sum(len(r) == len(rows[0]) for r in rows[1:20])
        score = (len(rows[0]), same)
        if score > best_score:
            best, best_score = sep, score
    return best


def _head_records(text: str, sep: str, *, complete: bool) -> list[list[str]]:
    """The first records of the decoded head of a delimited file (the header rows and a few answers)."""
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=sep):
            records.append(record)
            if len(records) >= _HEAD_RECORDS:
                break
    except csv.Error:  # e.g. a field over csv's size limit: the records before it are enough here
        complete = False
    if not complete and len(records) > 1:
        records.pop()  # may be cut at the end of the sample
    return records


def _read_delimited(src: _Source, encoding: str | None, sheet: str | int | None, *, sep: str | None) -> _Raw:
    enc, head = _choose_encoding(src, encoding)
    complete = len(head) < _BLOCK
    text = _decode_head(head, enc, complete=complete)
    if sep is None:
        sep = _sniff_delimiter({d: _head_records(text[:65536], d, complete=complete and len(text) <= 65536)
                                for d in (",", "\t", ";")})
    records = _head_records(text, sep, complete=complete)
    lead = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if lead is None:
        raise InputError(f"{src.name} has no header row (only blank lines). Export the survey again, with a "
                         "header row")
    records = records[lead:]
    width = max(len(r) for r in records)

    def frames(skip: int, names: list[str], chunksize: int) -> Iterator[pd.DataFrame]:
        try:
            reader = pd.read_csv(
                src.handle, sep=sep, header=None, names=names, skiprows=lead + skip, dtype=str,
                keep_default_na=False, na_values=[""], skip_blank_lines=False, index_col=False,
                encoding=enc, encoding_errors="strict", chunksize=chunksize, engine="c", quotechar='"',
            )
            with reader:
                yield from reader
        except pd.errors.ParserError as exc:
            detail = str(exc).replace("Error tokenizing data. C error: ", "").strip()
            raise InputError(f"{src.name}: {detail}. The header has {len(names)} fields; check the "
                             "delimiter and the quotes in that line") from exc
        except UnicodeDecodeError as exc:  # pragma: no cover - the encoding was confirmed on the whole file
            raise InputError(f"{src.name}: {exc}; pass --encoding") from exc

    return _Raw(records[:3], width, False, enc, frames)


def _read_text_lines(src: _Source, encoding: str | None, sheet: str | int | None) -> _Raw:
    enc, _ = _choose_encoding(src, encoding)

    def frames(skip: int, names: list[str], chunksize: int) -> Iterator[pd.DataFrame]:
        with src.open() as fh, io.TextIOWrapper(fh, encoding=enc, newline=None) as lines:
            stripped = (line.rstrip("\n") for line in lines)
            while batch := list(itertools.islice(stripped, chunksize)):
                lines_ = pd.Series(batch, dtype=object)
                yield pd.DataFrame({names[0]: _as_text(lines_.where(lines_ != ""))})

    return _Raw([["text"]], 1, True, enc, frames)


def _cell_text(value: Any) -> str | None:
    """A JSON value as text: strings as they are, numbers as written, objects as JSON, null/"" missing."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return None if value != value else repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _records_frame(records: Sequence[dict[str, Any]], keys: Sequence[str], names: list[str]) -> pd.DataFrame:
    """Frame of text from JSON objects: the value of ``keys[i]`` goes to column ``names[i]``."""
    data = {}
    for key, name in zip(keys, names):
        data[name] = _as_text(pd.Series([v if type(v) is str and v else _cell_text(v)
                                         for v in (r.get(key) for r in records)], dtype=object))
    return pd.DataFrame(data, columns=names)


def _json_error(name: str, line: int, exc: json.JSONDecodeError, *, lines: bool) -> InputError:
    where = f"line {line}" if lines else f"line {exc.lineno}"
    fix = "each line must hold one JSON object" if lines else "the file must hold one JSON array of objects"
    return InputError(f"{name} {where}: not valid JSON ({exc.msg}, column {exc.colno}); {fix}")


def _read_jsonl(src: _Source, encoding: str | None, sheet: str | int | None) -> _Raw:
    enc, _ = _choose_encoding(src, encoding)

    def objects() -> Iterator[dict[str, Any]]:
        with src.open() as fh, io.TextIOWrapper(fh, encoding=enc) as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise _json_error(src.name, number, exc, lines=True) from None
                if not isinstance(obj, dict):
                    raise InputError(f"{src.name} line {number}: expected a JSON object such as "
                                     f'{{"text": "..."}}, got {type(obj).__name__}')
                yield obj

    # first pass: validate every line and collect the columns in order; small files keep the objects
    size = src.path.stat().st_size if src.path is not None else len(src.data or b"")
    kept: list[dict[str, Any]] | None = [] if size <= _KEEP_JSONL_BYTES else None
    keys: dict[str, None] = {}
    for obj in objects():
        keys.update(dict.fromkeys(obj))
        if kept is not None:
            kept.append(obj)
    if not keys:
        raise InputError(f"{src.name} has no records (no JSON objects): it has no header row to read")

    def frames(skip: int, names: list[str], chunksize: int) -> Iterator[pd.DataFrame]:
        it = iter(kept) if kept is not None else objects()
        while batch := list(itertools.islice(it, chunksize)):
            yield _records_frame(batch, list(keys), names)

    return _Raw([[str(k) for k in keys]], len(keys), True, enc, frames)


def _read_json(src: _Source, encoding: str | None, sheet: str | int | None) -> _Raw:
    enc, _ = _choose_encoding(src, encoding)
    with src.open() as fh:
        text = fh.read().decode(enc)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(src.name, 0, exc, lines=False) from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InputError(f"{src.name}: expected a JSON array of objects, one per response "
                         f'([{{"text": "..."}}, ...]), got {type(data).__name__}; JSON Lines files '
                         "should end in .jsonl")
    keys: dict[str, None] = {}
    for r in data:
        keys.update(dict.fromkeys(r))
    if not keys:
        raise InputError(f"{src.name} has no records: it has no header row to read")

    def frames(skip: int, names: list[str], chunksize: int) -> Iterator[pd.DataFrame]:
        for i in range(0, max(len(data), 1), chunksize):
            batch = data[i:i + chunksize]
            yield _records_frame(batch, list(keys), names)

    return _Raw([[str(k) for k in keys]], len(keys), True, enc, frames)


def _read_parquet(src: _Source, encoding: str | None, sheet: str | int | None) -> _Raw:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(src.handle)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{src.name} is not a readable Parquet file ({exc})") from exc
    fields = list(pf.schema_arrow.names)

    def frames(skip: int, names: list[str], chunksize: int) -> Iterator[pd.DataFrame]:
        for batch in pf.iter_batches(batch_size=chunksize):
            df = batch.to_pandas(ignore_metadata=True)
            df.columns = names
            yield _text_frame(df)

    return _Raw([fields], len(fields), True, None, frames)


def _pick_sheet(names: list[str], sheet: str | int | None, source: str) -> int:
    listing = ", ".join(f"{i}: {n}" for i, n in enumerate(names))
    if sheet is None:
        return 0
    if isinstance(sheet, str) and sheet in names:
        return names.index(sheet)
    if isinstance(sheet, str) and sheet.strip() in names:
        return names.index(sheet.strip())
    if isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names):
        return sheet
    raise InputError(f"sheet {sheet!r} not found in {source}; sheets are (0-based position: name) {listing}. "
                     "Pass --sheet with one of these names or positions")


def _excel_raw(src: _Source, table: pd.DataFrame) -> _Raw:
    """Header records and data frames of a whole Excel sheet read with ``header=None``."""
    filled = table.notna()
    if len(table.columns):
        used = np.flatnonzero(filled.any(axis=0).to_numpy())
        table = table.iloc[:, : used[-1] + 1] if len(used) else table.iloc[:, :0]
        rows = np.flatnonzero(filled.iloc[:, : table.shape[1]].any(axis=1).to_numpy())
    else:
        rows = np.array([], dtype=int)
    if not len(rows):
        raise InputError(f"{src.name} has no header row: the sheet is empty. Pick another sheet with --sheet")
    table = table.iloc[rows[0]: rows[-1] + 1].reset_index(drop=True)
    table.columns = range(table.shape[1])
    header = [["" if pd.isna(v) else str(v) for v in table.iloc[i]] for i in range(min(3, len(table)))]

    def frames(skip: int, names: list[str], chunksize: int) -> Iterator[pd.DataFrame]:
        body = table.iloc[skip:]
        body.columns = names
        for i in range(0, max(len(body), 1), chunksize):
            yield _text_frame(body.iloc[i:i + chunksize])

    return _Raw(header, table.shape[1], False, None, frames)


def _read_xlsx(src: _Source, encoding: str | None, sheet: str | int | None) -> _Raw:
    import zipfile

    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = pd.ExcelFile(src.handle, engine="openpyxl")
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{src.name} is not a readable .xlsx workbook ({exc}); if it is a CSV or an old "
                         ".xls file, give it that extension") from exc
    with book:
        index = _pick_sheet(list(book.sheet_names), sheet, src.name)
        table = pd.read_excel(book, sheet_name=index, header=None, dtype=str, keep_default_na=False,
                              na_values=[""])
    return _excel_raw(src, table)


def _xls_value(cell: Any, datemode: int) -> str | None:
    import xlrd

    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if kind == xlrd.XL_CELL_NUMBER:
        return str(int(value)) if float(value).is_integer() else repr(value)
    if kind == xlrd.XL_CELL_DATE:
        return str(xlrd.xldate_as_datetime(value, datemode))
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "True" if value else "False"
    return str(value) if value != "" else None


def _read_xls(src: _Source, encoding: str | None, sheet: str | int | None) -> _Raw:
    import xlrd

    with src.open() as fh:
        data = fh.read()
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, encoding_override=encoding)
    except Exception as exc:  # xlrd raises many kinds of error on a damaged or mislabelled file
        raise InputError(f"{src.name} is not a readable .xls workbook ({exc}); if it is really .xlsx or "
                         "CSV, give it that extension") from exc
    try:
        sh = book.sheet_by_index(_pick_sheet(book.sheet_names(), sheet, src.name))
        rows = [[_xls_value(sh.cell(r, c), book.datemode) for c in range(sh.ncols)]
                for r in range(sh.nrows)]
    finally:
        book.release_resources()
    return _excel_raw(src, pd.DataFrame(rows, dtype=object))


_READERS: dict[str, Callable[[_Source, str | None, str | int | None], _Raw]] = {
    "csv": lambda s, e, sh: _read_delimited(s, e, sh, sep=None),
    "tsv": lambda s, e, sh: _read_delimited(s, e, sh, sep="\t"),
    "txt": _read_text_lines,
    "jsonl": _read_jsonl,
    "json": _read_json,
    "parquet": _read_parquet,
    "xlsx": _read_xlsx,
    "xls": _read_xls,
}


def _text_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every column of ``df`` as text (see :func:`_as_text`), same columns and index."""
    return pd.DataFrame({i: _as_text(df.iloc[:, i]) for i in range(df.shape[1])}, index=df.index).set_axis(
        df.columns, axis=1)


def _as_text(s: pd.Series) -> pd.Series:
    """Values as strings, missing values kept missing (works for pandas 2 object and pandas 3 str dtypes)."""
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return s
    return s.astype(str).where(s.notna())


# ---------------------------------------------------------------------------------------- survey layout


@dataclass(frozen=True)
class _Layout:
    """Column names, header rows to skip and the survey tool that wrote the file."""

    names: list[str]
    skip: int
    export: str | None = None
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    skip_code_columns: tuple[str, ...] = ()
    skip_codes: frozenset[str] = frozenset()


def _clean_name(name: str) -> str:
    return name.strip().strip("\ufeff").strip()


def _unique_names(raw: Sequence[str]) -> list[str]:
    """Blank names become ``Unnamed: i``; repeats get ``.1``, ``.2`` (pandas' convention)."""
    names = [_clean_name(n) or f"Unnamed: {i}" for i, n in enumerate(raw)]
    seen: set[str] = set()
    out = []
    for n in names:
        candidate, k = n, 0
        while candidate in seen:
            k += 1
            candidate = f"{n}.{k}"
        seen.add(candidate)
        out.append(candidate)
    return out


def _padded(row: Sequence[str], width: int) -> list[str]:
    return list(row[:width]) + [""] * (width - len(row))


def _add_alias(aliases: dict[str, list[str]], key: str, column: str) -> None:
    key = _clean_name(key)
    if key and column not in aliases.setdefault(key, []):
        aliases[key].append(column)


def _numbered_aliases(names: Sequence[str]) -> dict[str, list[str]]:
    """Aliases of numbered questions: "3", "Q3", "第3题" and the question text.

    Numbered columns look like ``3、请写下您的意见`` (问卷星), ``Q3:...`` or ``3.您的建议`` (腾讯问卷).
    """
    aliases: dict[str, list[str]] = {}
    subs: dict[str, list[str]] = {}
    for name in names:
        if m := _NUMBERED.match(name):
            n, question = m.group(1), m.group(2)
            for key in (n, f"Q{n}", f"q{n}", f"第{n}题", question):
                _add_alias(aliases, key, name)
        elif m := _NUMBERED_SUB.match(name):
            subs.setdefault(m.group(1), []).append(name)
    for n, cols in subs.items():
        if n not in aliases:  # "4" names the sub-columns of question 4 only when it has no main column
            for key in (n, f"Q{n}", f"q{n}", f"第{n}题"):
                for col in cols:
                    _add_alias(aliases, key, col)
    return aliases


def _is_qualtrics_import_row(row: Sequence[str]) -> bool:
    cells = [c.strip() for c in row if c.strip()]
    hits = sum(c.startswith("{") and '"ImportId"' in c for c in cells)
    return bool(cells) and hits * 2 >= len(cells)


def _qualtrics_legacy(rows: Sequence[Sequence[str]]) -> bool:
    if len(rows) < 2:
        return False
    ids = {"responseid", "response id"}
    for i, cell in enumerate(rows[0]):
        key = _clean_name(cell).lower()
        if key in ids | {"v1"} and i < len(rows[1]) and _clean_name(rows[1][i]).lower() in ids:
            return True
    return False


def _surveymonkey(rows: Sequence[Sequence[str]]) -> bool:
    if len(rows) < 2:
        return False
    first = [_clean_name(c).lower() for c in rows[0]]
    idx = next((i for i, c in enumerate(first) if c in ("respondent id", "respondentid")), None)
    if idx is None:
        return False
    second = list(rows[1])
    return (idx >= len(second) or not second[idx].strip()) and any(c.strip() for c in second)


def _detect_layout(header: list[list[str]], *, width: int, keyed: bool) -> _Layout:
    """Recognise the survey tool from the header rows and build column names and aliases."""
    rows = [_padded(r, width) for r in header]
    if not keyed and len(rows) >= 3 and _is_qualtrics_import_row(rows[2]):
        return _qualtrics_layout(rows, skip=3, export="qualtrics")
    if not keyed and _qualtrics_legacy(rows):
        return _qualtrics_layout(rows, skip=2, export="qualtrics-legacy")
    if not keyed and _surveymonkey(rows):
        return _surveymonkey_layout(rows)
    names = _unique_names(rows[0])
    aliases = {k: tuple(v) for k, v in _numbered_aliases(names).items()}
    export, codes = None, frozenset[str]()
    if "提交答卷时间" in names or ("序号" in names and any(_NUMBERED.match(n) for n in names)):
        export, codes = "wjx", _WJX_SKIP_CODES
    elif "编号" in names and {"开始答题时间", "结束答题时间", "答题时长"} & set(names):
        export, codes = "tencent", _TENCENT_SKIP_CODES
    coded = tuple(n for n in names if _NUMBERED.match(n) or _NUMBERED_SUB.match(n)) if export else ()
    return _Layout(names, 0 if keyed else 1, export, aliases, coded, codes)


def _qualtrics_layout(rows: list[list[str]], *, skip: int, export: str) -> _Layout:
    """Row 1: field ids (the names); row 2: question texts; row 3 (new exports): ``{"ImportId": ...}``."""
    names = _unique_names(rows[0])
    aliases: dict[str, list[str]] = {}
    for i, name in enumerate(names):
        _add_alias(aliases, rows[1][i], name)
        if skip == 3 and rows[2][i].strip().startswith("{"):
            try:
                import_id = json.loads(rows[2][i]).get("ImportId")
            except (json.JSONDecodeError, AttributeError):
                import_id = None
            if isinstance(import_id, str):
                _add_alias(aliases, import_id, name)
    return _Layout(names, skip, export, {k: tuple(v) for k, v in aliases.items()})


def _surveymonkey_layout(rows: list[list[str]]) -> _Layout:
    """Row 1: question text (blank over the continuation columns); row 2: "Response", option names, ...

    A question with one column is named by its text; the columns of a multi-column question are named
    "question - label" (e.g. "您从哪里知道我们？ - 朋友推荐").
    """
    top, sub = rows[0], rows[1]
    groups: list[list[int]] = []
    for i, cell in enumerate(top):
        if cell.strip() or not groups or not sub[i].strip():
            groups.append([i])
        else:
            groups[-1].append(i)
    raw: list[str] = [""] * len(top)
    alias_of: dict[int, str] = {}
    for group in groups:
        question = _clean_name(top[group[0]])
        for i in group:
            label = _clean_name(sub[i])
            if len(group) == 1 and label.lower() in _SM_GENERIC_LABELS:
                raw[i] = question or label
                if label and question:
                    alias_of[i] = f"{question} - {label}"
            elif not question:
                raw[i] = label
            else:
                raw[i] = f"{question} - {label}" if label else question
    names = _unique_names(raw)
    aliases: dict[str, list[str]] = {}
    for i, key in alias_of.items():
        _add_alias(aliases, key, names[i])
    return _Layout(names, 2, "surveymonkey", {k: tuple(v) for k, v in aliases.items()})


def _resolve_columns(layout: _Layout, source: str, *, text: str | None, id: str | None,
                     columns: Sequence[str]) -> dict[str, str]:
    """Map each requested column (exact name, else a survey alias) to a column of the file."""
    wanted: dict[str, str] = {}
    for name, option in [(text, "--text"), (id, "--id"), *((c, "") for c in columns)]:
        if not name or name in wanted:
            continue
        wanted[name] = _resolve_one(str(name), layout, source=source, option=option)
    id_col = wanted.get(id) if id else None
    if schema.RESPONSE_ID in layout.names and id_col != schema.RESPONSE_ID:
        rid = schema.RESPONSE_ID
        raise InputError(f"{source} already has a column '{rid}', which voc adds itself; rename that "
                         f"column, or pass --id {rid} to use it as the respondent id")
    return wanted


def _resolve_one(name: str, layout: _Layout, *, source: str, option: str) -> str:
    if name in layout.names:
        return name
    key = _clean_name(name)
    if key in layout.names:
        return key
    hits = layout.aliases.get(key, ())
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        listed = "; ".join(hits)
        raise InputError(f"{option or 'column'} {name!r} matches {len(hits)} columns of {source}: {listed}. "
                         "Pass the full column name")
    raise InputError(schema.missing_column_message(name, layout.names, source=source, option=option))


# ----------------------------------------------------------------------------------------------- chunks


def _chunks(raw: _Raw, layout: _Layout, chunksize: int, *, id_col: str | None, attrs: dict[str, Any],
            source: str) -> Iterator[pd.DataFrame]:
    start = 0
    first_row: dict[str, int] = {}
    duplicates: list[tuple[str, int, int]] = []
    emitted = False
    for frame in raw.frames(layout.skip, list(layout.names), chunksize):
        frame = frame.reset_index(drop=True)
        frame.index = pd.RangeIndex(start, start + len(frame))
        for col in layout.skip_code_columns:
            frame[col] = frame[col].mask(frame[col].str.strip().isin(layout.skip_codes))
        rows = np.arange(start + 1, start + 1 + len(frame))
        if id_col is None:
            frame[schema.RESPONSE_ID] = _as_text(pd.Series(rows.astype(str), index=frame.index, dtype=object))
        else:
            ids = frame[id_col]
            blank = ids.isna() | (ids.str.strip() == "")
            if blank.any():
                bad = rows[blank.to_numpy()]
                shown = ", ".join(str(r) for r in bad[:5])
                more = ", ..." if len(bad) > 5 else ""
                raise InputError(f"id column '{id_col}' of {source} is empty in {int(blank.sum()):,} row(s) "
                                 f"(data rows {shown}{more}, counted from 1 after the header); fill them in, "
                                 "or leave out --id to number the rows")
            for value, row in zip(ids.tolist(), rows.tolist()):
                seen = first_row.setdefault(value, row)
                if seen != row:
                    duplicates.append((value, seen, row))
            if id_col != schema.RESPONSE_ID:
                frame[schema.RESPONSE_ID] = ids
        frame.attrs = dict(attrs)
        start += len(frame)
        emitted = True
        yield frame
    if not emitted:
        empty = _text_frame(pd.DataFrame({n: pd.Series([], dtype=object) for n in layout.names}))
        if id_col != schema.RESPONSE_ID:
            empty[schema.RESPONSE_ID] = _as_text(pd.Series([], dtype=object))
        empty.attrs = dict(attrs)
        yield empty
    if duplicates:
        shown = "; ".join(f"{v!r} on rows {a} and {b}" for v, a, b in duplicates[:3])
        warnings.warn(DataQualityWarning(
            f"{len(duplicates):,} row(s) of {source} repeat an id already used in column '{id_col}' "
            f"(e.g. {shown}); response_id is not unique, so results for those rows cannot be told apart"
        ), stacklevel=2)
