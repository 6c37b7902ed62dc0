"""What tagging produces: :class:`Mention` and :class:`TagResult`, and the ``voc tag`` columns built from them.

Two shapes of output, both declared in :mod:`voc.schema`:

- **wide** (one row per response): the input columns, then ``themes``, ``subthemes``, ``sentiment``,
  ``sentiment_score``, one ``<theme>_sentiment`` column per top-level theme, and ``evidence``;
- **long** (one row per mention): the response id, the mention's columns, the response's overall
  sentiment, then the input's other columns. A response without any mention keeps one row with an empty
  theme, so every response is in the output.

The wide cells of one text travel between processes as a plain tuple (:func:`row_cells` documents the
order): at a million rows a tuple is the cheapest thing to pickle.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from voc import schema

if TYPE_CHECKING:
    import pandas as pd

#: the fixed wide cells before the per-theme sentiments (see :func:`row_cells`)
WIDE_FIXED = 5


class Mention(NamedTuple):
    """One theme mention: what, how the customer feels, and where (offsets into the ORIGINAL text).

    Immutable (a named tuple: cheap to build and to pickle, which matters at a million rows).
    """

    theme: str
    subtheme: str
    sentiment: str
    score: float
    confidence: float
    span: str
    start: int
    end: int
    source: str = "rules"

    @property
    def code(self) -> str:
        """``theme.subtheme``."""
        return f"{self.theme}.{self.subtheme}"

    def evidence(self) -> str:
        """``theme.subtheme:span@start-end`` as in the ``evidence`` column."""
        return evidence_text(self.theme, self.subtheme, self.span, self.start, self.end)


def evidence_text(theme: str, subtheme: str, span: str, start: int, end: int) -> str:
    """One mention in the ``evidence`` column: ``theme.subtheme:span@start-end`` ('|' in the span -> '/')."""
    span = span.replace("|", "/").replace("\n", " ")
    return f"{theme}.{subtheme}:{span}@{start}-{end}"


new_mention = tuple.__new__  #: builds a Mention without the NamedTuple constructor's overhead (hot loop)


@dataclass(frozen=True)
class TagResult:
    """Themes and sentiment of one text."""

    text: str
    normalised: str
    sentiment: str
    score: float
    themes: tuple[str, ...] = ()
    subthemes: tuple[str, ...] = ()
    theme_sentiment: dict[str, str] = field(default_factory=dict)
    theme_scores: dict[str, float] = field(default_factory=dict)
    mentions: tuple[Mention, ...] = ()
    truncated: bool = False

    def __reduce__(self) -> tuple[Any, ...]:  # compact pickles: results cross process boundaries in bulk
        return (TagResult, (self.text, self.normalised, self.sentiment, self.score, self.themes, self.subthemes,
                            self.theme_sentiment, self.theme_scores, self.mentions, self.truncated))

    @property
    def evidence(self) -> str:
        """All mentions as ``a.b:span@s-e|...`` (the ``evidence`` column)."""
        return "|".join(m.evidence() for m in self.mentions)


def row_cells(r: TagResult, theme_ids: Sequence[str]) -> tuple[Any, ...]:
    """The wide ``voc tag`` cells of one result, in this order: themes, subthemes, sentiment, score,
    evidence, then the sentiment towards each of ``theme_ids`` ('' when not mentioned)."""
    ts = r.theme_sentiment
    return (";".join(r.themes), ";".join(r.subthemes), r.sentiment, r.score, r.evidence,
            *(ts.get(t, "") for t in theme_ids))


def rows_to_frame(df: pd.DataFrame, rows: Sequence[tuple[Any, ...]], *, theme_ids: Sequence[str]) -> pd.DataFrame:
    """``df`` plus the wide ``voc tag`` columns from :func:`row_cells` cells (row-aligned with ``df``)."""
    columns = list(zip(*rows)) if rows else [()] * (WIDE_FIXED + len(theme_ids))
    new: dict[str, Any] = {
        schema.THEMES: list(columns[0]),
        schema.SUBTHEMES: list(columns[1]),
        schema.SENTIMENT: list(columns[2]),
        schema.SENTIMENT_SCORE: list(columns[3]),
    }
    for k, t in enumerate(theme_ids):
        new[schema.theme_sentiment_column(t)] = list(columns[WIDE_FIXED + k])
    new[schema.EVIDENCE] = list(columns[4])
    clash = [c for c in new if c in df.columns]
    base = df.drop(columns=clash) if clash else df
    return base.assign(**new)


def response_ids(df: pd.DataFrame) -> list[Any]:
    """The id of each row: the ``response_id`` column, else the frame's index (the caller's own ids)."""
    if schema.RESPONSE_ID in df.columns:
        return df[schema.RESPONSE_ID].tolist()
    return df.index.tolist()


def long_frame(df: pd.DataFrame, results: Sequence[TagResult]) -> pd.DataFrame:
    """One row per mention, and one row with an empty theme for a response without any mention.

    Columns: :data:`voc.schema.LONG_COLUMNS`, then every column of ``df`` that is not one of them (the
    pass-through columns, repeated on each mention row of their response).
    """
    import pandas as pd

    ids = response_ids(df)
    rows: list[tuple[Any, ...]] = []
    positions: list[int] = []
    for k, (rid, r) in enumerate(zip(ids, results)):
        if not r.mentions:
            rows.append((rid, "", "", "", None, None, "", None, None, "", r.sentiment))
            positions.append(k)
        for m in r.mentions:
            rows.append((rid, m.theme, m.subtheme, m.sentiment, m.score, round(m.confidence, 3), m.span, m.start,
                         m.end, m.source, r.sentiment))
            positions.append(k)
    out = pd.DataFrame(rows, columns=list(schema.LONG_COLUMNS))
    for col in (schema.START, schema.END):
        out[col] = out[col].astype("Int64")
    passthrough = [c for c in df.columns if c not in schema.LONG_COLUMNS]
    if passthrough:
        extra = df[passthrough].iloc[positions].reset_index(drop=True)
        out = pd.concat([out, extra], axis=1)
    return out


def results_to_frame(df: pd.DataFrame, results: Sequence[TagResult], *, theme_ids: Sequence[str],
                     format: str = "wide") -> pd.DataFrame:
    """The ``voc tag`` output for ``results`` (row-aligned with ``df``): wide (a copy of ``df`` plus the
    tag columns) or long (see :func:`long_frame`)."""
    if format == "long":
        return long_frame(df, results)
    return rows_to_frame(df, [row_cells(r, theme_ids) for r in results], theme_ids=theme_ids)
