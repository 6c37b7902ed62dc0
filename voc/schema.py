"""Column names shared by the pipeline stages, and small frame checks.

Each stage reads the columns an earlier stage added and adds its own; keeping every name here keeps
string literals out of the stages. Inputs keep all their own columns, in order: voc only appends.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from typing import TYPE_CHECKING

from voc.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

# ingest
RESPONSE_ID = "response_id"  #: stable id of each input row: the --id column as text, else the 1-based row number

# normalise / segment
TEXT_NORMALISED = "text_normalised"
TOKENS = "tokens"  #: space-joined tokens

# tag (wide format: one row per response)
THEMES = "themes"  #: ';'-joined top-level theme ids ('' when none)
SUBTHEMES = "subthemes"  #: ';'-joined "theme.subtheme" ids
SENTIMENT = "sentiment"  #: positive | neutral | negative, for the text as a whole
SENTIMENT_SCORE = "sentiment_score"  #: float in [-1, 1]
EVIDENCE = "evidence"  #: "theme.sub:span@start-end|..." with offsets into the ORIGINAL text

# tag (long format: one row per mention)
THEME = "theme"
SUBTHEME = "subtheme"
MENTION_SENTIMENT = "mention_sentiment"
MENTION_SCORE = "mention_score"
CONFIDENCE = "confidence"
SPAN = "span"
START = "start"
END = "end"
SOURCE = "source"  #: "rules" | "model"

SENTIMENT_LABELS: tuple[str, ...] = ("positive", "neutral", "negative")
DEFAULT_THEMES: tuple[str, ...] = ("logistics", "price", "service", "product")

# drivers
POLARITIES: tuple[str, ...] = ("any", "negative", "positive")


def theme_sentiment_column(theme: str) -> str:
    """Name of the per-theme sentiment column, e.g. ``logistics_sentiment``."""
    return f"{theme}_sentiment"


def require_columns(df: pd.DataFrame, columns: Iterable[str], *, source: str = "input", option: str = "") -> None:
    """Raise :class:`InputError` naming the missing column(s) and listing the available ones.

    Example:
        >>> import pandas as pd
        >>> require_columns(pd.DataFrame({"评论": []}), ["comment"], option="--text")
        Traceback (most recent call last):
        ...
        voc.errors.InputError: column 'comment' not found in input; columns are: 评论. Pass --text 评论?
    """
    have = [str(c) for c in df.columns]
    for col in columns:
        if col not in df.columns:
            raise InputError(missing_column_message(col, have, source=source, option=option))


def missing_column_message(col: str, have: Sequence[str], *, source: str = "input", option: str = "") -> str:
    """The one-line error for a column that is not there, with a guess at the intended one.

    ``option`` names where the column came from: a parameter ending in ``=`` (``"text="`` gives
    "Pass text='评论'?"), or a CLI flag (``"--text"`` gives "Pass --text 评论?").

    Example:
        >>> missing_column_message("comment", ["id", "评论"], source="survey.csv", option="text=")
        "column 'comment' not found in survey.csv; columns are: id, 评论. Pass text='评论'?"
    """
    listed = ", ".join(have) if have else "(none)"
    msg = f"column '{col}' not found in {source}; columns are: {listed}"
    guess = _closest(col, have)
    if option and guess:
        msg += f". Pass {option}{guess!r}?" if option.endswith("=") else f". Pass {option} {guess}?"
    return msg


def _closest(name: str, have: Sequence[str]) -> str | None:
    import difflib

    stripped = {h.strip().lower(): h for h in have}
    if name.strip().lower() in stripped:
        return stripped[name.strip().lower()]
    hits = difflib.get_close_matches(name, list(have), n=1, cutoff=0.5)
    if hits:
        return hits[0]
    text_like = [h for h in have if any(k in h.lower() for k in ("text", "comment", "评论", "評論", "意见", "意見", "内容", "內容", "review"))]
    return text_like[0] if text_like else None
