"""The validation sample: which rows to hand-label, the label sheet, and how many labels to plan for.

:func:`draw_sample` draws the rows (a simple random sample, or a stratified one that oversamples rows
where the tagger is unsure or finds rare themes) and records each row's exact ``inclusion_probability``;
:func:`write_label_sheet` writes them as a CSV or an Excel sheet in the gold-file format of
``voc eval`` (id, text, ``themes``, one polarity column per top-level theme, ``overall``), and
:func:`plan` tells, before any labelling, what interval half-width to expect for 200 / 400 / 800 labels.
The labelled file goes back in through :func:`voc.validated.read_labels`.

Example:
    >>> sample = draw_sample(tagged, n=400, text="comment", theme_ids=["logistics", "price"])  # doctest: +SKIP
    >>> write_label_sheet(sample, "labels.xlsx", theme_ids=["logistics", "price"])  # doctest: +SKIP
"""
from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc import schema
from voc.config import Config
from voc.errors import InputError

INCLUSION_PROBABILITY = "inclusion_probability"
OVERSAMPLE = 3.0  #: a row where the tagger is unsure (or that carries a rare theme) is 3x as likely to be drawn
RARE_SHARE = 0.05  #: a theme the tagger finds in fewer than 5% of the rows is rare
UNSURE_SCORE = 0.2  #: |sentiment_score| below this on a row with themes: the polarity is unsure
ASSUMED_PRECISION = 0.8  #: :func:`plan` without ``<theme>_p`` columns: assumed tagger precision ...
ASSUMED_RECALL = 0.8  #: ... and recall on this survey
_Z95 = 1.959963984540054


def draw_sample(tagged: pd.DataFrame, *, n: int = 400, seed: int = 0, stratify: bool = False,
                prefill: bool = False, text: str, id: str = schema.RESPONSE_ID,
                theme_ids: Sequence[str]) -> pd.DataFrame:
    """Draw ``n`` rows of a tagged frame to label by hand, with each row's inclusion probability.

    Default: a simple random sample (π = n/N for every row). ``stratify=True``: two strata, rows where the
    tagger is unsure or that carry a rare theme (see :func:`priority`) and the rest, each a simple random
    sample, the first :data:`OVERSAMPLE` times as dense (π_h = n_h / N_h exactly; the π of all rows sum to n).

    Returns:
        Columns id, text, themes, one polarity column per top-level theme, overall (blank, or the tagger's
        labels with ``prefill=True``), inclusion_probability, predicted_themes (themes and sub-themes),
        predicted_<theme> and predicted_overall, in data order.
    """
    schema.require_columns(tagged, [text], source="tagged data", option="text=")
    schema.require_columns(tagged, [id], source="tagged data", option="id=")
    schema.require_columns(tagged, [schema.THEMES], source="tagged data")
    if n < 1:
        raise InputError(f"n must be a positive number of rows to label, not {n}")
    total = len(tagged)
    if total == 0:
        raise InputError("the tagged data has no rows to sample from")
    rng = np.random.default_rng(seed)
    pi = np.full(total, min(n, total) / total)
    high = priority(tagged, theme_ids=theme_ids) if stratify else np.zeros(total, dtype=bool)
    n_high = int(high.sum())
    if stratify and 0 < n_high < total and n < total:
        p_low = n / (OVERSAMPLE * n_high + (total - n_high))
        take_high = min(n_high, round(OVERSAMPLE * p_low * n_high))
        take_low = min(total - n_high, n - take_high)
        chosen = np.concatenate([rng.choice(np.flatnonzero(high), take_high, replace=False),
                                 rng.choice(np.flatnonzero(~high), take_low, replace=False)])
        pi = np.where(high, take_high / n_high, take_low / (total - n_high))
    else:
        chosen = rng.choice(total, min(n, total), replace=False)
    rows = tagged.iloc[np.sort(chosen)]
    return _sheet_frame(rows, pi[np.sort(chosen)], text=text, id=id, theme_ids=theme_ids, prefill=prefill)


