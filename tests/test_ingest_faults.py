"""voc.ingest faults and helpers: ragged CSV rows, .xlsx engines, formulas without a saved value,
count_rows, resolve_column and error messages that name Python parameters.

Every file is written here, with survey answers we wrote.
"""
from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from voc import schema
from voc.errors import DataQualityWarning, InputError
from voc.ingest import count_rows, iter_responses, read_responses, resolve_column
from voc.ingest import excel as ingest_excel
from voc.ingest._source import resolve_source

HEADER = ["编号", "门店", "推荐意愿", "评论", "城市"]
GOOD = [
    ["S01", "西湖店", "9", "服务员很热情，上菜也快", "杭州"],
    ["S02", "南山店", "3", "排队太久了，等了四十分钟", "深圳"],
    ["S03", "静安店", "7", "味道一般，价格偏高", "上海"],
    ["S04", "天河店", "10", "环境干净，下次还来", "广州"],
]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def ragged_survey(tmp_path: Path) -> Path:
    """Header on line 1; line 3 is short (the comment is missing), line 5 has two extra fields."""
    rows = [HEADER, GOOD[0], ["S02", "南山店", "3"], GOOD[2],
            ["S04", "天河店", "10", "环境干净", "广州", "多出来的", "还有一个"], GOOD[3]]
    return write_csv(tmp_path / "survey.csv", rows)


# ------------------------------------------------------------------------------------------ ragged rows


def test_ragged_rows_are_an_error_naming_file_line_and_field_counts(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"survey\.csv line 3 has 3 fields, the header has 5 "
                                         r"\(and 1 more such row\(s\): line 5\).*on_bad_lines='skip'") as info:
        read_responses(ragged_survey(tmp_path), text="评论", id="编号")
    assert "--" not in str(info.value)


@pytest.mark.parametrize("mode", ["skip", "warn"])
def test_ragged_rows_left_out_the_others_keep_their_ids(tmp_path: Path, mode: str) -> None:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        df = read_responses(ragged_survey(tmp_path), text="评论", on_bad_lines=mode)
    assert df["编号"].tolist() == ["S01", "S03", "S04"]
    assert df["评论"].tolist() == [GOOD[0][3], GOOD[2][3], GOOD[3][3]]
    assert list(df.columns) == [*HEADER, schema.RESPONSE_ID]  # no "Unnamed: 5" from the long row
    assert df[schema.RESPONSE_ID].tolist() == ["1", "3", "5"]  # the file's data row numbers, with gaps
    assert df.attrs["voc_bad_lines"] == 2
    quality = [w for w in record if issubclass(w.category, DataQualityWarning)]
    if mode == "skip":
        assert quality == []
    else:
        assert len(quality) == 1
        assert "2 row(s)" in str(quality[0].message) and "lines 3, 5" in str(quality[0].message)


def test_row_numbers_after_left_out_rows_continue_across_chunks(tmp_path: Path) -> None:
    rows = [HEADER] + [[f"S{i:02d}", "西湖店", "8", f"第{i}位顾客：还不错", "杭州"] for i in range(1, 9)]
    rows[3] = ["S03", "西湖店"]  # data row 3 (line 4) is cut short
    path = write_csv(tmp_path / "chunks.csv", rows)
    chunks = list(iter_responses(path, chunksize=3, on_bad_lines="skip"))
    ids = [r for c in chunks for r in c[schema.RESPONSE_ID]]
    assert ids == ["1", "2", "4", "5", "6", "7", "8"]
    assert [i for c in chunks for i in c.index] == list(range(7))


def test_trailing_delimiters_and_blank_lines_are_not_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text("编号,评论\nS01,送餐很准时,\n\nS03,汤洒了一半,,\n", encoding="utf-8")
    df = read_responses(path, text="评论", id=None)
    assert df["评论"].tolist()[::2] == ["送餐很准时", "汤洒了一半"]
    assert pd.isna(df["评论"].iloc[1])  # the blank line is an empty row: row numbers match the file
    assert df[schema.RESPONSE_ID].tolist() == ["1", "2", "3"]


