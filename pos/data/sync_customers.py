"""The SQL of web order customers (``pos/sync/order_customers.py``): found by e-mail, or created
(journaled as ``customer_created`` by the web user, in the same transaction)."""

from __future__ import annotations

from typing import Any

from pos.data import customers, events, journal
from pos.data.models import database


def customer_by_email(email: str) -> int | None:
    """The customer with this e-mail (case ignored), the active one first, else the oldest."""
    row = database.execute_sql(
        'SELECT "id" FROM "customer" WHERE lower("email") = lower(?) AND "email" != \'\' '
        'ORDER BY "active" DESC, "id" LIMIT 1', (email.strip(),)).fetchone()
    return row[0] if row else None


def create_web_customer(values: dict[str, Any], user_name: str) -> int:
    with database.atomic("IMMEDIATE"):
        found = customer_by_email(values["email"])  # another process may have made them meanwhile
        if found is not None:
            return found
        customer_id = customers.save_customer(dict(values, notes="PrestaShop"))
        events.log_event("customer_created", user_name, id=customer_id, name=values["name"], source="web")
    journal.write_head()
    return customer_id
