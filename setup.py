"""Build step: compile voc's per-text hot path with Cython (optional; pure Python works the same).

Everything else about the package is in pyproject.toml. The modules in ``COMPILED`` are the stages every
text goes through (normalise -> segment -> sentiment/themes -> pipeline, and the linear model). Cython
compiles them unchanged, as plain Python: the same code, the same results (the test suite runs on the
compiled build), about 15-25% less CPU per text. If no C compiler is available, the extensions are
skipped (``optional``) and voc runs as pure Python. ``VOC_PURE_PYTHON=1`` skips them on purpose.

The .py files stay the source of truth: after editing one, rebuild (``make install`` does it when a
source is newer than its build) - a stale extension would shadow the edited file.
"""
from __future__ import annotations

import os

from setuptools import setup

# plain modules compiled unchanged: none for now. All six together saved about 15% of CPU per text (callgrind,
# 2026-12-02) for 2 min 44 s of compiling on a fresh machine; a module comes back here only when a benchmark
# shows it alone gains at least 10%
COMPILED: list[str] = []


def extensions() -> list:
    if os.environ.get("VOC_PURE_PYTHON"):
        return []
    from Cython.Build import cythonize
    from setuptools import Extension

    modules = [Extension(f"voc.{name}", [f"voc/{name}.py"], optional=True) for name in COMPILED]
    # written for Cython (typed, one pass per text): char n-gram model scores, phrase matching, text
    # checks; without them voc/linear.py scores with numpy, voc/segment.py matches with pyahocorasick,
    # voc/normalise.py and voc/segment.py use their regular expressions and iterators
    modules += [Extension(f"voc.{name}", [f"voc/{name}.pyx"], optional=True) for name in ("_ngram", "_phrases", "_scan")]
    # annotation_typing off: type hints stay hints (Cython would otherwise enforce them, e.g. a name
    # annotated as dict and later bound to a list); binding keeps functions introspectable like Python's
    return cythonize(modules, language_level=3, quiet=True, nthreads=os.cpu_count() or 1,
                     compiler_directives={"annotation_typing": False, "binding": True})


setup(ext_modules=extensions())
