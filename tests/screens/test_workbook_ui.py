"""Issue 18: "All lists in one workbook" on the Import / Export page, touched for real offscreen: the
articles, departments and customers in one .xlsx (a sheet each, read back with python-calamine), run
as a background job with its progress and Cancel (a cancelled workbook leaves no file)."""

from __future__ import annotations

import datetime as dt
import threading
import zipfile

from python_calamine import CalamineWorkbook
from test_transfer_ui import app, finished, open_page, touch, window  # noqa: F401  (fixtures)


def workbook_path(folder):
    return folder / f"pos-lists-{dt.date.today().isoformat()}.xlsx"


def test_all_lists_in_one_workbook(app, window, tmp_path):  # noqa: F811
    from pos.data import catalog, customers, shop

    customers.save_customer({"name": "Martin Dupont", "email": "martin@example.org", "city": "Lyon"})
    customers.save_customer({"name": "=HYPERLINK(\"http://x\")", "email": "formula@example.org"})
    page = open_page(app, window)
    page.ids.export_path.text = str(tmp_path / "articles.csv")  # the workbook goes in this folder
    touch(page, page.ids.workbook_button)
    finished(page)
    path = workbook_path(tmp_path)
    assert page.status == (f"All lists exported to {path}: Articles {catalog.count_articles()}, "
                           f"Departments {len(shop.departments(True))}, Customers 2"), page.status
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["articles", "departments", "customers"]
    sheets = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    articles, departments, people = sheets["articles"], sheets["departments"], sheets["customers"]
    assert articles[0][:4] == ["reference", "barcode", "name", "department"]
    assert len(articles) - 1 == catalog.count_articles() > 100
    assert len({r[0] for r in articles[1:]}) == len(articles) - 1  # one row per article
    baguette = next(r for r in articles if r[0] == "D010001")
    assert baguette[2] == "Baguette tradition" and baguette[3] == "Boulangerie"
    assert departments[0][:2] == ["name", "colour"]
    assert sorted(r[0] for r in departments[1:]) == sorted(d.name for d in shop.departments(True))
    assert people[0][:3] == ["id", "name", "email"]
    assert [r[1] for r in people[1:]] == ["Martin Dupont", "=HYPERLINK(\"http://x\")"]
    with zipfile.ZipFile(path) as z:  # a text cell, never a formula Excel would run
        sheets_xml = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert len(sheets_xml) == 3 and not any(b"<f>" in x or b"<f " in x for x in sheets_xml)
    assert people[1][6] == "Lyon"
    assert not [p for p in tmp_path.glob(".*") if "pos-lists" in p.name]  # no temporary file left
    assert "pos-lists-" in page.ids.export_history.text  # the export history lists it


def test_a_cancelled_workbook_leaves_no_file(app, window, tmp_path, monkeypatch):  # noqa: F811
    from pos.catalog import exporting

    real = exporting.export_workbook
    gate = threading.Event()

    def held(actor, path, specs, progress=None):
        def step(done, total):  # the real export, held after its first sheet until Cancel is touched
            progress(done, total)
            assert gate.wait(20)
        return real(actor, path, specs, progress=step)

    monkeypatch.setattr(exporting, "export_workbook", held)
    out = tmp_path / "out"
    out.mkdir()
    page = open_page(app, window)
    page.ids.export_path.text = str(out)  # a folder: the workbook goes in it
    touch(page, page.ids.workbook_button)
    from helpers.ui_helpers import tap, wait_for

    assert wait_for(lambda: page.progress > 0 and page.cancellable, 20)
    assert page.ids.workbook_button.disabled and page.ids.export_button.disabled  # one job at a time
    tap(page.ids.cancel)
    gate.set()
    finished(page)
    assert "Cancelled" in page.status
    assert list(out.iterdir()) == []


def test_a_missing_folder_is_said_and_nothing_runs(app, window, tmp_path):  # noqa: F811
    page = open_page(app, window)
    page.ids.export_path.text = str(tmp_path / "nowhere" / "articles.csv")
    touch(page, page.ids.workbook_button)
    assert app.toast_text == f"This folder does not exist: {tmp_path / 'nowhere'}"
    assert not page.busy and not (tmp_path / "nowhere").exists()
