"""The cashier's screens, driven for real offscreen with simulated touches."""

from __future__ import annotations

import pytest
from helpers.ui_helpers import find_button, frames, keypad_type, popup, tap, wait_for


@pytest.fixture(scope="session")
def window():
    from kivy.core.window import Window

    import pos.screens.app  # noqa: F401  (sets the 1024×768 size before the window exists)

    frames(2)
    assert Window is not None
    yield Window


@pytest.fixture
def make_app(window, shop):
    """Build the real app on the demo shop's database (no App.run: the test drives the loop)."""
    from pos.core import settings
    from pos.hardware import VirtualDrawer, VirtualPrinter
    from pos.sale.till import Till
    from pos.screens.app import PosApp

    apps = []
    settings.set_value("ui.language", "en")  # the assertions below read English; French has its own test

    def make():
        app = PosApp(till=Till(printer=VirtualPrinter(), drawer=VirtualDrawer()))
        root = app.build()
        app.root = root
        window.add_widget(root)
        frames(3)
        apps.append((app, root))
        return app

    yield make
    for app, root in apps:
        app.on_stop()
        window.remove_widget(root)
        from kivy.uix.modalview import ModalView

        for child in list(window.children):
            if isinstance(child, ModalView):
                child.dismiss(animation=False)
    frames(2)


def login(app, name="Marie", pin="1234"):
    screen = app.screen("login")
    assert app.sm.current == "login"
    tap(screen.user_buttons[name])
    keypad_type(screen.ids.pad, pin)
    assert screen.dots == "●" * len(pin)
    tap(screen.ids.enter)
    assert app.sm.current == "sale", app.toast_text
    return app.screen("sale")


def basket_names(sale):
    return [row["name"] for row in sale.ids.basket.data]


def test_sale_by_buttons_search_and_barcode_paid_by_card_and_cash(make_app, window):
    from pos.data import tickets
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)

    # by button: the Boulangerie tab, then "Croissant"
    tap(sale.tab_buttons["Boulangerie"])
    croissant = next(b for b in sale.article_buttons if b.article and b.article.name == "Croissant")
    tap(croissant)
    tap(croissant)
    assert sale.ids.basket.data[-1]["qty"] == "2 ×"

    # by search: type, wait for the debounced RecycleView results, touch a result
    sale.ids.search.text = "comte"
    assert wait_for(lambda: sale.ids.results.data), "no search result"
    assert sale.ids.results.data[0]["name"] == "Comté 18 mois 250 g"
    frames(2)
    row = next(v for v in sale.ids.results.children[0].children if v.name == "Comté 18 mois 250 g")
    tap(row)
    assert basket_names(sale)[-1] == "Comté 18 mois 250 g"

    # by barcode, typed on the keyboard then Enter
    sale.ids.search.text = demo_ean(1)  # Baguette tradition
    sale.ids.search.dispatch("on_text_validate")
    frames(2)
    assert basket_names(sale) == ["Croissant", "Comté 18 mois 250 g", "Baguette tradition"]
    # 2 × 1,20 + 5,90 + 1,20 = 9,50 €
    assert sale.ids.total.text == "€9.50"

    tap(sale.ids.pay)
    assert app.sm.current == "payment"
    pay = app.screen("payment")
    assert pay.ids.validate.disabled
    keypad_type(pay.ids.keypad, "5")
    tap(pay.method_buttons["card"])
    assert pay.remaining_text == "€4.50"
    # the card cannot be over-tendered
    keypad_type(pay.ids.keypad, "20")
    tap(pay.method_buttons["card"])
    assert "cannot exceed" in app.toast_text, (pay.buffer_text, app.till.basket.payments)
    keypad_type(pay.ids.keypad, "C")
    tap(find_button(pay.ids.quick, "20"))
    assert pay.remaining_text == "€0.00"
    assert pay.change_text == "€15.50"
    assert not pay.ids.validate.disabled
    tap(pay.ids.validate)

    assert app.sm.current == "sale"
    assert sale.ids.basket.data == []
    assert sale.last_shown and sale.last_amount == "€15.50"  # the change stays visible until the next scan
    banner = sale.receipt_banner
    assert banner is not None and "print the receipt" in banner.text
    tap(banner.ids.yes)
    assert wait_for(lambda: app.till.printer.printed)
    assert any("TOTAL" in line and "9.50" in line for line in app.till.printer.printed[0])
    assert app.till.drawer.opened == 1  # cash was taken

    ticket = tickets.get_ticket(tickets.last_ticket_number())
    assert ticket.total == 950 and ticket.change == 1550 and ticket.user_name == "Marie"
    assert [(p["method_code"], p["amount"]) for p in ticket.payments] == [("card", 500), ("cash", 2000)]
    assert [(ln["name"], ln["qty"], ln["total"]) for ln in ticket.lines] == [
        ("Croissant", 2000, 240), ("Comté 18 mois 250 g", 1000, 590), ("Baguette tradition", 1000, 120)]
    assert sum(v["total"] for v in ticket.vat) == 950


