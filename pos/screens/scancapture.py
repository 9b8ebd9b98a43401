"""Keyboard-wedge scans read at window level, whatever widget has the focus.

A USB scanner in keyboard mode "types" each code as a burst of key presses a few
milliseconds apart, then its suffix (Enter).  The capture reads the window's *key down*
events, which SDL sends whatever the state of text input (SDL turns text input off when a
text field lets the keyboard go, so ``on_textinput`` alone goes dead), times each key with
the operating system's time (:mod:`pos.screens.keystamps`: one slow frame never splits a
scan) and lets :class:`pos.hardware.wedge.WedgeBuffer` tell a scanner from a person.

A burst never reaches a focused text field: from its second key on, the keys are held back
(and the first one taken back out of the field); a scan goes to the screen's ``scan(code)``
once, and its suffix never validates the field.  Keys that were typing after all are given
back to the field.  Keys typed by hand with no text field focused, then Enter, are a code
too (a keyboard is a scanner's fallback).

Kivy calls a window event's handlers last bound first, and binds a text field's keyboard
again each time the field asks for it: the capture binds itself again after each request,
so it always sees a key before the field does.  There is one capture for the app: keys are
collected whatever screen shows, and a whole code goes to the screen on show.
"""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.modalview import ModalView
from kivy.uix.textinput import TextInput

from pos.hardware.wedge import KeyVerdict, WedgeBuffer
from pos.screens.keystamps import STAMPS

END_KEYS = {"enter": (13, 271), "tab": (9,), "none": ()}  # 271: the keypad's Enter
NUMPAD_DIGITS = range(256, 266)  # Kivy's codes of the keypad's 0-9
QUIET_S = 0.25  # s without a key (on the app's clock): held keys are shown, or a suffix-less code ends


def key_char(key: int, modifiers) -> str | None:
    """The character of a key down (before the system's layout is applied), or None."""
    if key in NUMPAD_DIGITS:
        return str(key - NUMPAD_DIGITS.start)
    if not 0x20 <= key <= 0xFF:
        return None  # control keys, and Kivy's codes for Shift, arrows, F-keys...
    ch = chr(key)
    if not ch.isprintable():
        return None
    if ch.isascii() and ch.isalpha() and (("shift" in modifiers) != ("capslock" in modifiers)):
        ch = ch.upper()
    return ch


