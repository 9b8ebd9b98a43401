"""The article page's "On the web shop" switch: flags the article for ``pos sync push``, journaled."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "screens"))

from helpers.ui_helpers import tap  # noqa: E402
from test_catalog_ui import open_page, press, row_view, search  # noqa: E402
from test_ui import make_app, window  # noqa: E402,F401  (fixtures)


def test_the_web_switch_publishes_the_article(make_app, window):  # noqa: F811
    from pos.data import catalog, events
    from pos.data.sync_push import web_flag

    app = make_app()
    _config, page = open_page(app, "articles")
    search(page, "croiss", lambda items: [a.name for a in items] == ["Croissant"])
    croissant = page.items[0]
    tap(row_view(page, name="Croissant"))
    assert page.form_open and page.flags["web"].state == "normal"
    page.flags["web"].state = "down"
    press(page, page.save_button)
    assert not page.form_open and web_flag(croissant.id)
    event = events.events("article_web")[-1]
    assert event["user_name"] == "Claire" and event["data"]["web"] is True
    assert catalog.article_detail(croissant.id).name == "Croissant"
    tap(row_view(page, name="Croissant"))  # shown switched on; switched off again
    assert page.flags["web"].state == "down"
    page.flags["web"].state = "normal"
    press(page, page.save_button)
    assert not web_flag(croissant.id)
