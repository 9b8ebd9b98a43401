"""The manager's catalogue pages (Configuration): the list page they share and its rows.

Each page is a searchable list (a RecycleView fed one SQL page at a time: the
catalogue may hold a million articles) and an edit form that replaces the list.
Every write goes through a core action (``pos.catalog.actions``), which checks,
validates and saves all or nothing; a refusal is shown in red above the form (and
as a toast).  The forms are made of the kv classes of ``catalog.kv`` (``CatalogHead``,
``LabelledRow``, ``FormField``...); each page has its module (``articles``, ``departments``,
``customers``).
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

from pos.core.errors import Refusal
from pos.core.i18n import _
from pos.core.permissions import NeedsManager
from pos.screens.theme import rgba
from pos.screens.widgets import make

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

PAGE = 50  # rows fetched per SQL query; the next page loads when the list is scrolled near its end


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
    swatch = ListProperty(rgba("#546E7A"))


class CustomerRow(CatalogRow):
    name = StringProperty("")
    email = StringProperty("")
    phone = StringProperty("")
    city = StringProperty("")


def field(text: str = "", hint: str = "", **kw) -> Any:
    """A form's text field (``FormField`` of theme.kv)."""
    return Factory.FormField(text=text, hint_text=hint, **kw)


def switch(label: str, down: bool, **kw) -> Any:
    """An on/off toggle of a form, with a check mark when on (``SwitchToggle``)."""
    return make("SwitchToggle", label=label, state="down" if down else "normal", **kw)


def _status(active: bool) -> str:
    return _("active") if active else _("inactive")


class CatalogPage(BoxLayout):
    """A list page: a debounced search, a paged RecycleView, an edit form in place of the list."""

    viewclass = StringProperty("ArticleRow")
    search_hint = StringProperty("")
    info = StringProperty("")
    empty = StringProperty("")  # what to do when the list is empty
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
        self.form = Factory.FormBody()
        self.form_scroll = ScrollView(do_scroll_x=False)
        self.form_scroll.add_widget(self.form)
        self.new_button = self.action(self.new_text(), lambda: self.open_new(), style="InfoButton")
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
    def action(self, text: str, callback: Callable[[], None], style: str = "TillButton") -> Any:
        btn = getattr(Factory, style)(text=text, font_size="17sp")
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
        self.empty = "" if self.items else self.empty_text(text)

    def empty_text(self, text: str) -> str:
        """What an empty list says: how to fill it."""
        if text.strip():
            return _("Nothing matches “{text}”: check the spelling, or touch «{new}».").format(
                text=text.strip(), new=self.new_text())
        return _("Nothing here yet: touch «{new}», or import a spreadsheet (Export / Import).").format(
            new=self.new_text())

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
        head = make("CatalogHead", title=title, can_save=save is not None)
        self.cancel_button = head.ids.back
        self.cancel_button.bind(on_release=lambda _b: self.close_form(reload=False))
        self.save_button = None
        if save is not None:
            self.save_button = head.ids.save
            self.save_button.bind(on_release=lambda _b: save())
        else:
            head.ids.buttons.remove_widget(head.ids.save)
        self.form.add_widget(head)
        self.error = head.ids.error
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
        row = make("LabelledRow", label=label, height=height)
        row.add_widget(widget)
        self.form.add_widget(row)
        return widget

    def add_row(self, *widgets, height: str = "52dp") -> Any:
        row = Factory.FormRow(height=height)
        for widget in widgets:
            row.add_widget(widget)
        self.form.add_widget(row)
        return row

    @staticmethod
    def parsed(label: str, parse: Callable[[str], Any], text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from None
