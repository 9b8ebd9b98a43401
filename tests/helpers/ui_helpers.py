"""Driving the real Kivy widgets offscreen with simulated touches."""

from __future__ import annotations

import time

from kivy.base import EventLoop
from kivy.tests.common import UnitTestTouch


def frames(n: int = 2) -> None:
    for _ in range(n):
        EventLoop.idle()


def tap(widget) -> None:
    """A real touch down/up at the widget's centre, through the window's input pipeline."""
    frames(1)
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    frames(1)
    touch.touch_up()
    frames(1)


def wait_for(predicate, timeout: float = 3.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        EventLoop.idle()
        if predicate():
            return True
        time.sleep(0.01)
    return False


def keypad_type(keypad, text: str) -> None:
    """Tap the keys of a Keypad widget."""
    keys = {child.text: child for child in keypad.children}
    for ch in text:
        tap(keys[ch])


def find_button(root, text: str):
    """The first visible button whose text contains ``text`` (searching the widget tree)."""
    for w in root.walk(restrict=True):
        if hasattr(w, "on_release") and text in getattr(w, "text", "") and w.opacity and not w.disabled:
            return w
    raise LookupError(f"no button with {text!r}")


def popup(window, cls_name: str):
    """The open popup (a child of the window) of class ``cls_name``."""
    for child in window.children:
        if type(child).__name__ == cls_name:
            return child
    raise LookupError(cls_name)
