# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled scoring of character n-gram linear models: TF-IDF features dotted with the weights, per text.

The optional fast path of :meth:`voc.linear.LinearTextModel._fast_scores` (built by setup.py; without a
C compiler the numpy path in voc/linear.py does the same work). It follows that path step by step - the
same n-grams (one space-padded word at a time for ``char_wb``, none across a character outside the
vocabulary), the same float32 arithmetic, sums in float64 in column order - so the scores agree with
it to float32 rounding (tested). One pass per text, no intermediate arrays: what made the numpy path
the largest single cost of tagging a short review.
"""
from libc.math cimport logf, sqrt
from libc.stdlib cimport free, malloc, qsort, realloc


cdef inline long long _find(const long long[::1] table_keys, const int[::1] table_values, unsigned int shift,
                            unsigned long long mask, long long key) noexcept nogil:
    """Vocabulary position of ``key`` in the open-addressing table of ``voc.linear._KeyTable``, or -1."""
    cdef unsigned long long slot = (<unsigned long long> key * 0x9E3779B97F4A7C15ULL) >> shift
    cdef long long found
    while True:
        found = table_keys[slot]
        if found == key:
            return table_values[slot]
        if found == -1:
            return -1
        slot = (slot + 1) & mask


cdef int _compare(const void* a, const void* b) noexcept nogil:
    cdef long long x = (<const long long*> a)[0], y = (<const long long*> b)[0]
    return (x > y) - (x < y)


def char_ngram_scores(list docs, const int[::1] ranks, long long base, int lo, int hi, bint char_wb,
                      const long long[::1] table_keys, const int[::1] table_values, unsigned int shift,
                      const long long[::1] columns,
                      const float[::1] idf, const float[:, ::1] coef, const float[::1] tf_table,
                      bint sublinear, double[:, ::1] out):
    """Fill ``out[i, k]`` with the TF-IDF vector of ``docs[i]`` (already prepared: lower-cased, white
    space squeezed, words padded for ``char_wb``) dotted with ``coef[k]``.

    ``ranks[code point]`` is 1 + the character's position in the vocabulary's alphabet (0: unseen); an
    n-gram's number is its ranks as base-``base`` digits, found in the hash table of
    ``voc.linear._KeyTable`` (``table_keys``, ``table_values``, ``shift``; its column in ``columns``). ``tf_table[c]`` is the term weight of a count c (1 + log c when ``sublinear``)
    as numpy computes it, for the counts it covers.
    """
    cdef Py_ssize_t n_docs = len(docs), n_classes = coef.shape[0], n_ranks = ranks.shape[0]
    cdef Py_ssize_t n_table = tf_table.shape[0]
    cdef Py_ssize_t d, i, j, m, length, n_found, cap = 1024, k, run
    cdef int n
    cdef long long key, col
    cdef Py_UCS4 ch
    cdef double sq, norm
    cdef float v, nf
    cdef str text
    cdef int* rank = NULL
    cdef char* starts = NULL  # 1 where a new padded word starts (char_wb: the second of two spaces)
    cdef long long* found = <long long*> malloc(cap * sizeof(long long))
    cdef float* weight = <float*> malloc(cap * sizeof(float))
    cdef long long* cols = <long long*> malloc(cap * sizeof(long long))
    cdef Py_ssize_t rank_cap = 0
    cdef unsigned long long mask = table_keys.shape[0] - 1
    cdef long long pos
    if found == NULL or weight == NULL or cols == NULL:
        free(found); free(weight); free(cols)
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
            # every n-gram of the vocabulary in the text, as its column
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
                    pos = _find(table_keys, table_values, shift, mask, key)
                    if pos < 0:
                        continue
                    if n_found == cap:
                        cap *= 2
                        found = <long long*> realloc(found, cap * sizeof(long long))
                        weight = <float*> realloc(weight, cap * sizeof(float))
                        cols = <long long*> realloc(cols, cap * sizeof(long long))
                        if found == NULL or weight == NULL or cols == NULL:
                            raise MemoryError()
                    found[n_found] = columns[pos]
                    n_found += 1
            if n_found == 0:
                continue
            qsort(found, n_found, sizeof(long long), _compare)
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
                v = v * idf[col]
                cols[m] = col
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
                    sq += <double> (weight[i] * coef[k, cols[i]])
                out[d, k] = sq
    finally:
        free(found); free(weight); free(cols); free(rank); free(starts)
