"""Credit notes and backups on the touch screens, driven for real offscreen: a note spent at payment
(typed in the popup, or scanned), the Credit notes page (list, moves, cancel), the Backups page
(folder, back up now, restore one)."""

from __future__ import annotations

import pytest
from helpers.ui_helpers import find_button, frames, keypad_type, popup, tap, wait_for
from test_catalog_ui import open_page
from test_ui import login, make_app, window  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def note_of(cents: int) -> str:
    """A credit note of ``cents`` (a Misc. sale refunded by credit note, through the till's core)."""
    from pos.data import shop, users
    from pos.sale.till import Till

    till = Till()
    till.login(users.find_user("Claire").id, "9999", log=False)
    till.add_misc(cents, next(d.id for d in shop.departments() if d.vat_bp == 2000))
    till.add_payment("card")
    sale = till.validate()
    till.start_refund(sale.number)
    till.add_payment("voucher")
    return till.validate().vouchers[0]["code"]


def test_a_note_typed_or_scanned_at_payment(make_app, window):  # noqa: F811
    from pos.data import vouchers

    code = note_of(500)
    app = make_app()
    sale = login(app)
    app.till.scan("D010001")
    app.till.set_pending_qty(9000)
    app.till.scan("D010001")  # 10 x 1.20 = 12.00
    sale.refresh()
    tap(sale.ids.pay)
    pay = app.screen("payment")
    keypad_type(pay.ids.keypad, "2")  # 2 € of the note
    tap(pay.method_buttons["voucher"])
    ask = popup(window, "TextPopup")
    ask.ids.field.text = code
    tap(ask.ids.ok)
    assert pay.remaining_text == "€10.00", app.toast_text
    assert pay.ids.payments.data[0]["method"] == f"Avoir / bon d'achat {code}"
    pay.scan(code)  # the rest of the note, scanned: 3 €
    assert pay.remaining_text == "€7.00", app.toast_text
    pay.scan(code)
    assert "already used for this basket" in app.toast_text
    tap(pay.method_buttons["card"])
    tap(pay.ids.validate)
    assert wait_for(lambda: app.sm.current == "sale")
    note = vouchers.get(vouchers.parse_code(code))
    assert (note.balance, note.status) == (0, "used")


def test_the_credit_notes_page_lists_shows_and_cancels(make_app, window):  # noqa: F811
    from pos.data import vouchers

    code = note_of(700)
    note_of(300)
    app = make_app()
    config, page = open_page(app, "vouchers")
    assert [row["code"] for row in page.ids.list.data] == ["AV00000002", code]
    assert page.summary == "2 notes outstanding: €10.00"
    assert not page.has_more
    from pos.screens import vouchers as vouchers_page

    vouchers_page.PAGE = 1  # one note a page: More reads the next one
    try:
        page.load()
        assert [row["code"] for row in page.ids.list.data] == ["AV00000002"] and page.has_more
        tap(page.ids.more)
        assert [row["code"] for row in page.ids.list.data] == ["AV00000002", code]
    finally:
        vouchers_page.PAGE = 100
    page.ids.search.text = "1"
    page.load()
    assert [row["code"] for row in page.ids.list.data] == [code]
    page.select(0)
    assert "ticket 2" in page.detail and page.can_cancel
    tap(page.ids.cancel)
    ask = popup(window, "TextPopup")
    ask.ids.field.text = "torn up by the customer"
    tap(ask.ids.ok)
    frames(2)
    assert vouchers.get(1).status == "cancelled", app.toast_text
    assert page.ids.list.data[0]["state"] == "cancelled"
    # a gift-voucher article: refused at 5.5 % VAT
    tap(page.ids.gift)
    ask = popup(window, "TextPopup")
    ask.ids.field.text = "D010001"
    tap(ask.ids.ok)
    assert "0 % VAT" in app.toast_text
    from pos.data import catalog

    assert not vouchers.is_gift_article(catalog.find_article_by_code("D010001").id)


def test_the_backups_page_backs_up_and_restores(make_app, window, tmp_path):  # noqa: F811
    from helpers.demo_db import sell_one

    from pos.data import journal
    from pos.data.tickets import last_ticket_number

    sell_one()
    app = make_app()
    config, page = open_page(app, "backups")
    assert "No backup folder" in page.status and page.warning
    stick = tmp_path / "stick"
    stick.mkdir()
    page.ids.folder.text = str(stick)
    page.save_folder()
    assert page.status == "No good backup yet"
    tap(page.ids.now)
    assert wait_for(lambda: len(page.ids.list.data) == 1, timeout=30), app.toast_text
    assert page.ids.list.data[0]["state"] == "good" and not page.warning
    sell_one()
    assert last_ticket_number() == 2
    page.select(0)
    frames(3)
    # (the toast "Backup made" lies over the popup and takes a touch: the button is pressed directly)
    find_button(popup(window, "ChoicePopup").ids.choices, "Yes, restore it").dispatch("on_release")
    assert wait_for(lambda: app.sm.current == "login"), app.toast_text
    assert last_ticket_number() == 1 and journal.restores()[0]["next_ticket"] == 3
    assert journal.verify().ok
    assert sell_one() == 3  # ticket 2 was given before the restore: never again