def test_a_lone_carriage_return_inside_a_value_is_not_a_line_break(tmp_path: Path) -> None:
    # pandas' to_csv writes a lone CR unquoted when the line terminator is LF
    path = tmp_path / "cr.csv"
    path.write_bytes("编号,评论\nS01,先说好的\r再说不好的\nS02,一般\n".encode())
    df = read_responses(path, text="评论")
    assert df["评论"].tolist() == ["先说好的\r再说不好的", "一般"]


def test_quoted_newlines_do_not_shift_the_line_number(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text('编号,评论\nS01,"第一段\n第二段"\nS02,好吃,多余\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"quoted\.csv line 4 has 3 fields, the header has 2"):
        read_responses(path)


def test_unknown_on_bad_lines_value(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="on_bad_lines must be 'error', 'skip' or 'warn', not 'drop'"):
        read_responses(ragged_survey(tmp_path), on_bad_lines="drop")


# ---------------------------------------------------------------------------------------------- excel


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "问卷回收"
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_calamine_reads_what_openpyxl_reads(tmp_path: Path) -> None:
    import datetime as dt

    rows: list[list[object]] = [HEADER + ["满意", "提交时间"]]
    for i, (sid, shop, score, text, city) in enumerate(GOOD):
        rows.append([sid, shop, int(score), text if i != 2 else None, city, i % 2 == 0,
                     dt.datetime(2025, 3, i + 1, 9, 30)])
    rows.append(["S05", "西湖店", 8.5, "  前后有空格  ", None, None, None])
    path = write_xlsx(tmp_path / "book.xlsx", rows)
    src = resolve_source(path, None)
    frames = {}
    for engine in ("calamine", "openpyxl"):
        raw = ingest_excel.read_xlsx(src, None, None, engine=engine)
        frames[engine] = pd.concat(list(raw.frames(1, [str(c) for c in raw.header[0]], 100)))
    assert_frame_equal(frames["calamine"], frames["openpyxl"])
    assert frames["calamine"]["推荐意愿"].tolist() == ["9", "3", "7", "10", "8.5"]
    assert frames["calamine"]["提交时间"].iloc[0] == "2025-03-01 09:30:00"
    assert ingest_excel.xlsx_engine() == "calamine"


def test_formula_cells_without_a_saved_value_warn_once_naming_them(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编号", "城市", "门店", "门店全称"])
    for i, (city, shop) in enumerate([("杭州", "西湖店"), ("深圳", "南山店"), ("上海", "静安店")], 2):
        ws.append([f"S0{i - 1}", city, shop])
        ws[f"D{i}"] = f"=B{i}&C{i}"  # openpyxl saves the formula, never a computed value
    wb.save(tmp_path / "formulas.xlsx")
    with pytest.warns(DataQualityWarning) as record:
        df = read_responses(tmp_path / "formulas.xlsx", id="编号")
    assert len(record) == 1
    assert "3 formula cell(s) have no saved value and are read as blank: D2, D3, D4" in str(record[0].message)
    assert df["门店全称"].isna().all() and df["门店"].tolist() == ["西湖店", "南山店", "静安店"]


def test_workbook_without_formulas_does_not_warn(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "plain.xlsx", [HEADER, *GOOD])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_responses(path, text="评论")["评论"].tolist() == [r[3] for r in GOOD]


# ------------------------------------------------------------------------------------------ count_rows


def test_count_rows_csv_counts_records_not_quoted_newlines(tmp_path: Path) -> None:
    rows = [HEADER, *GOOD, ["S05", "西湖店", "6", "第一句\n第二句\r\n第三句", "杭州"], ["S06", "南山店", "", "", ""]]
    path = write_csv(tmp_path / "survey.csv", rows, encoding="gb18030")
    assert count_rows(path) == len(read_responses(path)) == 6


def test_count_rows_handles_doubled_quotes_and_a_missing_last_newline(tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text('编号,评论\nS01,"他说""很好""\n然后走了"\nS02,"""一般"""\nS03,最后一行', encoding="utf-8")
    assert count_rows(path) == len(read_responses(path)) == 3


def test_count_rows_other_formats(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "book.xlsx", [HEADER, *GOOD])
    assert count_rows(xlsx) == 4
    wb = openpyxl.Workbook(write_only=True)  # streamed workbooks have no <dimension>
    ws = wb.create_sheet("回收")
    for row in [HEADER, *GOOD, *GOOD]:
        ws.append(row)
    wb.save(tmp_path / "stream.xlsx")
    assert count_rows(tmp_path / "stream.xlsx") == 8
    lines = tmp_path / "answers.txt"
    lines.write_text("很好\n\n一般般\n", encoding="utf-8")
    assert count_rows(lines) == 3
    jsonl = tmp_path / "answers.jsonl"
    jsonl.write_text('{"评论": "不错"}\n\n{"评论": "太慢"}\n', encoding="utf-8")
    assert count_rows(jsonl) == 2
    assert count_rows(tmp_path / "missing.csv") is None
    utf16 = write_csv(tmp_path / "utf16.csv", [HEADER, *GOOD], encoding="utf-16")
    assert count_rows(utf16) is None


# ------------------------------------------------------------------------------------- resolve_column

WJX = ["序号", "提交答卷时间", "1、您的城市", "2、您向朋友推荐我们的可能性有多大？", "3、请写下您的意见或建议"]


@pytest.mark.parametrize("name, column", [
    ("2、您向朋友推荐我们的可能性有多大？", "2、您向朋友推荐我们的可能性有多大？"),
    (" 序号 ", "序号"),
    ("2", "2、您向朋友推荐我们的可能性有多大？"),
    ("Q2", "2、您向朋友推荐我们的可能性有多大？"),
    ("第1题", "1、您的城市"),
    ("请写下您的意见或建议", "3、请写下您的意见或建议"),
])
def test_resolve_column_on_wjx_names(name: str, column: str) -> None:
    assert resolve_column(WJX, name, param="score") == column
    assert resolve_column(pd.DataFrame(columns=WJX), name, param="score") == column


def test_resolve_column_uses_qualtrics_question_texts_of_a_read_frame(tmp_path: Path) -> None:
    rows = [["ResponseId", "Q1", "Q2"],
            ["Response ID", "您给我们打几分？", "还有什么想说的？"],
            ['{"ImportId":"_recordId"}', '{"ImportId":"QID1"}', '{"ImportId":"QID2_TEXT"}'],
            ["R_1", "9", "物流很快"], ["R_2", "4", "客服不理人"]]
    df = read_responses(write_csv(tmp_path / "qualtrics.csv", rows), text="Q2", id="ResponseId")
    assert resolve_column(df, "您给我们打几分？", param="score", source="qualtrics.csv") == "Q1"
    assert resolve_column(df, "QID1", param="score") == "Q1"
    assert resolve_column(df.assign(extra=1), "还有什么想说的？", param="segment") == "Q2"  # attrs kept


def test_resolve_column_errors_name_the_parameter() -> None:
    with pytest.raises(InputError, match=r"column '推荐' not found in 门店.csv; columns are: 编号, 门店, "
                                         r"推荐意愿.*Pass score='推荐意愿'\?"):
        resolve_column(HEADER, "推荐", param="score", source="门店.csv")
    cols = ["序号", "4(价格)", "4(服务)"]
    with pytest.raises(InputError, match=r"segment='4' matches 2 columns of input: 4\(价格\); 4\(服务\)"):
        resolve_column(cols, "4", param="segment=")


# ------------------------------------------------------------------------- messages name parameters


@pytest.mark.parametrize("kwargs, expected", [
    ({"text": "评语"}, r"Pass text='评论'\?"),
    ({"id": "编码"}, r"Pass id='编号'\?"),
    ({"sheet": "问卷"}, r"sheet='问卷' applies to Excel files only.*Leave out sheet="),
    ({"encoding": "big5"}, r"cannot decode byte .*Pass encoding= with the file's encoding"),
    ({"format": "docx"}, r"cannot read format 'docx'.*pass format='csv'"),
])
def test_errors_name_python_parameters_not_cli_flags(tmp_path: Path, kwargs: dict, expected: str) -> None:
    path = write_csv(tmp_path / "survey.csv", [HEADER, *GOOD])
    with pytest.raises(InputError, match=expected) as info:
        read_responses(path, **kwargs)
    assert "--" not in str(info.value)


def test_excel_errors_name_the_sheet_parameter(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "book.xlsx", [HEADER, *GOOD])
    with pytest.raises(InputError, match=r"sheet '汇总' not found.*0: 问卷回收. Pass sheet= ") as info:
        read_responses(path, sheet="汇总")
    assert "--" not in str(info.value)
