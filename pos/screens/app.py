"""The Kivy application: a screen manager, lazily loaded screens, the status, toasts.

Screens are imported and built the first time they are shown (as in Kivy's
showcase demo), so start-up only pays for the login and sale screens.  Every screen
is a ``PosScreen`` (``pos/screens/base.py``); the status bar of each binds to the app's
``shop_name``, ``user_name``, ``clock_text`` (ticking every second) and ``training``.
The interface scales with the window (``theme.ui_scale``): a new size rebuilds the screens.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.config import Config  # noqa: E402

_size = os.environ.get("POS_WINDOW_SIZE", "1024x768").lower().split("x")
Config.set("graphics", "width", _size[0])
Config.set("graphics", "height", _size[1])
Config.set("kivy", "exit_on_escape", "0")
# touch screens: an on-screen keyboard docked at the bottom when a text field is touched
Config.set("kivy", "keyboard_mode", os.environ.get("POS_KEYBOARD", "systemanddock"))
if os.environ.get("POS_FULLSCREEN") == "1":  # a dedicated till: take the whole screen
    Config.set("graphics", "fullscreen", "auto")

from kivy.core.window import Window  # noqa: E402
from kivy.lang import Builder, global_idmap  # noqa: E402
from kivy.metrics import Metrics  # noqa: E402
from kivy.properties import BooleanProperty, ListProperty, StringProperty  # noqa: E402
from kivy.uix.floatlayout import FloatLayout  # noqa: E402
from kivy.uix.screenmanager import NoTransition, ScreenManager  # noqa: E402
from peewee import DatabaseError  # noqa: E402

from pos.core import i18n, settings  # noqa: E402
from pos.core.errors import Refusal, internal_error, is_database_trouble  # noqa: E402
from pos.core.i18n import N_, _  # noqa: E402
from pos.data import users  # noqa: E402
from pos.sale.till import NeedsManager, Till  # noqa: E402

log = logging.getLogger(__name__)
logging.getLogger("peewee").setLevel(logging.INFO)  # Kivy's root logger is DEBUG: no SQL in the logs
global_idmap["_"] = _

from pos.screens import theme, widgets  # noqa: E402,F401  (loads the theme and the shared kv rules)

SCREENS = {
    "setup": "SetupScreen",
    "login": "LoginScreen",
    "sale": "SaleScreen",
    "payment": "PaymentScreen",
    "history": "HistoryScreen",
    "config": "ConfigScreen",
    "closure": "ClosureScreen",
    "reports": "ReportsScreen",
}


class Root(FloatLayout):
    pass


Builder.load_string("""
<Root>:
    canvas.before:
        Color:
            rgba: theme.background
        Rectangle:
            pos: self.pos
            size: self.size
