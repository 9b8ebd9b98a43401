"""The SQL of the reports: set-based aggregates over the paid tickets of a period.

A period is ``[start, end)`` given as local dates ``YYYY-MM-DD`` (or any prefix of a
local ISO 8601 timestamp).  Tickets store ``created_at`` as local ISO 8601 with its
UTC offset (``2024-05-03T14:22:01+02:00``), so the text starts with the local date
and time: ``created_at >= '2024-05-03' AND created_at < '2024-05-04'`` is exactly the
local day of 3 May, and it uses the ``ticket_created_at`` index.

Training tickets (``ticket.training = 1``) are never in the fiscal figures; the
summary counts them apart.  Refunds are tickets of kind ``refund`` with negative
lines, VAT, payments and totals: they are included (net figures), and counted apart.

Every query groups in SQLite (``GROUP BY``): nothing here loops over tickets in
Python, so a month of 150,000 tickets is summed in one pass per figure.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pos.data.models import database

GROUPINGS = ("day", "article", "department", "vat", "payment", "cashier", "hour")

_BOUND = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ][0-9:.]+([+-]\d{2}:?\d{2}|Z)?)?)?)?$")
_PERIOD = 't."created_at" >= ? AND t."created_at" < ?'
_FISCAL = 't."training" = 0'


def _bounds(start: str, end: str) -> tuple[str, str]:
    for value in (start, end):
        if not isinstance(value, str) or not _BOUND.match(value):
            raise ValueError(f"bad period bound {value!r}: expected a local date YYYY-MM-DD")
    return start, end


def _dicts(sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    cursor = database.execute_sql(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# ---------------------------------------------------------------- the period's totals
def summary(start: str, end: str) -> dict[str, Any]:
    """Counts and totals of the period (cents): sales, refunds, net total, discounts,
    training tickets, first and last fiscal ticket numbers."""
    params = _bounds(start, end)
    row = _dicts(
        'SELECT '
        'COALESCE(SUM(CASE WHEN t."training" = 0 AND t."kind" <> \'refund\' THEN 1 END), 0) AS sales_count, '
        'COALESCE(SUM(CASE WHEN t."training" = 0 AND t."kind" <> \'refund\' THEN t."total" END), 0) AS sales_total, '
        'COALESCE(SUM(CASE WHEN t."training" = 0 AND t."kind" = \'refund\' THEN 1 END), 0) AS refunds_count, '
        'COALESCE(SUM(CASE WHEN t."training" = 0 AND t."kind" = \'refund\' THEN t."total" END), 0) AS refunds_total, '
        'COALESCE(SUM(CASE WHEN t."training" = 0 THEN t."discount_amount" END), 0) AS ticket_discounts, '
        'COALESCE(SUM(CASE WHEN t."training" = 1 THEN 1 END), 0) AS training_count, '
        'COALESCE(SUM(CASE WHEN t."training" = 1 THEN t."total" END), 0) AS training_total, '
        'MIN(CASE WHEN t."training" = 0 THEN t."number" END) AS first_ticket, '
        'MAX(CASE WHEN t."training" = 0 THEN t."number" END) AS last_ticket '
        f'FROM "ticket" t WHERE {_PERIOD}', params)[0]
    line_discounts = database.execute_sql(
        'SELECT COALESCE(SUM(tl."discount_amount"), 0) FROM "ticket" t '
        'JOIN "ticket_line" tl ON tl."ticket_id" = t."id" '
        f'WHERE {_PERIOD} AND {_FISCAL} AND tl."discount_amount" <> 0', params).fetchone()[0]
    return {
        "sales": {"count": row["sales_count"], "total": row["sales_total"]},
        "refunds": {"count": row["refunds_count"], "total": row["refunds_total"]},
        "count": row["sales_count"] + row["refunds_count"],
        "total": row["sales_total"] + row["refunds_total"],
        "discounts": row["ticket_discounts"] + line_discounts,
        "training": {"count": row["training_count"], "total": row["training_total"]},
        "first_ticket": row["first_ticket"],
        "last_ticket": row["last_ticket"],
    }


# ---------------------------------------------------------------- groupings
def by_vat(start: str, end: str) -> list[dict[str, Any]]:
    """Per VAT rate (highest first): ``vat_bp``, ``excl``, ``vat``, ``total`` (cents)."""
    return _dicts(
        'SELECT v."vat_bp" AS vat_bp, SUM(v."excl") AS excl, SUM(v."vat") AS vat, SUM(v."total") AS total '
        'FROM "ticket" t JOIN "ticket_vat" v ON v."ticket_id" = t."id" '
        f'WHERE {_PERIOD} AND {_FISCAL} GROUP BY v."vat_bp" ORDER BY v."vat_bp" DESC', _bounds(start, end))


def by_payment(start: str, end: str) -> list[dict[str, Any]]:
    """Per payment method: ``method_code``, ``method_name`` (the latest name), ``count``
    (payments), ``tendered`` (what was handed over), ``change`` (given back) and
    ``amount`` = tendered − change, the money really taken.

    ``ticket_payment.amount`` is what the customer tendered; the change of a ticket
    (``ticket.change``) is given from its cash: it is taken off the ticket's first
    payment by a method that gives change (else its first payment)."""
    params = _bounds(start, end)
    rows = _dicts(
        'SELECT p."method_code" AS method_code, p."method_name" AS method_name, MAX(p."id") AS last_id, '
        'COUNT(*) AS count, SUM(p."amount") AS tendered '
        'FROM "ticket" t JOIN "ticket_payment" p ON p."ticket_id" = t."id" '
        f'WHERE {_PERIOD} AND {_FISCAL} GROUP BY p."method_code"', params)
    change = dict(database.execute_sql(
        'SELECT COALESCE('
        '(SELECT p."method_code" FROM "ticket_payment" p JOIN "payment_method" m ON m."id" = p."method_id" '
        ' WHERE p."ticket_id" = t."id" AND m."gives_change" = 1 ORDER BY p."id" LIMIT 1), '
        '(SELECT p."method_code" FROM "ticket_payment" p WHERE p."ticket_id" = t."id" ORDER BY p."id" LIMIT 1)'
        ') AS code, SUM(t."change") '
        f'FROM "ticket" t WHERE {_PERIOD} AND {_FISCAL} AND t."change" <> 0 GROUP BY code', params).fetchall())
    out = []
    for r in rows:
        given = change.get(r["method_code"], 0)
        out.append({"method_code": r["method_code"], "method_name": r["method_name"], "count": r["count"],
                    "tendered": r["tendered"], "change": given, "amount": r["tendered"] - given})
    out.sort(key=lambda r: (-abs(r["amount"]), r["method_code"]))
    return out


def by_article(start: str, end: str) -> list[dict[str, Any]]:
    """Per article (its reference, else its name for lines without one), from the
    lines' snapshots: ``reference``, ``name`` (the latest), ``qty`` (thousandths, net of
    refunds), ``lines``, ``total`` (cents, after discounts).  Best sellers first."""
    return _dicts(
        'SELECT CASE WHEN tl."reference" <> \'\' THEN tl."reference" ELSE tl."name" END AS k, '
        'MAX(tl."id") AS last_id, tl."reference" AS reference, tl."name" AS name, '
        'SUM(tl."qty") AS qty, COUNT(*) AS lines, SUM(tl."total") AS total '
        'FROM "ticket" t JOIN "ticket_line" tl ON tl."ticket_id" = t."id" '
        f'WHERE {_PERIOD} AND {_FISCAL} GROUP BY k ORDER BY total DESC, k', _bounds(start, end))


def by_department(start: str, end: str) -> list[dict[str, Any]]:
    """Per department (the lines' snapshot; "" when none): ``department``, ``qty``, ``lines``, ``total``."""
    return _dicts(
        'SELECT tl."department" AS department, SUM(tl."qty") AS qty, COUNT(*) AS lines, '
        'SUM(tl."total") AS total '
        'FROM "ticket" t JOIN "ticket_line" tl ON tl."ticket_id" = t."id" '
        f'WHERE {_PERIOD} AND {_FISCAL} GROUP BY tl."department" ORDER BY total DESC, department',
        _bounds(start, end))


def _by_ticket_column(expression: str, name: str, start: str, end: str, order: str) -> list[dict[str, Any]]:
    return _dicts(
        f'SELECT {expression} AS {name}, COUNT(*) AS tickets, '
        'SUM(CASE WHEN t."kind" <> \'refund\' THEN 1 ELSE 0 END) AS sales, '
        'SUM(CASE WHEN t."kind" = \'refund\' THEN 1 ELSE 0 END) AS refunds, '
        'SUM(t."total") AS total '
        f'FROM "ticket" t WHERE {_PERIOD} AND {_FISCAL} GROUP BY {name} ORDER BY {order}',
        _bounds(start, end))


def by_cashier(start: str, end: str) -> list[dict[str, Any]]:
    """Per cashier (``ticket.user_name``): ``cashier``, ``tickets``, ``sales``, ``refunds``, ``total``."""
    return _by_ticket_column('t."user_name"', "cashier", start, end, "total DESC, cashier")


def by_hour(start: str, end: str) -> list[dict[str, Any]]:
    """Per local hour of the day (``hour`` 0-23): ``tickets``, ``sales``, ``refunds``, ``total``."""
    return _by_ticket_column('CAST(substr(t."created_at", 12, 2) AS INTEGER)', "hour", start, end, "hour")


def by_day(start: str, end: str) -> list[dict[str, Any]]:
    """Per local day (``day`` YYYY-MM-DD): ``tickets``, ``sales``, ``refunds``, ``total``."""
    return _by_ticket_column('substr(t."created_at", 1, 10)', "day", start, end, "day")


BY = {"day": by_day, "article": by_article, "department": by_department, "vat": by_vat,
      "payment": by_payment, "cashier": by_cashier, "hour": by_hour}


def grouped(by: str, start: str, end: str) -> list[dict[str, Any]]:
    if by not in BY:
        raise ValueError(f"unknown grouping {by!r}: expected one of {', '.join(GROUPINGS)}")
    return BY[by](start, end)


# ---------------------------------------------------------------- tickets and closures
def ticket_training(number: int) -> bool | None:
    """Whether ticket ``number`` is a training ticket; None when there is no such ticket."""
    row = database.execute_sql('SELECT "training" FROM "ticket" WHERE "number" = ?', (number,)).fetchone()
    return None if row is None else bool(row[0])


_CLOSURE_COLS = ('"kind", "number", "till", "created_at", "user_name", "period_start", "period_end", '
                 '"first_ticket", "last_ticket", "ticket_count", "total", "perpetual_total", "data", '
                 '"journal_seq", "last_hash"')


def _closure(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    try:
        row["data"] = json.loads(row["data"] or "{}")
    except ValueError:
        row["data"] = {}
    return row


def closures(kind: str, *, number: int | None = None, start: str | None = None, end: str | None = None,
             made_on: str | None = None, last: bool = False) -> list[dict[str, Any]]:
    """Stored closures of ``kind`` (day, month, year) as dicts (``data`` decoded), by number.

    ``number``: that one.  ``start``/``end`` (local dates, end excluded): those whose
    period overlaps ``[start, end)`` (a period ending exactly at midnight of ``start``
    does not).  ``made_on``: those made on that local date (``YYYY-MM-DD``).
    ``last``: only the newest."""
    where, params = ['"kind" = ?'], [kind]
    if number is not None:
        where.append('"number" = ?')
        params.append(number)
    if made_on is not None:
        _bounds(made_on, made_on)
        where.append('substr("created_at", 1, 10) = ?')
        params.append(made_on)
    if start is not None and end is not None:
        _bounds(start, end)
        # "2024-05-04T00:00:00+02:00" < "2024-05-04T00:00:00\uffff": a period ending at that midnight is out
        where.append('"period_start" < ? AND "period_end" > ?')
        params += [end, f"{start}T00:00:00\uffff"]
    sql = (f'SELECT {_CLOSURE_COLS} FROM "closure" WHERE {" AND ".join(where)} '
           f'ORDER BY "number" {"DESC LIMIT 1" if last else ""}')
    return [_closure(r) for r in _dicts(sql, tuple(params))]
