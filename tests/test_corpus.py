"""The bundled demo corpus: reproducible, in the right scripts, and its planted truth is what it says."""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import opencc
import pandas as pd
import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "corpora"
SCRIPT = CORPORA / "make_demo.py"
FILES = (
    "demo_survey.csv", "demo_truth.csv", "demo_truth.json", "demo_qualtrics.csv",
    "demo_wjx.csv", "demo_wjx.xlsx", "demo_surveymonkey.csv",
)
THEMES = ("logistics", "price", "service", "product")
CJK = re.compile(r"[\u4e00-\u9fff]")
#: characters that OpenCC's s2t changes one by one but that Traditional writing uses too:
#: 划 (划算), 吃 (Taiwan and Hong Kong write 吃, not 喫), 晒 (the Cantonese particle in 凍晒, 齊晒)
SHARED = frozenset("划吃晒")


def _load_module():
    spec = importlib.util.spec_from_file_location("make_demo", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_demo"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def make_demo():
    return _load_module()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs of the script with the default seed, into two fresh directories."""
    dirs = []
    for name in ("a", "b"):
        out = tmp_path_factory.mktemp(name)
        subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), "--seed", "2026"], check=True,
                       capture_output=True, cwd=ROOT)
        dirs.append(out)
    return dirs


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return pd.read_csv(CORPORA / "demo_survey.csv", dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return pd.read_csv(CORPORA / "demo_truth.csv", dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def facts() -> dict:
    return json.loads((CORPORA / "demo_truth.json").read_text(encoding="utf-8"))


def _xlsx_values(path: Path) -> list[tuple]:
    return [tuple(row) for row in load_workbook(path).active.iter_rows(values_only=True)]


# --- reproducibility -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_same_seed_gives_byte_identical_files(runs, name):
    a, b = runs
    assert (a / name).read_bytes() == (b / name).read_bytes()


@pytest.mark.parametrize("name", FILES)
def test_committed_file_equals_a_fresh_generation(runs, name):
    a, _ = runs
    committed = CORPORA / name
    assert committed.exists(), f"run: python corpora/make_demo.py (missing {name})"
    if name.endswith(".xlsx"):  # zip bytes may differ between openpyxl versions; the cells may not
        assert _xlsx_values(committed) == _xlsx_values(a / name)
    else:
        assert committed.read_bytes() == (a / name).read_bytes(), f"{name} was edited by hand or is stale"


def test_another_seed_gives_another_survey(make_demo):
    first = [r.comment for r in make_demo.generate(seed=2026, rows=120)]
    other = [r.comment for r in make_demo.generate(seed=7, rows=120)]
    assert first == [r.comment for r in make_demo.generate(seed=2026, rows=120)]
    assert first != other


# --- the phrase file ---------------------------------------------------------------------------------


def test_comments_are_built_from_the_phrase_file(make_demo):
    phrases = make_demo.load_phrases()
    assert phrases["bank"] == make_demo.BANK
    fast = phrases["bank"]["s"]["logistics.delivery_speed"]["+"]
    assert "{下单|上午下单}{当天|半天|两小时}就到了" in fast
    assert phrases["blanks"]["all"][-1] == "\u3000"  # the escape in the TOML file is the full-width space
    assert ("tw", "，請打0912-345-678找我") in make_demo.PII
    w = make_demo._Writer(make_demo.np.random.default_rng(3))
    clauses = {w.clause("logistics.delivery_speed", "positive", "s", "2026-05") for _ in range(200)}
    assert "下单当天就到了" in clauses
    assert all(not make_demo._ALT.search(c) and not make_demo._SLOT.search(c) for c in clauses)


@pytest.mark.parametrize("edit, message", [
    (lambda text: text.replace("[additive]", "[additive_words]"), r"no \[additive\] table"),
    (lambda text: text.replace('"0" = ["{物流|配送}速度', '"0" = [1, "{物流|配送}速度'),
     r'bank\.s\.logistics\.delivery_speed\.0 should be a non-empty list of strings'),
    (lambda text: text.replace('hk = ["仲有", "而且", "另外"]', "hk = []"), r"additive\.hk should be a non-empty"),
    (lambda text: text.replace("[openings]", "[openings"), "is not valid TOML"),
])
def test_a_malformed_phrase_file_names_the_key(make_demo, tmp_path, edit, message):
    source = make_demo.PHRASES.read_text(encoding="utf-8")
    broken = tmp_path / "demo_phrases.toml"
    broken.write_text(edit(source), encoding="utf-8")
    assert broken.read_text(encoding="utf-8") != source
    with pytest.raises(ValueError, match=message):
        make_demo.load_phrases(broken)


def test_readme_table_is_the_generated_one(make_demo, facts):
    readme = (CORPORA / "README.md").read_text(encoding="utf-8")
    table = make_demo.driver_table_markdown(facts)
    assert table in readme, "paste the output of `python corpora/make_demo.py --print-table` into the README"
    assert f"{facts['nps']['value']:+.1f}" in readme and f"{facts['csat']['value']:.1f}%" in readme


# --- the survey file -------------------------------------------------------------------------------


def test_survey_shape(survey):
    assert list(survey.columns) == ["id", "submitted_at", "channel", "region", "nps", "csat", "comment"]
    assert len(survey) >= 2000
    assert survey["id"].tolist() == [f"R{i:05d}" for i in range(1, len(survey) + 1)]
    ts = pd.to_datetime(survey["submitted_at"], format="ISO8601")
    assert ts.is_monotonic_increasing
    assert sorted(ts.dt.strftime("%Y-%m").unique()) == [f"2026-{m:02d}" for m in range(4, 10)]
    assert set(survey["channel"]) == {"app", "web", "miniprogram", "store"}
    assert set(survey["region"]) == {"华东", "华南", "华北", "台湾", "香港"}
    assert (CORPORA / "demo_survey.csv").stat().st_size < 1_000_000


def test_score_quirks_are_exactly_as_documented(survey, facts):
    nps = survey["nps"]
    valid = nps[nps.str.fullmatch(r"\d+")].astype(int)
    valid = valid[valid <= 10]
    assert len(valid) == facts["nps"]["n_valid"]
    assert (nps == "").sum() == facts["nps"]["blank"] == 52
    junk = nps[(nps != "") & ~nps.index.isin(valid.index)].value_counts().to_dict()
    assert junk == facts["nps"]["junk"] == {"N/A": 4, "10分": 3, "11": 3}
    csat = survey["csat"]
    assert (csat == "").sum() == facts["csat"]["blank"] == 49
    assert set(csat[csat != ""]) == {"1", "2", "3", "4", "5"}


@pytest.mark.parametrize("pattern, count", [
    (r"1[3-9]\d[- ]?\d{4}[- ]?\d{4}", 2),  # mainland mobile numbers
    (r"09\d{2}-\d{3}-\d{3}", 1),  # Taiwan mobile
    (r"(?<!\d)\d{4} \d{4}(?!\d)", 1),  # Hong Kong
    (r"[\w.]+@example\.com", 2),
])
def test_fake_contact_details_for_the_redaction_demo(survey, pattern, count):
    assert survey["comment"].str.contains(pattern, regex=True).sum() == count


@pytest.mark.parametrize("answer", ["", " ", "无", "没有", "。。。", "👍👍👍", "冇", "無"])
def test_non_answers_are_there(survey, answer):
    assert (survey["comment"] == answer).any()


def test_comments_vary_like_a_real_survey(survey):
    comments = survey["comment"]
    lengths = comments.str.len()
    assert lengths.max() <= 130 and lengths.median() >= 10
    assert (lengths >= 60).sum() >= 20
    assert comments.nunique() / len(comments) > 0.75
    assert comments.str.contains("\n").sum() >= 3  # multi-line answers need CSV quoting
    assert comments.str.contains(r"\[赞\]|\[捂脸\]|👍|😡", regex=True).sum() >= 50


# --- scripts per region ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converters():
    return {name: opencc.OpenCC(f"{name}.json") for name in ("t2s", "s2t")}


@pytest.mark.parametrize("region", ["华东", "华南", "华北"])
def test_mainland_rows_are_simplified(survey, converters, region):
    comments = survey.loc[survey["region"] == region, "comment"]
    changed = [c for c in comments if converters["t2s"].convert(c) != c]
    assert changed == []


@pytest.mark.parametrize("region", ["台湾", "香港"])
def test_taiwan_and_hong_kong_rows_are_traditional(survey, converters, region):
    comments = survey.loc[survey["region"] == region, "comment"]
    simplified_only = {
        ch for c in comments for ch in set(c) if CJK.match(ch) and converters["s2t"].convert(ch) != ch
    }
    assert simplified_only <= SHARED
    long = [c for c in comments if len(CJK.findall(c)) >= 6]
    traditional = [c for c in long if converters["t2s"].convert(c) != c]
    assert len(traditional) / len(long) > 0.9


@pytest.mark.parametrize("region, words, absent", [
    ("台湾", ["宅配", "超商取貨", "黑貓", "CP值", "客服態度", "品質", "外送員"], ["唔", "嘅", "咗", "质量"]),
    ("香港", ["唔", "冇", "咗", "嘅", "好抵", "唔抵", "啲", "真係", "但係", "送貨", "速遞"], ["宅配", "CP值", "质量"]),
    ("华东", ["物流", "性价比", "客服态度", "yyds", "绝绝子", "踩雷", "划算", "不过"], ["唔", "冇", "宅配"]),
])
def test_regional_vocabulary(survey, region, words, absent):
    text = "\n".join(survey.loc[survey["region"] == region, "comment"])
    assert [w for w in words if w not in text] == []
    assert [w for w in absent if w in text] == []


# --- truth -------------------------------------------------------------------------------------------


def test_truth_rows_align_with_the_survey(survey, truth):
    expected = ["id", "text", "themes", "subthemes", *THEMES, "ignore", "overall", "mentions"]
    assert list(truth.columns) == expected
    assert truth["id"].tolist() == survey["id"].tolist()
    assert truth["text"].tolist() == survey["comment"].tolist()
    for row in truth.itertuples(index=False):
        themes = [t for t in row.themes.split(";") if t]
        assert themes == [t for t in THEMES if getattr(row, t)]
        assert all(getattr(row, t) in ("", "positive", "neutral", "negative") for t in THEMES)
        subs = [s for s in row.subthemes.split(";") if s]
        assert sorted({s.split(".")[0] for s in subs}) == sorted(themes)
        assert [m.split(":")[0] for m in row.mentions.split(";") if m] == subs
        assert row.overall in (("",) if not row.text.strip() else ("positive", "neutral", "negative"))


@pytest.mark.parametrize("text, themes", [
    ("东西没有漏", "logistics"), ("客服态度很差", "service"), ("CP值很高", "price"), ("唔係好好食", "product"),
])
def test_truth_labels_known_phrases(truth, text, themes):
    hits = truth[truth["text"].str.contains(text, regex=False)]
    assert len(hits) > 0
    assert all(themes in t.split(";") for t in hits["themes"])


def _nps(scores: pd.Series) -> float:
    return 100 * ((scores >= 9).mean() - (scores <= 6).mean())


def _csat(scores: pd.Series) -> float:
    return 100 * (scores >= 4).mean()


@pytest.fixture(scope="module")
def joined(survey, truth) -> pd.DataFrame:
    nps = pd.to_numeric(survey["nps"].where(survey["nps"].str.fullmatch(r"\d+")), errors="coerce")
    return truth.assign(
        nps=nps.where(nps <= 10),
        csat=pd.to_numeric(survey["csat"].replace("", None), errors="coerce"),
        region=survey["region"],
        month=survey["submitted_at"].str[:7],
    )


def _group(joined: pd.DataFrame, driver: str) -> pd.Series:
    name, polarity = driver.split(":")
    if "." in name:
        return joined["mentions"].str.split(";").map(lambda ms: driver in ms)
    return joined[name] == polarity


def test_truth_json_recomputes_from_the_csv_files(joined, facts):
    assert facts["nps"]["value"] == pytest.approx(_nps(joined["nps"].dropna()), abs=0.01)
    assert facts["csat"]["value"] == pytest.approx(_csat(joined["csat"].dropna()), abs=0.01)
    assert len(facts["drivers"]) >= 30
    for d in facts["drivers"]:
        g = _group(joined, d["driver"])
        assert d["n"] == g.sum(), d["driver"]
        for metric, fn in (("nps", _nps), ("csat", _csat)):
            inside, rest = joined.loc[g, metric].dropna(), joined.loc[~g, metric].dropna()
            everyone = joined[metric].dropna()
            assert d[metric]["gap"] == pytest.approx(fn(inside) - fn(rest), abs=0.01), d["driver"]
            assert d[metric]["impact"] == pytest.approx(fn(everyone) - fn(rest), abs=0.01), d["driver"]


def test_planted_drivers_have_the_documented_sign(facts):
    planted = [d for d in facts["drivers"] if d["planted"]]
    assert len(planted) == len(facts["model"]["effects"]) == 13
    for d in planted:  # CSAT shifts of the minor drivers are within noise: only headline ones are checked
        for metric in ("nps", "csat") if d["headline"] else ("nps",):
            sign = 1 if d[f"{metric}_shift"] > 0 else -1
            assert d[metric]["gap"] * sign > 0, (d["driver"], metric)
            assert d[metric]["impact"] * sign > 0, (d["driver"], metric)


@pytest.mark.parametrize("driver, share, min_gap", [
    ("logistics.delivery_speed:negative", 0.18, 40),
    ("service:negative", 0.12, 30),
    ("price.value_for_money:positive", 0.15, 10),
    ("product.quality:negative", 0.10, 30),
    ("product:positive", 0.20, 10),
])
def test_headline_drivers(facts, driver, share, min_gap):
    d = {d["driver"]: d for d in facts["drivers"]}[driver]
    assert d["headline"]
    assert d["share"] == pytest.approx(share, abs=0.03)
    assert abs(d["nps"]["gap"]) >= min_gap


def test_service_matters_more_for_csat_than_delivery(facts):
    d = {d["driver"]: d for d in facts["drivers"]}
    speed, service = d["logistics.delivery_speed:negative"], d["service:negative"]
    assert abs(speed["nps"]["gap"]) > abs(service["nps"]["gap"])
    assert abs(service["csat"]["gap"]) > abs(speed["csat"]["gap"])


def test_segment_effect_south_china_has_more_delivery_complaints(joined):
    late = joined["mentions"].str.contains("logistics.delivery_speed:negative", regex=False)
    share = late.groupby(joined["region"]).mean()
    assert share["华南"] > 1.3 * share.drop("华南").max()
    nps = joined.groupby("region")["nps"].apply(lambda s: _nps(s.dropna()))
    assert nps["华南"] == nps.min()


def test_time_effect_complaints_jump_after_the_carrier_change(joined):
    late = joined["mentions"].str.contains("logistics.delivery_speed:negative", regex=False)
    share = late.groupby(joined["month"]).mean()
    before = share[["2026-04", "2026-05", "2026-06", "2026-07"]]
    assert share["2026-08"] > 1.4 * before.max()
    assert share["2026-09"] > before.mean()
    nps = joined.groupby("month")["nps"].apply(lambda s: _nps(s.dropna()))
    assert nps["2026-08"] == nps.min()


# --- survey-tool exports ------------------------------------------------------------------------------


def test_qualtrics_export(survey):
    raw = (CORPORA / "demo_qualtrics.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, labels, import_ids, data = rows[0], rows[1], rows[2], rows[3:]
    assert header[:9] == ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
                          "Finished", "RecordedDate", "ResponseId"]
    assert {"Q1", "Q1_NPS_GROUP", "Q2", "Q3", "Q4"} <= set(header)
    assert all(json.loads(cell)["ImportId"] for cell in import_ids)
    assert json.loads(import_ids[0]) == {"ImportId": "startDate", "timeZone": "Asia/Shanghai"}
    assert labels[header.index("Q3")] == "请写下您的意见或建议"
    assert len(data) == 60
    frame = pd.DataFrame(data, columns=header).set_index("ExternalReference")
    first = survey.set_index("id").loc[frame.index]
    assert frame["Q3"].tolist() == first["comment"].tolist()
    assert set(frame["Q1"]) <= {"", *map(str, range(11))}
    assert frame["ResponseId"].str.fullmatch(r"R_[A-Za-z0-9]{15}").all()


def test_wjx_export_is_gb18030_with_skip_codes(survey):
    raw = (CORPORA / "demo_wjx.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    frame = pd.read_csv(io.BytesIO(raw), encoding="gb18030", dtype=str, keep_default_na=False)
    assert list(frame.columns[:6]) == ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
    assert frame.columns[6] == "1、您向朋友或同事推荐我们的可能性有多大？"
    assert len(frame) == 60
    assert frame["所用时间"].str.fullmatch(r"\d+秒").all()
    assert frame["来自IP"].str.fullmatch(r"\d+\.\d+\.x\.x\(.+-.+\)").all()
    assert frame.iloc[:, 8].str.contains("┋").any()
    answers = frame.iloc[:, 6:10]
    assert (answers == "-3").sum().tolist() == [3, 2, 0, 1]  # as corpora/README.md says
    assert (answers == "-2").sum().tolist() == [0, 0, 0, 2]
    xlsx = _xlsx_values(CORPORA / "demo_wjx.xlsx")
    assert [str(c) for c in xlsx[0]] == list(frame.columns)
    assert [[str(c) for c in row] for row in xlsx[1:]] == frame.to_numpy().tolist()


def test_surveymonkey_export():
    rows = list(csv.reader(io.StringIO((CORPORA / "demo_surveymonkey.csv").read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["Respondent ID", "Collector ID", "Start Date"]
    assert rows[1][-4:] == ["Response", "Response", "Response", "Open-Ended Response"]
    assert len(rows) == 62
