"""The SQL of the article push (``pos/sync/push.py``) and of what migration 15 adds to the sync.

- ``ps_web``: the articles published on the web shop ("publier sur le web"), with the values last
  sent (JSON: what a later push compares to send only what changed) and when;
- ``ps_order_refund``: the web orders cancelled or refunded on the shop after their import, each
  turned once into a refund ticket (``pos/sync/order_refunds.py``).
"""

from __future__ import annotations

import json
from typing import Any

from pos.data.common import now_iso
from pos.data.models import database
from pos.data.sync import set_link

V15_SYNC = [
    'CREATE TABLE "ps_web" ("article_id" INTEGER NOT NULL PRIMARY KEY, "web" INTEGER NOT NULL, '
    '"pushed" TEXT NOT NULL DEFAULT \'\', "pushed_at" VARCHAR(255) NOT NULL DEFAULT \'\', '
    'FOREIGN KEY ("article_id") REFERENCES "article" ("id") ON DELETE CASCADE)',
    'CREATE TABLE "ps_order_refund" ("id_order" INTEGER NOT NULL PRIMARY KEY, "state" INTEGER NOT NULL, '
    '"ticket_number" INTEGER, "refund_number" INTEGER, "done_at" VARCHAR(255) NOT NULL)',
]


def web_flag(article_id: int) -> bool:
    row = database.execute_sql('SELECT "web" FROM "ps_web" WHERE "article_id" = ?', (article_id,)).fetchone()
    return bool(row and row[0])


def web_flags(article_ids: list[int]) -> dict[int, bool]:
    out: dict[int, bool] = {}
    for start in range(0, len(article_ids), 500):
        chunk = article_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for aid, web in database.execute_sql(
                f'SELECT "article_id", "web" FROM "ps_web" WHERE "article_id" IN ({marks})', chunk):
            out[aid] = bool(web)
    return out


def set_web_flag(article_id: int, web: bool) -> None:
    """Inside the caller's transaction (the core journals it)."""
    database.execute_sql(
        'INSERT INTO "ps_web" ("article_id", "web") VALUES (?, ?) '
        'ON CONFLICT ("article_id") DO UPDATE SET "web" = excluded."web"', (article_id, int(web)))


def web_articles() -> list[dict[str, Any]]:
    """Every article flagged web, with what the push sends: reference, name, price (cents incl. VAT),
    vat_bp, department, ean13 (its first 13-digit barcode), stock (thousandths), by_weight, active,
    the link (id_product, id_product_attribute or None) and the values last pushed ({} if never)."""
    rows = database.execute_sql(
        'SELECT a."id", a."reference", a."name", a."price", v."rate_bp", COALESCE(d."name", \'\'), a."stock", '
        'a."by_weight", a."active", l."id_product", l."id_product_attribute", w."pushed", '
        '(SELECT b."code" FROM "barcode" b WHERE b."article_id" = a."id" AND length(b."code") = 13 '
        "  AND b.\"code\" NOT GLOB '*[^0-9]*' ORDER BY b.\"id\" LIMIT 1) "
        'FROM "ps_web" w JOIN "article" a ON a."id" = w."article_id" '
        'JOIN "vat_rate" v ON v."id" = a."vat_id" '
        'LEFT JOIN "department" d ON d."id" = a."department_id" '
        'LEFT JOIN "ps_link" l ON l."article_id" = a."id" '
        'WHERE w."web" = 1 ORDER BY a."id"').fetchall()
    out = []
    for (aid, ref, name, price, vat, dept, stock, by_weight, active, pid, attr, pushed, ean) in rows:
        out.append({"article_id": aid, "reference": ref, "name": name, "price": price, "vat_bp": vat,
                    "department": dept, "stock": stock, "by_weight": bool(by_weight), "active": bool(active),
                    "ean13": ean or "", "link": (pid, attr) if pid is not None else None,
                    "pushed": json.loads(pushed) if pushed else {}})
    return out


def record_push(article_id: int, values: dict[str, Any], link: tuple[int, int] | None, date_upd: str) -> None:
    """What was sent (and the new link of a created product), in one transaction."""
    with database.atomic("IMMEDIATE"):
        if link is not None:
            set_link(article_id, link[0], link[1], date_upd)
        database.execute_sql('UPDATE "ps_web" SET "pushed" = ?, "pushed_at" = ? WHERE "article_id" = ?',
                             (json.dumps(values, sort_keys=True), now_iso(), article_id))


def count_web() -> int:
    return database.execute_sql('SELECT COUNT(*) FROM "ps_web" WHERE "web" = 1').fetchone()[0]


# ---------------------------------------------------------------- refunds of cancelled web orders
def refunded_orders() -> set[int]:
    return {r[0] for r in database.execute_sql('SELECT "id_order" FROM "ps_order_refund"')}


class AlreadyRefunded(Exception):
    """The order was turned into a refund by an earlier run (or another process)."""


def refund_order(id_order: int, state: int, ticket_number: int, draft: Any) -> int | None:
    """Record the refund ticket of a cancelled web order (``draft`` None: nothing left to refund) and
    its ledger row, in one transaction; ``AlreadyRefunded`` if the ledger has the order."""
    from pos.data import journal
    from pos.data import tickets as tickets_db

    with database.atomic("IMMEDIATE"):
        if database.execute_sql('SELECT 1 FROM "ps_order_refund" WHERE "id_order" = ?', (id_order,)).fetchone():
            raise AlreadyRefunded(id_order)
        number = tickets_db.record_ticket(draft) if draft is not None else None
        _record_order_refund(id_order, state, ticket_number, number)
    journal.write_head()
    return number


def _record_order_refund(id_order: int, state: int, ticket_number: int | None, refund_number: int | None) -> None:
    database.execute_sql('INSERT INTO "ps_order_refund" ("id_order", "state", "ticket_number", "refund_number", '
                         '"done_at") VALUES (?, ?, ?, ?, ?)',
                         (id_order, state, ticket_number, refund_number, now_iso()))


# ---------------------------------------------------------------- the automatic sync
def linked_sales_after(number: int) -> tuple[int, bool]:
    """(the last ticket number, whether a till sale numbered after ``number`` holds a linked article)."""
    last = database.execute_sql('SELECT COALESCE(MAX("number"), 0) FROM "ticket"').fetchone()[0]
    if last <= number:
        return last, False
    found = database.execute_sql(
        'SELECT 1 FROM "ticket" t JOIN "ticket_line" tl ON tl."ticket_id" = t."id" '
        'JOIN "ps_link" l ON l."article_id" = tl."article_id" '
        'WHERE t."number" > ? AND t."channel" = \'pos\' AND t."training" = 0 LIMIT 1', (number,)).fetchone()
    return last, found is not None
