"""Hooks for the real-display tests (tests/x11), off unless ``POS_TEST_LAYOUT`` is set.

``POS_TEST_LAYOUT=FILE``: the till writes to FILE (JSON, replaced atomically, whenever it
changes) the screen on show, the open popups, the toast, and where its widgets are in the
X screen's coordinates (origin top left), so that the tests click where a cashier would:
the screen's and the popups' widgets with an ``id`` (``"id:pay"``, ``"RefundPopup.id:ok"``),
the widgets kept by name (``"user_buttons:Marie"``, ``"article:Croissant"``) and every
visible button by its text (``"text:PAYER"``, ``"PinPopup.text:7"``), with their text and focus.

``POS_TEST_STALL=FILE``: when FILE holds ``N MS``, the till stalls for MS milliseconds on
the N-th key down that follows, before handling it (and deletes FILE): a real slow frame in the
middle of a scanner's burst, the rest of its keys waiting in the X server's queue.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.modalview import ModalView
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

INTERVAL_S = 0.05


def _box(widget) -> dict | None:
    if not widget.get_root_window() or widget.opacity == 0 or widget.width <= 0 or widget.height <= 0:
        return None
    x, y = widget.to_window(widget.x, widget.y)
    left, top = Window.left or 0, Window.top or 0
    box = {"x": round(left + x), "y": round(top + Window.height - y - widget.height),
           "w": round(widget.width), "h": round(widget.height), "disabled": bool(widget.disabled)}
    if isinstance(getattr(widget, "text", None), str):
        box["text"] = widget.text
    if isinstance(widget, TextInput):
        box["focus"] = bool(widget.focus)
    return box


def _add(widgets: dict, key: str, widget) -> None:
    box = _box(widget)
    if box is not None and key not in widgets:
        widgets[key] = box


def _collect(root, prefix: str, widgets: dict) -> None:
    for name, widget in root.ids.items():
        _add(widgets, f"{prefix}id:{name}", widget.__self__ if hasattr(widget, "__self__") else widget)
    for widget in root.walk(restrict=True):
        text = getattr(widget, "text", None)
        if hasattr(widget, "on_release") and isinstance(text, str) and text.strip() and not widget.disabled:
            _add(widgets, f"{prefix}text:{text.strip()}", widget)


def _named(root, prefix: str, widgets: dict) -> None:
    """Widgets kept in a dict attribute by name: ``user_buttons:Marie``, ``tab_buttons:Boulangerie``,
    ``method_buttons:cash``, ``fields:shop.name``, ``RefundPopup.rows:12``; and the article
    buttons of the page on show, ``article:Croissant``."""
    for attr, value in vars(root).items():
        if isinstance(value, dict) and not attr.startswith("_"):
            for name, widget in value.items():
                if isinstance(widget, Widget):
                    _add(widgets, f"{prefix}{attr}:{name}", widget)
    for button in getattr(root, "article_buttons", []):
        if getattr(button, "article", None) is not None:
            _add(widgets, f"{prefix}article:{button.article.name}", button)


def snapshot(app) -> dict:
    """What the till shows now."""
    screen = app.sm.current_screen if app.sm is not None else None
    widgets: dict = {}
    popups = [w for w in Window.children if isinstance(w, ModalView)]
    for popup in popups:
        _named(popup, f"{type(popup).__name__}.", widgets)
        _collect(popup, f"{type(popup).__name__}.", widgets)
    if screen is not None:
        _named(screen, "", widgets)
        _collect(screen, "", widgets)
    return {"screen": app.sm.current if app.sm is not None else "", "popups": [type(p).__name__ for p in popups],
            "toast": app.toast_text, "widgets": widgets}


def start(app, layout: str, stall: str = "") -> None:
    path = Path(layout)
    stall_path = Path(stall) if stall else None
    last = {"text": ""}

    def write(_dt) -> None:
        text = json.dumps(snapshot(app), ensure_ascii=False, sort_keys=True)
        if text != last["text"]:
            last["text"] = text
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)

    armed = {"keys": 0, "ms": 0}

    def arm(_dt) -> None:
        if stall_path is not None and not armed["keys"] and stall_path.exists():
            keys, _sep, ms = stall_path.read_text().partition(" ")
            armed["keys"], armed["ms"] = int(keys), int(ms)
            Window.unbind(on_key_down=key_down)
            Window.bind(on_key_down=key_down)  # bound last: called first, before the scan capture

    def key_down(*_a) -> None:
        if armed["keys"]:
            armed["keys"] -= 1
            if not armed["keys"]:
                stall_path.unlink()
                time.sleep(armed["ms"] / 1000)  # the UI thread is busy: the next keys wait in the queue

    Clock.schedule_interval(write, INTERVAL_S)
    if stall_path is not None:
        Clock.schedule_interval(arm, 0.01)


def start_from_environment(app) -> None:
    layout = os.environ.get("POS_TEST_LAYOUT")
    if layout:
        start(app, layout, os.environ.get("POS_TEST_STALL", ""))
