"""The SQL of the stock push (``pos/sync/stock.py``): deltas, the frozen batch, its per-article states.

The state lives in hidden settings (``sync.state.*``, see ``pos/data/sync.py``):

- ``stock.last_ticket``: the last ticket number whose sales are on the shop;
- ``stock.batch``: the batch being pushed (JSON: first and last ticket, counts), absent between batches;
- ``stock.item.<article id>``: one row per article of that batch (JSON: product, combination, delta,
  state, the values read and written), so that marking one article done rewrites one small row.

A batch is frozen in one transaction, each article's state moves in its own, and the batch is
closed (last ticket advanced, rows removed, the ``sync_stock`` event journaled) in one more.
"""

from __future__ import annotations

import json
from typing import Any

from pos.data import events, journal
from pos.data import tickets as tickets_db
from pos.data.models import Setting, database
from pos.data.stock import moving
from pos.data.sync import STATE_PREFIX, get_state, set_state

LAST_TICKET = "stock.last_ticket"
BATCH = "stock.batch"
ITEM = "stock.item."


def last_pushed_ticket() -> int:
    """The last ticket number already pushed (0: none yet)."""
    value = get_state(LAST_TICKET, "0")
    return int(value) if value.isdigit() else 0


def set_last_pushed_ticket(number: int) -> None:
    """Move the starting point (e.g. "the shop's stock is right as of now": the last ticket)."""
    with database.atomic("IMMEDIATE"):
        set_state(LAST_TICKET, str(int(number)))


def last_ticket_number() -> int:
    return tickets_db.last_ticket_number()


def deltas(after: int, upto: int) -> list[dict[str, Any]]:
    """Per article, the quantity sold (thousandths, refunds counted negative) by the POS tickets
    numbered in ``(after, upto]``: channel ``pos`` only (web orders were decremented by the shop
    itself), training tickets excluded, lines without an article (misc.) ignored.

    Each row: ``article_id, reference, by_weight, qty, id_product, id_product_attribute``
    (the two ids None when the article is not linked to the shop).
    """
    cursor = database.execute_sql(
        'SELECT a."id", a."reference", a."by_weight", d."qty", l."id_product", l."id_product_attribute" '
        'FROM (SELECT tl."article_id" AS "article_id", SUM(tl."qty") AS "qty" '
        '      FROM "ticket" t JOIN "ticket_line" tl ON tl."ticket_id" = t."id" '
        '      WHERE t."number" > ? AND t."number" <= ? AND t."channel" = \'pos\' AND t."training" = 0 '
        '        AND tl."article_id" IS NOT NULL '
        '      GROUP BY tl."article_id") d '
        'JOIN "article" a ON a."id" = d."article_id" '
        'LEFT JOIN "ps_link" l ON l."article_id" = a."id" '
        'ORDER BY a."id"', (after, upto))
    return [{"article_id": r[0], "reference": r[1], "by_weight": bool(r[2]), "qty": r[3], "id_product": r[4],
             "id_product_attribute": r[5]} for r in cursor.fetchall()]


# ---------------------------------------------------------------- the batch
def pending_batch() -> dict[str, Any] | None:
    """The batch being pushed (its header), or None."""
    value = get_state(BATCH)
    return json.loads(value) if value else None


def batch_items() -> list[dict[str, Any]]:
    """The articles of the pending batch, by article id."""
    low, high = STATE_PREFIX + ITEM, STATE_PREFIX + ITEM[:-1] + "/"  # "/" sorts right after "."
    rows = Setting.select(Setting.value).where((Setting.key > low) & (Setting.key < high)).tuples()
    return sorted((json.loads(value) for (value,) in rows), key=lambda item: item["article_id"])


def freeze_batch(header: dict[str, Any], items: list[dict[str, Any]]) -> None:
    """Record a new batch and its articles, in one transaction."""
    with database.atomic("IMMEDIATE"):
        if get_state(BATCH):
            raise RuntimeError("a stock batch is already pending")
        _clear_items()
        set_state(BATCH, json.dumps(header, sort_keys=True))
        rows = [{"key": STATE_PREFIX + ITEM + str(item["article_id"]), "value": json.dumps(item, sort_keys=True)}
                for item in items]
        for start in range(0, len(rows), 500):
            Setting.insert_many(rows[start:start + 500]).on_conflict_replace().execute()


def save_item(item: dict[str, Any]) -> None:
    """One article's new state, in its own transaction (durable before the next request)."""
    with database.atomic("IMMEDIATE"):
        set_state(ITEM + str(item["article_id"]), json.dumps(item, sort_keys=True))


def save_items(items: list[dict[str, Any]]) -> None:
    """Several articles' new states in one transaction (a chunk about to be written, or written)."""
    if not items:
        return
    with database.atomic("IMMEDIATE"):
        rows = [{"key": STATE_PREFIX + ITEM + str(item["article_id"]), "value": json.dumps(item, sort_keys=True)}
                for item in items]
        for start in range(0, len(rows), 500):
            Setting.insert_many(rows[start:start + 500]).on_conflict_replace().execute()


def complete_batch(last_ticket: int, user_name: str, event: dict[str, Any]) -> None:
    """Close the batch: advance the last pushed ticket, forget the batch, journal the event; one transaction."""
    with database.atomic("IMMEDIATE"):
        set_state(LAST_TICKET, str(int(last_ticket)))
        Setting.delete().where(Setting.key == STATE_PREFIX + BATCH).execute()
        _clear_items()
        events.log_event("sync_stock", user_name, **event)
    journal.write_head()


def _clear_items() -> None:
    low, high = STATE_PREFIX + ITEM, STATE_PREFIX + ITEM[:-1] + "/"
    Setting.delete().where((Setting.key > low) & (Setting.key < high)).execute()


def linked_unit_articles() -> list[tuple[int, tuple[int, int], int]]:
    """(article id, (id_product, id_product_attribute), stock) of the linked articles sold by the unit."""
    rows = database.execute_sql(
        "SELECT a.id, l.id_product, l.id_product_attribute, a.stock FROM ps_link l "
        "JOIN article a ON a.id = l.article_id WHERE a.by_weight = 0").fetchall()
    return [(aid, (p, pa), stock) for aid, p, pa, stock in rows]


def set_stocks(updates: list[tuple[int, int]]) -> None:
    """(stock in thousandths, article id) pairs, in one transaction."""
    if not updates:
        return
    with database.atomic("IMMEDIATE"), moving("sync", "", "PrestaShop stock"):  # sync corrections
        database.cursor().executemany('UPDATE "article" SET "stock" = ? WHERE "id" = ?', updates)