def test_unknown_barcode_shows_an_error_and_keeps_the_basket(make_app):
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    sale.scan(demo_ean(2))
    sale.ids.search.text = "3760123999991"  # a valid EAN-13 that is no article
    sale.ids.search.dispatch("on_text_validate")
    frames(1)
    assert "Unknown code: 3760123999991" in app.toast_text
    sale.ids.search.text = "3760123999999"  # a misread: the check digit is wrong
    sale.ids.search.dispatch("on_text_validate")
    frames(1)
    assert "Bad check digit in 3760123999999" in app.toast_text
    assert basket_names(sale) == ["Baguette"]


@pytest.mark.slow
def test_quantity_keypad_weighed_article_and_line_edit(make_app, window):
    app = make_app()
    sale = login(app)
    tap(sale.tab_buttons["Fruits et légumes"])
    avocado = next(b for b in sale.article_buttons if b.article and b.article.name == "Avocat")
    keypad_type(sale.ids.keypad, "3")
    tap(sale.ids.qty)
    assert "3 ×" in sale.info_text
    tap(avocado)
    assert sale.ids.basket.data[-1]["qty"] == "3 ×"
    assert sale.ids.prev_page.disabled  # first page
    tap(sale.ids.next_page)  # Tomates is on the second page
    assert sale.page_text == "2"
    tomatoes = next(b for b in sale.article_buttons if b.article and b.article.name == "Tomates")
    tap(tomatoes)  # a weighed article needs its weight first
    assert "weight" in app.toast_text
    keypad_type(sale.ids.keypad, "0,452")
    tap(tomatoes)  # 0,452 kg × 3,49 €/kg = 1,58 €
    assert sale.ids.basket.data[-1]["total"] == "€1.58"
    assert sale.ids.basket.data[-1]["qty"] == "0.452 kg"
    # select the line, give 10 % off
    frames(2)
    rows = sale.ids.basket.children[0].children
    tap(next(r for r in rows if r.name == "Avocat"))
    assert sale.selected == 0, (basket_names(sale), [(r.name, r.index) for r in rows])
    keypad_type(sale.ids.keypad, "10")
    tap(sale.ids.discount)
    assert app.till.basket.lines[0].discount_amount == 36  # 10 % of 3,57
    # a cashier cannot override a price without a manager's PIN
    keypad_type(sale.ids.keypad, "1")
    tap(sale.ids.price)
    pin = popup(window, "PinPopup")
    keypad_type(pin.ids.pad, "9999")
    tap(pin.ids.ok)
    assert app.till.basket.lines[0].unit_price == 100
    assert "price was" in sale.ids.basket.data[0]["detail"]
    # delete the line
    tap(sale.ids.delete)
    assert basket_names(sale) == ["Tomates"]


