"""The counting kernel of the linear text models: character n-grams of a fixed vocabulary, counted and
scored with numpy, or by the compiled ``voc._ngram`` pass where it is built (see :mod:`voc._accel`).

Everything here needs numpy only: tagging workers score thousands of texts through it without importing
pandas, scipy or scikit-learn (scipy is imported only by the functions that build sparse matrices).

Example:
    >>> counter = _CharNgramCounter.build(["好", "好吃", "吃"], analyzer="char", ngram_range=(1, 2),
    ...                                   lowercase=True)
    >>> counter.transform(["好吃好"]).toarray().tolist()
    [[2.0, 1.0, 1.0]]
"""
from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from voc._accel import _ngram  # the compiled scoring pass; the numpy path does the same without it
from voc.errors import ConfigError

if TYPE_CHECKING:
    import scipy.sparse as sp

_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's vectorizers: runs of white space -> one space
BATCH = 8192  #: texts counted at once by the vectorised n-gram counter
_TF_TABLE = 256  # counts below this take their term weight from a table numpy computed (same float32 bits)


class _CharNgramCounter:
    """Counts the character n-grams of a fixed vocabulary in many texts at once, with numpy.

    Gives exactly the counts of scikit-learn's ``CountVectorizer(analyzer="char" | "char_wb",
    vocabulary=...)`` (tested), about ten times faster on short texts: each character becomes its rank
    in the vocabulary's alphabet (0 when unseen), each n-gram the number whose base-(alphabet + 1) digits
    those ranks are, and n-grams are looked up in a hash table of the vocabulary's numbers
    (:class:`_KeyTable`).
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
        self.n_features, self.analyzer = n_features, analyzer
        self.ngram_range, self.lowercase = ngram_range, lowercase

    @classmethod
    def build(cls, vocabulary: list[str], *, analyzer: str, ngram_range: tuple[int, int], lowercase: bool
              ) -> _CharNgramCounter | None:
        """A counter for this vocabulary, or None where scikit-learn's own path must be used."""
        lo, hi = ngram_range_of(ngram_range)
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

        parts = [self._transform(docs[i:i + BATCH]) for i in range(0, len(docs), BATCH)] or [
            sp.csr_matrix((0, self.n_features), dtype=np.float32)]
        return parts[0] if len(parts) == 1 else sp.vstack(parts, format="csr")

    def scores(self, docs: list[str], idf: np.ndarray, coef: np.ndarray, sublinear_tf: bool) -> np.ndarray:
        """L2-normalised TF-IDF of ``docs`` dotted with each row of ``coef``, shape (n_docs, n_rows), float64.

        The same numbers as ``tfidf(transform(docs)) @ coef.T`` without building the sparse matrix: one
        compiled pass per text where ``voc._ngram`` is built (and the n-grams pack into int64), else numpy.
        """
        if _ngram is not None and self.packable:
            return self._compiled_scores(docs, idf, coef, sublinear_tf)
        rows, cols, counts = self.cells(docs)
        data = counts.astype(np.float32)
        if sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= idf[cols]
        n = len(docs)
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n))
        norms[norms == 0] = 1.0
        data /= norms[rows].astype(np.float32)
        out = np.empty((n, len(coef)), dtype=np.float64)
        for k in range(len(coef)):
            out[:, k] = np.bincount(rows, weights=data * coef[k, cols], minlength=n)
        return out

    def _compiled_scores(self, docs: list[str], idf: np.ndarray, coef: np.ndarray, sublinear_tf: bool
                         ) -> np.ndarray:
        """:meth:`scores` by the compiled ``voc._ngram`` pass."""
        assert _ngram is not None
        # the same weights, even as a new view
        key = (coef.__array_interface__["data"][0], coef.shape, coef.strides)
        packed = self._packed.get(key)
        if packed is None:  # (the entry keeps its weights alive, so their address is never reused)
            packed = (coef, *self._pack(idf, coef, sublinear_tf))
            # a new dict: readers in other threads never see it half-made
            self._packed = {**self._packed, key: packed}
        _, table, shift, col_bits, weights, tf_table = packed
        out = np.empty((len(docs), coef.shape[0]), dtype=np.float64)
        _ngram.char_ngram_scores([self._prepare(d) for d in docs], self._ranks, len(self.alphabet) + 1,
                                 *self.ngram_range, self.analyzer == "char_wb", table, shift, col_bits,
                                 weights,
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


def sigmoid(x: float) -> float:
    """The logistic function of one float (no overflow for very negative x)."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def logistic(x: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + e^-x), elementwise (scipy's expit without importing scipy)."""
    with np.errstate(over="ignore"):  # e^-x overflows to inf for very negative x: the result is 0
        return 1.0 / (1.0 + np.exp(-x))


def tfidf(counts: sp.spmatrix, idf: np.ndarray, sublinear: bool) -> sp.csr_matrix:
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


def ngram_range_of(value: Any) -> tuple[int, int]:
    try:
        lo, hi = (int(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"ngram_range={value!r} must be a pair of integers such as (1, 3)") from exc
    return lo, hi
