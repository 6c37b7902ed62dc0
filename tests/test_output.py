"""voc.output: formats, chunked and atomic writing, Excel repairs, stdout."""
from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from voc.errors import DataQualityWarning, InputError
from voc.ingest import read_responses
from voc.output import EXCEL_MAX_CHARS, supported_output_formats, write_frame

FRAME = pd.DataFrame({
    "response_id": ["1", "2", "3", "4"],
    "comment": ["送货太慢了，等了三天", "客服態度很好", None, "呢間舖頭啲嘢好抵食"],
    "themes": ["logistics", "service", "", "price;product"],
})
FORMATS = [".csv", ".tsv", ".xlsx", ".jsonl", ".parquet"]


def chunks_of(df: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(df), size):
        yield df.iloc[start:start + size]


def failing_chunks(df: pd.DataFrame) -> Iterator[pd.DataFrame]:
    yield df.iloc[:2]
    raise RuntimeError("tagging failed on chunk 2")


def read_back(path: Path) -> pd.DataFrame:
    df = read_responses(path, id="response_id")
    return df.drop(columns=[c for c in df.columns if c not in FRAME.columns])


def as_lists(df: pd.DataFrame) -> list[list[object]]:
    return [[None if pd.isna(v) or v == "" else v for v in row] for row in df.itertuples(index=False)]


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("chunked", [False, True])
def test_round_trip(tmp_path: Path, suffix: str, chunked: bool) -> None:
    target = tmp_path / f"out{suffix}"
    data = chunks_of(FRAME, 3) if chunked else FRAME
    assert write_frame(data, target) == target
    back = read_back(target)
    assert list(back.columns) == list(FRAME.columns)
    assert as_lists(back) == as_lists(FRAME)


def test_csv_has_a_bom_for_excel_and_one_header(tmp_path: Path) -> None:
    target = write_frame(chunks_of(FRAME, 1), tmp_path / "out.csv")
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfresponse_id,comment,themes\n")
    assert raw.count(b"\xef\xbb\xbf") == 1 and raw.count(b"response_id") == 1
    assert "送货太慢了，等了三天".encode() in raw


def test_tsv_is_plain_utf8(tmp_path: Path) -> None:
    raw = write_frame(FRAME, tmp_path / "out.tsv").read_bytes()
    assert raw.startswith(b"response_id\tcomment\tthemes\n")


TRICKY = pd.DataFrame({
    "comment": ["快递很快,包装也好", '他说"还行"吧', "第一行\n第二行", "回车\r在中间", "", None, "  前后有空格 ",
                "制表\t符", "送貨好慢，等咗三日"],
    "score": [0.9899, -0.0, 1e-05, 1.0, np.nan, -0.5, 2.5e-07, 123456789012345678.0, 0.1234],
    "n": np.arange(9) - 4,
    "flag": [True, False] * 4 + [True],
    "note": pd.Series(["好评", None, np.nan, "差评", "", "一般", '"', ",", "ok"], dtype=object),
})


@pytest.mark.parametrize("suffix,sep", [(".csv", ","), (".tsv", "\t")])
@pytest.mark.parametrize("frame", [TRICKY, TRICKY.assign(when=pd.to_datetime("2024-05-01")),
                                   TRICKY.assign(raw=[b"x"] * 9), TRICKY.assign(mixed=[1, "a"] * 4 + [None])],
                         ids=["text-and-numbers", "dates", "bytes", "mixed-objects"])
def test_delimited_output_is_byte_for_byte_what_pandas_writes(tmp_path: Path, frame: pd.DataFrame, suffix: str,
                                                               sep: str) -> None:
    # voc joins rows in pyarrow and quotes the odd ones with the csv module: the bytes must not change
    expected = io.BytesIO()
    for k, part in enumerate(chunks_of(frame, 4)):
        part.to_csv(expected, sep=sep, index=False, header=k == 0, encoding="utf-8", lineterminator="\n")
    raw = write_frame(chunks_of(frame, 4), tmp_path / f"out{suffix}").read_bytes()
    assert raw.removeprefix("\ufeff".encode()) == expected.getvalue()
    assert read_responses(tmp_path / f"out{suffix}")["comment"].tolist()[:3] == frame["comment"].tolist()[:3]