def test_park_recall_and_cancel(make_app, window):
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app, "Claire", "9999")
    sale.scan(demo_ean(3))
    tap(sale.ids.park)
    text_popup = popup(window, "TextPopup")
    text_popup.ids.field.text = "Mme Dupont"
    tap(text_popup.ids.ok)
    assert basket_names(sale) == []
    sale.scan(demo_ean(4))
    tap(sale.ids.park)
    tap(popup(window, "TextPopup").ids.ok)
    tap(sale.ids.recall)
    choice = popup(window, "ChoicePopup")
    tap(find_button(choice, "Mme Dupont"))
    assert basket_names(sale) == ["Croissant"]
    # a manager cancels (with a confirmation)
    tap(sale.ids.cancel)
    tap(find_button(popup(window, "ChoicePopup"), "Yes"))
    assert basket_names(sale) == []
    assert len(app.till.parked()) == 1


def test_basket_survives_a_restart(make_app):
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    sale.scan(demo_ean(5))
    sale.scan(demo_ean(5))
    app.on_stop()  # the window is closed (or the process is killed after the debounce)
    app2 = make_app()
    sale2 = login(app2)
    assert basket_names(sale2) == ["Pain de campagne"]
    assert sale2.ids.basket.data[0]["qty"] == "2 ×"


@pytest.mark.slow
def test_refund_from_history_needs_a_manager(make_app, window):
    from pos.data import tickets
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    sale.scan(demo_ean(6))
    sale.scan(demo_ean(7))
    app.till.add_payment("cash")
    ticket = app.till.validate()
    sale.refresh()

    tap(sale.ids.refund)
    history = app.screen("history")
    assert app.sm.current == "history"
    history.ids.query.text = str(ticket.number)
    history.ids.query.dispatch("on_text_validate")
    frames(1)
    assert f"Ticket {ticket.number}" in history.detail
    tap(history.ids.refund)
    refund_popup = popup(window, "RefundPopup")
    first = refund_popup.rows[ticket.lines[0]["id"]]
    assert first.qty == "1" and first.ids.plus.disabled  # all that is left, by default
    tap(first.ids.minus)  # keep only the second line
    assert first.qty == "0" and first.ids.minus.disabled
    tap(refund_popup.ids.ok)
    assert "manager" in app.toast_text.lower()
    pin = popup(window, "PinPopup")
    keypad_type(pin.ids.pad, "9999")
    tap(pin.ids.ok)
    assert app.sm.current == "payment"
    pay = app.screen("payment")
    assert pay.title_text == "TO REFUND"
    tap(pay.method_buttons["cash"])
    assert pay.can_validate, (app.toast_text, app.till.basket.payments, app.till.basket.lines)
    tap(pay.ids.validate)
    refund = tickets.get_ticket(tickets.last_ticket_number())
    assert refund.kind == "refund" and refund.refund_of == ticket.number
    assert refund.total == -ticket.lines[1]["total"]
    assert [ln["name"] for ln in refund.lines] == [ticket.lines[1]["name"]]


def test_config_pages_validate_and_save(make_app):
    from pos.core import settings

    app = make_app()
    sale = login(app, "Claire", "9999")
    sale.menu_key()
    from kivy.core.window import Window

    tap(find_button(popup(Window, "ChoicePopup"), "Configuration"))
    assert app.sm.current == "config"
    config = app.screen("config")
    config.fields["shop.siret"].text = "12345678901234"
    frames(1)
    assert "SIRET" in config.shop_error.text
    tap(config.save_button)
    assert settings.get("shop.siret") == "81234567600017"  # nothing saved
    config.fields["shop.siret"].text = "81234567600017"
    config.fields["shop.name"].text = "Chez Claire"
    tap(config.save_button)
    assert settings.get("shop.name") == "Chez Claire"
    assert config.ids.bar.shop == "Chez Claire"
    # payment methods: deactivate the cheque
    tap(config.section_buttons["methods"])
    assert any(m.code == "cheque" for m in app.till.payment_methods())
    assert config.method_drawer_toggles["cheque"].state == "down"  # cheques go into the drawer
    tap(config.method_drawer_toggles["cheque"])
    assert next(m for m in app.till.payment_methods() if m.code == "cheque").opens_drawer is False
    tap(config.method_toggles["cheque"])
    assert not any(m.code == "cheque" for m in app.till.payment_methods())
    assert config.method_toggles["cheque"].state == "normal"  # the page was rebuilt from the database
    app.show("sale")
    app.till.scan("D010003")
    pay = app.show("payment")
    assert "cheque" not in pay.method_buttons and "card" in pay.method_buttons


