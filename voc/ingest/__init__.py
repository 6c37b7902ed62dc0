"""Read survey responses from files and survey-tool exports into a DataFrame of strings.

Formats come from the file extension (or ``format=``): CSV, TSV, plain text (one answer per line), Excel
(.xlsx/.xlsm through python-calamine, or openpyxl when it is missing; .xls through xlrd), JSON Lines,
JSON (a list of records) and Parquet; ``"-"`` reads standard input (format sniffed: Excel/Parquet by
signature, ``{`` JSON Lines, else CSV). Text files are decoded as UTF-8 (with or without BOM; UTF-16
with BOM), else GB18030 or Big5 (see :mod:`voc.ingest._encoding`). Every value is read as text (empty
cells are missing), every data row comes out in order, and a ``response_id`` column is appended.

Survey exports (Qualtrics, SurveyMonkey, 问卷星, 腾讯问卷) are recognised from their header rows
(``df.attrs["voc_export"]``, see :mod:`voc.ingest.surveys`); their columns can be named by question
number or text, with :func:`resolve_column` for columns chosen after reading.

One module per source kind: ``_source`` (paths, formats), ``_encoding``, ``delimited`` (CSV/TSV/text),
``excel``, ``records`` (JSON Lines/JSON/Parquet), ``surveys`` (export layouts, column names).

Example:
    >>> df = read_responses("survey.csv", text="意见", id="id")  # doctest: +SKIP
    >>> df.attrs["voc_encoding"], df.attrs["voc_export"]  # doctest: +SKIP
    ('gb18030', None)
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

import numpy as np
import pandas as pd

from voc import schema
from voc.errors import DataQualityWarning, InputError
from voc.ingest import delimited, excel, records
from voc.ingest._source import (
    INPUT_FORMATS,
    Raw,
    Source,
    as_text,
    resolve_source,
    supported_input_formats,
    text_frame,
)
from voc.ingest.surveys import Layout, detect_layout, resolve_column, resolve_columns, saved_aliases

__all__ = ["INPUT_FORMATS", "count_rows", "iter_responses", "read_responses", "resolve_column",
           "supported_input_formats"]

_READERS: dict[str, Callable[[Source, str | None, str | int | None], Raw]] = {
    "txt": delimited.read_text_lines,
    "jsonl": records.read_jsonl,
    "json": records.read_json,
    "parquet": records.read_parquet,
    "xlsx": excel.read_xlsx,
    "xls": excel.read_xls,
}
_SEPARATORS: dict[str, str | None] = {"csv": None, "tsv": "\t"}


def read_responses(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    text: str | None = None,
    id: str | None = None,
    columns: Sequence[str] = (),
    sheet: str | int | None = None,
    encoding: str | None = None,
    format: str | None = None,
    on_bad_lines: str = "error",
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
        on_bad_lines: a CSV/TSV row whose number of fields differs from the header's (trailing
            delimiters aside): ``"error"`` (default) raises :class:`InputError` naming the line;
            ``"warn"`` leaves such rows out with one :class:`DataQualityWarning` (count and first line
            numbers), ``"skip"`` leaves them out quietly (counted in ``attrs["voc_bad_lines"]``). The
            other rows keep their ids and data row numbers.

    Returns:
        Every column of the file (as strings, empty cells missing) in file order, every data row, plus
        ``response_id`` last. ``attrs`` records ``voc_source``, ``voc_format``, ``voc_encoding``,
        ``voc_export`` (``"qualtrics"``, ``"qualtrics-legacy"``, ``"surveymonkey"``, ``"wjx"``,
        ``"tencent"`` or None), ``voc_text``, ``voc_id``, ``voc_columns``, ``voc_aliases`` (the
        question texts of Qualtrics/SurveyMonkey headers, for :func:`resolve_column`) and
        ``voc_bad_lines`` (CSV rows left out by ``on_bad_lines``).

    Example:
        >>> df = read_responses("wjx_export.csv", text="3")  # doctest: +SKIP
        >>> df.attrs["voc_text"]  # doctest: +SKIP
        '3、请写下您的意见或建议'
    """
    chunks = list(iter_responses(source, chunksize=1_000_000, text=text, id=id, columns=columns, sheet=sheet,
                                 encoding=encoding, format=format, on_bad_lines=on_bad_lines))
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
    on_bad_lines: str = "error",
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
    if on_bad_lines not in delimited.BAD_LINES:
        raise InputError(f"on_bad_lines must be 'error', 'skip' or 'warn', not {on_bad_lines!r}")
    src = resolve_source(source, format)
    if sheet is not None and src.fmt not in ("xlsx", "xls"):
        raise InputError(f"sheet={sheet!r} applies to Excel files only; {src.name} is read as {src.fmt}. "
                         "Leave out sheet=")
    if src.fmt in _SEPARATORS:
        raw = delimited.read_delimited(src, encoding, sheet, sep=_SEPARATORS[src.fmt],
                                       on_bad_lines=on_bad_lines)
    else:
        raw = _READERS[src.fmt](src, encoding, sheet)
    layout = detect_layout(raw.header, width=raw.width, keyed=raw.keyed)
    if id is None and schema.RESPONSE_ID in layout.names:
        id = schema.RESPONSE_ID  # a file voc wrote: keep its respondent ids
    wanted = resolve_columns(layout, src.name, text=text, id=id, columns=columns)
    attrs: dict[str, Any] = {
        "voc_source": src.name,
        "voc_format": src.fmt,
        "voc_encoding": raw.encoding,
        "voc_export": layout.export,
        "voc_text": wanted.get(text) if text else None,
        "voc_id": wanted.get(id) if id else None,
        "voc_columns": wanted,
        "voc_aliases": saved_aliases(layout),
        "voc_bad_lines": raw.dropped,
    }
    id_col = wanted.get(id) if id else None
    return _chunks(raw, layout, chunksize, id_col=id_col, attrs=attrs, source=src.name)



