"""Small, fast, pickle-free linear text models: TF-IDF n-grams + logistic regression.

:class:`LinearTextModel` follows the scikit-learn estimator contract (``__init__`` stores arguments,
``fit`` sets ``attr_`` and returns ``self``). It is used for the shipped overall-sentiment model
(``lexicons/models/sentiment``) and for the multi-label theme models that ``voc train`` fits.

Texts are expected to be normalised already (:class:`voc.normalise.Normaliser`): Simplified script,
NFKC, PII placeholders. Character n-grams need no word segmentation, which suits Chinese; the
``"word"`` analyzer takes pre-tokenised text with tokens joined by spaces.

A saved model is a directory holding two files a user can inspect:

- ``model.json``: format name and version, parameters, classes, thresholds, card (metadata) and the
  vocabulary as a list in column order;
- ``arrays.npz``: ``idf`` (n_features,), ``coef`` (n_classes, n_features) and ``intercept`` (n_classes,),
  float32, written with :func:`numpy.savez_compressed` and read with ``allow_pickle=False``.

Example:
    >>> m = LinearTextModel(min_df=1).fit(["味道很好", "很难吃", "好吃", "太难吃了"],
    ...                                   ["positive", "negative", "positive", "negative"])
    >>> m.predict(["很好吃"])
    ['positive']
"""
from __future__ import annotations

import inspect
import io
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from voc.errors import ConfigError, InputError, NotFittedError

if TYPE_CHECKING:
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer

# scikit-learn and scipy are imported where a model is fitted, not at
# import: predicting with a loaded character model needs only numpy, which keeps `import voc` + first tag
# fast (scipy.sparse alone costs ~0.3 s of start-up).


