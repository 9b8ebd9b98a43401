"""The Departments page of the configuration: create, rename, colour, default VAT rate, position."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import StringProperty

from pos.catalog import actions
from pos.core.i18n import _, language
from pos.core.money import format_rate
from pos.data import common
from pos.data import shop as shop_db
from pos.screens.catalog import CatalogPage, _status, field, switch
from pos.screens.widgets import hex_colour

# the colours offered for a department (the manager may type any other); text_on() in theme.kv
# writes black or white on each, whichever reads better
PALETTE = ["#546E7A", "#C62828", "#AD1457", "#6A1B9A", "#283593", "#1565C0", "#00838F", "#2E7D32",
           "#9E9D24", "#EF6C00", "#6D4C41"]


class DepartmentsPage(CatalogPage):
    """Departments (few): create, rename, colour, default VAT rate, position, active."""

    viewclass = StringProperty("DepartmentRow")
    entity = "departments"

    def hint(self) -> str:
        return _("Department name")

    def new_text(self) -> str:
        return _("New department")

    def fetch(self, text, offset, include_inactive):
        wanted = common.sort_key(text.strip())
        return [d for d in shop_db.departments(include_inactive) if wanted in common.sort_key(d.name)], None

    def row_data(self, d: shop_db.DepartmentInfo) -> dict[str, Any]:
        return {"name": d.name, "vat": format_rate(d.vat_bp, language()) if d.vat_bp is not None else "—",
                "position": str(d.position), "swatch": hex_colour(d.colour), "status": _status(d.active),
                "active": d.active, "on_select": self.select}

    def open_item(self, item: shop_db.DepartmentInfo) -> None:
        self.build_form(item)

    def open_new(self, **_kw) -> None:
        self.build_form(None)

    def build_form(self, dep: shop_db.DepartmentInfo | None) -> None:
        lang = language()
        self.department = dep
        self.show_form(_("New department") if dep is None else dep.name, self.save)
        self.name_field = self.labelled(_("Name"), field(dep.name if dep else ""))
        colour = Factory.ColourRow()
        self.colour_field = colour.ids.field
        self.colour_field.text = dep.colour if dep else PALETTE[0]
        self.form.add_widget(colour)
        palette = Factory.PaletteRow()
        for value in PALETTE:
            btn = Factory.SwatchButton(bg=hex_colour(value))
            btn.bind(on_release=lambda _b, c=value: setattr(self.colour_field, "text", c))
            palette.add_widget(btn)
        self.form.add_widget(palette)
        rates = [v.rate_bp for v in shop_db.vat_rates()]
        if dep is not None and dep.vat_bp is not None and dep.vat_bp not in rates:
            rates.append(dep.vat_bp)
        self.vat_bps: dict[str, int | None] = {_("(none)"): None}
        self.vat_bps.update({format_rate(bp, lang): bp for bp in rates})
        current = format_rate(dep.vat_bp, lang) if dep and dep.vat_bp is not None else _("(none)")
        self.vat = self.labelled(_("Default VAT rate"), Factory.Spinner(text=current, values=list(self.vat_bps)))
        self.position_field = self.labelled(_("Position"), field(str(dep.position) if dep else "",
                                                                 hint=_("after the others"), input_filter="int"))
        self.active_toggle = self.labelled("", switch(_("Active"), dep.active if dep else True))

    def save(self) -> None:
        dep = self.department
        name, colour = self.name_field.text.strip(), self.colour_field.text.strip()
        vat_bp = self.vat_bps.get(self.vat.text)
        position_text = self.position_field.text.strip()
        active = self.active_toggle.state == "down"

        def write() -> int:
            position = self.parsed(_("Position"), int, position_text) if position_text else None
            return actions.save_department(self.config.acting("catalog"), name, department_id=dep.id if dep else None,
                                           colour=colour, vat_bp=vat_bp, position=position, active=active)

        ok, _dep_id = self.attempt(write)
        if not ok:
            return
        self.app.toast(_("Saved"))
        self.close_form()
