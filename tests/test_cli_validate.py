"""`voc sample` -> labels -> `voc drivers --validated`, run as a user runs them (subprocess)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

DEMO = Path(__file__).resolve().parent.parent / "corpora" / "demo_survey.csv"


def _voc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voc", *args], capture_output=True, text=True, timeout=300)


def test_sample_then_validated_drivers(tmp_path: Path) -> None:
    sheet = tmp_path / "to_label.csv"
    done = _voc("sample", str(DEMO), "--text", "comment", "--id", "id", "-n", "300", "--seed", "3", "--prefill",
                "-o", str(sheet))
    assert done.returncode == 0, done.stderr
    labels = pd.read_csv(sheet, dtype=str, keep_default_na=False)
    assert len(labels) == 300 and labels["id"].is_unique
    assert {"themes", "overall", "inclusion_probability", "predicted_themes"} <= set(labels.columns)
    # the analyst corrects the sheet: here, every logistics label is removed (the tagger over-tags it)
    labels["themes"] = labels["themes"].str.split(";").map(lambda ts: ";".join(t for t in ts if t != "logistics"))
    labels["logistics"] = ""
    labels.to_csv(sheet, index=False)
    out = tmp_path / "drivers.csv"
    done = _voc("drivers", str(DEMO), "--text", "comment", "--id", "id", "--score", "nps", "--drop-invalid",
                "--validated", str(sheet), "-o", str(out))
    assert done.returncode == 0, done.stderr
    t = pd.read_csv(out).set_index(["theme", "polarity"])
    assert {"impact_validated", "impact_validated_ci_low", "tagger_precision", "validated_note"} <= set(t.columns)
    assert t.loc[("price", "any"), "tagger_recall"] == 1.0
    # no true logistics mention among the labels: the tagger's precision there is 0 and no figure is given
    assert t.loc[("logistics", "any"), "tagger_precision"] == 0.0
    assert pd.isna(t.loc[("logistics", "any"), "impact_validated"])


def test_validated_labels_with_a_bad_polarity_exit_2(tmp_path: Path) -> None:
    sheet = tmp_path / "labels.csv"
    pd.DataFrame({"id": ["1"], "text": ["物流太慢"], "themes": ["logistics"], "logistics": ["很差"],
                  "overall": ["negative"]}).to_csv(sheet, index=False)
    done = _voc("drivers", str(DEMO), "--text", "comment", "--id", "id", "--score", "nps", "--drop-invalid",
                "--validated", str(sheet), "-o", str(tmp_path / "d.csv"))
    assert done.returncode == 2 and "很差" in done.stderr
    assert not (tmp_path / "d.csv").exists()
