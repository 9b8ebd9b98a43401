"""The quick .xlsx reader (pos/catalog/fastsheet.py) gives exactly what python-calamine gives, and
leaves every sheet that is not plainly a list to python-calamine."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from test_sheets import _excel_like, _soffice

from pos.catalog import fastsheet, sheets
from pos.catalog.cells import NumberText

SOFFICE = shutil.which("soffice")


def read(path: Path, sheet: str | None = None, *, fast: bool, monkeypatch) -> list[tuple[int, list, list]]:
    """Every record of the sheet, with each cell's type (a NumberText is not a str to the pipeline)."""
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(fastsheet, "load", lambda *_a: None)
        book = sheets.Workbook(path)
        try:
            name = book.choose("articles", sheet)
            return [(n, cells, [type(c) for c in cells]) for n, cells in book.records(name)]
        finally:
            book.close()


def same_records(path: Path, monkeypatch, sheet: str = "articles", *, expect_fast: bool = True) -> list:
    assert (fastsheet.load(path, sheet) is not None) is expect_fast
    fast = read(path, sheet, fast=True, monkeypatch=monkeypatch)
    assert fast == read(path, sheet, fast=False, monkeypatch=monkeypatch)
    return fast


def _every_kind_of_cell(path: Path, *, rows: int = 3) -> None:
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("articles")
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    stamp = book.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
    euro = book.add_format({"num_format": "#,##0.00 €"})
    ws.write_row(0, 0, ["reference", "barcode", "name", "price", "stock", "active", "arrival", "seen", "note"])
    for j in range(1, rows + 1):
        ws.write_string(j, 0, f"R{j:05d}")
        ws.write_string(j, 1, "0012345678905" if j % 2 else "3760000000017")  # EANs as text, leading zeros
        ws.write_string(j, 2, ["Café crème", "'=SUM(A1)", "Pain\nde mie", "  espaces  "][j % 4])
        ws.write_number(j, 3, [1.1 + 0.1, 12.499999999999998, 3760123456789.0, -0.5, 1e-7][j % 5], euro)
        if j % 3:
            ws.write_number(j, 4, j * 1.5)  # an empty cell in every third row
        ws.write_boolean(j, 5, bool(j % 2))
        ws.write_datetime(j, 6, dt.datetime(2026, 3, j % 28 + 1), date)
        ws.write_datetime(j, 7, dt.datetime(2026, 3, 1, 10, 30, j % 60), stamp)
    ws.write_string(rows + 3, 0, "after an empty row")  # the row numbers go on after empty rows
    ws.write_blank(rows + 6, 0, None, book.add_format({"bg_color": "#FFFF00"}))  # formatted, empty
    book.close()


def test_every_kind_of_cell_reads_the_same(tmp_path, monkeypatch):
    path = tmp_path / "cells.xlsx"
    _every_kind_of_cell(path, rows=150)
    records = same_records(path, monkeypatch)
    assert records[0][1][:3] == ["reference", "barcode", "name"]
    assert records[1][1][:5] == ["R00001", "0012345678905", "=SUM(A1)", "12.5", "1.5"]  # '= restored
    assert records[1][2][3] is NumberText and records[1][2][0] is str
    assert records[3][1][5:8] == ["1", "2026-03-04", "2026-03-01T10:30:03"]
    assert records[-1][0] == 150 + 4 and records[-1][1] == ["after an empty row"]


def test_more_rows_than_one_slice(tmp_path, monkeypatch):
    path = tmp_path / "big.xlsx"
    _every_kind_of_cell(path, rows=fastsheet.SLICE + 10)
    records = same_records(path, monkeypatch)
    assert len(records) == fastsheet.SLICE + 12 and records[fastsheet.SLICE][1][0] == f"R{fastsheet.SLICE:05d}"


@pytest.mark.parametrize("start", [(0, 0), (2, 1)], ids=["A1", "B3"])
def test_what_excel_does_to_cells_is_left_to_calamine(tmp_path, monkeypatch, start):
    """An EAN stored as a number among EANs stored as text, a list lower down: not plainly a list."""
    path = tmp_path / "excel.xlsx"
    _excel_like(path, *start)
    same_records(path, monkeypatch, "Feuil1", expect_fast=False)


