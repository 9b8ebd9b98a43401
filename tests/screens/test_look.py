"""Every screen's base class and status bar, and the look a cashier sees: toasts above popups,
PIN pads without a comma, department tabs that show there are more, readable text, touch
targets of 48 px and more from 1024×768 to 1920×1080."""

from __future__ import annotations

import pytest
from helpers.ui_helpers import frames, keypad_type, popup, tap, wait_for
from kivy.animation import Animation
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.textinput import TextInput
from test_ui import login, make_app, window  # noqa: F401  (fixtures)

from pos.screens import theme

MIN_TARGET = 48  # px, at every window size


def every_screen(app):
    from pos.screens.app import SCREENS

    return {name: app.screen(name) for name in SCREENS}


def test_every_screen_is_a_pos_screen_whose_clock_follows_the_app(make_app):  # noqa: F811
    from pos.screens.base import PosScreen

    app = make_app()
    login(app, "Claire", "9999")
    screens = every_screen(app)
    frames(2)
    app.clock_text = "12:34"  # (no frame in between: the one-second tick would put the time back)
    app.shop_name = "Chez Claire"
    for name, screen in screens.items():
        assert isinstance(screen, PosScreen), name
        bar = screen.ids.bar
        assert (bar.clock, bar.ids.clock.text, bar.shop) == ("12:34", "12:34", "Chez Claire"), name
        assert bar.who == "Claire (manager)", name
    app.tick()  # once a second: the time now, on every screen at once
    assert all(s.ids.bar.clock == app.now_hm() for s in screens.values())


def test_show_prepares_the_screen_and_a_rebuild_shuts_every_screen_down(make_app, monkeypatch):  # noqa: F811
    from pos.screens.history import HistoryScreen
    from pos.screens.reports import ReportsScreen

    calls = []
    monkeypatch.setattr(HistoryScreen, "prepare", lambda self, **kw: calls.append(("prepare", kw)))
    monkeypatch.setattr(ReportsScreen, "shutdown", lambda self: calls.append(("shutdown", self.name)))
    app = make_app()
    login(app, "Claire", "9999")
    app.show("history", number=7)
    app.screen("reports")
    app.reload_screens()  # as after a language change or a new window size; the app's stop does the same
    assert calls == [("prepare", {"number": 7}), ("shutdown", "reports"), ("prepare", {})]
    assert app.sm.current == "history" and not app.sm.has_screen("reports")


def test_a_scan_where_nothing_is_sold_is_said(make_app):  # noqa: F811
    app = make_app()
    login(app, "Claire", "9999")
    app.show("reports")
    app.scanned("3760123000017")
    assert "3760123000017" in app.toast_text


def test_the_status_bar_says_who_and_turns_amber_in_training(make_app):  # noqa: F811
    app = make_app()
    login(app, "Claire", "9999")
    bar = app.screen("sale").ids.bar
    assert bar.who == "Claire (manager)" and not bar.training
    app.till.set_training(True)
    app.tick()
    frames(2)
    assert bar.training and "TRAINING" in bar.ids.shop.text
    assert theme.contrast(bar.ids.shop.color, theme.THEME.training) >= theme.MIN_CONTRAST
    app.till.set_training(False)
    app.show("login")
    app.till.logout()
    app.tick()
    assert app.screen("login").ids.bar.who == ""


def test_a_toast_shows_above_a_popup_and_its_dimming(make_app, window):  # noqa: F811
    from pos.screens.widgets import ChoicePopup, Toast

    app = make_app()
    login(app)
    app.open_popup(ChoicePopup("?", [("a", 1)], lambda _v: None))
    app.toast("over the popup")
    frames(2)
    assert isinstance(window.children[0], Toast) and app.toast_text == "over the popup"
    app.open_popup(ChoicePopup("again", [("b", 2)], lambda _v: None))  # a popup opened after the toast
    frames(1)
    assert isinstance(window.children[0], Toast)
    toast = window.children[0]
    assert toast.collide_point(*toast.center) and toast.width <= window.width


def test_pin_pads_have_no_comma_and_erase_a_digit(make_app, window):  # noqa: F811
    from pos.screens.widgets import PinPopup

    app = make_app()
    screen = app.screen("login")
    keys = [k.text for k in screen.ids.pad.children]
    assert "," not in keys and "⌫" in keys and sorted(k for k in keys if k.isdigit()) == list("0123456789")
    tap(screen.user_buttons["Marie"])
    keypad_type(screen.ids.pad, "12345⌫")
    assert screen.dots == "●●●●"
    tap(screen.ids.enter)
    assert app.sm.current == "sale"
    app.open_popup(PinPopup("PIN", lambda _pin: None))
    assert "," not in [k.text for k in popup(window, "PinPopup").ids.pad.children]


def test_department_tabs_show_there_are_more_and_bring_them_in(make_app):  # noqa: F811
    app = make_app()
    sale = login(app)
    strip = sale.ids.tabs.parent
    assert type(strip).__name__ == "TabStrip"
    assert wait_for(lambda: strip.more_right)  # 11 tabs, about 5 in sight: an arrow on the right
    assert not strip.more_left
    half_hidden = next(t for t in reversed(sale.ids.tabs.children) if t.to_window(t.right, 0)[0] > strip.right)
    tap(half_hidden)  # a touch where the arrow is: the tab there is chosen and comes whole into sight
    assert half_hidden.state == "down" and sale.department_id == half_hidden.department_id
    assert wait_for(lambda: strip.more_left and half_hidden.to_window(half_hidden.right, 0)[0] <= strip.right)
    Animation.cancel_all(strip)
    strip.scroll_x = 1  # swiped to the end: the arrow on the right goes
    assert wait_for(lambda: not strip.more_right)