def priority(tagged: pd.DataFrame, *, theme_ids: Sequence[str]) -> np.ndarray:
    """Rows worth oversampling: the tagger is unsure, or it found a rare theme.

    Unsure: a theme probability column ``<theme>_p`` between 0.2 and 0.8; a row with themes whose
    ``sentiment_score`` is within ±0.2 of 0; a theme found with no evidence span for it (found by the
    model, not a rule). Rare: a theme or sub-theme in fewer than 5% of the rows.
    """
    total = len(tagged)
    themes = tagged[schema.THEMES].fillna("").astype(str).str.split(";")
    subs = (tagged[schema.SUBTHEMES].fillna("").astype(str).str.split(";") if schema.SUBTHEMES in tagged.columns
            else pd.Series([[]] * total, index=tagged.index))
    found = [[t for t in ts if t] + [s for s in ss if s] for ts, ss in zip(themes, subs)]
    share: dict[str, int] = {}
    for names in found:
        for t in set(names):
            share[t] = share.get(t, 0) + 1
    rare = {t for t, k in share.items() if k < RARE_SHARE * total}
    out = np.array([any(t in rare for t in names) for names in found], dtype=bool)
    has_theme = np.array([bool(names) for names in found])
    if schema.SENTIMENT_SCORE in tagged.columns:
        s = pd.to_numeric(tagged[schema.SENTIMENT_SCORE], errors="coerce").to_numpy(dtype=float)
        out |= has_theme & (np.abs(np.nan_to_num(s, nan=0.0)) < UNSURE_SCORE)
    for t in theme_ids:
        col = f"{t}_p"
        if col in tagged.columns:
            p = pd.to_numeric(tagged[col], errors="coerce").to_numpy(dtype=float)
            out |= (p > 0.2) & (p < 0.8)
    if schema.EVIDENCE in tagged.columns:
        ev = tagged[schema.EVIDENCE].fillna("").astype(str).tolist()
        out |= np.array([any(t and not _has_span(e, t) for t in ts) for ts, e in zip(themes, ev)], dtype=bool)
    return out


def _has_span(evidence: str, theme: str) -> bool:
    return any(part.split(":", 1)[0].split(".", 1)[0] == theme for part in evidence.split("|") if part)


def _sheet_frame(rows: pd.DataFrame, pi: np.ndarray, *, text: str, id: str, theme_ids: Sequence[str],
                 prefill: bool) -> pd.DataFrame:
    themes = rows[schema.THEMES].fillna("").astype(str)
    subs = rows[schema.SUBTHEMES].fillna("").astype(str) if schema.SUBTHEMES in rows.columns else themes.map(
        lambda _: "")
    predicted_themes = [";".join(x for x in (*t.split(";"), *s.split(";")) if x) for t, s in zip(themes, subs)]
    overall = rows[schema.SENTIMENT].fillna("").astype(str) if schema.SENTIMENT in rows.columns else themes.map(
        lambda _: "")
    out: dict[str, Any] = {"id": rows[id].fillna("").astype(str).tolist(),
                           "text": rows[text].fillna("").astype(str).tolist(),
                           "themes": themes.tolist() if prefill else [""] * len(rows)}
    predicted: dict[str, Any] = {}
    for t in theme_ids:
        col = schema.theme_sentiment_column(t)
        pol = rows[col].fillna("").astype(str).tolist() if col in rows.columns else [""] * len(rows)
        out[t] = pol if prefill else [""] * len(rows)
        predicted[f"predicted_{t}"] = pol
    out["overall"] = overall.tolist() if prefill else [""] * len(rows)
    out[INCLUSION_PROBABILITY] = [float(p) for p in pi]
    return pd.DataFrame({**out, "predicted_themes": predicted_themes, **predicted,
                         "predicted_overall": overall.tolist()})


