"""Domain experts over a sentiment model's own features: a gate per domain and a polarity scorer.

:class:`DomainExperts` wraps a fitted multiclass :class:`~voc.models.estimator.LinearTextModel`; it is
how the shipped sentiment model (``lexicons/models/sentiment``) corrects itself on food-delivery texts.
Scoring needs numpy only; fitting imports scikit-learn. Saving and loading is :mod:`voc.models.store`.
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import ConfigError, InputError
from voc.models.estimator import LinearTextModel, _as_list, _as_texts
from voc.models.kernel import logistic, sigmoid

__all__ = ["DomainExperts"]

_FEW = 8  # DomainExperts mixes the probabilities of at most this many texts with plain floats


class DomainExperts:
    """A multiclass :class:`LinearTextModel` plus positive-vs-negative experts for some domains.

    Each expert scores the base model's own TF-IDF features twice: a *gate* (a logistic scorer of "this
    text comes from my domain", e.g. food delivery) and a *polarity* scorer fitted on that domain's texts
    only. Where the gate is open, the expert's positive-vs-negative odds replace part of the base model's:

        p = (1 − Σ wₑ) · p_base + Σ wₑ · pₑ,   wₑ = weightₑ · gateₑ(text)

    where pₑ keeps the base model's p(neutral) and splits the rest by the expert's p(positive). Texts of
    other domains (gate near 0) keep the base probabilities. The features are counted once for the base
    model and all experts (a few more dot products per text); scoring needs numpy only.

    Saved next to the base model as ``experts.json`` (format, domains, weights, card) and ``experts.npz``
    (``gate_coef``, ``gate_intercept``, ``coef``, ``intercept``: float32, one row per expert).

    Example:
        >>> texts = ["味道很好", "很难吃", "房间干净", "房间很脏"]
        >>> y = ["positive", "negative", "positive", "negative"]
        >>> base = LinearTextModel(min_df=1).fit(texts, y)
        >>> m = DomainExperts.fit(base, texts, y, [True, True, False, False], domain="food", weight=0.5)
        >>> m.predict(["味道很好"])
        ['positive']
    """

    def __init__(self, base: LinearTextModel, domains: Sequence[str], weights: Sequence[float],
                 gate_coef: np.ndarray, gate_intercept: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 card: dict[str, Any] | None = None) -> None:
        base._check_fitted()
        if base.kind != "multiclass" or not {"positive", "negative"} <= set(base.classes_):
            raise ConfigError("domain experts need a multiclass base model with 'positive' and 'negative' "
                              "classes")
        n_exp, n_feat = len(domains), len(base.idf_)
        arrays = {"gate_coef": (gate_coef, (n_exp, n_feat)), "gate_intercept": (gate_intercept, (n_exp,)),
                  "coef": (coef, (n_exp, n_feat)), "intercept": (intercept, (n_exp,))}
        for name, (arr, shape) in arrays.items():
            if np.shape(arr) != shape:
                raise ConfigError(f"domain experts: '{name}' has shape {np.shape(arr)}; expected {shape} "
                                  f"({n_exp} experts over the base model's {n_feat} features)")
        w = [float(x) for x in weights]
        if len(w) != n_exp or any(not 0 <= x <= 1 for x in w) or sum(w) > 1 + 1e-9:
            raise ConfigError(f"domain experts: weights {weights!r} must be one number in [0, 1] per domain, "
                              "summing to at most 1")
        self.base = base
        self.domains = [str(d) for d in domains]
        self.weights = np.asarray(w, dtype=np.float64)
        self.expert_card_ = dict(card or {})  #: the experts' own metadata (experts.json "card")
        # one matrix: the base classes, then the gates, then the experts (one pass over the features)
        self._coef = np.ascontiguousarray(np.vstack([base.coef_, gate_coef, coef]), dtype=np.float32)
        self._intercept = np.concatenate([base.intercept_, gate_intercept, intercept]).astype(np.float32)
        self._pos, self._neg = base.classes_.index("positive"), base.classes_.index("negative")

    @property
    def classes_(self) -> list[str]:
        return self.base.classes_

    @property
    def kind(self) -> str:
        return self.base.kind

    @property
    def card_(self) -> dict[str, Any]:
        """The base model's card, with the experts' own under ``"experts"``."""
        return {**self.base.card_, "experts": {"domains": self.domains, "weights": self.weights.tolist(),
                                               **self.expert_card_}}

    @classmethod
    def fit(cls, base: LinearTextModel, texts: Sequence[str], y: Sequence[str], in_domain: Sequence[bool], *,
            domain: str, weight: float, C_gate: float = 6.0, C_expert: float = 2.0,
            card: dict[str, Any] | None = None, random_state: int | None = 0) -> DomainExperts:
        """Fit one expert over ``base``'s features: a gate (``in_domain`` vs not, all texts) and a
        positive-vs-negative scorer (the in-domain texts labelled ``positive`` or ``negative``).

        Args:
            base: the fitted multiclass model whose features (vocabulary, idf) the expert shares.
            texts, y: normalised texts and their labels (other labels than positive/negative are only
                used by the gate).
            in_domain: per text, whether it belongs to the expert's domain.
            domain: a name for the domain; weight: the expert's share where the gate is fully open.
            C_gate, C_expert: inverse regularisation strengths of the two logistic regressions.
        """
        from sklearn.linear_model import LogisticRegression

        docs = _as_texts(texts, what="texts")
        labels = np.asarray([str(v) for v in _as_list(y)])
        dom = np.asarray(list(in_domain), dtype=bool)
        if not (len(labels) == len(dom) == len(docs)):
            raise InputError(f"got {len(docs)} texts, {len(labels)} labels and {len(dom)} in_domain flags")
        polar = dom & np.isin(labels, ["positive", "negative"])
        if dom.all() or not dom.any() or len(set(labels[polar])) < 2:
            raise InputError("an expert needs in-domain and other texts, and in-domain positive and negative "
                             "ones")
        X = base.transform(docs)
        gate = LogisticRegression(C=C_gate, max_iter=2000, random_state=random_state).fit(X, dom.astype(int))
        expert = LogisticRegression(C=C_expert, max_iter=2000, random_state=random_state).fit(
            X[np.flatnonzero(polar)], (labels[polar] == "positive").astype(int))
        return cls(base, [domain], [weight], gate.coef_.astype(np.float32),
                   gate.intercept_.astype(np.float32),
                   expert.coef_.astype(np.float32), expert.intercept_.astype(np.float32),
                   card={"C_gate": C_gate, "C_expert": C_expert, **(card or {})})

    def gates(self, texts: Sequence[str]) -> np.ndarray:
        """Gate value per text and expert, shape (n_texts, n_experts), in [0, 1]."""
        n_cls = len(self.base.classes_)
        z = self.base._linear_scores(texts, self._coef[n_cls:n_cls + len(self.domains)],
                                     self._intercept[n_cls:n_cls + len(self.domains)])
        return logistic(z)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities in the base model's class order, shape (n_texts, n_classes)."""
        n_cls, n_exp = len(self.base.classes_), len(self.domains)
        z = self.base._linear_scores(texts, self._coef, self._intercept)
        if len(z) <= _FEW:
            rows = [self._mix_row(row) for row in z.tolist()]
            return np.array(rows, dtype=np.float64).reshape(len(z), n_cls)
        base = z[:, :n_cls]
        proba = np.exp(base - base.max(axis=1, keepdims=True))
        proba /= proba.sum(axis=1, keepdims=True)
        w = logistic(z[:, n_cls:n_cls + n_exp]) * self.weights  # (n, n_exp)
        p_exp = logistic(z[:, n_cls + n_exp:])  # expert p(positive), (n, n_exp)
        polar = proba[:, self._pos] + proba[:, self._neg]  # 1 - p(neutral and any other class)
        keep = 1.0 - w.sum(axis=1)
        pos = keep * proba[:, self._pos] + polar * (w * p_exp).sum(axis=1)
        neg = keep * proba[:, self._neg] + polar * (w * (1.0 - p_exp)).sum(axis=1)
        proba[:, self._pos], proba[:, self._neg] = pos, neg
        return proba

    def _mix_row(self, z: list[float]) -> list[float]:
        """:meth:`predict_proba` of one text from its scores, with plain floats (a single text or a few:
        numpy's per-call overhead would cost more than the arithmetic)."""
        n_cls, n_exp = len(self.base.classes_), len(self.domains)
        top = max(z[:n_cls])
        e = [math.exp(v - top) for v in z[:n_cls]]
        total = sum(e)
        proba = [v / total for v in e]
        polar = proba[self._pos] + proba[self._neg]
        keep, pos, neg = 1.0, 0.0, 0.0
        for k in range(n_exp):
            w = float(self.weights[k]) * sigmoid(z[n_cls + k])
            p = sigmoid(z[n_cls + n_exp + k])
            keep -= w
            pos += w * p
            neg += w * (1.0 - p)
        proba[self._pos] = keep * proba[self._pos] + polar * pos
        proba[self._neg] = keep * proba[self._neg] + polar * neg
        return proba

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Most probable class per text."""
        return [self.classes_[k] for k in self.predict_proba(texts).argmax(axis=1)]

    def save(self, directory: str | os.PathLike[str], *, card: dict[str, Any] | None = None,
             with_base: bool = True) -> Path:
        """Write the base model (``model.json``, ``arrays.npz``; not with ``with_base=False``, e.g. when
        the base model is already there) and ``experts.json`` + ``experts.npz``.

        Raises:
            ConfigError: ``directory`` is an existing file or cannot be written.
        """
        from voc.models.store import save_experts

        return save_experts(self, directory, card=card, with_base=with_base)

    @classmethod
    def load(cls, directory: str | os.PathLike[str] | Traversable) -> DomainExperts:
        """Read a directory written by :meth:`save` (the base model and its experts).

        Raises:
            ConfigError: a file is missing or damaged, the folder holds a pickle, or the experts do not
                fit the base model.
        """
        from voc.models.store import load_experts

        return load_experts(directory, cls)
