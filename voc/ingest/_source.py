"""Where the bytes come from (path, stdin, file object), which format they are in, and what a reader returns.

Shared by every reader: :class:`Source`, :func:`resolve_source`, the :class:`Raw` hand-over and the
"everything is text" helpers.
"""
from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from voc.errors import InputError

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


def supported_input_formats() -> tuple[str, ...]:
    """File extensions :func:`voc.ingest.read_responses` understands, for help texts.

    Example:
        >>> ".csv" in supported_input_formats()
        True
    """
    return tuple(INPUT_FORMATS)


@dataclass(frozen=True)
class Source:
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

    @property
    def size(self) -> int:
        return self.path.stat().st_size if self.path is not None else len(self.data or b"")


@dataclass
class Raw:
    """What a format reader hands to the common layer.

    ``header`` holds the first records of the file (up to 3, for export detection) when ``keyed`` is
    False, else just the column names (JSON keys, Parquet fields). ``frames(skip, names, chunksize)``
    yields the data as frames of strings/missing with exactly ``names`` as columns, skipping ``skip``
    header records. ``numbered`` readers give each frame the 0-based data row number of its rows as
    the index (rows left out leave gaps), others count rows as they come; ``dropped`` counts the rows
    left out (CSV bad lines).
    """

    header: list[list[str]]
    width: int
    keyed: bool
    encoding: str | None
    frames: Callable[[int, list[str], int], Iterator[pd.DataFrame]]
    numbered: bool = False
    dropped: int = 0


def format_name(fmt: str) -> str | None:
    """The reader name for an extension or reader name given as ``format=``; None when unknown."""
    key = fmt.strip().lower()
    key = key if key.startswith(".") else "." + key
    if key in INPUT_FORMATS:
        return INPUT_FORMATS[key]
    return key[1:] if key[1:] in INPUT_FORMATS.values() else None


def _unsupported(what: str) -> InputError:
    return InputError(f"cannot read {what}: supported input formats are "
                      f"{', '.join(supported_input_formats())} (or - for stdin). Convert the file, or pass "
                      "format='csv' (or another of these)")


def empty_error(name: str) -> InputError:
    return InputError(f"{name} is empty: it has no header row. Export the survey again, with a header row")


def resolve_source(source: str | os.PathLike[str] | IO[bytes], fmt: str | None) -> Source:
    """Check the path (or read the stream) and decide the format: ``format=``, else extension, else sniff."""
    forced = None
    if fmt is not None:
        forced = format_name(fmt)
        if forced is None:
            raise _unsupported(f"format {fmt!r}")
    if isinstance(source, (str, os.PathLike)):
        if str(source) == "-":
            data = sys.stdin.buffer.read()
            if not data:
                raise empty_error("<stdin>")
            return Source("<stdin>", forced or sniff_format(data), data=data)
        path = Path(source)
        if not path.exists():
            raise InputError(f"input file {path} not found; check the path (current directory: {Path.cwd()})")
        if path.is_dir():
            raise InputError(f"{path} is a directory; pass a file such as {path / 'survey.csv'}")
        kind = forced or INPUT_FORMATS.get(path.suffix.lower())
        if kind is None:
            raise _unsupported(f"{path} (extension {path.suffix or 'none'!r})")
        if path.stat().st_size == 0:
            raise empty_error(str(path))
        return Source(str(path), kind, path=path)
    if not hasattr(source, "read"):
        raise InputError(f"source must be a path, '-' or a binary file object, not {type(source).__name__}")
    data = source.read()
    name = str(getattr(source, "name", "") or "<stream>")
    if isinstance(data, str):
        raise InputError(f"{name} was opened in text mode; open it in binary mode ('rb') so voc can detect "
                         "the encoding")
    if not data:
        raise empty_error(name)
    kind = forced or INPUT_FORMATS.get(Path(name).suffix.lower()) or sniff_format(data)
    return Source(name, kind, data=bytes(data))


def sniff_format(data: bytes) -> str:
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


def text_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every column of ``df`` as text (see :func:`as_text`), same columns and index."""
    return pd.DataFrame({i: as_text(df.iloc[:, i]) for i in range(df.shape[1])}, index=df.index).set_axis(
        df.columns, axis=1)


def as_text(s: pd.Series) -> pd.Series:
    """Values as strings, missing values kept missing (works for pandas 2 object and pandas 3 str dtypes)."""
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return s
    return s.astype(str).where(s.notna())
