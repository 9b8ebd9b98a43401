"""Spreadsheets and JSON through the one import pipeline (pos/catalog/sheets.py, jsonio.py, sources.py,
exporting.py), read back with python-calamine and, when installed, converted by LibreOffice."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from helpers.actors import manager
from python_calamine import CalamineWorkbook

from pos.catalog import exporting
from pos.catalog.csvio import CsvError
from pos.catalog.exporting import ExportSpec, export_workbook
from pos.catalog.transfer import Import, export
from pos.core.errors import Cancelled
from pos.data import catalog as catalog_db
from pos.data import customers as customers_db

HEADER = ["reference", "barcode", "name", "department", "price", "vat_rate", "cost_price", "stock", "active", "web"]
SOFFICE = shutil.which("soffice")


def sheet_rows(path: Path, sheet: str | None = None) -> list[list]:
    book = CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(sheet or book.sheet_names[0]).to_python()


def prepared(entity: str, path: Path, **kw) -> Import:
    job = Import(entity, path, **kw)
    job.prepare()
    return job


def outcome(job: Import) -> dict:
    """Everything a preview shows, to compare two files' previews."""
    p = job.preview
    groups = {g: [(r["key"], r["label"]) for r in job.rows(g, 0, 1000)] for g in ("new", "changed", "invalid")}
    changes = {r["key"]: job.compare(r["line"]) for r in job.rows("changed", 0, 1000)}
    return {"counts": p.counts, "fields": p.fields, "rows": p.rows, "groups": groups, "changes": changes,
            "new_departments": p.new_departments,
            "errors": [e.split(":", 2)[2] for e in job.errors()]}  # the message, without file and row


# ---------------------------------------------------------------- xlsx export
def test_xlsx_export_types_cells(shop, tmp_path):
    path = tmp_path / "articles.xlsx"
    n = export(manager(), "articles", path)
    rows = sheet_rows(path, "articles")
    assert rows[0] == HEADER and len(rows) == n + 1 == catalog_db.count_articles() + 1
    baguette = next(r for r in rows if r[0] == "D010001")
    assert baguette == ["D010001", "3760123000017", "Baguette tradition", "Boulangerie",
                        1.2, 5.5, 0.66, 50.0, True, False]
    assert all(isinstance(r[1], str) for r in rows[1:])  # EANs are text cells, never numbers
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert 'state="frozen"' in xml and 'ySplit="1"' in xml  # the header stays in sight
    spans = [(int(a), int(b), float(w))
             for a, b, w in re.findall(r'<col min="(\d+)" max="(\d+)" width="([0-9.]+)"', xml)]
    widths = [w for a, b, w in spans for _i in range(a, b + 1)]
    assert len(widths) == len(HEADER) and widths[2] > widths[0] > widths[8]  # fitted: name > reference > active
    assert "<b/>" in styles and "€" in styles  # a bold header, prices in euros
    assert "<f>" not in xml  # no formula anywhere
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)


def test_formula_like_text_is_a_string_cell_and_round_trips(shop, tmp_path):
    article = catalog_db.find_article_by_code("D010001")
    detail = catalog_db.article_detail(article.id)
    import dataclasses
    catalog_db.save_article(dataclasses.replace(detail, name='=HYPERLINK("http://x","y")'))
    path = tmp_path / "a.xlsx"
    export(manager(), "articles", path)
    with zipfile.ZipFile(path) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    with prepared("articles", path) as job:
        assert job.preview.counts["same"] == job.preview.rows and job.preview.counts["changed"] == 0


def add_customers() -> None:
    customers_db.save_customer({"name": "Dupont; Marie", "email": "marie@example.fr",
                                "address": "1 rue de la Paix\n75002 Paris"})
    customers_db.save_customer({"name": "=cmd|' /C calc'!A0", "phone": "01 23 45 67 89"})


@pytest.mark.parametrize("entity", ["articles", "departments", "customers"])
@pytest.mark.parametrize("fmt", ["xlsx", "jsonl"])
def test_round_trip_gives_zero_changes(shop, tmp_path, entity, fmt):
    add_customers()
    path = tmp_path / f"{entity}.{fmt}"
    n = export(manager(), entity, path)
    with prepared(entity, path) as job:
        p = job.preview
        assert (p.rows, p.counts["same"], p.counts["changed"], p.counts["new"], p.counts["invalid"]) == \
            (n, n, 0, 0, 0), job.errors(5)
        assert p.format == fmt


