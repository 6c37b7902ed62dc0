"""Excel readers: .xlsx/.xlsm through python-calamine (openpyxl when it is not installed), .xls through xlrd.

Both read the cached values Excel saved; a formula cell saved without one (a workbook written by a
program that did not compute it) is read as blank, with one :class:`DataQualityWarning` naming the cells.
"""
from __future__ import annotations

import posixpath
import re
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from voc.errors import DataQualityWarning, InputError
from voc.ingest._source import Raw, Source, text_frame

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.DOTALL)
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]")
_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*([0-9]+)(?::[A-Z]*([0-9]+))?"')
_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]+)"')
_SHOWN_CELLS = 10  #: formula cells named in the warning


def xlsx_engine() -> str:
    """``"calamine"`` when python-calamine is installed (several times faster), else ``"openpyxl"``."""
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def _pick_sheet(names: list[str], sheet: str | int | None, source: str) -> int:
    listing = ", ".join(f"{i}: {n}" for i, n in enumerate(names))
    if sheet is None:
        return 0
    if isinstance(sheet, str) and sheet in names:
        return names.index(sheet)
    if isinstance(sheet, str) and sheet.strip() in names:
        return names.index(sheet.strip())
    if isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names):
        return sheet
    raise InputError(f"sheet {sheet!r} not found in {source}; sheets are (0-based position: name) {listing}. "
                     "Pass sheet= with one of these names or positions")


def _excel_raw(src: Source, table: pd.DataFrame) -> Raw:
    """Header records and data frames of a whole Excel sheet read with ``header=None``."""
    filled = table.notna()
    if len(table.columns):
        used = np.flatnonzero(filled.any(axis=0).to_numpy())
        table = table.iloc[:, : used[-1] + 1] if len(used) else table.iloc[:, :0]
        rows = np.flatnonzero(filled.iloc[:, : table.shape[1]].any(axis=1).to_numpy())
    else:
        rows = np.array([], dtype=int)
    if not len(rows):
        raise InputError(f"{src.name} has no header row: the sheet is empty. Pick another sheet with sheet=")
    table = table.iloc[rows[0]: rows[-1] + 1].reset_index(drop=True)
    table.columns = range(table.shape[1])
    header = [["" if pd.isna(v) else str(v) for v in table.iloc[i]] for i in range(min(3, len(table)))]

    def frames(skip: int, names: list[str], chunksize: int) -> Iterator[pd.DataFrame]:
        body = table.iloc[skip:]
        body.columns = names
        for i in range(0, max(len(body), 1), chunksize):
            yield text_frame(body.iloc[i:i + chunksize])

    return Raw(header, table.shape[1], False, None, frames)



def read_xlsx(src: Source, encoding: str | None, sheet: str | int | None, *,
              engine: str | None = None) -> Raw:
    """An .xlsx/.xlsm sheet, whole (``engine`` is ``"calamine"`` or ``"openpyxl"``; default: the faster)."""
    engine = engine or xlsx_engine()
    errors: tuple[type[BaseException], ...] = (zipfile.BadZipFile, KeyError, OSError, ValueError)
    if engine == "calamine":
        from python_calamine import CalamineError

        errors += (CalamineError,)
    else:
        from openpyxl.utils.exceptions import InvalidFileException

        errors += (InvalidFileException,)
    try:
        book = pd.ExcelFile(src.handle, engine=engine)
    except errors as exc:
        raise InputError(f"{src.name} is not a readable .xlsx workbook ({exc}); if it is a CSV or an old "
                         ".xls file, give it that extension") from exc
    with book:
        names = list(book.sheet_names)
        index = _pick_sheet(names, sheet, src.name)
        try:
            table = pd.read_excel(book, sheet_name=index, header=None, dtype=str, keep_default_na=False,
                                  na_values=[""])
        except errors as exc:
            raise InputError(f"{src.name}: sheet {names[index]!r} cannot be read ({exc}); open the file in "
                             "Excel and save it again") from exc
    _warn_uncached_formulas(src, index, names[index])
    return _excel_raw(src, table)


