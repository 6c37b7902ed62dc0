"""voc's learned models: linear text models, domain experts, their storage and ``voc train`` / ``voc eval``.

=========================  ====================================================================
:mod:`.estimator`          :class:`LinearTextModel`: TF-IDF n-grams + logistic regression
:mod:`.experts`            :class:`DomainExperts`: gated per-domain polarity experts over a base model
:mod:`.kernel`             character n-gram counting and scoring (numpy, or the compiled ``voc._ngram``)
:mod:`.store`              save / load as JSON + ``.npz`` (never pickle), :func:`load_model_dir`
:mod:`.training`           :func:`train` and :func:`evaluate` on labelled frames (imports pandas)
=========================  ====================================================================

Names are imported on first use, so ``import voc.models`` loads nothing; tagging workers reach the
estimator, experts and kernel without pandas, scipy or scikit-learn.

Example:
    >>> from voc.models import LinearTextModel
    >>> LinearTextModel(min_df=1).fit(["好吃", "难吃"], ["positive", "negative"]).predict(["很好吃"])
    ['positive']
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ARRAYS": "voc.models.store",
    "DomainExperts": "voc.models.experts",
    "EXPERTS_ARRAYS": "voc.models.store",
    "EXPERTS_JSON": "voc.models.store",
    "EvalResult": "voc.models.training",
    "FORMAT": "voc.models.store",
    "FORMAT_VERSION": "voc.models.store",
    "LinearTextModel": "voc.models.estimator",
    "MANIFEST": "voc.models.store",
    "MODEL_JSON": "voc.models.store",
    "evaluate": "voc.models.training",
    "load_default_sentiment_model": "voc.models.store",
    "load_model_dir": "voc.models.store",
    "train": "voc.models.training",
}

__all__ = ["ARRAYS", "EXPERTS_ARRAYS", "EXPERTS_JSON", "FORMAT", "FORMAT_VERSION", "MANIFEST", "MODEL_JSON",
           "DomainExperts", "EvalResult", "LinearTextModel", "evaluate", "load_default_sentiment_model",
           "load_model_dir", "train"]

if TYPE_CHECKING:
    from voc.models.estimator import LinearTextModel
    from voc.models.experts import DomainExperts
    from voc.models.store import (
        ARRAYS,
        EXPERTS_ARRAYS,
        EXPERTS_JSON,
        FORMAT,
        FORMAT_VERSION,
        MANIFEST,
        MODEL_JSON,
        load_default_sentiment_model,
        load_model_dir,
    )
    from voc.models.training import EvalResult, evaluate, train


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'voc.models' has no attribute {name!r}")
