"""The Articles page of the configuration: search the whole catalogue, create, edit, deactivate;
barcodes and custom fields."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import StringProperty

from pos.catalog import actions, stock
from pos.core.errors import InvalidValue
from pos.core.i18n import _, language
from pos.core.money import format_amount, format_qty, format_rate, parse_amount, parse_qty
from pos.data import catalog
from pos.data import shop as shop_db
from pos.screens.catalog import PAGE, CatalogPage, _status, field, switch
from pos.screens.stock_moves import add_movements
from pos.screens.widgets import make


class ArticlesPage(CatalogPage):
    """Articles: search over the whole catalogue, create, edit, deactivate; barcodes, custom fields."""

    viewclass = StringProperty("ArticleRow")
    entity = "articles"

    def __init__(self, config_screen, **kw) -> None:
        self.exact_id: int | None = None
        self.detail: catalog.ArticleDetail | None = None
        self.barcodes: list[str] = []
        self.barcode_input = None
        super().__init__(config_screen, **kw)

    def hint(self) -> str:
        return _("Name, reference or barcode")

    def new_text(self) -> str:
        return _("New article")

    def add_actions(self) -> None:
        self.fields_button = self.action(_("Custom fields"), self.open_custom_fields)
        self.sync_button = self.action(_("Synchronise"), self.open_sync)  # with PrestaShop (seed 002)

    def open_sync(self) -> None:
        """The articles tab of the PrestaShop page: preview the shop's changes, then apply."""
        self.config.open_section("sync")
        self.config.page_widget.open_tab("articles")

    def fetch(self, text, offset, include_inactive):
        page = catalog.article_page(text, offset, PAGE, include_inactive)
        if offset == 0:
            self.exact_id = page.exact_id
        return page.rows, page.next_offset

    def row_data(self, a: catalog.ArticleInfo) -> dict[str, Any]:
        return {"reference": a.reference, "name": a.name, "department": a.department,
                "price": format_amount(a.price, language()), "status": _status(a.active), "active": a.active,
                "on_select": self.select}

    def open_item(self, item: catalog.ArticleInfo) -> None:
        self.open_article(item.id)

    def scan(self, code: str) -> None:
        """A scan on this page: into the barcodes of the open form, else find (or create) its article."""
        code = code.strip()
        if self.form_open and self.barcode_input is not None:
            self.barcode_input.text = code
            self.add_barcode()
            return
        self.ids.query.text = code
        self.reload()
        if self.exact_id is not None:
            self.open_article(self.exact_id)
        else:
            self.app.toast(_("No article has the code {code}: new article").format(code=code))
            self.open_new(barcode=code)

    def scan_field(self):
        if self.form_open and self.barcode_input is not None:
            return self.barcode_input
        return self.ids.query

    # -- the article form
    def open_article(self, article_id: int) -> None:
        detail = self.app.guard(lambda: catalog.article_detail(article_id))
        if detail is None:
            self.app.toast(_("This article no longer exists"), error=True)
            return
        self.build_form(detail)

    def open_new(self, barcode: str = "", **_kw) -> None:
        rates = [v.rate_bp for v in shop_db.vat_rates()]
        vat = 2000 if 2000 in rates else (rates[0] if rates else 0)
        self.build_form(catalog.ArticleDetail(reference="", name="", price=0, vat_bp=vat,
                                            barcodes=[barcode] if barcode else []))

    def build_form(self, detail: catalog.ArticleDetail) -> None:
        lang = language()
        self.detail = detail
        self.barcodes = list(detail.barcodes)
        title = _("New article") if detail.id is None else f"{detail.reference}  {detail.name}"
        self.show_form(title, self.save)
        # deactivate (or reactivate) and, for an article never sold, delete
        if detail.id is not None:
            buttons = []
            self.active_button = Factory.WarningButton(text=_("Deactivate") if detail.active else _("Reactivate"))
            self.active_button.bind(on_release=lambda _b: self.set_active(not detail.active))
            buttons.append(self.active_button)
            self.delete_button = None
            if not catalog.article_was_sold(detail.id):
                self.delete_button = Factory.DangerButton(text=_("Delete (never sold)"))
                self.delete_button.bind(on_release=lambda _b: self.delete())
                buttons.append(self.delete_button)
            else:
                buttons.append(Factory.FormHint(text=_("Sold on tickets: it can be deactivated, not deleted")))
            self.add_row(*buttons, height="60dp")
        self.fields = {
            "reference": self.labelled(_("Reference"), field(detail.reference)),
            "name": self.labelled(_("Article name"), field(detail.name)),
        }
        deps = shop_db.departments(include_inactive=True)
        self.dep_ids = {_("(none)"): None}
        self.dep_ids.update({d.name: d.id for d in deps if d.active or d.id == detail.department_id})
        current_dep = next((d.name for d in deps if d.id == detail.department_id), _("(none)"))
        self.department = self.labelled(_("Department"), Factory.Spinner(text=current_dep,
                                                                         values=list(self.dep_ids)))
        self.fields["price"] = self.labelled(_("Price incl. VAT"),
                                             field(format_amount(detail.price, lang, currency=False)))
        rates = [v.rate_bp for v in shop_db.vat_rates()]
        if detail.vat_bp not in rates:
            rates.append(detail.vat_bp)  # a rate deactivated since: kept until changed
        self.vat_bps = {format_rate(bp, lang): bp for bp in rates}
        self.vat = self.labelled(_("VAT"), Factory.Spinner(text=format_rate(detail.vat_bp, lang),
                                                           values=list(self.vat_bps)))
        cost = "" if detail.cost is None else format_amount(detail.cost, lang, currency=False)
        self.fields["cost"] = self.labelled(_("Cost price excl. VAT"), field(cost, hint=_("optional")))
        self.fields["stock"] = self.labelled(_("Stock"), field(format_qty(detail.stock, lang)))
        # the shelf label's unit price and the low-stock list (pos/catalog/stock.py)
        self.fields["net"] = self.labelled(_("Net quantity"), field(
            stock.format_net(detail.net_qty, detail.net_unit), hint=_("e.g. 250 g, 75 cl, 6 pieces")))
        low = "" if detail.low_stock is None else format_qty(detail.low_stock, lang)
        self.fields["low_stock"] = self.labelled(_("Low stock at"), field(low, hint=_("empty: the shop's default")))
        self.flags = {
            "by_weight": switch(_("Sold by weight"), detail.by_weight),
            "free_price": switch(_("Free price"), detail.free_price),
            "favourite": switch(_("Favourite"), detail.favourite),
            "active": switch(_("Active"), detail.active),
            "web": switch(_("On the web shop"), self._web_before(detail)),  # pos sync push (PrestaShop)
        }
        self.add_row(*self.flags.values(), height="56dp")
        # barcodes: several, each checked (check digit, not another article's)
        self.form.add_widget(Factory.Heading(text=_("Barcodes")))
        self.barcode_box = Factory.FormColumn()
        self.form.add_widget(self.barcode_box)
        self.barcode_input = field(hint=_("scan or type a barcode"))
        self.barcode_input.bind(on_text_validate=lambda _w: self.add_barcode())
        self.add_barcode_button = Factory.InfoButton(text=_("Add barcode"), size_hint_x=0.35)
        self.add_barcode_button.bind(on_release=lambda _b: self.add_barcode())
        self.add_row(self.barcode_input, self.add_barcode_button)
        self.show_barcodes()
        # custom fields
        self.custom_inputs: dict[str, tuple[str, Any]] = {}
        defs = catalog.custom_fields()
        if defs:
            self.form.add_widget(Factory.Heading(text=_("Custom fields")))
        for f in defs:
            value = detail.custom.get(f["key"])
            if f["kind"] == "bool":
                widget = switch(_("yes"), bool(value))
            else:
                widget = field("" if value is None else str(value))
            self.custom_inputs[f["key"]] = (f["kind"], self.labelled(f["label"], widget))
        if detail.id is not None:  # its stock's history (pos/screens/stock_moves.py)
            self.movement_lines = add_movements(self.form, detail.id)

    def show_barcodes(self) -> None:
        self.barcode_box.clear_widgets()
        if not self.barcodes:
            self.barcode_box.add_widget(Factory.HintText(text=_("No barcode yet: scan one, or type it below.")))
        for code in self.barcodes:
            row = make("BarcodeRow", code=code)
            row.ids.remove_button.bind(on_release=lambda _b, c=code: self.remove_barcode(c))
            self.barcode_box.add_widget(row)

    def add_barcode(self) -> None:
        text = self.barcode_input.text.strip()
        article_id = self.detail.id if self.detail else None

        def check() -> str:
            code = catalog.check_barcode(text, article_id)
            if code in self.barcodes:
                raise catalog.CatalogError(_("The barcode {code} is listed twice").format(code=code))
            return code

        ok, code = self.attempt(check)
        if ok:
            self.barcodes.append(code)
            self.barcode_input.text = ""
            self.error.text = ""
            self.show_barcodes()

    def remove_barcode(self, code: str) -> None:
        if code in self.barcodes:
            self.barcodes.remove(code)
        self.show_barcodes()

    def form_detail(self) -> catalog.ArticleDetail:
        """The article as the form says (raises ValueError with the field's name)."""
        f = self.fields
        price = self.parsed(_("Price incl. VAT"), parse_amount, f["price"].text)
        cost_text = f["cost"].text.strip()
        cost = self.parsed(_("Cost price excl. VAT"), parse_amount, cost_text) if cost_text else None
        stock_qty = self.parsed(_("Stock"), parse_qty, f["stock"].text.strip() or "0")
        net_qty, net_unit = stock.parse_net(f["net"].text)
        low_text = f["low_stock"].text.strip()
        low_stock = self.parsed(_("Low stock at"), parse_qty, low_text) if low_text else None
        if self.vat.text not in self.vat_bps:
            raise InvalidValue(_("Choose a VAT rate"))
        barcodes = list(self.barcodes)
        pending = self.barcode_input.text.strip()
        if pending and pending not in barcodes:
            barcodes.append(pending)  # typed but not added: saved too (and checked)
        custom = {key: (w.state == "down" if kind == "bool" else w.text)
                  for key, (kind, w) in self.custom_inputs.items()}
        d = self.detail
        return catalog.ArticleDetail(
            id=d.id, reference=f["reference"].text.strip(), name=f["name"].text.strip(), price=price,
            vat_bp=self.vat_bps[self.vat.text], department_id=self.dep_ids.get(self.department.text),
            cost=cost, stock=stock_qty, by_weight=self.flags["by_weight"].state == "down",
            free_price=self.flags["free_price"].state == "down", favourite=self.flags["favourite"].state == "down",
            active=self.flags["active"].state == "down", barcodes=barcodes, custom=custom, net_qty=net_qty,
            net_unit=net_unit, low_stock=low_stock)

    def _web_before(self, detail) -> bool:
        from pos.data.sync_push import web_flag

        self.web_before = bool(detail.id) and web_flag(detail.id)
        return self.web_before

    def _save(self) -> int:
        actor = self.config.acting("catalog")
        article_id = actions.save_article(actor, self.form_detail())
        web = self.flags["web"].state == "down"
        if web != self.web_before:  # publish on the web shop, or stop (journaled: pos.sync.push.set_web)
            from pos.sync.push import set_web

            set_web(actor, article_id, web)
        return article_id

    def save(self) -> None:
        ok, _id = self.attempt(self._save)
        if not ok:
            return
        self.app.toast(_("Saved"))
        self.close_form()

    def set_active(self, active: bool) -> None:
        d = self.detail
        ok, _none = self.attempt(lambda: actions.set_article_active(self.config.acting("catalog"), d.id, active))
        if ok:
            self.app.toast(_("{name} is active again").format(name=d.name) if active
                           else _("{name} is deactivated").format(name=d.name))
            self.close_form()

    def delete(self) -> None:
        d = self.detail
        ok, _none = self.attempt(lambda: actions.delete_article(self.config.acting("catalog"), d.id))
        if ok:
            self.app.toast(_("{name} is deleted").format(name=d.name))
            self.close_form()

    # -- custom field definitions
    def open_custom_fields(self) -> None:
        self.barcode_input = None
        self.show_form(_("Custom fields"))
        kinds = {"text": _("text"), "number": _("number"), "bool": _("yes/no")}
        defs = catalog.custom_fields()
        if not defs:
            self.form.add_widget(Factory.HintText(
                text=_("No custom field yet: every article can get the fields added here.")))
        for f in defs:
            self.form.add_widget(make("CustomFieldRow", label=f["label"], key=f["key"],
                                                        kind=kinds.get(f["kind"], f["kind"])))
        new = Factory.NewCustomFieldRow()
        self.kind_names = {v: k for k, v in kinds.items()}
        self.new_field_key, self.new_field_label = new.ids.key, new.ids.label
        self.new_field_kind, self.add_field_button = new.ids.kind, new.ids.add
        self.new_field_kind.text, self.new_field_kind.values = kinds["text"], list(self.kind_names)
        self.add_field_button.bind(on_release=lambda _b: self.add_custom_field())
        self.form.add_widget(new)

    def add_custom_field(self) -> None:
        key, label = self.new_field_key.text.strip().lower(), self.new_field_label.text.strip()
        kind = self.kind_names.get(self.new_field_kind.text, "text")
        ok, _none = self.attempt(lambda: actions.define_custom_field(self.config.acting("catalog"), key, label, kind))
        if ok:
            self.app.toast(_("Saved"))
            self.open_custom_fields()