def test_cashier_cannot_open_config_without_a_manager(make_app, window):
    app = make_app()
    sale = login(app)
    sale.menu_key()
    tap(find_button(popup(window, "ChoicePopup"), "Configuration"))
    assert app.sm.current == "sale"
    pin = popup(window, "PinPopup")
    keypad_type(pin.ids.pad, "1234")  # her own PIN is not a manager's
    tap(pin.ids.ok)
    assert app.sm.current == "sale"
    assert "not a manager" in app.toast_text


def test_wrong_pin_is_refused(make_app):
    app = make_app()
    screen = app.screen("login")
    tap(screen.user_buttons["Marie"])
    keypad_type(screen.ids.pad, "0000")
    tap(screen.ids.enter)
    assert app.sm.current == "login"
    assert app.toast_text == "Wrong PIN"


def test_french_is_the_default_for_a_french_system(make_app):
    from pos.core import settings

    settings.set_value("ui.language", "auto")  # conftest sets LANG=fr_FR.UTF-8
    app = make_app()
    sale = login(app)
    assert sale.ids.pay.text == "PAYER"
    assert sale.tab_buttons.get("Favoris") is not None
    sale.scan("0000000000000")
    assert app.toast_text == "Code inconnu : 0000000000000"


def test_customer_on_the_ticket(make_app, window):
    from pos.data import customers
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    sale.scan(demo_ean(1))
    sale.customer_key()
    ask = popup(window, "TextPopup")
    ask.ids.field.text = "Dupont"
    tap(ask.ids.ok)
    tap(find_button(popup(window, "ChoicePopup"), "New customer: Dupont"))
    assert "Customer: Dupont" in sale.info_text
    app.till.add_payment("card")
    ticket = app.till.validate()
    assert customers.get_customer(ticket.customer_id)["name"] == "Dupont"


def test_a_database_error_is_shown_and_the_basket_kept(make_app, shop, tmp_path):
    """Another process holds the write lock: validating fails with a message, nothing is lost."""
    import sqlite3

    from pos.data import common, tickets
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    sale.scan(demo_ean(1))
    sale.scan(demo_ean(2))
    app.till.add_payment("card")
    common.database.execute_sql("PRAGMA busy_timeout = 50")
    path = common.database.database
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        before = tickets.last_ticket_number()
        tap(sale.ids.pay)
        pay = app.screen("payment")
        tap(pay.ids.validate)
        assert "Database error" in app.toast_text and "basket is kept" in app.toast_text
        assert app.sm.current == "payment"
        assert [ln.name for ln in app.till.basket.lines] == ["Baguette tradition", "Baguette"]
        assert tickets.last_ticket_number() == before
    finally:
        other.rollback()
        other.close()
    tap(pay.ids.validate)  # the lock is gone: the same basket now goes through
    assert tickets.last_ticket_number() == before + 1


@pytest.mark.slow
def test_search_survives_garbage_collection(make_app):
    """The result list is removed from the tree while the buttons show: it must not be collected."""
    import gc

    app = make_app()
    sale = login(app)
    gc.collect()
    sale.ids.search.text = "baguette"
    assert wait_for(lambda: sale.ids.results.data)
    sale.clear_search()
    gc.collect()
    sale.ids.search.text = "croissant"
    assert wait_for(lambda: sale.search_results and sale.search_results[0].name == "Croissant")
    sale.clear_search()
    assert sale.article_buttons[0].parent is not None