def count_rows(source: str | os.PathLike[str], *, format: str | None = None) -> int | None:
    """A cheap count of the data rows in a file, for a progress bar's total; None when unknown.

    CSV/TSV: newlines outside double quotes, less the header row; text: lines; .xlsx: the used range of
    the first sheet; JSON Lines: non-blank lines; Parquet: the footer. Survey exports with extra header
    rows (Qualtrics, SurveyMonkey) count those too, so the total may be 1-2 high. JSON, .xls, UTF-16 text,
    stdin, and files that cannot be opened give None (reading them reports the real problem).

    Example:
        >>> count_rows("survey.csv")  # doctest: +SKIP
        50000
    """
    if str(source) == "-":
        return None
    try:
        src = resolve_source(source, format)
    except InputError:
        return None
    if src.fmt in ("csv", "tsv", "txt"):
        lines = delimited.count_lines(src, quoted=src.fmt != "txt")
        return None if lines is None else max(lines - (src.fmt != "txt"), 0)
    if src.fmt == "xlsx":
        return excel.count_xlsx_rows(src)
    return records.count_records(src)


# ----------------------------------------------------------------------------------------------- chunks


def _chunks(raw: Raw, layout: Layout, chunksize: int, *, id_col: str | None, attrs: dict[str, Any],
            source: str) -> Iterator[pd.DataFrame]:
    start = 0
    first_row: dict[str, int] = {}
    duplicates: list[tuple[str, int, int]] = []
    emitted = False
    for frame in raw.frames(layout.skip, list(layout.names), chunksize):
        if raw.numbered:
            rows = frame.index.to_numpy(dtype=np.int64) + 1
        frame = frame.reset_index(drop=True)
        frame.index = pd.RangeIndex(start, start + len(frame))
        for col in layout.skip_code_columns:
            frame[col] = frame[col].mask(frame[col].str.strip().isin(layout.skip_codes))
        if not raw.numbered:
            rows = np.arange(start + 1, start + 1 + len(frame))
        if id_col is None:
            frame[schema.RESPONSE_ID] = as_text(pd.Series(rows.astype(str), index=frame.index, dtype=object))
        else:
            ids = frame[id_col]
            blank = ids.isna() | (ids.str.strip() == "")
            if blank.any():
                bad = rows[blank.to_numpy()]
                shown = ", ".join(str(r) for r in bad[:5])
                more = ", ..." if len(bad) > 5 else ""
                raise InputError(f"id column '{id_col}' of {source} is empty in {int(blank.sum()):,} row(s) "
                                 f"(data rows {shown}{more}, counted from 1 after the header); fill them in, "
                                 "or leave out id= to number the rows")
            for value, row in zip(ids.tolist(), rows.tolist(), strict=True):
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
        empty = text_frame(pd.DataFrame({n: pd.Series([], dtype=object) for n in layout.names}))
        if id_col != schema.RESPONSE_ID:
            empty[schema.RESPONSE_ID] = as_text(pd.Series([], dtype=object))
        empty.attrs = dict(attrs)
        yield empty
    if duplicates:
        shown = "; ".join(f"{v!r} on rows {a} and {b}" for v, a, b in duplicates[:3])
        warnings.warn(DataQualityWarning(
            f"{len(duplicates):,} row(s) of {source} repeat an id already used in column '{id_col}' "
            f"(e.g. {shown}); response_id is not unique, so results for those rows cannot be told apart"
        ), stacklevel=2)
