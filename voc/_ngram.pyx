# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled scoring of character n-gram linear models: TF-IDF features dotted with the weights, per text.

The optional fast path of :meth:`voc.linear.LinearTextModel._fast_scores` (built by setup.py; without a
C compiler the numpy path in voc/linear.py does the same work). It follows that path step by step - the
same n-grams (one space-padded word at a time for ``char_wb``, none across a character outside the
vocabulary), the same float32 arithmetic, sums in float64 in column order - so the scores are the same
numbers (tested). One pass per text, no intermediate arrays, and few memory accesses per n-gram: the
hash table holds the n-gram's number and column packed in one int64 (4 MB for 200k n-grams, so probing
stays in cache), and each column's idf and class weights sit side by side in one dense row.
"""
from libc.math cimport logf, sqrt
from libc.stdlib cimport free, malloc, realloc
from libc.stdint cimport int64_t, uint64_t

cdef uint64_t _MULT = 0x9E3779B97F4A7C15ULL  # as voc.linear._KeyTable: the top bits of key * 2^64 / phi


cdef void _sort(int64_t* a, Py_ssize_t n) noexcept nogil:
    """Ascending in place: quicksort (median of three), insertion sort below 16 items."""
    cdef Py_ssize_t i, j, lo = 0, hi = n - 1
    cdef int64_t x, pivot
    while hi - lo >= 16:
        i = lo + (hi - lo) // 2
        if a[i] < a[lo]:
            a[i], a[lo] = a[lo], a[i]
        if a[hi] < a[lo]:
            a[hi], a[lo] = a[lo], a[hi]
        if a[hi] < a[i]:
            a[hi], a[i] = a[i], a[hi]
        pivot = a[i]
        i, j = lo, hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if j - lo < hi - i:  # recurse into the smaller side, loop on the larger
            _sort(a + lo, j - lo + 1)
            lo = i
        else:
            _sort(a + i, hi - i + 1)
            hi = j
    for i in range(lo + 1, hi + 1):
        x = a[i]
        j = i - 1
        while j >= lo and a[j] > x:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x


def char_ngram_scores(list docs, const int[::1] ranks, long long base, int lo, int hi, bint char_wb,
                      const int64_t[::1] table, unsigned int shift, int col_bits, const float[:, ::1] weights,
                      const float[::1] tf_table, bint sublinear, double[:, ::1] out):
    """Fill ``out[i, k]`` with the TF-IDF vector of ``docs[i]`` (already prepared: lower-cased, white
    space squeezed, words padded for ``char_wb``) dotted with the weights of class k.

    ``ranks[code point]`` is 1 + the character's position in the vocabulary's alphabet (0: unseen); an
    n-gram's number is its ranks as base-``base`` digits. ``table`` is an open-addressing hash table
    (slot = number * phi >> ``shift``, linear probing) of number << ``col_bits`` | column, -1 when
    empty (:func:`build_table`). ``weights[column]`` is the idf, then the weight of each class.
    ``tf_table[c]`` is the term weight of a count c (1 + log c when ``sublinear``) as numpy computes
    it, for the counts it covers.
    """
    cdef Py_ssize_t n_docs = len(docs), n_classes = out.shape[1], n_ranks = ranks.shape[0]
    cdef Py_ssize_t n_table = tf_table.shape[0]
    cdef uint64_t mask = table.shape[0] - 1, slot
    cdef int64_t entry, col_mask = (<int64_t> 1 << col_bits) - 1
    cdef Py_ssize_t d, i, j, m, length, n_found, cap = 1024, k, run
    cdef int n
    cdef long long key
    cdef int64_t col
    cdef Py_UCS4 ch
    cdef double sq, norm
    cdef float v, nf
    cdef const float* w
    cdef str text
    cdef int* rank = NULL
    cdef char* starts = NULL  # 1 where a new padded word starts (char_wb: the second of two spaces)
    cdef int64_t* found = <int64_t*> malloc(cap * sizeof(int64_t))  # the column of each n-gram
    cdef float* weight = <float*> malloc(cap * sizeof(float))
    cdef const float** slots = <const float**> malloc(cap * sizeof(float*))
    cdef Py_ssize_t rank_cap = 0, wcap = cap
    cdef void* grown
    if found == NULL or weight == NULL or slots == NULL:
        free(found); free(weight); free(slots)
        raise MemoryError()
    try:
        for d in range(n_docs):
            text = docs[d]
            length = len(text)
            for k in range(n_classes):
                out[d, k] = 0.0
            if length == 0:
                continue
            if length > rank_cap:
                free(rank); free(starts)
                rank_cap = 2 * length
                rank = <int*> malloc(rank_cap * sizeof(int))
                starts = <char*> malloc(rank_cap)
                if rank == NULL or starts == NULL:
                    raise MemoryError()
            for i in range(length):
                ch = text[i]
                rank[i] = ranks[ch] if ch < n_ranks else 0
                starts[i] = char_wb and i > 0 and ch == 32 and text[i - 1] == 32
            # every n-gram of the vocabulary in the text: its column and slot
            n_found = 0
            for n in range(lo, hi + 1):
                for i in range(length - n + 1):
                    key = 0
                    for j in range(i, i + n):
                        if rank[j] == 0 or (j > i and starts[j]):
                            key = -1
                            break
                        key = key * base + rank[j]
                    if key < 0:
                        continue
                    slot = (<uint64_t> key * _MULT) >> shift
                    entry = table[slot]
                    while entry != -1 and (entry >> col_bits) != key:
                        slot = (slot + 1) & mask
                        entry = table[slot]
                    if entry == -1:
                        continue
                    if n_found == cap:
                        cap *= 2
                        grown = realloc(found, cap * sizeof(int64_t))
                        if grown == NULL:
                            raise MemoryError()
                        found = <int64_t*> grown
                    found[n_found] = entry & col_mask
                    n_found += 1
            if n_found == 0:
                continue
            if n_found > wcap:  # the per-column buffers: at most one entry per n-gram
                free(weight); free(slots)
                wcap = cap
                weight = <float*> malloc(wcap * sizeof(float))
                slots = <const float**> malloc(wcap * sizeof(float*))
                if weight == NULL or slots == NULL:
                    raise MemoryError()
            _sort(found, n_found)  # by column
            # counts -> tf * idf (float32), then the L2 norm (squares summed in float64, in column order)
            m = 0
            sq = 0.0
            i = 0
            while i < n_found:
                col = found[i]
                run = 1
                while i + run < n_found and found[i + run] == col:
                    run += 1
                i += run
                if run < n_table:
                    v = tf_table[run]
                elif sublinear:
                    v = logf(<float> run) + <float> 1.0
                else:
                    v = <float> run
                w = &weights[col, 0]
                v = v * w[0]
                slots[m] = w + 1
                weight[m] = v
                sq += <double> (v * v)
                m += 1
            norm = sqrt(sq)
            if norm == 0.0:
                norm = 1.0
            nf = <float> norm
            for i in range(m):
                weight[i] = weight[i] / nf
            for k in range(n_classes):
                sq = 0.0
                for i in range(m):
                    sq += <double> (weight[i] * slots[i][k])
                out[d, k] = sq
    finally:
        free(found); free(weight); free(slots); free(rank); free(starts)


def build_table(const int64_t[::1] keys, const int64_t[::1] columns, int bits, int col_bits):
    """The hash table :func:`char_ngram_scores` reads, for n-gram numbers ``keys`` (distinct, >= 1) and
    their ``columns`` (< 2^``col_bits``): 2^``bits`` slots of number << col_bits | column (-1: empty),
    filled by linear probing from slot number * phi >> (64 - bits). Returns (table, shift)."""
    import numpy as np

    cdef uint64_t mask = (<uint64_t> 1 << bits) - 1, slot
    cdef unsigned int shift = 64 - bits
    cdef Py_ssize_t k
    table_array = np.full(mask + 1, -1, dtype=np.int64)
    cdef int64_t[::1] table = table_array
    for k in range(keys.shape[0]):
        slot = (<uint64_t> keys[k] * _MULT) >> shift
        while table[slot] != -1:
            slot = (slot + 1) & mask
        table[slot] = (keys[k] << col_bits) | columns[k]
    return table_array, shift
