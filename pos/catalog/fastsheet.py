"""The quick reader of a large .xlsx sheet: fastexcel (calamine, in Rust) into typed Arrow columns.

python-calamine (``pos/catalog/sheets.py``) parses a sheet of 1,000,000 rows in about 6 s before its
first row exists; fastexcel parses the same sheet in about 3.5 s into Arrow columns, which pyarrow
turns into Python values one slice of rows at a time.  An Arrow column has one type, so this reader
only takes a sheet that is plainly a list:

- the sheet starts at A1 and its first row is the header: every column named, no name twice;
- each column holds one kind of cell (text, numbers, booleans or dates, and empty cells).

For any other sheet ``load`` returns None and the import reads it with python-calamine, which keeps
each cell's own type: an EAN stored as a number among EANs stored as text must stay recognisable
(``pos/catalog/cells.py``).  Both readers give ``cells.row_text`` the same values, and
``tests/catalog/test_fastsheet.py`` checks it on every spreadsheet fixture.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

from pos.catalog.cells import cell_text, trimmed
from pos.core.csvcell import restore, restore_row

SLICE = 65_536  # rows turned into Python values at a time
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_FIRST_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/?)>")
_CELL_REF = re.compile(rb"""\br\s*=\s*["']([A-Z]+[0-9]+)["']""")
_GENERATED = re.compile(r"^__UNNAMED__\d+$|_\d+$")  # fastexcel's names for an empty or repeated header


class FastSheet:
    """One sheet loaded: ``height``, ``start`` and ``width`` as python-calamine's sheet has them, and
    ``records``, the rows as the pipeline reads them (see ``sheets.Workbook.records``)."""

    start = (0, 0)

    def __init__(self, header: list[str], table: Any) -> None:
        self._header = header
        self._table = table
        self.width = len(header)
        self.height = table.num_rows + 1

    def records(self, where: list[int] | None = None) -> Iterator[tuple[int, list[str]]]:
        """``(row number, cells as text)``: the header (row 1), then every row that is not empty.

        A slice of rows at a time, column by column: a column holds one type, so each cell becomes
        text by one dictionary lookup (a catalogue repeats its prices, rates and stocks), text cells
        as they are (``'=…`` restored, as ``restore_row`` does)."""
        yield 1, trimmed(restore_row(list(self._header)))
        table, self._table = self._table, None  # its memory goes with the last slice read
        number = 1
        for offset in range(0, table.num_rows, SLICE):
            part = table.slice(offset, SLICE)
            columns = [_texts(column.to_pylist(), str(column.type)) for column in part.columns]
            for row in zip(*columns):
                number += 1
                cells = trimmed(list(row))
                if cells and (cells[0].strip() or any(v.strip() for v in cells)):
                    yield number, cells
            if where is not None:
                where[0] = number


class _Texts(dict):
    """A typed value -> its text (``cells.cell_text``), for the cells of one column of one slice."""

    def __missing__(self, value: Any) -> str:
        text = cell_text(value)
        if text[:1] == "'":  # a text cell in a column of another Arrow type: restored all the same
            text = restore(text)
        self[value] = text
        return text


def _texts(values: list[Any], arrow_type: str) -> list[str]:
    if arrow_type in ("string", "large_string", "string_view", "utf8", "large_utf8"):
        return ["" if v is None else restore(v) if v[:1] == "'" else v for v in values]
    memo = _Texts({None: ""})
    return [memo[v] for v in values]



def load(path: Path, sheet: str) -> FastSheet | None:
    """The sheet ``sheet`` of the .xlsx file ``path`` through fastexcel, or None when it is not plainly a list."""
    try:
        import fastexcel
    except ImportError:  # not installed: python-calamine reads every sheet
        return None
    if not _starts_at_a1(path, sheet):
        return None
    try:
        loaded = fastexcel.read_excel(str(path)).load_sheet(
            sheet, header_row=0, schema_sample_rows=None, dtype_coercion="strict")
        columns = loaded.available_columns()
        header = [column.name for column in columns]
        if any(column.column_name_from != "looked_up" or _GENERATED.search(column.name) for column in columns):
            return None
        table = loaded.to_arrow()
    except Exception:  # mixed cells in a column, a cell type Arrow has not: python-calamine reads it
        return None
    return FastSheet(header, table)


def _starts_at_a1(path: Path, sheet: str) -> bool:
    """Whether the first cell written in the sheet's XML is A1 with a value (so the used range starts
    at A1, as fastexcel's header row assumes).  Any doubt (no ``r`` attribute, an odd package) is a no."""
    try:
        with zipfile.ZipFile(path) as package:
            member = _sheet_member(package, sheet)
            if member is None:
                return False
            with package.open(member) as xml:
                head = xml.read(1 << 16)
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError, ValueError):
        return False
    found = _FIRST_CELL.search(head)
    if found is None or found.group(2):  # no cell, or an empty <c r="A1"/>
        return False
    ref = _CELL_REF.search(found.group(1))
    if ref is None or ref.group(1) != b"A1":
        return False
    cell = head[found.end():head.find(b"</", found.end())]
    return b"<" in cell and not cell.endswith(b"/>")  # a <v> or an <is> with its text


def _sheet_member(package: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the worksheet named ``sheet`` (workbook.xml, then its relationships)."""
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    rel_id = None
    for node in workbook.iter(f"{_MAIN}sheet"):
        if node.get("name") == sheet:
            rel_id = node.get(f"{_REL}id")
            break
    if rel_id is None:
        return None
    rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    for node in rels.iter(f"{_PKG}Relationship"):
        if node.get("Id") == rel_id:
            target = node.get("Target") or ""
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return None