def test_first_start_offers_the_demo_shop_or_a_new_shop(window, db):
    """An empty database: the setup screen creates the shop and its manager, who can log in."""
    from pos.core import settings
    from pos.data import users as users_db
    from pos.screens.app import PosApp

    settings.set_value("ui.language", "en")
    app = PosApp()
    root = app.build()
    window.add_widget(root)
    try:
        frames(3)
        assert app.sm.current == "setup"
        setup = app.screen("setup")
        setup.ids.shop.text = "Fleurs de Lise"
        setup.ids.manager.text = "Lise"
        setup.ids.pin.text = "12"
        tap(setup.ids.create)
        assert "4 to 8 digits" in app.toast_text and users_db.is_empty_shop()
        setup.ids.pin.text = "2468"
        tap(setup.ids.create)
        assert app.sm.current == "login"
        assert settings.get("shop.name") == "Fleurs de Lise"
        login(app, "Lise", "2468")
    finally:
        app.on_stop()
        window.remove_widget(root)


def test_demo_shop_from_the_setup_screen(window, db):
    from pos.core import settings
    from pos.data import catalog
    from pos.screens.app import PosApp

    settings.set_value("ui.language", "en")
    app = PosApp()
    root = app.build()
    window.add_widget(root)
    try:
        frames(3)
        tap(app.screen("setup").ids.demo)
        assert app.sm.current == "login"
        assert catalog.count_articles() > 150
        assert set(app.screen("login").user_buttons) == {"Claire", "Marie"}
    finally:
        app.on_stop()
        window.remove_widget(root)


def test_manager_changes_a_cashier_pin(make_app, window):
    app = make_app()
    sale = login(app, "Claire", "9999")
    app.show("config", section="users")
    config = app.screen("config")
    tap(config.pin_buttons["Marie"])
    pin = popup(window, "PinPopup")
    keypad_type(pin.ids.pad, "4321")
    tap(pin.ids.ok)
    assert "PIN changed" in app.toast_text
    sale.menu_key()
    tap(find_button(popup(window, "ChoicePopup"), "Log out"))
    login(app, "Marie", "4321")


def type_on_keyboard(window, text: str) -> None:
    """What a keyboard-wedge scanner sends: one key event per character, then Enter."""
    for ch in text:
        window.dispatch("on_key_down", ord(ch), 0, ch, [])
        window.dispatch("on_textinput", ch)
        window.dispatch("on_key_up", ord(ch), 0)
    window.dispatch("on_key_down", 13, 0, None, [])
    window.dispatch("on_key_up", 13, 0)
    frames(1)


def test_keyboard_wedge_scans_reach_the_basket_whatever_has_focus(make_app, window):
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    type_on_keyboard(window, demo_ean(1))
    type_on_keyboard(window, demo_ean(1))
    tap(sale.tab_buttons["Boulangerie"])  # a touch elsewhere does not stop the next scans
    type_on_keyboard(window, demo_ean(3))
    assert basket_names(sale) == ["Baguette tradition", "Croissant"]
    assert sale.ids.basket.data[0]["qty"] == "2 ×"
    # typing in the search field: the field gets the keys, Enter scans it and keeps the focus
    sale.ids.search.focus = True
    sale.ids.search.text = demo_ean(2)
    sale.ids.search.dispatch("on_text_validate")
    frames(1)
    assert basket_names(sale)[-1] == "Baguette" and sale.ids.search.focus
    sale.ids.search.focus = False
    type_on_keyboard(window, "9999999999994")
    assert "Unknown code" in app.toast_text
    assert len(basket_names(sale)) == 3


