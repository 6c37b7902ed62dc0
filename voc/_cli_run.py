"""How the ``voc`` command runs: checks before the work starts, and the one exit path.

Usage errors are typer's (short message, exit 2); :class:`voc.errors.VocError` and OSError (missing or
read-only folder, full disk) are one red line and exit 2, the library's parameter names (``score=``)
shown as the CLI's flags (``--score``); anything else is a bug: one line with the path of a private log
of the traceback, exit 1. Ctrl-C exits 130 and SIGTERM 143, through the same ``finally`` blocks.
Warnings print as one line each.
"""
from __future__ import annotations

import os
import signal
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console


def _check_output(output: str) -> None:
    """Refuse an output path whose folder is missing, not a folder or not writable, before any work."""
    from voc.errors import InputError

    if output == "-":
        return
    parent = Path(output).absolute().parent
    if parent.is_file():
        raise InputError(f"cannot write {output}: {parent} is a file, not a folder; choose another output path")
    if not parent.is_dir():
        raise InputError(f"cannot write {output}: the folder {parent} does not exist; create it first "
                         f"(mkdir -p {parent}) or choose another output path")
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write {output}: permission denied in the folder {parent}; choose another output path")


def _write(write: Any, what: Any, output: str) -> None:
    """``write(what, output)``, naming the output in an OSError that names no file (a full disk)."""
    try:
        write(what, output)
    except OSError as exc:
        temp = f".{Path(output).name}."  # atomic_write's temporary file beside the output: name the output
        if not exc.filename or Path(str(exc.filename)).name.startswith(temp):
            exc.filename = output
        raise


def _check_scores(df: Any, columns: list[tuple[str, str | None, str]], cfg: Any, *, allow_scale: bool,
                  drop_invalid: bool) -> None:
    """Check each (parameter, column, metric) on the whole column before the (slow) tagging starts."""
    from voc.metrics import parse_scores

    for param, col, metric in columns:
        if col and col in df.columns:
            low, high = (0, 10) if metric == "nps" else (1, cfg.csat_scale)
            parse_scores(df[col], low=low, high=high, name=metric.upper(), param=param, allow_scale=allow_scale,
                         drop_invalid=drop_invalid)


def _check_dates(df: Any, col: str | None) -> None:
    """Refuse a --date column that holds no dates (a comment or score column)."""
    import pandas as pd

    from voc.errors import InputError

    if not col or col not in df.columns or pd.api.types.is_datetime64_any_dtype(df[col]):
        return
    text = df[col].astype("string").str.strip()
    given = text[text.notna() & (text != "")]
    numbers = given.str.fullmatch(r"[+-]?\d+(?:\.\d+)?").fillna(False).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        when = pd.to_datetime(given, errors="coerce", format="mixed")
    if len(given) and (numbers or when.isna().all()):
        shown = ", ".join(f"row {k + 1}: {str(v)[:20]!r}" for k, v in zip(range(3), given.head(3), strict=False))
        raise InputError(f"column {col!r} given as --date holds no dates ({shown}); pass the column with the "
                         "date of each answer, such as 2026-04-01")


def _flags(app: typer.Typer) -> dict[str, str]:
    """Python parameter -> this CLI's flag, from the commands themselves (``errors_out`` -> ``--errors``)."""
    names: dict[str, str] = {"model_dir": "--model"}
    for command in getattr(typer.main.get_command(app), "commands", {}).values():
        for param in command.params:
            flags = [o for o in param.opts if o.startswith("--")]
            if param.name and flags:
                names.setdefault(param.name, flags[0])
    return names


def _show_warning(err: Console) -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints one line on stderr: no file name, no source line."""
    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None,
             line: str | None = None) -> None:
        err.print(f"[yellow]warning:[/] {' '.join(str(message).split())}", highlight=False, soft_wrap=True)

    return show


def run(app: typer.Typer, argv: list[str] | None, err: Console) -> None:
    """Run ``app`` as the ``voc`` command and exit: 0 ok, 1 bug, 2 usage/user error, 130 Ctrl-C, 143 SIGTERM."""
    import gc

    from voc._parallel import GC_THRESHOLDS
    from voc.errors import VocError, rename_params, write_crash_log

    gc.set_threshold(*GC_THRESHOLDS)  # a command line run is our own process: collect less often
    terminated: list[int] = []
    pid = os.getpid()

    def on_sigterm(signum: int, frame: Any) -> None:
        if os.getpid() != pid:  # a forked worker: die as a worker should
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        terminated.append(signum)
        raise KeyboardInterrupt  # unwinds like Ctrl-C: finally blocks remove temporary files, stop workers

    try:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread
        previous = None
    shown, warnings.showwarning = warnings.showwarning, _show_warning(err)
    code = 0
    try:
        app(args=argv, prog_name="voc")  # standalone: typer prints usage errors itself and exits 2
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        code = 130
    except VocError as exc:
        err.print(f"[red]error:[/] {rename_params(str(exc), _flags(app))}", highlight=False, soft_wrap=True)
        code = 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"[red]error:[/] {where}{exc.strerror or exc}", highlight=False, soft_wrap=True)
        code = 2
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback at the user
        if os.environ.get("VOC_DEBUG"):
            raise
        try:
            log = f"the traceback is in {write_crash_log(exc)}"
        except OSError:
            log = "re-run with VOC_DEBUG=1 for the traceback"
        err.print(f"[red]internal error:[/] {type(exc).__name__}: this is a bug in voc; {log} "
                  "(please attach it to a bug report)", highlight=False, soft_wrap=True)
        code = 1
    finally:
        warnings.showwarning = shown
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if code == 130:
        err.print("terminated" if terminated else "interrupted")
        code = 143 if terminated else 130
    sys.exit(code)
