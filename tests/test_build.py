"""The Cython build of the hot path (setup.py): fresh, and the same results as the plain Python source."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from voc.pipeline import Pipeline

VOC = Path(__file__).resolve().parent.parent / "voc"
DEMO = VOC.parent / "corpora" / "demo_survey.csv"


def _extensions() -> dict[str, Path]:
    """voc modules with a compiled extension next to their source: {module name: extension file}."""
    return {p.name.split(".")[0]: p for suffix in EXTENSION_SUFFIXES for p in VOC.glob(f"*{suffix}")}


def test_compiled_modules_are_not_older_than_their_source() -> None:
    sources = {name: next(p for p in (VOC / f"{name}.py", VOC / f"{name}.pyx") if p.exists())
               for name in _extensions()}
    stale = [src.name for name, src in sources.items() if src.stat().st_mtime > _extensions()[name].stat().st_mtime]
    assert not stale, f"voc/{stale[0]} is newer than its compiled build: run `make install` to rebuild it"


# runs voc with every voc.* module imported from its .py source, never from a compiled extension
_PURE = r"""
import importlib.util, json, sys
from pathlib import Path

class SourceOnly:
    def find_spec(self, name, path=None, target=None):
        if name.startswith("voc.") and name.count(".") == 1:
            src = Path(sys.argv[1]) / (name.split(".")[1] + ".py")
            if src.exists():
                return importlib.util.spec_from_file_location(name, src)
            if src.with_suffix(".pyx").exists():  # written for Cython only: as if it were not built
                raise ImportError(f"{name} is not built")
        return None

sys.meta_path.insert(0, SourceOnly())
import voc, voc.pipeline
texts = json.load(sys.stdin)
cells = voc.Pipeline()._tag_cells(texts)
assert all(getattr(m, "__file__", "").endswith(".py") for n, m in sys.modules.items() if n.startswith("voc."))
print(json.dumps([list(c) for c in cells], ensure_ascii=False))
"""


def _demo_texts(n: int) -> list[str]:
    with DEMO.open(encoding="utf-8") as f:
        return [row["comment"] for row, _ in zip(csv.DictReader(f), range(n))]


@pytest.mark.skipif(not _extensions(), reason="voc runs as plain Python here (no compiled build)")
def test_compiled_build_gives_the_results_of_the_python_source(pipeline: Pipeline) -> None:
    texts = _demo_texts(400) + ["物流很快，但是客服态度很差", "CP值超高，宅配隔天就到", "唔抵食，冇下次", "", "😀"]
    import voc._accel as accel

    assert any(m is not None and Path(m.__file__).suffix != ".py"
               for m in (accel._ngram, getattr(accel, "_phrases", None), getattr(accel, "_scan", None)))
    done = subprocess.run([sys.executable, "-c", _PURE, str(VOC)], input=json.dumps(texts),
                          capture_output=True, text=True, check=True)
    pure = json.loads(done.stdout)
    compiled = [list(c) for c in pipeline._tag_cells(texts)]
    assert len(pure) == len(texts)
    assert pure == compiled
