"""The managers' configuration area: a column of sections and a form.

Each form is made of the row classes of ``config.kv`` (``SettingRow``, ``VatRow``,
``MethodRow``...), filled here from the core; the list pages (articles, import...) are
widgets of their own modules (``PAGES``).
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import StringProperty

from pos.core import admin, settings
from pos.core.i18n import N_, _, language
from pos.core.money import format_rate, parse_rate
from pos.core.permissions import Actor
from pos.data import catalog as catalog_db
from pos.data import shop as shop_db
from pos.data import users as users_db
from pos.sale.till import describe_code as describe_scan
from pos.screens.base import PosScreen
from pos.screens.widgets import make

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

SECTIONS = [
    ("shop", N_("Shop")),
    ("articles", N_("Articles")),
    ("departments", N_("Departments")),
    ("customers", N_("Customers")),
    ("transfer", N_("Import / Export")),
    ("sync", N_("PrestaShop")),
    ("vat", N_("VAT")),
    ("methods", N_("Payment methods")),
    ("users", N_("Users")),
    ("vouchers", N_("Credit notes")),
    ("backups", N_("Backups")),
    ("stock", N_("Stock")),
    ("hardware", N_("Hardware")),
    ("barcodes", N_("Barcodes")),
    ("scanner", N_("Scanner test")),
    ("language", N_("Language")),
]
# sections that are a whole page (lists with a RecycleView), not a scrolled form:
# key -> "module:Class"; the class is built with the ConfigScreen and imported on first use
PAGES = {
    "articles": "articles:ArticlesPage",
    "departments": "departments:DepartmentsPage",
    "customers": "customers:CustomersPage",
    "transfer": "transfer:TransferPage",
    "sync": "sync:SyncPage",
    "hardware": "hardware_page:HardwarePage",
    "vouchers": "vouchers:VouchersPage",
    "backups": "backups:BackupsPage",
    "stock": "stock_page:StockPage",
}


def guarded(method):
    """Run a config action through ``PosApp.guard``: a database error is a message, not a crash."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return self.app.guard(lambda: method(self, *args, **kwargs))

    return wrapper


