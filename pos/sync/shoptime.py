"""The shop's clock: PrestaShop's API dates are in the shop's own time zone (its ``PS_TIMEZONE``,
e.g. Europe/Paris), without an offset, whatever the till's zone is.

``shop_zone`` reads it (None when the shop does not say or names an unknown zone: the till's own zone
is assumed then); ``to_local`` turns a shop date into the till's ISO 8601 with its offset;
``delta_since`` keeps a ``date_upd`` delta right across a daylight-saving change: when the clocks go
back, an hour of shop dates happens twice, so a delta that stopped inside that hour starts again an
hour earlier (what it reads twice, the ledgers skip).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pos.sync.client import DATE_FORMAT, PrestaShopClient


def shop_zone(client: PrestaShopClient) -> dt.tzinfo | None:
    name = client.configuration(["PS_TIMEZONE"]).get("PS_TIMEZONE", "").strip()
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse(text: str) -> dt.datetime:
    """A shop date (``YYYY-MM-DD HH:MM:SS``), naive; ``ValueError`` if it is not one."""
    return dt.datetime.strptime(str(text).strip(), DATE_FORMAT)


def to_local(text: str, zone: dt.tzinfo | None) -> str:
    """The shop date ``text`` as the till's local ISO 8601 with its offset (``zone`` None: the till's)."""
    naive = parse(text)
    aware = naive.replace(tzinfo=zone) if zone is not None else naive.astimezone()
    return aware.astimezone().isoformat(timespec="seconds")


def ambiguous(naive: dt.datetime, zone: dt.tzinfo) -> bool:
    """True when this wall-clock time happens twice in ``zone`` (the hour the clocks go back)."""
    first, second = naive.replace(tzinfo=zone, fold=0).utcoffset(), naive.replace(tzinfo=zone, fold=1).utcoffset()
    return first is not None and second is not None and first > second  # (a skipped hour has first < second)


def delta_since(since: str, zone: dt.tzinfo | None) -> str:
    """Where a ``date_upd`` delta starts: ``since``, or an hour earlier inside a repeated hour."""
    if zone is None or not since:
        return since
    try:
        naive = parse(since)
    except ValueError:
        return since
    if ambiguous(naive, zone) or ambiguous(naive - dt.timedelta(hours=1), zone):
        return (naive - dt.timedelta(hours=1)).strftime(DATE_FORMAT)
    return since
