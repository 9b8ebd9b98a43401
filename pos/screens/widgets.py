"""Small shared widgets: buttons, keypad, status bar, toast, popups."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
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
from kivy.uix.scrollview import ScrollView
from kivy.uix.textinput import TextInput

from pos.core.i18n import _
from pos.screens import theme
from pos.screens.scancapture import ScanCapturing, WindowScanCapture  # noqa: F401  (re-exported)

KV = Path(__file__).with_suffix(".kv")
hex_colour = theme.rgba  # a department's "#RRGGBB" as a Kivy colour


class TillButton(Button):
    """Every button: its colour ``bg`` (a style of theme.kv, or a department's), its text black or
    white by contrast."""

    bg = ListProperty(theme.THEME.button)


def make(kv_class: str, **props):
    """A widget of a kv class with these properties set, including those its rule declares
    (a dynamic class's own properties cannot be passed to its constructor)."""
    widget = getattr(Factory, kv_class)()
    for name, value in props.items():
        setattr(widget, name, value)
    return widget


class KeyButton(TillButton):
    pass


class Pad(GridLayout):
    """A grid of keys; ``handler`` is called with the key pressed."""

    handler = ObjectProperty(None, allownone=True)

    def press(self, key: str) -> None:
        if self.handler:
            self.handler(key)


class Keypad(Pad):
    """Digits, decimal comma and clear; ``handler`` is called with '0'-'9', ',' or 'C'."""


class PinPad(Pad):
    """Digits, clear and erase (no comma: a PIN is digits); ``handler`` gets '0'-'9', 'C' or '⌫'."""


class FormField(TextInput):
    """A form's text field; ``error`` turns it red while its value is refused."""

    error = BooleanProperty(False)


class TabStrip(ScrollView):
    """A row of tabs that scrolls sideways.  When some tabs are out of sight an arrow at that
    end says so; the tab chosen (a touch on a half-hidden one) is brought whole into sight."""

    more_left = BooleanProperty(False)
    more_right = BooleanProperty(False)
    arrow_width = NumericProperty("40dp")

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.fbind("scroll_x", self._update)
        self.fbind("width", self._update)
        self.fbind("viewport_size", self._update)
        self._show_chosen = Clock.create_trigger(lambda _dt: self.show_chosen(), 0)
        self.fbind("viewport_size", self._show_chosen)

    def _update(self, *_a) -> None:
        hidden = self.viewport_size[0] - self.width
        self.more_left = hidden > 1 and self.scroll_x > 0.005
        self.more_right = hidden > 1 and self.scroll_x < 0.995

    def on_touch_up(self, touch):
        handled = super().on_touch_up(touch)
        self._show_chosen()
        return handled

    def show_chosen(self) -> None:
        """Scroll the chosen tab (a toggle that is down) whole into sight, clear of the arrows."""
        for tab in self.children[0].children if self.children else ():
            if getattr(tab, "state", "") == "down" and self.viewport_size[0] > self.width:
                self.scroll_to(tab, padding=self.arrow_width, animate=True)
                return


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
    colour = ListProperty(theme.THEME.dot_ok)
    explanation = StringProperty("")

    def on_touch_down(self, touch):
        if self.collide_point(*touch.pos):
            App.get_running_app().toast(self.explanation)
            return True
        return super().on_touch_down(touch)


class StatusBar(BoxLayout):
    """The slim bar on top of every screen: shop, who is at the till, the time, the devices'
    dots; amber in training mode.  Bound in kv to the app's properties (``PosApp.shop_name``,
    ``user_name``, ``clock_text``, ``training``)."""

    shop = StringProperty("")
    who = StringProperty("")
    clock = StringProperty("")
    training = BooleanProperty(False)
    ink = ListProperty(theme.THEME.text)  # the bar's text colour (dark on the training amber)


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
        elif key == "⌫":
            self._pin = self._pin[:-1]
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
            btn = Factory.ChoiceButton(text=text)
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


theme.load()
Builder.load_file(str(KV))
