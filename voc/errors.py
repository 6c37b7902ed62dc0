"""Errors and warnings raised by voc.

Every user-facing problem is a :class:`VocError`; the CLI turns it into one red line and exit code 2.
Errors subclass the builtin they refine, so ``except ValueError`` keeps working for library users.
"""
from __future__ import annotations

import os
import re
import tempfile
import time
import traceback
from collections.abc import Mapping
from pathlib import Path


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


_PARAM_OR_QUOTE = re.compile(
    r"(?<![\w\-.])(?P<name>[a-z][a-z0-9_]*)=(?P<value>'(?:[^'\\]|\\.)*'|True\b|(?=[\s,;:)]|$))"
    r"|'(?:[^'\\]|\\.)*'")
_PLAIN = re.compile(r"[\w./\-]+")


def rename_params(message: str, names: Mapping[str, str]) -> str:
    """Say ``message`` in another caller's words: ``score='NPS'`` -> ``--score NPS`` for a CLI.

    ``names`` maps a Python parameter to what the caller calls it (``{"score": "--score"}``). Only
    ``name=``, ``name=True`` and ``name='value'`` outside quoted values change, so answers quoted in a
    message stay as they are.

    Example:
        >>> rename_params("column 'x' not found; pass score='推荐意愿'", {"score": "--score"})
        "column 'x' not found; pass --score 推荐意愿"
    """
    def one(m: re.Match[str]) -> str:
        flag = names.get(m.group("name") or "")
        if flag is None:
            return m.group(0)
        value = m.group("value")
        if not value or value == "True":
            return flag
        inner = value[1:-1]
        return f"{flag} {inner}" if _PLAIN.fullmatch(inner) else f"{flag} {value}"

    return _PARAM_OR_QUOTE.sub(one, message)


def write_crash_log(exc: BaseException, *, program: str = "voc") -> Path:
    """Write the traceback of an unexpected error to a private file (0600) and return its path.

    Only the traceback goes in (no local variables: survey text is personal data). The folder is
    ``$XDG_STATE_HOME/voc`` (default ``~/.local/state/voc``), or the temporary folder if that cannot
    be written.
    """
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    body = "".join(lines).encode("utf-8", "replace")
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for folder in (Path(state) / program, Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, name = tempfile.mkstemp(prefix=f"{program}-crash-{stamp}-", suffix=".log", dir=folder)
        except OSError:
            continue
        with os.fdopen(fd, "wb") as fh:  # mkstemp creates the file 0600
            fh.write(body)
        return Path(name)
    raise OSError("no folder to write the crash log to")
