# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled candidate search of :class:`voc.segment.PhraseMatcher`: every phrase occurrence in a text.

The optional fast path (built by setup.py) of what an Aho-Corasick automaton gives there: all occurrences,
overlaps included, as ``(start, -length, phrase index)`` sorted by start, longest first. From each position
it walks forward while what it has read is the start of some phrase, looking each step up in a hash table
of all phrase prefixes. pyahocorasick finds the same occurrences, but scans a node's children one by one,
and the root of a Chinese lexicon has thousands of them; here each step is one table probe.
:meth:`PhraseTable.matches` also makes the matcher's choice among them (leftmost-longest, aligned to the
word boundaries), so only the chosen matches become Python objects.
"""
from libc.stdint cimport int32_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free

cdef enum:
    MAX_PHRASE = 256  # candidates kept per start position (one per phrase length)
MAX_LENGTH = MAX_PHRASE  #: longest phrase PhraseTable handles (voc.segment uses the automaton for longer ones)
cdef uint64_t _MULT = 0x9E3779B97F4A7C15ULL  # Fibonacci hashing for the slot
cdef uint64_t _BASE = 0x100000001B3ULL  # polynomial hash of a prefix, one code point at a time


cdef inline uint64_t _step(uint64_t h, Py_UCS4 ch) noexcept nogil:
    return (h ^ (<uint64_t> ch + 1)) * _BASE


cdef class PhraseTable:
    """All phrases (and their prefixes) of a matcher, for :meth:`candidates`.

    Args:
        phrases: the phrases (already lower-cased); ``candidates`` reports their positions in this list.
    """

    cdef uint64_t* _hashes
    cdef int32_t* _phrase  # phrase index of the slot's prefix, -1 when it is only the start of longer ones
    cdef uint8_t* _used
    cdef uint8_t* _longer  # 1 when some longer phrase starts with the slot's prefix
    cdef uint64_t _mask
    cdef int _shift
    cdef readonly list phrases

    def __cinit__(self, list phrases):
        cdef Py_ssize_t n_prefixes = sum(len(p) for p in phrases) + 1, size = 1024
        cdef int bits = 10
        while size < 4 * n_prefixes:
            size *= 2
            bits += 1
        self._mask = size - 1
        self._shift = 64 - bits
        self._hashes = <uint64_t*> calloc(size, sizeof(uint64_t))
        self._phrase = <int32_t*> calloc(size, sizeof(int32_t))
        self._used = <uint8_t*> calloc(size, sizeof(uint8_t))
        self._longer = <uint8_t*> calloc(size, sizeof(uint8_t))
        if not (self._hashes and self._phrase and self._used and self._longer):
            raise MemoryError()
        self.phrases = list(phrases)
        cdef Py_ssize_t k, i
        cdef uint64_t h
        cdef str phrase
        cdef Py_ssize_t slot
        for k in range(len(self.phrases)):
            phrase = self.phrases[k]
            h = 0
            for i in range(len(phrase)):
                h = _step(h, phrase[i])
                slot = self._slot(h, True)
                if i == len(phrase) - 1:
                    self._phrase[slot] = <int32_t> k
                else:
                    self._longer[slot] = 1

    def __dealloc__(self):
        free(self._hashes)
        free(self._phrase)
        free(self._used)
        free(self._longer)

    def __reduce__(self):
        return (PhraseTable, (self.phrases,))

    cdef Py_ssize_t _slot(self, uint64_t h, bint insert):
        """The slot of hash ``h``: its own, a free one (``insert``: taken for it), or -1."""
        cdef uint64_t slot = (h * _MULT) >> self._shift
        while self._used[slot]:
            if self._hashes[slot] == h:
                return <Py_ssize_t> slot
            slot = (slot + 1) & self._mask
        if not insert:
            return -1
        self._used[slot] = 1
        self._hashes[slot] = h
        self._phrase[slot] = -1
        return <Py_ssize_t> slot

    cdef Py_ssize_t _at(self, str text, Py_ssize_t i, Py_ssize_t* ends, int32_t* found):
        """The phrases that start at ``i`` (at most MAX_LENGTH), shortest first: their ends and indices."""
        cdef Py_ssize_t n = len(text), j, slot, count = 0
        cdef uint64_t h = 0
        cdef int32_t phrase
        cdef str candidate
        for j in range(i, n):
            h = _step(h, text[j])
            slot = self._slot(h, False)
            if slot < 0:
                break
            phrase = self._phrase[slot]
            if phrase >= 0 and count < MAX_PHRASE:
                candidate = self.phrases[phrase]
                if len(candidate) == j + 1 - i and text[i:j + 1] == candidate:  # never trust a hash alone
                    ends[count] = j + 1
                    found[count] = phrase
                    count += 1
            if not self._longer[slot]:
                break
        return count

    def candidates(self, str text):
        """Every occurrence of every phrase in ``text``: ``[(start, -length, phrase index), ...]`` sorted."""
        cdef Py_ssize_t i, k, count
        cdef Py_ssize_t ends[MAX_PHRASE]
        cdef int32_t found[MAX_PHRASE]
        cdef list out = []
        for i in range(len(text)):
            count = self._at(text, i, ends, found)
            for k in range(count - 1, -1, -1):  # longest first
                out.append((i, i - ends[k], found[k]))
        return out

    def matches(self, str low, str text, object boundaries, list payloads, str particles, object make):
        """The matches :meth:`voc.segment.PhraseMatcher.find` keeps among :meth:`candidates`: from each
        free start, the longest aligned phrase, as ``make((start, end, text[start:end], payloads[k]))``.

        Aligned: a one-character phrase is a whole word (or glued to one of ``particles``), a
        two-character one starts or ends on a word boundary (``boundaries``: a set of offsets, or None
        for no checks), a longer one may sit anywhere.
        """
        cdef Py_ssize_t n = len(low), i = 0, count, k, size, end
        cdef Py_ssize_t ends[MAX_PHRASE]
        cdef int32_t found[MAX_PHRASE]
        cdef list out = []
        cdef bint check = boundaries is not None
        while i < n:
            count = self._at(low, i, ends, found)
            end = -1
            for k in range(count - 1, -1, -1):  # longest first
                size = ends[k] - i
                if check and size < 3:
                    if size == 2:
                        if i not in boundaries and ends[k] not in boundaries:
                            continue
                    elif i not in boundaries or (ends[k] not in boundaries
                                                 and (ends[k] >= n or low[ends[k]] not in particles)):
                        continue
                end = ends[k]
                out.append(make((i, end, text[i:end], payloads[found[k]])))
                break
            i = end if end > i else i + 1
        return out
