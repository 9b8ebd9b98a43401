"""The Import / Export config page, driven for real offscreen with simulated touches."""

from __future__ import annotations

import pytest
from helpers.ui_helpers import find_button, frames, keypad_type, popup, tap, wait_for


@pytest.fixture(scope="session")
def window():
    from kivy.core.window import Window

    import pos.screens.app  # noqa: F401  (sets the 1024×768 size before the window exists)

    frames(2)
    yield Window


@pytest.fixture
def app(window, shop):
    """The real app on the demo shop, logged in as Claire (manager), on the Import / Export page."""
    from kivy.uix.modalview import ModalView

    from pos.core import settings
    from pos.hardware import VirtualDrawer, VirtualPrinter
    from pos.sale.till import Till
    from pos.screens.app import PosApp

    settings.set_value("ui.language", "en")
    app = PosApp(till=Till(printer=VirtualPrinter(), drawer=VirtualDrawer()))
    root = app.build()
    app.root = root
    window.add_widget(root)
    frames(3)
    login = app.screen("login")
    tap(login.user_buttons["Claire"])
    keypad_type(login.ids.pad, "9999")
    tap(login.ids.enter)
    assert app.sm.current == "sale", app.toast_text
    yield app
    app.on_stop()
    window.remove_widget(root)
    for child in list(window.children):
        if isinstance(child, ModalView):
            child.dismiss(animation=False)
    frames(2)


def open_page(app, window):
    """Menu → Configuration → Import / Export, by touch."""
    from pos.screens.transfer import TransferPage

    app.screen("sale").menu_key()
    tap(find_button(popup(window, "ChoicePopup"), "Configuration"))
    assert app.sm.current == "config"
    config = app.screen("config")
    tap(config.section_buttons["transfer"])
    page = config.page_widget
    assert isinstance(page, TransferPage)
    frames(2)
    return page


def _visible(scroll, widget) -> bool:
    """The widget's centre is inside the scroll view's window area (layout settled after a scroll)."""
    x, y = widget.to_window(*widget.center)
    sx, sy = scroll.to_window(scroll.x, scroll.y)
    return sx <= x <= sx + scroll.width and sy <= y <= sy + scroll.height


def touch(page, widget):
    """Scroll the page to the widget (as a finger would), then touch it."""
    if widget.parent is not None and page.ids.scroll in list(widget.walk_reverse()):
        page.ids.scroll.scroll_to(widget, padding=10, animate=False)
        frames(2)
        assert wait_for(lambda: _visible(page.ids.scroll, widget), 3.0), "the page did not scroll to the widget"
        frames(1)
    tap(widget)


def close(window, group) -> None:
    """Close a popup and wait until it has left the window (its dismiss may be animated)."""
    tap(group.ids.close)
    assert wait_for(lambda: group not in window.children, 3.0), "the popup did not close"


def opened(window, cls_name: str, timeout: float = 3.0):
    """The popup a touch opened (it may take a frame or two to arrive)."""
    assert wait_for(lambda: any(type(c).__name__ == cls_name for c in window.children), timeout), cls_name
    return popup(window, cls_name)


def finished(page, timeout=20.0):
    assert wait_for(lambda: not page.busy, timeout), "the worker did not finish"
    frames(2)


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it cleanly
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")  # CRLF everywhere
    return [line.split(";") for line in text.split("\r\n") if line]


def write_csv(path, rows):
    path.write_bytes(("\ufeff" + "".join(";".join(r) + "\r\n" for r in rows)).encode("utf-8"))


def sell(app, code):
    app.till.scan(code)
    app.till.add_payment("card")
    app.till.validate()


