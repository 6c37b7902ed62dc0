"""JSON Lines, JSON (a list of records) and Parquet readers: columns are the keys / fields, in order."""
from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from voc.errors import InputError
from voc.ingest._encoding import choose_encoding
from voc.ingest._source import Raw, Source, as_text, text_frame

_KEEP_JSONL_BYTES = 64 << 20  #: JSON Lines up to this size are parsed once; larger files twice (streamed)


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
    for key, name in zip(keys, names, strict=True):
        data[name] = as_text(pd.Series([v if type(v) is str and v else _cell_text(v)
                                         for v in (r.get(key) for r in records)], dtype=object))
    return pd.DataFrame(data, columns=names)


def _json_error(name: str, line: int, exc: json.JSONDecodeError, *, lines: bool) -> InputError:
    where = f"line {line}" if lines else f"line {exc.lineno}"
    fix = "each line must hold one JSON object" if lines else "the file must hold one JSON array of objects"
    return InputError(f"{name} {where}: not valid JSON ({exc.msg}, column {exc.colno}); {fix}")


def read_jsonl(src: Source, encoding: str | None, sheet: str | int | None) -> Raw:
    """JSON Lines: one object per line (blank lines skipped); every line is checked before any output."""
    enc, _ = choose_encoding(src, encoding)

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
    kept: list[dict[str, Any]] | None = [] if src.size <= _KEEP_JSONL_BYTES else None
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

    return Raw([[str(k) for k in keys]], len(keys), True, enc, frames)


def read_json(src: Source, encoding: str | None, sheet: str | int | None) -> Raw:
    """A JSON array of objects, read whole."""
    enc, _ = choose_encoding(src, encoding)
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

    return Raw([[str(k) for k in keys]], len(keys), True, enc, frames)


def read_parquet(src: Source, encoding: str | None, sheet: str | int | None) -> Raw:
    """Parquet, streamed by record batches; every value as text."""
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
            yield text_frame(df)

    return Raw([fields], len(fields), True, None, frames)



def count_records(src: Source) -> int | None:
    """Rows of a JSON Lines file (non-blank lines) or a Parquet file (from its footer); None otherwise."""
    if src.fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(src.handle).metadata.num_rows)
        except (pa.ArrowException, OSError):
            return None
    if src.fmt == "jsonl":
        count = 0
        with src.open() as fh:
            for line in fh:
                count += bool(line.strip())
        return count
    return None
