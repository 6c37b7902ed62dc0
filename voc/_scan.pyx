# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled single-pass text checks of the normaliser and the segmenter (built by setup.py).

Each does in one loop over the characters what a regular expression or a chain of iterators does in
voc/normalise.py and voc/segment.py, which use them where built and keep their own code otherwise.
"""


def has_repeat(str text, Py_ssize_t n):
    """Whether ``text`` has one character n + 1 times in a row, or a two-character unit n + 1 times in
    a row: what ``(.)\\1{n}|(..)\\2{n}`` (DOTALL) finds; never for n <= 0."""
    cdef Py_ssize_t length = len(text), i, same = 1, pair = 0
    if n <= 0:
        return False
    for i in range(1, length):
        if text[i] == text[i - 1]:
            same += 1
            if same > n:
                return True
        else:
            same = 1
        if i >= 2 and text[i] == text[i - 2]:  # a period-2 run of 2n + 2 characters: 2n such steps
            pair += 1
            if pair >= 2 * n:
                return True
        else:
            pair = 0
    return False


def word_boundaries(list words):
    """Start and end offsets of consecutive ``words`` (0, then the running sum of their lengths)."""
    cdef Py_ssize_t pos = 0
    cdef set out = {0}
    cdef str word
    for word in words:
        pos += len(word)
        out.add(pos)
    return out


cdef extern from "Python.h":
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)


def punct_spans(str text, str punct):
    """Spans of the clause breaks in ``text``: runs of ``punct`` characters, and runs of white space
    (what ``[punct]+|\\s+`` finds, left to right)."""
    cdef Py_ssize_t n = len(text), i = 0, start
    cdef list out = []
    cdef Py_UCS4 ch
    while i < n:
        ch = text[i]
        if ch in punct:
            start = i
            i += 1
            while i < n and text[i] in punct:
                i += 1
            out.append((start, i))
        elif Py_UNICODE_ISSPACE(ch):
            start = i
            i += 1
            while i < n and Py_UNICODE_ISSPACE(text[i]):
                i += 1
            out.append((start, i))
        else:
            i += 1
    return out