def test_export_edit_preview_and_apply(app, window, tmp_path):
    from pos.data import catalog
    from pos.data import transfer as sql

    sell(app, "D010003")  # a croissant on a ticket: it can only be deactivated
    page = open_page(app, window)
    assert page.entity_buttons["articles"].state == "down"  # the default list
    assert page.options == {"format": "csv", "separator": ";", "encoding": "utf-8-sig", "decimal": ","}

    # export the demo articles
    out = tmp_path / "articles.csv"
    page.ids.export_path.text = str(out)
    touch(page, page.ids.export_button)
    finished(page)
    assert out.exists(), page.status
    rows = read_csv(out)
    header = rows[0]
    assert header == ["reference", "barcode", "name", "department", "price", "vat_rate", "cost_price", "stock",
                      "active", "web"]
    assert len(rows) - 1 == sql.export_count("articles") > 100
    assert f"{len(rows) - 1} rows exported" in page.status
    assert page.progress == 1000

    # edit it: a new price, a new article (in a department the shop lacks), two rows removed
    col = {name: i for i, name in enumerate(header)}
    data = {r[0]: r for r in rows[1:]}
    assert data["D010001"][col["price"]] == "1,20"
    data["D010001"][col["price"]] = "9,99"
    new = list(data["D010004"])
    new[col["reference"]], new[col["barcode"]], new[col["name"]] = "NEW001", "", "Fougasse aux olives"
    new[col["department"]] = "Boulangerie"
    del data["D010002"], data["D010003"]
    write_csv(out, [header, *data.values(), new])

    page.ids.import_path.text = str(out)
    touch(page, page.ids.preview_button)
    finished(page)
    assert page.preview is not None, page.status
    assert page.preview.counts["new"] == 1 and page.preview.counts["changed"] == 1
    assert page.preview.counts["missing"] == 2 and page.preview.counts["missing_deactivate"] == 1
    assert page.preview.counts["invalid"] == 0
    buttons = page.group_buttons
    assert buttons["new"].text == "New: 1"
    assert buttons["changed"].text == "Changed: 1"
    assert buttons["same"].text == f"Unchanged: {len(rows) - 1 - 3}"
    assert buttons["missing"].text == "Missing from the file: 2"
    assert buttons["invalid"].text == "Invalid: 0" and buttons["invalid"].disabled
    texts = [w.text for w in page.ids.preview_box.walk() if hasattr(w, "text")]
    assert any("price (1)" in t for t in texts)  # the changed field
    assert any("1 will be deactivated, not deleted (they appear on past tickets)" in t for t in texts), texts
    assert catalog.find_article_by_code("D010001").price == 120  # nothing changed yet

    # the changed group: the row and its field diff
    touch(page, buttons["changed"])
    group = opened(window, "GroupPopup")
    assert group.ids.list.data[0]["title"].startswith("D010001")
    assert group.ids.list.data[0]["detail"] == "price: 1,20 → 9,99"
    close(window, group)
    # the missing group says which one is deactivated
    touch(page, buttons["missing"])
    group = opened(window, "GroupPopup")
    details = {r["title"].split()[0]: r["detail"] for r in group.ids.list.data}
    assert "deactivated" in details["D010003"] and "deleted" in details["D010002"]
    close(window, group)

    # add + update + delete, then apply
    toggles = page.choice_toggles
    assert toggles["add"].state == "down" and toggles["update"].state == "down"
    assert toggles["delete"].state == "normal"  # deleting is a choice, never the default
    touch(page, toggles["delete"])
    assert toggles["delete"].state == "down"
    touch(page, page.apply_button)
    finished(page)
    assert "1 added, 1 updated, 1 deleted, 1 deactivated" in app.toast_text, (app.toast_text, page.status)
    assert page.preview is None and not page.ids.preview_box.children  # the preview is cleared
    assert catalog.find_article_by_code("D010001").price == 999
    fougasse = catalog.find_article_by_code("NEW001")
    assert fougasse is not None and fougasse.name == "Fougasse aux olives"
    assert catalog.find_article_by_code("D010002") is None
    assert sql.export_count("articles") == len(rows) - 1  # one deleted, one added, one deactivated (kept)
    croissant = [r for r in sql.export_rows("articles") if r[0] == "D010003"]
    assert croissant and croissant[0][8] == 0  # kept, inactive
    # the last imports, at the bottom of the page
    assert "Claire · articles.csv · 1 added, 1 updated, 1 deleted, 1 deactivated" in page.ids.history.text