class ConfigScreen(PosScreen):
    section = StringProperty("shop")

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.section_buttons = {}
        self.page_widget = None
        # strong references: kv ids are weak, and the scrolled form leaves the tree while a page is shown
        self.form_scroll, self.form = self.ids.scroll.__self__, self.ids.form.__self__
        self.actor: Actor | None = None  # who acts during this visit (``prepare``)
        self.transfer_entity = "articles"  # what the Import / Export page works on (set by the list pages)
        for key, label in SECTIONS:
            btn = Factory.SectionButton(text=_(label), group="config_sections")
            btn.bind(on_release=lambda _b, k=key: self.open_section(k))
            self.ids.sections.add_widget(btn)
            self.section_buttons[key] = btn

    @property
    def user_name(self) -> str:
        return self.app.till.user.name if self.app.till.user else ""

    def acting(self, permission: str) -> Actor:
        """Who acts for ``permission``: the visit's actor, or a manager's PIN asked by ``guard``."""
        return self.app.till.for_action(permission, self.actor)

    def prepare(self, section: str = "shop", **_kw) -> None:
        user = self.app.till.user
        if self.actor is None or user is None or self.actor.user_id != user.id:  # a new visit
            self.actor = self.app.till.visit("config")
        self.open_section(section)

    def restore_kw(self) -> dict:
        return {"section": self.section}

    def open_section(self, key: str) -> None:
        self.section = key
        for k, btn in self.section_buttons.items():
            btn.state = "down" if k == key else "normal"
        page, form = self.ids.page, self.form
        page.clear_widgets()
        form.clear_widgets()
        self.page_widget = None
        if key in PAGES:
            module, cls = PAGES[key].split(":")
            self.page_widget = getattr(importlib.import_module(f"{__package__}.{module}"), cls)(self)
            page.add_widget(self.page_widget)
        else:
            page.add_widget(self.form_scroll)
            self.form_scroll.scroll_y = 1
            getattr(self, f"build_{key}")(form)

    def back(self) -> None:
        self.actor = None  # the visit ends: a manager's authorisation does not outlive it
        self.app.show("sale")

    # ------------------------------------------------------------------ shop
    def build_shop(self, form) -> None:
        self._settings_form(form, [s.key for s in settings.SPECS
                                   if s.key.startswith(("shop.", "receipt.header", "receipt.footer", "till."))])

    def _settings_form(self, form, keys: list[str], after_save=None) -> None:
        """A form over some settings: validated as you type, saved all or nothing."""
        values = settings.all_values()
        self.fields = {}
        self._after_save = after_save
        head = Factory.SettingsHead()
        head.ids.save.bind(on_release=lambda _b: self.save_shop())
        self.save_button, self.shop_error = head.ids.save, head.ids.error
        form.add_widget(head)
        for key in keys:
            spec = settings.BY_KEY[key]
            row = make("SettingRow", label=_(spec.label), multiline=spec.multiline)
            field = self.fields[spec.key] = row.ids.field
            field.text = values[spec.key]
            field.bind(text=lambda w, t, k=spec.key: self.check_field(k, w))
            form.add_widget(row)

    def check_field(self, key: str, widget) -> None:
        """Validate as you type: the field turns red while its value is refused."""
        try:
            settings.validate(key, widget.text)
            widget.error = False
            self.shop_error.text = ""
        except settings.SettingError as exc:
            widget.error = True
            self.shop_error.text = f"{_(settings.BY_KEY[key].label)}: {exc}"

    @guarded
    def save_shop(self) -> None:
        values = {k: f.text for k, f in self.fields.items()}
        try:
            admin.set_settings(self.acting("settings"), values)
        except settings.SettingError as exc:
            self.app.toast(str(exc), error=True)
            return
        self.app.refresh_status()
        if self._after_save:
            self._after_save()
        self.app.toast(_("Saved"))

    # ------------------------------------------------------------------ VAT
    def build_vat(self, form) -> None:
        lang = language()
        for v in shop_db.vat_rates(include_inactive=True):
            row = make("VatRow", rate=format_rate(v.rate_bp, lang), label=v.label, active=v.active)
            row.ids.toggle.bind(on_release=lambda b, vid=v.id: self.toggle_vat(vid, b.state == "down"))
            form.add_widget(row)
        new = Factory.NewVatRow()
        self.new_rate, self.new_rate_label = new.ids.rate, new.ids.label
        new.ids.add.bind(on_release=lambda _b: self.add_vat())
        form.add_widget(new)

    @guarded
    def toggle_vat(self, vat_id: int, active: bool) -> None:
        try:
            admin.set_vat_active(self.acting("vat"), vat_id, active)
        finally:
            self.open_section("vat")

    @guarded
    def add_vat(self) -> None:
        try:
            rate = parse_rate(self.new_rate.text)
        except ValueError as exc:
            self.app.toast(str(exc), error=True)
            return
        admin.add_vat_rate(self.acting("vat"), rate, self.new_rate_label.text)
        self.open_section("vat")

    # ------------------------------------------------------------------ payment methods
    def build_methods(self, form) -> None:
        self.method_toggles = {}
        self.method_drawer_toggles = {}
        for m in shop_db.payment_methods(include_inactive=True):
            row = make("MethodRow", name=m.name, gives_change=m.gives_change, opens_drawer=m.opens_drawer,
                                    active=m.active)
            toggle, drawer = row.ids.toggle, row.ids.drawer
            toggle.bind(on_release=lambda b, mid=m.id: self.toggle_method(mid, b.state == "down"))
            drawer.bind(on_release=lambda b, mid=m.id: self.set_method_drawer(mid, b.state == "down"))
            self.method_toggles[m.code], self.method_drawer_toggles[m.code] = toggle, drawer
            form.add_widget(row)
        new = Factory.NewMethodRow()
        self.new_code, self.new_name = new.ids.code, new.ids.name
        new.ids.add.bind(on_release=lambda _b: self.add_method())
        form.add_widget(new)

    @guarded
    def toggle_method(self, method_id: int, active: bool) -> None:
        try:
            admin.set_method_active(self.acting("payment_methods"), method_id, active)
            self.app.till.reload_methods()
        finally:
            self.open_section("methods")

    @guarded
    def set_method_drawer(self, method_id: int, opens: bool) -> None:
        try:
            admin.set_method_opens_drawer(self.acting("payment_methods"), method_id, opens)
            self.app.till.reload_methods()
        finally:
            self.open_section("methods")

    @guarded
    def add_method(self) -> None:
        admin.add_payment_method(self.acting("payment_methods"), self.new_code.text, self.new_name.text)
        self.app.till.reload_methods()
        self.open_section("methods")

    # ------------------------------------------------------------------ users
    def build_users(self, form) -> None:
        self.pin_buttons = {}
        for u in users_db.users(include_inactive=True):
            row = make("UserRow", name=u.name, role=_("Manager") if u.role == "manager" else _("Cashier"),
                                  active=u.active)
            row.ids.toggle.bind(on_release=lambda b, uid=u.id: self.toggle_user(uid, b.state == "down"))
            row.ids.pin.bind(on_release=lambda _b, user=u: self.ask_new_pin(user))
            self.pin_buttons[u.name] = row.ids.pin
            form.add_widget(row)
        new = Factory.NewUserRow()
        self.new_user, self.new_pin, self.new_role = new.ids.name, new.ids.pin, new.ids.role
        new.ids.add.bind(on_release=lambda _b: self.add_user())
        form.add_widget(new)

    @guarded
    def toggle_user(self, user_id: int, active: bool) -> None:
        try:
            admin.set_user_active(self.acting("users"), user_id, active)
        finally:
            self.open_section("users")

    def ask_new_pin(self, user) -> None:
        from pos.screens.widgets import PinPopup

        @guarded
        def done(self, pin: str) -> None:
            admin.set_user_pin(self.acting("users"), user.id, pin)
            self.app.toast(_("PIN changed for {name}").format(name=user.name))

        self.app.open_popup(PinPopup(_("New PIN for {name}").format(name=user.name),
                                     functools.partial(done, self)))

    @guarded
    def add_user(self) -> None:
        role = "manager" if self.new_role.state == "down" else "cashier"
        admin.add_user(self.acting("users"), self.new_user.text, self.new_pin.text.strip(), role)
        self.open_section("users")

    # ------------------------------------------------------------------ language
    def build_language(self, form) -> None:
        current = settings.get("ui.language")
        for code, label in (("auto", _("As the system")), ("fr", "Français"), ("en", "English")):
            btn = Factory.LanguageButton(text=label, state="down" if code == current else "normal")
            btn.bind(on_release=lambda _b, c=code: self.set_language(c))
            form.add_widget(btn)

    @guarded
    def set_language(self, code: str) -> None:
        admin.set_setting(self.acting("settings"), "ui.language", code)
        self.app.reload_screens()
        self.app.show("config", section="language")

    # ------------------------------------------------------------------ barcode rules
    def build_barcodes(self, form) -> None:
        form.add_widget(Factory.BarcodesHelp())
        self.rule_toggles = {}
        for rule in catalog_db.barcode_rules(include_inactive=True):
            row = make("RuleRow", layout=f"{rule.prefix} + {rule.article_digits} + {rule.value_digits}",
                                  kind=_("price") if rule.kind == "price" else _("weight"), active=rule.active)
            row.ids.toggle.bind(on_release=lambda b, r=rule: self.toggle_rule(r, b.state == "down"))
            row.ids.delete.bind(on_release=lambda _b, r=rule: self.delete_rule(r))
            self.rule_toggles[rule.prefix] = row.ids.toggle
            form.add_widget(row)
        new = Factory.NewRuleRow()
        self.new_prefix, self.new_kind = new.ids.prefix, new.ids.kind
        self.new_digits, self.new_value = new.ids.digits, new.ids.value
        new.ids.add.bind(on_release=lambda _b: self.add_rule())
        form.add_widget(new)
        test = Factory.BarcodeTest()
        self.barcode_test, self.barcode_result = test.ids.field, test.ids.result
        self.barcode_test.bind(on_text_validate=lambda w: self.test_barcode(w.text))
        form.add_widget(test)

    @guarded
    def toggle_rule(self, rule, active: bool) -> None:
        try:
            admin.set_barcode_rule_active(self.acting("catalog"), rule.id, active)
            self.app.till.reload_rules()
        finally:
            self.open_section("barcodes")

    @guarded
    def delete_rule(self, rule) -> None:
        admin.delete_barcode_rule(self.acting("catalog"), rule.id)
        self.app.till.reload_rules()
        self.open_section("barcodes")

    @guarded
    def add_rule(self) -> None:
        digits, value = self.new_digits.text.strip(), self.new_value.text.strip()
        kind = "weight" if self.new_kind.state == "down" else "price"
        admin.add_barcode_rule(self.acting("catalog"), self.new_prefix.text, kind,
                               int(digits) if digits.isdigit() else 0, int(value) if value.isdigit() else 0)
        self.app.till.reload_rules()
        self.open_section("barcodes")

    def test_barcode(self, code: str) -> None:
        self.barcode_result.text = describe_scan(code)

    # ------------------------------------------------------------------ scanner test
    def build_scanner(self, form) -> None:
        box = Factory.ScannerTest()
        self.scan_log = box.ids.log
        form.add_widget(box)
        self.scans: list[str] = []

    def scan(self, code: str) -> None:
        """Scans reach the configuration only on the scanner test page (serial or keyboard)."""
        if self.section == "scanner":
            self.scans = [f"{code}   →   {describe_scan(code)}", *self.scans][:12]
            self.scan_log.text = "\n".join(self.scans)
        elif self.section == "barcodes":
            self.barcode_test.text = code
            self.test_barcode(code)
        elif self.page_widget is not None and hasattr(self.page_widget, "scan"):
            self.page_widget.scan(code)

    def scan_field(self):
        if self.page_widget is not None and hasattr(self.page_widget, "scan_field"):
            return self.page_widget.scan_field()
        return getattr(self, "barcode_test", None)
