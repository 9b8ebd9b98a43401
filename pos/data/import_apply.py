"""Applying an import in short transactions, all or nothing, while the till keeps selling.

One transaction for a whole import held the write lock for seconds (5.4 s for 200,000 rows):
sales waited, then failed with "database is locked".  The apply is now a series of short
transactions (``Chunks``: about 0.25 s each, with a pause between them in which a waiting sale
takes the lock; ``PosDatabase.begin`` polls for it), and stays all-or-nothing:

- before a chunk commits, what it is about to change is written to an **undo log**, a small
  SQLite file next to the database (``<db>.import-undo``, fsync'ed): the previous values of the
  updated rows, the ids of the added ones, the whole rows (with barcodes and shop links) of the
  deleted ones, the barcodes replaced;
- the **marker**, the hidden setting ``import.applying``, names the undo log and the last chunk
  committed; it is written in the chunk's own transaction, so it is exactly as far as the data;
- the last transaction writes the import log, the event and its journal record, and removes the
  marker: only then is the import applied, and only then is it logged.

If anything fails on the way (a refused row, a full disk, a stale preview), the chunks already
committed are undone, newest first, each undo in its own short transaction; if the process is
killed, the next start (``recover``, called by ``open_database``) undoes them the same way.  The
undo keeps what sales did meanwhile: the stock is given back as a difference (``stock - change``),
and an added article that has been sold is deactivated instead of deleted.  A file lock
(``<db>.import-lock``) says that an import is running, so that another process never undoes it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pos.data import journal
from pos.data.common import now_iso
from pos.data.files import create_private, os_lock  # no fcntl (Windows): no lock
from pos.data.models import database
from pos.data.stock import moving
from pos.data.transfer import TABLES, StaleError, Table, _fingerprint, _literal, _q

log = logging.getLogger(__name__)

MARKER = "import.applying"
TARGET_SECONDS = 0.25  # one chunk's transaction
GAP_SECONDS = 0.005  # between two chunks: a waiting sale (it polls every 2 ms) gets the write lock
FIRST_ROWS, MIN_ROWS, MAX_ROWS = 1000, 50, 20_000  # rows of a chunk: adapted to TARGET_SECONDS


class Busy(RuntimeError):
    """Another import is being applied to this database."""


# ---------------------------------------------------------------- the undo log and the lock
class Json(str):
    """An undo entry's data already written in JSON."""


class UndoLog:
    """``<db>.import-undo``: (chunk, op, id, data) entries, durable before their chunk commits."""

    def __init__(self, path: str) -> None:
        self.path = path
        create_private(path)  # it holds rows of the catalogue and the customers
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = DELETE")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS entry (seq INTEGER PRIMARY KEY, chunk INTEGER NOT NULL, "
                          "op TEXT NOT NULL, id INTEGER NOT NULL, data TEXT)")

    def add(self, chunk: int, entries: Sequence[tuple[str, int, Any]]) -> None:
        if not entries:
            return
        self.conn.execute("BEGIN")
        self.conn.executemany("INSERT INTO entry (chunk, op, id, data) VALUES (?, ?, ?, ?)",
                              [(chunk, op, i, data if data is None or type(data) is Json else json.dumps(data))
                               for op, i, data in entries])
        self.conn.execute("COMMIT")

    def chunk(self, number: int) -> list[tuple[str, int, Any]]:
        """The entries of one chunk, newest first."""
        return [(op, i, None if data is None else json.loads(data)) for op, i, data in self.conn.execute(
            "SELECT op, id, data FROM entry WHERE chunk = ? ORDER BY seq DESC", (number,))]

    def close(self, remove: bool) -> None:
        self.conn.close()
        if remove:
            for suffix in ("", "-journal"):
                Path(self.path + suffix).unlink(missing_ok=True)


@contextlib.contextmanager
def import_lock(db_path: str) -> Iterator[bool]:
    """Hold ``<db>.import-lock`` (an OS lock, released if the process dies); yields False if taken."""
    with os_lock(db_path + ".import-lock") as held:
        yield held


def _marker() -> dict[str, Any] | None:
    row = database.execute_sql("SELECT value FROM setting WHERE key = ?", (MARKER,)).fetchone()
    return json.loads(row[0]) if row else None