def _sheet_part(book: zipfile.ZipFile, index: int) -> str | None:
    """The zip member holding the ``index``-th sheet (workbook order), from workbook.xml and its rels."""
    try:
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    sheets = [s for s in workbook.iter(f"{_MAIN}sheet")]
    if index >= len(sheets):
        return None
    rid = sheets[index].get(f"{_REL}id")
    target = next((r.get("Target") for r in rels.iter(f"{_PKG_REL}Relationship") if r.get("Id") == rid), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def uncached_formula_cells(src: Source, index: int) -> list[str]:
    """Cells of the ``index``-th sheet that hold a formula but no saved value (e.g. ``["C5", "C9"]``)."""
    try:
        with zipfile.ZipFile(src.handle) as book:
            part = _sheet_part(book, index)
            if part is None:
                return []
            data = book.read(part)
    except (zipfile.BadZipFile, KeyError, OSError):
        return []
    if not _FORMULA.search(data):
        return []
    cells = []
    for m in _CELL.finditer(data):
        body = m.group(2)
        if _FORMULA.search(body) and not _VALUE.search(body):
            ref = _REF.search(m.group(1))
            cells.append(ref.group(1).decode() if ref else "?")
    return cells


def _warn_uncached_formulas(src: Source, index: int, sheet: str) -> None:
    cells = uncached_formula_cells(src, index)
    if not cells:
        return
    shown = ", ".join(cells[:_SHOWN_CELLS]) + (", ..." if len(cells) > _SHOWN_CELLS else "")
    warnings.warn(DataQualityWarning(
        f"{src.name}, sheet {sheet!r}: {len(cells):,} formula cell(s) have no saved value and are read as "
        f"blank: {shown}. Open the file in Excel (or LibreOffice) and save it, so the values are computed"
    ), stacklevel=4)


def count_xlsx_rows(src: Source) -> int | None:
    """Data rows of the first sheet: its ``<dimension>`` (the used range), else its last ``<row r=...>``.

    The header row is not counted. Workbooks written in streaming mode have no dimension; their sheet is
    then decompressed once (no XML parsing) to find the last row number.
    """
    try:
        with zipfile.ZipFile(src.handle) as book:
            part = _sheet_part(book, 0)
            if part is None:
                return None
            with book.open(part) as fh:
                head = fh.read(4096)
                if m := _DIMENSION.search(head):
                    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
                    return max(last - first, 0)
                tail, block = head, head
                while block := fh.read(1 << 20):
                    tail = tail[-256:] + block
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    rows = _ROW.findall(tail[-(1 << 16):]) or _ROW.findall(tail)
    return max(int(rows[-1]) - 1, 0) if rows else None


def _xls_value(cell: Any, datemode: int) -> str | None:
    import xlrd

    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if kind == xlrd.XL_CELL_NUMBER:
        return str(int(value)) if float(value).is_integer() else repr(value)
    if kind == xlrd.XL_CELL_DATE:
        return str(xlrd.xldate_as_datetime(value, datemode))
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "True" if value else "False"
    return str(value) if value != "" else None


def read_xls(src: Source, encoding: str | None, sheet: str | int | None) -> Raw:
    """An old .xls (BIFF) sheet through xlrd; ``encoding=`` overrides the workbook's codepage."""
    import xlrd

    with src.open() as fh:
        data = fh.read()
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, encoding_override=encoding)
    except Exception as exc:  # xlrd raises many kinds of error on a damaged or mislabelled file
        raise InputError(f"{src.name} is not a readable .xls workbook ({exc}); if it is really .xlsx or "
                         "CSV, give it that extension") from exc
    try:
        sh = book.sheet_by_index(_pick_sheet(book.sheet_names(), sheet, src.name))
        rows = [[_xls_value(sh.cell(r, c), book.datemode) for c in range(sh.ncols)]
                for r in range(sh.nrows)]
    finally:
        book.release_resources()
    return _excel_raw(src, pd.DataFrame(rows, dtype=object))
