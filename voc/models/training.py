"""Train theme/sentiment models on a user's labelled file (``voc train``), score a gold file (``voc eval``).

The labelled format is the one of the shared corpora: a text column, ``themes`` (';'-joined theme ids,
empty for none), optionally ``<theme>`` columns with the sentiment towards each theme and an ``overall``
(or ``label``) column with the overall sentiment. Models are :class:`voc.models.LinearTextModel` s fitted
on normalised text and saved as JSON + arrays (never pickle) with a manifest, ``voc-model.json``
(:mod:`voc.models.store`).

Example:
    >>> # voc train labelled.csv --text text -o my-model   (then: voc tag new.csv --model my-model ...)
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from voc import schema
from voc.config import Config
from voc.errors import InputError
from voc.models.estimator import LinearTextModel
from voc.models.store import MANIFEST_FORMAT, MANIFEST_VERSION, make_folder, write_manifest
from voc.normalise import Normaliser

__all__ = ["EvalResult", "evaluate", "train"]


def _split(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and value != value) or pd.isna(value):
        return []
    return [t.strip() for t in str(value).split(";") if t.strip()]


def train(df: pd.DataFrame, out_dir: str | Path, *, text: str = "text", themes: str = "themes",
          overall: str | None = None, config: Config | None = None, min_examples: int = 5) -> Path:
    """Fit a multi-label theme model (and a sentiment model when labels exist) and save them.

    Args:
        df: labelled responses.
        out_dir: the folder to write (created; files inside are replaced); not an existing file.
        text: the text column; themes: the ';'-joined theme column.
        overall: the overall-sentiment column (default: ``overall`` or ``label`` when present).
        min_examples: themes with fewer positive examples are left out (and reported in the manifest).

    Returns:
        The model directory, usable as ``Pipeline(model_dir=...)`` / ``voc tag --model``.

    Raises:
        InputError: a column is missing or there are too few labelled rows.
        ConfigError: ``out_dir`` is an existing file or cannot be written.

    Example:
        >>> # train(pd.read_csv("labelled.csv"), "my-model", text="comment")  -> PosixPath('my-model')
    """
    schema.require_columns(df, [text, themes], option="text=" if text not in df.columns else "themes=")
    norm = Normaliser(config)
    rows = df[df[text].notna() & (df[text].astype(str).str.strip() != "")]
    if len(rows) < 10:
        raise InputError(f"only {len(rows)} labelled rows with text; train() needs at least 10")
    texts = [norm.normalise(str(t)).text for t in rows[text].tolist()]
    labels = [_split(v) for v in rows[themes].tolist()]
    counts = Counter(t for ls in labels for t in ls)
    kept = sorted(t for t, c in counts.items() if c >= min_examples)
    dropped = sorted(t for t, c in counts.items() if c < min_examples)
    if not kept:
        raise InputError(f"no theme has {min_examples}+ examples in column '{themes}'; found: "
                         f"{dict(counts) or 'none'}")
    out = make_folder(out_dir, param="out_dir")
    theme_model = LinearTextModel(kind="multilabel").fit(texts, [[t for t in ls if t in kept]
                                                                 for ls in labels])
    theme_model.save(out / "themes", card={"trained_on_rows": len(texts), "themes": kept})
    overall = overall or next((c for c in ("overall", "label") if c in rows.columns), None)
    has_sentiment = False
    if overall is not None:
        sent = rows[overall].fillna("").astype(str).str.strip()
        mask = sent.isin(schema.SENTIMENT_LABELS)
        if mask.sum() >= 10 and sent[mask].nunique() >= 2:
            st = [t for t, m in zip(texts, mask.tolist(), strict=True) if m]
            LinearTextModel(kind="multiclass").fit(st, sent[mask].tolist()).save(
                out / "sentiment", card={"trained_on_rows": int(mask.sum())})
            has_sentiment = True
    manifest = {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "rows": len(texts), "themes": kept, "themes_left_out": dropped,
                "theme_counts": {t: counts[t] for t in kept}, "sentiment_model": has_sentiment,
                "text_column": text}
    write_manifest(out, manifest)
    return out


@dataclass
class EvalResult:
    """Scores of the tagger on a gold file."""

    rows: int
    themes: pd.DataFrame  #: per theme: support, precision, recall, f1, sentiment_accuracy (+ a "micro" row)
    overall_accuracy: float | None
    overall_macro_f1: float | None
    errors: pd.DataFrame  #: most common errors: kind, theme, gold, predicted, count, example id
    notes: list[str] = field(default_factory=list)


def evaluate(gold: pd.DataFrame, tagged: pd.DataFrame, *, theme_ids: list[str] | tuple[str, ...],
             id: str = schema.RESPONSE_ID, overall: str | None = None, top_errors: int = 15) -> EvalResult:
    """Compare a tagged frame with gold labels (row-aligned) per theme and overall.

    The gold frame has ``themes`` and optionally ``<theme>`` sentiment columns, ``ignore`` and
    ``overall``/``label``; ``tagged`` is the output of :meth:`voc.Pipeline.tag_frame` on it.
    """
    schema.require_columns(gold, ["themes"], source="gold file")
    overall = overall or next((c for c in ("overall", "label") if c in gold.columns), None)
    stats = []
    tp_all = fp_all = fn_all = 0
    errors: Counter[tuple[str, str, str, str]] = Counter()
    example: dict[tuple[str, str, str, str], str] = {}
    ids = gold[id].astype(str).tolist() if id in gold.columns else [str(i + 1) for i in range(len(gold))]
    for t in theme_ids:
        tp = fp = fn = 0
        agree = n_sent = 0
        for k in range(len(gold)):
            g_row, p_row = gold.iloc[k], tagged.iloc[k]
            if t in _split(g_row.get("ignore")):
                continue
            gold_has = t in _split(g_row["themes"])
            pred_has = t in _split(p_row[schema.THEMES])
            tp += gold_has and pred_has
            fp += pred_has and not gold_has
            fn += gold_has and not pred_has
            if pred_has != gold_has:
                key = ("theme", t, "yes" if gold_has else "no", "yes" if pred_has else "no")
                errors[key] += 1
                example.setdefault(key, ids[k])
            gs = str(g_row.get(t, "") or "") if t in gold.columns else ""
            if gold_has and pred_has and gs in schema.SENTIMENT_LABELS:
                ps = p_row[schema.theme_sentiment_column(t)]
                n_sent += 1
                agree += gs == ps
                if gs != ps:
                    key = ("theme sentiment", t, gs, ps)
                    errors[key] += 1
                    example.setdefault(key, ids[k])
        if tp + fn == 0 and fp == 0:
            continue
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        stats.append({"theme": t, "support": tp + fn, "precision": p, "recall": r, "f1": _f1(p, r),
                      "sentiment_accuracy": agree / n_sent if n_sent else None})
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
    p = tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0
    r = tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0
    stats.append({"theme": "micro", "support": tp_all + fn_all, "precision": p, "recall": r, "f1": _f1(p, r),
                  "sentiment_accuracy": None})
    acc = macro = None
    if overall is not None:
        predicted = tagged[schema.SENTIMENT].tolist()
        pairs = [(str(g), str(pr)) for g, pr in zip(gold[overall].tolist(), predicted, strict=False)
                 if str(g) in schema.SENTIMENT_LABELS]
        if pairs:
            acc = sum(g == pr for g, pr in pairs) / len(pairs)
            f1s = []
            for lab in schema.SENTIMENT_LABELS:
                tp = sum(g == lab and pr == lab for g, pr in pairs)
                fp = sum(g != lab and pr == lab for g, pr in pairs)
                fn = sum(g == lab and pr != lab for g, pr in pairs)
                if tp + fn:
                    f1s.append(_f1(tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn)))
            macro = sum(f1s) / len(f1s)
            for g, pr in pairs:
                if g != pr:
                    key = ("overall sentiment", "-", g, pr)
                    errors[key] += 1
    err_rows = [{"kind": k[0], "theme": k[1], "gold": k[2], "predicted": k[3], "count": c,
                 "example_id": example.get(k, "")} for k, c in errors.most_common(top_errors)]
    columns = ["kind", "theme", "gold", "predicted", "count", "example_id"]
    return EvalResult(rows=len(gold), themes=pd.DataFrame(stats), overall_accuracy=acc,
                      overall_macro_f1=macro, errors=pd.DataFrame(err_rows, columns=columns))


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0
