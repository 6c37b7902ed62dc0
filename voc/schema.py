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

#: the long format's own columns, in order (pass-through input columns follow them)
LONG_COLUMNS: tuple[str, ...] = (RESPONSE_ID, THEME, SUBTHEME, MENTION_SENTIMENT, MENTION_SCORE, CONFIDENCE, SPAN,
                                 START, END, SOURCE, SENTIMENT)

SENTIMENT_LABELS: tuple[str, ...] = ("positive", "neutral", "negative")
DEFAULT_THEMES: tuple[str, ...] = ("logistics", "price", "service", "product")

# drivers
POLARITIES: tuple[str, ...] = ("any", "negative", "positive")


def theme_sentiment_column(theme: str) -> str:
    """Name of the per-theme sentiment column, e.g. ``logistics_sentiment``."""
    return f"{theme}_sentiment"


def tagged_columns(theme_ids: Sequence[str]) -> dict[str, str]:
    """The columns the tag stage adds in the wide format, in order, with their dtype kind.

    ``"text"`` columns hold strings ('' when empty), ``"float"`` a number. Every later stage (drivers,
    report, sampling, validation) reads these and only these.
    """
    cols = {THEMES: "text", SUBTHEMES: "text", SENTIMENT: "text", SENTIMENT_SCORE: "float"}
    cols.update({theme_sentiment_column(t): "text" for t in theme_ids})
    cols[EVIDENCE] = "text"
    return cols


def check_tagged(df: pd.DataFrame, *, source: str = "tagged data") -> None:
    """Raise :class:`InputError` unless ``df`` has the tag stage's wide columns (see :func:`tagged_columns`).

    Per-theme sentiment columns are optional (a frame tagged with another codeframe has others); the
    fixed ones must be there and hold the declared kind.
    """
    need = [THEMES, SENTIMENT]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(f"{source} has no {', '.join(missing)} column: tag it first (voc.Pipeline().tag_frame "
                         "or `voc tag`)")
    if SENTIMENT_SCORE in df.columns and len(df):
        import pandas as pd

        if not pd.api.types.is_numeric_dtype(df[SENTIMENT_SCORE]):
            bad = pd.to_numeric(df[SENTIMENT_SCORE], errors="coerce").isna() & df[SENTIMENT_SCORE].notna()
            if bad.any():
                raise InputError(f"{source}: column {SENTIMENT_SCORE} must be numeric; row "
                                 f"{int(bad.to_numpy().argmax()) + 1} holds {df[SENTIMENT_SCORE][bad].iloc[0]!r}")


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