def test_jsonl_keeps_chinese_and_writes_null(tmp_path: Path) -> None:
    df = FRAME.assign(score=[9, 3, np.nan, 10], when=pd.to_datetime(["2026-05-01"] * 4))
    lines = write_frame(df, tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    assert '"comment": "送货太慢了，等了三天"' in lines[0]  # not \\u escapes
    third = json.loads(lines[2])
    assert third["comment"] is None and third["score"] is None
    assert json.loads(lines[0])["when"] == "2026-05-01T00:00:00"


def test_parquet_chunks_with_an_all_missing_first_chunk(tmp_path: Path) -> None:
    df = pd.DataFrame({"comment": [None, None, "价格有点贵", "客服態度很好"]}, dtype=object)
    target = write_frame(chunks_of(df, 2), tmp_path / "out.parquet")
    assert pq.read_table(target).column("comment").to_pylist() == [None, None, "价格有点贵", "客服態度很好"]


def test_xlsx_repairs_cells_and_warns_once(tmp_path: Path) -> None:
    df = pd.DataFrame({"comment": ["=)", "包装\x07破了", "好" * (EXCEL_MAX_CHARS + 10), "+1 同意"],
                       "n": [1, 2, 3, 4]})
    with pytest.warns(DataQualityWarning) as record:
        target = write_frame(df, tmp_path / "out.xlsx")
    assert len(record) == 1
    message = str(record[0].message)
    assert "1 cell(s)" in message
    assert "row 2 column 'comment'" in message and "row 3 column 'comment'" in message
    ws = openpyxl.load_workbook(target).active
    assert [c.value for c in ws["A"]][1:] == ["=)", "包装破了", "好" * EXCEL_MAX_CHARS, "+1 同意"]
    assert ws["A2"].data_type == "s"  # a text starting with "=" is not a formula
    assert [c.value for c in ws["B"]][1:] == [1, 2, 3, 4]


@pytest.mark.parametrize("suffix", FORMATS)
def test_failure_midway_leaves_the_existing_file_intact(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"result{suffix}"
    target.write_bytes(b"previous results")
    with pytest.raises(RuntimeError, match="chunk 2"):
        write_frame(failing_chunks(FRAME), target)
    assert target.read_bytes() == b"previous results"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temporary file left behind


def test_failure_midway_creates_no_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        write_frame(failing_chunks(FRAME), tmp_path / "new.csv")
    assert list(tmp_path.iterdir()) == []


def test_unknown_extension_is_refused_before_any_work(tmp_path: Path) -> None:
    consumed = []

    def chunks() -> Iterator[pd.DataFrame]:
        consumed.append(True)
        yield FRAME

    with pytest.raises(InputError, match=r"unknown extension '\.docx'; supported output formats are "
                                         r"\.csv, \.tsv, \.xlsx, \.jsonl, \.parquet"):
        write_frame(chunks(), tmp_path / "out.docx")
    assert consumed == [] and list(tmp_path.iterdir()) == []
    with pytest.raises(InputError, match="cannot write format 'xml'"):
        write_frame(FRAME, tmp_path / "out.csv", format="xml")


def test_missing_folder_and_directory_target(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        write_frame(FRAME, tmp_path / "no" / "such" / "out.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        write_frame(FRAME, tmp_path / "folder.csv")


def test_chunks_must_share_columns(tmp_path: Path) -> None:
    reordered = [FRAME.iloc[:2], FRAME.iloc[2:][["themes", "comment", "response_id"]]]
    back = pd.read_csv(write_frame(reordered, tmp_path / "ok.csv"), dtype=str)
    assert list(back.columns) == list(FRAME.columns) and back["themes"].iloc[3] == "price;product"
    with pytest.raises(InputError, match="chunk 2 has columns"):
        write_frame([FRAME.iloc[:2], FRAME.iloc[2:].drop(columns="themes")], tmp_path / "bad.csv")
    assert not (tmp_path / "bad.csv").exists()


def test_new_file_gets_normal_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    target = write_frame(FRAME, tmp_path / "perm.csv")
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("fmt, start", [(None, b"response_id,comment,themes\n"),
                                        ("jsonl", b'{"response_id": "1"')])
def test_stdout(capsysbinary: pytest.CaptureFixture[bytes], fmt: str | None, start: bytes) -> None:
    assert write_frame(FRAME, "-", format=fmt) is None
    out = capsysbinary.readouterr().out
    assert out.startswith(start)  # no byte-order mark on stdout
    assert "呢間舖頭啲嘢好抵食".encode() in out


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_binary_formats_to_stdout(capsysbinary: pytest.CaptureFixture[bytes], fmt: str) -> None:
    write_frame(FRAME, "-", format=fmt)
    back = read_responses(io.BytesIO(capsysbinary.readouterr().out), id="response_id")
    assert as_lists(back[list(FRAME.columns)]) == as_lists(FRAME)


def test_empty_input(tmp_path: Path) -> None:
    target = write_frame(iter([]), tmp_path / "empty.jsonl")
    assert target.read_bytes() == b""
    target = write_frame(FRAME.iloc[:0], tmp_path / "empty.csv")
    assert target.read_bytes() == b"\xef\xbb\xbfresponse_id,comment,themes\n"


def test_supported_output_formats() -> None:
    assert supported_output_formats() == tuple(FORMATS)


@pytest.mark.parametrize("cell, written", [
    ('=HYPERLINK("http://example.com","点我领券")', '\'=HYPERLINK("http://example.com","点我领券")'),
    ("@客服 发货太慢", "'@客服 发货太慢"),
    ("+1 同意楼上", "'+1 同意楼上"),
    ("-送货员态度差", "'-送货员态度差"),
    ("\t=1+1", "'\t=1+1"),
    ("-3", "-3"),
    ("+3.5", "+3.5"),
    ("物流很快", "物流很快"),
])
def test_csv_cells_never_run_as_formulas(tmp_path, cell: str, written: str) -> None:
    import csv

    from voc.output import write_frame

    df = pd.DataFrame({"response_id": ["7"], "comment": [cell], "nps": [3]})
    for ext, sep in ((".csv", ","), (".tsv", "\t")):
        path = write_frame(df, tmp_path / f"out{ext}")
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=sep))
        assert rows[1] == ["7", written, "3"]
    assert df["comment"].iloc[0] == cell  # the caller's frame is not changed


def test_killed_writer_leaves_no_file_and_no_temporary_file(tmp_path) -> None:
    """SIGKILL half-way through a write: nothing at the target, no hidden temporary file beside it."""
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from voc.output import atomic_write\n"
        "def slow(fh):\n"
        "    fh.write(b'x' * 1_000_000); fh.flush(); print('writing', flush=True); time.sleep(60)\n"
        "atomic_write(Path(sys.argv[1]), slow)\n"
    )
    target = tmp_path / "tagged.csv"
    proc = subprocess.Popen([sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert list(tmp_path.iterdir()) == []
