"""Hooks for the real-display tests (tests/x11), off unless ``POS_TEST_LAYOUT`` is set.

``POS_TEST_LAYOUT=FILE``: the till writes to FILE (JSON, replaced atomically, whenever it
changes) the screen on show, the open popups, the toast, and where its widgets are in the
X screen's coordinates (origin top left), so that the tests click where a cashier would:
the screen's and the popups' widgets with an ``id`` (``"id:pay"``, ``"RefundPopup.id:ok"``),
the widgets kept by name (``"user_buttons:Marie"``, ``"article:Croissant"``) and every
visible button by its text (``"text:PAYER"``, ``"PinPopup.text:7"``), with their text and focus.

``POS_TEST_EVENTS=FILE``: each frame that shows a new basket on the sale screen adds a JSON
line to FILE: when it was shown (``time.monotonic()``, the X server's clock too) and the last
scan's first key and end as the X server stamped them (bench/bench_x11_scan.py).

``POS_TEST_STALL=FILE``: when FILE holds ``N MS``, the till stalls for MS milliseconds on
the N-th key down that follows, before handling it (FILE says ``armed`` from when the till
waits for the keys, and is deleted when it stalls): a real slow frame in the
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
    else:  # a group of labels (a label and its amount): their texts
        texts = [c.text for c in reversed(widget.children) if isinstance(getattr(c, "text", None), str)]
        if texts:
            box["text"] = " | ".join(texts)
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
    ``method_buttons:cash``, ``fields:shop.name``, ``RefundPopup.rows:12.id:minus``; and the article
    buttons of the page on show, ``article:Croissant``."""
    for attr, value in vars(root).items():
        if isinstance(value, dict) and not attr.startswith("_"):
            for name, widget in value.items():
                if isinstance(widget, Widget):
                    _add(widgets, f"{prefix}{attr}:{name}", widget)
                    for child, inner in widget.ids.items():  # a row's own buttons: rows:12.id:minus
                        _add(widgets, f"{prefix}{attr}:{name}.id:{child}", inner.__self__)
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
            if not keys.isdigit():
                return  # already armed
            armed["keys"], armed["ms"] = int(keys), int(ms)
            stall_path.write_text("armed")  # the test may type now
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


def record_frames(app, events: str) -> None:
    """A line in ``events`` for each frame showing a basket that changed."""
    from pos.screens.scancapture import CAPTURE

    last = {"rows": None}

    def flipped(*_a) -> None:
        if app.sm is None or app.sm.current != "sale":
            return
        rows = [(r["name"], r["qty"]) for r in app.sm.get_screen("sale").ids.basket.data]
        if rows != last["rows"]:
            last["rows"] = rows
            line = {"shown": time.monotonic(), "lines": len(rows), "scan": CAPTURE.last_scan}
            with open(events, "a", encoding="utf-8") as out:
                out.write(json.dumps(line) + "\n")

    Window.bind(on_flip=flipped)


def start_from_environment(app) -> None:
    layout = os.environ.get("POS_TEST_LAYOUT")
    if layout:
        start(app, layout, os.environ.get("POS_TEST_STALL", ""))
        if os.environ.get("POS_TEST_EVENTS"):
            record_frames(app, os.environ["POS_TEST_EVENTS"])