def test_unknown_department_is_created_on_request(app, window, tmp_path):
    from pos.data import catalog

    page = open_page(app, window)
    path = tmp_path / "new.csv"
    write_csv(path, [["reference", "name", "department", "price", "vat_rate", "colour"],
                     ["NEW002", "Tarte aux pommes", "Pâtisserie fine", "12,50", "5,5", "red"]])
    page.ids.import_path.text = str(path)
    touch(page, page.ids.preview_button)
    finished(page)
    assert page.preview.counts["invalid"] == 1
    assert page.apply_button.disabled
    assert "unknown department Pâtisserie fine" in page.error_text.text
    assert any("Unknown columns, ignored: F (colour)" in w.text for w in page.ids.preview_box.children
               if hasattr(w, "text"))
    assert "Pâtisserie fine" in page.create_toggle.text
    touch(page, page.create_toggle)
    finished(page)
    assert page.preview.counts == {**page.preview.counts, "new": 1, "invalid": 0}
    assert not page.apply_button.disabled and page.create_toggle.state == "down"
    touch(page, page.apply_button)
    finished(page)
    assert "1 added" in app.toast_text and "1 departments created" in app.toast_text
    article = catalog.find_article_by_code("NEW002")
    assert article is not None and article.price == 1250


@pytest.mark.slow
def test_broken_files_show_their_error_and_change_nothing(app, window, tmp_path):
    from pos.data import catalog

    page = open_page(app, window)
    before = catalog.find_article_by_code("D010001").price

    # a binary file: a clear message, no preview
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    page.ids.import_path.text = str(binary)
    touch(page, page.ids.preview_button)
    finished(page)
    assert page.preview is None
    assert "photo.csv: this is not a text file (binary content)" in page.error_text.text
    assert "binary content" in app.toast_text and page.status_error

    # a bad price: the row is invalid, with its line and column; Apply stays disabled
    bad = tmp_path / "bad.csv"
    write_csv(bad, [["reference", "name", "price", "vat_rate"],
                    ["D010001", "Baguette tradition", "1,30", "5,5"],
                    ["D010002", "Baguette", "abc", "5,5"]])
    page.ids.import_path.text = str(bad)
    touch(page, page.ids.preview_button)
    finished(page)
    assert page.preview.counts["invalid"] == 1 and page.preview.counts["changed"] == 1
    assert "bad.csv:3: column C (price): not a number: abc" in page.error_text.text
    assert page.apply_button.disabled
    touch(page, page.group_buttons["invalid"])
    group = opened(window, "GroupPopup")
    assert group.ids.list.data[0]["where"] == "line 3"
    assert group.ids.list.data[0]["detail"] == "column C (price): not a number: abc"
    close(window, group)
    page.apply()  # even forced, nothing is applied
    finished(page)
    assert "invalid rows" in page.status and page.status_error
    assert catalog.find_article_by_code("D010001").price == before

    # leaving the page forgets the preview (and its staging file)
    stage_dir = page.job._dir
    config = app.screen("config")
    tap(config.section_buttons["vat"])
    assert page.job is None and stage_dir is not None
    import os

    assert not os.path.exists(stage_dir)


