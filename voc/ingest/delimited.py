"""CSV / TSV (delimiter sniffed for .csv) and plain text (one answer per line) readers.

Every record of a delimited file is checked before any row is handed out: a row with fewer fields than
the header, or with more fields that are not just trailing delimiters, is a "bad line". By default it
is an :class:`InputError` naming the file, the line and the field counts; ``on_bad_lines="skip"`` or
``"warn"`` leaves such rows out with one aggregated :class:`DataQualityWarning`. Blank lines are not bad
lines: they come out as empty rows, so row numbers match the file.
"""
from __future__ import annotations

import csv
import io
import itertools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

import numpy as np
import pandas as pd

from voc.errors import DataQualityWarning, InputError
from voc.ingest._encoding import BLOCK, choose_encoding, decode_head
from voc.ingest._source import Raw, Source, as_text

_HEAD_RECORDS = 200  #: records parsed from the head of a CSV to find the header rows and sniff the delimiter
_CR = "\ue000"  #: stands in for a lone CR inside a value while csv.reader splits the head
_SHOWN_LINES = 5  #: line numbers named in a bad-lines message
BAD_LINES = ("error", "skip", "warn")


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


def _lf_only(text: str) -> bool:
    """True when records end in a bare LF: a lone CR is then part of a value, as pandas writes it."""
    at = text.find("\n")
    return at > 0 and text[at - 1] != "\r"


def _lines(stream: IO[str], *, lf_only: bool, cr: str) -> Iterator[str]:
    """Lines for csv.reader: split at LF only (a lone CR becomes ``cr``, csv refuses it), or universal."""
    if not lf_only:
        return iter(stream)
    return (line.replace("\r", cr) for line in stream)


def _head_records(text: str, sep: str, *, complete: bool) -> list[list[str]]:
    """The first records of the decoded head of a delimited file (the header rows and a few answers)."""
    records: list[list[str]] = []
    lf_only = _lf_only(text)
    lines = _lines(io.StringIO(text, newline="\n" if lf_only else ""), lf_only=lf_only, cr=_CR)
    try:
        for record in csv.reader(lines, delimiter=sep):
            records.append([f.replace(_CR, "\r") for f in record] if lf_only else record)
            if len(records) >= _HEAD_RECORDS:
                break
    except csv.Error:  # e.g. a field over csv's size limit: the records before it are enough here
        complete = False
    if not complete and len(records) > 1:
        records.pop()  # may be cut at the end of the sample
    return records



@dataclass
class _Shape:
    """Field counts of a whole delimited file: the widest good record and the bad ones."""

    width: int
    bad: list[tuple[int, int, int]] = field(default_factory=list)  #: (record index, line, fields)
    records: int = 0  #: records in the file, blank lines included


def _scan_records(src: Source, enc: str, sep: str, *, lead: int, header_width: int, lf_only: bool) -> _Shape:
    """Count the fields of every record after the header (``lead`` = record index of the header)."""
    shape = _Shape(header_width)
    with src.open() as fh, io.TextIOWrapper(fh, encoding=enc, newline="\n" if lf_only else "") as stream:
        reader = csv.reader(_lines(stream, lf_only=lf_only, cr=" "), delimiter=sep)
        index, line = -1, 1  # line: where the next record starts
        try:
            for index, record in enumerate(reader):
                n = len(record)
                if index > lead and n != header_width and any(f.strip() for f in record):
                    if n < header_width or any(f.strip() for f in record[header_width:]):
                        shape.bad.append((index, line, n))
                    else:  # trailing delimiters: kept as blank "Unnamed" columns
                        shape.width = max(shape.width, n)
                line = reader.line_num + 1
            shape.records = index + 1
        except csv.Error as exc:
            if "field limit" in str(exc) and csv.field_size_limit() <= src.size:
                # the csv module caps fields at 128 KiB process-wide; no field is longer than the file
                csv.field_size_limit(src.size + 1)
                return _scan_records(src, enc, sep, lead=lead, header_width=header_width, lf_only=lf_only)
            raise InputError(f"{src.name} line {line}: {exc}; check the quotes in that line") from exc
    return shape


def _bad_lines_message(name: str, shape: _Shape, header_width: int) -> str:
    _, line, n = shape.bad[0]
    msg = f"{name} line {line} has {n} field{'s' if n != 1 else ''}, the header has {header_width}"
    if len(shape.bad) > 1:
        more = ", ".join(str(b[1]) for b in shape.bad[1:1 + _SHOWN_LINES])
        etc = ", ..." if len(shape.bad) > 1 + _SHOWN_LINES else ""
        msg += f" (and {len(shape.bad) - 1:,} more such row(s): line {more}{etc})"
    return msg


