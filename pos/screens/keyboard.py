"""The on-screen keyboard, docked where the current screen allows.

Kivy's docked keyboard spans the window's whole width at the bottom, over the sale
screen's total and PAYER.  :class:`DockedKeyboard` asks the screen showing for the band it
may cover (``PosScreen.keyboard_area``: its x and width in window coordinates) and scales
itself to that band, at the bottom; a screen that names none gets the whole width.
"""

from __future__ import annotations

from kivy.app import App
from kivy.uix.vkeyboard import VKeyboard


def keyboard_area(window) -> tuple[float, float]:
    """(x, width) of the band the keyboard may cover, in window coordinates."""
    app = App.get_running_app()
    sm = getattr(app, "sm", None)
    screen = sm.current_screen if sm is not None else None
    area = screen.keyboard_area() if screen is not None and hasattr(screen, "keyboard_area") else None
    return area if area is not None else (0.0, float(window.width))


class DockedKeyboard(VKeyboard):
    """A docked VKeyboard that covers only the band the current screen gives it."""

    def setup_mode_dock(self, *largs) -> None:
        super().setup_mode_dock(*largs)
        self._update_dock_mode(self.get_parent_window())

    def _update_dock_mode(self, win, *largs) -> None:
        if win is None:
            return
        x, width = keyboard_area(win)
        self.scale = width / float(self.width)
        self.pos = x, 0
