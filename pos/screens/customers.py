"""The Customers page of the configuration: search by name, e-mail or phone; create, edit, deactivate."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import StringProperty

from pos.catalog import actions
from pos.core.i18n import _
from pos.data import customers as customers_db
from pos.screens.catalog import PAGE, CatalogPage, _status, field, switch


class CustomersPage(CatalogPage):
    """Customers: search by name, e-mail or phone; create, edit, deactivate."""

    viewclass = StringProperty("CustomerRow")
    entity = "customers"
    FIELDS = ("name", "email", "phone", "address", "postcode", "city", "vat_number", "notes")

    def hint(self) -> str:
        return _("Name, e-mail or phone")

    def new_text(self) -> str:
        return _("New customer")

    def fetch(self, text, offset, include_inactive):
        page = customers_db.customer_page(text, offset, PAGE, include_inactive)
        return page.rows, page.next_offset

    def row_data(self, c: dict[str, Any]) -> dict[str, Any]:
        return {"name": c["name"], "email": c["email"], "phone": c["phone"], "city": c["city"],
                "status": _status(c["active"]), "active": bool(c["active"]), "on_select": self.select}

    def open_item(self, item: dict[str, Any]) -> None:
        customer = self.app.guard(lambda: customers_db.get_customer(item["id"]))
        if customer is None:
            self.app.toast(_("This customer no longer exists"), error=True)
            return
        self.build_form(customer)

    def open_new(self, **_kw) -> None:
        self.build_form(None)

    def build_form(self, customer: dict[str, Any] | None) -> None:
        self.customer = customer
        self.show_form(_("New customer") if customer is None else customer["name"], self.save)
        if customer is not None:
            self.active_button = Factory.WarningButton(
                text=_("Deactivate") if customer["active"] else _("Reactivate"), size_hint_y=None, height="56dp")
            self.active_button.bind(on_release=lambda _b: self.set_active(not customer["active"]))
            self.form.add_widget(self.active_button)
        labels = {"name": _("Name"), "email": _("E-mail"), "phone": _("Phone"), "address": _("Address"),
                  "postcode": _("Postcode"), "city": _("City"), "vat_number": _("VAT number"), "notes": _("Notes")}
        self.fields = {}
        for key in self.FIELDS:
            multiline = key in ("address", "notes")
            value = customer[key] if customer else ""
            self.fields[key] = self.labelled(labels[key], field(value or "", multiline=multiline),
                                             height="96dp" if multiline else "52dp")
        self.active_toggle = self.labelled("", switch(_("Active"), bool(customer["active"]) if customer else True))

    def save(self) -> None:
        customer = self.customer
        values: dict[str, Any] = {k: w.text for k, w in self.fields.items()}
        values["active"] = self.active_toggle.state == "down"
        ok, _id = self.attempt(lambda: actions.save_customer(self.config.acting("customer_edit"), values,
                                                             customer["id"] if customer else None))
        if not ok:
            return
        self.app.toast(_("Saved"))
        self.close_form()

    def set_active(self, active: bool) -> None:
        customer = self.customer
        ok, _none = self.attempt(lambda: actions.save_customer(self.config.acting("customer_edit"), {"active": active},
                                                               customer["id"]))
        if ok:
            self.app.toast(_("{name} is active again").format(name=customer["name"]) if active
                           else _("{name} is deactivated").format(name=customer["name"]))
            self.close_form()
