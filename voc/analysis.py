"""``analyse()``: tag a survey and explain its scores in one call (what ``voc report`` runs).

responses -> :class:`voc.Pipeline` (tag) -> :mod:`voc.drivers` (drivers, importance, segments, trend,
follow-up) -> :class:`voc.report.Report`. Data-quality warnings raised on the way become the report's
notes instead of reaching the terminal.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from voc import schema
from voc.config import Config
from voc.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from voc.pipeline import Pipeline
    from voc.report import Report

__all__ = ["Analysis", "analyse"]


@dataclass
class Analysis:
    """Everything ``voc report`` shows: the tagged frame, headline scores, driver tables and the report."""

    tagged: pd.DataFrame
    headline: dict[str, Any]
    drivers: dict[str, pd.DataFrame]
    segments: dict[str, pd.DataFrame]
    trend: pd.DataFrame | None
    follow_up: pd.DataFrame
    notes: list[str]
    report: Report
    importance: dict[str, pd.DataFrame] = field(default_factory=dict)  #: relative weights for score/top/bottom


def analyse(df: pd.DataFrame, *, text: str, nps: str | None = None, csat: str | None = None,
            segment: str | None = None, date: str | None = None, config: Config | None = None,
            pipeline: Pipeline | None = None, title: str = "Customer feedback drivers", source: str = "",
            progress: Callable[[int], None] | None = None, workers: int = 1) -> Analysis:
    """Tag ``df`` and explain its NPS and/or CSAT: drivers, segments, trend, follow-up list and report.

    Args:
        df: one row per response; ``text`` is its answer column, ``nps`` (0-10) and/or ``csat`` (1-5)
            its score columns, ``segment`` and ``date`` optional breakdowns.
        config: settings (score bands, bootstrap, period); the pipeline's when None.
        pipeline: a loaded :class:`voc.Pipeline` to reuse (a service keeps one warm).

    Example:
        >>> # a = voc.analyse(survey, text="comment", nps="nps", csat="csat", segment="region", date="submitted_at")
        >>> # a.report.save("drivers.html")
    """
    from voc import drivers as drv
    from voc import metrics
    from voc.normalise import Normaliser
    from voc.pipeline import Pipeline
    from voc.report import Report

    cfg = config or (pipeline.config if pipeline else Config())
    if not nps and not csat:
        raise InputError("pass a score column: nps='COLUMN' and/or csat='COLUMN'")
    schema.require_columns(df, [text], option="text=")
    for param, col in (("nps=", nps), ("csat=", csat), ("segment=", segment), ("date=", date)):
        if col:
            schema.require_columns(df, [col], option=param)
    pipe = pipeline or Pipeline(cfg)
    tagged = pipe.tag_frame(df, text=text, progress=progress, workers=workers)
    if schema.RESPONSE_ID not in tagged.columns:
        tagged = tagged.assign(**{schema.RESPONSE_ID: [str(i) for i in tagged.index]})
    notes: list[str] = []
    headline: dict[str, Any] = {}
    tables: dict[str, pd.DataFrame] = {}
    importance: dict[str, pd.DataFrame] = {}
    segments: dict[str, pd.DataFrame] = {}
    trend = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for metric, col in (("nps", nps), ("csat", csat)):
            if not col:
                continue
            if metric == "nps":
                headline[metric] = metrics.nps(tagged[col], promoter_min=cfg.nps_promoter_min,
                                               detractor_max=cfg.nps_detractor_max)
            else:
                headline[metric] = metrics.csat(tagged[col], scale=cfg.csat_scale, top_box=cfg.csat_top_box)
            tables[metric] = drv.driver_table(tagged, score=col, metric=metric, config=cfg)
            importance[metric] = drv.importance_table(tagged, score=col, metric=metric, config=cfg)
            if segment:
                segments[f"{metric}:{segment}"] = drv.driver_table(tagged, score=col, metric=metric,
                                                                   segment=segment, config=cfg)
        if date:
            main_metric, main_col = ("nps", nps) if nps else ("csat", csat)
            assert main_col is not None
            trend = drv.trend_table(tagged, score=main_col, metric=main_metric, date=date, period=cfg.period,
                                    config=cfg)
        norm = Normaliser(cfg)
        follow = drv.follow_up(tagged, text=text, nps=nps, csat=csat, redact=norm.redact, config=cfg)
    for w in caught:
        msg = str(w.message)
        if msg not in notes:
            notes.append(msg)
    for score in headline.values():
        for msg in getattr(score, "warnings", ()):
            if msg not in notes:
                notes.append(msg)
    report = Report(title=title, headline=headline, drivers=tables, tagged=tagged, text=text, segments=segments,
                    trend=trend, follow_up=follow, notes=notes, source=source, importance=importance)
    return Analysis(tagged=tagged, headline=headline, drivers=tables, segments=segments, trend=trend,
                    follow_up=follow, notes=notes, report=report, importance=importance)
