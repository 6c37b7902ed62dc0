"""Write result frames to CSV, TSV, Excel, JSON Lines or Parquet, atomically.

The format comes from the extension (or ``format=``). Files are written to a temporary file next to the
target, flushed to disk and then moved over the target in one step, so a failure half-way (a bad
chunk, a full disk, Ctrl-C) never leaves a half-written file or destroys the previous one. ``"-"``
writes to standard output. CSV gets a UTF-8 byte-order mark so that Excel shows Chinese correctly.

Example:
    >>> write_frame(df, "tagged.xlsx")  # doctest: +SKIP
    PosixPath('tagged.xlsx')
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import errno
import io
import json
import math
import os
import re
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from voc.errors import DataQualityWarning, InputError

__all__ = ["atomic_write", "atomic_write_bytes", "supported_output_formats", "write_frame"]

#: file extension -> writer name; ``format=`` accepts either side
OUTPUT_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".xlsx": "xlsx",
    ".jsonl": "jsonl",
    ".parquet": "parquet",
}

EXCEL_MAX_CHARS = 32_767  #: longest text an Excel cell holds
EXCEL_MAX_ROWS = 1_048_576  #: rows in an Excel sheet, the header included
EXCEL_MAX_COLUMNS = 16_384


def supported_output_formats() -> tuple[str, ...]:
    """File extensions :func:`write_frame` understands, for help texts.

    Example:
        >>> supported_output_formats()
        ('.csv', '.tsv', '.xlsx', '.jsonl', '.parquet')
    """
    return tuple(OUTPUT_FORMATS)


def write_frame(
    data: pd.DataFrame | Iterable[pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
) -> Path | None:
    """Write a frame, or an iterable of frames (chunks with the same columns), to ``path``.

    CSV/TSV/JSONL/Parquet are written chunk by chunk; XLSX collects the chunks first. The target is
    replaced only when everything was written: on any error the temporary file is removed and an
    existing target is left as it was. ``"-"`` writes CSV (or ``format``) to standard output, as plain
    UTF-8 without a byte-order mark.

    Args:
        data: a DataFrame or an iterable (e.g. a generator) of DataFrames. The index is not written.
        path: target file; ``"-"`` for standard output.
        format: ``"csv"``, ``"tsv"``, ``"xlsx"``, ``"jsonl"`` or ``"parquet"`` instead of the extension.

    Returns:
        The path written, or None for standard output.

    Example:
        >>> write_frame(pd.DataFrame({"评论": ["送货太慢了，等了三天"]}), "out.csv")  # doctest: +SKIP
        PosixPath('out.csv')
    """
    to_stdout = str(path) == "-"
    kind = _output_format(path, format, to_stdout=to_stdout)
    chunks = _as_chunks(data)
    if to_stdout:
        stream = sys.stdout.buffer
        if kind in ("xlsx", "parquet"):  # zip and Parquet writers may need to seek: build in memory
            buffer = io.BytesIO()
            _WRITERS[kind](chunks, buffer, bom=False)
            stream.write(buffer.getvalue())
        else:
            _WRITERS[kind](chunks, stream, bom=False)
        stream.flush()
        return None
    target = Path(path)
    if target.is_dir():
        example = target / ("results" + _ext(kind))
        raise InputError(f"output {target} is a directory; pass a file name such as {example}")
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"cannot write {target}: the folder {parent} does not exist; create it first "
                         f"(mkdir -p {parent}) or choose another output path")
    atomic_write(target, lambda fh: _WRITERS[kind](chunks, fh, bom=True))
    return target


def _ext(kind: str) -> str:
    return next(ext for ext, k in OUTPUT_FORMATS.items() if k == kind)


def _output_format(path: str | os.PathLike[str], format: str | None, *, to_stdout: bool) -> str:
    supported = ", ".join(supported_output_formats())
    if format is not None:
        key = format.strip().lower()
        key = key if key.startswith(".") else "." + key
        if key not in OUTPUT_FORMATS:
            raise InputError(f"cannot write format {format!r}: supported output formats are {supported}")
        return OUTPUT_FORMATS[key]
    if to_stdout:
        return "csv"
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise InputError(f"cannot write {path}: unknown extension {suffix or '(none)'!r}; supported output "
                         f"formats are {supported}. Change the file name, or pass the format explicitly")
    return OUTPUT_FORMATS[suffix]


def _as_chunks(data: pd.DataFrame | Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    if isinstance(data, pd.DataFrame):
        return iter([data])
    if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        raise InputError("write_frame needs a DataFrame or an iterable of DataFrames, "
                         f"not {type(data).__name__}")

    def checked() -> Iterator[pd.DataFrame]:
        for i, chunk in enumerate(data, 1):
            if not isinstance(chunk, pd.DataFrame):
                raise InputError(f"chunk {i} is a {type(chunk).__name__}, not a DataFrame")
            yield chunk

    return checked()


def _umask() -> int:
    """The process umask, read without changing it (os.umask would be a race between threads)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``target`` atomically (see :func:`atomic_write`)."""
    atomic_write(Path(target), lambda fh: fh.write(data))


def atomic_write(target: Path, write: Any) -> None:
    """Run ``write(binary_handle)`` on a temporary file beside ``target``, fsync, then ``os.replace``.

    The one atomic writer of voc: every file voc writes (tables, reports, models) goes through it, so a
    failure or a kill never leaves a partial file at ``target`` and an existing file is kept until the
    new one is complete. On Linux the temporary file has no name until it is complete (``O_TMPFILE``):
    a process killed with SIGKILL half-way leaves nothing behind, not even a hidden file.
    """
    target = Path(target)
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
    fd = _unnamed_file(target.parent, mode)
    if fd is None:
        _write_named(target, write, mode)
    else:
        _write_unnamed(fd, target, write)
    with contextlib.suppress(OSError, AttributeError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _unnamed_file(folder: Path, mode: int) -> int | None:
    """An unnamed file in ``folder`` (Linux ``O_TMPFILE``), or None where the system has none."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not Path("/proc/self/fd").is_dir():
        return None
    try:
        return os.open(folder, flag | os.O_WRONLY, mode)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT) and folder.is_dir():
            return None  # a file system without O_TMPFILE: the named temporary file below
        raise


