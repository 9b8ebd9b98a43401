"""First start on an empty database: load the demo shop, or create the shop and its manager."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from pos.core import auth, settings
from pos.core.errors import Refusal
from pos.core.i18n import _
from pos.data import common, users
from pos.data import shop as shop_db
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
        shop, name, pin = (self.ids.shop.text.strip(), self.ids.manager.text.strip(), self.ids.pin.text.strip())
        try:
            settings.validate("shop.name", shop)
            if not name:
                raise Refusal(_("Type the manager's name"))
            pin_hash = auth.hash_pin(pin)
        except Refusal as exc:  # a SettingError, an InvalidValue PIN
            app.toast(str(exc), error=True)
            return
        with common.atomic():
            settings.set_value("shop.name", shop, name)
            users.create_user(name, pin_hash, "manager")
            shop_db.save_department(_("Misc."), vat_bp=2000)
        app.show("login")
