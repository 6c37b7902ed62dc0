"""Survey-tool exports recognised from their header rows, and the choice of columns by name or alias.

* ``qualtrics``: row 3 holds ``{"ImportId": ...}``; row 1 (field ids) names the columns, rows 2-3 are
  dropped; a column may also be named by the question text of row 2 or the ImportId.
* ``qualtrics-legacy``: two header rows, the ``ResponseId``/``V1`` column labelled ``ResponseID`` in row 2.
* ``surveymonkey``: a ``Respondent ID`` column blank in row 2; one-column questions are named by their
  text, the columns of multi-column questions "question - option" (row 2 label).
* ``wjx`` (问卷星): ``提交答卷时间``, or ``序号`` with ``N、题干`` columns; ``-2``, ``-3`` and ``(跳过)``
  in question columns become missing.
* ``tencent`` (腾讯问卷): ``编号`` with ``开始答题时间``, ``结束答题时间`` or ``答题时长``.

In any file a numbered question column (``3、...``, ``3.…``, ``Q3:…``) can also be named ``"3"``,
``"Q3"``, ``"第3题"`` or by its text without the number; an exact column name always wins.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from voc import schema
from voc.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

_WJX_SKIP_CODES = frozenset({"-2", "-3", "(跳过)"})  #: 问卷星: -2/-3 = skipped / not shown by logic
_TENCENT_SKIP_CODES = frozenset({"(跳过)"})
_NUMBERED = re.compile(r"^(?:[Qq]|第)?(\d{1,4})(?:题)?\s*(?:[、:：]|[.．](?!\d))\s*(.+)$", re.DOTALL)
_NUMBERED_SUB = re.compile(r"^(?:[Qq])?(\d{1,4})\s*[(（](.+)[)）]$", re.DOTALL)
_SM_GENERIC_LABELS = frozenset({"", "response", "open-ended response"})


@dataclass(frozen=True)
class Layout:
    """Column names, header rows to skip and the survey tool that wrote the file."""

    names: list[str]
    skip: int
    export: str | None = None
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    skip_code_columns: tuple[str, ...] = ()
    skip_codes: frozenset[str] = frozenset()


def _clean_name(name: str) -> str:
    return name.strip().strip("\ufeff").strip()


def _unique_names(raw: Sequence[str]) -> list[str]:
    """Blank names become ``Unnamed: i``; repeats get ``.1``, ``.2`` (pandas' convention)."""
    names = [_clean_name(n) or f"Unnamed: {i}" for i, n in enumerate(raw)]
    seen: set[str] = set()
    out = []
    for n in names:
        candidate, k = n, 0
        while candidate in seen:
            k += 1
            candidate = f"{n}.{k}"
        seen.add(candidate)
        out.append(candidate)
    return out


def _padded(row: Sequence[str], width: int) -> list[str]:
    return list(row[:width]) + [""] * (width - len(row))


def _add_alias(aliases: dict[str, list[str]], key: str, column: str) -> None:
    key = _clean_name(key)
    if key and column not in aliases.setdefault(key, []):
        aliases[key].append(column)


def _numbered_aliases(names: Sequence[str]) -> dict[str, list[str]]:
    """Aliases of numbered questions: "3", "Q3", "第3题" and the question text.

    Numbered columns look like ``3、请写下您的意见`` (问卷星), ``Q3:...`` or ``3.您的建议`` (腾讯问卷).
    """
    aliases: dict[str, list[str]] = {}
    subs: dict[str, list[str]] = {}
    for name in names:
        if m := _NUMBERED.match(name):
            n, question = m.group(1), m.group(2)
            for key in (n, f"Q{n}", f"q{n}", f"第{n}题", question):
                _add_alias(aliases, key, name)
        elif m := _NUMBERED_SUB.match(name):
            subs.setdefault(m.group(1), []).append(name)
    for n, cols in subs.items():
        if n not in aliases:  # "4" names the sub-columns of question 4 only when it has no main column
            for key in (n, f"Q{n}", f"q{n}", f"第{n}题"):
                for col in cols:
                    _add_alias(aliases, key, col)
    return aliases


def _is_qualtrics_import_row(row: Sequence[str]) -> bool:
    cells = [c.strip() for c in row if c.strip()]
    hits = sum(c.startswith("{") and '"ImportId"' in c for c in cells)
    return bool(cells) and hits * 2 >= len(cells)


def _qualtrics_legacy(rows: Sequence[Sequence[str]]) -> bool:
    if len(rows) < 2:
        return False
    ids = {"responseid", "response id"}
    for i, cell in enumerate(rows[0]):
        key = _clean_name(cell).lower()
        if key in ids | {"v1"} and i < len(rows[1]) and _clean_name(rows[1][i]).lower() in ids:
            return True
    return False


def _surveymonkey(rows: Sequence[Sequence[str]]) -> bool:
    if len(rows) < 2:
        return False
    first = [_clean_name(c).lower() for c in rows[0]]
    idx = next((i for i, c in enumerate(first) if c in ("respondent id", "respondentid")), None)
    if idx is None:
        return False
    second = list(rows[1])
    return (idx >= len(second) or not second[idx].strip()) and any(c.strip() for c in second)


def detect_layout(header: list[list[str]], *, width: int, keyed: bool) -> Layout:
    """Recognise the survey tool from the header rows and build column names and aliases."""
    rows = [_padded(r, width) for r in header]
    if not keyed and len(rows) >= 3 and _is_qualtrics_import_row(rows[2]):
        return _qualtrics_layout(rows, skip=3, export="qualtrics")
    if not keyed and _qualtrics_legacy(rows):
        return _qualtrics_layout(rows, skip=2, export="qualtrics-legacy")
    if not keyed and _surveymonkey(rows):
        return _surveymonkey_layout(rows)
    names = _unique_names(rows[0])
    aliases = {k: tuple(v) for k, v in _numbered_aliases(names).items()}
    export, codes = None, frozenset[str]()
    if "提交答卷时间" in names or ("序号" in names and any(_NUMBERED.match(n) for n in names)):
        export, codes = "wjx", _WJX_SKIP_CODES
    elif "编号" in names and {"开始答题时间", "结束答题时间", "答题时长"} & set(names):
        export, codes = "tencent", _TENCENT_SKIP_CODES
    coded = tuple(n for n in names if _NUMBERED.match(n) or _NUMBERED_SUB.match(n)) if export else ()
    return Layout(names, 0 if keyed else 1, export, aliases, coded, codes)


def _qualtrics_layout(rows: list[list[str]], *, skip: int, export: str) -> Layout:
    """Row 1: field ids (the names); row 2: question texts; row 3 (new exports): ``{"ImportId": ...}``."""
    names = _unique_names(rows[0])
    aliases: dict[str, list[str]] = {}
    for i, name in enumerate(names):
        _add_alias(aliases, rows[1][i], name)
        if skip == 3 and rows[2][i].strip().startswith("{"):
            try:
                import_id = json.loads(rows[2][i]).get("ImportId")
            except (json.JSONDecodeError, AttributeError):
                import_id = None
            if isinstance(import_id, str):
                _add_alias(aliases, import_id, name)
    return Layout(names, skip, export, {k: tuple(v) for k, v in aliases.items()})


def _surveymonkey_layout(rows: list[list[str]]) -> Layout:
    """Row 1: question text (blank over the continuation columns); row 2: "Response", option names, ...

    A question with one column is named by its text; the columns of a multi-column question are named
    "question - label" (e.g. "您从哪里知道我们？ - 朋友推荐").
    """
    top, sub = rows[0], rows[1]
    groups: list[list[int]] = []
    for i, cell in enumerate(top):
        if cell.strip() or not groups or not sub[i].strip():
            groups.append([i])
        else:
            groups[-1].append(i)
    raw: list[str] = [""] * len(top)
    alias_of: dict[int, str] = {}
    for group in groups:
        question = _clean_name(top[group[0]])
        for i in group:
            label = _clean_name(sub[i])
            if len(group) == 1 and label.lower() in _SM_GENERIC_LABELS:
                raw[i] = question or label
                if label and question:
                    alias_of[i] = f"{question} - {label}"
            elif not question:
                raw[i] = label
            else:
                raw[i] = f"{question} - {label}" if label else question
    names = _unique_names(raw)
    aliases: dict[str, list[str]] = {}
    for i, key in alias_of.items():
        _add_alias(aliases, key, names[i])
    return Layout(names, 2, "surveymonkey", {k: tuple(v) for k, v in aliases.items()})


def resolve_columns(layout: Layout, source: str, *, text: str | None, id: str | None,
                    columns: Sequence[str]) -> dict[str, str]:
    """Map each requested column (exact name, else a survey alias) to a column of the file."""
    wanted: dict[str, str] = {}
    for name, param in [(text, "text"), (id, "id"), *((c, "") for c in columns)]:
        if not name or name in wanted:
            continue
        wanted[name] = _resolve_one(str(name), layout, source=source, param=param)
    id_col = wanted.get(id) if id else None
    if schema.RESPONSE_ID in layout.names and id_col != schema.RESPONSE_ID:
        rid = schema.RESPONSE_ID
        raise InputError(f"{source} already has a column '{rid}', which voc adds itself; rename that "
                         f"column, or pass id={rid!r} to use it as the respondent id")
    return wanted


def saved_aliases(layout: Layout) -> dict[str, list[str]]:
    """The aliases that cannot be rebuilt from the column names (header-row question texts), for ``attrs``."""
    if layout.export not in ("qualtrics", "qualtrics-legacy", "surveymonkey"):
        return {}
    return {k: list(v) for k, v in layout.aliases.items()}


def resolve_column(df_or_columns: pd.DataFrame | Sequence[str], name: str, *, param: str,
                   source: str = "input") -> str:
    """The column a user-given name means, resolved the way :func:`read_responses` resolves ``text=``.

    An exact name wins, then the name without surrounding spaces, then the aliases of survey exports:
    问卷星/腾讯问卷 question numbers (``"5"``, ``"Q5"``, ``"第5题"``) and question texts, and (for a frame
    read by :func:`read_responses`) Qualtrics question texts and ImportIds, SurveyMonkey labels.

    Args:
        df_or_columns: a frame (its columns and ``attrs["voc_aliases"]``) or the column names.
        name: the name the user gave.
        param: the parameter it came from (``"score"``), named in the error message.
        source: the file or frame named in the error message.

    Returns:
        The column name, exactly as in the frame.

    Raises:
        InputError: no column or several columns match; the message lists the columns and a guess.

    Example:
        >>> resolve_column(["序号", "5、您向朋友推荐我们的可能性有多大？"], "Q5", param="score")
        '5、您向朋友推荐我们的可能性有多大？'
    """
    import pandas as pd

    if isinstance(df_or_columns, pd.DataFrame):
        names = [str(c) for c in df_or_columns.columns]
        saved = df_or_columns.attrs.get("voc_aliases") or {}
    else:
        names = [str(c) for c in df_or_columns]
        saved = {}
    aliases = saved if saved else _numbered_aliases(names)
    layout = Layout(names, 0, None, {k: tuple(v) for k, v in aliases.items()})
    return _resolve_one(str(name), layout, source=source, param=param.rstrip("="))


def _resolve_one(name: str, layout: Layout, *, source: str, param: str) -> str:
    if name in layout.names:
        return name
    key = _clean_name(name)
    if key in layout.names:
        return key
    hits = layout.aliases.get(key, ())
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        listed = "; ".join(hits)
        given = f"{param}={name!r}" if param else f"column {name!r}"
        raise InputError(f"{given} matches {len(hits)} columns of {source}: {listed}. "
                         "Pass the full column name")
    option = f"{param}=" if param else ""
    raise InputError(schema.missing_column_message(name, layout.names, source=source, option=option))