def _write_unnamed(fd: int, target: Path, write: Any) -> None:
    with os.fdopen(fd, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
        # give it a name only now, complete, and move that name over the target at once
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        _link_fd(fh.fileno(), tmp)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _link_fd(fd: int, path: Path) -> None:
    """Give the unnamed file ``fd`` the name ``path`` (linkat with AT_SYMLINK_FOLLOW on /proc/self/fd)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd, at_symlink_follow = -100, 0x400
    if libc.linkat(at_fdcwd, f"/proc/self/fd/{fd}".encode(), at_fdcwd, os.fsencode(path), at_symlink_follow):
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(path))


def _write_named(target: Path, write: Any, mode: int) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _columns_check(chunk: pd.DataFrame, first: list[Any] | None, index: int) -> pd.DataFrame:
    """Chunks after the first must have the same columns (any order); returns it in the first's order."""
    if first is None or list(chunk.columns) == first:
        return chunk
    if set(chunk.columns) == set(first) and len(chunk.columns) == len(first):
        return chunk[first]
    raise InputError(f"chunk {index} has columns {list(map(str, chunk.columns))}, but the first chunk had "
                     f"{list(map(str, first))}; every chunk written to one file needs the same columns")


def _unique_columns(df: pd.DataFrame, kind: str) -> None:
    dup = df.columns[df.columns.duplicated()].unique()
    if len(dup):
        names = ", ".join(map(str, dup))
        raise InputError(f"cannot write {kind}: duplicate column name(s) {names}; rename them")


# ---------------------------------------------------------------------------------------------- writers


def _write_delimited(chunks: Iterator[pd.DataFrame], fh: IO[bytes], *, bom: bool, sep: str) -> None:
    if bom:
        fh.write("\ufeff".encode())
    first: list[Any] | None = None
    for i, chunk in enumerate(chunks, 1):
        chunk = _columns_check(chunk, first, i)
        chunk = formula_safe(chunk)
        data = _delimited_bytes(chunk, sep=sep, header=first is None)
        if data is None:
            chunk.to_csv(fh, sep=sep, index=False, header=first is None, encoding="utf-8", lineterminator="\n")
        else:
            fh.write(data)
        first = list(chunk.columns) if first is None else first


FORMULA_START = "=+-@\t\r"  #: a spreadsheet runs a cell starting with one of these as a formula
_PLAIN_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def formula_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell a spreadsheet would run as a formula made inert by a leading ``'``.

    A cell starting with ``= + - @``, a tab or a carriage return gets ``'`` in front (the OWASP advice
    for CSV injection), unless it is a plain number such as ``-5`` or ``+3.5``, which stays as it is.
    Returns ``df`` itself when nothing needed it (the common case costs one scan per text column).

    Example:
        >>> formula_safe(pd.DataFrame({"c": ['=HYPERLINK("http://x","点我")', "-3", "好评"]}))["c"].tolist()
        ['\'=HYPERLINK("http://x","点我")', '-3', '好评']
    """
    changed: dict[Any, pd.Series] = {}
    for j, name in enumerate(df.columns):
        s = df.iloc[:, j]
        if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)) or not len(s):
            continue
        values = s.tolist()
        hits = [k for k, v in enumerate(values) if type(v) is str and v[:1] in FORMULA_START
                and v[:1] != "" and not _PLAIN_NUMBER_RE.fullmatch(v)]
        if hits:
            for k in hits:
                values[k] = "'" + values[k]
            changed[name] = pd.Series(values, index=s.index, dtype=s.dtype)
    if not changed:
        return df
    out = df.copy()
    for name, col in changed.items():
        out[name] = col
    return out


def _delimited_bytes(df: pd.DataFrame, *, sep: str, header: bool) -> bytes | None:
    """``df.to_csv(sep=sep, index=False, lineterminator="\\n")`` as UTF-8 bytes, or None to leave it to pandas.

    The same bytes as pandas, about three times faster on text columns: pyarrow joins the cells of every
    row in C, and the few rows with a cell that needs quotes (separator, quote, line break) are written by
    the csv module pandas itself uses, so quoting is exactly pandas'. Only for string, float64, int64 and
    bool columns; for anything else (dates, categories, mixed objects) pandas writes the chunk.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(df.columns) < 2 or len(df) == 0:
        return None  # a lone empty cell is written as "" by the csv module: leave the edge cases to pandas
    columns, texts = [], []
    for name in df.columns:
        array, is_text = _text_array(df[name], pa)
        if array is None:
            return None
        columns.append(array)
        if is_text:
            texts.append(array)
    special = f'[{re.escape(sep)}"\\n\\r]'  # what the csv module quotes (a lone \r it leaves alone: pandas too)
    dirty = None
    for array in texts:  # numbers never need quotes
        hit = pc.fill_null(pc.match_substring_regex(array, special), False)
        dirty = hit if dirty is None else pc.or_(dirty, hit)
    out = io.StringIO()
    if header:
        csv.writer(out, delimiter=sep, lineterminator="\n").writerow([str(c) for c in df.columns])
    # every row as one line, joined in C: cells with the separator between them, then a line break
    text = pa.large_string()
    join = pc.JoinOptions(null_handling="replace", null_replacement="")
    rows = pc.binary_join_element_wise(*columns, pa.scalar(sep, text), options=join)
    lines = pc.binary_join_element_wise(rows, pa.scalar("", text), pa.scalar("\n", text))
    if dirty is not None and pc.any(dirty).as_py():  # the few rows that need quotes: the csv module
        quoted: list[str] = []
        table = pa.table(columns, names=[str(k) for k in range(len(columns))]).filter(dirty)
        csv.writer(_Lines(quoted), delimiter=sep, lineterminator="\n").writerows(
            zip(*(c.to_pylist() for c in table.columns)))
        lines = pc.replace_with_mask(lines, dirty, pa.array(quoted, type=text))
    return out.getvalue().encode("utf-8") + _concatenated(lines)


