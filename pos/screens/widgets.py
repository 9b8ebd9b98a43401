"""Small shared widgets: buttons, keypad, status bar, toast, popups."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kivy.app import App
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from pos.core.i18n import _
from pos.screens.scancapture import ScanCapturing, WindowScanCapture  # noqa: F401  (re-exported)

KV = Path(__file__).with_suffix(".kv")


def hex_colour(value: str, alpha: float = 1.0) -> list[float]:
    value = value.lstrip("#")
    if len(value) != 6:
        return [0.33, 0.43, 0.48, alpha]
    return [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)] + [alpha]


class TillButton(Button):
    bg = ListProperty([0.27, 0.31, 0.36, 1])


class KeyButton(TillButton):
    pass


class Keypad(GridLayout):
    """Digits, decimal comma and clear; ``handler`` is called with '0'-'9', ',' or 'C'."""

    handler = ObjectProperty(None, allownone=True)

    def press(self, key: str) -> None:
        if self.handler:
            self.handler(key)


class KeypadBuffer:
    """What the cashier typed on a keypad, as text ("12,5")."""

    def __init__(self, changed: Callable[[str], None]) -> None:
        self.text = ""
        self._changed = changed

    def key(self, key: str) -> None:
        if key == "C":
            self.text = ""
        elif key == ",":
            if "," not in self.text:
                self.text = (self.text or "0") + ","
        elif len(self.text) < 10:
            self.text += key
        self._changed(self.text)

    def take(self) -> str:
        text, self.text = self.text, ""
        self._changed("")
        return text


class StatusDot(Label):
    colour = ListProperty([0.3, 0.7, 0.3, 1])
    explanation = StringProperty("")

    def on_touch_down(self, touch):
        if self.collide_point(*touch.pos):
            App.get_running_app().toast(self.explanation)
            return True
        return super().on_touch_down(touch)


class StatusBar(BoxLayout):
    shop = StringProperty("")
    who = StringProperty("")
    clock = StringProperty("")


class Toast(Label):
    error = BooleanProperty(False)


class SelectableRow(RecycleDataViewBehavior, BoxLayout):
    """A row of a RecycleView list; ``on_select`` gets the data index."""

    index = NumericProperty(-1)
    selected = BooleanProperty(False)
    on_select = ObjectProperty(None, allownone=True)

    def refresh_view_attrs(self, rv, index, data):
        self.index = index
        return super().refresh_view_attrs(rv, index, data)

    def on_touch_down(self, touch):
        if self.collide_point(*touch.pos) and self.on_select:
            self.on_select(self.index)
            return True
        return super().on_touch_down(touch)


class PinEntry:
    """The PIN typed on a pad, shown as dots (login screen and manager-PIN popup)."""

    _pin = ""

    def key(self, key: str) -> None:
        if key == "C":
            self._pin = ""
        elif key.isdigit() and len(self._pin) < 8:
            self._pin += key
        self.dots = "●" * len(self._pin)

    def take_pin(self) -> str:
        pin, self._pin = self._pin, ""
        self.dots = ""
        return pin


class PinPopup(PinEntry, ModalView):
    """Asks a PIN on a pad; ``done(pin)`` is called on OK."""

    title = StringProperty("")
    dots = StringProperty("")
    message = StringProperty("")

    def __init__(self, title: str, done: Callable[[str], None], **kw) -> None:
        super().__init__(**kw)
        self.title = title
        self._done = done

    def ok(self) -> None:
        pin = self.take_pin()
        self.dismiss(animation=False)
        self._done(pin)


class ChoicePopup(ModalView):
    """A list of big buttons; ``done(value)`` is called with the chosen value."""

    title = StringProperty("")

    def __init__(self, title: str, choices: list[tuple[str, object]], done: Callable[[object], None],
                 **kw) -> None:
        super().__init__(**kw)
        self.title = title
        box = self.ids.choices
        for text, value in choices:
            btn = Factory.TillButton(text=text, size_hint_y=None, height="64dp")
            btn.bind(on_release=lambda _b, v=value: (self.dismiss(animation=False), done(v)))
            box.add_widget(btn)


class TextPopup(ModalView):
    title = StringProperty("")
    hint = StringProperty("")

    def __init__(self, title: str, done: Callable[[str], None], hint: str = "", **kw) -> None:
        super().__init__(**kw)
        self.title = title
        self.hint = hint
        self._done = done

    def ok(self) -> None:
        text = self.ids.field.text
        self.dismiss(animation=False)
        self._done(text)


class ReceiptBanner(FloatLayout):
    """"Receipt?" after a sale: Yes prints through the print_receipt hook."""

    text = StringProperty("")


def ask_manager(action_done: Callable[[], None], till, action: str, title: str = "") -> None:
    """Ask a manager's PIN for one restricted action, then run it and refresh the screen.

    A wrong PIN asks again (what the cashier had chosen stays as it was: the action was
    not run); Cancel gives up.  After the action the screen on show is refreshed, so that
    what changed (a total, a line) is seen at once."""
    from pos.core.errors import Refusal

    app = App.get_running_app()

    def check(pin: str) -> None:
        def authorize():
            try:
                return till.authorize(pin, action)
            except Refusal as exc:  # a wrong PIN (or too many): a toast, and the pad again
                app.toast(str(exc), error=True)
                ask_manager(action_done, till, action, title=str(exc))
                return None

        if app.guard(authorize) is None:
            return
        app.guard(action_done)
        screen = app.sm.current_screen if app.sm is not None else None
        if screen is not None and hasattr(screen, "refresh"):
            screen.refresh()

    app.open_popup(PinPopup(title or _("Manager PIN"), check))


Builder.load_file(str(KV))
