"""The managers' Hardware page (``PAGES['hardware']`` of the configuration): the receipt
printer, the cash drawer, the scanner and the customer display, set with pickers.

Each device is a card: how it is connected (toggles), then what that connection needs (a
serial port or a USB printer picked from what is plugged in, a network address and port,
the drawer's pin and pulse...), a Test button and the device's status.  The device URLs
are built from the pickers by :func:`pos.hardware.urls.build_url`; the URLs themselves
are shown only under *Advanced*.  Saving goes through ``pos.core.admin.set_settings``
with the visit's actor, then restarts the devices.

Discovery (``pos.hardware.discovery``) and the printer and display tests run as
background jobs (``pos.screens.background``): device I/O never runs on the UI thread.
The drawer is tested through ``Till.open_drawer_manually`` (a manager, logged), hence on
the saved settings.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

from pos.core import admin, settings
from pos.core.i18n import N_, _
from pos.hardware import DeviceError, discovery
from pos.hardware.urls import BAUD_RATES, DeviceURLError, build_url, parse
from pos.screens.app import RED, STATUS_COLOURS
from pos.screens.background import Background, JobState, mirror
from pos.screens.theme import THEME
from pos.screens.widgets import ChoicePopup, TextPopup

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

#: device -> (its URL setting, its connections)
DEVICES = {
    "printer": ("printer.url", (("none", N_("None")), ("tcp", N_("Network")), ("usb", N_("USB")),
                                ("serial", N_("Serial")), ("file", N_("Device file")))),
    "drawer": ("drawer.url", (("none", N_("None")), ("printer", N_("On the printer")), ("serial", N_("Serial")))),
    "scanner": ("scanner.url", (("keyboard", N_("USB (keyboard)")), ("serial", N_("Serial")), ("none", N_("None")))),
    "display": ("display.url", (("none", N_("None")), ("serial", N_("Serial")))),
}
DEFAULT_PARAMS = {("serial", "scanner"): {"baudrate": "9600", "suffix": "CR"}, ("serial", None): {"baudrate": "9600"},
                  ("printer", None): {"pin": "2", "pulse": "100"}}
PRINTER_KEYS = ("printer.profile", "printer.paper", "receipt.print")
SCANNER_KEYS = ("scanner.suffix", "scanner.prefix")  # on the keyboard scanner's card


def advanced_keys() -> list[str]:
    """The settings shown only under Advanced (besides the URLs): the printer's details and
    the scanner's largest gap between keys."""
    return [s.key for s in settings.SPECS if s.key in ("printer.columns", "printer.timeout", "printer.logo")
            or s.key == "scanner.gap_ms"]  # the scanner's prefix and suffix are on its card


class HwStatus(Label):
    colour = ListProperty(STATUS_COLOURS["none"])


class ModelPopup(ModalView):
    """Printer models from python-escpos's capabilities, with a search."""

    def __init__(self, done, **kw) -> None:
        super().__init__(**kw)
        self._done = done
        self.search("")

    def search(self, query: str) -> None:
        box = self.ids.models
        box.clear_widgets()
        models = discovery.printer_models(query)
        for m in models:
            btn = Factory.TillButton(text=m.label, size_hint_y=None, height="56dp")
            btn.bind(on_release=lambda _b, m=m: (self.dismiss(animation=False), self._done(m)))
            box.add_widget(btn)
        self.ids.empty.text = "" if models else _("No model matches: try the maker's name, or Epson")


