"""Small, fast, pickle-free linear text models: TF-IDF n-grams + logistic regression.

:class:`LinearTextModel` follows the scikit-learn estimator contract (``__init__`` stores arguments,
``fit`` sets ``attr_`` and returns ``self``). It is used for the shipped overall-sentiment model
(``lexicons/models/sentiment``) and for the multi-label theme models that ``voc train`` fits.

Texts are expected to be normalised already (:class:`voc.normalise.Normaliser`): Simplified script,
NFKC, PII placeholders. Character n-grams need no word segmentation, which suits Chinese; the
``"word"`` analyzer takes pre-tokenised text with tokens joined by spaces. Character n-grams are counted
and scored by :mod:`voc.models.kernel`; saving and loading (JSON + ``.npz``) is :mod:`voc.models.store`.

Example:
    >>> m = LinearTextModel(min_df=1).fit(["味道很好", "很难吃", "好吃", "太难吃了"],
    ...                                   ["positive", "negative", "positive", "negative"])
    >>> m.predict(["很好吃"])
    ['positive']
"""
from __future__ import annotations

import inspect
import math
import os
from collections.abc import Iterable, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from voc.errors import ConfigError, InputError, NotFittedError
from voc.models.kernel import BATCH, _CharNgramCounter, logistic, ngram_range_of, tfidf

if TYPE_CHECKING:
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer

# scikit-learn and scipy are imported where a model is fitted, not at
# import: predicting with a loaded character model needs only numpy, which keeps `import voc` + first tag
# fast (scipy.sparse alone costs ~0.3 s of start-up).

__all__ = ["ANALYZERS", "KINDS", "LinearTextModel"]

KINDS = ("multiclass", "multilabel")
ANALYZERS = ("char_wb", "char", "word")
_WORD_PATTERN = r"(?u)\S+"  # "word" analyzer: pre-tokenised text, one token per space-separated piece
_THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.05), 2)


