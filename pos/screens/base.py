"""The base of every screen: its life (prepare, scan, shutdown) and its status bar.

``PosApp.show(name, **kw)`` calls ``prepare(**kw)`` before the screen shows; while it
shows, a scan (a keyboard-wedge burst read at window level, or a serial scanner's code)
goes to ``scan(code)``; ``shutdown()`` runs when the app stops or the screens are rebuilt.
The status bar of each screen's kv (``StatusBar: id: bar``) binds to the app's
``shop_name``, ``user_name``, ``clock_text`` and ``training``: no screen copies them.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.uix.screenmanager import Screen

from pos.core.i18n import _
from pos.screens.scancapture import ScanCapturing


class PosScreen(ScanCapturing, Screen):
    """A screen of the till."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.app = App.get_running_app()

    def prepare(self, **_kw: Any) -> None:
        """Before the screen shows: load what it displays (``kw`` from ``PosApp.show``)."""

    def scan(self, code: str) -> None:
        """A code scanned while this screen shows; a screen that sells or searches overrides it."""
        self.app.toast(_("Scan ignored here: {code}").format(code=code))

    def shutdown(self) -> None:
        """The app stops (or rebuilds its screens): stop listening, drop pending work."""
        self.on_leave()

    def restore_kw(self) -> dict[str, Any]:
        """What ``prepare`` needs to show the same thing again after the screens are rebuilt
        (a language change, a new window size)."""
        return {}

    def keyboard_area(self) -> tuple[float, float] | None:
        """The band (x, width in window coordinates) the on-screen keyboard may cover at the
        bottom while this screen shows; None: the whole width (``pos.screens.keyboard``)."""
        return None
