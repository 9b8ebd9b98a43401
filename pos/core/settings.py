"""Known settings, their defaults and their validation.

The config pages and ``pos config set`` both go through ``set_value``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pos.core.actions import fault_point
from pos.core.errors import Refusal
from pos.core.i18n import N_, _
from pos.data import common, events
from pos.data import config as config_db


class SettingError(Refusal):
    pass


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def check_siret(value: str) -> str:
    value = re.sub(r"\s", "", value)
    if not value:
        return value
    if not re.fullmatch(r"\d{14}", value):
        raise SettingError(_("a SIRET has 14 digits"))
    # La Poste's establishments use a different rule (sum of digits divisible by 5)
    if value.startswith("356000000"):
        if sum(int(c) for c in value) % 5:
            raise SettingError(_("this SIRET is not valid (check digit)"))
    elif not luhn_ok(value):
        raise SettingError(_("this SIRET is not valid (check digit)"))
    return value


def check_vat_number(value: str) -> str:
    value = re.sub(r"\s", "", value).upper()
    if not value:
        return value
    m = re.fullmatch(r"FR([0-9A-Z]{2})(\d{9})", value)
    if not m:
        raise SettingError(_("a French VAT number is FR, a 2-character key and the 9-digit SIREN"))
    key, siren = m.groups()
    if key.isdigit() and int(key) != (12 + 3 * (int(siren) % 97)) % 97:
        raise SettingError(_("this VAT number does not match its SIREN (key)"))
    return value


def check_text(limit: int, required: bool = False) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip()
        if required and not value:
            raise SettingError(_("this field is required"))
        if len(value) > limit:
            raise SettingError(_("at most {n} characters").format(n=limit))
        return value
    return check


def check_percent(value: str) -> str:
    value = value.strip().rstrip("%").strip()
    if not value.isdigit() or int(value) > 100:
        raise SettingError(_("a whole percentage between 0 and 100"))
    return str(int(value))


def check_int(low: int, high: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip()
        if not value.isdigit() or not low <= int(value) <= high:
            raise SettingError(_("a whole number from {low} to {high}").format(low=low, high=high))
        return str(int(value))
    return check


def check_profile(value: str) -> str:
    """A python-escpos printer model speaking ESC/POS (Star Line mode is not ESC/POS)."""
    from pos.hardware.escpos_render import CAPABILITIES, profile_names

    value = value.strip()
    names = profile_names()
    if value not in names:
        raise SettingError(_("unknown printer model; known models: {names}").format(names=", ".join(names)))
    if "star" in str(CAPABILITIES["profiles"][value].get("vendor", "")).lower():
        raise SettingError(_("Star printers must be set to ESC/POS (Epson) emulation: choose an Epson model "
                             "such as TM-T20II"))
    return value


def check_device(kind: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        from pos.hardware.urls import parse

        try:
            return str(parse(value, kind))
        except Refusal as exc:  # a DeviceURLError
            raise SettingError(str(exc)) from exc
    return check


def check_shop_url(value: str) -> str:
    """The PrestaShop shop's address, with or without scheme or path: stored as its /api/ base."""
    value = value.strip()
    if not value:
        return ""
    from pos.sync.client import normalise_base_url

    try:
        return normalise_base_url(value)
    except ValueError as exc:
        raise SettingError(str(exc)) from exc


def check_ws_key(value: str) -> str:
    value = value.strip()
    if value and not re.fullmatch(r"[A-Za-z0-9]{32}", value):
        raise SettingError(_("a webservice key has 32 letters and digits"))
    return value


