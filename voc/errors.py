"""Errors and warnings raised by voc.

Every user-facing problem is a :class:`VocError`; the CLI turns it into one red line and exit code 2.
Errors subclass the builtin they refine, so ``except ValueError`` keeps working for library users.
"""
from __future__ import annotations


class VocError(Exception):
    """Base class of every error voc raises on purpose (bad input, bad configuration)."""


class InputError(VocError, ValueError):
    """A data file cannot be read as asked: missing file, bad encoding, unknown column, bad value."""


class ConfigError(VocError, ValueError):
    """A codeframe, lexicon, model directory or option is missing, malformed or incompatible."""


class NotFittedError(VocError, ValueError, AttributeError):
    """A learned component was used before ``fit`` (mirrors scikit-learn's NotFittedError)."""


class VocWarning(UserWarning):
    """Base class of voc's data-quality warnings (aggregated, never one per row)."""


class DataQualityWarning(VocWarning):
    """Some rows or values were excluded or repaired; the message says how many and gives examples."""
