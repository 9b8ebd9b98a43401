"""Keyboard-wedge scans at window level, as SDL delivers them: key downs always, text input
only while SDL has it on, and each key's time as the X server stamped it."""

from __future__ import annotations

import time

import pytest
from helpers.ui_helpers import frames, popup, tap
from test_ui import basket_names, login, make_app, window  # noqa: F401  (the fixtures: the real app on the demo shop)

from pos.screens.keystamps import STAMPS

ENTER, TAB = 13, 9


def press(win, key: int, text: str | None = None, when: float | None = None, modifiers=()) -> None:
    """One key as SDL hands it over: its time queued by the event watch (``when``, on the X
    server's clock), the key down, then its text if text input is on (``text``)."""
    scancode = 1000 + key  # any number, the same for the watch and the key down
    if when is not None:
        STAMPS.push(scancode, ("x11", when))
    win.dispatch("on_key_down", key, scancode, text, list(modifiers))
    if text is not None:
        win.dispatch("on_textinput", text)
    win.dispatch("on_key_up", key, scancode)


def scan(win, code: str, text_input: bool = True, gap_ms: float = 8, t0: float | None = None,
         stall_after: int | None = None, stall_s: float = 0.0, suffix: int = ENTER) -> float:
    """A scanner's burst; ``stall_after`` keys in, the app stalls (a slow frame) while the
    rest of the keys wait in the queue with the times they were typed at."""
    t = time.monotonic() if t0 is None else t0
    for i, ch in enumerate(code):
        if i == stall_after:
            time.sleep(stall_s)
        press(win, ord(ch), ch if text_input else None, when=t)
        t += gap_ms / 1000
    press(win, suffix, None, when=t)
    frames(1)
    return t


def test_scans_go_on_when_text_input_is_off(make_app, window):  # noqa: F811
    """SDL turns text input off when a text field lets the keyboard go: key downs still come."""
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    sale.ids.search.focus = True
    frames(1)
    sale.ids.search.focus = False  # the field lets the keyboard go: no more text input events
    frames(1)
    scan(window, demo_ean(1), text_input=False)
    scan(window, demo_ean(3), text_input=False)
    assert basket_names(sale) == ["Baguette tradition", "Croissant"]


def test_a_scan_into_the_focused_search_goes_to_the_basket_once(make_app, window):  # noqa: F811
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    tap(sale.ids.search)
    assert sale.ids.search.focus
    sale.ids.search.text = ""
    scan(window, demo_ean(1))
    assert basket_names(sale) == ["Baguette tradition"]
    assert sale.ids.search.text == "" and sale.ids.search.focus  # nothing typed into the field
    assert "Unknown" not in app.toast_text
    # a person typing in the field is not a scanner: the keys reach it, Enter searches
    t = time.monotonic()
    for i, ch in enumerate("comte"):
        press(window, ord(ch), ch, when=t + i * 0.15)
    assert sale.ids.search.text == "comte"


def test_a_fast_key_rollover_is_given_back_to_the_field(make_app, window):  # noqa: F811
    app = make_app()
    sale = login(app)
    tap(sale.ids.search)
    t = time.monotonic()
    press(window, ord("c"), "c", when=t)
    press(window, ord("o"), "o", when=t + 0.02)  # two keys 20 ms apart: held, maybe a scanner
    assert sale.ids.search.text == ""
    press(window, ord("m"), "m", when=t + 0.3)  # a pause: it was a person
    assert sale.ids.search.text == "com"


def test_a_slow_frame_in_the_middle_of_a_scan_does_not_split_it(make_app, window):  # noqa: F811
    """The gap is measured on the keys' own times: a 300 ms stall after 6 of 13 digits
    (the app handles the other 7 and Enter late, all at once) still gives one line."""
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    scan(window, demo_ean(1), stall_after=6, stall_s=0.3)
    assert basket_names(sale) == ["Baguette tradition"]
    assert "Unknown" not in app.toast_text


def test_without_the_keys_times_the_same_stall_would_split_the_scan(make_app, window):  # noqa: F811
    """What the OS times are for: timed when handled, the stall is a 300 ms gap."""
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    code = demo_ean(1)
    for ch in code[:6]:
        press(window, ord(ch), ch)
    time.sleep(0.3)
    for ch in code[6:]:
        press(window, ord(ch), ch)
    press(window, ENTER)
    frames(1)
    assert basket_names(sale) == [] and "Unknown code" in app.toast_text


def test_a_scan_right_after_a_popup_closed_and_with_shift_and_numpad_keys(make_app, window):  # noqa: F811
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    sale.scan(demo_ean(1))
    sale.park_key()
    label = popup(window, "TextPopup")
    label.ids.field.focus = True
    label.ids.field.text = "table 4"
    label.ok()
    frames(2)
    code = demo_ean(3)
    t = time.monotonic()
    press(window, 304, None, when=t, modifiers=["shift"])  # Shift: no character, the burst goes on
    for i, ch in enumerate(code):
        press(window, 256 + int(ch), None, when=t + 0.005 * (i + 1))  # the keypad's digits
    press(window, 271, None, when=t + 0.1)  # the keypad's Enter
    frames(1)
    assert basket_names(sale) == ["Croissant"]


@pytest.mark.parametrize("prefix, suffix, key", [("]E", "tab", TAB), ("", "none", None)])
def test_scanner_prefix_and_suffix(make_app, window, prefix, suffix, key):  # noqa: F811
    from pos.core import settings
    from pos.demo import demo_ean

    settings.set_many({"scanner.prefix": prefix, "scanner.suffix": suffix})
    app = make_app()
    sale = login(app)
    t = time.monotonic()
    for i, ch in enumerate(prefix + demo_ean(1)):
        press(window, ord(ch), ch, when=t + 0.008 * i)
    if key is not None:
        press(window, key, None, when=t + 0.008 * (len(prefix) + 13))
    else:
        time.sleep(0.3)  # no suffix: the code ends when the keys pause
    frames(2)
    assert basket_names(sale) == ["Baguette tradition"]
    if prefix:  # a burst without the prefix is typing: a focused field gets it
        tap(sale.ids.search)
        t = time.monotonic()
        for i, ch in enumerate(demo_ean(3)):
            press(window, ord(ch), ch, when=t + 0.008 * i)
        sale._capture._quiet(0)  # the keys paused
        assert sale.ids.search.text == demo_ean(3)
        assert basket_names(sale) == ["Baguette tradition"]


def test_scanner_settings_are_checked():
    from pos.core import settings
    from pos.core.settings import SettingError

    with pytest.raises(SettingError):
        settings.BY_KEY["scanner.prefix"].check("a b")
    with pytest.raises(SettingError):
        settings.BY_KEY["scanner.suffix"].check("escape")
    assert settings.BY_KEY["scanner.suffix"].check("tab") == "tab"
