"""Customers: pages (the search of the sale screen and of the customers page) and validated writes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pos.core.i18n import _
from pos.data.common import CatalogError, now_iso
from pos.data.models import (
    Customer,
)


def get_customer(customer_id: int) -> dict[str, Any] | None:
    return Customer.select().where(Customer.id == customer_id).dicts().first()


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CUSTOMER_FIELDS = ("name", "email", "phone", "address", "postcode", "city", "vat_number", "notes", "active")


@dataclass(frozen=True)
class CustomerPage:
    rows: list[dict[str, Any]]
    next_offset: int | None


def customer_page(text: str = "", offset: int = 0, limit: int = 50,
                  include_inactive: bool = False) -> CustomerPage:
    """One page of customers by name; ``text`` is looked for in the name, e-mail and phone."""
    text = text.strip()
    query = Customer.select()
    if not include_inactive:
        query = query.where(Customer.active == True)  # noqa: E712
    if text:
        query = query.where(Customer.name.contains(text) | Customer.email.contains(text)
                            | Customer.phone.contains(text))
    found = list(query.order_by(Customer.name, Customer.id).limit(limit + 1).offset(offset).dicts())
    return CustomerPage(found[:limit], offset + limit if len(found) > limit else None)


def save_customer(values: dict[str, Any], customer_id: int | None = None) -> int:
    """Create or update a customer from the fields of ``CUSTOMER_FIELDS`` (a name is required)."""
    unknown = set(values) - set(CUSTOMER_FIELDS)
    if unknown:
        raise CatalogError(_("Unknown customer field: {key}").format(key=", ".join(sorted(unknown))))
    clean = {k: (bool(v) if k == "active" else str(v or "").strip()) for k, v in values.items()}
    if ("name" in clean or customer_id is None) and not clean.get("name"):
        raise CatalogError(_("A customer needs a name"))
    if clean.get("email") and not _EMAIL.fullmatch(clean["email"]):
        raise CatalogError(_("Not an e-mail address: {email}").format(email=clean["email"]))
    if clean.get("phone") and not re.fullmatch(r"[0-9+() .\-]{4,30}", clean["phone"]):
        raise CatalogError(_("Not a phone number: {phone}").format(phone=clean["phone"]))
    if customer_id is None:
        return Customer.create(created_at=now_iso(), **clean).id
    if not Customer.update(**clean).where(Customer.id == customer_id).execute():
        raise CatalogError(_("This customer no longer exists"))
    return customer_id
