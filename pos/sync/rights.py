"""The Webservice rights each sync job uses, so that ``pos sync test`` checks all of them.

A key that lacks one of them passes nothing silently: the test lists the job and the missing
methods.  ``enabled_jobs`` says which jobs the till's settings switch on; ``required`` merges
their rights.  Keep each table in step with the calls of its job (``tests/sync/test_rights.py``
runs every job against an emulator key granted exactly these rights).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

READ = frozenset({"GET"})

# job -> resource -> methods.  "WRITE" stands for PATCH on 8.x, PUT on 1.7 (see ``required``).
JOB_RIGHTS: dict[str, dict[str, frozenset[str]]] = {
    "articles": {  # pos/sync/articles.py: the catalogue pull
        "products": READ, "combinations": READ, "product_options": READ, "product_option_values": READ,
        "stock_availables": READ, "categories": READ, "taxes": READ, "tax_rules": READ,
        "languages": READ, "configurations": READ,
    },
    "stock": {  # pos/sync/stock.py: the stock push
        "stock_availables": frozenset({"GET", "WRITE"}), "configurations": READ,
    },
    "orders": {  # pos/sync/orders.py: web orders imported as tickets (+ their customers)
        "orders": READ, "order_states": READ, "customers": READ, "addresses": READ, "configurations": READ,
    },
    "push_orders": {  # pos/sync/push_orders.py: the till's sales sent as orders (mode orders)
        "configurations": READ, "customers": frozenset({"GET", "POST"}), "addresses": frozenset({"GET", "POST"}),
        "carts": frozenset({"POST"}), "orders": frozenset({"GET", "POST"}),
    },
    "order_state": {  # pos/sync/orders.py with prestashop.imported_state: imported orders moved on
        "order_histories": frozenset({"POST"}),
    },
    "push": {  # pos/sync/push.py: the till's articles published on the shop
        "products": frozenset({"GET", "POST", "WRITE"}), "categories": frozenset({"GET", "POST"}),
        "tax_rule_groups": READ, "tax_rules": READ, "taxes": READ, "languages": READ, "configurations": READ,
        "stock_availables": frozenset({"GET", "WRITE"}),
    },
}


def enabled_jobs(mode: str, push: bool = False, move_state: bool = False) -> list[str]:
    """The jobs the settings switch on: the pull and the order import always, the stock push or the
    sales as orders by ``prestashop.mode``, the article push when the till publishes articles, the
    move of imported orders to a state when ``prestashop.imported_state`` is set."""
    jobs = ["articles", "orders", "push_orders" if mode == "orders" else "stock"]
    if push:
        jobs.append("push")
    if move_state:
        jobs.append("order_state")
    return jobs


def from_settings() -> list[str]:
    """The jobs the till's settings enable (database open)."""
    from pos.core import settings
    from pos.data import sync_push

    return enabled_jobs(settings.get("prestashop.mode") or "stock",
                        push=bool(settings.get("prestashop.till_fields") or sync_push.count_web()),
                        move_state=bool((settings.get("prestashop.imported_state") or "").strip()))


def required(jobs: Iterable[str], patch: bool = True) -> dict[str, frozenset[str]]:
    """resource -> methods needed by ``jobs`` (``WRITE`` made PATCH or PUT)."""
    write = "PATCH" if patch else "PUT"
    out: dict[str, set[str]] = {}
    for job in jobs:
        for resource, methods in JOB_RIGHTS[job].items():
            out.setdefault(resource, set()).update(write if m == "WRITE" else m for m in methods)
    return {res: frozenset(m) for res, m in out.items()}


def missing_by_job(jobs: Iterable[str], granted: Mapping[str, set[str]], patch: bool = True
                   ) -> dict[str, dict[str, set[str]]]:
    """job -> resource -> the methods the key lacks (jobs with nothing missing left out)."""
    out: dict[str, dict[str, set[str]]] = {}
    for job in jobs:
        lacking = {res: set(m) - granted.get(res, set()) for res, m in required([job], patch).items()}
        lacking = {res: m for res, m in lacking.items() if m}
        if lacking:
            out[job] = lacking
    return out
