"""Every query of ``pos.data`` on one object, for tests that read back what a subprocess wrote."""

from __future__ import annotations

import types

from pos.data import baskets, catalog, common, customers, events, shop, tickets, users


def every_query() -> types.SimpleNamespace:
    names: dict[str, object] = {}
    for module in (common, catalog, shop, customers, users, events, baskets, tickets):
        for name, value in vars(module).items():
            if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__:
                names[name] = value
    names["database"] = common.database
    return types.SimpleNamespace(**names)
