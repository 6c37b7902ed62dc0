"""The CLI contract: usage errors, --version, completion, faults as one line, scores checked, examples run."""
from __future__ import annotations

import errno
import os
import re
import shlex
import signal
import stat
from pathlib import Path

import pandas as pd
import pytest

import voc
from voc.cli import app, main
from voc.errors import rename_params

SURVEY = """id,submitted_at,region,nps,csat,comment
k1,2026-03-02,华东,9,4,快递第二天就到了，很满意
k2,2026-03-09,华南,3,2,客服回复太慢，问题一直没解决
k3,2026-03-16,台湾,10,5,價格實惠，包裝也很用心
k4,2026-04-06,香港,6,3,送貨慢咗兩日，有啲失望
k5,2026-04-13,华北,8,4,东西还行，就是有点贵
k6,2026-04-20,华东,2,1,收到的水果烂了一半，退款也很麻烦
"""

#: a file voc tag already wrote: drivers reuses its theme columns (no tagging, so these tests are quick)
TAGGED = """id,nps,comment,themes,logistics_sentiment,service_sentiment
t1,{0},快递很快,logistics,positive,
t2,{1},客服很差,service,,negative
t3,9,物流不错,logistics,positive,
t4,2,客服不理人,service,,negative
t5,7,一般,,,
t6,10,送货准时,logistics,positive,
"""


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    code = exc.value.code if isinstance(exc.value.code, int) else 0
    return code, out.out, " ".join(out.err.replace("│", " ").split())


@pytest.fixture()
def survey(tmp_path: Path) -> Path:
    p = tmp_path / "survey.csv"
    p.write_text(SURVEY, encoding="utf-8")
    return p


@pytest.fixture()
def tagged(tmp_path: Path) -> Path:
    p = tmp_path / "tagged.csv"
    p.write_text(TAGGED.format(10, 3), encoding="utf-8")
    return p


# -- usage errors: typer's short message, exit 2, never "internal error" ----------------------------------
@pytest.mark.parametrize("argv, message", [
    ([], "Usage: voc"),
    (["tga"], "No such command 'tga'. Did you mean 'tag'?"),
    (["tag", "--bogus"], "No such option: --bogus"),
    (["nps"], "Missing argument 'input'"),
    (["tag", "{survey}"], "Missing option '--output'"),
    (["tag", "{survey}", "--text", "comment", "-o", "{dir}/o.csv", "--workers", "-3"], "Invalid value for '--workers'"),
    (["tag", "{survey}", "--text", "comment", "-o", "{dir}/o.csv", "--format", "tall"], "Invalid value for '--format'"),
    (["drivers", "{survey}", "--score", "nps", "-o", "{dir}/o.csv", "--period", "Y"], "Invalid value for '--period'"),
    (["drivers", "{survey}", "--score", "nps", "-o", "{dir}/o.csv", "--metric", "ces"], "Invalid value for '--metric'"),
])
def test_usage_errors_exit_2_with_typers_message(survey: Path, tmp_path: Path, capsys, argv, message) -> None:
    code, out, err = run([a.format(survey=survey, dir=tmp_path) for a in argv], capsys)
    assert code == 2
    assert message in err or message in out, err
    assert "internal error" not in err and "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()


def test_version(capsys) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"voc {voc.__version__}"