def _concatenated(strings: Any) -> bytes:
    """All values of a pyarrow (large_)string array without nulls, end to end, as bytes."""
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64)[strings.offset:strings.offset + len(strings) + 1]
    data = strings.buffers()[2]
    return b"" if data is None else data.to_pybytes()[offsets[0]:offsets[-1]]


class _Lines:
    """A file-like sink for csv.writer that keeps each written row as one string."""

    def __init__(self, lines: list[str]) -> None:
        self.write = lines.append


def _text_array(s: pd.Series, pa: Any) -> tuple[Any, bool]:
    """One column as pandas' to_csv renders it, as a pyarrow string array (None if not handled), and
    whether it holds text (else numbers, which never need quotes)."""
    dtype = s.dtype
    if dtype == np.dtype("O") and pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
        return None, True  # bytes, numbers, dates ... in an object column: pandas' own str() applies
    if isinstance(dtype, pd.StringDtype) or dtype == np.dtype("O"):
        try:
            array = pa.array(s, type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None, True
        return (array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array), True
    if dtype in (np.float64, np.int64, np.bool_):
        values = s.to_numpy()
        text = values.astype(str)  # what pandas writes for these dtypes
        mask = np.isnan(values) if dtype == np.float64 else None
        return pa.array(text, type=pa.large_string(), mask=mask), False
    return None, False


def _write_csv(chunks: Iterator[pd.DataFrame], fh: IO[bytes], *, bom: bool) -> None:
    _write_delimited(chunks, fh, bom=bom, sep=",")


def _write_tsv(chunks: Iterator[pd.DataFrame], fh: IO[bytes], *, bom: bool) -> None:
    _write_delimited(chunks, fh, bom=False, sep="\t")


def _json_value(value: Any) -> Any:
    """A cell as a JSON-ready Python value; missing -> None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value if math.isfinite(value) else str(value)
    if isinstance(value, np.generic):
        return _json_value(value.item())
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return str(value)
    if isinstance(value, np.ndarray):
        return [_json_value(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


def _column_values(s: pd.Series) -> list[Any]:
    """The values of one column as plain Python objects, missing -> None (fast paths for common dtypes)."""
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
        if s.isna().any():
            return [None if m else v for v, m in zip(s.astype(object).tolist(), s.isna().tolist())]
        return s.tolist()
    if pd.api.types.is_float_dtype(s.dtype):
        return [None if v != v else v if math.isfinite(v) else str(v) for v in s.astype(float).tolist()]
    values = s.astype(object).tolist()
    missing = s.isna().tolist()
    return [None if m else v if type(v) is str else _json_value(v) for v, m in zip(values, missing)]


def _write_jsonl(chunks: Iterator[pd.DataFrame], fh: IO[bytes], *, bom: bool) -> None:
    first: list[Any] | None = None
    dumps = json.JSONEncoder(ensure_ascii=False, default=str).encode
    for i, chunk in enumerate(chunks, 1):
        chunk = _columns_check(chunk, first, i)
        if first is None:
            _unique_columns(chunk, "JSON Lines")
            first = list(chunk.columns)
        keys = [str(c) for c in chunk.columns]
        columns = [_column_values(chunk.iloc[:, j]) for j in range(chunk.shape[1])]
        lines = [dumps(dict(zip(keys, row))) for row in zip(*columns)] if columns else ["{}"] * len(chunk)
        if lines:
            fh.write(("\n".join(lines) + "\n").encode("utf-8"))


def _write_parquet(chunks: Iterator[pd.DataFrame], fh: IO[bytes], *, bom: bool) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    first: list[Any] | None = None
    try:
        for i, chunk in enumerate(chunks, 1):
            chunk = _columns_check(chunk, first, i)
            if schema is None:
                _unique_columns(chunk, "Parquet")
                first = list(chunk.columns)
                table = pa.Table.from_pandas(chunk.rename(columns=str), preserve_index=False)
                # an all-missing column of the first chunk would be typed "null"; later chunks need text
                schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f
                                    for f in table.schema], metadata=table.schema.metadata)
                table = table.cast(schema)
                writer = pq.ParquetWriter(fh, schema)
            else:
                try:
                    table = pa.Table.from_pandas(chunk.rename(columns=str), schema=schema,
                                                 preserve_index=False)
                except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
                    raise InputError(f"chunk {i} does not fit the column types of the first chunk ({exc}); "
                                     "write .csv or .jsonl, or give the columns one type") from exc
            assert writer is not None
            writer.write_table(table)
        if writer is None:  # no chunks at all: an empty file with no columns
            pq.write_table(pa.table({}), fh)
    finally:
        if writer is not None:
            writer.close()


def _excel_values(s: pd.Series, name: str, repairs: dict[str, list[str]]) -> list[Any]:
    """One column as values openpyxl can store, counting the cells that had to be repaired."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return [None if v is pd.NaT else v.isoformat() for v in s.tolist()]  # Excel has no time zones
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return [None if v is pd.NaT else v.to_pydatetime() for v in s.tolist()]
    values = _column_values(s)
    out: list[Any] = []
    for row, value in enumerate(values, 1):
        if isinstance(value, (list, dict)):
            value = json.dumps(value, ensure_ascii=False)
        if isinstance(value, str):
            if ILLEGAL_CHARACTERS_RE.search(value):
                repairs["control"].append(f"row {row} column '{name}'")
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if len(value) > EXCEL_MAX_CHARS:
                repairs["long"].append(f"row {row} column '{name}'")
                value = value[:EXCEL_MAX_CHARS]
        out.append(value)
    return out


def _write_xlsx(chunks: Iterator[pd.DataFrame], fh: IO[bytes], *, bom: bool) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    frames = list(chunks)
    first: list[Any] | None = None
    for i, chunk in enumerate(frames, 1):
        frames[i - 1] = _columns_check(chunk, first, i)
        first = list(chunk.columns) if first is None else first
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0] if frames else pd.DataFrame()
    if len(df) + 1 > EXCEL_MAX_ROWS or df.shape[1] > EXCEL_MAX_COLUMNS:
        raise InputError(f"{len(df):,} rows x {df.shape[1]:,} columns do not fit in one Excel sheet "
                         f"(at most {EXCEL_MAX_ROWS - 1:,} rows and {EXCEL_MAX_COLUMNS:,} columns); "
                         "write .csv or .parquet instead")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("data")
    ws.freeze_panes = "A2"
    repairs: dict[str, list[str]] = {"control": [], "long": []}
    names = [str(c) for c in df.columns]
    bold = Font(bold=True)

    def text_cell(value: str, **style: Any) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # text starting with "=" stays text, never a formula
        for key, val in style.items():
            setattr(cell, key, val)
        return cell

    header = _excel_values(pd.Series(names, dtype=object), "(header)", repairs)
    ws.append([text_cell(h, font=bold) for h in header])
    columns = []
    for j, name in enumerate(names):
        values = _excel_values(df.iloc[:, j], name, repairs)
        columns.append([text_cell(v) if type(v) is str and v.startswith("=") else v for v in values])
    for row in zip(*columns):
        ws.append(row)
    if not columns:
        for _ in range(len(df)):
            ws.append([])
    wb.save(fh)
    _warn_repairs(repairs)


def _warn_repairs(repairs: dict[str, list[str]]) -> None:
    parts = []
    if repairs["control"]:
        cells = repairs["control"]
        parts.append(f"removed control characters Excel cannot store from {len(cells):,} cell(s) "
                     f"(e.g. {', '.join(cells[:3])})")
    if repairs["long"]:
        cells = repairs["long"]
        parts.append(f"cut {len(cells):,} cell(s) longer than Excel's {EXCEL_MAX_CHARS:,} characters "
                     f"(e.g. {', '.join(cells[:3])}); write .csv or .parquet to keep the full text")
    if parts:
        warnings.warn(DataQualityWarning("xlsx output: " + "; ".join(parts)), stacklevel=2)


_WRITERS = {
    "csv": _write_csv,
    "tsv": _write_tsv,
    "jsonl": _write_jsonl,
    "parquet": _write_parquet,
    "xlsx": _write_xlsx,
}
