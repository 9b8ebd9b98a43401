"""The SQL of the "articles from PrestaShop" job (``pos/sync/articles.py``).

Look-ups in batches (by article id, reference, barcode; the links), and the apply: new
articles, updates, deactivations, departments, links, the job's state and its event,
all in ONE ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import peewee

from pos.data import common, events, journal
from pos.data.models import database
from pos.data.stock import moving
from pos.data.sync import get_state, set_state

CHUNK = 500  # ids / codes per IN (...) query, well under SQLite's variable limit


@dataclass
class TillArticle:
    """An article as the comparison needs it."""

    id: int
    reference: str
    name: str
    price: int
    vat_bp: int
    department: str
    active: bool
    stock: int
    barcodes: list[str] = field(default_factory=list)
    link: tuple[int, int] | None = None


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for k in range(0, len(values), size):
        yield values[k:k + size]


_SELECT = ("SELECT a.id, a.reference, a.name, a.price, v.rate_bp, COALESCE(d.name, ''), a.active, a.stock, "
           "l.id_product, l.id_product_attribute "
           "FROM article a JOIN vat_rate v ON v.id = a.vat_id LEFT JOIN department d ON d.id = a.department_id "
           "LEFT JOIN ps_link l ON l.article_id = a.id ")


def _articles(where: str, values: Sequence[Any]) -> dict[int, TillArticle]:
    out: dict[int, TillArticle] = {}
    for part in _chunks(list(values)):
        marks = ",".join("?" * len(part))
        for row in database.execute_sql(_SELECT + where.format(marks=marks), tuple(part)).fetchall():
            aid, ref, name, price, vat_bp, dep, active, stock, pid, attr = row
            out[aid] = TillArticle(aid, ref, name, price, vat_bp, dep, bool(active), stock,
                                   link=None if pid is None else (pid, attr))
    ids = list(out)
    for part in _chunks(ids):
        marks = ",".join("?" * len(part))
        for aid, code in database.execute_sql(
                f"SELECT article_id, code FROM barcode WHERE article_id IN ({marks}) ORDER BY id", tuple(part)):
            out[aid].barcodes.append(code)
    return out


def articles_by_id(ids: Iterable[int]) -> dict[int, TillArticle]:
    return _articles("WHERE a.id IN ({marks})", sorted(set(ids)))


def articles_by_reference(references: Iterable[str]) -> dict[str, TillArticle]:
    found = _articles("WHERE a.reference IN ({marks})", sorted(set(references)))
    return {a.reference: a for a in found.values()}


def articles_by_barcode(codes: Iterable[str]) -> dict[str, TillArticle]:
    owners: dict[str, int] = {}
    for part in _chunks(sorted(set(codes))):
        marks = ",".join("?" * len(part))
        for code, aid in database.execute_sql(f"SELECT code, article_id FROM barcode WHERE code IN ({marks})",
                                              tuple(part)):
            owners[code] = aid
    found = articles_by_id(owners.values())
    return {code: found[aid] for code, aid in owners.items() if aid in found}


def links() -> dict[tuple[int, int], int]:
    """(id_product, id_product_attribute) → article id."""
    return {(pid, attr): aid for pid, attr, aid in
            database.execute_sql("SELECT id_product, id_product_attribute, article_id FROM ps_link")}


def linked_active() -> list[tuple[int, int, int, str, str]]:
    """(id_product, id_product_attribute, article id, reference, name) of the active linked articles."""
    return [tuple(r) for r in database.execute_sql(
        "SELECT l.id_product, l.id_product_attribute, a.id, a.reference, a.name FROM ps_link l "
        "JOIN article a ON a.id = l.article_id WHERE a.active = 1 ORDER BY l.id_product, l.id_product_attribute")]


def department_names() -> set[str]:
    return {r[0] for r in database.execute_sql("SELECT name FROM department")}


def _department_ids(names: Iterable[str]) -> tuple[dict[str, int], int]:
    """Create the departments missing among ``names``; returns (name → id, how many were created)."""
    ids = {name: did for did, name in database.execute_sql("SELECT id, name FROM department")}
    position = database.execute_sql("SELECT COALESCE(MAX(position), 0) FROM department").fetchone()[0]
    created = 0
    for name in sorted({n for n in names if n and n not in ids}):
        position += 1
        cur = database.execute_sql("INSERT INTO department (name, colour, position, vat_id, active) "
                                   "VALUES (?, '#546E7A', ?, NULL, 1)", (name, position))
        ids[name] = cur.lastrowid
        created += 1
    return ids, created


# An updated article's changed columns: one statement per column for all the articles (UPDATE ... FROM,
# SQLite 3.33), so the stock and search triggers run inside it, as for the new articles.
_COLUMNS = {"name": "name", "price": "price", "stock": "stock", "active": "active", "vat": "vat_id",
            "department": "department_id"}
_SET_COLUMN = ("UPDATE article SET {column} = json_extract(j.value, '$[1]') FROM json_each(?) j "
               "WHERE article.id = json_extract(j.value, '$[0]')")


def _update_existing(cur: Any, updates: Sequence[dict[str, Any]], dep_ids: dict[str, int],
                     vat_ids: dict[int, int], now: str) -> None:
    """The changed fields, barcodes and links of matched articles (see ``apply_articles``)."""
    ids = [u["article_id"] for u in updates]
    present: set[int] = set()
    for part in _chunks(ids):
        marks = ",".join("?" * len(part))
        present.update(r[0] for r in cur.execute(f"SELECT id FROM article WHERE id IN ({marks})", tuple(part)))
    missing = [aid for aid in ids if aid not in present]
    if missing:
        raise peewee.IntegrityError(f"article {missing[0]} no longer exists")
    for upd in updates:  # one by one, in order: a reference handed from one article to another still goes
        if "reference" in upd["values"]:
            cur.execute("UPDATE article SET reference = ? WHERE id = ?",
                        (upd["values"]["reference"], upd["article_id"]))
    convert = {"active": int, "vat": vat_ids.__getitem__, "department": dep_ids.get}
    for name, column in _COLUMNS.items():
        rows = [[u["article_id"], convert.get(name, _same)(u["values"][name])] for u in updates if name in u["values"]]
        for part in _chunks(rows, BULK):
            cur.execute(_SET_COLUMN.format(column=column), (json.dumps(part, ensure_ascii=False),))
    touched = [u["article_id"] for u in updates if "reference" in u["values"] or _COLUMNS.keys() & u["values"]]
    for part in _chunks(touched, BULK):
        cur.execute("UPDATE article SET updated_at = ? WHERE id IN (SELECT value FROM json_each(?))",
                    (now, json.dumps(part)))
    for upd in updates:
        values, aid = upd["values"], upd["article_id"]
        if "barcode" in values:
            old = upd.get("old_barcode") or ""
            if len(old) == 13 and old.isdigit():
                cur.execute("DELETE FROM barcode WHERE article_id = ? AND code = ?", (aid, old))
            cur.execute("INSERT INTO barcode (code, article_id) SELECT ?, ? WHERE NOT EXISTS "
                        "(SELECT 1 FROM barcode WHERE code = ? AND article_id = ?)",
                        (values["barcode"], aid, values["barcode"], aid))
    # each article keeps the one link it was matched by (taken from another article if need be)
    cur.executemany("DELETE FROM ps_link WHERE article_id = ? AND NOT (id_product = ? AND id_product_attribute = ?)",
                    [(u["article_id"], u["key"][0], u["key"][1]) for u in updates])
    cur.executemany("INSERT INTO ps_link (article_id, id_product, id_product_attribute, date_upd) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (id_product, id_product_attribute) DO UPDATE SET article_id = excluded.article_id, "
                    "date_upd = excluded.date_upd",
                    [(u["article_id"], u["key"][0], u["key"][1], u["date_upd"]) for u in updates])


def _same(value: Any) -> Any:
    return value


# The new articles go in by statements of BULK rows read from one JSON parameter (json_each): one statement
# runs the article triggers (search index, stock movement, creation date) in SQLite for all its rows, where
# one INSERT per row costs a statement journal and a trigger program each (about 4x slower).
BULK = 5000
_NEW_ARTICLES = (
    "INSERT INTO article (reference, name, department_id, price, vat_id, cost, stock, active, by_weight, "
    "free_price, favourite, custom, updated_at) "
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
    "json_extract(value, '$[3]'), json_extract(value, '$[4]'), NULL, json_extract(value, '$[5]'), "
    "json_extract(value, '$[6]'), 0, 0, 0, '{}', ? FROM json_each(?) ORDER BY key")
_NEW_ROWS = "FROM json_each(?) j JOIN article a ON a.reference = json_extract(j.value, '$[0]') "
_NEW_BARCODES = ("INSERT INTO barcode (code, article_id) SELECT json_extract(j.value, '$[7]'), a.id " + _NEW_ROWS
                 + "WHERE json_extract(j.value, '$[7]') <> '' ORDER BY j.key")
_NEW_LINKS = ("INSERT INTO ps_link (article_id, id_product, id_product_attribute, date_upd) "
              "SELECT a.id, json_extract(j.value, '$[8]'), json_extract(j.value, '$[9]'), "
              "json_extract(j.value, '$[10]') " + _NEW_ROWS + "WHERE 1 ORDER BY j.key "
              "ON CONFLICT (id_product, id_product_attribute) DO UPDATE SET article_id = excluded.article_id, "
              "date_upd = excluded.date_upd")


def _insert_new(cur: Any, rows: Sequence[dict[str, Any]], dep_ids: dict[str, int], vat_ids: dict[int, int],
                now: str) -> None:
    """New articles (their references are new: the barcodes and links find them by it), in their order."""
    payload = json.dumps([[r["reference"], r["name"], dep_ids.get(r["department"]), int(r["price"]),
                           vat_ids[r["vat_bp"]], int(r["stock"]), int(r["active"]), r["barcode"] or "",
                           int(r["key"][0]), int(r["key"][1]), r["date_upd"]] for r in rows], ensure_ascii=False)
    cur.execute(_NEW_ARTICLES, (now, payload))
    if cur.rowcount != len(rows):
        raise ValueError(f"{len(rows)} articles to add, {cur.rowcount} added")
    cur.execute(_NEW_BARCODES, (payload,))
    cur.execute(_NEW_LINKS, (payload,))


def apply_articles(*, new: Sequence[dict[str, Any]], updates: Sequence[dict[str, Any]], deactivate: Sequence[int],
                   state: dict[str, str], event: dict[str, Any], user_name: str) -> dict[str, int]:
    """Apply everything in one transaction (all or nothing).

    ``new``: dicts with reference, name, price, vat_bp, department, barcode, active, stock, key, date_upd.
    ``updates``: dicts with article_id, key, date_upd, ``values`` (the changed fields among those of
    ``new``) and ``old_barcode`` (removed when the barcode changes and it is an EAN-13).
    ``deactivate``: article ids.  ``state``: sync-state names → values.  Raises peewee's
    IntegrityError (a reference or a barcode taken meanwhile): nothing is changed then.
    """
    try:
        return _apply_articles(new, updates, deactivate, state, event, user_name)
    except sqlite3.IntegrityError as exc:  # from the cursor's statements (peewee wraps only its own)
        raise peewee.IntegrityError(*exc.args) from exc


def _apply_articles(new: Sequence[dict[str, Any]], updates: Sequence[dict[str, Any]], deactivate: Sequence[int],
                    state: dict[str, str], event: dict[str, Any], user_name: str) -> dict[str, int]:
    now = common.now_iso()
    with database.atomic("IMMEDIATE"), moving("sync", user_name, "PrestaShop articles"):  # stock: movements
        vat_ids = {bp: vid for vid, bp in database.execute_sql("SELECT id, rate_bp FROM vat_rate")}
        names = [r["department"] for r in new] + [u["values"]["department"] for u in updates
                                                  if "department" in u["values"]]
        dep_ids, created = _department_ids(names)
        cur = database.cursor()
        for part in _chunks(list(new), BULK):
            _insert_new(cur, part, dep_ids, vat_ids, now)
        _update_existing(cur, updates, dep_ids, vat_ids, now)
        deactivated = 0
        for part in _chunks(list(deactivate)):
            marks = ",".join("?" * len(part))
            cur.execute(f"UPDATE article SET active = 0, updated_at = ? WHERE active = 1 AND id IN ({marks})",
                        (now, *part))
            deactivated += cur.rowcount
        for name, value in state.items():
            set_state(name, value)
        if get_state("stock.last_ticket") == "":
            # the first articles come from the shop with its stock: the stock push starts after the
            # tickets already recorded (pushing the till's whole history would count it twice)
            row = database.execute_sql("SELECT coalesce(max(number), 0) FROM ticket").fetchone()
            set_state("stock.last_ticket", str(row[0]))
        done = {"added": len(new), "updated": len(updates), "deactivated": deactivated,
                "departments_created": created}
        events.log_event("sync_articles", user_name, **event, **done)
    journal.write_head()
    return done
