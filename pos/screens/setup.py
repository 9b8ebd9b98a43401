"""First start on an empty database: load the demo shop, or create the shop and its manager."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from pos.core import admin
from pos.core.errors import Refusal
from pos.core.i18n import _
from pos.screens.base import PosScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class SetupScreen(PosScreen):
    def load_demo(self) -> None:
        from pos.demo import load_demo_shop

        app = self.app
        load_demo_shop()
        app.toast(_("Demo shop loaded: Claire (manager) PIN 9999, Marie (cashier) PIN 1234"), seconds=6)
        app.show("login")

    def create_shop(self) -> None:
        app = self.app
        try:
            admin.first_manager(self.ids.manager.text, self.ids.pin.text.strip(), shop_name=self.ids.shop.text)
        except Refusal as exc:  # a SettingError, an InvalidValue PIN, a name missing
            app.toast(str(exc), error=True)
            return
        app.show("login")