_INSTRUCTIONS = {
    "zh": ["如何标注（每一行都算已标注）",
           ("themes：写出这条评论真正谈到的主题编号，用英文分号 ; 隔开（如 logistics;price）；没有主题就留空。"
           "也可写子主题编号，如 logistics.packaging。"),
           ("每个主题一列（logistics、price、service、product ...）：评论对该主题的态度，从下拉列表选 "
           "positive / negative / neutral；没谈到该主题就留空。"),
           "overall：整条评论的总体情感（positive / negative / neutral）。",
           "灰色的 predicted_* 列是机器的预测，只供参考，不能修改；id、text、inclusion_probability 也不要改。",
           "标完后保存，运行 voc drivers … --validated 本文件。"],
    "en": ["How to label (every row counts as labelled)",
           ("themes: the theme ids the comment really talks about, joined by ';' (e.g. logistics;price); blank "
           "for none. Sub-theme ids such as logistics.packaging may be added."),
           ("One column per theme (logistics, price, service, product ...): the comment's stance on it, from the "
           "drop-down list positive / negative / neutral; blank when the theme is not mentioned."),
           "overall: the sentiment of the comment as a whole (positive / negative / neutral).",
           ("The grey predicted_* columns are the tagger's guesses, for reference, read-only; do not change id, "
           "text or inclusion_probability either."),
           "Save, then run voc drivers … --validated with this file."],
}


