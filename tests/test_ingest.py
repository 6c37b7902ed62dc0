"""voc.ingest: formats, encodings, survey-tool exports, column choice and response ids.

Every input file is written by the tests themselves (in tmp_path), with example answers we wrote.
"""
from __future__ import annotations

import csv
import io
import json
import struct
import sys
import time
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from voc import schema
from voc.errors import DataQualityWarning, InputError
from voc.ingest import iter_responses, read_responses, supported_input_formats

SIMPLIFIED = ["送货太慢了，等了三天", "包装很好，下次还会买", "价格有点贵", "客服回复很及时，点赞"]
TAIWAN = ["客服態度很好", "運送速度太慢了，等了一個禮拜", "價格合理，會再回購", "店員很親切，環境乾淨"]
HONG_KONG = ["呢間舖頭啲嘢好抵食", "啲客服成日唔覆訊息", "冇問題，會再嚟買"]
OUTSIDE_GBK = ["𠮷野家的牛肉饭不错👍", "这个价钱真的很𠀾", "快递员小䶮服务很好"]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",",
              newline: str = "\n") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]], *, sheet: str = "Sheet1",
               extra_sheet: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    if extra_sheet:
        wb.create_sheet(extra_sheet).append(["别的表"])
    wb.save(path)
    return path


def write_biff2_xls(path: Path, rows: list[list[object]]) -> Path:
    """A minimal Excel 2.x worksheet (.xls) with a GBK codepage; xlrd reads it, nothing here can write BIFF8.

    Records: BOF, CODEPAGE 936, one LABEL (text) or NUMBER record per cell, EOF.
    """
    out = bytearray()

    def record(kind: int, data: bytes) -> None:
        out.extend(struct.pack("<HH", kind, len(data)) + data)

    record(0x0009, struct.pack("<HH", 0x0007, 0x0010))
    record(0x0042, struct.pack("<H", 936))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, (int, float)):
                record(0x0003, struct.pack("<HH3sd", r, c, b"\0\0\0", float(value)))
            else:
                text = str(value).encode("gbk")
                record(0x0004, struct.pack("<HH3sB", r, c, b"\0\0\0", len(text)) + text)
    record(0x000A, b"")
    path.write_bytes(bytes(out))
    return path


def comments(texts: list[str]) -> list[list[str]]:
    return [["id", "comment"], *([f"R{i}", t] for i, t in enumerate(texts, 1))]


# ------------------------------------------------------------------------------------------ encodings


@pytest.mark.parametrize("encoding, texts, detected", [
    ("utf-8", SIMPLIFIED + TAIWAN + HONG_KONG, "utf-8"),
    ("utf-8-sig", SIMPLIFIED + TAIWAN + HONG_KONG, "utf-8-sig"),
    ("utf-16", SIMPLIFIED + TAIWAN, "utf-16"),
    ("gb18030", SIMPLIFIED, "gb18030"),
    ("gb18030", OUTSIDE_GBK, "gb18030"),
    ("gbk", SIMPLIFIED, "gb18030"),
    ("big5", TAIWAN, "big5"),
    ("big5hkscs", HONG_KONG, "big5hkscs"),
    ("gb18030", ["物流"], "gb18030"),  # one short answer: hard to tell from Big5
    ("big5", ["物流"], "big5"),
    ("gb18030", ["好"], "gb18030"),
    ("big5", ["讚"], "big5"),
    ("big5", ["疑"], "gb18030"),  # known limit: these two Big5 bytes are also 好 in GB18030; a tie goes to GB
])
def test_encodings_round_trip_exactly(tmp_path: Path, encoding: str, texts: list[str], detected: str) -> None:
    path = write_csv(tmp_path / "answers.csv", comments(texts), encoding=encoding)
    df = read_responses(path, text="comment", id="id")
    assert df.attrs["voc_encoding"] == detected
    if detected == "gb18030" and encoding == "big5":
        return
    assert df["comment"].tolist() == texts
    assert list(df.columns) == ["id", "comment", schema.RESPONSE_ID]