class _Params:
    """scikit-learn's get_params/set_params contract (so ``sklearn.base.clone`` works) without importing it."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        names = [p.name for p in inspect.signature(type(self).__init__).parameters.values()
                 if p.name != "self" and p.kind == p.KEYWORD_ONLY]
        return {n: getattr(self, n) for n in names}

    def set_params(self, **params: Any) -> Any:
        valid = self.get_params()
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"invalid parameter {k!r} for {type(self).__name__}; valid: {sorted(valid)}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

__all__ = ["FORMAT", "FORMAT_VERSION", "DomainExperts", "LinearTextModel", "load_default_sentiment_model"]

FORMAT = "voc-linear-text-model"  #: the ``format`` field of model.json
FORMAT_VERSION = 1  #: the ``format_version`` this voc writes and reads
MODEL_JSON = "model.json"
ARRAYS = "arrays.npz"
KINDS = ("multiclass", "multilabel")
ANALYZERS = ("char_wb", "char", "word")
_WORD_PATTERN = r"(?u)\S+"  # "word" analyzer: pre-tokenised text, one token per space-separated piece
_THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.05), 2)
_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's vectorizers: runs of white space -> one space
_BATCH = 8192  # texts counted at once by the vectorised n-gram counter
_FEW = 8  # DomainExperts mixes the probabilities of at most this many texts with plain floats
_TF_TABLE = 256  # counts below this take their term weight from a table numpy computed (same float32 bits)
from voc._accel import _ngram  # noqa: E402 - the compiled scoring pass; the numpy path does the same without it


class LinearTextModel(_Params):
    """TF-IDF n-gram features + logistic regression, multi-class or multi-label, saved without pickle.

    Args:
        kind: ``"multiclass"`` (one label per text, softmax probabilities) or ``"multilabel"`` (any
            number of labels per text, one independent logistic regression per label).
        analyzer: ``"char_wb"`` / ``"char"`` (character n-grams, no segmentation needed) or ``"word"``
            (tokens of pre-tokenised, space-joined text).
        ngram_range: smallest and largest n-gram length.
        min_df: keep n-grams seen in at least this many training texts.
        max_features: keep at most this many n-grams (the most frequent ones).
        C: inverse regularisation strength of the logistic regression.
        class_weight: None, ``"balanced"`` or (multiclass only) a ``{label: weight}`` dict.
        sublinear_tf: use 1 + log(tf) instead of raw counts.
        lowercase: lowercase Latin letters before extracting n-grams.
        threshold: multilabel only: probability at or above which a label is predicted, or ``"auto"``
            to pick one threshold per label that maximises out-of-fold F1 (3-fold, grid 0.10..0.90).
        max_iter: iteration cap of the solver.
        random_state: seed for the solver and the folds of ``threshold="auto"``.

    Attributes (after ``fit`` or ``load``):
        classes_: label names, in the column order of ``predict_proba``.
        vocabulary_: ``{n-gram: column}``.
        idf_, coef_, intercept_: float32 arrays of shapes (F,), (n_classes, F), (n_classes,).
        thresholds_: per-label thresholds (multilabel) or None (multiclass).
        card_: metadata saved with the model (data sources, figures, ...).

    Example:
        >>> texts = ["物流很快", "客服态度差", "发货快，客服耐心", "快递太慢", "客服不理人", "送货及时"]
        >>> y = [["logistics"], ["service"], ["logistics", "service"], ["logistics"], ["service"],
        ...      ["logistics"]]
        >>> m = LinearTextModel(kind="multilabel", min_df=1, C=10.0).fit(texts, y)
        >>> m.classes_
        ['logistics', 'service']
    """

    def __init__(self, *, kind: str = "multiclass", analyzer: str = "char_wb",
                 ngram_range: tuple[int, int] = (1, 3), min_df: int = 2, max_features: int | None = 200_000,
                 C: float = 4.0, class_weight: str | dict[str, float] | None = None,
                 sublinear_tf: bool = True, lowercase: bool = True, threshold: float | str = 0.5,
                 max_iter: int = 2000, random_state: int | None = 0) -> None:
        self.kind = kind
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.class_weight = class_weight
        self.sublinear_tf = sublinear_tf
        self.lowercase = lowercase
        self.threshold = threshold
        self.max_iter = max_iter
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], y: Any, *, classes: Sequence[str] | None = None,
            sample_weight: Sequence[float] | np.ndarray | None = None) -> LinearTextModel:
        """Learn the vocabulary, idf weights and one linear scorer per class.

        Args:
            texts: normalised texts.
            y: multiclass: one label per text. Multilabel: one collection of labels per text (a bare
                string counts as one label), or a 2-D 0/1 indicator matrix with ``classes`` naming
                its columns.
            classes: column names of an indicator matrix (multilabel only).
            sample_weight: optional weight per text (e.g. to balance data sources).

        Returns:
            self, fitted.

        Example:
            >>> LinearTextModel(min_df=1).fit(["好", "差"], ["positive", "negative"]).classes_
            ['negative', 'positive']
        """
        self._check_params()
        docs = _as_texts(texts, what="texts")
        weights = None
        if sample_weight is not None:
            weights = np.asarray(sample_weight, dtype=np.float64)
            if weights.shape != (len(docs),):
                raise InputError(f"sample_weight has shape {weights.shape}; expected one weight per text "
                                 f"({len(docs)},)")
        if self.kind == "multiclass":
            labels = self._multiclass_labels(y, len(docs))
            vocab, idf, coef, intercept, class_names = self._fit_arrays(docs, labels, weights)
            thresholds = None
        else:
            Y, class_names = _indicator(y, len(docs), classes)
            vocab, idf, coef, intercept, _ = self._fit_arrays(docs, Y, weights)
            thresholds = self._thresholds(docs, Y, weights)
        self._set_state(class_names, vocab, idf, coef, intercept, thresholds, card={})
        return self

    def _check_params(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"kind={self.kind!r} is not supported; use one of {', '.join(KINDS)}")
        if self.analyzer not in ANALYZERS:
            raise ConfigError(f"analyzer={self.analyzer!r} is not supported; use one of {', '.join(ANALYZERS)}")
        lo, hi = _ngram_range(self.ngram_range)
        if not 1 <= lo <= hi:
            raise ConfigError(f"ngram_range={self.ngram_range!r} must be (low, high) with 1 <= low <= high")
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise ConfigError(f"C={self.C!r} must be a positive number")
        if self.kind == "multilabel" and isinstance(self.class_weight, dict):
            raise ConfigError("class_weight as a dict works only with kind='multiclass'; use 'balanced' or None")
        thr = self.threshold
        if not (thr == "auto" or (isinstance(thr, (int, float)) and 0 < thr < 1)):
            raise ConfigError(f"threshold={thr!r} must be a probability between 0 and 1, or 'auto'")

    @staticmethod
    def _multiclass_labels(y: Any, n: int) -> list[str]:
        labels = [str(v) for v in _as_list(y)]
        if len(labels) != n:
            raise InputError(f"got {n} texts but {len(labels)} labels; pass one label per text")
        if len(set(labels)) < 2:
            raise InputError(f"a multiclass model needs at least two different labels; got only {set(labels)}")
        return labels

    def _vectorizer(self, vocabulary: dict[str, int] | None = None) -> CountVectorizer:
        from sklearn.feature_extraction.text import CountVectorizer

        lo, hi = _ngram_range(self.ngram_range)
        fixed = vocabulary is not None
        return CountVectorizer(analyzer=self.analyzer, ngram_range=(lo, hi), lowercase=self.lowercase,
                               token_pattern=_WORD_PATTERN if self.analyzer == "word" else None,
                               vocabulary=vocabulary,
                               min_df=1 if fixed else self.min_df,
                               max_features=None if fixed else self.max_features, dtype=np.float32)

    def _fit_arrays(self, docs: list[str], target: Any, weights: np.ndarray | None
                    ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Vocabulary, idf, coef, intercept (float32) and class names for one training set."""
        import scipy.sparse as sp
        from sklearn.linear_model import LogisticRegression

        vec = self._vectorizer()
        try:
            counts = vec.fit_transform(docs)
        except ValueError as exc:  # "empty vocabulary" / "no terms remain"
            raise InputError(f"no n-gram is frequent enough to learn from ({exc}); pass more texts or a "
                             f"lower min_df (now {self.min_df})") from exc
        vocab = [str(t) for t in vec.get_feature_names_out()]
        doc_freq = np.bincount(sp.csr_matrix(counts).indices, minlength=len(vocab))
        # smooth idf, as scikit-learn's TfidfTransformer: ln((1 + n) / (1 + df)) + 1
        idf = (np.log((1.0 + len(docs)) / (1.0 + doc_freq)) + 1.0).astype(np.float32)
        X = _tfidf(counts, idf, self.sublinear_tf)
        if self.kind == "multiclass":
            clf = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter,
                                     random_state=self.random_state)
            clf.fit(X, target, sample_weight=weights)
            names = [str(c) for c in clf.classes_]
            coef, intercept = clf.coef_, clf.intercept_
            if len(names) == 2:  # one logit -> two symmetric rows, so softmax equals the sigmoid
                coef = np.vstack([-coef[0] / 2, coef[0] / 2])
                intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        else:
            coef = np.zeros((target.shape[1], len(vocab)))
            intercept = np.zeros(target.shape[1])
            for j in range(target.shape[1]):
                col = target[:, j]
                if col.min() == col.max():  # always / never present: a constant scorer from the smoothed rate
                    rate = (col.sum() + 0.5) / (len(col) + 1.0)
                    intercept[j] = math.log(rate / (1.0 - rate))
                    continue
                clf = LogisticRegression(C=self.C, class_weight=self.class_weight, solver="liblinear",
                                         max_iter=self.max_iter, random_state=self.random_state)
                clf.fit(X, col, sample_weight=weights)
                coef[j], intercept[j] = clf.coef_[0], clf.intercept_[0]
            names = []
        return vocab, idf, coef.astype(np.float32), intercept.astype(np.float32), names

    def _thresholds(self, docs: list[str], Y: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """Per-label thresholds: the fixed one, or out-of-fold F1-optimal ones for ``threshold='auto'``."""
        n_labels = Y.shape[1]
        if self.threshold != "auto":
            return np.full(n_labels, float(self.threshold))
        oof = np.zeros(Y.shape)
        from sklearn.model_selection import KFold

        folds = KFold(n_splits=3, shuffle=True, random_state=self.random_state)
        for train, held in folds.split(docs):
            w = weights[train] if weights is not None else None
            try:
                vocab, idf, coef, intercept, _ = self._fit_arrays([docs[i] for i in train], Y[train], w)
            except InputError:
                return np.full(n_labels, 0.5)
            vec = self._vectorizer({t: i for i, t in enumerate(vocab)})
            X = _tfidf(vec.transform([docs[i] for i in held]), idf, self.sublinear_tf)
            oof[held] = _logistic(np.asarray(X @ coef.T) + intercept)
        out = np.full(n_labels, 0.5)
        for j in range(n_labels):
            if Y[:, j].sum() < 5:  # too few examples to tune on
                continue
            f1 = [_f1(Y[:, j] == 1, oof[:, j] >= t) for t in _THRESHOLD_GRID]
            best = max(f1)
            out[j] = min((t for t, f in zip(_THRESHOLD_GRID, f1) if f == best), key=lambda t: abs(t - 0.5))
        return out

    def _set_state(self, classes: list[str], vocab: list[str], idf: np.ndarray, coef: np.ndarray,
                   intercept: np.ndarray, thresholds: np.ndarray | None, card: dict[str, Any]) -> None:
        self.classes_ = list(classes)
        self._vocab = list(vocab)
        self._vocabulary: dict[str, int] | None = None  # built on first use of vocabulary_
        self.idf_ = np.ascontiguousarray(idf, dtype=np.float32)
        self.coef_ = np.ascontiguousarray(coef, dtype=np.float32)
        self.intercept_ = np.ascontiguousarray(intercept, dtype=np.float32)
        self.thresholds_ = None if thresholds is None else np.asarray(thresholds, dtype=np.float64)
        self.card_ = dict(card)
        self._coef_t = np.ascontiguousarray(self.coef_.T)
        self._fast = _CharNgramCounter.build(vocab, analyzer=self.analyzer, ngram_range=self.ngram_range,
                                             lowercase=self.lowercase)
        self._vec = None
        if self._fast is None:  # word n-grams (or very long character n-grams): scikit-learn counts them
            self._vec = self._vectorizer(self.vocabulary_)
            self._vec.fit([])  # validates the fixed vocabulary now, so transform() never mutates (thread-safe)

    # -- predicting ------------------------------------------------------------------------------------
    @property
    def vocabulary_(self) -> dict[str, int]:
        """``{n-gram: column}`` of the fitted model (built on first access: predicting never needs it)."""
        if "_vocab" not in self.__dict__:
            raise AttributeError("vocabulary_")  # not fitted: hasattr(model, "vocabulary_") is False
        if self._vocabulary is None:
            self._vocabulary = {t: i for i, t in enumerate(self._vocab)}
        return self._vocabulary

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError("this LinearTextModel is not fitted yet; call fit(texts, y) or "
                                 "LinearTextModel.load(directory) before predicting or saving")

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The L2-normalised TF-IDF matrix (n_texts, n_features) the model scores, float32."""
        self._check_fitted()
        docs = _as_texts(texts, what="texts")
        counts = self._vec.transform(docs) if self._fast is None else self._fast.transform(docs)
        return _tfidf(counts, self.idf_, self.sublinear_tf)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Raw linear scores (logits), shape (n_texts, n_classes), float64.

        Example:
            >>> m = LinearTextModel(min_df=1).fit(["好", "差"], ["positive", "negative"])
            >>> m.decision_function(["好"]).shape
            (1, 2)
        """
        self._check_fitted()
        return self._linear_scores(texts, self.coef_, self.intercept_)

    def _linear_scores(self, texts: Sequence[str], coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        """``transform(texts) @ coef.T + intercept`` for any rows of weights over this model's features
        (its own ``coef_``, or those of :class:`DomainExperts` that share its TF-IDF features)."""
        if self._fast is not None:  # character n-grams: TF-IDF and dot products straight from the counts
            docs = _as_texts(texts, what="texts")
            parts = [self._fast_scores(docs[i:i + _BATCH], coef) for i in range(0, len(docs), _BATCH)]
            scores = np.concatenate(parts) if parts else np.zeros((0, len(coef)))
            return scores + intercept
        X = self.transform(texts)
        coef_t = self._coef_t if coef is self.coef_ else np.ascontiguousarray(coef.T)
        return np.asarray(X @ coef_t, dtype=np.float64) + intercept

    def _fast_scores(self, docs: list[str], coef: np.ndarray | None = None) -> np.ndarray:
        """``transform(docs) @ coef.T`` without building the sparse matrix (the same numbers, numpy only,
        or one compiled pass per text where the ``voc._ngram`` extension is built)."""
        assert self._fast is not None
        coef = self.coef_ if coef is None else coef
        if _ngram is not None and self._fast.packable:
            return self._fast.scores(docs, self.idf_, coef, self.sublinear_tf)
        rows, cols, counts = self._fast.cells(docs)
        data = counts.astype(np.float32)
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf_[cols]
        n = len(docs)
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n))
        norms[norms == 0] = 1.0
        data /= norms[rows].astype(np.float32)
        out = np.empty((n, len(coef)), dtype=np.float64)
        for k in range(len(coef)):
            out[:, k] = np.bincount(rows, weights=data * coef[k, cols], minlength=n)
        return out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, shape (n_texts, n_classes): softmax (multiclass) or one sigmoid per label.

        Example:
            >>> m = LinearTextModel(min_df=1).fit(["好", "差"], ["positive", "negative"])
            >>> m.predict_proba(["好"]).sum().round(6)
            np.float64(1.0)
        """
        scores = self.decision_function(texts)
        if self.kind == "multilabel":
            return _logistic(scores)
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))  # softmax
        return scores / scores.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> list[str] | list[tuple[str, ...]]:
        """Most probable label per text (multiclass), or the labels at/above their threshold (multilabel).

        Example:
            >>> m = LinearTextModel(min_df=1).fit(["好", "差"], ["positive", "negative"])
            >>> m.predict(["好", "差"])
            ['positive', 'negative']
        """
        proba = self.predict_proba(texts)
        if self.kind == "multiclass":
            return [self.classes_[k] for k in proba.argmax(axis=1)]
        hits = proba >= self.thresholds_
        return [tuple(c for c, on in zip(self.classes_, row) if on) for row in hits]

    # -- persistence -----------------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike[str], *, card: dict[str, Any] | None = None) -> Path:
        """Write ``model.json`` and ``arrays.npz`` into ``directory`` (created; both files replaced).

        Args:
            directory: target folder.
            card: JSON-serialisable metadata (sources, figures, intended use) merged into ``card_``.

        Returns:
            The directory.

        Example:
            >>> # LinearTextModel(...).fit(texts, y).save("models/themes", card={"source": "survey 2024"})
        """
        self._check_fitted()
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        merged = {**self.card_, **(card or {})}
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "params": _json_ready(self.get_params()),
            "classes": self.classes_,
            "thresholds": None if self.thresholds_ is None else [float(t) for t in self.thresholds_],
            "n_features": len(self._vocab),
            "card": merged,
            "vocabulary": list(self._vocab),
        }
        try:
            text = json.dumps(meta, ensure_ascii=False, indent=1, default=_json_default)
        except TypeError as exc:
            raise InputError(f"card cannot be saved as JSON: {exc}; pass plain str/number/list/dict values") from exc
        buf = io.BytesIO()
        np.savez_compressed(buf, idf=self.idf_, coef=self.coef_, intercept=self.intercept_)
        _atomic_write(out / ARRAYS, buf.getvalue())
        _atomic_write(out / MODEL_JSON, text.encode("utf-8"))
        self.card_ = merged
        return out

    @classmethod
    def load(cls, directory: str | os.PathLike[str] | Traversable) -> LinearTextModel:
        """Read a model written by :meth:`save`, validating every field.

        Raises:
            ConfigError: the directory or a file is missing, model.json is not valid JSON or not a voc
                linear model of a version this voc reads, or arrays.npz is unreadable, holds pickled
                objects, or does not match the vocabulary / classes in model.json.

        Example:
            >>> # model = LinearTextModel.load("my-model/themes")
        """
        root: Traversable = directory if isinstance(directory, Traversable) else Path(directory)
        if not root.is_dir():
            raise ConfigError(f"model directory {root} not found; expected a folder with {MODEL_JSON} and "
                              f"{ARRAYS} written by LinearTextModel.save()")
        meta_path, arr_path = root / MODEL_JSON, root / ARRAYS
        meta = _read_meta(meta_path)
        params = meta.get("params")
        if not isinstance(params, dict):
            raise ConfigError(f"{meta_path}: 'params' must be an object of model settings; got {params!r}")
        params = {**params, "kind": meta.get("kind")}
        if isinstance(params.get("ngram_range"), list):
            params["ngram_range"] = tuple(params["ngram_range"])
        try:
            model = cls(**params)
            model._check_params()
        except (TypeError, ConfigError) as exc:
            raise ConfigError(f"{meta_path}: invalid 'params' ({exc}); was it written by another voc version?"
                              ) from exc
        classes = _str_list(meta.get("classes"), "classes", meta_path)
        vocab = _str_list(meta.get("vocabulary"), "vocabulary", meta_path, unique=False)  # checked below
        if not classes:
            raise ConfigError(f"{meta_path}: 'classes' is empty; a model needs at least one class")
        thresholds = meta.get("thresholds")
        if model.kind == "multilabel":
            ok = (isinstance(thresholds, list) and len(thresholds) == len(classes)
                  and all(isinstance(t, (int, float)) and 0 <= t <= 1 for t in thresholds))
            if not ok:
                raise ConfigError(f"{meta_path}: 'thresholds' must list one probability per class "
                                  f"({len(classes)}); got {thresholds!r}")
        else:
            thresholds = None
        arrays = _read_arrays(arr_path)
        n_cls, n_feat = len(classes), len(vocab)
        for name, shape in (("idf", (n_feat,)), ("coef", (n_cls, n_feat)), ("intercept", (n_cls,))):
            if arrays[name].shape != shape:
                raise ConfigError(f"{arr_path}: '{name}' has shape {arrays[name].shape} but {meta_path} implies "
                                  f"{shape} ({n_cls} classes, {n_feat} vocabulary entries); the two files do "
                                  "not belong together: save or copy the model directory again")
        model._set_state(classes, vocab, arrays["idf"], arrays["coef"], arrays["intercept"],
                         None if thresholds is None else np.asarray(thresholds, dtype=np.float64),
                         card=meta.get("card") if isinstance(meta.get("card"), dict) else {})
        fast = model._fast
        # each n-gram once: equal strings give equal n-gram numbers, so the sorted numbers tell cheaply
        if (fast is not None and bool(np.any(fast.sorted_keys[1:] == fast.sorted_keys[:-1]))) or (
                fast is None and len(set(vocab)) != len(vocab)):
            _duplicate(vocab, "vocabulary", meta_path)
        return model


EXPERTS_FORMAT = "voc-domain-experts"  #: the ``format`` field of experts.json
EXPERTS_FORMAT_VERSION = 1
EXPERTS_JSON = "experts.json"
EXPERTS_ARRAYS = "experts.npz"


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
        >>> base = LinearTextModel(min_df=1).fit(["味道很好", "很难吃", "房间干净", "房间很脏"],
        ...                                      ["positive", "negative", "positive", "negative"])
        >>> m = DomainExperts.fit(base, ["味道很好", "很难吃", "房间干净", "房间很脏"],
        ...                       ["positive", "negative", "positive", "negative"], [True, True, False, False],
        ...                       domain="food", weight=0.5)
        >>> m.predict(["味道很好"])
        ['positive']
    """

    def __init__(self, base: LinearTextModel, domains: Sequence[str], weights: Sequence[float],
                 gate_coef: np.ndarray, gate_intercept: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 card: dict[str, Any] | None = None) -> None:
        base._check_fitted()
        if base.kind != "multiclass" or not {"positive", "negative"} <= set(base.classes_):
            raise ConfigError("domain experts need a multiclass base model with 'positive' and 'negative' classes")
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
            raise InputError("an expert needs in-domain and other texts, and in-domain positive and negative ones")
        X = base.transform(docs)
        gate = LogisticRegression(C=C_gate, max_iter=2000, random_state=random_state).fit(X, dom.astype(int))
        expert = LogisticRegression(C=C_expert, max_iter=2000, random_state=random_state).fit(
            X[np.flatnonzero(polar)], (labels[polar] == "positive").astype(int))
        return cls(base, [domain], [weight], gate.coef_.astype(np.float32), gate.intercept_.astype(np.float32),
                   expert.coef_.astype(np.float32), expert.intercept_.astype(np.float32),
                   card={"C_gate": C_gate, "C_expert": C_expert, **(card or {})})

    def gates(self, texts: Sequence[str]) -> np.ndarray:
        """Gate value per text and expert, shape (n_texts, n_experts), in [0, 1]."""
        n_cls = len(self.base.classes_)
        z = self.base._linear_scores(texts, self._coef[n_cls:n_cls + len(self.domains)],
                                     self._intercept[n_cls:n_cls + len(self.domains)])
        return _logistic(z)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities in the base model's class order, shape (n_texts, n_classes)."""
        n_cls, n_exp = len(self.base.classes_), len(self.domains)
        z = self.base._linear_scores(texts, self._coef, self._intercept)
        if len(z) <= _FEW:
            return np.array([self._mix_row(row) for row in z.tolist()], dtype=np.float64).reshape(len(z), n_cls)
        base = z[:, :n_cls]
        proba = np.exp(base - base.max(axis=1, keepdims=True))
        proba /= proba.sum(axis=1, keepdims=True)
        w = _logistic(z[:, n_cls:n_cls + n_exp]) * self.weights  # (n, n_exp)
        p_exp = _logistic(z[:, n_cls + n_exp:])  # expert p(positive), (n, n_exp)
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
            w = float(self.weights[k]) * _sigmoid(z[n_cls + k])
            p = _sigmoid(z[n_cls + n_exp + k])
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
        the base model is already there) and ``experts.json`` + ``experts.npz``."""
        if with_base:
            out = self.base.save(directory, card=card)
        else:
            out = Path(directory)
            out.mkdir(parents=True, exist_ok=True)
        n_cls, n_exp = len(self.base.classes_), len(self.domains)
        meta = {"format": EXPERTS_FORMAT, "format_version": EXPERTS_FORMAT_VERSION, "domains": self.domains,
                "weights": [float(x) for x in self.weights], "n_features": len(self.base.idf_), "card": self.expert_card_}
        buf = io.BytesIO()
        np.savez_compressed(buf, gate_coef=self._coef[n_cls:n_cls + n_exp],
                            gate_intercept=self._intercept[n_cls:n_cls + n_exp],
                            coef=self._coef[n_cls + n_exp:], intercept=self._intercept[n_cls + n_exp:])
        _atomic_write(out / EXPERTS_ARRAYS, buf.getvalue())
        _atomic_write(out / EXPERTS_JSON, json.dumps(meta, ensure_ascii=False, indent=1,
                                                     default=_json_default).encode("utf-8"))
        return out

    @classmethod
    def load(cls, directory: str | os.PathLike[str] | Traversable) -> DomainExperts:
        """Read a directory written by :meth:`save` (the base model and its experts).

        Raises:
            ConfigError: a file is missing or damaged, or the experts do not fit the base model.
        """
        root: Traversable = directory if isinstance(directory, Traversable) else Path(directory)
        base = LinearTextModel.load(root)
        path = root / EXPERTS_JSON
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{path} is missing; domain experts are saved as {EXPERTS_JSON} and "
                              f"{EXPERTS_ARRAYS}") from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path} cannot be read as JSON: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("format") != EXPERTS_FORMAT:
            raise ConfigError(f"{path}: not a voc domain-experts file (expected format {EXPERTS_FORMAT!r})")
        if meta.get("format_version") != EXPERTS_FORMAT_VERSION:
            raise ConfigError(f"{path}: format_version {meta.get('format_version')!r} cannot be read by this voc "
                              f"(reads {EXPERTS_FORMAT_VERSION})")
        domains = _str_list(meta.get("domains"), "domains", path)
        weights = meta.get("weights")
        if not isinstance(weights, list) or not all(isinstance(x, (int, float)) for x in weights):
            raise ConfigError(f"{path}: 'weights' must be a list of numbers; got {weights!r}")
        arrays = _read_arrays(root / EXPERTS_ARRAYS, ("gate_coef", "gate_intercept", "coef", "intercept"),
                              f"{EXPERTS_JSON} and {EXPERTS_ARRAYS}")
        card = meta.get("card") if isinstance(meta.get("card"), dict) else {}
        return cls(base, domains, weights, arrays["gate_coef"], arrays["gate_intercept"], arrays["coef"],
                   arrays["intercept"], card=card)


def load_default_sentiment_model() -> LinearTextModel | DomainExperts | None:
    """The shipped overall-sentiment model (classes negative / neutral / positive), or None if absent.

    A :class:`DomainExperts` (the base model plus its food-delivery expert) when the shipped directory
    holds ``experts.json``, else the plain :class:`LinearTextModel`. Loads from the package data
    ``voc.lexicons/models/sentiment`` on every call: callers cache it.

    Raises:
        ConfigError: the shipped files exist but are damaged.

    Example:
        >>> m = load_default_sentiment_model()
        >>> m is None or m.predict(["送餐超快，味道很好"]) == ["positive"]
        True
    """
    root = resources.files("voc.lexicons") / "models" / "sentiment"
    if not (root / MODEL_JSON).is_file():
        return None
    if (root / EXPERTS_JSON).is_file():
        return DomainExperts.load(root)
    return LinearTextModel.load(root)


class _CharNgramCounter:
    """Counts the character n-grams of a fixed vocabulary in many texts at once, with numpy.

    Gives exactly the counts of scikit-learn's ``CountVectorizer(analyzer="char" | "char_wb",
    vocabulary=...)`` (tested), about ten times faster on short texts: each character becomes its rank
    in the vocabulary's alphabet (0 when unseen), each n-gram the number whose base-(alphabet + 1) digits
    those ranks are, and n-grams are looked up in a hash table of the vocabulary's numbers (:class:`_KeyTable`).
    """

    def __init__(self, alphabet: np.ndarray, keys: np.ndarray, columns: np.ndarray, n_features: int,
                 analyzer: str, ngram_range: tuple[int, int], lowercase: bool) -> None:
        self.alphabet, self.columns = alphabet, columns
        self._ranks = _rank_table(alphabet)  # code point -> 1 + its position in the alphabet, 0 if absent
        self.keys = keys
        self._index: _KeyTable | None = None  # hash table of the keys, built on the first big batch
        self.order = np.argsort(keys)  # binary search, for a few texts (no per-call set-up)
        self.sorted_keys = keys[self.order]
        self._packed: dict[Any, tuple[Any, ...]] = {}  # what the compiled pass reads, per weight matrix
        self._col_bits = max(1, int(n_features - 1).bit_length())
        #: whether an n-gram's number and column fit in one int64 (the compiled pass's table); else numpy
        self.packable = len(keys) > 0 and int(self.sorted_keys[-1]).bit_length() + self._col_bits <= 62
        self.n_features, self.analyzer, self.ngram_range, self.lowercase = n_features, analyzer, ngram_range, lowercase

    @classmethod
    def build(cls, vocabulary: list[str], *, analyzer: str, ngram_range: tuple[int, int], lowercase: bool
              ) -> _CharNgramCounter | None:
        """A counter for this vocabulary, or None where scikit-learn's own path must be used."""
        lo, hi = _ngram_range(ngram_range)
        if analyzer not in ("char", "char_wb") or (analyzer == "char_wb" and lo > 3) or not vocabulary:
            return None  # char_wb pads words to >= 3 characters: only min n <= 3 has no short-word rule
        codes, lengths = _codepoints(vocabulary)
        present = np.zeros(int(codes.max()) + 1, dtype=bool)
        present[codes] = True
        alphabet = np.flatnonzero(present).astype(np.uint32)  # sorted distinct code points, without a sort
        base = len(alphabet) + 1
        if hi * math.log2(base) >= 62:
            return None  # the n-gram numbers would not fit in int64
        ranks = _rank_table(alphabet)[codes].astype(np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        keys = np.zeros(len(vocabulary), dtype=np.int64)
        for k in range(int(lengths.max())):
            has = lengths > k
            keys[has] = keys[has] * base + ranks[starts[has] + k]
        return cls(alphabet, keys, np.arange(len(vocabulary), dtype=np.int64), len(vocabulary), analyzer,
                   (lo, hi), lowercase)

    def _prepare(self, doc: str) -> str:
        if self.lowercase:
            doc = doc.lower()
        doc = _WHITE_SPACES.sub(" ", doc)
        if self.analyzer == "char_wb":  # every word padded with one space on each side
            words = doc.split()
            return " " + "  ".join(words) + " " if words else ""
        return doc

    def transform(self, docs: list[str]) -> sp.csr_matrix:
        """Counts (n_docs, n_features), float32."""
        import scipy.sparse as sp

        parts = [self._transform(docs[i:i + _BATCH]) for i in range(0, len(docs), _BATCH)] or [
            sp.csr_matrix((0, self.n_features), dtype=np.float32)]
        return parts[0] if len(parts) == 1 else sp.vstack(parts, format="csr")

    def scores(self, docs: list[str], idf: np.ndarray, coef: np.ndarray, sublinear_tf: bool) -> np.ndarray:
        """TF-IDF of ``docs`` dotted with each row of ``coef``, by the compiled ``voc._ngram`` pass."""
        assert _ngram is not None
        key = (coef.__array_interface__["data"][0], coef.shape, coef.strides)  # the same weights, even as a new view
        packed = self._packed.get(key)
        if packed is None:  # (the entry keeps its weights alive, so their address is never reused)
            packed = (coef, *self._pack(idf, coef, sublinear_tf))
            self._packed = {**self._packed, key: packed}  # a new dict: readers in other threads never see it half-made
        _, table, shift, col_bits, weights, tf_table = packed
        out = np.empty((len(docs), coef.shape[0]), dtype=np.float64)
        _ngram.char_ngram_scores([self._prepare(d) for d in docs], self._ranks, len(self.alphabet) + 1,
                                 *self.ngram_range, self.analyzer == "char_wb", table, shift, col_bits, weights,
                                 tf_table, sublinear_tf, out)
        return out

    def _pack(self, idf: np.ndarray, coef: np.ndarray, sublinear_tf: bool) -> tuple[Any, ...]:
        """What the compiled pass reads: a hash table of n-gram number and column packed in one int64
        (small enough to stay in cache), each column's idf and class weights in one row, and the term
        weights of small counts exactly as numpy computes them."""
        assert _ngram is not None
        bits = max(10, int(len(self.keys)).bit_length() + 1)  # 2-4 slots per n-gram
        col_bits = self._col_bits
        table, shift = _ngram.build_table(self.keys, self.columns, bits, col_bits)
        weights = np.ascontiguousarray(np.column_stack([idf, coef.T]), dtype=np.float32)
        tf_table = np.arange(_TF_TABLE, dtype=np.float32)
        if sublinear_tf:
            with np.errstate(divide="ignore"):
                tf_table = np.log(tf_table) + np.float32(1.0)
        return table, shift, col_bits, weights, tf_table

    def _lookup(self, keys: np.ndarray) -> np.ndarray:
        """Vocabulary position of each n-gram number, -1 when absent."""
        if len(keys) > 4096:
            if self._index is None:
                self._index = _KeyTable(self.keys)
            return self._index.lookup(keys)
        pos = np.minimum(np.searchsorted(self.sorted_keys, keys), len(self.sorted_keys) - 1)
        return np.where(self.sorted_keys[pos] == keys, self.order[pos], -1)

    def _transform(self, docs: list[str]) -> sp.csr_matrix:
        import scipy.sparse as sp

        rows, cols, counts = self.cells(docs)
        indptr = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(docs)), out=indptr[1:])
        return sp.csr_matrix((counts.astype(np.float32), cols, indptr), shape=(len(docs), self.n_features))

    def cells(self, docs: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The non-zero counts of ``docs``: (row, column, count) arrays, sorted by row then column."""
        codes, lengths = _codepoints([self._prepare(d) for d in docs])
        total = len(codes)
        new_segment = np.zeros(total, dtype=bool)
        new_segment[(np.cumsum(lengths) - lengths)[lengths > 0]] = True  # every text starts a segment
        if self.analyzer == "char_wb" and total > 1:  # and so does every padded word ("  " between words)
            new_segment[1:] |= (codes[1:] == 32) & (codes[:-1] == 32)
        segment = np.cumsum(new_segment)
        table = self._ranks
        inside = codes < len(table)
        rank = np.where(inside, table[np.where(inside, codes, 0)], 0).astype(np.int64)
        base = len(self.alphabet) + 1
        starts, keys = [], []
        lo, hi = self.ngram_range
        for n in range(lo, hi + 1):
            m = total - n + 1
            if m <= 0:
                break
            ok = segment[:m] == segment[n - 1:]
            key = np.zeros(m, dtype=np.int64)
            for k in range(n):
                r = rank[k:k + m]
                ok &= r > 0
                key = key * base + r
            at = np.flatnonzero(ok)
            starts.append(at)
            keys.append(key[at])
        if not keys:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        found = self._lookup(np.concatenate(keys))
        hit = found >= 0
        row = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)[np.concatenate(starts)[hit]]
        cells, counts = np.unique(row * self.n_features + self.columns[found[hit]], return_counts=True)
        return cells // self.n_features, cells % self.n_features, counts


class _KeyTable:
    """A read-only hash table from int64 keys to their positions, looked up many keys at a time in numpy.

    Open addressing with linear probing in a table 8-16 times larger than the key set, so nearly every
    lookup ends at its first slot; the few collisions are resolved in extra vectorised rounds. It does
    for the n-gram counter what a pandas Index would (about as fast), without importing pandas into the
    worker processes that tag.
    """

    _MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits of key * 2^64 / golden ratio
    _EMPTY = -1  # n-gram numbers are >= 1

    def __init__(self, keys: np.ndarray) -> None:
        bits = max(10, int(len(keys)).bit_length() + 3)
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self._keys = np.full(1 << bits, self._EMPTY, dtype=np.int64)
        self._values = np.full(1 << bits, -1, dtype=np.int32)
        slots = self._slots(keys)
        pending = np.arange(len(keys))
        while len(pending):  # each round: every free slot takes the first pending key that hashes there
            at = slots[pending]
            free = self._keys[at] == self._EMPTY
            taken, first = np.unique(at[free], return_index=True)
            winners = pending[free][first]
            self._keys[taken] = keys[winners]
            self._values[taken] = winners
            placed = np.zeros(len(keys), dtype=bool)
            placed[winners] = True
            pending = pending[~placed[pending]]
            slots[pending] = (slots[pending] + 1) & self._mask

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        return ((keys.view(np.uint64) * self._MULT) >> self._shift).astype(np.int64)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Position of each key in the keys the table was built from, -1 when absent."""
        keys = np.ascontiguousarray(keys, dtype=np.int64)
        slots = self._slots(keys)
        found = self._keys[slots]
        hit = found == keys
        out = np.where(hit, self._values[slots], -1)
        todo = np.flatnonzero(~hit & (found != self._EMPTY))  # collided with another key: probe on
        while len(todo):
            at = (slots[todo] + 1) & self._mask
            slots[todo] = at
            found = self._keys[at]
            hit = found == keys[todo]
            out[todo[hit]] = self._values[at[hit]]
            todo = todo[~hit & (found != self._EMPTY)]
        return out


# -- helpers -------------------------------------------------------------------------------------------
def _rank_table(alphabet: np.ndarray) -> np.ndarray:
    """A lookup table: code point -> 1 + its index in ``alphabet`` (sorted), 0 for code points not in it."""
    table = np.zeros(int(alphabet[-1]) + 1 if len(alphabet) else 1, dtype=np.int32)
    table[alphabet] = np.arange(1, len(alphabet) + 1, dtype=np.int32)
    return table


def _sigmoid(x: float) -> float:
    """The logistic function of one float (no overflow for very negative x)."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _logistic(x: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + e^-x), elementwise (scipy's expit without importing scipy)."""
    with np.errstate(over="ignore"):  # e^-x overflows to inf for very negative x: the result is 0
        return 1.0 / (1.0 + np.exp(-x))


def _tfidf(counts: sp.spmatrix, idf: np.ndarray, sublinear: bool) -> sp.csr_matrix:
    """Counts -> (1 + log tf if sublinear) * idf, rows L2-normalised; float32 CSR."""
    import scipy.sparse as sp

    X = sp.csr_matrix(counts, dtype=np.float32, copy=True)
    X.sum_duplicates()  # canonical (sorted) column order: the same sums whichever path counted
    data = X.data
    if sublinear:
        np.log(data, out=data)
        data += 1.0
    data *= idf[X.indices]
    per_row = np.diff(X.indptr)
    norms = np.sqrt(np.bincount(np.repeat(np.arange(X.shape[0]), per_row), weights=data * data,
                                minlength=X.shape[0]))
    norms[norms == 0] = 1.0
    data /= np.repeat(norms, per_row).astype(np.float32)
    return X


def _codepoints(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """All code points of the texts, concatenated (uint32), and the length of each text."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return codes, lengths


def _as_texts(texts: Any, *, what: str) -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise InputError(f"{what} must be a sequence of strings, got a single {type(texts).__name__}; "
                         "wrap it in a list: model.predict([text])")
    out = _as_list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise InputError(f"{what}[{i}] is {type(t).__name__} ({t!r}); every text must be a str "
                             "(replace missing values by '' first)")
    return out


def _as_list(values: Any) -> list[Any]:
    if hasattr(values, "tolist"):
        return list(values.tolist())
    if not isinstance(values, Iterable):
        raise InputError(f"expected a sequence, got {type(values).__name__}")
    return list(values)


def _indicator(y: Any, n: int, classes: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    """Multilabel targets as a 0/1 matrix (n, n_labels) plus the label names."""
    import scipy.sparse as sp

    if sp.issparse(y) or getattr(y, "ndim", 1) == 2:
        Y = np.asarray(y.toarray() if sp.issparse(y) else y)
        names = [str(c) for c in classes] if classes is not None else [str(c) for c in getattr(
            y, "columns", range(Y.shape[1]))]
        if len(names) != Y.shape[1]:
            raise InputError(f"the indicator matrix has {Y.shape[1]} columns but {len(names)} class names")
        if not np.isin(Y, (0, 1)).all():
            raise InputError("the indicator matrix must hold only 0 and 1")
        Y = Y.astype(np.int8)
    else:
        sets = [(v,) if isinstance(v, str) else tuple(v) for v in _as_list(y)]
        names = sorted({str(label) for labels in sets for label in labels})
        if classes is not None:
            unknown = sorted(set(names) - {str(c) for c in classes})
            if unknown:
                raise InputError(f"labels {unknown} are not in classes={list(classes)}")
            names = [str(c) for c in classes]
        index = {c: j for j, c in enumerate(names)}
        Y = np.zeros((len(sets), len(names)), dtype=np.int8)
        for i, labels in enumerate(sets):
            for label in labels:
                Y[i, index[str(label)]] = 1
    if Y.shape[0] != n:
        raise InputError(f"got {n} texts but {Y.shape[0]} label sets; pass one (possibly empty) set per text")
    if not names:
        raise InputError("no labels found in y; a multilabel model needs at least one label")
    return Y, names


def _ngram_range(value: Any) -> tuple[int, int]:
    try:
        lo, hi = (int(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"ngram_range={value!r} must be a pair of integers such as (1, 3)") from exc
    return lo, hi


def _f1(gold: np.ndarray, pred: np.ndarray) -> float:
    tp = float(np.sum(gold & pred))
    denom = float(np.sum(gold) + np.sum(pred))
    return 2 * tp / denom if denom else 0.0


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _json_ready(params: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_meta(path: Traversable) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} is missing; a saved model directory holds {MODEL_JSON} and {ARRAYS}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read as UTF-8 text: {exc}") from exc
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}; "
                          "restore the file or save the model again") from exc
    if not isinstance(meta, dict):
        raise ConfigError(f"{path} must hold a JSON object; got {type(meta).__name__}")
    if meta.get("format") != FORMAT:
        raise ConfigError(f"{path}: format {meta.get('format')!r} is not a voc linear text model "
                          f"(expected format {FORMAT!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= FORMAT_VERSION:
        raise ConfigError(f"{path}: format_version {version!r} cannot be read by this voc, which reads version "
                          f"{FORMAT_VERSION}; upgrade voc or retrain the model with this one")
    return meta


def _read_arrays(path: Traversable, names: tuple[str, ...] = ("idf", "coef", "intercept"),
                 pair: str = f"{MODEL_JSON} and {ARRAYS}") -> dict[str, np.ndarray]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} is missing; a saved model directory holds {pair}") from exc
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            for name in names:
                if name not in npz.files:
                    raise ConfigError(f"{path} has no array '{name}' (found: {', '.join(npz.files) or 'none'}); "
                                      "save the model again")
                out[name] = npz[name]
    except ConfigError:
        raise
    except Exception as exc:  # BadZipFile, pickled object arrays (ValueError), truncated data (OSError, ...)
        raise ConfigError(f"{path} cannot be read as a .npz archive of plain numeric arrays (pickled objects are "
                          f"refused): {exc}") from exc
    for name, arr in out.items():
        if not np.issubdtype(arr.dtype, np.floating) or not np.isfinite(arr).all():
            raise ConfigError(f"{path}: '{name}' must hold finite floating-point numbers; got dtype {arr.dtype}")
    return out


def _str_list(value: Any, field: str, path: Traversable, *, unique: bool = True) -> list[str]:
    """``value`` checked to be a list of strings (each once, unless the caller checks that itself)."""
    if not isinstance(value, list) or (value and set(map(type, value)) != {str}):  # one pass in C
        raise ConfigError(f"{path}: '{field}' must be a list of strings")
    if unique and len(set(value)) != len(value):
        _duplicate(value, field, path)
    return list(value)


def _duplicate(value: list[str], field: str, path: Traversable) -> None:
    seen: set[str] = set()
    for v in value:
        if v in seen:
            raise ConfigError(f"{path}: '{field}' lists {v!r} more than once")
        seen.add(v)