def test_one_workbook_holds_every_list(shop, tmp_path):
    add_customers()
    path = tmp_path / "shop.xlsx"
    counts = export_workbook(manager(), path, [ExportSpec(e) for e in ("articles", "departments", "customers")])
    assert CalamineWorkbook.from_path(str(path)).sheet_names == ["articles", "departments", "customers"]
    for entity, n in counts.items():
        with prepared(entity, path) as job:  # the sheet named after the list
            assert job.preview.sheet == entity and job.preview.counts["same"] == n > 0
    with pytest.raises(CsvError, match="no sheet nope"):
        Import("articles", path, sheet="nope").prepare()


def test_json_array_export(shop, tmp_path):
    path = tmp_path / "d.json"
    n = export(manager(), "departments", path)
    data = json.loads(path.read_text("utf-8"))
    assert len(data) == n and list(data[0]) == ["name", "colour", "vat_rate", "position", "active"]
    assert isinstance(data[0]["active"], bool)


def test_cancel_leaves_no_file(shop, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    for fmt in ("xlsx", "jsonl", "csv"):
        path = folder / f"a.{fmt}"

        def stop(done, total):
            raise Cancelled()

        with pytest.raises(Cancelled):
            export(manager(), "articles", path, progress=stop)
        assert list(folder.iterdir()) == [], fmt


# ---------------------------------------------------------------- what Excel does to cells
def _excel_like(path: Path, start_row: int = 0, start_col: int = 0) -> None:
    """A workbook as a user's Excel saves it: numbers where there was text and text where there were
    numbers, percentages, dates, a list that does not start at A1, formatted empty rows and columns."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Feuil1")
    pct = book.add_format({"num_format": "0.0%"})
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    r, c = start_row, start_col
    for i, h in enumerate(["Référence", "Code barre", "Désignation", "Prix TTC", "TVA", "Stock", "Actif",
                           "Arrivée"]):
        ws.write_string(r, c + i, h)
    rows = [
        # an EAN stored as a number (valid: recovered), a price as text, a rate as a percentage
        [1001, 5901234123457.0, "Baguette", "1,30", (0.055, pct), "12", True, (dt.datetime(2026, 3, 1), date)],
        # a price computed as 1.2000000000000002, a stock as text with a comma, a rate as 20
        ["R2", "4006381333931", "Pain", 1.1 + 0.1, 20, "2,5", "oui", None],
        # an EAN that lost its leading zero when stored as a number: refused, not guessed
        ["R3", 12345678905.0, "Jus", 2.5, 5.5, 1, False, None],
    ]
    for j, row in enumerate(rows, 1):
        for i, v in enumerate(row):
            fmt = None
            if isinstance(v, tuple):
                v, fmt = v
            if v is None:
                continue
            if isinstance(v, dt.datetime):
                ws.write_datetime(r + j, c + i, v, fmt)
            elif isinstance(v, bool):
                ws.write_boolean(r + j, c + i, v)
            elif isinstance(v, str):
                ws.write_string(r + j, c + i, v)
            else:
                ws.write_number(r + j, c + i, v, fmt)
    blank = book.add_format({"bg_color": "#FFFF00"})
    for j in range(5, 9):  # empty but formatted rows and columns after the list
        ws.write_blank(r + j, c, None, blank)
        ws.write_blank(r + 1, c + 12, None, blank)
    book.close()


@pytest.mark.parametrize("start", [(0, 0), (2, 1)], ids=["A1", "B3"])
def test_what_excel_does_to_codes_and_numbers(shop, tmp_path, start):
    catalog_db.define_custom_field("arrival", "Arrivée")
    path = tmp_path / "excel.xlsx"
    _excel_like(path, *start)
    with prepared("articles", path) as job:
        p = job.preview
        errors = job.errors()
        assert p.rows == 3 and p.counts["invalid"] == 1, errors
        row, col = start[0] + 4, "ABCDEFGHIJ"[start[1] + 1]  # the sheet's own row number and column letter
        assert errors == [f"excel.xlsx [Feuil1]:{row}: column {col} (Code barre): the spreadsheet stored this "
                          "barcode as a number (12345678905), which may have lost digits: format the column as "
                          "text and type it again"]
    bad = tmp_path / "fixed.xlsx"
    book = CalamineWorkbook.from_path(str(path))
    data = book.get_sheet_by_name("Feuil1").to_python()
    del book
    w = xlsxwriter.Workbook(str(bad))
    ws = w.add_worksheet()
    for j, row in enumerate([r for r in data if any(v != "" for v in r)][:3]):
        for i, v in enumerate(row):
            if isinstance(v, (dt.date, dt.datetime)):
                ws.write_datetime(j, i, v, w.add_format({"num_format": "dd/mm/yyyy"}))
            elif v != "":
                ws.write(j, i, v)
    w.close()
    with prepared("articles", bad) as job:
        assert job.preview.counts["invalid"] == 0, job.errors()
        job.set_create_departments(True)
        job.apply(manager(), add=True, update=True, delete=False)
    a = catalog_db.find_article_by_code("5901234123457")
    assert (a.reference, a.name, a.price) == ("1001", "Baguette", 130)
    detail = catalog_db.article_detail(a.id)
    assert detail.vat_bp == 550 and detail.stock == 12000 and detail.custom == {"arrival": "2026-03-01"}
    pain = catalog_db.article_detail(catalog_db.find_article_by_code("R2").id)
    assert (pain.price, pain.vat_bp, pain.stock, pain.active) == (120, 2000, 2500, True)


# ---------------------------------------------------------------- JSON Lines import: hostile lines
@pytest.mark.parametrize("data,message", [
    (b'{"reference": "A", "name": "x"}\n[1, 2]\n', "line 2: each line must be one JSON object"),
    (b'{"reference": "A", "name": "x"}\n{"reference": "B", "nom": "y"}\n', "line 2: the field nom is not in"),
    (b'{"reference": "A", "name": "x"}\n{"reference": "B", "name": \n', "line 2: not JSON"),
    (b'{"reference": "A", "name": {"a": 1}}\n', "line 1: the field name holds a list"),
    (b'{"reference": "A", "name": "\xe9t\xe9"}\n', "line 1: the file is not in UTF-8"),
])
def test_jsonl_import_refuses_hostile_lines(shop, tmp_path, data, message):
    before = catalog_db.count_articles()
    path = tmp_path / "a.jsonl"
    path.write_bytes(data)
    with pytest.raises(CsvError, match=re.escape(message)):
        Import("articles", path).prepare()
    assert catalog_db.count_articles() == before


def test_a_file_that_is_not_a_workbook(shop, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("reference;name\nA;B\n")
    with pytest.raises(CsvError, match="fake.xlsx: this is not a spreadsheet the till can read"):
        Import("articles", path).prepare()
    pdf = tmp_path / "x.pdf"
    pdf.write_text("x")
    with pytest.raises(CsvError, match="cannot read a .pdf file"):
        Import("articles", pdf).prepare()


# ---------------------------------------------------------------- LibreOffice
def _soffice(args: list[str], tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    subprocess.run(["soffice", "--headless", *args], check=True, env=env, timeout=180, capture_output=True)


def _edited_csv(tmp_path: Path) -> Path:
    """An export changed by hand: a new price, a new article with a new department, an invalid row."""
    path = tmp_path / "src" / "articles.csv"
    path.parent.mkdir()
    export(manager(), "articles", path)
    lines = path.read_text("utf-8-sig").splitlines()
    lines = [line.replace(";1,20;5,5;", ";1,35;5,5;", 1) if line.startswith("D010001;") else line for line in lines]
    lines.append("NEW1;4006381333931;Nouveau pain;Boulangerie;2,40;5,5;;3;1")
    lines.append("NEW2;4006381333932;Mauvais code;Fournil;2,40;5,5;;3;1")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    return path


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
@pytest.mark.slow
def test_files_saved_by_libreoffice_import_like_their_csv(shop, tmp_path):
    src = _edited_csv(tmp_path)
    # ; separator, " quotes, UTF-8, French locale (1036): LibreOffice reads 1,35 as a number and the
    # EAN-13s as numbers too, the way a user's spreadsheet holds them
    infilter = "59,34,76,1,,1036,false,true"
    for fmt in ("xlsx", "ods"):
        _soffice([f"--infilter=CSV:{infilter}", "--convert-to", fmt, "--outdir", str(tmp_path / fmt), str(src)],
                 tmp_path)
    with prepared("articles", src) as job:
        expected = outcome(job)
    assert expected["counts"]["changed"] == 1 and expected["counts"]["new"] == 1
    assert expected["counts"]["invalid"] == 1
    for fmt in ("xlsx", "ods"):
        with prepared("articles", tmp_path / fmt / f"articles.{fmt}") as job:
            assert outcome(job) == expected, fmt


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
@pytest.mark.slow
def test_an_exported_xlsx_round_trips_through_libreoffice_unchanged(shop, tmp_path):
    catalog_db.define_custom_field("weight_g", "Poids (g)", "number")
    add_customers()
    path = tmp_path / "shop.xlsx"
    export_workbook(manager(), path, [ExportSpec(e) for e in ("articles", "departments", "customers")])
    _soffice(["--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(path)], tmp_path)
    back = tmp_path / "lo" / "shop.xlsx"
    for sheet in ("articles", "departments", "customers"):
        assert sheet_rows(back, sheet) == sheet_rows(path, sheet), sheet
        with prepared(sheet, back) as job:
            p = job.preview
            assert p.counts["same"] == p.rows and p.counts["changed"] == p.counts["invalid"] == 0


# ---------------------------------------------------------------- chosen fields and filters
def test_chosen_fields_and_filters(shop, tmp_path):
    path = tmp_path / "a.csv"
    n = export(manager(), "articles", path, fields=["reference", "name", "price"],
               filters=exporting.parse_where("articles", ["department=boulangerie", "active=1"]))
    lines = path.read_text("utf-8-sig").splitlines()
    assert lines[0] == "reference;name;price" and len(lines) == n + 1
    assert 0 < n < catalog_db.count_articles()
    with prepared("articles", path) as job:  # only these columns are compared: the rest stays
        assert job.preview.counts["same"] == n and job.preview.counts["missing"] == catalog_db.count_articles() - n
    low = tmp_path / "low.jsonl"
    k = export(manager(), "articles", low, filters=exporting.parse_where("articles", ["stock_below=10"]))
    stocks = [json.loads(line)["stock"] for line in low.read_text().splitlines()]
    assert len(stocks) == k and all(s < 10 for s in stocks)
    with pytest.raises(CsvError, match="unknown field prix"):
        export(manager(), "articles", path, fields=["reference", "prix"])
    with pytest.raises(CsvError, match="unknown filter stock_below: the departments filter on active"):
        exporting.parse_where("departments", ["stock_below=3"])
    with pytest.raises(CsvError, match="filter changed_since"):
        exporting.parse_where("articles", ["changed_since=yesterday"])
    assert [e["rows"] for e in exporting.export_log("articles")][:2] == [k, n]
    assert exporting.export_log("articles")[1]["fields"] == ["reference", "name", "price"]


# ---------------------------------------------------------------- the .xlsx writer itself
def test_xlsx_writer_keeps_any_text(tmp_path):
    from pos.catalog.xlsxout import XlsxWriter

    texts = ["  espaces  ", "a & b < c > d", "tab\tand\nnewline", "bell\x07 and nul\x00", "_x0041_ stays",
             "é ü 中文 🍞", "=SUM(A1)", "x" * 40000]
    path = tmp_path / "t.xlsx"
    book = XlsxWriter(path)
    n = book.sheet("s", ["text", "price", "rate", "qty", "on", "n"], ["text", "money", "rate", "qty", "bool", "int"],
                   iter([[t, 1999, 550, 2500, i % 2 == 0, None] for i, t in enumerate(texts)]))
    book.close()
    rows = sheet_rows(path, "s")
    assert n == len(texts) and rows[0] == ["text", "price", "rate", "qty", "on", "n"]
    got = [r[0] for r in rows[1:]]
    assert got[:7] == texts[:7] and got[7] == "x" * 32767  # Excel's cell limit
    assert rows[1][1:5] == [19.99, 5.5, 2.5, True]



# ---------------------------------------------------------------- the CSV reader, a chunk at a time
@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_csv_lines_read_by_chunks_split_as_one_read(tmp_path, monkeypatch, chunk, newline):
    import csv as csv_module
    import io

    from pos.catalog import csvio

    text = newline.join(['reference;name;price', 'A1;"two\r\nlines";1,20', "A2;'=SUM(A1);2", 'A3;"a;b""c";3',
                         'A4;x\u2028y\x0bz;4', '', 'A5;last;5']) + newline
    path = tmp_path / "f.csv"
    path.write_text(text, "utf-8", newline="")
    monkeypatch.setattr(csvio, "CHUNK", chunk)
    got = [fields for _line, fields in csvio.read_records(path, csvio.Dialect("utf-8", ";"))]
    expected = [r for r in csv_module.reader(io.StringIO(text, newline=""), delimiter=";") if r]
    expected[2][1] = "=SUM(A1)"  # restored
    assert got == expected


def test_csv_line_too_long_is_refused_with_its_line(tmp_path, monkeypatch):
    from pos.catalog import csvio

    monkeypatch.setattr(csvio, "MAX_LINE", 50)
    monkeypatch.setattr(csvio, "CHUNK", 16)
    path = tmp_path / "f.csv"
    path.write_text("reference;name\nA;b\nB;" + "x" * 80 + "\nC;d\n", "utf-8")
    with pytest.raises(CsvError, match="line 3: a line longer than 1 MB"):
        list(csvio.read_records(path, csvio.Dialect("utf-8", ";")))