def test_gb18030_test_text_really_needs_four_byte_sequences() -> None:
    with pytest.raises(UnicodeEncodeError):
        "".join(OUTSIDE_GBK).encode("gbk")


@pytest.mark.parametrize("encoding, texts", [
    ("big5", TAIWAN),
    ("gb18030", SIMPLIFIED),
    ("utf-8", HONG_KONG),
])
def test_encoding_option_overrides_detection(tmp_path: Path, encoding: str, texts: list[str]) -> None:
    path = write_csv(tmp_path / "forced.csv", comments(texts), encoding=encoding)
    df = read_responses(path, text="comment", encoding=encoding)
    assert df["comment"].tolist() == texts


def test_wrong_forced_encoding_names_file_offset_and_fix(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", comments(SIMPLIFIED), encoding="gb18030")
    with pytest.raises(InputError, match=r"gbk\.csv.*byte offset \d+ \(line 2\).*encoding="):
        read_responses(path, encoding="utf-8")


def test_unknown_encoding_name_is_an_input_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", comments(SIMPLIFIED))
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        read_responses(path, encoding="klingon")


def test_undecodable_file_names_file_offset_and_line(tmp_path: Path) -> None:
    good = "id,comment\nR1,送货太慢了\n".encode()
    path = tmp_path / "broken.csv"
    path.write_bytes(good + b"R2,\xff\xfe\xff\n")
    offset = len(good) + 3
    with pytest.raises(InputError, match=rf"broken\.csv: cannot decode byte 0xFF at byte offset {offset} "
                                         r"\(line 3\).*encoding="):
        read_responses(path)


def test_file_cut_in_the_middle_of_a_character(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    whole = "id,comment\nR1,客服態度很".encode()
    path.write_bytes(whole + "好".encode()[:1])
    with pytest.raises(InputError, match=r"cut\.csv: the file ends in the middle of a character at byte "
                                         rf"offset {len(whole)} \(line 2\) when read as utf-8; it looks cut"):
        read_responses(path)


def test_utf8_file_with_a_bad_byte_far_down_is_an_error_not_gb18030(tmp_path: Path) -> None:
    lines = ["id,comment"] + [f"R{i},{SIMPLIFIED[i % 4]}" for i in range(60_000)]
    body = ("\n".join(lines) + "\n").encode()
    assert len(body) > 1 << 20  # past the detection sample
    path = tmp_path / "late.csv"
    path.write_bytes(body + b"R9,\xe9\x80\n")
    with pytest.raises(InputError, match=r"late\.csv.*line 60,002\).*as utf-8"):
        read_responses(path)


def test_non_ascii_text_after_a_long_ascii_start_is_detected(tmp_path: Path) -> None:
    rows = [["id", "comment"]] + [[f"R{i}", "ok"] for i in range(200_000)] + [["R-last", TAIWAN[1]]]
    path = write_csv(tmp_path / "late_big5.csv", rows, encoding="big5")
    assert path.stat().st_size > 1 << 20
    df = read_responses(path, text="comment")
    assert df.attrs["voc_encoding"] == "big5"
    assert df["comment"].iloc[-1] == TAIWAN[1]
    assert len(df) == 200_001


# ------------------------------------------------------------------------------------------- formats


ROWS = [["id", "score", "comment"], ["R1", "9", SIMPLIFIED[0]], ["R2", "3", TAIWAN[0]], ["R3", "10", ""],
        ["R4", "7", HONG_KONG[0]]]
EXPECTED_COMMENTS = [SIMPLIFIED[0], TAIWAN[0], None, HONG_KONG[0]]


def _numeric(rows: list[list[str]]) -> list[list[object]]:
    return [rows[0]] + [[r[0], int(r[1]), r[2] or None] for r in rows[1:]]


def make_csv(p: Path) -> Path:
    return write_csv(p.with_suffix(".csv"), ROWS)


def make_semicolon_csv(p: Path) -> Path:
    return write_csv(p.with_suffix(".csv"), ROWS, delimiter=";", newline="\r\n")


def make_tab_in_csv(p: Path) -> Path:
    return write_csv(p.with_suffix(".csv"), ROWS, delimiter="\t")


def make_tsv(p: Path) -> Path:
    return write_csv(p.with_suffix(".tsv"), ROWS, delimiter="\t", encoding="gb18030")


def make_xlsx(p: Path) -> Path:
    return write_xlsx(p.with_suffix(".xlsx"), _numeric(ROWS))


def make_xls(p: Path) -> Path:
    rows = [[c.replace(TAIWAN[0], "客服态度很好").replace(HONG_KONG[0], "这家店很实惠") for c in r] for r in ROWS]
    return write_biff2_xls(p.with_suffix(".xls"), _numeric(rows))


def make_jsonl(p: Path) -> Path:
    lines = [json.dumps({"id": r[0], "score": int(r[1]), "comment": r[2] or None}, ensure_ascii=False)
             for r in ROWS[1:]]
    p = p.with_suffix(".jsonl")
    p.write_text("\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:]) + "\n", encoding="utf-8")
    return p


def make_json(p: Path) -> Path:
    p = p.with_suffix(".json")
    p.write_text(json.dumps([dict(zip(ROWS[0], r)) for r in ROWS[1:]], ensure_ascii=False), encoding="utf-8")
    return p


def make_parquet(p: Path) -> Path:
    p = p.with_suffix(".parquet")
    table = pa.table({"id": [r[0] for r in ROWS[1:]], "score": [int(r[1]) for r in ROWS[1:]],
                      "comment": [r[2] or None for r in ROWS[1:]]})
    pq.write_table(table, p, row_group_size=2)
    return p


@pytest.mark.parametrize("make, fmt", [
    (make_csv, "csv"), (make_semicolon_csv, "csv"), (make_tab_in_csv, "csv"), (make_tsv, "tsv"),
    (make_xlsx, "xlsx"), (make_xls, "xls"), (make_jsonl, "jsonl"), (make_json, "json"),
    (make_parquet, "parquet"),
])
def test_every_format_gives_the_same_strings(tmp_path: Path, make, fmt: str) -> None:
    df = read_responses(make(tmp_path / "survey"), text="comment", id="id")
    assert list(df.columns) == ["id", "score", "comment", schema.RESPONSE_ID]
    assert df["score"].tolist() == ["9", "3", "10", "7"]  # numbers as written, never "9.0"
    got = [None if pd.isna(v) else v for v in df["comment"]]
    expected = EXPECTED_COMMENTS if fmt != "xls" else [SIMPLIFIED[0], "客服态度很好", None, "这家店很实惠"]
    assert got == expected
    assert df[schema.RESPONSE_ID].tolist() == ["R1", "R2", "R3", "R4"]
    assert df.attrs["voc_format"] == fmt
    assert all(pd.api.types.is_string_dtype(t) for t in df.dtypes)


def test_txt_is_one_response_per_line_and_keeps_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "answers.txt"
    path.write_bytes(("\r\n".join([TAIWAN[1], "", TAIWAN[0], HONG_KONG[0]]) + "\r\n").encode("big5hkscs"))
    df = read_responses(path, text="text")
    assert list(df.columns) == ["text", schema.RESPONSE_ID]
    assert df.attrs["voc_encoding"] == "big5hkscs"
    assert df["text"].tolist()[0] == TAIWAN[1]
    assert pd.isna(df["text"].iloc[1])
    assert df["text"].tolist()[2:] == [TAIWAN[0], HONG_KONG[0]]
    assert df[schema.RESPONSE_ID].tolist() == ["1", "2", "3", "4"]


def test_format_option_overrides_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    path.write_text("comment\n" + SIMPLIFIED[1] + "\n", encoding="utf-8")
    assert read_responses(path, format="csv")["comment"].tolist() == [SIMPLIFIED[1]]


def test_every_data_row_comes_out(tmp_path: Path) -> None:
    text = ('id,comment,score\n'
            'R1,"第一行\n还有第二行",9\n'
            '\n'
            'R3,只有两列,\n'
            'R4,"带""引号""的回答",8\n'
            ',,\n'
            'R6,最后一行,7\n')
    path = tmp_path / "messy.csv"
    path.write_text(text, encoding="utf-8")
    df = read_responses(path)
    assert len(df) == 6
    assert df["comment"].iloc[0] == "第一行\n还有第二行"
    assert df.iloc[1, :3].isna().all()
    assert pd.isna(df["score"].iloc[2])
    assert df["comment"].iloc[3] == '带"引号"的回答'
    assert df[schema.RESPONSE_ID].tolist() == ["1", "2", "3", "4", "5", "6"]


def test_trailing_delimiters_keep_the_data(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text(f"id,comment\nR1,{SIMPLIFIED[0]},\nR2,{TAIWAN[0]},\n", encoding="utf-8")
    df = read_responses(path, id="id", text="comment")
    assert df["comment"].tolist() == [SIMPLIFIED[0], TAIWAN[0]]
    assert df["Unnamed: 2"].isna().all()


def test_row_with_too_many_fields_names_the_line(tmp_path: Path) -> None:
    rows = [["id", "comment"]] + [[f"R{i}", "好"] for i in range(300)] + [["R-bad", "a", "b", "c"]]
    path = write_csv(tmp_path / "wide.csv", rows)
    with pytest.raises(InputError, match=r"wide\.csv line 302 has 4 fields, the header has 2"):
        read_responses(path)


def test_header_names_are_stripped_of_spaces_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff id , 评论 \nR1,送货太慢了\n".encode())
    df = read_responses(path, text="评论", id="id", encoding="utf-8")  # forced: the BOM stays in the text
    assert list(df.columns) == ["id", "评论", schema.RESPONSE_ID]


def test_blank_and_repeated_header_names_follow_pandas(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dup.csv", [["评论", "", "评论"], ["a", "b", "c"]])
    assert list(read_responses(path).columns) == ["评论", "Unnamed: 1", "评论.1", schema.RESPONSE_ID]


@pytest.mark.parametrize("body, fmt, expected_format", [
    (f"id,comment\nR1,{SIMPLIFIED[0]}\n".encode("gb18030"), None, "csv"),
    (json.dumps({"id": "R1", "comment": SIMPLIFIED[0]}, ensure_ascii=False).encode() + b"\n", None, "jsonl"),
    (f"id\tcomment\nR1\t{TAIWAN[0]}\n".encode("big5"), "tsv", "tsv"),
])
def test_stdin(monkeypatch: pytest.MonkeyPatch, body: bytes, fmt: str | None, expected_format: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(body)))
    df = read_responses("-", text="comment", id="id", format=fmt)
    assert df["comment"].tolist() in ([SIMPLIFIED[0]], [TAIWAN[0]])
    assert df.attrs["voc_format"] == expected_format
    assert df.attrs["voc_source"] == "<stdin>"


def test_binary_file_object(tmp_path: Path) -> None:
    data = write_xlsx(tmp_path / "x.xlsx", _numeric(ROWS)).read_bytes()
    df = read_responses(io.BytesIO(data), text="comment")
    assert df["comment"].iloc[0] == SIMPLIFIED[0]
    with pytest.raises(InputError, match="binary mode"):
        read_responses(io.StringIO("comment\n好\n"))


# ---------------------------------------------------------------------------------------- surveys


def qualtrics_rows(*, import_row: bool) -> list[list[str]]:
    ids = ["StartDate", "ResponseId", "Q1", "Q2_TEXT", "Q3"]
    texts = ["Start Date", "Response ID", "您向朋友推荐我们的可能性有多大？", "请写下\n您的意见或建议", "您所在的城市"]
    if not import_row:
        ids[1], texts[1] = "ResponseID", "ResponseID"
    imports = ['{"ImportId":"startDate","timeZone":"Asia/Shanghai"}', '{"ImportId":"_recordId"}',
               '{"ImportId":"QID1"}', '{"ImportId":"QID2_TEXT"}', '{"ImportId":"QID3"}']
    data = [["2026-05-01 10:00:00", "R_a1", "9", SIMPLIFIED[0], "上海"],
            ["2026-05-01 11:00:00", "R_b2", "4", TAIWAN[1], "台北"],
            ["2026-05-02 09:30:00", "R_c3", "8", "", "香港"]]
    return [ids, texts, *([imports] if import_row else []), *data]


@pytest.mark.parametrize("import_row, export, id_col, text", [
    (True, "qualtrics", "ResponseId", "Q2_TEXT"),
    (True, "qualtrics", "ResponseId", "请写下\n您的意见或建议"),
    (True, "qualtrics", "ResponseId", "QID2_TEXT"),
    (False, "qualtrics-legacy", "ResponseID", "Q2_TEXT"),
    (False, "qualtrics-legacy", "ResponseID", "请写下\n您的意见或建议"),
])
def test_qualtrics(tmp_path: Path, import_row: bool, export: str, id_col: str, text: str) -> None:
    path = write_csv(tmp_path / "qualtrics.csv", qualtrics_rows(import_row=import_row), encoding="utf-8-sig",
                     newline="\r\n")
    df = read_responses(path, text=text, id="Response ID" if import_row else id_col)
    assert df.attrs["voc_export"] == export
    assert df.attrs["voc_text"] == "Q2_TEXT"
    assert df.attrs["voc_id"] == id_col
    assert list(df.columns) == ["StartDate", id_col, "Q1", "Q2_TEXT", "Q3", schema.RESPONSE_ID]
    assert len(df) == 3  # the question-text and ImportId rows are not answers
    assert df["Q2_TEXT"].tolist()[:2] == [SIMPLIFIED[0], TAIWAN[1]]
    assert df[schema.RESPONSE_ID].tolist() == ["R_a1", "R_b2", "R_c3"]


def test_qualtrics_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "qualtrics.xlsx", qualtrics_rows(import_row=True))
    df = read_responses(path, text="请写下\n您的意见或建议", columns=["您所在的城市"])
    assert df.attrs["voc_export"] == "qualtrics"
    assert df.attrs["voc_columns"]["您所在的城市"] == "Q3"
    assert df["Q3"].tolist() == ["上海", "台北", "香港"]


def surveymonkey_rows() -> list[list[str]]:
    top = ["Respondent ID", "Collector ID", "Start Date", "您会向朋友推荐我们吗？", "您从哪里知道我们？", "", "",
           "还有什么想告诉我们的？"]
    sub = ["", "", "", "Response", "朋友推荐", "小红书", "Other (please specify)", "Open-Ended Response"]
    data = [["1001", "77", "05/01/2026", "9", "朋友推荐", "", "", SIMPLIFIED[1]],
            ["1002", "77", "05/01/2026", "6", "", "小红书", "路过门店", HONG_KONG[1]],
            ["1003", "77", "05/02/2026", "10", "", "", "", ""]]
    return [top, sub, *data]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("text", ["还有什么想告诉我们的？", "还有什么想告诉我们的？ - Open-Ended Response"])
def test_surveymonkey(tmp_path: Path, kind: str, text: str) -> None:
    if kind == "csv":
        path = write_csv(tmp_path / "sm.csv", surveymonkey_rows(), newline="\r\n")
    else:
        path = write_xlsx(tmp_path / "sm.xlsx", [[c or None for c in r] for r in surveymonkey_rows()])
    df = read_responses(path, text=text, id="Respondent ID")
    assert df.attrs["voc_export"] == "surveymonkey"
    assert list(df.columns) == [
        "Respondent ID", "Collector ID", "Start Date", "您会向朋友推荐我们吗？", "您从哪里知道我们？ - 朋友推荐",
        "您从哪里知道我们？ - 小红书", "您从哪里知道我们？ - Other (please specify)", "还有什么想告诉我们的？",
        schema.RESPONSE_ID]
    assert df.attrs["voc_text"] == "还有什么想告诉我们的？"
    assert df["还有什么想告诉我们的？"].tolist()[:2] == [SIMPLIFIED[1], HONG_KONG[1]]
    assert df["您从哪里知道我们？ - Other (please specify)"].iloc[1] == "路过门店"
    assert df[schema.RESPONSE_ID].tolist() == ["1001", "1002", "1003"]


def wjx_rows() -> list[list[object]]:
    header = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、您向朋友推荐我们的可能性有多大？",
              "2、您对本次服务满意吗", "3、请写下您的意见或建议", "4、您通过哪些渠道下单？"]
    return [header,
            [1, "2026/5/1 10:01:02", "95秒", "微信", "N/A", "1.2.x.x(上海-上海)", 9, "满意", SIMPLIFIED[0], "小程序┋门店"],
            [2, "2026/5/1 10:05:40", "40秒", "链接", "N/A", "1.3.x.x(广东-深圳)", 3, "不满意", -3, "App"],
            [3, "2026/5/1 11:00:00", "61秒", "微信", "N/A", "1.4.x.x(台湾-台北)", -2, "一般", TAIWAN[2], -2]]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("text", ["3", "Q3", "第3题", "请写下您的意见或建议", "3、请写下您的意见或建议"])
def test_wjx(tmp_path: Path, kind: str, text: str) -> None:
    rows = wjx_rows()
    if kind == "csv":
        path = write_csv(tmp_path / "wjx.csv", [[str(c) for c in r] for r in rows], encoding="gb18030",
                         newline="\r\n")
    else:
        path = write_xlsx(tmp_path / "wjx.xlsx", rows)
    df = read_responses(path, text=text, columns=["1"])
    assert df.attrs["voc_export"] == "wjx"
    assert df.attrs["voc_text"] == "3、请写下您的意见或建议"
    assert df.attrs["voc_columns"]["1"] == "1、您向朋友推荐我们的可能性有多大？"
    answers = df["3、请写下您的意见或建议"]
    assert answers.iloc[0] == SIMPLIFIED[0] and answers.iloc[2] == TAIWAN[2]
    assert pd.isna(answers.iloc[1])  # -3: not shown
    assert df["4、您通过哪些渠道下单？"].iloc[0] == "小程序┋门店"  # multi-select kept as exported
    assert pd.isna(df["4、您通过哪些渠道下单？"].iloc[2])  # -2: skipped
    assert pd.isna(df["1、您向朋友推荐我们的可能性有多大？"].iloc[2])
    assert df["序号"].tolist() == ["1", "2", "3"]  # skip codes only apply to question columns


def test_wjx_question_with_several_columns_is_ambiguous(tmp_path: Path) -> None:
    rows = [["序号", "提交答卷时间", "1、您的建议", "2(价格)", "2(服务)"], ["1", "2026/5/1", "好", "1", "0"]]
    path = write_csv(tmp_path / "wjx_sub.csv", rows)
    with pytest.raises(InputError, match=r"text='2' matches 2 columns of .*2\(价格\); 2\(服务\)"):
        read_responses(path, text="2")
    assert read_responses(path, text="2(服务)").attrs["voc_text"] == "2(服务)"


@pytest.mark.parametrize("question", ["1.您对我们的服务满意吗", "Q1:您对我们的服务满意吗"])
def test_tencent_wenjuan(tmp_path: Path, question: str) -> None:
    rows = [["编号", "开始答题时间", "结束答题时间", "答题时长", question, "2.您的建议"],
            ["1", "2026-05-01 10:00:00", "2026-05-01 10:02:00", "120", "满意", TAIWAN[3]],
            ["2", "2026-05-01 10:03:00", "2026-05-01 10:04:10", "70", "一般", "(跳过)"]]
    df = read_responses(write_csv(tmp_path / "tencent.csv", rows), text="2", columns=["Q1"])
    assert df.attrs["voc_export"] == "tencent"
    assert df.attrs["voc_text"] == "2.您的建议"
    assert df.attrs["voc_columns"]["Q1"] == question
    assert df["2.您的建议"].iloc[0] == TAIWAN[3] and pd.isna(df["2.您的建议"].iloc[1])


def test_plain_file_is_not_mistaken_for_an_export(tmp_path: Path) -> None:
    rows = [["ResponseId", "comment"], ["R_1", SIMPLIFIED[0]], ["R_2", "-2"]]
    df = read_responses(write_csv(tmp_path / "plain.csv", rows))
    assert df.attrs["voc_export"] is None
    assert df["comment"].tolist() == [SIMPLIFIED[0], "-2"]


# ------------------------------------------------------------------------------------ columns and ids


@pytest.mark.parametrize("kwargs, hint", [
    ({"text": "Comment "}, "Pass text='comment'?"),
    ({"text": "评论"}, "Pass text='comment'?"),
    ({"id": "编号"}, None),
    ({"columns": ["nps"]}, None),
])
def test_wrong_column_lists_the_columns_and_names_the_file(tmp_path: Path, kwargs: dict,
                                                          hint: str | None) -> None:
    path = write_csv(tmp_path / "survey.csv", ROWS)
    missing = next(iter(kwargs.values()))
    missing = missing[0] if isinstance(missing, list) else missing
    with pytest.raises(InputError, match=rf"column '{missing}' not found in .*survey\.csv; "
                                         r"columns are: id, score, comment") as info:
        read_responses(path, **kwargs)
    if hint:
        assert hint in str(info.value)


@pytest.mark.parametrize("chunksize", [1, 2, 3, 50])
@pytest.mark.parametrize("make", [make_csv, make_xlsx, make_jsonl, make_parquet, make_json])
def test_row_numbers_are_stable_across_chunks(tmp_path: Path, make, chunksize: int) -> None:
    path = make(tmp_path / "survey")
    chunks = list(iter_responses(path, chunksize=chunksize))
    assert [len(c) for c in chunks][:-1] == [chunksize] * (len(chunks) - 1)
    ids = [rid for c in chunks for rid in c[schema.RESPONSE_ID]]
    assert ids == ["1", "2", "3", "4"]
    assert [i for c in chunks for i in c.index] == [0, 1, 2, 3]
    whole = read_responses(path)
    assert whole[schema.RESPONSE_ID].tolist() == ids
    assert all(c.attrs["voc_source"] == str(path) for c in chunks)


def test_missing_ids_name_the_rows(tmp_path: Path) -> None:
    rows = [["id", "comment"], ["R1", "好"], ["", "差"], ["R3", "一般"], ["  ", "还行"]]
    with pytest.raises(InputError, match=r"id column 'id' of .*ids\.csv is empty in 2 row\(s\) "
                                         r"\(data rows 2, 4"):
        read_responses(write_csv(tmp_path / "ids.csv", rows), id="id")


def test_duplicate_ids_warn_once_with_count_and_examples(tmp_path: Path) -> None:
    rows = [["id", "comment"], ["R1", "好"], ["R2", "差"], ["R1", "一般"], ["R2", "还行"], ["R1", "不错"]]
    path = write_csv(tmp_path / "dups.csv", rows)
    with pytest.warns(DataQualityWarning) as record:
        df = list(iter_responses(path, id="id", chunksize=2))
    assert len(record) == 1
    message = str(record[0].message)
    assert "3 row(s)" in message and "'R1' on rows 1 and 3" in message
    assert [r for c in df for r in c[schema.RESPONSE_ID]] == ["R1", "R2", "R1", "R2", "R1"]


def test_unique_ids_do_not_warn(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_responses(make_csv(tmp_path / "ok"), id="id")


def test_existing_response_id_column(tmp_path: Path) -> None:
    rows = [["response_id", "comment"], ["a1", "好"], ["a2", "差"]]
    path = write_csv(tmp_path / "again.csv", rows)
    with pytest.raises(InputError, match="already has a column 'response_id'.*rename.*id='response_id'"):
        read_responses(path, id="comment")
    # a file voc wrote comes back with its own ids, whether or not --id names them
    assert read_responses(path)["response_id"].tolist() == ["a1", "a2"]
    df = read_responses(path, id="response_id")
    assert list(df.columns) == ["response_id", "comment"]
    assert df["response_id"].tolist() == ["a1", "a2"]


# -------------------------------------------------------------------------------------------- errors


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.csv not found"):
        read_responses(tmp_path / "nope.csv")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        read_responses(tmp_path)


@pytest.mark.parametrize("name, body", [("empty.csv", b""), ("blank.csv", b"\n\n  \n"), ("empty.xlsx", b""),
                                        ("bom.csv", b"\xef\xbb\xbf"), ("empty.jsonl", b"\n\n")])
def test_empty_file_has_no_header_row(tmp_path: Path, name: str, body: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(body)
    with pytest.raises(InputError, match="has no header row"):
        read_responses(path)


def test_header_only_gives_an_empty_frame_with_columns(tmp_path: Path) -> None:
    df = read_responses(write_csv(tmp_path / "head.csv", [["id", "comment"]]), text="comment")
    assert list(df.columns) == ["id", "comment", schema.RESPONSE_ID]
    assert len(df) == 0


def test_unknown_extension_lists_supported_formats(tmp_path: Path) -> None:
    path = tmp_path / "survey.docx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError, match=r"survey\.docx.*\.csv, \.tsv, .*\.parquet"):
        read_responses(path)
    assert ".xls" in supported_input_formats()


@pytest.mark.parametrize("name", ["fake.xlsx", "fake.xls", "fake.parquet"])
def test_damaged_binary_files_are_input_errors(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("id,comment\nR1,其实我是CSV\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{name} is not a readable"):
        read_responses(path)


def test_excel_sheets(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "book.xlsx", comments(SIMPLIFIED), sheet="回答", extra_sheet="说明")
    assert read_responses(path, sheet="回答")["comment"].tolist() == SIMPLIFIED
    assert read_responses(path, sheet=1).columns[0] == "别的表"
    with pytest.raises(InputError, match=r"sheet '汇总' not found in .*book\.xlsx; .*0: 回答, 1: 说明"):
        read_responses(path, sheet="汇总")


def test_sheet_on_a_csv_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="sheet='Sheet1' applies to Excel files only"):
        read_responses(make_csv(tmp_path / "s"), sheet="Sheet1")


@pytest.mark.parametrize("body, message", [
    (b'{"comment": "\xe5\xa5\xbd"}\n{"comment": \n', r"bad\.jsonl line 2: not valid JSON"),
    (b'{"comment": "a"}\n["a list"]\n', r"bad\.jsonl line 2: expected a JSON object"),
])
def test_bad_jsonl_names_the_line(tmp_path: Path, body: bytes, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(body)
    with pytest.raises(InputError, match=message):
        read_responses(path)


def test_json_must_be_a_list_of_records(tmp_path: Path) -> None:
    path = tmp_path / "obj.json"
    path.write_text('{"comment": "好"}', encoding="utf-8")
    with pytest.raises(InputError, match="expected a JSON array of objects"):
        read_responses(path)


# --------------------------------------------------------------------------------------- performance


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_sixty_thousand_rows_read_quickly(tmp_path: Path, encoding: str) -> None:
    texts = SIMPLIFIED + TAIWAN + HONG_KONG
    rows = [["id", "nps", "comment"]] + [[f"R{i}", str(i % 11), texts[i % len(texts)]] for i in range(60_000)]
    path = write_csv(tmp_path / "big.csv", rows, encoding=encoding)
    start = time.perf_counter()
    df = read_responses(path, text="comment", id="id")
    elapsed = time.perf_counter() - start
    assert len(df) == 60_000 and df[schema.RESPONSE_ID].iloc[-1] == "R59999"
    assert df.attrs["voc_encoding"] == encoding and df["comment"].iloc[9] == HONG_KONG[1]
    assert elapsed < 2.0, f"reading 60,000 rows took {elapsed:.2f}s"
