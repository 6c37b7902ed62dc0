"""The optional compiled helpers (built by setup.py from voc/*.pyx), each None where it is not built.

One place for the import guards: voc/linear.py, voc/segment.py, voc/normalise.py and voc/sentiment.py
use a helper when it is here and their own Python (numpy, pyahocorasick, regular expressions) when not.
"""
from __future__ import annotations

import importlib
from types import ModuleType


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"voc.{name}")
    except ImportError:  # pragma: no cover - depends on the build
        return None


_ngram = _optional("_ngram")  #: character n-gram model scores (voc/_ngram.pyx)
_phrases = _optional("_phrases")  #: phrase matching over a hash table of phrase prefixes (voc/_phrases.pyx)
_scan = _optional("_scan")  #: single-pass text checks (voc/_scan.pyx)