def test_text_on_tiles_tabs_and_buttons_reads(make_app):  # noqa: F811
    """The colours actually drawn: every article tile, department tab and button on show."""
    app = make_app()
    sale = login(app)
    checked = 0
    for tab in sale.tab_buttons.values():
        for state in ("normal", "down"):
            tab.state = state
            frames(1)
            assert theme.contrast(tab.color, tab.background_color) >= theme.MIN_CONTRAST, (tab.text, state)
            checked += 1
        sale.show_department(tab.department_id)
        for tile in sale.article_buttons:
            if tile.article is not None:
                assert theme.contrast(tile.color, tile.bg) >= theme.MIN_CONTRAST, tile.text
                checked += 1
    for name in ("sale", "payment", "config", "closure", "reports", "history"):
        screen = app.show(name)
        frames(2)
        for w in screen.walk(restrict=True):
            if isinstance(w, ButtonBehavior) and hasattr(w, "background_color") and not w.disabled and w.opacity:
                assert theme.contrast(w.color, w.background_color) >= theme.MIN_CONTRAST, (name, w.text)
                checked += 1
    assert checked > 300


def touch_targets(root) -> list[str]:
    """The buttons and fields on show smaller than a finger."""
    small = []
    for w in root.walk(restrict=True):
        if not isinstance(w, (ButtonBehavior, TextInput)) or not w.opacity or w.get_root_window() is None:
            continue
        parent, hidden = w.parent, False
        while parent is not None and parent is not root:
            hidden = hidden or not getattr(parent, "opacity", 1)
            parent = parent.parent
        if hidden:
            continue
        if w.width < MIN_TARGET or w.height < MIN_TARGET:
            small.append(f"{type(w).__name__} {getattr(w, 'text', '')!r} {w.width:.0f}×{w.height:.0f}")
    return small


PAGES = [("login", {}), ("sale", {}), ("payment", {}), ("history", {}), ("reports", {"section": "closures"}),
         ("reports", {"section": "sales"}), ("closure", {})] + [
    ("config", {"section": s}) for s in ("shop", "vat", "methods", "users", "barcodes", "language", "scanner",
                                         "articles", "departments", "customers", "transfer", "sync",
                                         "hardware")]


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)])
def test_touch_targets_are_48_px_at_every_size(make_app, window, size):  # noqa: F811
    from kivy.metrics import Metrics

    app = make_app()
    sale = login(app, "Claire", "9999")
    original = tuple(window.size)
    try:
        window.size = size
        assert wait_for(lambda: Metrics.density == theme.ui_scale(*size), 5)
        frames(3)
        sale = app.screen("sale")
        if size == (1920, 1080):
            assert sale.ids.bar.height == pytest.approx(48 * 1.406, abs=1)  # everything 1.4 times larger
        app.till.set_training(True)  # the training band never shrinks the tiles
        sale = app.show("sale")
        frames(3)
        assert not touch_targets(sale), touch_targets(sale)
        assert all(b.height >= MIN_TARGET for b in sale.article_buttons)
        app.till.set_training(False)
        for name, kw in PAGES:
            screen = app.show(name, **kw)
            frames(3)
            assert not touch_targets(screen), (name, kw, touch_targets(screen))
    finally:
        window.size = original
        assert wait_for(lambda: Metrics.density == 1, 5)
        frames(2)


def test_status_messages_wrap_and_empty_lists_say_what_to_do(make_app):  # noqa: F811
    app = make_app()
    login(app, "Claire", "9999")
    config = app.show("config", section="transfer")
    page = config.page_widget
    page.set_status("PrestaShop is not configured: type the shop's address and its webservice key, "
                    "then test the connection before synchronising anything at all")
    frames(3)
    label = page.ids.job_bar.ids.status
    assert label.texture_size[1] > 1.5 * label.font_size  # on two lines or more, not cut
    assert page.ids.job_bar.height >= label.texture_size[1]
    config.open_section("customers")
    customers = config.page_widget
    frames(2)
    assert customers.items == [] and "New customer" in customers.empty
    history = app.show("history", number=999)
    frames(2)
    assert "scan the receipt" in history.ids.empty.text


def test_the_on_screen_keyboard_never_covers_the_total_or_payer(make_app, window, monkeypatch):  # noqa: F811
    from kivy.uix.vkeyboard import VKeyboard
    from test_sale_end import overlap, rect

    # `pos run` docks the keyboard (keyboard_mode systemanddock, read when the window is made);
    # the tests' window was made before that setting: dock it the same way here
    monkeypatch.setattr(window, "allow_vkeyboard", True)
    monkeypatch.setattr(window, "docked_vkeyboard", True)
    app = make_app()
    sale = login(app)
    tap(sale.ids.search)
    sale.ids.search.focus = True
    frames(3)
    keyboards = [w for w in window.children if isinstance(w, VKeyboard)]
    assert len(keyboards) == 1
    kb = keyboards[0]
    box = (kb.x, kb.y, kb.x + kb.width * kb.scale, kb.y + kb.height * kb.scale)
    assert box[2] - box[0] > 0.5 * window.width * 0.6  # a usable keyboard, under the catalogue
    for control in (sale.ids.pay, sale.ids.total, sale.ids.cancel, sale.ids.basket, sale.ids.search):
        assert not overlap(box, rect(control)), control
    sale.ids.search.focus = False
    frames(2)


def test_one_basket_line_is_highlighted(make_app):  # noqa: F811
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    for n in (1, 3, 4):
        sale.scan(demo_ean(n))
    frames(2)
    lit = lambda: [r["name"] for r in sale.ids.basket.data if r["selected"] or r["fresh"]]  # noqa: E731
    assert len(lit()) == 1  # the line just added
    sale.select_line(0)
    frames(2)
    assert lit() == [sale.ids.basket.data[0]["name"]]
