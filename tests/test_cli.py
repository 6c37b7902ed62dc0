"""The command line: outputs, exit codes, help examples; run in-process through voc.cli.main."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from voc.cli import app, main

SURVEY = """id,渠道,comment,nps
a1,app,物流很快，但是客服态度很差,6
a2,web,性價比很高，宅配也很快,10
a3,app,送貨好慢，等咗三日,3
a4,store,,8
a5,web,聯絡我 0912-345-678 謝謝,9
"""


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:  # main() always exits, with 0 on success
        main(argv)
    out = capsys.readouterr()
    code = exc.value.code if isinstance(exc.value.code, int) else 0
    return code, out.out, out.err


@pytest.fixture()
def survey(tmp_path: Path) -> Path:
    p = tmp_path / "survey.csv"
    p.write_text(SURVEY, encoding="utf-8")
    return p


def _main_ok(argv: list[str], capsys) -> str:
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code in (0, None), capsys.readouterr().err
    return capsys.readouterr().err


def test_tag_adds_columns_and_keeps_rows(survey: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "tagged.csv"
    _main_ok(["tag", str(survey), "--text", "comment", "--id", "id", "-o", str(out)], capsys)
    df = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert df["id"].tolist() == ["a1", "a2", "a3", "a4", "a5"]
    assert list(df.columns[:4]) == ["id", "渠道", "comment", "nps"]
    assert df.loc[0, "themes"] == "logistics;service"
    assert df.loc[0, "logistics_sentiment"] == "positive" and df.loc[0, "service_sentiment"] == "negative"
    assert df.loc[1, "themes"] == "price;logistics"
    assert df.loc[3, "themes"] == "" and df.loc[3, "sentiment"] == "neutral"
    assert "0912" not in "".join(df["evidence"])


def test_tag_with_workers_started_before_reading(survey: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    """A big input starts the worker processes before it is read; the output is the same, none are left."""
    import multiprocessing

    import voc.cli

    single = tmp_path / "single.csv"
    _main_ok(["tag", str(survey), "--text", "comment", "--workers", "1", "-o", str(single)], capsys)
    monkeypatch.setattr(voc.cli, "EARLY_WORKERS_BYTES", 0)  # the five-row survey counts as big
    early = tmp_path / "early.csv"
    _main_ok(["tag", str(survey), "--text", "comment", "--workers", "2", "-o", str(early)], capsys)
    assert early.read_bytes() == single.read_bytes()
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("ext", [".xlsx", ".jsonl", ".parquet", ".tsv"])
def test_tag_writes_every_format(survey: Path, tmp_path: Path, capsys, ext: str) -> None:
    out = tmp_path / f"tagged{ext}"
    _main_ok(["tag", str(survey), "--text", "comment", "-o", str(out)], capsys)
    from voc import read_responses

    back = read_responses(out)
    assert len(back) == 5 and "themes" in back.columns


def test_normalise_and_segment(survey: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "norm.csv"
    _main_ok(["normalise", str(survey), "--text", "comment", "-o", str(out)], capsys)
    df = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert df.loc[1, "text_normalised"] == "性价比很高，宅配也很快"
    assert "<PHONE>" in df.loc[4, "text_normalised"]
    out2 = tmp_path / "seg.csv"
    _main_ok(["segment", str(survey), "--text", "comment", "-o", str(out2)], capsys)
    df2 = pd.read_csv(out2, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert df2.loc[1, "tokens"].split(" ")[:3] == ["性价比", "很", "高"]


def test_no_redact_keeps_phone_numbers(survey: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "norm.csv"
    _main_ok(["normalise", str(survey), "--text", "comment", "--no-redact", "-o", str(out)], capsys)
    df = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert "0912-345-678" in df.loc[4, "text_normalised"]


def test_stdin_to_stdout(survey: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "voc", "tag", "-", "--text", "comment", "-o", "-"],
                       input=survey.read_bytes(), capture_output=True)
    assert p.returncode == 0, p.stderr.decode()
    lines = p.stdout.decode("utf-8").strip().splitlines()
    assert len(lines) == 6 and "themes" in lines[0]


@pytest.mark.parametrize("argv, message", [
    (["tag", "{dir}/nope.csv", "--text", "comment", "-o", "{dir}/o.csv"], "not found"),
    (["tag", "{survey}", "--text", "commnt", "-o", "{dir}/o.csv"], "column 'commnt' not found.*Pass --text comment"),
    (["tag", "{survey}", "-o", "{dir}/o.csv"], "--text is required"),
    (["tag", "{survey}", "--text", "comment", "-o", "{dir}/o.docx"], "docx"),
    (["tag", "{survey}", "--text", "comment", "--codeframe", "{dir}/none.toml", "-o", "{dir}/o.csv"], "codeframe .* not found"),
    (["tag", "{survey}", "--text", "comment", "--model", "{dir}/nomodel", "-o", "{dir}/o.csv"], "model directory"),
    (["tag", "{survey}", "--text", "comment", "--convert", "klingon", "-o", "{dir}/o.csv"], "klingon"),
])
def test_user_errors_exit_2_with_one_line_and_no_output(survey: Path, tmp_path: Path, capsys, argv, message) -> None:
    argv = [a.format(dir=tmp_path, survey=survey) for a in argv]
    code, _, err = run(argv, capsys)
    assert code == 2
    assert re.search(message, " ".join(err.split())), err
    assert "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()


def test_bad_bytes_name_the_file(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes("id,comment\n1,物流很快\n".encode() + b"2,\xff\xfe\xfa\xfb\n")
    code, _, err = run(["tag", str(bad), "--text", "comment", "-o", str(tmp_path / "o.csv")], capsys)
    assert code == 2 and "bad.csv" in err


def test_failed_run_keeps_the_existing_output(survey: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "tagged.csv"
    out.write_text("precious\n", encoding="utf-8")
    code, _, _ = run(["tag", str(survey), "--text", "missing", "-o", str(out)], capsys)
    assert code == 2
    assert out.read_text(encoding="utf-8") == "precious\n"


def test_internal_error_exits_1_without_traceback(survey: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    import voc.pipeline

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(voc.pipeline.Pipeline, "tag_frames", boom)
    code, _, err = run(["tag", str(survey), "--text", "comment", "-o", str(tmp_path / "o.csv")], capsys)
    assert code == 1
    assert "internal error" in err and "Traceback" not in err


def test_ctrl_c_exits_130_and_keeps_the_existing_output(survey: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    import voc.pipeline

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(voc.pipeline.Pipeline, "tag_frames", interrupted)
    out = tmp_path / "tagged.csv"
    out.write_text("上次的结果\n", encoding="utf-8")
    code, _, err = run(["tag", str(survey), "--text", "comment", "-o", str(out)], capsys)
    assert code == 130 and "interrupted" in err and "Traceback" not in err
    assert out.read_text(encoding="utf-8") == "上次的结果\n"


@pytest.mark.parametrize("command", [c.name or c.callback.__name__ for c in app.registered_commands])
def test_every_command_help_shows_an_example(command: str, capsys) -> None:
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0
    assert "Example:" in out and "voc " in out


def test_top_level_help(capsys) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "Example:" in out


def test_nps_command(survey: Path, capsys) -> None:
    code, out, _ = run(["nps", str(survey), "--score", "nps"], capsys)
    assert code == 0
    # 10, 9 promoters; 6, 3 detractors; 8 passive -> (2 - 2) / 5 = 0
    assert "NPS +0.0" in out and "n=5" in out


def test_drivers_and_report_commands(tmp_path: Path, capsys) -> None:
    demo = Path(__file__).resolve().parent.parent / "corpora" / "demo_qualtrics.csv"
    out = tmp_path / "drivers.csv"
    _main_ok(["drivers", str(demo), "--text", "Q3", "--score", "Q1", "--metric", "nps", "-o", str(out)], capsys)
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert {"theme", "polarity", "impact", "p_adjusted", "kano"} <= set(table.columns)
    report = tmp_path / "report.html"
    _main_ok(["report", str(demo), "--text", "Q3", "--nps", "Q1", "-o", str(report)], capsys)
    assert "id='drivers'" in report.read_text(encoding="utf-8")


def test_report_without_score_is_a_user_error(survey: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(["report", str(survey), "--text", "comment", "-o", str(tmp_path / "r.html")], capsys)
    assert code == 2 and "--nps" in err
    assert not (tmp_path / "r.html").exists()


def test_demo_builds_the_report(tmp_path: Path, capsys) -> None:
    out = tmp_path / "demo.html"
    _main_ok(["demo", "-o", str(out)], capsys)
    page = out.read_text(encoding="utf-8")
    assert "id='trend'" in page and "华南" in page