def _check_bad_lines(src: Source, shape: _Shape, header_width: int, on_bad_lines: str) -> None:
    if not shape.bad or on_bad_lines == "skip":
        return
    if on_bad_lines == "error":
        raise InputError(_bad_lines_message(src.name, shape, header_width) + "; fix the delimiters or "
                         "quotes there, or pass on_bad_lines='skip' (or 'warn') to leave such rows out")
    shown = ", ".join(str(b[1]) for b in shape.bad[:_SHOWN_LINES])
    warnings.warn(DataQualityWarning(
        f"{src.name}: {len(shape.bad):,} row(s) whose number of fields differs from the header's "
        f"{header_width} were left out (lines {shown}{', ...' if len(shape.bad) > _SHOWN_LINES else ''}); "
        "the other rows keep their ids and row numbers"
    ), stacklevel=4)


def read_delimited(src: Source, encoding: str | None, sheet: str | int | None, *, sep: str | None,
                   on_bad_lines: str = "error") -> Raw:
    """A CSV/TSV file, streamed; ``sep=None`` sniffs comma, tab or semicolon from the head."""
    enc, head = choose_encoding(src, encoding)
    complete = len(head) < BLOCK
    text = decode_head(head, enc, complete=complete)
    if sep is None:
        sep = _sniff_delimiter({d: _head_records(text[:65536], d, complete=complete and len(text) <= 65536)
                                for d in (",", "\t", ";")})
    records = _head_records(text, sep, complete=complete)
    lead = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if lead is None:
        raise InputError(f"{src.name} has no header row (only blank lines). Export the survey again, with a "
                         "header row")
    records = records[lead:]
    header_width = len(records[0])
    lf_only = _lf_only(text)
    shape = _scan_records(src, enc, sep, lead=lead, header_width=header_width, lf_only=lf_only)
    _check_bad_lines(src, shape, header_width, on_bad_lines)
    bad = {b[0] for b in shape.bad}

    def frames(skip: int, names: list[str], chunksize: int) -> Iterator[pd.DataFrame]:
        first = lead + skip  # record index of the first data row
        skiprows: int | set[int] = first
        kept = None
        if bad:
            skiprows = set(range(first)) | bad
            gone = [b - first for b in sorted(bad) if b >= first]
            kept = np.delete(np.arange(max(shape.records - first, 0)), gone)
        try:
            reader = pd.read_csv(
                src.handle, sep=sep, header=None, names=names, skiprows=skiprows, dtype=str,
                keep_default_na=False, na_values=[""], skip_blank_lines=False, index_col=False,
                encoding=enc, encoding_errors="strict", chunksize=chunksize, engine="c", quotechar='"',
                lineterminator="\n" if lf_only else None,
            )
            with reader:
                start = 0
                for chunk in reader:
                    if kept is not None:  # the file's data row numbers, with gaps where rows were left out
                        chunk.index = pd.Index(kept[start:start + len(chunk)])
                    start += len(chunk)
                    yield chunk
        except pd.errors.ParserError as exc:  # pragma: no cover - every record was counted above
            detail = str(exc).replace("Error tokenizing data. C error: ", "").strip()
            raise InputError(f"{src.name}: {detail}. The header has {len(names)} fields; check the "
                             "delimiter and the quotes in that line") from exc
        except UnicodeDecodeError as exc:  # pragma: no cover - the encoding was confirmed on the whole file
            raise InputError(f"{src.name}: {exc}; pass encoding=") from exc

    return Raw(records[:3], shape.width, False, enc, frames, numbered=True, dropped=len(bad))


def read_text_lines(src: Source, encoding: str | None, sheet: str | int | None) -> Raw:
    """Plain text, one answer per line (blank lines are empty answers), in a column ``text``."""
    enc, _ = choose_encoding(src, encoding)

    def frames(skip: int, names: list[str], chunksize: int) -> Iterator[pd.DataFrame]:
        with src.open() as fh, io.TextIOWrapper(fh, encoding=enc, newline=None) as lines:
            stripped = (line.rstrip("\n") for line in lines)
            while batch := list(itertools.islice(stripped, chunksize)):
                lines_ = pd.Series(batch, dtype=object)
                yield pd.DataFrame({names[0]: as_text(lines_.where(lines_ != ""))})

    return Raw([["text"]], 1, True, enc, frames)



def count_lines(src: Source, *, quoted: bool) -> int | None:
    """Records of a text file: newlines outside double quotes when ``quoted`` (CSV), else all newlines.

    Works on the bytes (UTF-8, GB18030 and Big5 never use ``"`` or a newline byte inside a character);
    UTF-16 files give None.
    """
    count, inside, last = 0, False, b"\n"
    with src.open() as fh:
        if fh.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            return None
        fh.seek(0)
        while block := fh.read(BLOCK):
            if quoted and b'"' in block:
                parts = block.split(b'"')
                count += sum(p.count(b"\n") for i, p in enumerate(parts) if (i % 2 == 1) == inside)
                inside ^= (len(parts) - 1) % 2 == 1
            else:
                count += 0 if inside else block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")
