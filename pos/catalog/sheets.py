"""Spreadsheet workbooks to import: .xlsx, .ods and .xls, read with python-calamine (or, for an
.xlsx sheet that is plainly a list, twice as quickly with fastexcel: ``pos/catalog/fastsheet.py``).

Reading yields the same ``(row number, cells as text)`` records as a CSV file
(``pos/catalog/csvio.read_records``), so that every format goes through the one import pipeline:
the row number is the spreadsheet's own (a list that starts lower down, or further right, keeps
its row numbers and column letters), empty rows are skipped, empty trailing cells dropped, and a
typed cell becomes text as ``pos/catalog/cells.py`` says (an EAN stored as a number stays a
number the pipeline can recognise).  Cells the till itself neutralised (``'=…``) are restored,
as from a CSV file, so that a CSV converted by a spreadsheet imports like the CSV.

Writing .xlsx is ``pos/catalog/xlsxout.py``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pos.catalog import fastsheet
from pos.catalog.cells import row_text
from pos.catalog.csvio import MAX_COLUMNS, CsvError, normalise_header
from pos.core.csvcell import restore_row
from pos.core.i18n import _

SHEET_FORMATS = ("xlsx", "ods", "xls")
# the sheet names an import recognises for each list (compared without case, accents or punctuation)
SHEET_NAMES = {
    "articles": ("articles", "article", "produits", "products", "items"),
    "departments": ("departments", "department", "rayons", "rayon", "familles", "categories"),
    "customers": ("customers", "customer", "clients", "client"),
}


class Workbook:
    """An open workbook to import from; ``records(sheet)`` reads one sheet."""

    def __init__(self, path: str | os.PathLike) -> None:
        from python_calamine import CalamineWorkbook

        self.path = Path(path)
        self._loaded: dict[str, Any] = {}
        self._loading: dict[str, tuple[threading.Thread, list[Any]]] = {}  # fastexcel at work
        self._heights: dict[str, int] = {}  # rows of each sheet loaded (for a progress bar)
        try:
            self.book = CalamineWorkbook.from_path(str(self.path))
        except Exception as exc:  # calamine raises its own errors for damaged or foreign files
            raise CsvError(_("this is not a spreadsheet the till can read: {error}").format(error=exc),
                           self.path) from None

    @property
    def sheet_names(self) -> list[str]:
        return list(self.book.sheet_names)

    def choose(self, entity: str, sheet: str | None = None) -> str:
        """The sheet to import: the one named, else the one named after the list, else the only or first one."""
        names = self.sheet_names
        if not names:
            raise CsvError(_("the workbook has no sheet"), self.path)
        if sheet:
            if sheet in names:
                return sheet
            folded = {normalise_header(n): n for n in names}
            if normalise_header(sheet) in folded:
                return folded[normalise_header(sheet)]
            raise CsvError(_("no sheet {sheet} in the workbook (it has {names})").format(
                sheet=sheet, names=", ".join(names)), self.path)
        wanted = set(SHEET_NAMES.get(entity, (entity,)))
        for name in names:
            if normalise_header(name) in wanted:
                return name
        return names[0]

    def load_in_background(self, name: str) -> None:
        """Start loading the sheet ``name`` through fastexcel in a thread (it releases the interpreter's
        lock), so that the import sets itself up meanwhile; ``_sheet`` waits for it."""
        if name in self._loaded or name in self._loading:
            return
        done: list[Any] = []
        thread = threading.Thread(target=lambda: done.append(fastsheet.load(self.path, name)),
                                  name="import-sheet", daemon=True)
        thread.start()
        self._loading[name] = (thread, done)

    def _sheet(self, name: str) -> Any:
        """The sheet's cells, loaded once (the whole sheet: 1,000,000 rows take 4 s to 6 s)."""
        if name not in self._loaded:
            self.load_in_background(name)
            thread, done = self._loading.pop(name)
            thread.join()
            if done and done[0] is not None:  # an .xlsx list: quicker, same values
                self._loaded[name] = done[0]
                return done[0]
            try:
                self._loaded[name] = self.book.get_sheet_by_name(name)
            except Exception as exc:
                raise CsvError(_("cannot read the sheet {sheet}: {error}").format(sheet=name, error=exc),
                               self.path) from None
        return self._loaded[name]

    def height(self, sheet: str) -> int:
        if sheet not in self._heights:
            self._heights[sheet] = self._sheet(sheet).height
        return self._heights[sheet]

    def records(self, sheet: str, where: list[int] | None = None) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(row number, cells)`` for every non-empty row of ``sheet``, the header first.

        ``where[0]``, when given, follows the rows read (every 1,000), for a progress bar."""
        data = self._sheet(sheet)
        self._heights[sheet] = data.height
        self._loaded.pop(sheet)  # its memory goes with the last row read
        start = data.start
        if start is None:  # an empty sheet
            return
        pad = [""] * start[1]  # the columns left of the used range: column letters stay the sheet's
        if data.width + start[1] > MAX_COLUMNS:
            raise CsvError(_("more than {n} columns: this is not a list for the till").format(n=MAX_COLUMNS),
                           self.path)
        number = 0
        try:
            if isinstance(data, fastsheet.FastSheet):  # its rows come as text already
                for number, cells in data.records(where):
                    yield number, cells
                return
            for number, values in enumerate(data.iter_rows(), 1):
                if where is not None and number % 1000 == 0:
                    where[0] = number
                cells = row_text(values)
                if not cells or not (cells[0].strip() or any(v.strip() for v in cells)):
                    continue
                yield number, restore_row(pad + cells if pad else cells)
        except CsvError:
            raise
        except Exception as exc:
            raise CsvError(_("cannot read the sheet {sheet}: {error}").format(sheet=sheet, error=exc),
                           self.path, line=number + 1) from None
        if where is not None:
            where[0] = number

    def close(self) -> None:
        self._loaded.clear()
        self._loading.clear()  # a load still running ends on its own; nothing keeps its sheet
        try:
            self.book.close()
        except Exception:  # already closed
            pass
