"""The manager's catalogue pages (Configuration): articles, departments, customers.

Each page is a searchable list (a RecycleView fed one SQL page at a time: the
catalogue may hold a million articles) and an edit form that replaces the list.
Every write goes through ``pos.data.store``, which validates and saves all or
nothing; a refusal is shown in red above the form (and as a toast).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.spinner import Spinner
from kivy.uix.widget import Widget

from pos.catalog import actions
from pos.core.errors import InvalidValue, Refusal
from pos.core.i18n import _, language
from pos.core.money import format_amount, format_qty, format_rate, parse_amount, parse_qty
from pos.core.permissions import NeedsManager
from pos.data import catalog, common
from pos.data import customers as customers_db
from pos.data import shop as shop_db
from pos.screens.config import _field, _label, _row
from pos.screens.widgets import hex_colour

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

PAGE = 50  # rows fetched per SQL query; the next page loads when the list is scrolled near its end
PALETTE = ["#546E7A", "#C62828", "#AD1457", "#6A1B9A", "#283593", "#1565C0", "#00838F", "#2E7D32",
           "#9E9D24", "#EF6C00", "#6D4C41"]
RED = (1, 0.5, 0.5, 1)


class CatalogRow(Factory.SelectableRow):
    active = BooleanProperty(True)
    status = StringProperty("")


class ArticleRow(CatalogRow):
    reference = StringProperty("")
    name = StringProperty("")
    department = StringProperty("")
    price = StringProperty("")


class DepartmentRow(CatalogRow):
    name = StringProperty("")
    vat = StringProperty("")
    position = StringProperty("")
    swatch = ListProperty([0.33, 0.43, 0.48, 1])


class CustomerRow(CatalogRow):
    name = StringProperty("")
    email = StringProperty("")
    phone = StringProperty("")
    city = StringProperty("")


def _toggle(text: str, down: bool, **kw) -> Any:
    kw.setdefault("font_size", "17sp")
    return Factory.ToggleButton(text=text, state="down" if down else "normal", **kw)


def _status(active: bool) -> str:
    return _("active") if active else _("inactive")


class CatalogPage(BoxLayout):
    """A list page: a debounced search, a paged RecycleView, an edit form in place of the list."""

    viewclass = StringProperty("ArticleRow")
    search_hint = StringProperty("")
    info = StringProperty("")
    entity = "articles"  # what the Export / Import page works on

    def __init__(self, config_screen, **kw) -> None:
        self.config = config_screen
        self.app = config_screen.app
        self.items: list[Any] = []
        self.next_offset: int | None = None
        self.form_open = False
        self.error = None
        self._more_pending = False
        super().__init__(search_hint=self.hint(), **kw)
        self._search = Clock.create_trigger(lambda _dt: self.reload(), 0.25)
        self.listbox = self.ids.listbox.__self__  # kept while the form replaces it
        self.form = BoxLayout(orientation="vertical", spacing=dp(6), size_hint_y=None)
        self.form.bind(minimum_height=self.form.setter("height"))
        self.form_scroll = ScrollView(do_scroll_x=False)
        self.form_scroll.add_widget(self.form)
        self.new_button = self.action(self.new_text(), lambda: self.open_new())
        self.add_actions()
        self.transfer_button = self.action(_("Export / Import"), self.open_transfer)
        self.ids.list.bind(scroll_y=self._scrolled)
        self.reload()

    # -- what each page says and fetches
    def hint(self) -> str:
        return _("Search")

    def new_text(self) -> str:
        return _("New")

    def add_actions(self) -> None:
        pass

    def fetch(self, text: str, offset: int, include_inactive: bool) -> tuple[list[Any], int | None]:
        raise NotImplementedError

    def row_data(self, item: Any) -> dict[str, Any]:
        raise NotImplementedError

    def open_item(self, item: Any) -> None:
        raise NotImplementedError

    def open_new(self, **_kw) -> None:
        raise NotImplementedError

    # -- the list
    def action(self, text: str, callback: Callable[[], None], **kw) -> Any:
        btn = Factory.TillButton(text=text, font_size="17sp", **kw)
        btn.bind(on_release=lambda _b: callback())
        self.ids.actions.add_widget(btn)
        return btn

    @property
    def include_inactive(self) -> bool:
        return self.ids.inactive.state == "down"

    def query_changed(self, _text: str) -> None:
        self._search()  # debounced: one query when the typing pauses

    def search_now(self) -> None:
        self.reload()

    def reload(self, *_a) -> None:
        """The first page for the current search (the list starts again from the top)."""
        self._search.cancel()
        self.items, self.next_offset = [], None
        self.ids.list.data = []
        self.ids.list.scroll_y = 1
        self.load_more(first=True)

    def load_more(self, first: bool = False) -> None:
        self._more_pending = False
        if not first and self.next_offset is None:
            return
        offset = 0 if first else self.next_offset
        text, inactive = self.ids.query.text, self.include_inactive
        result = self.app.guard(lambda: self.fetch(text, offset, inactive))
        if result is None:
            return
        rows, self.next_offset = result
        known = {self.item_id(i) for i in self.items}
        rows = [r for r in rows if self.item_id(r) not in known]
        rv = self.ids.list
        row_h, view_h = dp(52), rv.height
        from_top = (1 - rv.scroll_y) * max(0.0, len(self.items) * row_h - view_h)
        self.items.extend(rows)
        rv.data = rv.data + [self.row_data(r) for r in rows]
        if not first:  # stay where the manager was: the list only grew below
            rv.scroll_y = max(0.0, min(1.0, 1 - from_top / max(1.0, len(self.items) * row_h - view_h)))
        self.info = (_("Shown: {count} (scroll down for more)") if self.next_offset is not None
                     else _("Shown: {count}")).format(count=len(self.items))

    def _scrolled(self, rv, scroll_y: float) -> None:
        if (self.next_offset is not None and not self._more_pending and scroll_y <= 0.1
                and len(self.items) * dp(52) > rv.height):
            self._more_pending = True
            Clock.schedule_once(lambda _dt: self.load_more(), 0)

    @staticmethod
    def item_id(item: Any) -> Any:
        return item["id"] if isinstance(item, dict) else item.id

    def select(self, index: int) -> None:
        if 0 <= index < len(self.items):
            self.open_item(self.items[index])

    def open_transfer(self) -> None:
        self.config.transfer_entity = self.entity
        self.config.open_section("transfer")

    def scan(self, code: str) -> None:
        """A scan while the list shows: searched for (a customer card's number, a phone...)."""
        if not self.form_open:
            self.ids.query.text = code.strip()
            self.reload()

    def scan_field(self):
        return self.ids.query

    # -- the form, in place of the list
    def show_form(self, title: str, save: Callable[[], None] | None = None) -> BoxLayout:
        body = self.ids.body
        if not self.form_open:
            body.remove_widget(self.listbox)
            body.add_widget(self.form_scroll)
            self.form_open = True
        self.form.clear_widgets()
        self.form_scroll.scroll_y = 1
        back = Factory.TillButton(text=_("Cancel") if save else _("‹ Back to the list"), size_hint_x=0.3)
        back.bind(on_release=lambda _b: self.close_form(reload=False))
        self.cancel_button = back
        head = [_label(title, bold=True, font_size="20sp"), back]
        self.save_button = None
        if save is not None:
            self.save_button = Factory.TillButton(text=_("Save"), bg=(0.13, 0.55, 0.33, 1), size_hint_x=0.3)
            self.save_button.bind(on_release=lambda _b: save())
            head.append(self.save_button)
        self.form.add_widget(_row(*head, height="56dp"))
        self.error = _label("", color=RED, size_hint_y=None, height="40dp")
        self.form.add_widget(self.error)
        return self.form

    def close_form(self, reload: bool = True) -> None:
        if self.form_open:
            self.ids.body.remove_widget(self.form_scroll)
            self.ids.body.add_widget(self.listbox)
            self.form_open = False
        self.form.clear_widgets()
        self.error = None
        if reload:
            self.reload()

    def refuse(self, message: str) -> None:
        if self.error is not None:
            self.error.text = message
        self.app.toast(message, error=True)

    def attempt(self, action: Callable[[], Any]) -> tuple[bool, Any]:
        """Run a write: a refusal (``ValueError``, ``CatalogError``) is shown and nothing is saved;
        a database error is a toast (``PosApp.guard``)."""

        def run() -> tuple[bool, Any]:
            try:
                return True, action()
            except NeedsManager:
                raise  # guard asks for a manager's PIN, then runs this again
            except (ValueError, Refusal) as exc:
                self.refuse(str(exc))
                return False, None

        result = self.app.guard(run)
        return result if result is not None else (False, None)

    def labelled(self, label: str, widget, height: str = "52dp") -> Any:
        self.form.add_widget(_row(_label(label, size_hint_x=0.3), widget, height=height))
        return widget

    @staticmethod
    def parsed(label: str, parse: Callable[[str], Any], text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from None


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
            self.active_button = Factory.TillButton(
                text=_("Deactivate") if detail.active else _("Reactivate"), bg=(0.55, 0.35, 0.2, 1))
            self.active_button.bind(on_release=lambda _b: self.set_active(not detail.active))
            buttons.append(self.active_button)
            self.delete_button = None
            if not catalog.article_was_sold(detail.id):
                self.delete_button = Factory.TillButton(text=_("Delete (never sold)"), bg=(0.55, 0.22, 0.22, 1))
                self.delete_button.bind(on_release=lambda _b: self.delete())
                buttons.append(self.delete_button)
            else:
                buttons.append(_label(_("Sold on tickets: it can be deactivated, not deleted"), font_size="15sp"))
            self.form.add_widget(_row(*buttons, height="60dp"))
        self.fields = {
            "reference": self.labelled(_("Reference"), _field(detail.reference)),
            "name": self.labelled(_("Article name"), _field(detail.name)),
        }
        deps = shop_db.departments(include_inactive=True)
        self.dep_ids = {_("(none)"): None}
        self.dep_ids.update({d.name: d.id for d in deps if d.active or d.id == detail.department_id})
        current_dep = next((d.name for d in deps if d.id == detail.department_id), _("(none)"))
        self.department = self.labelled(_("Department"), Spinner(text=current_dep, values=list(self.dep_ids),
                                                                 font_size="18sp"))
        self.fields["price"] = self.labelled(_("Price incl. VAT"),
                                             _field(format_amount(detail.price, lang, currency=False)))
        rates = [v.rate_bp for v in shop_db.vat_rates()]
        if detail.vat_bp not in rates:
            rates.append(detail.vat_bp)  # a rate deactivated since: kept until changed
        self.vat_bps = {format_rate(bp, lang): bp for bp in rates}
        self.vat = self.labelled(_("VAT"), Spinner(text=format_rate(detail.vat_bp, lang),
                                                        values=list(self.vat_bps), font_size="18sp"))
        cost = "" if detail.cost is None else format_amount(detail.cost, lang, currency=False)
        self.fields["cost"] = self.labelled(_("Cost price excl. VAT"), _field(cost, hint=_("optional")))
        self.fields["stock"] = self.labelled(_("Stock"), _field(format_qty(detail.stock, lang)))
        self.flags = {
            "by_weight": _toggle(_("Sold by weight"), detail.by_weight),
            "free_price": _toggle(_("Free price"), detail.free_price),
            "favourite": _toggle(_("Favourite"), detail.favourite),
            "active": _toggle(_("Active"), detail.active),
        }
        self.form.add_widget(_row(*self.flags.values(), height="56dp"))
        # barcodes: several, each checked (check digit, not another article's)
        self.form.add_widget(_label(_("Barcodes"), bold=True, size_hint_y=None, height="40dp"))
        self.barcode_box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4))
        self.barcode_box.bind(minimum_height=self.barcode_box.setter("height"))
        self.form.add_widget(self.barcode_box)
        self.barcode_input = _field(hint=_("scan or type a barcode"))
        self.barcode_input.bind(on_text_validate=lambda _w: self.add_barcode())
        self.add_barcode_button = Factory.TillButton(text=_("Add barcode"), size_hint_x=0.35)
        self.add_barcode_button.bind(on_release=lambda _b: self.add_barcode())
        self.form.add_widget(_row(self.barcode_input, self.add_barcode_button))
        self.show_barcodes()
        # custom fields
        self.custom_inputs: dict[str, tuple[str, Any]] = {}
        defs = catalog.custom_fields()
        if defs:
            self.form.add_widget(_label(_("Custom fields"), bold=True, size_hint_y=None, height="40dp"))
        for f in defs:
            value = detail.custom.get(f["key"])
            if f["kind"] == "bool":
                widget = _toggle(_("yes"), bool(value))
            else:
                widget = _field("" if value is None else str(value))
            self.custom_inputs[f["key"]] = (f["kind"], self.labelled(f["label"], widget))
    def show_barcodes(self) -> None:
        self.barcode_box.clear_widgets()
        if not self.barcodes:
            self.barcode_box.add_widget(_label(_("No barcode"), size_hint_y=None, height="40dp",
                                               color=(0.75, 0.8, 0.85, 1)))
        for code in self.barcodes:
            remove = Factory.TillButton(text=_("Remove"), size_hint_x=0.3, bg=(0.55, 0.22, 0.22, 1))
            remove.bind(on_release=lambda _b, c=code: self.remove_barcode(c))
            self.barcode_box.add_widget(_row(_label(code), remove, height="48dp"))

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
        stock = self.parsed(_("Stock"), parse_qty, f["stock"].text.strip() or "0")
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
            cost=cost, stock=stock, by_weight=self.flags["by_weight"].state == "down",
            free_price=self.flags["free_price"].state == "down", favourite=self.flags["favourite"].state == "down",
            active=self.flags["active"].state == "down", barcodes=barcodes, custom=custom)

    def save(self) -> None:
        ok, _id = self.attempt(lambda: actions.save_article(self.config.acting("catalog"), self.form_detail()))
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
            self.form.add_widget(_label(_("No custom field yet: every article can get the fields added here."),
                                        size_hint_y=None, height="48dp"))
        for f in defs:
            self.form.add_widget(_row(_label(f["label"]), _label(f["key"], size_hint_x=0.6),
                                      _label(kinds.get(f["kind"], f["kind"]), size_hint_x=0.4)))
        self.new_field_key = _field(hint=_("key, e.g. origin"))
        self.new_field_label = _field(hint=_("label, e.g. Origin"))
        self.kind_names = {v: k for k, v in kinds.items()}
        self.new_field_kind = Spinner(text=kinds["text"], values=list(self.kind_names), font_size="18sp",
                                      size_hint_x=0.5)
        add = Factory.TillButton(text=_("Add"), size_hint_x=0.4)
        add.bind(on_release=lambda _b: self.add_custom_field())
        self.add_field_button = add
        self.form.add_widget(_row(self.new_field_key, self.new_field_label, self.new_field_kind, add))

    def add_custom_field(self) -> None:
        key, label = self.new_field_key.text.strip().lower(), self.new_field_label.text.strip()
        kind = self.kind_names.get(self.new_field_kind.text, "text")
        ok, _none = self.attempt(lambda: actions.define_custom_field(self.config.acting("catalog"), key, label, kind))
        if ok:
            self.app.toast(_("Saved"))
            self.open_custom_fields()


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
        self.name_field = self.labelled(_("Name"), _field(dep.name if dep else ""))
        self.colour_field = _field(dep.colour if dep else PALETTE[0], hint="#RRGGBB")
        self.swatch = Widget(size_hint_x=0.2)
        with self.swatch.canvas:
            from kivy.graphics import Color, Rectangle

            self._swatch_colour = Color(*hex_colour(self.colour_field.text))
            rect = Rectangle()
        self.swatch.bind(pos=lambda w, p: setattr(rect, "pos", p), size=lambda w, s: setattr(rect, "size", s))
        self.colour_field.bind(text=lambda _w, t: setattr(self._swatch_colour, "rgba", hex_colour(t)))
        self.form.add_widget(_row(_label(_("Colour"), size_hint_x=0.3), _row(self.colour_field, self.swatch)))
        palette = []
        for colour in PALETTE:
            btn = Factory.TillButton(text="", bg=hex_colour(colour))
            btn.bind(on_release=lambda _b, c=colour: setattr(self.colour_field, "text", c))
            palette.append(btn)
        self.form.add_widget(_row(*palette, height="44dp"))
        rates = [v.rate_bp for v in shop_db.vat_rates()]
        if dep is not None and dep.vat_bp is not None and dep.vat_bp not in rates:
            rates.append(dep.vat_bp)
        self.vat_bps: dict[str, int | None] = {_("(none)"): None}
        self.vat_bps.update({format_rate(bp, lang): bp for bp in rates})
        current = format_rate(dep.vat_bp, lang) if dep and dep.vat_bp is not None else _("(none)")
        self.vat = self.labelled(_("Default VAT rate"), Spinner(text=current, values=list(self.vat_bps),
                                                                font_size="18sp"))
        self.position_field = self.labelled(_("Position"), _field(str(dep.position) if dep else "",
                                                                  hint=_("after the others"), input_filter="int"))
        self.active_toggle = _toggle(_("Active"), dep.active if dep else True)
        self.form.add_widget(_row(_label("", size_hint_x=0.3), self.active_toggle))

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
            self.active_button = Factory.TillButton(
                text=_("Deactivate") if customer["active"] else _("Reactivate"), bg=(0.55, 0.35, 0.2, 1),
                size_hint_y=None, height="56dp")
            self.active_button.bind(on_release=lambda _b: self.set_active(not customer["active"]))
            self.form.add_widget(self.active_button)
        labels = {"name": _("Name"), "email": _("E-mail"), "phone": _("Phone"), "address": _("Address"),
                  "postcode": _("Postcode"), "city": _("City"), "vat_number": _("VAT number"), "notes": _("Notes")}
        self.fields = {}
        for key in self.FIELDS:
            multiline = key in ("address", "notes")
            value = customer[key] if customer else ""
            self.fields[key] = self.labelled(labels[key], _field(value or "", multiline=multiline),
                                             height="96dp" if multiline else "52dp")
        self.active_toggle = _toggle(_("Active"), bool(customer["active"]) if customer else True)
        self.form.add_widget(_row(_label("", size_hint_x=0.3), self.active_toggle))

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