def test_export_options_and_cancel(app, window, tmp_path, monkeypatch):
    from pos.catalog import exporting

    app.screen("config").transfer_entity = "departments"  # as the Departments page sets it
    page = open_page(app, window)
    assert page.entity == "departments" and page.entity_buttons["departments"].state == "down"
    assert page.ids.export_path.text.endswith("departments.csv")
    tap(page.entity_buttons["customers"])
    assert page.entity == "customers" and page.ids.export_path.text.endswith("customers.csv")
    assert app.screen("config").transfer_entity == "customers"
    tap(page.entity_buttons["departments"])
    tap(page.option_buttons["separator"]["\t"])
    tap(page.option_buttons["encoding"]["cp1252"])
    tap(page.option_buttons["decimal"]["."])
    out = tmp_path / "departments.csv"
    page.ids.export_path.text = str(out)
    touch(page, page.ids.export_button)
    finished(page)
    text = out.read_bytes().decode("cp1252")
    assert text.startswith("name\tcolour\tvat_rate\tposition\tactive\r\n")
    assert "\t5.5\t" in text or "\t20\t" in text

    # cancelling an export leaves no file
    cancelled = tmp_path / "cancelled.csv"
    page.ids.export_path.text = str(cancelled)
    real_export = exporting.export

    def slow_export(actor, spec, path, progress=None):
        import time

        for i in range(200):
            progress(i, 200)
            time.sleep(0.01)
        return real_export(actor, spec, path, progress=progress)

    monkeypatch.setattr(exporting, "export", slow_export)
    touch(page, page.ids.export_button)
    assert wait_for(lambda: page.progress > 0)
    assert page.ids.export_button.disabled  # one job at a time
    tap(page.ids.cancel)
    finished(page)
    assert "Cancelled" in page.status
    assert not cancelled.exists()


def test_file_chooser_picks_a_csv(app, window, tmp_path):
    page = open_page(app, window)
    path = tmp_path / "pick.csv"
    write_csv(path, [["name", "colour"], ["Boulangerie", "#FF0000"]])
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    tap(page.entity_buttons["departments"])
    page.ids.import_path.text = str(tmp_path / "x.csv")
    touch(page, page.ids.import_browse)
    chooser = popup(window, "FilePopup")
    assert chooser.ids.chooser.path == str(tmp_path)
    assert wait_for(lambda: chooser.ids.chooser.files)
    names = [p.rsplit("/", 1)[-1] for p in chooser.ids.chooser.files]
    assert "pick.csv" in names and "notes.pdf" not in names
    chooser.ids.chooser.selection = [str(path)]
    tap(chooser.ids.ok)
    assert page.ids.import_path.text == str(path)
    finished(page)  # choosing a file previews it
    assert page.preview is not None and page.preview.counts["changed"] == 1
    assert page.preview.fields == {"colour": 1}


def test_xlsx_export_of_chosen_fields_with_a_template_then_import(app, window, tmp_path):
    from python_calamine import CalamineWorkbook

    from pos.catalog import exporting, templates

    page = open_page(app, window)
    touch(page, page.option_buttons["format"]["xlsx"])
    assert page.option_buttons["separator"][";"].disabled  # CSV options do not apply to a workbook
    page.ids.export_fields.text = "reference,name,price"
    page.ids.export_where.text = "department=Boulangerie; active=1"
    page.ids.template_name.text = "Pain"
    touch(page, page.ids.template_save)
    frames(2)
    assert [t.name for t in templates.templates("articles")] == ["Pain"], app.toast_text

    # another day: the form is empty, the template fills it
    page.ids.export_fields.text = page.ids.export_where.text = ""
    touch(page, page.option_buttons["format"]["csv"])
    use = find_button(page.ids.templates, "Use Pain")
    touch(page, use)
    assert page.options["format"] == "xlsx" and page.ids.export_fields.text == "reference,name,price"
    out = tmp_path / "pain.xlsx"
    page.ids.export_path.text = str(out)
    touch(page, page.ids.export_button)
    finished(page)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("articles").to_python()
    assert rows[0] == ["reference", "name", "price"] and len(rows) > 2
    assert f"{len(rows) - 1} rows" in page.ids.export_history.text
    assert exporting.export_log("articles")[0]["fields"] == ["reference", "name", "price"]

    # a filter the page cannot read is a toast, and nothing is written
    page.ids.export_where.text = "stock_below=beaucoup"
    touch(page, page.ids.export_button)
    frames(2)
    assert "filter stock_below" in app.toast_text and not page.busy

    # the workbook imports with the same preview as a CSV file
    page.ids.import_path.text = str(out)
    touch(page, page.ids.preview_button)
    finished(page)
    assert page.preview is not None and page.preview.format == "xlsx"
    assert page.preview.counts["same"] == len(rows) - 1, page.status

    touch(page, find_button(page.ids.templates, "Delete"))
    frames(2)
    assert templates.templates("articles") == []