def test_shell_completion_script_and_completions(capsys, monkeypatch) -> None:
    code, out, _ = run(["--show-completion", "bash"], capsys)
    assert code == 0 and "_VOC_COMPLETE" in out and "complete " in out
    monkeypatch.setenv("_VOC_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "voc dri")
    monkeypatch.setenv("COMP_CWORD", "1")
    code, out, _ = run([], capsys)
    assert code == 0 and out.split() == ["drivers"]


# -- a genuine bug: one line, a private log with the traceback ----------------------------------------------
def test_internal_error_writes_a_private_log(survey: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    import voc.pipeline

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("VOC_DEBUG", raising=False)
    monkeypatch.setattr(voc.pipeline.Pipeline, "tag_frames", boom)
    code, _, err = run(["tag", str(survey), "--text", "comment", "-o", str(tmp_path / "o.csv")], capsys)
    assert code == 1 and "internal error: RuntimeError" in err and "Traceback" not in err
    logs = list((tmp_path / "state" / "voc").glob("voc-crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    assert stat.S_IMODE(logs[0].stat().st_mode) == 0o600
    body = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in body and "kaboom" in body
    assert "快递第二天" not in body  # tracebacks only: no locals, no survey text


# -- errors in the caller's language --------------------------------------------------------------------------
@pytest.mark.parametrize("message, expected", [
    ("column 'x' not found; pass score='推荐意愿'", "column 'x' not found; pass --score 推荐意愿"),
    ("pass text='my answers' or drop_invalid=True", "pass --text 'my answers' or --drop-invalid"),
    ("row 1: 'score=5' is not a number; pass it as score=", "row 1: 'score=5' is not a number; pass it as --score"),
    ("errors_out= and model_dir= and columns=", "--errors and --model and columns="),
])
def test_library_parameters_are_shown_as_flags(message: str, expected: str) -> None:
    from voc._cli_run import _flags

    assert rename_params(message, _flags(app)) == expected


# -- scores you can trust -------------------------------------------------------------------------------------
def test_a_text_column_as_score_exits_2_before_tagging(survey: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    import voc.pipeline

    def never(*a, **k):
        raise AssertionError("tagged before the scores were checked")

    monkeypatch.setattr(voc.pipeline.Pipeline, "tag_frame", never)
    code, _, err = run(["nps", str(survey), "--score", "comment"], capsys)
    assert code == 2
    assert "column 'comment' given as --score is not a numeric NPS score: 6 of 6 answers are not numbers" in err
    assert "row 1: '快递第二天就到了，很满意', row 2: '客服回复太慢，问题一直没解决', row 3:" in err
    code, _, err = run(["drivers", str(survey), "--text", "comment", "--score", "comment", "-o",
                        str(tmp_path / "d.csv")], capsys)
    assert code == 2 and "given as --score is not a numeric" in err
    code, _, err = run(["report", str(survey), "--text", "comment", "--nps", "nps", "--csat", "region", "-o",
                        str(tmp_path / "r.html")], capsys)
    assert code == 2 and "column 'region' given as --csat is not a numeric CSAT score" in err


def test_a_csat_column_passed_as_nps(tmp_path: Path, capsys) -> None:
    p = tmp_path / "five.csv"
    p.write_text("满意度\n" + "\n".join(str(1 + k % 5) for k in range(25)) + "\n", encoding="utf-8")
    code, _, err = run(["nps", str(p), "--score", "满意度"], capsys)
    assert code == 2 and "looks like a 1-5 CSAT scale, not 0-10 NPS" in err and "--allow-scale" in err
    code, out, _ = run(["nps", str(p), "--score", "满意度", "--allow-scale"], capsys)
    assert code == 0 and "NPS -100.0" in out


def test_out_of_range_scores_are_listed_or_dropped(tmp_path: Path, capsys) -> None:
    p = tmp_path / "s.csv"
    p.write_text("nps\n10\n11\n十\n１０\n10分\n-1\n\n不适用\n3\n", encoding="utf-8")
    code, _, err = run(["nps", str(p), "--score", "nps"], capsys)
    assert code == 2
    assert "has 2 NPS value(s) that are not whole numbers from 0 to 10: row 2: '11', row 6: '-1'" in err
    assert "--drop-invalid" in err
    code, out, err = run(["nps", str(p), "--score", "nps", "--drop-invalid"], capsys)
    assert code == 0
    # 10, 十, １０, 10分 promoters; 3 detractor: (4 - 1) / 5; blank and 不适用 counted as blanks
    assert "NPS +60.0" in out and "n=5" in out
    assert "2 invalid NPS value(s) excluded" in err and "2 blank NPS answer(s) excluded" in err


def test_drivers_drop_invalid_warns_in_one_line(tmp_path: Path, capsys) -> None:
    p = tmp_path / "tagged.csv"
    p.write_text(TAGGED.format(10, "11"), encoding="utf-8")
    out = tmp_path / "drivers.csv"
    code, _, err = run(["drivers", str(p), "--score", "nps", "-o", str(out)], capsys)
    assert code == 2 and "row 2: '11'" in err and not out.exists()
    code, _, err = run(["drivers", str(p), "--score", "nps", "--drop-invalid", "-o", str(out)], capsys)
    assert code == 0, err
    assert "warning: 1 invalid NPS value(s) excluded (e.g. row 2: '11')" in err
    assert "DataQualityWarning" not in err and ".py:" not in err and "warnings.warn" not in err
    assert set(pd.read_csv(out, encoding="utf-8-sig")["theme"]) == {"logistics", "service"}


def test_date_pointing_at_a_text_column(tagged: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(["drivers", str(tagged), "--score", "nps", "--date", "comment", "-o",
                        str(tmp_path / "d.csv")], capsys)
    assert code == 2 and "column 'comment' given as --date holds no dates (row 1: '快递很快'" in err


def test_quarters_are_a_period(survey: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "d.csv"
    code, _, err = run(["drivers", str(survey), "--text", "comment", "--score", "nps", "--date", "submitted_at",
                        "--period", "Q", "-o", str(out)], capsys)
    assert code == 0, err
    assert set(pd.read_csv(out, encoding="utf-8-sig")["period"]) <= {"2026Q1", "2026Q2"}


# -- every fault a clear line ---------------------------------------------------------------------------------
@pytest.mark.parametrize("target, message", [
    ("{dir}/notes.txt/out.csv", "is a file, not a folder"),
    ("{dir}/missing/out.csv", "the folder {dir}/missing does not exist"),
])
def test_unusable_output_folders(tagged: Path, tmp_path: Path, capsys, target: str, message: str) -> None:
    (tmp_path / "notes.txt").write_text("记事\n", encoding="utf-8")
    code, _, err = run(["drivers", str(tagged), "--score", "nps", "-o", target.format(dir=tmp_path)], capsys)
    assert code == 2 and message.format(dir=tmp_path) in err and "internal error" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder(tagged: Path, tmp_path: Path, capsys) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        code, _, err = run(["drivers", str(tagged), "--score", "nps", "-o", str(ro / "d.csv")], capsys)
    finally:
        ro.chmod(0o700)
    assert code == 2 and "permission denied" in err


def test_output_under_proc_is_one_line(tagged: Path, capsys) -> None:
    code, _, err = run(["drivers", str(tagged), "--score", "nps", "-o", "/proc/voc-test-drivers.csv"], capsys)
    assert code == 2 and err.startswith("error: /proc/voc-test-drivers.csv") and "internal error" not in err


def test_disk_full_names_the_output_and_keeps_the_old_file(tagged: Path, tmp_path: Path, capsys,
                                                           monkeypatch) -> None:
    import voc.output

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    out = tmp_path / "d.csv"
    out.write_text("上一版\n", encoding="utf-8")
    monkeypatch.setattr(voc.output.os, "fsync", full)
    code, _, err = run(["drivers", str(tagged), "--score", "nps", "-o", str(out)], capsys)
    assert code == 2 and err == f"error: {out}: No space left on device"
    assert out.read_text(encoding="utf-8") == "上一版\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "tagged.csv"]  # no temporary file left


def test_train_onto_an_existing_file(survey: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "model.txt"
    target.write_text("不是模型\n", encoding="utf-8")
    code, _, err = run(["train", str(survey), "--text", "comment", "-o", str(target)], capsys)
    assert code == 2 and "is an existing file" in err and "model folder" in err
    assert target.read_text(encoding="utf-8") == "不是模型\n"


def test_sigterm_takes_the_ctrl_c_path_and_exits_143(survey: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    import voc.pipeline

    def killed(*a, **k):
        os.kill(os.getpid(), signal.SIGTERM)
        yield from ()

    monkeypatch.setattr(voc.pipeline.Pipeline, "tag_frames", killed)
    out = tmp_path / "tagged.csv"
    out.write_text("上次的结果\n", encoding="utf-8")
    before = signal.getsignal(signal.SIGTERM)
    code, _, err = run(["tag", str(survey), "--text", "comment", "-o", str(out)], capsys)
    assert code == 143 and err == "terminated"
    assert out.read_text(encoding="utf-8") == "上次的结果\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["survey.csv", "tagged.csv"]
    assert signal.getsignal(signal.SIGTERM) is before  # main() puts the old handler back


# -- every help example runs -----------------------------------------------------------------------------------
LABELLED = [("快递第二天就到了", "logistics", "positive"), ("客服回复太慢", "service", "negative"),
            ("價格實惠", "price", "positive"), ("送貨慢咗兩日", "logistics", "negative"),
            ("东西有点贵", "price", "negative"), ("客服很耐心", "service", "positive")]


def _example_files(folder: Path) -> None:
    rows = [LABELLED[k % len(LABELLED)] for k in range(36)]
    df = pd.DataFrame({"id": [f"e{k}" for k in range(len(rows))],
                       "submitted_at": pd.date_range("2026-03-01", periods=len(rows), freq="3D").astype(str),
                       "region": ["华东", "台湾", "香港"] * (len(rows) // 3),
                       "nps": [10, 3, 9, 5, 6, 8] * (len(rows) // 6), "csat": [5, 2, 4, 2, 2, 4] * (len(rows) // 6),
                       "comment": [r[0] for r in rows], "text": [r[0] for r in rows], "themes": [r[1] for r in rows],
                       "overall": [r[2] for r in rows]})
    for name in ("reviews.csv", "survey.csv", "labelled.csv"):
        df.to_csv(folder / name, index=False)
    df.drop(columns=["themes"]).to_excel(folder / "survey.xlsx", index=False)
    df[["id", "text", "themes", "overall"]].assign(**{f"{r[1]}_sentiment": "" for r in LABELLED}).to_csv(
        folder / "gold.csv", index=False)


def _examples() -> list[tuple[str, str]]:
    out = []
    for c in app.registered_commands:
        found = re.search(r"Example:\s+(voc [^\n]+)", c.callback.__doc__ or "")
        assert found, c.callback.__name__
        out.append((c.name or c.callback.__name__, found.group(1).strip()))
    return out


@pytest.mark.parametrize("command, example", [e for e in _examples() if e[0] != "demo"])  # demo: test_cli.py
def test_every_help_example_runs(command: str, example: str, tmp_path: Path, capsys, monkeypatch) -> None:
    _example_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(example)[1:]
    code, out, err = run(argv, capsys)
    assert code == 0, f"{example}: {err}"
    written = [a for k, a in enumerate(argv) if k and argv[k - 1] in ("-o", "--output")]
    assert all((tmp_path / w).exists() for w in written), example