""")


STATUS_COLOURS = {  # the status bar's dots: green, grey (none), amber (not known yet), red (anything else)
    "ok": theme.THEME.dot_ok,
    "none": theme.THEME.dot_none,
    "unknown": theme.THEME.dot_wait,
    "connecting": theme.THEME.dot_wait,
}
RED = theme.THEME.dot_error
SCANNER_STATES = {"connected": N_("connected"), "disconnected": N_("unplugged or unreachable"),
                  "stopped": N_("stopped")}


class PosApp(App):
    title = "pos"
    # the status bar's dots: one colour and one explanation per device
    printer_colour = ListProperty(STATUS_COLOURS["none"])
    printer_message = StringProperty("")
    scanner_colour = ListProperty(STATUS_COLOURS["ok"])
    scanner_message = StringProperty("")
    web_colour = ListProperty(STATUS_COLOURS["none"])  # the automatic PrestaShop sync (pos/screens/sync.py)
    web_message = StringProperty("")
    # the status bar of every screen binds to these
    shop_name = StringProperty("")
    user_name = StringProperty("")
    clock_text = StringProperty("")
    training = BooleanProperty(False)

    def __init__(self, till: Till | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        # kv's ``app`` keeps the first running app until that app's on_stop event: a new PosApp
        # (the tests build one each) is the one the kv rules bind to from now on
        object.__setattr__(global_idmap["app"], "_obj", None)
        self._own_devices = till is None
        self.till = till or Till()
        self.serial_scanner = None
        self._statuses: dict[str, str] = {}
        self.sm: ScreenManager | None = None
        self.started_at = time.perf_counter()
        self._toast = None
        self._toast_ev = None
        self._toast_until = 0.0
        self._tick_ev = None
        self._rescale = Clock.create_trigger(lambda _dt: self.rescale(), 0.25)

    # ------------------------------------------------------------------ shell
    def build(self):
        lang = i18n.set_language(settings.get("ui.language"))
        Config.set("kivy", "keyboard_layout", "azerty" if lang == "fr" else "qwerty")  # on-screen keyboard
        self.root_widget = Root()
        self.sm = ScreenManager(transition=NoTransition())
        self.root_widget.add_widget(self.sm)
        Window.bind(on_request_close=self._on_close)
        from pos.screens.keyboard import DockedKeyboard

        Window.set_vkeyboard_class(DockedKeyboard)  # docked where the screen allows: never over PAYER
        self.set_scale()
        Window.bind(size=self._window_resized)
        self.tick()
        self._tick_ev = Clock.schedule_interval(self.tick, 1)
        self.till.on_status = lambda kind, status, message: Clock.schedule_once(
            lambda _dt: self.device_status(kind, status, message))
        self.start_devices()
        from pos.screens.backups import start_watch  # the daily backup, and its warnings

        self._backup_watch = start_watch(self)
        from pos.screens.sync import start_auto  # the automatic PrestaShop sync, if configured

        self._auto_sync = start_auto(self)
        self.show("setup" if users.is_empty_shop() else "login")
        from pos.screens import testhooks  # the real-display tests' hooks: off unless POS_TEST_LAYOUT is set

        testhooks.start_from_environment(self)
        return self.root_widget

    # ------------------------------------------------------------------ devices
    def start_devices(self) -> None:
        """(Re)build the printer, drawer, display and serial scanner from the settings."""
        from pos.hardware import NoPrinter, devices

        values = settings.all_values()
        if self._own_devices:
            built = devices.build(values)
            self.till.printer, self.till.drawer, self.till.display = built.printer, built.drawer, built.display
            for kind, message in built.problems.items():
                self.device_status(kind, "error", message)
        if isinstance(self.till.printer, NoPrinter):
            self.device_status("printer", "none", _("No receipt printer configured"))
        else:
            self.device_status("printer", "unknown", _("Printer: {url}").format(url=values["printer.url"]))
            check = getattr(self.till.printer, "status", None)
            if check is not None:  # ask the printer in the background (offline, paper, cover)
                self.till._device_job("printer", "printer_status", self._check_printer, None)
        self.start_scanner(values)

    def _check_printer(self) -> str:
        from pos.hardware import DeviceError
        from pos.hardware.printer import status_message

        status = self.till.printer.status()
        if status not in ("ok", "unknown"):
            raise DeviceError(status_message(status), status)
        return status

    def start_scanner(self, values: dict[str, str]) -> None:
        from pos.hardware.urls import parse

        if self.serial_scanner is not None:
            self.serial_scanner.stop()
            self.serial_scanner = None
        try:
            url = parse(values["scanner.url"], "scanner")
        except Refusal as exc:  # a DeviceURLError
            self.device_status("scanner", "error", str(exc))
            return
        if url.scheme == "serial":
            from pos.hardware.scanner import SerialScanner

            self.serial_scanner = SerialScanner(
                url, on_scan=lambda code: Clock.schedule_once(lambda _dt: self.scanned(code)),
                on_status=lambda status: Clock.schedule_once(
                    lambda _dt: self.device_status("scanner", "ok" if status == "connected" else "offline",
                                                   _("Scanner {url}: {status}").format(
                                                       url=url, status=_(SCANNER_STATES.get(status, status))))))
            self.device_status("scanner", "connecting", _("Scanner {url}: connecting").format(url=url))
            self.serial_scanner.start()
        elif url.scheme == "keyboard":
            self.device_status("scanner", "ok", _("Scanner: keyboard (USB HID) scanner or keyboard"))
        else:
            self.device_status("scanner", "none", _("No scanner configured"))

    def scanned(self, code: str) -> None:
        """A scan from a serial scanner, on the UI thread: to the screen on show."""
        from kivy.uix.modalview import ModalView

        screen = self.sm.current_screen if self.sm else None
        if any(isinstance(w, ModalView) for w in Window.children):
            self.toast(_("Scan ignored while a window is open: {code}").format(code=code), error=True)
        elif screen is not None:
            screen.scan(code)

    def device_status(self, kind: str, status: str, message: str) -> None:
        previous = self._statuses.get(kind)
        self._statuses[kind] = status
        colour = STATUS_COLOURS.get(status, RED)
        if kind == "printer":
            self.printer_colour, self.printer_message = colour, message or _("Printer: ready")
        elif kind == "scanner":
            self.scanner_colour, self.scanner_message = colour, message
        if status not in STATUS_COLOURS and message and status != previous:
            self.toast(message, error=True)  # once, when a device starts failing

    def screen(self, name: str):
        """The screen ``name``, built on first use."""
        assert self.sm is not None
        if not self.sm.has_screen(name):
            module = importlib.import_module(f"pos.screens.{name}")
            self.sm.add_widget(getattr(module, SCREENS[name])(name=name))
        return self.sm.get_screen(name)

    def show(self, name: str, **kw: Any):
        screen = self.screen(name)
        self.refresh_status()
        screen.prepare(**kw)
        self.sm.current = name
        return screen

    def reload_screens(self) -> None:
        """Rebuild every screen (after a language change or a new window size), showing
        the same thing on the current one."""
        old = self.sm.current_screen
        current, kw = self.sm.current, old.restore_kw()
        actor = getattr(old, "actor", None)  # a restricted screen's visit goes on
        self._on_close()  # the basket is saved before the sale screen goes
        i18n.set_language(settings.get("ui.language"))
        for s in list(self.sm.screens):
            s.shutdown()
            self.sm.remove_widget(s)
        if actor is not None:
            self.screen(current).actor = actor
        self.show(current, **kw)

    # ------------------------------------------------------------------ status and scale
    def status_texts(self) -> tuple[str, str]:
        return settings.get("shop.name") or "pos", self.who_text()

    def who_text(self) -> str:
        user = self.till.user
        if user is None:
            return ""
        return f"{user.name} ({_('manager') if user.is_manager else _('cashier')})"

    def refresh_status(self) -> None:
        """The status bar's shop and user (after a login, a logout, a settings change)."""
        self.shop_name, self.user_name = self.status_texts()
        self.training = bool(self.till.training)

    def tick(self, *_dt) -> None:
        """Every second: the clock, and who is at the till (cheap: no database)."""
        self.clock_text = self.now_hm()
        self.user_name = self.who_text()
        self.training = bool(self.till.training)

    @staticmethod
    def now_hm() -> str:
        return dt.datetime.now().strftime("%H:%M")

    def set_scale(self) -> bool:
        """dp and sp for the window's size (1 px at 1024×768, 1.41 at 1920×1080); True if it changed.
        A density forced through KIVY_METRICS_DENSITY is kept."""
        if os.environ.get("KIVY_METRICS_DENSITY"):
            return False
        scale = theme.ui_scale(*Window.size)
        if abs(Metrics.density - scale) < 0.01:
            return False
        Metrics.density = scale
        return True

    def _window_resized(self, *_a) -> None:
        self._rescale()

    def rescale(self) -> None:
        if self.sm is not None and self.set_scale():
            self.reload_screens()

    def _on_close(self, *_a) -> bool:
        try:
            self.till.persist()
        except DatabaseError:
            log.exception("could not save the basket on close")
        return False

    def on_stop(self) -> None:
        self._on_close()
        if self.serial_scanner is not None:
            self.serial_scanner.stop()
        if self._tick_ev is not None:
            self._tick_ev.cancel()
        if getattr(self, "_backup_watch", None) is not None:
            self._backup_watch.stop()
        if getattr(self, "_auto_sync", None) is not None:
            self._auto_sync.stop()
        self._rescale.cancel()
        Window.unbind(size=self._window_resized)
        self.hide_toast()
        if self.sm is not None:
            for screen in self.sm.screens:
                screen.shutdown()
        self.till.close()

    # ------------------------------------------------------------------ feedback
    def toast(self, message: str, error: bool = False, seconds: float = 3.0) -> None:
        """A message over everything, popups and their dimming included, for a few seconds."""
        from pos.screens.widgets import Toast

        if not message:
            return
        self.hide_toast()
        self._toast = Toast(text=message, error=error)
        self._toast.pos_hint = {"center_x": 0.5, "top": 0.9}
        Window.add_widget(self._toast)  # on the window, above the root and any popup open now
        if self._toast_ev:
            self._toast_ev.cancel()
        self._toast_until = time.monotonic() + seconds
        self._toast_ev = Clock.schedule_once(self._toast_expired, seconds)
        if error:
            self.beep()

    def _toast_expired(self, _dt: float) -> None:
        """Kivy counts a timeout from the last frame, not from now: a toast shown at the end
        of a slow step (a long fsync, a printer that stalls) would vanish at the next frame.
        It stays its full time, counted from when it was shown."""
        left = self._toast_until - time.monotonic()
        if left > 0.01:
            self._toast_ev = Clock.schedule_once(self._toast_expired, left)
        else:
            self.hide_toast()

    def raise_toast(self) -> None:
        """Bring the toast back above a popup opened after it."""
        toast = self._toast
        if toast is not None and toast.parent is Window and Window.children[0] is not toast:
            Window.remove_widget(toast)
            Window.add_widget(toast)

    def hide_toast(self) -> None:
        if self._toast is not None:
            if self._toast.parent is not None:
                self._toast.parent.remove_widget(self._toast)
            self._toast = None

    @property
    def toast_text(self) -> str:
        return self._toast.text if self._toast is not None else ""

    def beep(self) -> None:
        from kivy.core.audio import SoundLoader

        path = os.path.join(os.path.dirname(__file__), "..", "..", "assets", "beep.wav")
        if os.path.exists(path) and not os.environ.get("POS_NO_SOUND"):
            sound = SoundLoader.load(path)
            if sound:
                sound.play()

    def open_popup(self, popup) -> None:
        popup.open(animation=False)
        self.raise_toast()

    def guard(self, action: Callable[[], Any], on_done: Callable[[Any], None] | None = None) -> Any:
        """Run a till action: show a refusal as a toast, ask a manager's PIN when needed.

        The basket is never lost: a refusal changes nothing.  A database that is locked or
        full is a toast too; any other exception is a defect: logged with its traceback and
        shown as an internal error, never swallowed.
        """
        try:
            result = action()
        except NeedsManager as exc:
            from pos.screens.widgets import ask_manager

            self.toast(str(exc))
            ask_manager(lambda: self.guard(action, on_done), self.till, exc.action)
            return None
        except Refusal as exc:
            self.toast(str(exc), error=True)
            return None
        except Exception as exc:
            if is_database_trouble(exc):
                log.exception("database error")
                self.toast(_("Database error: {error}. The basket is kept.").format(error=exc), error=True)
            else:
                log.exception("internal error")
                self.toast(internal_error(exc), error=True)
            return None
        if on_done:
            on_done(result)
        return result



def run_app() -> None:
    """The till, between a "start" and a "stop" record of the fiscal journal."""
    from pos import __version__
    from pos.core.admin import record_start, record_stop

    record_start(__version__)
    try:
        PosApp().run()
    finally:
        record_stop()
