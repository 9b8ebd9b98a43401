"""The config pages call the core's actions: a cashier is refused there too (the manager-PIN pad
opens and nothing changes), a manager is accepted, and a manager's PIN given to enter the
configuration covers the visit.  Offscreen, with simulated touches."""

from __future__ import annotations

import pytest
from helpers.ui_helpers import find_button, frames, keypad_type, popup, tap, wait_for
from test_ui import login, make_app, window  # noqa: F401  (fixtures)

from pos.data import events, journal


def fill_vat(config):
    config.new_rate.text = "8,5"
    return find_button(config.form, "Add"), "vat_rate_added"


def fill_method(config):
    config.new_code.text, config.new_name.text = "meal_voucher", "Titre-restaurant"
    return find_button(config.form, "Add"), "payment_method_added"


def fill_user(config):
    config.new_user.text, config.new_pin.text = "Paul", "4321"
    return find_button(config.form, "Add"), "user_created"


def fill_shop(config):
    config.fields["shop.name"].text = "Chez Paul"
    return config.save_button, "setting_changed"


def fill_rule(config):
    config.new_prefix.text = "29"
    return find_button(config.form, "Add"), "barcode_rule_added"


def toggle_method(config):
    return config.method_toggles["cheque"], "payment_method_changed"


def toggle_rule(config):
    return config.rule_toggles["21"], "barcode_rule_changed"


PAGES = {"vat": fill_vat, "methods": fill_method, "users": fill_user, "shop": fill_shop,
         "barcodes": fill_rule, "methods:toggle": toggle_method, "barcodes:toggle": toggle_rule}


def open_section(app, section: str):
    config = app.show("config", section=section.split(":")[0])
    frames(2)
    return config


def laid_out(button) -> None:
    """Wait until the page's layout has placed the button on the window (a busy machine lags)."""
    def placed() -> bool:
        x, y = button.to_window(*button.center)
        return button.get_root_window() is not None and button.width > 10 and x > 0 and 0 < y < 768
    assert wait_for(placed)
    frames(2)


def kinds() -> list[str]:
    return [e["kind"] for e in events.events()]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_cashier_on_a_config_page_is_refused_and_nothing_changes(make_app, window, page):  # noqa: F811
    app = make_app()
    login(app, "Marie", "1234")
    config = open_section(app, page)  # (the menu asks a manager's PIN first: here the page is reached anyway)
    button, _event = PAGES[page](config)
    laid_out(button)
    before = journal.count(), kinds()
    tap(button)
    assert wait_for(lambda: any(type(c).__name__ == "PinPopup" for c in window.children))
    pad = popup(window, "PinPopup")  # the core refused (NeedsManager): the manager-PIN pad is asked for
    keypad_type(pad.ids.pad, "1234")  # her own PIN is not a manager's: refused (the pad may ask again)
    tap(pad.ids.ok)
    frames(3)
    for child in list(window.children):
        if type(child).__name__ == "PinPopup":
            child.dismiss(animation=False)
    frames(2)
    assert (journal.count(), kinds()) == before


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_manager_on_a_config_page_is_accepted_and_the_change_journaled(make_app, window, page):  # noqa: F811
    app = make_app()
    login(app, "Claire", "9999")
    config = open_section(app, page)
    button, event = PAGES[page](config)
    laid_out(button)
    count = len(kinds())
    tap(button)
    assert wait_for(lambda: event in kinds()[count:])
    new = events.events()[count:]
    assert event in [e["kind"] for e in new] and all(e["user_name"] == "Claire" for e in new)


def test_a_managers_pin_to_enter_the_configuration_covers_the_visit(make_app, window):  # noqa: F811
    app = make_app()
    sale = login(app, "Marie", "1234")
    sale.menu_key()
    tap(find_button(popup(window, "ChoicePopup"), "Configuration"))
    pad = popup(window, "PinPopup")
    keypad_type(pad.ids.pad, "9999")
    tap(pad.ids.ok)
    assert app.sm.current == "config"
    config = open_section(app, "vat")
    button, _event = fill_vat(config)
    tap(button)
    config = open_section(app, "methods")
    button, _event = fill_method(config)
    tap(button)
    new = events.events()
    assert [e["kind"] for e in new[-2:]] == ["vat_rate_added", "payment_method_added"]
    assert new[-1]["user_name"] == "Marie"  # the cashier acted, a manager authorised (journaled before)
    assert any(e["kind"] == "manager_authorisation" and e["data"]["action"] == "config" for e in new)
    config.back()
    frames(2)
    # the authorisation was used up by that visit: the next one asks again
    sale.menu_key()
    tap(find_button(popup(window, "ChoicePopup"), "Configuration"))
    assert app.sm.current == "sale" and popup(window, "PinPopup") is not None
