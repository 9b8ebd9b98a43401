"""The sale screen: basket, department pages of article buttons, search, keypad."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty

from pos.core.i18n import _, language
from pos.core.money import format_amount, format_qty, format_rate, parse_amount, parse_qty, parse_rate
from pos.data import catalog, customers
from pos.data import shop as shop_db
from pos.data.catalog import FAVOURITES, ArticleInfo
from pos.sale.basket import Discount
from pos.sale.scancodes import ticket_number
from pos.screens.base import PosScreen
from pos.screens.sale_end import SaleEnd
from pos.screens.widgets import ChoicePopup, KeypadBuffer, TextPopup, TillButton, hex_colour

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

PAGE_COLS, PAGE_ROWS = 4, 4
PAGE_SIZE = PAGE_COLS * PAGE_ROWS


class ArticleButton(TillButton):
    article = None


class DepartmentTab(Factory.ToggleButton):
    department_id = NumericProperty(0)
    bg = ListProperty([0.3, 0.3, 0.3, 1])


class BasketRow(Factory.SelectableRow):
    qty = StringProperty("")
    name = StringProperty("")
    unit = StringProperty("")
    total = StringProperty("")
    detail = StringProperty("")
    fresh = BooleanProperty(False)


class SearchRow(Factory.SelectableRow):
    name = StringProperty("")
    reference = StringProperty("")
    price = StringProperty("")
    colour = ListProperty([0.3, 0.3, 0.3, 1])


class SaleScreen(SaleEnd, PosScreen):
    total_text = StringProperty("")
    vat_text = StringProperty("")
    buffer_text = StringProperty("")
    info_text = StringProperty("")
    page_text = StringProperty("")
    selected = NumericProperty(-1)
    training = BooleanProperty(False)  # the till is in training mode: a bright band says so

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.app = App.get_running_app()
        self.till = self.app.till
        self.buffer = KeypadBuffer(self._buffer_changed)
        self.department_id = FAVOURITES
        self.page = 0
        self.fresh_index = -1
        self._follow_new_line = False
        self.search_results: list[ArticleInfo] = []
        self.article_buttons: list[ArticleButton] = []
        grid = self.ids.grid
        for _i in range(PAGE_SIZE):
            btn = ArticleButton(markup=True)
            btn.bind(on_release=self._article_released)
            grid.add_widget(btn)
            self.article_buttons.append(btn)
        self._persist = Clock.create_trigger(lambda _dt: self.app.guard(self.till.persist), 0.5)
        self._search = Clock.create_trigger(lambda _dt: self.run_search(), 0.12)
        # ids are weak proxies: keep real references to the two views swapped in and out
        self._results = self.ids.results.__self__
        self._pages = self.ids.pages.__self__
        self._results_parent = self._results.parent
        self._results_parent.remove_widget(self._results)
        self.ids.basket.on_select = None

    # ------------------------------------------------------------------ screen life
    def prepare(self, **_kw) -> None:
        self.last_ticket = None  # payment.validate shows it again after this
        self.build_tabs()
        self.refresh()

    def shutdown(self) -> None:
        """The app stops: pending debounced work is dropped (the basket was just saved)."""
        self.on_leave()
        self._persist.cancel()
        self._search.cancel()

    def build_tabs(self) -> None:
        tabs = self.ids.tabs
        tabs.clear_widgets()
        self.tab_buttons = {}
        entries = []
        if catalog.has_favourites():
            entries.append((FAVOURITES, _("Favourites"), "#F2B134"))
        entries += [(d.id, d.name, d.colour) for d in shop_db.departments()]
        if entries and self.department_id not in [e[0] for e in entries]:
            self.department_id = entries[0][0]
        for dep_id, name, colour in entries:
            tab = DepartmentTab(text=name, department_id=dep_id, bg=hex_colour(colour),
                                state="down" if dep_id == self.department_id else "normal")
            tab.bind(on_release=lambda t: self.show_department(t.department_id))
            tabs.add_widget(tab)
            self.tab_buttons[name] = tab
        self.show_page()

    # ------------------------------------------------------------------ article pages
    def show_department(self, department_id: int) -> None:
        self.department_id = department_id
        self.page = 0
        for tab in self.tab_buttons.values():
            tab.state = "down" if tab.department_id == department_id else "normal"
        self.clear_search()
        self.show_page()

    def show_page(self) -> None:
        articles, more = catalog.page_articles(self.department_id, self.page, PAGE_SIZE)
        lang = language()
        for btn, article in zip(self.article_buttons, articles + [None] * PAGE_SIZE):
            btn.article = article
            if article is None:
                btn.text, btn.opacity, btn.disabled = "", 0, True
                continue
            if article.free_price:
                price = _("free price")
            else:
                price = format_amount(article.price, lang) + (" /kg" if article.by_weight else "")
            btn.text = f"{article.name}\n[b]{price}[/b]"
            btn.bg = hex_colour(article.colour or "#546E7A")
            btn.opacity, btn.disabled = 1, False
        self.has_more = more
        self.page_text = f"{self.page + 1}"
        self.ids.prev_page.disabled = self.page == 0
        self.ids.next_page.disabled = not more

    def next_page(self, step: int) -> None:
        if step > 0 and not self.has_more or step < 0 and self.page == 0:
            return
        self.page += step
        self.show_page()

    def _article_released(self, btn) -> None:
        if btn.article is not None:
            self.add_article(btn.article)

    def add_article(self, article: ArticleInfo) -> None:
        typed = self.buffer.text

        def run():
            price = None
            if typed:
                if article.free_price:
                    price = parse_amount(typed)
                else:
                    self.till.set_pending_qty(parse_qty(typed))
            elif article.free_price:
                pass  # the till explains that a price is needed
            return self.till.add_article(article, price=price)

        def added(index: int) -> None:
            self.buffer.take()
            self.line_added(index)

        if self.app.guard(run, on_done=added) is None:
            self.refresh(persist=False)  # a refusal may have changed the pending quantity

    # ------------------------------------------------------------------ keyboard and scanners
    def scan_field(self):
        return self.ids.search

    # ------------------------------------------------------------------ scan and search
    def scan(self, code: str) -> None:
        """A barcode or reference from a scanner or the keyboard.  A receipt's ticket
        barcode opens that ticket for a refund."""
        number = ticket_number(code)
        if number is not None:
            self.app.show("history", refund=True, number=number)
            return
        self.app.guard(lambda: self.till.scan(code), on_done=self.line_added)

    def search_validated(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if catalog.find_article_by_code(text) is not None or text.isdigit():
            self.ids.search.text = ""
            self.scan(text)
            return
        self._search.cancel()
        self.run_search()  # now, not the debounced (maybe stale) results
        if len(self.search_results) == 1:
            self.add_article(self.search_results[0])

    def search_changed(self, text: str) -> None:
        self._search()

    def run_search(self) -> None:
        text = self.ids.search.text.strip()
        if not text:
            self.clear_search()
            return
        self.search_results = catalog.search_articles(text, limit=100)
        lang = language()
        self._results.data = [{
            "name": a.name, "reference": a.reference,
            "price": _("free price") if a.free_price else format_amount(a.price, lang),
            "colour": hex_colour(a.colour or "#546E7A"), "on_select": self.result_selected,
        } for a in self.search_results]
        if self._results.parent is None:
            self.ids.catalogue.remove_widget(self._pages)
            self._results_parent.add_widget(self._results)
        self.ids.no_result.opacity = 0 if self.search_results else 1

    def result_selected(self, index: int) -> None:
        if 0 <= index < len(self.search_results):
            self.add_article(self.search_results[index])

    def clear_search(self) -> None:
        self.search_results = []
        if self.ids.search.text:
            self.ids.search.text = ""
        if self._results.parent is not None:
            self._results_parent.remove_widget(self._results)
            self.ids.catalogue.add_widget(self._pages)
        self.ids.no_result.opacity = 0

    # ------------------------------------------------------------------ basket
    def line_added(self, index: int) -> None:
        self.fresh_index = index
        self.selected = -1
        self.till.last_sale = None
        self.forget_last_sale()
        self._follow_new_line = True
        self.refresh()

    def _place_basket(self, *_a) -> None:
        """A long basket scrolls to show the line just added."""
        rv = self.ids.basket
        if sum(row["height"] for row in rv.data) > rv.height:
            rv.scroll_y = 0
        self._follow_new_line = False

    def select_line(self, index: int) -> None:
        self.selected = -1 if self.selected == index else index
        self.refresh(persist=False)

    def keyboard_area(self) -> tuple[float, float]:
        """The on-screen keyboard docks under the catalogue: the basket, the total and PAYER stay in view."""
        side = self.ids.catalogue
        x, _y = side.to_window(side.x, side.y)
        return x, side.width

    def refresh(self, persist: bool = True) -> None:
        lang = language()
        self.training = self.till.training
        basket = self.till.basket
        totals = basket.totals()
        rows = []
        for i, line in enumerate(basket.lines):
            detail = []
            if line.discount_amount:
                detail.append(_("discount {amount}").format(amount=format_amount(-line.discount_amount, lang)))
            if line.price_overridden:
                detail.append(_("price was {price}").format(price=format_amount(line.list_price, lang)))
            unit = format_amount(line.unit_price, lang) + (" /kg" if line.by_weight else "")
            rows.append({
                "qty": format_qty(line.qty, lang) + (" kg" if line.by_weight else " ×"),
                "name": line.name, "unit": unit, "total": format_amount(line.net, lang),
                "detail": " · ".join(detail), "selected": i == self.selected,
                "height": dp(64) if detail else dp(52),
                # one highlighted line: the selected one, else the one just added
                "fresh": i == self.fresh_index and self.selected < 0, "on_select": self.select_line,
            })
        if self.selected >= len(rows):
            self.selected = -1
        self.ids.basket.data = rows
        if self._follow_new_line:
            Clock.schedule_once(self._place_basket)
        per_rate = "  ".join(f"{format_rate(v.vat_bp, lang)} {format_amount(v.vat, lang)}"
                             for v in totals.vat if v.vat)
        vat = _("incl. VAT {vat}").format(vat=per_rate or format_amount(0, lang))
        if totals.discount:
            vat = _("ticket discount {amount}").format(amount=format_amount(-totals.discount, lang)) + " · " + vat
        self.vat_text = vat
        self.total_text = format_amount(totals.total, lang)
        info = []
        if basket.is_refund:
            info.append(_("REFUND of ticket {number}").format(number=basket.refund_of))
        if basket.customer_id:
            customer = customers.get_customer(basket.customer_id)
            info.append(_("Customer: {name}").format(name=customer["name"] if customer else "?"))
        if self.till.pending_qty:
            info.append(_("next article: {qty} ×").format(qty=format_qty(self.till.pending_qty, lang)))
        self.info_text = "\n".join(info)
        self.show_last_sale()
        if persist:
            self._persist()

    # ------------------------------------------------------------------ keypad
    def _buffer_changed(self, text: str) -> None:
        self.buffer_text = text

    def key(self, key: str) -> None:
        if key == "C" and not self.buffer.text and self.till.pending_qty:
            self.till.set_pending_qty(None)  # C on an empty keypad forgets the "3 ×" too
            self.refresh(persist=False)
        self.buffer.key(key)

    def qty_key(self) -> None:
        typed = self.buffer.text
        if not typed:
            self.app.toast(_("Type the quantity, then ×"))
            return

        def run():
            qty = parse_qty(typed)
            if self.selected >= 0:
                self.till.set_qty(self.selected, qty)
            else:
                self.till.set_pending_qty(qty)
            return True

        self.app.guard(run, on_done=self._keypad_used)

    def _keypad_used(self, _result=None) -> None:
        """A key that used the typed number has acted (at once or after a manager's PIN)."""
        self.buffer.take()
        self.refresh()

    def discount_key(self, kind: str) -> None:
        typed = self.buffer.text

        def run():
            discount = None
            if typed:
                value = parse_rate(typed) if kind == "percent" else parse_amount(typed)
                discount = Discount(kind, value)
            if self.selected >= 0:
                self.till.set_line_discount(self.selected, discount)
            else:
                self.till.set_ticket_discount(discount)
            return True

        self.app.guard(run, on_done=self._keypad_used)

    def price_key(self) -> None:
        typed = self.buffer.text
        if self.selected < 0 or not typed:
            self.app.toast(_("Select a line and type its new price"))
            return
        index = self.selected

        def run():
            self.till.set_price(index, parse_amount(typed))
            return True

        self.app.guard(run, on_done=self._keypad_used)

    def delete_key(self) -> None:
        if self.selected < 0:
            self.app.toast(_("Select the line to remove"))
            return
        def removed(_line) -> None:
            self.selected = -1
            self.fresh_index = -1
            self.refresh()

        index = self.selected
        self.app.guard(lambda: self.till.remove_line(index), on_done=removed)

    def misc_key(self) -> None:
        typed = self.buffer.text
        if not typed:
            self.app.toast(_("Type the amount, then Misc."))
            return
        deps = [d for d in shop_db.departments() if d.vat_bp is not None]

        def added(index: int) -> None:
            self.buffer.take()
            self.line_added(index)

        def chosen(dep_id) -> None:
            self.app.guard(lambda: self.till.add_misc(parse_amount(typed), dep_id), on_done=added)

        self.app.open_popup(ChoicePopup(_("Department of this item"), [(d.name, d.id) for d in deps], chosen))

    def park_key(self) -> None:
        if not self.till.basket.lines:
            self.app.toast(_("The basket is empty"))
            return

        def parked(_basket_id) -> None:
            self.app.toast(_("Basket parked"))
            self.selected = -1
            self.refresh(persist=False)

        def done(label: str) -> None:
            self.app.guard(lambda: self.till.park(label.strip()), on_done=parked)

        self.app.open_popup(TextPopup(_("Park the basket"), done, hint=_("label (optional)")))

    def recall_key(self) -> None:
        parked = self.till.parked()
        if not parked:
            self.app.toast(_("No parked basket"))
            return
        lang = language()
        choices = [(f"{p['label'] or p['user_name']} · {p['created_at'][11:16]} · "
                    f"{format_amount(p['total'], lang)}", p["id"]) for p in parked]

        def recalled(_r) -> None:
            self.selected = -1
            self.refresh()

        def done(basket_id) -> None:
            self.app.guard(lambda: self.till.recall(basket_id) or True, on_done=recalled)

        self.app.open_popup(ChoicePopup(_("Recall a basket"), choices, done))

    def refund_key(self) -> None:
        self.app.show("history", refund=True)

    def menu_key(self) -> None:
        choices = [(_("Customer"), "customer"), (_("Ticket history"), "history"), (_("Open drawer"), "drawer")]
        choices.append((_("Cash in / out"), "cash"))
        if self.till.basket.lines and not self.till.basket.is_refund and not self.till.training:
            # (training mode is never switched with a basket: the menu keeps its nine entries in view)
            choices.append((_("Return without a ticket"), "return"))
        else:
            choices.append((_("Leave training mode") if self.till.training else _("Training mode"), "training"))
        choices.append((_("Reports"), "reports"))
        choices.append((_("Closure (Z) and X report"), "closure"))
        choices.append((_("Configuration"), "config"))
        choices.append((_("Log out"), "logout"))

        def done(choice) -> None:
            if choice == "customer":
                self.customer_key()
            elif choice == "cash":
                from pos.screens.closure import open_cash_movement

                open_cash_movement(self.app)
            elif choice == "training":
                self.training_key()
            elif choice == "return":
                self.return_key()
            elif choice in ("closure", "reports"):
                if choice == "closure" and self.till.training:
                    self.app.toast(_("Not available in training mode"), error=True)
                    return
                self.app.guard(lambda: self.till.check(choice) or True,
                               on_done=lambda _r: self.app.show(choice))
            elif choice == "drawer":
                self.app.guard(self.till.open_drawer_manually,
                               on_done=lambda _job: self.app.toast(_("Drawer opened (logged)")))
            elif choice == "logout":
                self.app.guard(self.till.logout)
                self.forget_last_sale()
                self.app.show("login")
            elif choice == "config":
                self.app.guard(lambda: self.till.check("config") or True,
                               on_done=lambda _r: self.app.show("config"))
            else:
                self.app.show(choice)

        menu = ChoicePopup(_("Menu"), choices, done)
        menu.height = min(Window.height - dp(16), dp(140) + dp(68) * len(choices))  # every entry in view
        self.app.open_popup(menu)

    def return_key(self) -> None:
        """A return without a ticket: the articles rung up are taken back (a manager, a reason)."""
        from pos.sale.vouchers import basket_to_return

        def returned(_r) -> None:
            self.refresh()
            self.app.show("payment")

        self.app.open_popup(TextPopup(_("Why is it taken back without a ticket?"),
                                      lambda reason: self.app.guard(lambda: basket_to_return(self.till, reason)
                                                                    or True, on_done=returned),
                                      hint=_("Reason")))

    def training_key(self) -> None:
        """Enter (a manager, or a cashier with a manager's PIN) or leave training mode."""
        on = not self.till.training

        def switched(_r) -> None:
            self.refresh(persist=False)
            self.app.toast(_("Training mode: tickets are not real sales") if on else _("Training mode left"))

        self.app.guard(lambda: self.till.set_training(on) or True, on_done=switched)

    def customer_key(self) -> None:
        """Find (or create) the customer of this ticket."""

        def chosen(value) -> None:
            def attach():
                customer_id = self.till.new_customer(value) if isinstance(value, str) else value
                self.till.set_customer(customer_id)
                return True

            self.app.guard(attach, on_done=lambda _r: self.refresh())

        def search(text: str) -> None:
            text = text.strip()
            found = customers.customer_page(text, limit=30).rows  # active customers, by name
            choices = [(f"{c['name']}  {c['phone']}".strip(), c["id"]) for c in found]
            if text and not any(c["name"].lower() == text.lower() for c in found):
                choices.append((_("New customer: {name}").format(name=text), text))
            if self.till.basket.customer_id:
                choices.append((_("No customer on this ticket"), None))
            self.app.open_popup(ChoicePopup(_("Customer"), choices, chosen))

        self.app.open_popup(TextPopup(_("Customer"), search, hint=_("name, phone or e-mail")))

    def cancel_key(self) -> None:
        if not self.till.basket.lines:
            return

        def cancelled(_result) -> None:
            self.selected = -1
            self.fresh_index = -1
            self.refresh()

        def done(ok) -> None:
            if ok:
                self.app.guard(self.till.cancel, on_done=cancelled)

        self.app.open_popup(ChoicePopup(_("Cancel this sale?"), [(_("Yes, cancel the sale"), True)], done))

    def pay_key(self) -> None:
        if not self.till.basket.lines:
            self.app.toast(_("The basket is empty"))
            return
        self.app.show("payment")
