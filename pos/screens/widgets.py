"""Small shared widgets: buttons, keypad, status bar, toast, popups."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from kivy.app import App
from kivy.core.window import Window
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


class ScanCapturing:
    """A screen that takes keyboard-wedge scans while it shows: ``scan(code)``, and
    ``scan_field()`` for its text field that may receive a burst's characters."""

    _capture = None

    def scan_field(self):
        return None

    def on_enter(self, *_a) -> None:
        self._capture = WindowScanCapture(self, self.scan)
        self._capture.start()

    def on_leave(self, *_a) -> None:
        if self._capture is not None:
            self._capture.stop()
            self._capture = None


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


AZERTY_DIGITS = "&é\"'(-è_çà"
AZERTY_TO_DIGITS = str.maketrans(AZERTY_DIGITS, "1234567890")


class WindowScanCapture:
    """Keyboard-wedge scans read at window level, whatever widget has the focus.

    Kivy's TextInput drops characters at scanner speed (kivy/kivy#6801), so codes are
    collected here from the window's key events: a fast burst ended by Enter is a
    scan (``scanner.gap_ms`` tells a scanner from a person).  Keys typed by hand with
    no text field focused, then Enter, are a code too.  ``field`` is the screen's text
    field that may have received the burst's characters: they are taken back out.
    """

    def __init__(self, screen, on_code: Callable[[str], None], field=None) -> None:
        from pos.core import settings
        from pos.hardware.scanner import WedgeBuffer

        self.screen, self.on_code, self.field = screen, on_code, field
        self.wedge = WedgeBuffer(max_gap_ms=int(settings.get("scanner.gap_ms")))
        self.typed = ""

    def start(self) -> None:
        Window.bind(on_textinput=self._text, on_key_down=self._key)

    def stop(self) -> None:
        Window.unbind(on_textinput=self._text, on_key_down=self._key)
        self.typed = ""
        self.wedge.clear()

    def _ours(self) -> bool:
        if self.screen.manager is None or self.screen.manager.current != self.screen.name:
            return False
        return not any(isinstance(w, ModalView) for w in Window.children)

    def _field(self):
        """The text field that may get a burst's characters (asked each time: pages change)."""
        if self.field is not None:
            return self.field
        return self.screen.scan_field() if hasattr(self.screen, "scan_field") else None

    def _focused(self) -> bool:
        field = self._field()
        return field is not None and field.focus

    def _text(self, _window, text: str) -> None:
        if not self._ours():
            return
        self.wedge.key(text, time.monotonic())
        if not self._focused() and text.isprintable():
            self.typed += text

    def _key(self, _window, key: int, *_a) -> bool | None:
        if key not in (13, 271) or not self._ours():
            return None
        burst = self.wedge.enter(time.monotonic())
        typed, self.typed = self.typed.strip(), ""
        if burst and all(c in AZERTY_DIGITS for c in burst):
            # a scanner set to a US keyboard on a French (AZERTY) system "types" &é"'(-è_çà
            burst = burst.translate(AZERTY_TO_DIGITS)
        if burst:
            field = self._field()
            if self._focused() and field.text:
                field.text = field.text[:-len(burst)] if field.text.endswith(burst) else ""
            self.on_code(burst)
            return True  # the focused field must not validate the same code again
        if typed and not self._focused():
            self.on_code(typed)
            return True
        return None


def ask_manager(action_done: Callable[[], None], till, action: str) -> None:
    """Ask a manager's PIN for one restricted action, then run it."""
    app = App.get_running_app()

    def check(pin: str) -> None:  # a wrong PIN is a refusal: a toast
        app.guard(lambda: till.authorize(pin, action), on_done=lambda _r: app.guard(action_done))

    app.open_popup(PinPopup(_("Manager PIN"), check))


Builder.load_file(str(KV))