def check_id_list(value: str) -> str:
    """``2, 3,4`` → ``2,3,4``: PrestaShop ids (order states)."""
    ids = [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    if not all(v.isdigit() for v in ids):
        raise SettingError(_("a list of numbers separated by commas, e.g. 2,3,4,5"))
    return ",".join(ids)


def check_optional_int(value: str) -> str:
    value = value.strip()
    if value and not value.isdigit():
        raise SettingError(_("a whole number, or nothing"))
    return value


def check_sync_mode(value: str) -> str:
    """``stock`` (the default: POS sales pushed as stock deltas) or ``orders`` (sent as PrestaShop orders)."""
    value = value.strip()
    if value not in ("stock", "orders"):
        raise SettingError(_("expected one of: {choices}").format(choices="stock, orders"))
    return value


def check_choice(*choices: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip()
        if value not in choices:
            raise SettingError(_("expected one of: {choices}").format(choices=", ".join(choices)))
        return value
    return check


def check_scan_prefix(value: str) -> str:
    """What a keyboard-wedge scanner types before each code: a few printable characters."""
    if len(value) > 8 or not all(0x20 < ord(c) < 0x7F for c in value):
        raise SettingError(_("at most 8 printable characters, without spaces"))
    return value


TILL_FIELDS = ("name", "price", "ean", "category", "stock", "active")


def check_till_fields(value: str) -> str:
    """A comma-separated subset of ``TILL_FIELDS`` (the fields the till owns), normalised."""
    names = [p.strip().lower() for p in value.split(",") if p.strip()]
    bad = [n for n in names if n not in TILL_FIELDS]
    if bad:
        raise SettingError(_("unknown fields {fields}: expected some of {choices}").format(
            fields=", ".join(bad), choices=", ".join(TILL_FIELDS)))
    return ",".join(n for n in TILL_FIELDS if n in names)


@dataclass(frozen=True)
class Spec:
    key: str
    label: str
    default: str
    check: Callable[[str], str]
    multiline: bool = False
    translated: bool = False  # the default is text for people (N_), shown in the user's language
    secret: bool = False  # kept in a 0600 file next to the database, never shown, logged or exported


SPECS: list[Spec] = [
    Spec("shop.name", N_("Shop name"), "", check_text(64, required=True)),
    Spec("shop.address", N_("Address"), "", check_text(300), multiline=True),
    Spec("shop.phone", N_("Phone"), "", check_text(30)),
    Spec("shop.siret", N_("SIRET"), "", check_siret),
    Spec("shop.vat_number", N_("VAT number"), "", check_vat_number),
    Spec("receipt.header", N_("Receipt header"), "", check_text(500), multiline=True),
    Spec("receipt.footer", N_("Receipt footer"), N_("Thank you for your visit!"), check_text(500), translated=True,
         multiline=True),
    Spec("till.name", N_("Till name"), "Caisse 1", check_text(30, required=True)),
    Spec("till.cashier_max_discount", N_("Largest discount a cashier may give (%)"), "20", check_percent),
    Spec("ui.language", N_("Language"), "auto", check_choice("auto", "fr", "en")),
    # hardware (see pos/hardware/urls.py and the README's Hardware section)
    Spec("printer.url", N_("Receipt printer"), "none", check_device("printer")),
    Spec("printer.profile", N_("Printer model (python-escpos profile)"), "TM-T20II", check_profile),
    Spec("printer.paper", N_("Paper width (mm)"), "80", check_choice("58", "80")),
    Spec("printer.columns", N_("Characters per line"), "48", check_int(24, 64)),
    Spec("printer.logo", N_("Logo image file (optional)"), "", check_text(300)),
    Spec("printer.timeout", N_("Printer timeout (s)"), "10", check_int(1, 120)),
    Spec("receipt.print", N_("Print the receipt"), "ask", check_choice("ask", "always")),
    Spec("drawer.url", N_("Cash drawer"), "printer?pin=2&pulse=100", check_device("drawer")),
    Spec("scanner.url", N_("Barcode scanner"), "keyboard", check_device("scanner")),
    Spec("scanner.gap_ms", N_("Largest gap between a scanner's keys (ms)"), "50", check_int(5, 500)),
    Spec("scanner.prefix", N_("Characters the scanner sends before each code (optional)"), "", check_scan_prefix),
    Spec("scanner.suffix", N_("Key the scanner sends after each code"), "enter", check_choice("enter", "tab", "none")),
    Spec("display.url", N_("Customer display"), "none", check_device("display")),
    Spec("prestashop.url", N_("PrestaShop shop address"), "", check_shop_url),
    Spec("prestashop.key", N_("PrestaShop webservice key"), "", check_ws_key, secret=True),
    # the sync's options (seed 002: Config > General options > Orders)
    Spec("prestashop.language", N_("Language of the article names (PrestaShop language id; empty: the shop's)"),
         "", check_optional_int),
    Spec("prestashop.order_states", N_("Order states imported as sales (ids)"), "2,3,4,5", check_id_list),
    Spec("prestashop.mode", N_("POS sales on PrestaShop: stock only, or as orders"), "stock", check_sync_mode),
    Spec("prestashop.order_module", N_("Payment module of the orders sent by the till (mode orders)"),
         "ps_checkpayment", check_text(64)),
    Spec("prestashop.shipping_article", N_("Article for shipping fees (reference)"), "PORT", check_text(64)),
    Spec("prestashop.department", N_("Department of new articles (empty: the product's default category)"), "",
         check_text(64)),
    Spec("prestashop.id_shop", N_("PrestaShop shop id (multistore; empty: the default shop)"), "",
         check_optional_int),
    # safety limits of the client (pos/sync/client.py): a larger answer or a longer run is stopped
    Spec("prestashop.max_response_mb", N_("Largest answer accepted from the shop (MB)"), "50", check_int(1, 2000)),
    Spec("prestashop.run_minutes", N_("Longest synchronisation run (minutes)"), "60", check_int(1, 1440)),
    # both ways (pos/sync/push.py, order_refunds.py, auto.py)
    Spec("prestashop.till_fields", N_("Fields the till owns (name, price, ean, category, stock, active): "
                                      "pushed to the shop, never pulled"), "", check_till_fields),
    Spec("prestashop.new_inactive", N_("Products published from the till start inactive on the shop"), "1",
         check_choice("0", "1")),
    Spec("prestashop.cancel_states", N_("Order states that refund an imported web order (ids)"), "6,7",
         check_id_list),
    Spec("prestashop.imported_state", N_("Move imported orders to this state (id; empty: leave them)"), "",
         check_optional_int),
    Spec("prestashop.auto_minutes", N_("Automatic sync every (minutes, 0: off)"), "5", check_int(0, 1440)),
    Spec("stock.low_default", N_("Low stock below or at (units, for articles without their own threshold)"), "2",
         check_int(0, 1_000_000)),
    Spec("vouchers.validity_days", N_("Credit notes and gift vouchers valid for (days, 0: no expiry)"), "365",
         check_int(0, 3660)),
    Spec("backup.folder", N_("Backup folder (a USB stick or a network share)"), "", check_text(500)),
    Spec("backup.keep_days", N_("Daily backups kept (days)"), "14", check_int(1, 365)),
    Spec("backup.keep_months", N_("Monthly backups kept (months)"), "72", check_int(0, 240)),
    Spec("backup.warn_hours", N_("Warn when the last good backup is older than (hours)"), "26",
         check_int(1, 720)),
]
SECRET_SHOWN = "********"
BY_KEY = {s.key: s for s in SPECS}


def get(key: str) -> str:
    spec = BY_KEY.get(key)
    if spec is None:
        raise SettingError(_("unknown setting {key}").format(key=key))
    if spec.secret:
        return SECRET_SHOWN if secret(key) else ""
    value = config_db.get_setting(key)
    return _default(spec) if value is None else value


def secret(key: str) -> str:
    """The value of a secret setting (for the code that uses it; never shown)."""
    from pos.data.secrets import read_secret

    return read_secret(key.replace(".", "-"))


def all_values() -> dict[str, str]:
    stored = config_db.all_settings()
    return {s.key: get(s.key) if s.secret else stored[s.key] if s.key in stored else _default(s) for s in SPECS}


def _default(spec: Spec) -> str:
    """A default value; only texts for people are translated (a device URL "none" is not a word)."""
    return _(spec.default) if spec.translated and spec.default else spec.default


def validate(key: str, value: str) -> str:
    spec = BY_KEY.get(key)
    if spec is None:
        raise SettingError(_("unknown setting {key}").format(key=key))
    return spec.check(value)


def set_value(key: str, value: str, user_name: str = "") -> str:
    """Validate and store; logs the change.  Returns the stored (normalised) value."""
    clean = validate(key, value)
    if BY_KEY[key].secret:  # in its own file; the log says that it changed, never what it is
        from pos.data.secrets import write_secret

        write_secret(key.replace(".", "-"), clean)
        events.log_event("setting_changed", user_name, key=key, old="", new=SECRET_SHOWN if clean else "")
        return SECRET_SHOWN if clean else ""
    old = get(key)
    with common.atomic():
        config_db.set_setting(key, clean)
        if old != clean:
            fault_point("before_event")
            events.log_event("setting_changed", user_name, key=key, old=old, new=clean)
    return clean


def set_many(values: dict[str, str], user_name: str = "") -> None:
    """Validate everything first, then store all or nothing (a secret left as shown is unchanged)."""
    def is_secret(key: str) -> bool:
        spec = BY_KEY.get(key)
        return spec is not None and spec.secret

    values = {k: v for k, v in values.items() if not (is_secret(k) and v == SECRET_SHOWN)}
    secrets = {k: values.pop(k) for k in list(values) if is_secret(k)}
    clean = {k: validate(k, v) for k, v in values.items()}
    for k, v in secrets.items():
        validate(k, v)
    for k, v in secrets.items():
        set_value(k, v, user_name)
    with common.atomic():
        for k, v in clean.items():
            old = get(k)
            if old != v:
                config_db.set_setting(k, v)
                fault_point("before_event")
                events.log_event("setting_changed", user_name, key=k, old=old, new=v)
