"""Login: choose the user, then type the PIN on the pad."""

from __future__ import annotations

from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import StringProperty

from pos.core.i18n import _
from pos.data import users
from pos.screens.base import PosScreen
from pos.screens.widgets import PinEntry

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class LoginScreen(PinEntry, PosScreen):
    chosen = StringProperty("")
    dots = StringProperty("")

    def prepare(self, **_kw) -> None:
        self._user_id = None
        self._pin = ""
        self.chosen = ""
        self.dots = ""
        grid = self.ids.users
        grid.clear_widgets()
        self.user_buttons = {}
        for user in users.users():
            role = _("Manager") if user.is_manager else _("Cashier")
            btn = Factory.UserButton(text=f"{user.name}\n[size=15sp]{role}[/size]")
            btn.bind(on_release=lambda _b, u=user: self.choose(u))
            grid.add_widget(btn)
            self.user_buttons[user.name] = btn

    def choose(self, user) -> None:
        self._user_id = user.id
        self.chosen = user.name
        self._pin = ""
        self.dots = ""
        for name, btn in self.user_buttons.items():
            btn.state = "down" if name == user.name else "normal"

    def submit(self) -> None:
        app = self.app
        if self._user_id is None:
            app.toast(_("Choose your name first"), error=True)
            return
        pin = self.take_pin()
        if app.guard(lambda: app.till.login(self._user_id, pin)):
            app.hide_toast()
            app.show("sale")