class HardwarePage(JobState, BoxLayout):
    """Built with the ConfigScreen; ``values`` holds the form, saved all at once."""

    form_error = StringProperty("")  # why the form cannot be saved (shown above the discovery's status)

    def __init__(self, config_screen, **kw) -> None:
        super().__init__(**kw)
        self.config_screen = config_screen
        self.app = App.get_running_app()
        self.form = self.ids.form.__self__
        keys = [DEVICES[k][0] for k in DEVICES] + list(PRINTER_KEYS) + list(SCANNER_KEYS) + advanced_keys()
        saved = settings.all_values()
        self.values: dict[str, str] = {k: saved[k] for k in keys}
        self.parts = {kind: dataclasses.asdict(self._parse(kind)) for kind in DEVICES}
        self.memory: dict[tuple[str, str], dict[str, Any]] = {}  # the parts of a connection left, to come back to
        self.errors: dict[str, str] = {}
        self.found = discovery.Discovery()
        self.cards: dict[str, Any] = {}
        self.statuses: dict[str, HwStatus] = {}
        self.status_of: dict[str, tuple[list[float], str]] = {}  # kind -> (colour, text), kept across rebuilds
        self.tests: dict[str, Any] = {}
        self.fields: dict[str, Any] = {}  # the advanced fields, by setting
        self.inputs: dict[tuple[str, str], Any] = {}  # the cards' typed parts: (device, part) -> field
        self.finder = Background("pos-hardware-discovery", expected=(OSError,))
        self.tester = Background("pos-hardware-test", expected=(OSError, DeviceError))
        self._unmirror = mirror(self.finder, self)
        self._group = f"hw_{id(self)}"
        for kind in DEVICES:
            self.cards[kind] = Factory.HwCard()
            self.form.add_widget(self.cards[kind])
            self.build_card(kind)
        self.build_advanced()
        self.app.bind(printer_message=self._app_status, scanner_message=self._app_status)
        self.discover()

    def on_parent(self, _widget, parent) -> None:
        if parent is None:
            self._unmirror()
            self.app.unbind(printer_message=self._app_status, scanner_message=self._app_status)

    def _parse(self, kind: str):
        try:
            return parse(self.values[DEVICES[kind][0]], kind)
        except DeviceURLError:  # an old database: shown as it is under Advanced
            return parse("none", kind)

    # ------------------------------------------------------------------ discovery
    def discover(self) -> None:
        def done(found: discovery.Discovery) -> None:
            self.found = found
            counts = _("Found: serial ports {ports} · USB printers {usb} · printer device files {files}").format(
                ports=len(found.ports), usb=len(found.usb), files=len(found.files))
            self.finder.set_status(" · ".join([counts, *found.problems]), error=bool(found.problems))
            for kind in DEVICES:  # the pickers' labels name what was found (not under the typing)
                if self.parts[kind]["scheme"] in ("usb", "serial", "file") and not self._typing(kind):
                    self.build_card(kind)

        self.finder.start(_("Looking for devices…"), lambda _job: discovery.discover(), done, cancellable=False)

    # ------------------------------------------------------------------ the cards
    def build_card(self, kind: str) -> None:
        key, connections = DEVICES[kind]
        card = self.cards[kind]
        card.clear_widgets()
        card.add_widget(Factory.HwHeading(text=_(settings.BY_KEY[key].label)))
        scheme = self.parts[kind]["scheme"]
        row = Factory.HwRow()
        for value, label in connections:
            toggle = Factory.HwToggle(text=_(label), group=f"{self._group}_{kind}",
                                      state="down" if value == scheme else "normal")
            toggle.bind(on_release=lambda _b, v=value: self.set_scheme(kind, v))
            row.add_widget(toggle)
        card.add_widget(row)
        getattr(self, f"_parts_{scheme}")(card, kind)
        if kind == "printer":
            self._printer_options(card)
        test = Factory.TillButton(text=_("Open drawer") if kind == "drawer" else _("Test"), size_hint_x=0.3,
                                  bg=THEME.info)
        test.bind(on_release=lambda _b: self.test(kind))
        test.disabled = scheme == "none"
        status = HwStatus()
        self.statuses[kind], self.tests[kind] = status, test
        bottom = Factory.HwRow(height="64dp")
        bottom.add_widget(test)
        bottom.add_widget(status)
        status.bind(height=lambda _w, h: setattr(bottom, "height", max(h, dp(64))))
        card.add_widget(bottom)
        if kind in self.status_of:
            status.colour, status.text = self.status_of[kind]
        else:
            self._show(kind, *self._current_status(kind))
        self._refresh(kind)

    def _typing(self, kind: str) -> bool:
        return any(field.focus for (k, _part), field in self.inputs.items() if k == kind)

    def _row(self, label: str, *widgets) -> BoxLayout:
        row = Factory.HwRow()
        row.add_widget(Factory.HwLabel(text=label))
        for w in widgets:
            row.add_widget(w)
        return row

    def _field(self, kind: str, part: str, text: str, **kw):
        field = Factory.HwField(text=text, **kw)
        field.bind(text=lambda _w, t: self.set_part(kind, part, t))
        self.inputs[kind, part] = field
        return field

    def _pick_button(self, text: str, action):
        btn = Factory.TillButton(text=text)
        btn.bind(on_release=lambda _b: action())
        return btn

    def _parts_none(self, card, kind: str) -> None:
        card.add_widget(Factory.HwText(text=_("Not used.") if kind != "printer" else
                                       _("No receipt printer: the till does not offer to print receipts.")))

    def _parts_keyboard(self, card, _kind: str) -> None:
        card.add_widget(Factory.HwText(text=_("A USB scanner in keyboard mode types each code quickly, then a key: "
                                              "choose the one it sends (Enter is the factory setting). Scan a "
                                              "code with Test.")))
        self._choices(card, _("End of a code"), [("enter", _("Enter")), ("tab", _("Tab")), ("none", _("Nothing"))],
                      self.values["scanner.suffix"], lambda v: self.set_value("scanner.suffix", v))
        prefix = Factory.HwField(text=self.values["scanner.prefix"], hint_text=_("none"))
        prefix.bind(text=lambda w, t: self.typed("scanner.prefix", w, t))
        card.add_widget(self._row(_("Prefix"), prefix))

    def _parts_tcp(self, card, kind: str) -> None:
        p = self.parts[kind]
        card.add_widget(self._row(_("Address"), self._field(kind, "host", p["host"], hint_text="192.168.1.50"),
                                  Factory.HwLabel(text=_("Port"), size_hint_x=0.12),
                                  self._field(kind, "port", str(p["port"] or 9100), input_filter="int",
                                              size_hint_x=0.2)))

    def _parts_usb(self, card, kind: str) -> None:
        p = self.parts[kind]
        ids = f"{p['vendor']:04x}:{p['product']:04x}"
        known = next((u for u in self.found.usb if u.ids == ids), None)
        text = known.label if known else (ids if p["vendor"] or p["product"] else _("Choose…"))
        card.add_widget(self._row(_("USB printer"), self._pick_button(text, self.pick_usb)))

    def _parts_serial(self, card, kind: str) -> None:
        p = self.parts[kind]
        card.add_widget(self._row(_("Port"), self._pick_button(p["path"] or _("Choose…"),
                                                               lambda: self.pick_path(kind, ports=True))))
        baud = p["params"].get("baudrate", "9600")
        card.add_widget(self._row(_("Baud rate"), self._pick_button(baud, lambda: self.pick_baud(kind))))
        if kind == "scanner":
            self._choices(card, _("End of a code"), [(s, s) for s in ("CR", "LF", "CRLF")],
                          p["params"].get("suffix", "CR"), lambda v: self.set_param(kind, "suffix", v))

    def _parts_file(self, card, kind: str) -> None:
        card.add_widget(self._row(_("Device file"), self._pick_button(
            self.parts[kind]["path"] or _("Choose…"), lambda: self.pick_path(kind, ports=False))))

    def _parts_printer(self, card, kind: str) -> None:
        params = self.parts[kind]["params"]
        self._choices(card, _("Pin"), [("2", _("Pin 2")), ("5", _("Pin 5"))], params.get("pin", "2"),
                      lambda v: self.set_param(kind, "pin", v))
        card.add_widget(self._row(_("Pulse (ms)"), self._field(kind, "pulse", params.get("pulse", "100"),
                                                               input_filter="int", size_hint_x=0.25),
                                  Factory.HwLabel(text=_("10 to 510 ms"), size_hint_x=0.45)))
        card.add_widget(Factory.HwText(text=_("Most drawers open on pin 2; if yours does not, try pin 5 or a "
                                              "longer pulse (200 ms).")))
        if self.parts["printer"]["scheme"] == "none":
            card.add_widget(Factory.HwText(text=_("A drawer on the printer needs a receipt printer."),
                                           color=THEME.amount_text))

    def _choices(self, card, label: str, choices, current: str, choose) -> None:
        group = f"{self._group}_{label}"
        toggles = []
        for value, text in choices:
            toggle = Factory.HwToggle(text=text, group=group, state="down" if value == current else "normal")
            toggle.bind(on_release=lambda _b, v=value: choose(v))
            toggles.append(toggle)
        card.add_widget(self._row(label, *toggles))

    def _printer_options(self, card) -> None:
        model = discovery.model(self.values["printer.profile"])
        card.add_widget(self._row(_("Model"), self._pick_button(
            model.label if model else self.values["printer.profile"], self.pick_model)))
        self._choices(card, _("Paper"), [("58", "58 mm"), ("80", "80 mm")], self.values["printer.paper"],
                      lambda v: self.set_value("printer.paper", v))
        self._choices(card, _("Receipt"), [("ask", _("On request")), ("always", _("Always"))],
                      self.values["receipt.print"], lambda v: self.set_value("receipt.print", v))

    # ------------------------------------------------------------------ pickers
    def pick_usb(self) -> None:
        choices = [(u.label, u) for u in self.found.usb] + [(_("Type the ids (lsusb)…"), None)]

        def chosen(printer) -> None:
            if printer is None:
                self.app.open_popup(TextPopup(_("USB ids, e.g. 04b8:0e15"), typed, hint="04b8:0e15"))
            else:
                self.set_parts("printer", vendor=printer.vendor, product=printer.product)

        def typed(text: str) -> None:
            try:
                url = parse(f"usb://{text.strip()}", "printer")
            except DeviceURLError as exc:
                self.app.toast(str(exc), error=True)
                return
            self.set_parts("printer", vendor=url.vendor, product=url.product)

        self.app.open_popup(ChoicePopup(_("USB printer") if self.found.usb else _("No USB printer found"),
                                        choices, chosen))

    def pick_path(self, kind: str, ports: bool) -> None:
        items = [(p.label, p.path) for p in self.found.ports] if ports else [(f, f) for f in self.found.files]
        title = _("Serial port") if ports else _("Device file")

        def chosen(path) -> None:
            if path is None:
                self.app.open_popup(TextPopup(title, lambda t: self.set_parts(kind, path=t.strip()),
                                              hint="/dev/ttyUSB0" if ports else "/dev/usb/lp0"))
            else:
                self.set_parts(kind, path=path)

        self.app.open_popup(ChoicePopup(title, items + [(_("Type the path…"), None)], chosen))

    def pick_baud(self, kind: str) -> None:
        self.app.open_popup(ChoicePopup(_("Baud rate"), [(str(b), str(b)) for b in BAUD_RATES],
                                        lambda b: self.set_param(kind, "baudrate", b)))

    def pick_model(self) -> None:
        def chosen(model: discovery.PrinterModel) -> None:
            self.values["printer.profile"] = model.profile
            if model.paper:
                self.values["printer.paper"] = model.paper
            self.build_card("printer")

        self.app.open_popup(ModelPopup(chosen))

    # ------------------------------------------------------------------ the form's state
    def set_scheme(self, kind: str, scheme: str) -> None:
        parts = self.parts[kind]
        if parts["scheme"] != scheme:
            self.memory[kind, parts["scheme"]] = parts
            params = DEFAULT_PARAMS.get((scheme, kind)) or DEFAULT_PARAMS.get((scheme, None)) or {}
            self.parts[kind] = self.memory.get((kind, scheme)) or {
                "scheme": scheme, "host": "", "port": None, "path": "", "vendor": 0, "product": 0,
                "params": dict(params)}
        self.build_card(kind)
        if kind == "printer" and "drawer" in self.cards:  # the drawer's hint follows the printer
            self.build_card("drawer")

    def set_parts(self, kind: str, **parts) -> None:
        self.parts[kind].update(parts)
        self.build_card(kind)

    def set_param(self, kind: str, name: str, value: str) -> None:
        self.parts[kind]["params"][name] = value
        self.build_card(kind)

    def set_part(self, kind: str, part: str, text: str) -> None:
        """A typed part (address, port, pulse): the URL follows, the card stays (and its focus)."""
        if part == "pulse":
            self.parts[kind]["params"]["pulse"] = text.strip()
        else:
            self.parts[kind][part] = (int(text) if text.strip().isdigit() else None) if part == "port" else text
        self._refresh(kind)

    def set_value(self, key: str, value: str) -> None:
        self.values[key] = value
        if key in self.fields and self.fields[key].text != value:
            self.fields[key].text = value

    def _refresh(self, kind: str) -> None:
        """The URL of ``kind`` from its parts, or the reason it cannot be built."""
        key, parts = DEVICES[kind][0], self.parts[kind]
        missing = {"tcp": not str(parts["host"]).strip() and _("type the printer's address"),
                   "usb": not (parts["vendor"] or parts["product"]) and _("choose the USB printer"),
                   "serial": not parts["path"] and _("choose the serial port"),
                   "file": not parts["path"] and _("choose the device file")}.get(parts["scheme"])
        try:
            if missing:
                raise DeviceURLError(missing)
            url = build_url(kind, **parts)
        except DeviceURLError as exc:
            self.errors[key] = str(exc)
        else:
            self.errors.pop(key, None)
            self.values[key] = url
            field = self.fields.get(key)
            if field is not None and field.text != url and not field.focus:  # never under the typing
                field.text = url
        self._show_errors()

    def _show_errors(self) -> None:
        key, error = next(iter(self.errors.items()), ("", ""))
        self.form_error = f"{_(settings.BY_KEY[key].label)}: {error}" if key else ""

    # ------------------------------------------------------------------ advanced
    def build_advanced(self) -> None:
        box = Factory.HwCard()
        toggle = Factory.ToggleButton(text=_("Advanced: URLs and details"), size_hint_y=None, height="52dp",
                                      font_size="17sp")
        toggle.bind(state=lambda _t, state: self.form.add_widget(box) if state == "down"
                    else self.form.remove_widget(box))
        self.advanced_toggle, self.advanced_box = toggle, box
        self.form.add_widget(toggle)
        box.add_widget(Factory.HwText(text=_("Printer: tcp://HOST:9100, serial:///dev/ttyS0?baudrate=19200, "
                                             "usb://04b8:0e15, file:///dev/usb/lp0 or none. Drawer: "
                                             "printer?pin=2&pulse=100 or a serial URL. Scanner: keyboard or "
                                             "serial:///dev/ttyACM0?baudrate=9600.")))
        for key in [DEVICES[k][0] for k in DEVICES] + advanced_keys():
            field = Factory.HwField(text=self.values[key])
            field.bind(text=lambda w, t, k=key: self.typed(k, w, t))
            self.fields[key] = field
            row = Factory.HwRow()
            row.add_widget(Factory.HwLabel(text=_(settings.BY_KEY[key].label), size_hint_x=0.4))
            row.add_widget(field)
            box.add_widget(row)

    def typed(self, key: str, widget, text: str) -> None:
        """A URL or detail typed under Advanced: checked as you type; a valid URL sets the pickers."""
        if self.values.get(key) == text and key not in self.errors:
            return
        try:
            value = settings.validate(key, text)
        except settings.SettingError as exc:
            self.errors[key] = str(exc)
            widget.error = True
            self._show_errors()
            return
        widget.error = False
        self.errors.pop(key, None)
        self.values[key] = text
        kind = next((k for k, (url_key, _c) in DEVICES.items() if url_key == key), None)
        if kind is not None:
            self.parts[kind] = dataclasses.asdict(parse(value, kind))
            self.build_card(kind)
        self._show_errors()

    # ------------------------------------------------------------------ save
    def save(self) -> None:
        if self.errors:
            self._show_errors()
            self.app.toast(_("Not saved: {error}").format(error=self.form_error), error=True)
            return
        # a refusal is a toast; a manager's PIN, when asked, replays the save
        self.app.guard(lambda: admin.set_settings(self.config_screen.acting("settings"), dict(self.values)),
                       on_done=lambda _r: self._saved())

    def _saved(self) -> None:
        self.app.start_devices()  # the till's devices follow the new settings
        self.status_of.clear()
        for kind in DEVICES:
            self._show(kind, *self._current_status(kind))
        self.app.toast(_("Saved"))

    def unsaved(self) -> bool:
        saved = settings.all_values()
        return any(saved[k] != v for k, v in self.values.items())

    # ------------------------------------------------------------------ tests and status
    def test(self, kind: str) -> None:
        if kind == "drawer" or kind == "scanner":
            if self.unsaved():
                self.app.toast(_("Save first, then test"), error=True)
                return
            if kind == "scanner":
                self.config_screen.open_section("scanner")
                return
            self.show_status("drawer", "connecting", _("Opening the drawer…"))
            self.app.guard(lambda: self.app.till.open_drawer_manually(
                done=lambda job: Clock.schedule_once(lambda _dt: self._drawer_done(job))))
            return
        if self.errors.get(DEVICES[kind][0]):
            self._show_errors()
            return
        values = {**settings.all_values(), **self.values}
        if kind == "printer":
            work, what = (lambda _job: discovery.try_printer(values)), _("Printing a test page…")
        else:
            work, what = (lambda _job: discovery.try_display(values["display.url"])), _("Writing on the display…")

        def done(result: str | None) -> None:
            if result == "unknown":
                self.show_status(kind, "unknown", _("Sent; this printer cannot report its state: check the paper"))
            else:
                self.show_status(kind, "ok", _("Test page printed") if kind == "printer" else _("Display test sent"))

        self.show_status(kind, "connecting", what)
        if not self.tester.start(what, work, done, cancellable=False,
                                 failed=lambda message: self.show_status(kind, "error", message)):
            self.app.toast(_("A test is already running"), error=True)

    def _drawer_done(self, job) -> None:
        if job.error:
            self.show_status("drawer", getattr(job.error, "status", "error"), str(job.error))
        else:
            self.show_status("drawer", "ok", _("Drawer opened (logged)"))

    def _current_status(self, kind: str) -> tuple[list[float], str]:
        """The colour and text of the till's own device (the saved settings)."""
        if kind == "printer":
            return list(self.app.printer_colour), self.app.printer_message
        if kind == "scanner":
            return list(self.app.scanner_colour), self.app.scanner_message
        if parse_or_none(settings.get(DEVICES[kind][0]), kind) == "none":
            return STATUS_COLOURS["none"], _("Not configured")
        status, message = self.app.till.device_status.get(kind, ("unknown", ""))
        return STATUS_COLOURS.get(status, RED), message or _("Not tested yet")

    def _app_status(self, *_a) -> None:
        for kind in ("printer", "scanner"):
            if kind in self.statuses:
                self._show(kind, *self._current_status(kind))

    def show_status(self, kind: str, status: str, message: str) -> None:
        self._show(kind, STATUS_COLOURS.get(status, RED), message)

    def _show(self, kind: str, colour: list[float], message: str) -> None:
        self.status_of[kind] = (colour, message)
        label = self.statuses.get(kind)
        if label is not None:
            label.colour, label.text = colour, message


def parse_or_none(text: str, kind: str) -> str:
    """The scheme of a stored URL; "none" when it cannot be read."""
    try:
        return parse(text, kind).scheme
    except DeviceURLError:
        return "none"
