"""The driver report: HTML sections, escaping, evidence highlighting, Excel/Markdown, a real browser render."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from voc.analysis import analyse
from voc.errors import InputError
from voc.report import highlight

COMMENTS = [
    ("物流很快，但是客服态度很差", 3, 2), ("性价比很高，下次还会买", 10, 5), ("送货好慢，等咗三日", 2, 1),
    ("宅配很快，CP值很高", 9, 5), ("菜都凉了，等了一个小时", 4, 2), ("味道不错，包装也很好", 9, 4),
    ("<script>alert(1)</script> 客服不理人", 0, 1), ("价格太贵了", 5, 3), ("快递员很准时，服务好", 10, 5),
    ("退款一直没处理", 1, 1), ("质量很好", 8, 4), ("一般", 7, 3),
]


@pytest.fixture(scope="module")
def analysis(pipeline):
    rows = [c for _ in range(6) for c in COMMENTS]
    df = pd.DataFrame({"id": [f"r{i}" for i in range(len(rows))], "comment": [r[0] for r in rows],
                       "nps": [r[1] for r in rows], "csat": [r[2] for r in rows],
                       "region": ["华东", "台湾", "香港"] * (len(rows) // 3),
                       "submitted_at": pd.date_range("2026-04-01", periods=len(rows), freq="2D").astype(str)})
    return analyse(df, text="comment", nps="nps", csat="csat", segment="region", date="submitted_at",
                   pipeline=pipeline, title="测试报告", source="fixture.csv")


def test_html_has_every_section_and_is_self_contained(analysis) -> None:
    page = analysis.report.to_html()
    for sid in ("headline", "findings", "drivers", "verbatims", "segments", "trend", "follow-up", "method"):
        assert f"id='{sid}'" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    import re

    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import""", page)
    assert "<svg" in page and "NPS" in page


def test_evidence_is_highlighted_exactly() -> None:
    text = "物流很快，但是客服态度很差"
    html = highlight(text, "logistics.delivery_speed:物流@0-2|service.customer_service:客服@7-9", "service")
    assert html == "物流很快，但是<mark>客服</mark>态度很差"
    assert highlight("<b>差</b>", "service.x:差@3-4") == "&lt;b&gt;<mark>差</mark>&lt;/b&gt;"
    assert highlight("abc", "service.x:zz@0-2") == "abc"  # a span that does not match is not marked


def test_excel_and_markdown(analysis, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    xlsx = analysis.report.save(tmp_path / "r.xlsx")
    wb = load_workbook(xlsx, read_only=True)
    assert {"Summary", "Drivers NPS", "Drivers CSAT", "Segments", "Trend", "Follow-up", "Tagged"} <= set(wb.sheetnames)
    back = pd.read_excel(xlsx, sheet_name="Drivers NPS")
    assert back["impact"].round(6).tolist() == analysis.drivers["nps"]["impact"].round(6).tolist()
    md = analysis.report.to_markdown()
    assert "| theme | polarity |" in md and "## NPS drivers" in md


def test_save_rejects_unknown_extension_and_keeps_existing_file(analysis, tmp_path: Path) -> None:
    target = tmp_path / "r.pdf"
    with pytest.raises(InputError, match="html, .xlsx or .md"):
        analysis.report.save(target)
    good = tmp_path / "r.html"
    good.write_text("old", encoding="utf-8")
    with pytest.raises(InputError, match="does not exist"):
        analysis.report.save(tmp_path / "missing" / "r.html")
    assert good.read_text(encoding="utf-8") == "old"


def test_empty_driver_table_is_explained(pipeline) -> None:
    df = pd.DataFrame({"comment": ["好评", "一般"], "nps": [9, 3]})
    a = analyse(df, text="comment", nps="nps", pipeline=pipeline)
    assert a.drivers["nps"].empty
    assert "no response mentions" in a.report.to_html()


def test_renders_in_headless_chromium(analysis, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("chromium not installed (apt-get install chromium); .ci/run installs it when apt is available")
    import matplotlib.image as mpimg

    page = tmp_path / "r.html"
    analysis.report.save(page)
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,2400",
                    page.as_uri()], check=True, capture_output=True, timeout=120)
    img = mpimg.imread(shot)
    assert img.shape[0] > 1000
    assert img[..., :3].std() > 0.05  # not a blank page
    assert (img[..., :3].mean(axis=2) < 0.5).mean() > 0.005  # some dark ink (text, bars)