def test_a_refused_quantity_is_visible_and_forgotten(make_app):
    app = make_app()
    sale = login(app)
    keypad_type(sale.ids.keypad, "0,5")
    tap(sale.ids.qty)
    assert "0.5" in sale.info_text  # "next article: 0.5 ×" is on screen
    tap(sale.tab_buttons["Boulangerie"])
    croissant = next(b for b in sale.article_buttons if b.article and b.article.name == "Croissant")
    tap(croissant)
    assert "whole quantities" in app.toast_text
    assert "next article" not in sale.info_text and app.till.pending_qty is None
    tap(croissant)
    assert basket_names(sale) == ["Croissant"]


def test_payments_taken_survive_a_restart(make_app):
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    sale.scan(demo_ean(1))
    tap(sale.ids.pay)
    pay = app.screen("payment")
    keypad_type(pay.ids.keypad, "1")
    tap(pay.method_buttons["card"])  # the card terminal has taken 1 €
    app2 = make_app()  # the till restarts (the first app never saved on close)
    login(app2)
    assert [(p.method, p.amount) for p in app2.till.basket.payments] == [("card", 100)]


def test_barcode_rules_page_tests_a_scale_barcode(make_app, window):
    from pos.sale.barcode import make_ean13

    app = make_app()
    login(app, "Claire", "9999")
    config = app.show("config", section="barcodes")
    # a scale label: rule 23 (weight), article digits 40064, 0.452 kg; "2340064" is no article
    code = make_ean13("23" + "40064" + "00452")  # weight rule 23: article 40064, 0.452 kg
    config.barcode_test.text = code
    config.barcode_test.dispatch("on_text_validate")
    assert "weight 0.452 kg" in config.barcode_result.text
    config.barcode_test.text = code[:-1] + str((int(code[-1]) + 1) % 10)
    config.barcode_test.dispatch("on_text_validate")
    assert "Bad check digit" in config.barcode_result.text
    # a new rule, added by touch
    config.new_prefix.text = "29"
    tap(config.new_kind)
    assert config.new_kind.text == "weight"
    tap(find_button(config.ids.form, "Add"))
    assert "29" in config.rule_toggles


def test_a_scale_label_adds_the_weighed_article(make_app, window):
    """A scale printed "23 AAAAA WWWWW C": the article and its weight in one scan."""
    from pos.data import catalog
    from pos.demo import scale_ean

    app = make_app()
    sale = login(app)
    tomatoes = catalog.search_articles("tomates")[0]
    n = int(tomatoes.reference[3:])
    type_on_keyboard(window, scale_ean(n, 452))
    assert basket_names(sale) == ["Tomates"]
    assert sale.ids.basket.data[0]["qty"] == "0.452 kg" and sale.ids.basket.data[0]["total"] == "€1.58"


def test_scanning_a_receipt_opens_its_ticket_for_a_refund(make_app, window):
    from pos.demo import demo_ean
    from pos.sale.scancodes import ticket_barcode

    app = make_app()
    sale = login(app, "Claire", "9999")
    sale.scan(demo_ean(4))
    app.till.add_payment("card")
    ticket = app.till.validate()
    sale.refresh()
    type_on_keyboard(window, ticket_barcode(ticket.number))  # the barcode printed on the receipt
    assert app.sm.current == "history"
    history = app.screen("history")
    assert history.refund_mode and f"Ticket {ticket.number}" in history.detail
    type_on_keyboard(window, ticket_barcode(99))
    assert "does not exist" in app.toast_text


def test_a_us_scanner_on_an_azerty_system_still_scans(make_app, window):
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    azerty = demo_ean(1).translate(str.maketrans("1234567890", "&é\"'(-è_çà"))
    type_on_keyboard(window, azerty)
    assert basket_names(sale) == ["Baguette tradition"]


def test_a_serial_scan_waits_for_an_open_popup(make_app, window):
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    sale.menu_key()  # a popup is open
    app.scanned(demo_ean(1))
    assert basket_names(sale) == [] and "window is open" in app.toast_text
    popup(window, "ChoicePopup").dismiss(animation=False)
    frames(1)
    app.scanned(demo_ean(1))
    assert basket_names(sale) == ["Baguette tradition"]
