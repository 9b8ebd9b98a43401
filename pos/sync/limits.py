"""The client's safety limits from the settings (``prestashop.max_response_mb``, ``prestashop.run_minutes``)."""

from __future__ import annotations

from typing import Any


def client_limits() -> dict[str, Any]:
    """Keyword arguments of ``PrestaShopClient`` for one run: the largest answer and the run's length."""
    from pos.core import settings

    return {"max_bytes": int(settings.get("prestashop.max_response_mb")) * 2**20,
            "run_seconds": int(settings.get("prestashop.run_minutes")) * 60.0}
