"""The PrestaShop config page and the closure's sync button, driven offscreen with simulated touches,
against the PrestaShop emulator on 127.0.0.1."""

from __future__ import annotations

import pytest
from helpers.prestashop.emulator import PrestaShopEmulator
from helpers.ui_helpers import find_button, frames, popup, tap, wait_for
from test_transfer_ui import app, window  # noqa: F401  (the fixtures: the real app, logged in as Claire)


@pytest.fixture
def ps():
    with PrestaShopEmulator() as emulator:
        yield emulator


def open_page(app, window):  # noqa: F811
    from pos.screens.sync import SyncPage

    app.screen("sale").menu_key()
    tap(find_button(popup(window, "ChoicePopup"), "Configuration"))
    config = app.screen("config")
    config.ids.sections_scroll.scroll_to(config.section_buttons["sync"], animate=False)
    frames(2)
    tap(config.section_buttons["sync"])
    page = config.page_widget
    assert isinstance(page, SyncPage)
    frames(2)
    return page


def touch(page, widget):
    if page.ids.scroll in list(widget.walk_reverse()):
        page.ids.scroll.scroll_to(widget, padding=10, animate=False)
        frames(2)
    tap(widget)


def finished(page, timeout=30.0):
    assert wait_for(lambda: not page.runner.busy, timeout), page.status
    frames(3)


@pytest.mark.slow
def test_configure_test_preview_apply_and_log(app, window, ps):  # noqa: F811
    from pos.core import settings
    from pos.data import catalog
    from pos.data import sync as sync_data

    page = open_page(app, window)
    assert page.tab == "settings"
    key = page.fields["prestashop.key"]
    assert key.password and key.text == ""
    page.fields["prestashop.url"].text = "not a url at all ::"
    page.fields["prestashop.key"].text = "short"
    touch(page, page.save_button)
    assert page.settings_error.text and settings.get("prestashop.url") == ""  # nothing saved on error
    page.fields["prestashop.url"].text = ps.base
    page.fields["prestashop.key"].text = ps.key
    touch(page, page.save_button)
    assert settings.secret("prestashop.key") == ps.key, page.settings_error.text
    assert page.fields["prestashop.key"].text == settings.SECRET_SHOWN
    assert settings.get("prestashop.url").startswith("http://127.0.0.1")
    # saving again with ******** keeps the key
    page.fields["prestashop.shipping_article"].text = "FRAIS"
    touch(page, page.save_button)
    assert settings.secret("prestashop.key") == ps.key and settings.get("prestashop.shipping_article") == "FRAIS"

    touch(page, page.test_button)
    finished(page)
    text = page.connection_text.text
    assert "PrestaShop 8.2.1" in text and "✗" not in text, text
    assert "✓ products: ok" in text and "✓ stock_availables: ok" in text
    assert "Languages:" in text and "EUR" in text
    from pos.data import events

    tested = events.events("sync_test")[-1]  # journaled by the core with who tested
    assert tested["user_name"] and tested["data"] == {"version": "8.2.1", "ok": True}

    tap(page.tab_buttons["articles"])
    touch(page, page.preview_button)
    finished(page)
    assert page.group_buttons["new"].text.endswith(": 26"), page.status
    tap(page.group_buttons["new"])
    group = popup(window, "GroupPopup")
    frames(2)
    assert len(group.ids.list.data) == 26
    group.dismiss(animation=False)
    frames(2)
    assert catalog.find_article_by_code("demo_3") is None  # a preview changes nothing
    touch(page, page.apply_button)
    finished(page)
    assert "26 added" in page.status
    assert catalog.find_article_by_code("demo_3").name == "Hummingbird printed sweater"

    tap(page.tab_buttons["log"])
    frames(2)
    rows = page.ids.log.data
    assert rows and rows[0]["title"].startswith("articles") and "added: 26" in rows[0]["detail"]
    assert sync_data.runs(1)[0]["status"] == "done"

    # the end-of-day run, from its tab; the till stays usable (the work is on a thread)
    tap(page.tab_buttons["endofday"])
    frames(2)
    touch(page, page.run_button)
    assert page.runner.busy
    app.till.scan("demo_3")  # selling while it runs
    app.till.add_payment("card")
    app.till.validate()
    finished(page)
    assert page.runner.last_run["status"] == "done", page.runner.last_run
    assert "done" in page.step_labels["articles"].text
    tap(page.tab_buttons["log"])
    frames(2)
    titles = [r["title"] for r in page.ids.log.data]
    assert any(t.startswith("all · done") for t in titles), titles


@pytest.mark.slow
def test_cancel_and_the_closure_button(app, window, ps):  # noqa: F811
    from pos.core import settings
    from pos.data import sync as sync_data

    settings.set_many({"prestashop.url": ps.base, "prestashop.key": ps.key})
    ps.inject("latency", count=None, seconds=0.2)
    page = open_page(app, window)
    tap(page.tab_buttons["articles"])
    touch(page, page.preview_button)
    assert wait_for(lambda: page.cancellable, 2)
    tap(page.ids.cancel)
    finished(page)
    assert page.runner.preview is None and "Cancel" in page.status
    ps.clear_faults()

    # after a Z, the closure screen offers the sync; it opens the page and runs it in the background
    app.till.scan("D010003")  # a day with a sale
    app.till.add_payment("cash")
    app.till.validate()
    app.show("closure")
    closure = app.screen("closure")
    assert closure.sync_offered is False
    closure.run_closure("day")
    frames(2)
    assert closure.sync_offered, app.toast_text
    tap(closure.ids.sync)
    assert app.sm.current == "config"
    page = app.screen("config").page_widget
    assert page.tab == "endofday"
    app.show("sale")  # back to selling meanwhile
    assert wait_for(lambda: not page.runner.busy, 30)
    run = next(r for r in sync_data.runs(20) if r["kind"] == "all")
    assert run["status"] == "done" and run["counts"]["articles.added"] == 26
