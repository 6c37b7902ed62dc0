"""voc: voice-of-customer analytics for Chinese feedback (Simplified, Taiwan and Hong Kong Chinese).

Read survey exports, normalise and segment the text, tag driver themes with per-theme sentiment, and
explain NPS and CSAT with honest statistics.

Example:
    >>> import voc
    >>> r = voc.tag("物流太慢了")
    >>> r.themes, r.sentiment
    (('logistics',), 'negative')

Nothing heavy runs at import: names are loaded on first use, so ``import voc`` stays fast.
"""
from __future__ import annotations

import threading
from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Config": "voc.config",
    "VocError": "voc.errors",
    "InputError": "voc.errors",
    "ConfigError": "voc.errors",
    "NotFittedError": "voc.errors",
    "DataQualityWarning": "voc.errors",
    "read_responses": "voc.ingest",
    "iter_responses": "voc.ingest",
    "write_frame": "voc.output",
    "supported_input_formats": "voc.ingest",
    "supported_output_formats": "voc.output",
    "Normaliser": "voc.normalise",
    "Normalised": "voc.normalise",
    "Segmenter": "voc.segment",
    "Codeframe": "voc.codeframe",
    "load_codeframe": "voc.codeframe",
    "SentimentAnalyzer": "voc.sentiment",
    "ThemeTagger": "voc.themes",
    "LinearTextModel": "voc.models.estimator",
    "Pipeline": "voc.pipeline",
    "TagResult": "voc.results",
    "Mention": "voc.results",
    "segment_texts": "voc.pipeline",
    "nps": "voc.metrics",
    "csat": "voc.metrics",
    "ces": "voc.metrics",
    "Score": "voc.metrics",
    "driver_table": "voc.drivers",
    "follow_up": "voc.drivers",
    "Report": "voc.report",
    "analyse": "voc.analysis",
    "Analysis": "voc.analysis",
    "train": "voc.models.training",
    "evaluate": "voc.models.training",
}

__all__ = sorted([*_EXPORTS, "tag", "__version__"])

_default_lock = threading.Lock()
_default: dict[str, Any] = {}

if TYPE_CHECKING:
    from voc.pipeline import TagResult


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'voc' has no attribute {name!r}")


def tag(text: str) -> TagResult:
    """Themes, sentiment and evidence of one text with the default settings.

    Uses one shared default :class:`voc.Pipeline`, created on first call (thread-safe). Build your own
    ``voc.Pipeline(config)`` for other settings.
    """
    pipe = _default.get("pipeline")
    if pipe is None:
        with _default_lock:
            pipe = _default.get("pipeline")
            if pipe is None:
                from voc.pipeline import Pipeline

                pipe = _default["pipeline"] = Pipeline()
    return pipe.tag(text)