def write_label_sheet(sample: pd.DataFrame, path: str | os.PathLike[str], *, theme_ids: Sequence[str],
                      lang: str = "zh") -> Path:
    """Write the sample from :func:`draw_sample` as a label sheet (.csv, or .xlsx with drop-down lists).

    The Excel sheet has a frozen header, data-validation lists on the polarity cells and ``overall``,
    grey read-only ``predicted_*`` columns (the sheet is protected; only the label columns are unlocked),
    every text stored as a string (a comment starting with '=' stays text), and an instructions sheet in
    Chinese and English (``lang`` says which comes first). Written atomically.
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        from voc.output import write_frame

        write_frame(sample, target)
        return target
    from voc.output import atomic_write_bytes

    buf = io.BytesIO()
    _workbook(sample, theme_ids=theme_ids, lang=lang).save(buf)
    atomic_write_bytes(target, buf.getvalue())
    return target


def _workbook(sample: pd.DataFrame, *, theme_ids: Sequence[str], lang: str) -> Any:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "labels"
    cols = [str(c) for c in sample.columns]
    editable = {"themes", "overall", *theme_ids}
    grey = PatternFill("solid", fgColor="D9D9D9")
    ws.append(cols)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, values in enumerate(sample.itertuples(index=False), start=2):
        for k, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=k)
            if isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool):
                cell.value = float(v)
            else:
                cell.value = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                cell.data_type = "s"  # never a formula, whatever the text starts with
            name = cols[k - 1]
            cell.protection = Protection(locked=name not in editable)
            if name.startswith("predicted_"):
                cell.fill = grey
    last = max(len(sample) + 1, 2)
    dv = DataValidation(type="list", formula1='"positive,negative,neutral"', allow_blank=True,
                        showErrorMessage=True, error="positive / negative / neutral")
    ws.add_data_validation(dv)
    for k, name in enumerate(cols, start=1):
        letter = get_column_letter(k)
        if name in (*theme_ids, "overall"):
            dv.add(f"{letter}2:{letter}{last}")
        if name in editable:  # rows added below the sample stay editable too
            for r in range(len(sample) + 2, len(sample) + 12):
                ws.cell(row=r, column=k).protection = Protection(locked=False)
        ws.column_dimensions[letter].width = 60 if name == "text" else 14
    ws.freeze_panes = "A2"
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widths may be changed
    ws.protection.autoFilter = False
    info = wb.create_sheet("说明 instructions")
    for lg in ([lang] if lang in _INSTRUCTIONS else []) + [x for x in _INSTRUCTIONS if x != lang]:
        for line in _INSTRUCTIONS[lg]:
            info.append([line])
        info.append([""])
    info.column_dimensions["A"].width = 120
    return wb


def plan(tagged: pd.DataFrame, *, score: str, metric: str = "nps", sizes: Sequence[int] = (200, 400, 800),
         theme_ids: Sequence[str], config: Config | None = None) -> pd.DataFrame:
    """Expected 95% half-width of the validated impact for each number of labels, per theme × polarity.

    Assumptions (stated so the analyst can judge them): the labels are a simple random sample; a row's
    chance of truly mentioning the theme × polarity is the tagger's ``<theme>_p`` column when the frame has
    one, else :data:`ASSUMED_PRECISION` on rows the tagger marks and, on the other rows, what makes the
    recall :data:`ASSUMED_RECALL`; the true mention is independent of the score given the tagger's output;
    λ is the best of a 5 x 5 grid on [0, 1]². The half-width is 1.96·sqrt(V_N/N + V_n/n + 2·C/N) from the
    linearisation in :mod:`voc.validated`, with its moments taken in expectation under these assumptions.

    Returns:
        Columns theme, polarity, share (the tagger's), assumed_precision, assumed_recall and one
        ``half_width_<n>`` per size.
    """
    from voc.drivers import contributions, indicators

    cfg = config or Config()
    schema.require_columns(tagged, [score], source="input", option="score=")
    c, _ = contributions(tagged[score], metric=metric, config=cfg)
    valid = np.isfinite(c)
    c = c[valid]
    rows = []
    grid = np.linspace(0, 1, 5)
    for (theme, pol), f_all in indicators(tagged, level="theme").items():
        f = f_all[valid].astype(float)
        if not f.any() or len(c) < 2:
            continue
        q, prec, rec = _mention_probability(tagged.loc[valid], theme, f)
        row: dict[str, Any] = {"theme": theme, "polarity": pol, "share": float(f.mean()),
                               "assumed_precision": prec, "assumed_recall": rec}
        for size in sizes:
            row[f"half_width_{size}"] = min(_half_width(c, f, q, lam, int(size)) for lam in
                                            ((a, b) for a in grid for b in grid))
        rows.append(row)
    return pd.DataFrame(rows, columns=["theme", "polarity", "share", "assumed_precision", "assumed_recall",
                                       *(f"half_width_{s}" for s in sizes)])


def _mention_probability(rows: pd.DataFrame, theme: str, f: np.ndarray) -> tuple[np.ndarray, float, float]:
    col = f"{theme}_p"
    if col in rows.columns:
        q = np.clip(pd.to_numeric(rows[col], errors="coerce").fillna(0.0).to_numpy(dtype=float), 0, 1)
        hit = float((q * f).sum())
        return q, hit / max(float(f.sum()), 1e-12), hit / max(float(q.sum()), 1e-12)
    true_total = f.sum() * ASSUMED_PRECISION / ASSUMED_RECALL
    rest = max(len(f) - f.sum(), 1.0)
    q0 = min(1.0, true_total * (1 - ASSUMED_RECALL) / rest)
    return np.where(f > 0, ASSUMED_PRECISION, q0), ASSUMED_PRECISION, ASSUMED_RECALL


def _half_width(c: np.ndarray, f: np.ndarray, q: np.ndarray, lam: tuple[float, float], n: int) -> float:
    """1.96·SE of the validated impact under the plan's assumptions (see :func:`plan`)."""
    total = len(c)
    mu_c, mu_m, mu_cm = c.mean(), q.mean(), (c * q).mean()
    if mu_m >= 1:
        return float("nan")
    a_c, a_m, a_cm = -mu_m / (1 - mu_m), -(mu_c - mu_cm) / (1 - mu_m) ** 2, 1 / (1 - mu_m)
    lm, lcm = lam
    part_all = a_c * c + a_m * lm * f + a_cm * lcm * c * f  # observed on every row
    u = a_m + a_cm * c  # residual r = Y·u − v with Y ~ Bernoulli(q)
    v = f * (a_m * lm + a_cm * lcm * c)
    mean_r = q * u - v
    second_r = q * u ** 2 - 2 * q * u * v + v ** 2
    var_r = float(second_r.mean() - mean_r.mean() ** 2)
    cross = float(np.mean((part_all - part_all.mean()) * (mean_r - mean_r.mean())))
    var = part_all.var() / total + var_r / min(n, total) + 2 * cross / total
    return float(_Z95 * np.sqrt(max(var, 0.0)))