class _Params:
    """scikit-learn's get_params/set_params contract (``sklearn.base.clone`` works) without importing it."""

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
        >>> texts = ["物流很快", "客服态度差", "发货快，客服耐心", "快递太慢", "客服不理人",
        ...          "送货及时"]
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
            raise ConfigError(f"analyzer={self.analyzer!r} is not supported; "
                              f"use one of {', '.join(ANALYZERS)}")
        lo, hi = ngram_range_of(self.ngram_range)
        if not 1 <= lo <= hi:
            raise ConfigError(f"ngram_range={self.ngram_range!r} must be (low, high) with 1 <= low <= high")
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise ConfigError(f"C={self.C!r} must be a positive number")
        if self.kind == "multilabel" and isinstance(self.class_weight, dict):
            raise ConfigError("class_weight as a dict works only with kind='multiclass'; "
                              "use 'balanced' or None")
        thr = self.threshold
        if not (thr == "auto" or (isinstance(thr, (int, float)) and 0 < thr < 1)):
            raise ConfigError(f"threshold={thr!r} must be a probability between 0 and 1, or 'auto'")

    @staticmethod
    def _multiclass_labels(y: Any, n: int) -> list[str]:
        labels = [str(v) for v in _as_list(y)]
        if len(labels) != n:
            raise InputError(f"got {n} texts but {len(labels)} labels; pass one label per text")
        if len(set(labels)) < 2:
            raise InputError(f"a multiclass model needs at least two different labels; "
                             f"got only {set(labels)}")
        return labels

    def _vectorizer(self, vocabulary: dict[str, int] | None = None) -> CountVectorizer:
        from sklearn.feature_extraction.text import CountVectorizer

        lo, hi = ngram_range_of(self.ngram_range)
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
        X = tfidf(counts, idf, self.sublinear_tf)
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
            X = tfidf(vec.transform([docs[i] for i in held]), idf, self.sublinear_tf)
            oof[held] = logistic(np.asarray(X @ coef.T) + intercept)
        out = np.full(n_labels, 0.5)
        for j in range(n_labels):
            if Y[:, j].sum() < 5:  # too few examples to tune on
                continue
            f1 = [_f1(Y[:, j] == 1, oof[:, j] >= t) for t in _THRESHOLD_GRID]
            best = max(f1)
            ties = [t for t, f in zip(_THRESHOLD_GRID, f1, strict=True) if f == best]
            out[j] = min(ties, key=lambda t: abs(t - 0.5))
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
        self._vec: CountVectorizer | None = None
        if self._fast is None:  # word n-grams (or very long character n-grams): scikit-learn counts them
            self._vec = self._vectorizer(self.vocabulary_)
            self._vec.fit([])  # validates the fixed vocabulary now: transform() never mutates (thread-safe)

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
        if self._fast is not None:
            counts = self._fast.transform(docs)
        else:
            assert self._vec is not None  # set with _fast = None by _set_state
            counts = self._vec.transform(docs)
        return tfidf(counts, self.idf_, self.sublinear_tf)

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
            parts = [self._fast_scores(docs[i:i + BATCH], coef) for i in range(0, len(docs), BATCH)]
            scores = np.concatenate(parts) if parts else np.zeros((0, len(coef)))
            return scores + intercept
        X = self.transform(texts)
        coef_t = self._coef_t if coef is self.coef_ else np.ascontiguousarray(coef.T)
        return np.asarray(X @ coef_t, dtype=np.float64) + intercept

    def _fast_scores(self, docs: list[str], coef: np.ndarray | None = None) -> np.ndarray:
        """``transform(docs) @ coef.T`` without the sparse matrix (:meth:`_CharNgramCounter.scores`)."""
        assert self._fast is not None
        return self._fast.scores(docs, self.idf_, self.coef_ if coef is None else coef, self.sublinear_tf)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, shape (n_texts, n_classes): softmax (multiclass) or one sigmoid per label.

        Example:
            >>> m = LinearTextModel(min_df=1).fit(["好", "差"], ["positive", "negative"])
            >>> m.predict_proba(["好"]).sum().round(6)
            np.float64(1.0)
        """
        scores = self.decision_function(texts)
        if self.kind == "multilabel":
            return logistic(scores)
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
        return [tuple(c for c, on in zip(self.classes_, row, strict=True) if on) for row in hits]

    # -- persistence (voc.models.store) ----------------------------------------------------------------
    def save(self, directory: str | os.PathLike[str], *, card: dict[str, Any] | None = None) -> Path:
        """Write ``model.json`` and ``arrays.npz`` into ``directory`` (created; both files replaced).

        Args:
            directory: target folder (not an existing file).
            card: JSON-serialisable metadata (sources, figures, intended use) merged into ``card_``.

        Returns:
            The directory.

        Raises:
            ConfigError: ``directory`` is an existing file or cannot be written.
            InputError: ``card`` cannot be saved as JSON.

        Example:
            >>> # LinearTextModel(...).fit(texts, y).save("models/themes", card={"source": "survey 2024"})
        """
        from voc.models.store import save_linear

        return save_linear(self, directory, card=card)

    @classmethod
    def load(cls, directory: str | os.PathLike[str] | Traversable) -> LinearTextModel:
        """Read a model written by :meth:`save`, validating every field.

        Raises:
            ConfigError: the directory or a file is missing, the folder holds a pickle, model.json is not
                valid JSON or not a voc linear model of a version this voc reads, or arrays.npz is
                unreadable, holds pickled objects, or does not match the vocabulary / classes in model.json.

        Example:
            >>> # model = LinearTextModel.load("my-model/themes")
        """
        from voc.models.store import load_linear

        return load_linear(directory, cls)


# -- helpers -------------------------------------------------------------------------------------------
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


def _f1(gold: np.ndarray, pred: np.ndarray) -> float:
    tp = float(np.sum(gold & pred))
    denom = float(np.sum(gold) + np.sum(pred))
    return 2 * tp / denom if denom else 0.0