def _set_marker(value: dict[str, Any] | None) -> None:
    if value is None:
        database.execute_sql("DELETE FROM setting WHERE key = ?", (MARKER,))
    else:
        database.execute_sql("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", (MARKER, json.dumps(value)))


FTS_AUTOMERGE = 4  # FTS5's default


def _merging(t: Table) -> int | None:
    """The ``automerge`` setting of the table's full-text index (None: the table has none)."""
    if not t.search:
        return None
    row = database.execute_sql(f"SELECT v FROM {_q(t.search + '_config')} WHERE k = 'automerge'").fetchone()
    return FTS_AUTOMERGE if row is None else int(row[0])


def _set_merging(t: Table, value: int | None) -> None:
    """Set the index's ``automerge``.  An apply turns it off: deleting 10,000 articles spent 3 s merging the
    index's segments at each chunk; FTS5 still merges a level that reaches ``crisismerge`` segments, and the
    setting is given back when the import ends, applied or undone (``recover`` too)."""
    if t.search and value is not None:
        database.execute_sql(f"INSERT INTO {_q(t.search)} ({_q(t.search)}, rank) VALUES ('automerge', ?)", (value,))


def _ids(values: Sequence[int]) -> str:
    return json.dumps(list(values))


IN_IDS = "IN (SELECT value FROM json_each(?))"


# ---------------------------------------------------------------- the chunks
class Chunks:
    """Runs short transactions, each with its undo entries written first, and undoes them on failure."""

    def __init__(self, undo: UndoLog, marker: dict[str, Any]) -> None:
        self.undo, self.marker = undo, marker
        self.number = 0
        self.rows = FIRST_ROWS

    def run(self, work: Callable[[int], tuple[list[tuple[str, int, Any]], Any]]) -> Any:
        """One transaction: ``work(rows)`` changes at most ``rows`` rows and returns (undo entries, result)."""
        self.number += 1
        started = time.monotonic()
        about = f"import {self.marker.get('file', '')}"  # its stock changes are movements
        with database.atomic("IMMEDIATE"), moving("import", self.marker.get("user", ""), about):
            entries, result = work(self.rows)
            self.undo.add(self.number, entries)  # durable before the chunk is
            _set_marker({**self.marker, "chunk": self.number})
        took = time.monotonic() - started
        # about TARGET_SECONDS of work per transaction, whatever the machine and the table (growing
        # twofold at most: a chunk that found little to do says little about the next)
        factor = min(2.0, TARGET_SECONDS / max(took, 0.001))
        self.rows = max(MIN_ROWS, min(MAX_ROWS, int(self.rows * factor)))
        time.sleep(GAP_SECONDS)
        return result

    def each(self, work: Callable[[int, Any], tuple[list[tuple[str, int, Any]], Any]], start: Any = 0) -> None:
        """``run`` again and again: ``work(rows, position)`` returns (entries, next position or None when done)."""
        position = start
        self.rows = FIRST_ROWS  # each step has its own cost per row
        while position is not None:
            position = self.run(lambda rows, p=position: work(rows, p))


def rollback(undo: UndoLog, table: Table, last_chunk: int) -> None:
    """Undo the chunks ``last_chunk`` down to 1, each in its own transaction, and remove the marker."""
    merging = (_marker() or {}).get("automerge")
    for number in range(last_chunk, 0, -1):
        with database.atomic("IMMEDIATE"), moving("import", "", "import undone"):
            for op, row_id, data in undo.chunk(number):
                _undo_one(table, op, row_id, data)
            if number == 1:
                _set_merging(table, merging)
            _set_marker(None if number == 1 else {**(_marker() or {}), "chunk": number - 1})
        time.sleep(GAP_SECONDS)
    if last_chunk == 0:  # nothing to undo (chunk 1 gave the setting back and removed the marker otherwise)
        with database.atomic("IMMEDIATE"):
            _set_merging(table, merging)
            _set_marker(None)