@pytest.mark.parametrize("header", [
    ["reference", "name", "reference"],  # a name twice
    ["reference", "", "price"],  # a column without a name
    ["", "name", "price"],  # A1 empty
])
def test_odd_headers_are_left_to_calamine(tmp_path, monkeypatch, header):
    path = tmp_path / "odd.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("articles")
    ws.write_row(0, 0, header)
    ws.write_row(1, 0, ["A", "Pain", 1.5])
    book.close()
    same_records(path, monkeypatch, expect_fast=False)


def test_error_and_formula_cells(tmp_path, monkeypatch):
    path = tmp_path / "formulas.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("articles")
    ws.write_row(0, 0, ["reference", "price", "stock"])
    ws.write_row(1, 0, ["A", 1.5, 2])
    ws.write_formula(2, 1, "=B2*2", None, 3)  # a formula with its value saved
    ws.write_string(2, 0, "B")
    ws.write_formula(3, 2, "=1/0", None, "#DIV/0!")  # an error in a column of numbers
    ws.write_string(3, 0, "C")
    book.close()
    records = read(path, fast=True, monkeypatch=monkeypatch)
    assert records == read(path, fast=False, monkeypatch=monkeypatch)
    assert records[2][1] == ["B", "3"]


def test_other_packages_and_damaged_files_are_left_to_calamine(tmp_path):
    ods = tmp_path / "a.ods"
    ods.write_bytes(b"PK\x03\x04 not really")
    assert fastsheet.load(ods, "articles") is None
    path = tmp_path / "cells.xlsx"
    _every_kind_of_cell(path)
    assert fastsheet.load(path, "no such sheet") is None
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(path.read_bytes()[:-200])
    assert fastsheet.load(cut, "articles") is None


def test_without_fastexcel_calamine_reads_everything(tmp_path, monkeypatch):
    path = tmp_path / "cells.xlsx"
    _every_kind_of_cell(path)
    monkeypatch.setitem(sys.modules, "fastexcel", None)  # an import of it fails
    assert fastsheet.load(path, "articles") is None
    assert read(path, fast=True, monkeypatch=monkeypatch)[1][1][0] == "R00001"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
@pytest.mark.slow
def test_a_libreoffice_workbook_with_shared_strings(tmp_path, monkeypatch):
    path = tmp_path / "cells.xlsx"
    _every_kind_of_cell(path, rows=40)
    _soffice(["--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(path)], tmp_path)
    back = tmp_path / "lo" / "cells.xlsx"
    with zipfile.ZipFile(back) as package:
        assert "xl/sharedStrings.xml" in package.namelist()
    records = same_records(back, monkeypatch)
    assert records == read(path, fast=False, monkeypatch=monkeypatch)


def test_too_many_columns_is_refused_by_both_readers(tmp_path, monkeypatch):
    from pos.catalog.csvio import MAX_COLUMNS, CsvError

    path = tmp_path / "wide.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("articles")
    ws.write_row(0, 0, [f"c{i}" for i in range(MAX_COLUMNS + 1)])
    ws.write_row(1, 0, ["x"] * (MAX_COLUMNS + 1))
    book.close()
    assert fastsheet.load(path, "articles") is not None
    for fast in (True, False):
        with pytest.raises(CsvError, match="more than"):
            read(path, fast=fast, monkeypatch=monkeypatch)


def test_a_workbook_xml_with_entities_is_not_expanded(tmp_path):
    """The package's own XML goes through defusedxml: an entity (a billion laughs) is a no, not a hang."""
    path = tmp_path / "cells.xlsx"
    _every_kind_of_cell(path)
    hostile = tmp_path / "hostile.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(hostile, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>', 1)
            out.writestr(item, data)
    assert fastsheet.load(path, "articles") is not None
    assert fastsheet.load(hostile, "articles") is None
