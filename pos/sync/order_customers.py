"""A web order's customer at the till: found by e-mail (case ignored), or created with the name,
e-mail and invoice address the shop has (``customers`` and ``addresses``, read once per run each).

The customer is attached to the web ticket, so that its A4 invoice is made out to them.  An order
whose customer has no e-mail, or was deleted on the shop, is imported without a customer.
"""

from __future__ import annotations

from typing import Any

from pos.data import sync_customers as data
from pos.sync.client import PrestaShopClient
from pos.sync.errors import NotFound
from pos.sync.xml import Record


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


class WebCustomers:
    """The till customer of each web order, cached by the shop's customer id for a run."""

    def __init__(self, client: PrestaShopClient, user_name: str) -> None:
        self.client = client
        self.user_name = user_name
        self._by_shop_id: dict[str, int | None] = {}
        self.created = 0

    def values(self, order: Record) -> dict[str, str] | None:
        """What the shop knows of the order's customer: name, email, address, postcode, city, phone."""
        id_customer = str(order.get("id_customer") or "")
        if not id_customer or id_customer == "0":
            return None
        try:
            shop = self.client.get("customers", id_customer, display_=["id", "firstname", "lastname", "email",
                                                                      "company"])
        except NotFound:
            return None
        email = _text(shop.get("email")).lower()
        if not email:
            return None
        name = _text(f"{_text(shop.get('firstname'))} {_text(shop.get('lastname'))}") or email
        out = {"name": name[:255], "email": email}
        id_address = str(order.get("id_address_invoice") or order.get("id_address_delivery") or "")
        if id_address and id_address != "0":
            try:
                addr = self.client.get("addresses", id_address, display_=[
                    "id", "company", "address1", "address2", "postcode", "city", "phone", "phone_mobile",
                    "vat_number"])
            except NotFound:
                addr = {}
            lines = [_text(addr.get(k)) for k in ("company", "address1", "address2")]
            out["address"] = "\n".join(x for x in lines if x)
            out["postcode"] = _text(addr.get("postcode"))[:20]
            out["city"] = _text(addr.get("city"))
            phone = _text(addr.get("phone")) or _text(addr.get("phone_mobile"))
            if phone and all(c in "0123456789+() .-" for c in phone) and 4 <= len(phone) <= 30:
                out["phone"] = phone
            if _text(addr.get("vat_number")):
                out["vat_number"] = _text(addr.get("vat_number"))[:32]
        return out

    def customer_id(self, order: Record, dry_run: bool = False) -> int | None:
        """The till customer of ``order`` (created unless ``dry_run``), or None."""
        key = str(order.get("id_customer") or "")
        if key in self._by_shop_id:
            return self._by_shop_id[key]
        values = self.values(order)
        found: int | None = None
        if values is not None:
            found = data.customer_by_email(values["email"])
            if found is None and not dry_run:
                found = data.create_web_customer(values, self.user_name)
                self.created += 1
        self._by_shop_id[key] = found
        return found