def _undo_one(t: Table, op: str, row_id: int, data: Any) -> None:
    table = _q(t.table)
    run = database.execute_sql
    if op == "upd":
        row, stock = data["row"], data.get("stock")
        sets = [f"{_q(c)} = ?" for c in row]
        params: list[Any] = list(row.values())
        if stock:  # what sales did meanwhile stays: give back the import's change only
            sets.append('"stock" = "stock" - ?')
            params.append(stock)
        if sets:
            run(f"UPDATE {table} SET {', '.join(sets)} WHERE id = ?", (*params, row_id))
    elif op == "ins":
        in_use = run(f"SELECT {t.in_use or '0'} FROM {table} t WHERE t.id = ?", (row_id,)).fetchone()
        if in_use and in_use[0]:  # sold meanwhile: it stays, out of sale
            run(f"UPDATE {table} SET active = 0 WHERE id = ?", (row_id,))
        elif in_use:
            run(f"DELETE FROM {table} WHERE id = ?", (row_id,))
    elif op == "del":
        row = data["row"]
        run(f"INSERT OR IGNORE INTO {table} ({', '.join(map(_q, row))}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()))
        for barcode_id, code in data.get("barcodes", []):  # the same rows, ids included
            run("INSERT OR REPLACE INTO barcode (id, code, article_id) VALUES (?, ?, ?)", (barcode_id, code, row_id))
        for link in data.get("ps_link", []):
            run("INSERT OR IGNORE INTO ps_link (id, article_id, id_product, id_product_attribute, date_upd) "
                "VALUES (?, ?, ?, ?, ?)", (link[0], row_id, *link[1:]))
        for side_table, side_rows in data.get("side", {}).items():  # the web flag, what was last pushed
            for side_row in side_rows:
                run(f"INSERT OR REPLACE INTO {_q(side_table)} ({', '.join(map(_q, side_row))}) "
                    f"VALUES ({', '.join('?' * len(side_row))})", tuple(side_row.values()))
    elif op == "side":
        side_table, key, value = t.side[data["column"]]
        if data["old"] is None:
            run(f"DELETE FROM {_q(side_table)} WHERE {_q(key)} = ?", (row_id,))
        else:
            run(f"UPDATE {_q(side_table)} SET {_q(value)} = ? WHERE {_q(key)} = ?", (data["old"], row_id))
    elif op == "deact":
        run(f"UPDATE {table} SET active = 1 WHERE id = ?", (row_id,))
    elif op == "dept":
        run("DELETE FROM department WHERE id = ? AND NOT EXISTS (SELECT 1 FROM article WHERE department_id = ?)",
            (row_id, row_id))
    elif op == "bc":
        run("DELETE FROM barcode WHERE article_id = ?", (row_id,))
        for barcode_id, code in data:
            run("INSERT OR REPLACE INTO barcode (id, code, article_id) VALUES (?, ?, ?)", (barcode_id, code, row_id))


def recover() -> bool:
    """At start: undo an import that a killed process left half applied.  True if one was undone."""
    marker = _marker()
    db_path = database.obj.database if database.obj is not None else ""
    if marker is None or not db_path or db_path == ":memory:":
        return False
    with import_lock(db_path) as mine:
        if not mine:
            return False  # another process is applying it right now
        marker = _marker()
        if marker is None:
            return False
        undo_path = marker.get("undo", "")
        if not Path(undo_path).is_file():
            log.error("an interrupted import left no undo log (%s): it cannot be undone", undo_path)
            with database.atomic("IMMEDIATE"):
                _set_marker(None)
            return False
        undo = UndoLog(undo_path)
        try:
            rollback(undo, TABLES[marker["entity"]], int(marker.get("chunk", 0)))
        finally:
            undo.close(remove=_marker() is None)
        log.warning("an interrupted import of %s (%s) was undone", marker["entity"], marker.get("file", ""))
    return True


# ---------------------------------------------------------------- applying
def apply_chunked(stage_path: str, t: Table, *, present: Sequence[str], custom_keys: Sequence[str],
                  has_barcodes: bool, add: bool, update: bool, delete: bool, create_departments: bool,
                  fingerprint: tuple, log_info: dict[str, Any], fail_after: str = "") -> dict[str, int]:
    """Apply a classified stage (see ``pos/data/transfer.py``) in short transactions, all or nothing."""
    db_path = database.obj.database
    recover()
    with import_lock(db_path) as mine:
        if not mine:
            raise Busy(t.entity)
        undo = UndoLog(db_path + ".import-undo")
        database.execute_sql("ATTACH DATABASE ? AS stage", (stage_path,))
        # the lines that change something: each step below walks these, not the whole file
        database.execute_sql("DROP TABLE IF EXISTS stage.todo")
        database.execute_sql("CREATE TABLE stage.todo (line INTEGER PRIMARY KEY)")
        database.execute_sql("INSERT INTO stage.todo SELECT line FROM stage.row WHERE status IN ('new', 'changed')")
        marker = {"entity": t.entity, "undo": undo.path, "file": log_info["file_name"],
                  "user": log_info["user_name"], "chunk": 0, "automerge": _merging(t)}
        chunks = Chunks(undo, marker)
        done = {"added": 0, "updated": 0, "deleted": 0, "deactivated": 0, "departments_created": 0}
        finished = False
        try:
            job = _Apply(t, present, custom_keys, done, now_iso())
            max_id = chunks.run(lambda rows: ([], job.start(fingerprint, merging=0)))
            if delete:
                chunks.each(lambda rows, after: job.delete_missing(rows, after, max_id))
            if fail_after == "delete":
                raise RuntimeError("injected failure after delete")
            if t.entity == "articles" and create_departments and (add or update):
                chunks.run(lambda rows: job.create_departments(add, update))
            if add:
                chunks.each(lambda rows, after: job.add(rows, after))
            if fail_after == "add":
                raise RuntimeError("injected failure after add")
            if update:
                chunks.each(lambda rows, after: job.update(rows, after))
            if has_barcodes and (add or update):
                chunks.each(lambda rows, after: job.barcodes(rows, after, add, update))
            for column in [c for c in present if c in t.side] if add or update else []:
                chunks.each(lambda rows, after, c=column: job.side(c, rows, after, add, update))
            if fail_after == "update":
                raise RuntimeError("injected failure after update")
            with database.atomic("IMMEDIATE"):  # the import is applied when this commits
                job.log(log_info)
                _set_merging(t, marker["automerge"])
                _set_marker(None)
            finished = True
        except BaseException:
            if chunks.number:
                rollback(undo, t, chunks.number)
            raise
        finally:
            database.execute_sql("DETACH DATABASE stage")
            undo.close(remove=finished or _marker() is None)
    journal.write_head()
    return done


class _Apply:
    """The statements of one apply, each restricted to a chunk of the stage's lines (or the shop's ids)."""

    def __init__(self, t: Table, present: Sequence[str], custom_keys: Sequence[str], done: dict[str, int],
                 now: str) -> None:
        self.t, self.present, self.custom_keys, self.done, self.now = t, present, custom_keys, done, now
        self.cols = [c for c in present if c in t.columns]
        self.table = _q(t.table)

    def run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return database.execute_sql(sql, tuple(params))

    def start(self, fingerprint: tuple, merging: int) -> int:
        if _fingerprint(database.execute_sql, self.t) != fingerprint:
            raise StaleError(self.t.entity)
        _set_merging(self.t, merging)
        return self.run(f"SELECT coalesce(max(id), 0) FROM {self.table}").fetchone()[0]

    def _lines(self, status_sql: str, after: int, rows: int) -> tuple[tuple[int, int], int | None] | None:
        """The first and last of the next ``rows`` lines of the step, and where the next chunk starts (None
        when these are the last: no chunk only to find nothing)."""
        found = self.run("SELECT min(line), max(line), count(*) FROM (SELECT d.line FROM stage.todo d "
                         f"JOIN stage.row r ON r.line = d.line WHERE {status_sql} AND d.line > ? "
                         "ORDER BY d.line LIMIT ?)", (after, rows)).fetchone()
        return None if found[0] is None else ((found[0], found[1]), found[1] if found[2] == rows else None)

    # what the file lacks: deactivated when in use, deleted otherwise
    def delete_missing(self, rows: int, after: int, max_id: int) -> tuple[list, int | None]:
        t = self.t
        ids = [r[0] for r in self.run("SELECT id FROM stage.missing WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
                                      (after, max_id, rows))]
        if not ids:
            return [], None
        in_use = t.in_use or "0"
        used = {r[0]: r[1] for r in self.run(f"SELECT t.id, t.active FROM {self.table} t WHERE t.id {IN_IDS} "
                                             f"AND ({in_use})", (_ids(ids),))}
        entries: list[tuple[str, int, Any]] = [("deact", i, None) for i, active in used.items() if active]
        gone = [i for i in ids if i not in used]
        cur = self.run(f"SELECT * FROM {self.table} WHERE id {IN_IDS}", (_ids(gone),))
        names = [d[0] for d in cur.description]
        rows_gone = [dict(zip(names, values)) for values in cur.fetchall()]
        linked: dict[str, dict[int, list]] = {}  # what goes with the deleted rows, read for all of them at once
        if t.entity == "articles":
            for kind, sql in (("barcodes", "SELECT article_id, id, code FROM barcode"),
                              ("ps_link", "SELECT article_id, id, id_product, id_product_attribute, date_upd "
                                          "FROM ps_link")):
                by_id: dict[int, list] = linked.setdefault(kind, {})
                for owner, *values in self.run(f"{sql} WHERE article_id {IN_IDS} ORDER BY id", (_ids(gone),)):
                    by_id.setdefault(owner, []).append(values)
        side = self._side_rows(gone)
        for row in rows_gone:
            data: dict[str, Any] = {"row": row}
            for kind, by_id in linked.items():
                data[kind] = by_id.get(row["id"], [])
            data["side"] = {table: by_owner[row["id"]] for table, by_owner in side.items() if row["id"] in by_owner}
            entries.append(("del", row["id"], data))
        self.done["deactivated"] += self.run(f"UPDATE {self.table} SET active = 0 WHERE active = 1 AND id {IN_IDS}",
                                             (_ids([e[1] for e in entries if e[0] == "deact"]),)).rowcount
        self.done["deleted"] += self.run(f"DELETE FROM {self.table} WHERE id {IN_IDS}", (_ids(gone),)).rowcount
        return entries, ids[-1] if len(ids) == rows else None

    def create_departments(self, add: bool, update: bool) -> tuple[list, None]:
        statuses = "('new', 'changed')" if add and update else ("('new')" if add else "('changed')")
        before = self.run("SELECT coalesce(max(id), 0) FROM department").fetchone()[0]
        cur = self.run(
            "INSERT INTO department (name, colour, position, vat_id, active) "
            "SELECT d.name, '#546E7A', (SELECT coalesce(max(position), 0) FROM department) + d.n, NULL, 1 "
            "FROM (SELECT dept_new AS name, row_number() OVER (ORDER BY dept_new) AS n FROM "
            f"(SELECT DISTINCT dept_new FROM stage.row WHERE dept_new IS NOT NULL AND status IN {statuses})) d")
        self.done["departments_created"] = cur.rowcount
        return [("dept", r[0], None) for r in self.run("SELECT id FROM department WHERE id > ?", (before,))], None

    def _value(self, col: str, new: bool = False) -> str:
        t = self.t
        if col == "department_id" and t.entity == "articles":
            return "coalesce(r.department_id, (SELECT id FROM department WHERE name = r.dept_new))"
        if col in t.keep_blank:  # a blank cell: the default of a new row, the current value otherwise
            return f"coalesce(r.{_q(col)}, {_literal(t.defaults[col]) if new else f'{self.table}.{_q(col)}'})"
        return f"r.{_q(col)}"

    def add(self, rows: int, after: int) -> tuple[list, int | None]:
        t, cols = self.t, self.cols
        found = self._lines("r.status = 'new'", after, rows)
        if found is None:
            return [], None
        span, more = found
        extra = {k: v for k, v in t.defaults.items() if k not in cols}
        extra_names: list[str] = []
        extra_sql: list[str] = []
        if t.entity == "articles":
            extra["updated_at"] = self.now
            extra_names, extra_sql = ["custom"], ["json_patch('{}', r.custom)" if self.custom_keys else "'{}'"]
        if t.entity == "customers":
            extra["created_at"] = self.now
        key_col = [] if t.entity == "customers" or t.key in cols else [t.key]
        names = [*key_col, *cols, *extra_names, *extra]
        values = [*("r.key" for _ in key_col), *(self._value(c, new=True) for c in cols), *extra_sql,
                  *("?" for _ in extra)]
        before = self.run(f"SELECT coalesce(max(id), 0) FROM {self.table}").fetchone()[0]
        cur = self.run(f"INSERT INTO {self.table} ({', '.join(map(_q, names))}) SELECT {', '.join(values)} "
                       "FROM stage.row r WHERE r.status = 'new' AND r.line BETWEEN ? AND ? ORDER BY r.line",
                       (*extra.values(), *span))
        self.done["added"] += cur.rowcount
        return [("ins", r[0], None) for r in self.run(f"SELECT id FROM {self.table} WHERE id > ?", (before,))], more

    def update(self, rows: int, after: int) -> tuple[list, int | None]:
        """The chunk's changed rows, one statement per set of changed fields: only the columns that
        change are set, so the indexes and the search triggers of the others are left alone."""
        found = self._lines("r.status = 'changed'", after, rows)
        if found is None:
            return [], None
        span, more = found
        entries: list[tuple[str, int, Any]] = []
        for (changed,) in self.run("SELECT DISTINCT changed FROM stage.row r WHERE r.status = 'changed' "
                                   "AND r.line BETWEEN ? AND ?", span).fetchall():
            entries += self._update_fields(set(changed.split(",")), changed, span)
        return entries, more

    def _update_fields(self, fields: set[str], changed: str, span: tuple[int, int]) -> list[tuple[str, int, Any]]:
        t = self.t
        cols = [c for c in self.cols if c != t.key and c in fields]
        sets = [f"{_q(c)} = {self._value(c)}" for c in cols]
        params: list[Any] = []
        saved = [c for c in cols if c != "stock"]
        if any(k in fields for k in self.custom_keys):
            sets.append(f"custom = json_patch({self.table}.custom, r.custom)")
            saved.append("custom")
        if t.entity == "articles":
            sets.append("updated_at = ?")
            params.append(self.now)
            saved.append("updated_at")
        if not sets:
            return []
        chosen = "r.status = 'changed' AND r.changed = ? AND r.line BETWEEN ? AND ?"
        image = "json_object(" + ", ".join(f"'{c}', t.{_q(c)}" for c in saved) + ")" if saved else "'{}'"
        before = {i: (row, stock) for i, row, stock in self.run(
            f"SELECT t.id, {image}, {'t.stock' if 'stock' in cols else '0'} FROM {self.table} t "
            f"JOIN stage.row r ON r.target = t.id WHERE {chosen}", (changed, *span))}
        cur = self.run(f"UPDATE {self.table} SET {', '.join(sets)} FROM stage.row AS r "
                       f"WHERE r.target = {self.table}.id AND {chosen}", (*params, changed, *span))
        self.done["updated"] += cur.rowcount
        after_stock = dict(self.run(f"SELECT id, stock FROM {self.table} WHERE id {IN_IDS}",
                                    (_ids(list(before)),)).fetchall()) if "stock" in cols else {}
        # the row as SQLite wrote it in JSON, not read into Python and written again (100,000 rows of a file)
        moved = {i: after_stock.get(i, stock) - stock for i, (_row, stock) in before.items()} if after_stock else {}
        return [("upd", i, Json(f'{{"row": {row}, "stock": {moved.get(i, 0)}}}'))
                for i, (row, _stock) in before.items()]

    def barcodes(self, rows: int, after: int, add: bool, update: bool) -> tuple[list, int | None]:
        rewritten = "(r.status = 'changed' AND instr(',' || r.changed || ',', ',barcodes,') > 0)"
        statuses = [s for s, on in (("(r.status = 'new')", add), (rewritten, update)) if on]
        found = self._lines("(" + " OR ".join(statuses) + ")", after, rows)
        if found is None:
            return [], None
        span, more = found
        # the articles whose barcodes change: the chunk's rewritten and new articles, and the holders of its
        # codes that the file rewrites too (a barcode moving from one article of the file to another)
        affected = [r[0] for r in self.run(
            "SELECT a.id FROM stage.row r JOIN article a ON a.reference = r.key "
            f"WHERE ({' OR '.join(statuses)}) AND r.line BETWEEN ? AND ? "
            "UNION SELECT b.article_id FROM stage.bc s JOIN barcode b ON b.code = s.code "
            "WHERE s.line BETWEEN ? AND ? AND ? AND EXISTS "
            f"(SELECT 1 FROM stage.row r WHERE r.target = b.article_id AND {rewritten})", (*span, *span, int(update)))]
        entries = [("bc", i, [list(r) for r in self.run("SELECT id, code FROM barcode WHERE article_id = ? "
                                                        "ORDER BY id", (i,))]) for i in affected]
        if update:
            self.run("DELETE FROM barcode WHERE article_id IN (SELECT target FROM stage.row r "
                     f"WHERE {rewritten} AND r.line BETWEEN ? AND ?)", span)
            self.run("DELETE FROM barcode WHERE code IN (SELECT code FROM stage.bc WHERE line BETWEEN ? AND ?) "
                     f"AND EXISTS (SELECT 1 FROM stage.row r WHERE r.target = barcode.article_id AND {rewritten})",
                     span)
        self.run("INSERT INTO barcode (code, article_id) SELECT s.code, a.id FROM stage.bc s "
                 "JOIN stage.row r ON r.line = s.line JOIN article a ON a.reference = r.key "
                 f"WHERE ({' OR '.join(statuses)}) AND r.line BETWEEN ? AND ? ORDER BY s.rowid", span)
        return entries, more

    def _side_rows(self, row_ids: list[int]) -> dict[str, dict[int, list[dict[str, Any]]]]:
        """The side-table rows of records about to be deleted (they go with them: ON DELETE CASCADE),
        by table then record."""
        out: dict[str, dict[int, list[dict[str, Any]]]] = {}
        for side_table, key, _value in set(self.t.side.values()):
            cur = self.run(f"SELECT * FROM {_q(side_table)} WHERE {_q(key)} {IN_IDS}", (_ids(row_ids),))
            names = [d[0] for d in cur.description]
            for values in cur.fetchall():
                row = dict(zip(names, values))
                out.setdefault(side_table, {}).setdefault(row[key], []).append(row)
        return out

    def side(self, column: str, rows: int, after: int, add: bool, update: bool) -> tuple[list, int | None]:
        """A column kept in a side table (the web flag): set for the chunk's new rows and the changed
        rows where it changed; a blank cell leaves it as it is."""
        side_table, key, value = self.t.side[column]
        rewritten = f"(r.status = 'changed' AND instr(',' || r.changed || ',', ',{column},') > 0)"
        statuses = [s for s, on in (("(r.status = 'new')", add), (rewritten, update)) if on]
        found = self._lines("(" + " OR ".join(statuses) + ")", after, rows)
        if found is None:
            return [], None
        span, more = found
        chosen = (f"FROM stage.row r JOIN {self.table} a ON a.{_q(self.t.key)} = r.key "
                  f"WHERE ({' OR '.join(statuses)}) AND r.{_q(column)} IS NOT NULL AND r.line BETWEEN ? AND ?")
        entries = [("side", i, {"column": column, "old": old}) for i, old in self.run(
            f"SELECT a.id, (SELECT s.{_q(value)} FROM {_q(side_table)} s WHERE s.{_q(key)} = a.id) {chosen}", span)]
        self.run(f"INSERT INTO {_q(side_table)} ({_q(key)}, {_q(value)}) SELECT a.id, r.{_q(column)} {chosen} "
                 f"ON CONFLICT ({_q(key)}) DO UPDATE SET {_q(value)} = excluded.{_q(value)}", span)
        return entries, more

    def log(self, info: dict[str, Any]) -> None:
        t, done = self.t, self.done
        counts = {**info["counts"], **done}
        self.run("INSERT INTO import_log (at, user_name, entity, file_name, file_sha256, choices, counts) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (self.now, info["user_name"], t.entity, info["file_name"], info["file_sha256"],
                  json.dumps(info["choices"], sort_keys=True), json.dumps(counts, sort_keys=True)))
        event = {"entity": t.entity, "file": info["file_name"], "sha256": info["file_sha256"], **done}
        self.run("INSERT INTO event (at, kind, user_name, data) VALUES (?, 'import', ?, ?)",
                 (self.now, info["user_name"], json.dumps(event, sort_keys=True)))
        journal.append("event", "import", {"kind": "import", "user": info["user_name"], "data": event}, self.now)
