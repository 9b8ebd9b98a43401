"""The SQL of stock movements, goods receipts, counts, low stock, stock value and margins.

Every change of ``article.stock`` is recorded in ``stock_move`` by the triggers of migration 13
(``pos/data/stock_schema.py``), in the writer's own transaction; a writer says what it does with
``moving(kind, user, reference)`` around its write (a change said by nobody is ``manual``).
The stock of an article stays one column read by its primary key; ``check()`` compares it with
the sum of the movements.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pos.core.i18n import _
from pos.core.money import round_div
from pos.data.common import CatalogError, now_iso
from pos.data.models import database

# the kinds of movement (``opening``: the stock found by migration 13)
KINDS = ("sale", "refund", "web_order", "receipt", "count", "import", "sync", "manual", "opening")
NET_UNITS = ("kg", "l", "piece")


@contextlib.contextmanager
def moving(kind: str, user_name: str, reference: str, at: str | None = None) -> Iterator[None]:
    """Inside a write transaction: the stock changes written in the body are movements of ``kind``
    by ``user_name`` with ``reference``.  The body runs in a savepoint, so a failure leaves no
    context behind."""
    if kind not in KINDS:
        raise ValueError(f"unknown stock movement kind {kind!r}")
    sql = 'INSERT OR REPLACE INTO "stock_context" ("id", "kind", "user_name", "at", "reference") VALUES (1, ?, ?, ?, ?)'
    with database.atomic():
        outer = database.execute_sql('SELECT "kind", "user_name", "at", "reference" FROM "stock_context"').fetchone()
        database.execute_sql(sql, (kind, user_name, at or now_iso(), reference[:255]))
        yield
        if outer is None:
            database.execute_sql('DELETE FROM "stock_context"')
        else:  # a movement context inside another: the outer one goes on
            database.execute_sql(sql, outer)


@dataclass(frozen=True)
class Move:
    id: int
    article_id: int
    reference: str  # the article's
    name: str
    kind: str
    qty: int  # thousandths, signed
    user_name: str
    at: str
    about: str  # the movement's reference (ticket, import, receipt, count...)


_MOVE_SQL = ('SELECT m.id, m.article_id, a.reference, a.name, m.kind, m.qty, m.user_name, m.at, m.reference '
             'FROM stock_move m JOIN article a ON a.id = m.article_id')


def _where(*conditions: tuple[str, Any], base: Sequence[str] = ()) -> tuple[str, list[Any]]:
    """`` WHERE ...`` of the base conditions and of each (sql, value) whose value is not None or empty
    (a tuple value: one parameter per item)."""
    where, params = list(base), []
    for sql, value in conditions:
        if value is not None and value != "":
            where.append(sql)
            params.extend(value if isinstance(value, tuple) else (value,))
    return (" WHERE " + " AND ".join(where) if where else ""), params


def moves(article_id: int | None = None, *, limit: int = 200, before_id: int | None = None) -> list[Move]:
    """Newest first: one article's movements (indexed by article and id), or the shop's."""
    where, params = _where(("m.article_id = ?", article_id), ("m.id < ?", before_id))
    sql = _MOVE_SQL + where + " ORDER BY m.id DESC LIMIT ?"
    return [Move(*row) for row in database.execute_sql(sql, (*params, limit)).fetchall()]


def iter_moves(article_id: int | None = None, since: str = "", batch: int = 5000) -> Iterator[Move]:
    """Oldest first, in batches (an export never holds the whole table)."""
    after = 0
    while True:
        where, params = _where(("m.id > ?", after), ("m.article_id = ?", article_id), ("m.at >= ?", since))
        rows = database.execute_sql(_MOVE_SQL + where + " ORDER BY m.id LIMIT ?", (*params, batch)).fetchall()
        for row in rows:
            yield Move(*row)
        if len(rows) < batch:
            return
        after = rows[-1][0]


def check() -> list[tuple[int, str, str, int, int]]:
    """(id, reference, name, stock, sum of movements) of every article whose stock differs."""
    return [tuple(r) for r in database.execute_sql(
        "SELECT a.id, a.reference, a.name, a.stock, COALESCE(s.total, 0) FROM article a "
        "LEFT JOIN (SELECT article_id, SUM(qty) AS total FROM stock_move GROUP BY article_id) s "
        "ON s.article_id = a.id WHERE a.stock <> COALESCE(s.total, 0) ORDER BY a.id").fetchall()]


@dataclass(frozen=True)
class StockArticle:
    id: int
    reference: str
    name: str
    department: str
    stock: int
    cost: int | None
    price: int
    low_stock: int | None
    net_qty: int | None
    net_unit: str
    by_weight: bool


_ARTICLE_SQL = ("SELECT a.id, a.reference, a.name, COALESCE(d.name, ''), a.stock, a.cost, a.price, a.low_stock, "
                "a.net_qty, a.net_unit, a.by_weight FROM article a LEFT JOIN department d ON d.id = a.department_id")


def _article(row: Sequence[Any]) -> StockArticle:
    return StockArticle(*row[:10], bool(row[10]))


def article_by_code(code: str) -> StockArticle | None:
    """An article by its reference or one of its barcodes (exact)."""
    row = database.execute_sql(_ARTICLE_SQL + " WHERE a.reference = ? OR a.id = "
                               "(SELECT article_id FROM barcode WHERE code = ?) LIMIT 1", (code, code)).fetchone()
    return None if row is None else _article(row)


def articles_by_id(ids: Sequence[int]) -> dict[int, StockArticle]:
    rows = database.execute_sql(_ARTICLE_SQL + " WHERE a.id IN (SELECT value FROM json_each(?))",
                                (_json_ids(ids),)).fetchall()
    return {r[0]: _article(r) for r in rows}


def _json_ids(ids: Sequence[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"


def department_articles(department: str | None, *, after: int = 0, limit: int = 500) -> list[StockArticle]:
    """Active articles by id (all, or one department's), a page at a time."""
    where, params = _where(("a.id > ?", after), ("d.name = ?", department), base=["a.active = 1"])
    return [_article(r) for r in database.execute_sql(
        _ARTICLE_SQL + where + " ORDER BY a.id LIMIT ?", (*params, limit)).fetchall()]


def receive(lines: Sequence[tuple[int, int, int | None]], user_name: str, reference: str) -> None:
    """(article id, quantity in thousandths, new cost or None) lines, in the caller's transaction."""
    with moving("receipt", user_name, reference):
        database.cursor().executemany(
            'UPDATE "article" SET "stock" = "stock" + ?, "cost" = COALESCE(?, "cost") WHERE "id" = ?',
            [(qty, cost, aid) for aid, qty, cost in lines])


def adjust(deltas: Sequence[tuple[int, int]], user_name: str, reference: str, kind: str = "count") -> None:
    """(article id, difference in thousandths) pairs, in the caller's transaction (zero differences skipped)."""
    with moving(kind, user_name, reference):
        database.cursor().executemany('UPDATE "article" SET "stock" = "stock" + ? WHERE "id" = ?',
                                      [(d, aid) for aid, d in deltas if d])


MAX_QTY = 1_000_000_000  # a million units, in thousandths


def check_stock_fields(net_qty: int | None, net_unit: str, low_stock: int | None) -> None:
    """A net quantity with its unit (kg, l or piece), a threshold of zero or more; ``CatalogError`` else."""
    if (net_qty is None) != (net_unit == ""):
        raise CatalogError(_("A net quantity needs its unit (kg, l or piece), and a unit its quantity"))
    if net_unit and net_unit not in NET_UNITS:
        raise CatalogError(_("Unknown unit {unit}: kg, l or piece").format(unit=net_unit))
    if net_qty is not None and (not isinstance(net_qty, int) or not 0 < net_qty <= MAX_QTY):
        raise CatalogError(_("The net quantity must be more than zero"))
    if low_stock is not None and (not isinstance(low_stock, int) or not 0 <= low_stock <= MAX_QTY):
        raise CatalogError(_("The threshold must be zero or more"))


def set_stock_fields(article_id: int, *, net_qty: int | None, net_unit: str, low_stock: int | None) -> None:
    database.execute_sql('UPDATE "article" SET "net_qty" = ?, "net_unit" = ?, "low_stock" = ?, "updated_at" = ? '
                         'WHERE "id" = ?', (net_qty, net_unit, low_stock, now_iso(), article_id))


def low(default: int, department: str | None = None, limit: int = 1000) -> list[StockArticle]:
    """Active articles at or below their threshold (theirs, else ``default``), lowest first."""
    where, params = _where(("a.stock <= COALESCE(a.low_stock, ?)", default), ("d.name = ?", department),
                           base=["a.active = 1"])
    return [_article(r) for r in database.execute_sql(
        _ARTICLE_SQL + where + " ORDER BY a.stock, a.name LIMIT ?", (*params, limit)).fetchall()]


def value() -> list[tuple[str, int, int]]:
    """(department, stock value at cost in cents, articles without a cost) of the positive stock, per
    department; the value is rounded once per department."""
    rows = database.execute_sql(
        "SELECT COALESCE(d.name, ''), SUM(CASE WHEN a.cost IS NOT NULL THEN a.stock * a.cost ELSE 0 END), "
        "SUM(a.cost IS NULL) FROM article a LEFT JOIN department d ON d.id = a.department_id "
        "WHERE a.stock > 0 GROUP BY 1 ORDER BY 1").fetchall()
    return [(dep, round_div(milli_cents or 0, 1000), missing or 0) for dep, milli_cents, missing in rows]


MARGIN_KEYS = {
    "article": "l.reference || ' ' || l.name",
    "department": "l.department",
    "day": "substr(t.created_at, 1, 10)",
    "month": "substr(t.created_at, 1, 7)",
}


def margin(by: str, start: str, end: str) -> list[tuple[str, int, int, int | None]]:
    """Per ``by`` (article, department, day, month): (key, quantity, sales excl. VAT, cost or None when a
    line's cost is unknown) of the non-training tickets from ``start`` (included) to ``end`` (excluded),
    local YYYY-MM-DD dates, from the cost snapshot of each line."""
    key = MARGIN_KEYS[by]
    rows = database.execute_sql(
        f"SELECT {key}, l.vat_bp, SUM(l.qty), SUM(l.total), SUM(l.qty * c.cost), "
        "SUM(l.article_id IS NOT NULL AND c.cost IS NULL) + SUM(l.article_id IS NULL) "
        "FROM ticket_line l JOIN ticket t ON t.id = l.ticket_id "
        "LEFT JOIN ticket_line_cost c ON c.line_id = l.id "
        "WHERE t.training = 0 AND t.created_at >= ? AND t.created_at < ? "
        f"GROUP BY {key}, l.vat_bp ORDER BY 1", (start, end)).fetchall()
    out: dict[str, list[Any]] = {}
    for name, vat_bp, qty, total, cost_milli, unknown in rows:
        entry = out.setdefault(name, [0, 0, 0, False])
        entry[0] += qty
        entry[1] += round_div(total * 10_000, 10_000 + vat_bp)
        entry[2] += cost_milli or 0
        entry[3] = entry[3] or bool(unknown)
    return [(name, q, excl, None if unknown else round_div(cost, 1000))
            for name, (q, excl, cost, unknown) in out.items()]


def labels(*, department: str | None = None, changed_since: str | None = None, codes: Sequence[str] = (),
           new_since: str | None = None, limit: int = 100_000) -> list[dict[str, Any]]:
    """The articles to label: active ones matching every filter given, by department and name, each with
    its first barcode (``codes`` are references or barcodes)."""
    where, params = _where(("d.name = ?", department), ("a.updated_at >= ?", changed_since),
                           ("a.id IN (SELECT article_id FROM article_created WHERE at >= ?)", new_since),
                           ("a.id IN (SELECT id FROM article WHERE reference IN (SELECT value FROM json_each(?)) "
                            "UNION SELECT article_id FROM barcode WHERE code IN (SELECT value FROM json_each(?)))",
                            (json.dumps(list(codes)),) * 2 if codes else None), base=["a.active = 1"])
    rows = database.execute_sql(
        "SELECT a.id, a.reference, a.name, a.price, a.net_qty, a.net_unit, a.by_weight, COALESCE(d.name, ''), "
        "(SELECT code FROM barcode b WHERE b.article_id = a.id ORDER BY b.id LIMIT 1) "
        "FROM article a LEFT JOIN department d ON d.id = a.department_id" + where
        + " ORDER BY COALESCE(d.name, ''), a.name, a.id LIMIT ?", (*params, limit)).fetchall()
    keys = ("id", "reference", "name", "price", "net_qty", "net_unit", "by_weight", "department", "barcode")
    return [dict(zip(keys, r)) for r in rows]


def department_exists(name: str) -> bool:
    return database.execute_sql("SELECT 1 FROM department WHERE name = ?", (name,)).fetchone() is not None