def test_a_return_without_a_ticket_from_the_sale_screen(make_app, window):  # noqa: F811
    from kivy.core.window import Window

    from pos.data import tickets

    app = make_app()
    sale = login(app)  # Marie, a cashier
    sale.menu_key()  # an empty basket: nothing to take back (training mode is offered instead)
    with pytest.raises(LookupError):
        find_button(popup(Window, "ChoicePopup"), "Return without a ticket")
    popup(Window, "ChoicePopup").dismiss(animation=False)
    app.till.set_pending_qty(2000)
    app.till.scan("D010001")
    sale.refresh()
    sale.menu_key()
    tap(find_button(popup(Window, "ChoicePopup"), "Return without a ticket"))
    ask = popup(window, "TextPopup")
    ask.ids.field.text = "no receipt, bought yesterday"
    tap(ask.ids.ok)
    assert "manager" in app.toast_text.lower()
    pin = popup(window, "PinPopup")
    keypad_type(pin.ids.pad, "9999")
    tap(pin.ids.ok)
    assert wait_for(lambda: app.sm.current == "payment"), app.toast_text
    pay = app.screen("payment")
    assert pay.title_text == "TO REFUND" and pay.due_text == "€2.40"
    tap(pay.method_buttons["voucher"])  # given back as a credit note
    tap(pay.ids.validate)
    assert wait_for(lambda: app.sm.current == "sale")
    ticket = tickets.get_ticket(tickets.last_ticket_number())
    assert (ticket.kind, ticket.refund_of, ticket.total) == ("refund", None, -240)
    assert ticket.return_reason == "no receipt, bought yesterday"
    assert [(n["code"], n["amount"]) for n in ticket.vouchers] == [("AV00000001", 240)]


def test_a_z_on_the_closure_screen_is_followed_by_a_backup(make_app, window, tmp_path, monkeypatch):  # noqa: F811
    from helpers.demo_db import sell_one

    from pos.core import settings
    from pos.data import backups as backups_db
    from pos.fiscal import closures

    monkeypatch.setenv("POS_REPORTS_DIR", str(tmp_path / "pdf"))
    stick = tmp_path / "stick"
    stick.mkdir()
    settings.set_value("backup.folder", str(stick))
    sell_one()
    app = make_app()
    login(app, "Claire", "9999")
    screen = app.show("closure")
    frames(2)
    tap(screen.ids.close_day)
    tap(find_button(popup(window, "ChoicePopup").ids.choices, "Yes"))
    assert len(closures.closures("day")) == 1
    assert wait_for(lambda: list(stick.glob("pos-*-z.sqlite3")), timeout=30), app.toast_text
    [made] = stick.glob("pos-*-z.sqlite3")
    facts = backups_db.facts(made)
    assert facts.integrity == "ok" and facts.last_ticket == 1
    assert wait_for(lambda: "Backup made" in app.toast_text, timeout=10), app.toast_text


def test_the_till_warns_of_a_missing_backup_folder_and_takes_the_daily_backup(make_app, window, tmp_path):  # noqa: F811
    from pos.core import settings

    app = make_app()
    login(app)
    watch = app._backup_watch
    watch.check()  # no folder set: nothing to say on the sale screen (the Backups page says it)
    assert wait_for(lambda: not watch.job.running)
    frames(2)
    assert "backup" not in app.toast_text.lower()
    settings.set_value("backup.folder", str(tmp_path / "stick"))
    watch.check()
    assert wait_for(lambda: "The backup folder" in app.toast_text and "is missing" in app.toast_text), \
        app.toast_text
    (tmp_path / "stick").mkdir()
    watch.warned_at = -1e9
    watch.check()  # the stick is back: the daily backup is taken, no warning
    assert wait_for(lambda: list((tmp_path / "stick").glob("pos-*-daily.sqlite3")), timeout=30)
    assert wait_for(lambda: not watch.job.running)


def test_the_backups_page_asks_before_restoring_another_tills_backup(make_app, window, tmp_path):  # noqa: F811
    from helpers.cli import pos

    from pos.core import settings
    from pos.data import journal

    stick = tmp_path / "stick"
    stick.mkdir()
    other = tmp_path / "other.sqlite3"
    assert pos(other, "demo").returncode == 0  # another till: its own journal
    assert pos(other, "backup", "--to", str(stick)).returncode == 0
    settings.set_value("backup.folder", str(stick))
    app = make_app()
    config, page = open_page(app, "backups")
    assert len(page.ids.list.data) == 1
    page.select(0)
    frames(2)
    find_button(popup(window, "ChoicePopup").ids.choices, "Yes, restore it").dispatch("on_release")
    frames(2)
    ask = popup(window, "ChoicePopup")
    assert "another till" in ask.title
    assert journal.restores() == []  # nothing replaced yet
    find_button(ask.ids.choices, "Yes, restore it anyway").dispatch("on_release")
    assert wait_for(lambda: app.sm.current == "login"), app.toast_text
    assert journal.restores()[0]["forced"] is True
    assert journal.verify().ok