class WindowScanCapture:
    """The one keyboard-wedge capture of the app: every key down of the window goes through
    it, timed, whatever screen shows (a scan typed just as *Valider* changes the screen
    is not cut in two).  A whole code goes to the screen taking scans (``attach``) if it is
    on show, else to ``App.scanned`` (which says the scan is ignored there)."""

    def __init__(self) -> None:
        self.target = None  # the screen taking scans (ScanCapturing), while it shows
        self.wedge = WedgeBuffer()
        self.suffix = "enter"
        self.typed = ""  # keys typed with no text field focused
        self._text_for_key = False  # the next text-input event is the last key's character
        self._hold_text = False
        self._quiet_ev = None
        self._installed = False
        self._burst_start = (0.0, "")  # the time of the first key of the burst being typed
        self._last_key = 0.0
        self.last_scan: dict | None = None  # the last code delivered: its first key's and its end's times

    # ---------------------------------------------------------------- set-up
    def attach(self, screen) -> None:
        """``screen`` shows and takes the scans (``screen.scan(code)``); the settings are read again."""
        from pos.core import settings

        self._install()
        self.target = screen
        config = (int(settings.get("scanner.gap_ms")), settings.get("scanner.prefix"), settings.get("scanner.suffix"))
        if config != (self.wedge.max_gap_ms, self.wedge.prefix, self.wedge.suffix):
            self.wedge = WedgeBuffer(max_gap_ms=config[0], prefix=config[1], suffix=config[2])
            self.suffix = config[2]

    def detach(self, screen) -> None:
        """``screen`` no longer shows: a burst begun on it is dropped."""
        if self.target is screen:
            self.target = None
            self.wedge.clear()
            self.typed = ""

    def _install(self) -> None:
        """Bind to the window's key events (once), in front of any text field's keyboard."""
        if self._installed or Window is None:
            return
        self._installed = True
        STAMPS.install()
        self._bind()
        request = Window.request_keyboard

        def request_keyboard(*args, **kw):  # Kivy binds the keyboard in front of us: go back in front
            keyboard = request(*args, **kw)
            self._bind()
            return keyboard

        Window.request_keyboard = request_keyboard

    def _bind(self) -> None:
        Window.unbind(on_key_down=self._key_down, on_textinput=self.text)
        Window.bind(on_key_down=self._key_down, on_textinput=self.text)

    # ---------------------------------------------------------------- where keys go
    def _ours(self) -> bool:
        """Keys typed in a popup are the popup's."""
        return not any(isinstance(w, ModalView) for w in Window.children)

    def _screen(self):
        app = App.get_running_app()
        return app.sm.current_screen if app is not None and getattr(app, "sm", None) is not None else None

    def _focused_field(self):
        """The focused text field of the screen on show, if any."""
        screen = self._screen()
        if screen is None:
            return None
        field = screen.scan_field() if hasattr(screen, "scan_field") else None
        if field is not None and field.focus:
            return field
        for widget in screen.walk(restrict=True):
            if isinstance(widget, TextInput) and widget.focus:
                return widget
        return None

    def _apply(self, verdict: KeyVerdict) -> None:
        if not (verdict.take_back or verdict.give_back):
            return
        field = self._focused_field()
        if field is None:
            return
        if verdict.take_back and field.text[:field.cursor_index()].endswith(verdict.take_back):
            for _ in verdict.take_back:
                field.do_backspace()
        if verdict.give_back:
            field.insert_text(verdict.give_back)

    def _target_shows(self) -> bool:
        target = self.target
        return target is not None and target.manager is not None and target.manager.current == target.name

    def _deliver(self, code: str) -> None:
        if self._target_shows():
            self.target.scan(code)
        else:  # a scan on a screen that takes none: App.scanned says it is ignored
            App.get_running_app().scanned(code)

    # ---------------------------------------------------------------- window events
    def _key_down(self, _window, key: int, scancode: int = 0, _codepoint=None, modifiers=()) -> bool | None:
        clock, t = STAMPS.take(scancode)  # always: the times stay in step with the keys
        return self.key(key, modifiers or (), t, clock)

    def key(self, key: int, modifiers, t: float, clock: str) -> bool | None:
        self._text_for_key = self._hold_text = False
        if not self._ours():
            self.wedge.clear()
            self.typed = ""
            return None
        if key in END_KEYS[self.suffix]:
            return self._end(self.wedge.end(t, clock), t)
        ch = key_char(key, modifiers)
        if ch is None:
            return None  # Shift and other keys without a character do not break a burst
        verdict = self.wedge.key(ch, t, clock)
        if not verdict.hold:
            self._burst_start = (t, clock)
        self._apply(verdict)
        self._last_key = t
        if self._focused_field() is None:
            self.typed += ch
        self._text_for_key, self._hold_text = True, verdict.hold
        if self._quiet_ev is not None:
            self._quiet_ev.cancel()
        self._quiet_ev = Clock.schedule_once(self._quiet, QUIET_S)
        return True if verdict.hold else None

    def text(self, _window, text: str) -> bool | None:
        """Text input (when SDL has it on): the character the last key typed, layout applied."""
        if not self._text_for_key:
            return None
        self._text_for_key = False
        self.wedge.retype(text)
        if self.typed and len(text) == 1:
            self.typed = self.typed[:-1] + text
        return True if self._hold_text else None

    def _quiet(self, _dt) -> None:
        self._quiet_ev = None
        if self._ours():
            verdict = self.wedge.quiet()
            if verdict.code is not None:
                self._end(verdict, self._last_key)
            else:
                self._apply(verdict)

    def _end(self, verdict: KeyVerdict, t: float) -> bool | None:
        typed, self.typed = self.typed.strip(), ""
        self._apply(verdict)
        if verdict.code is not None:
            first, clock = self._burst_start
            self.last_scan = {"code": verdict.code, "first_key": first, "end": t, "clock": clock}
            self._deliver(verdict.code)
            return True  # the focused field must not validate the same code again
        if typed and self._focused_field() is None and self._target_shows():
            self._deliver(typed)
            return True
        return None


CAPTURE = WindowScanCapture()
CAPTURE._install()  # from the start: a scan typed as the first screen taking scans opens is whole


class ScanCapturing:
    """A screen that takes keyboard-wedge scans while it shows: ``scan(code)``, and
    ``scan_field()`` for its text field that may receive a burst's characters."""

    _capture = None

    def scan_field(self):
        return None

    def on_enter(self, *_a) -> None:
        CAPTURE.attach(self)
        self._capture = CAPTURE

    def on_leave(self, *_a) -> None:
        CAPTURE.detach(self)
        self._capture = None
