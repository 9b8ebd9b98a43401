"""The SQL of CSV import and export (``pos/catalog/transfer.py`` drives it).

An import is staged in its own SQLite file (``stage``), attached to a
connection on the shop's database:

- ``stage.row``: one record per data line of the file, already converted to the
  shop's units (cents, thousandths, ids) by ``pos/catalog/transfer.py``, with its
  ``status`` (new, changed, same, invalid), the id of the ``target`` it matches
  and the ``changed`` field names;
- ``stage.bc``: the barcodes of each line (articles);
- ``stage.err``: every error with its line and column.

The preview runs on a private ``sqlite3`` connection that never writes the
shop's tables, so the till keeps selling meanwhile; applying runs on the
shop's connection, in short ``BEGIN IMMEDIATE`` transactions between which sales
go through, with an undo log that makes it all or nothing
(``pos/data/import_apply.py``).
Memory stays flat whatever the size of the file: rows go to disk in batches
and every comparison is a join.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pos.data.models import database

STATUSES = ("new", "changed", "same", "invalid")


@dataclass(frozen=True)
class Table:
    """What the SQL needs to know about one importable list."""

    entity: str  # articles | departments | customers
    table: str  # the shop table
    key: str  # the column a row is matched on (reference, name, id)
    columns: tuple[str, ...]  # the shop columns the file can set (barcodes and custom aside)
    defaults: dict[str, Any] = field(default_factory=dict)  # for new rows, columns the file lacks
    in_use: str = ""  # SQL condition on alias t: true when t cannot be deleted (then deactivated)
    order: str = "t.id"
    # stage columns kept in a side table, not in ``table``: name -> (side table, its key column, its value column)
    side: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    @property
    def stage_columns(self) -> tuple[str, ...]:
        return (*self.columns, *self.side)

    def side_value(self, col: str, alias: str = "t") -> str:
        """The SQL of a side column's current value for the row ``alias`` (0 when it has no side row)."""
        table, key, value = self.side[col]
        return f"coalesce((SELECT s.{_q(value)} FROM {_q(table)} s WHERE s.{_q(key)} = {alias}.id), 0)"

    @property
    def keep_blank(self) -> set[str]:
        """Columns that cannot be empty: a blank cell keeps the value (or gives the default to a new row)."""
        return set(self.defaults) & set(self.columns)


# what the SQL knows of each importable list (``pos/catalog/transfer.py`` adds the CSV columns)
TABLES = {
    "articles": Table(
        "articles", "article", "reference", ("name", "department_id", "price", "vat_id", "cost", "stock", "active"),
        defaults={"stock": 0, "active": 1, "by_weight": 0, "free_price": 0, "favourite": 0},
        in_use="EXISTS (SELECT 1 FROM ticket_line l WHERE l.article_id = t.id)", order="t.reference",
        side={"web": ("ps_web", "article_id", "web")}),  # "publier sur le web" (pos/sync/push.py)
    "departments": Table(
        "departments", "department", "name", ("colour", "vat_id", "position", "active"),
        defaults={"colour": "#546E7A", "position": 0, "active": 1},
        in_use="EXISTS (SELECT 1 FROM article a WHERE a.department_id = t.id)", order="t.position, t.name"),
    "customers": Table(
        "customers", "customer", "id",
        ("name", "email", "phone", "address", "postcode", "city", "vat_number", "notes", "active"),
        defaults={"email": "", "phone": "", "address": "", "postcode": "", "city": "", "vat_number": "",
                  "notes": "", "active": 1},
        in_use="EXISTS (SELECT 1 FROM ticket k WHERE k.customer_id = t.id)", order="t.id"),
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    """An SQL literal for a default value (integers and short texts of this module only)."""
    if isinstance(value, (bool, int)):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


# ---------------------------------------------------------------- the staging file
class Stage:
    """A staging file attached to a private connection on the shop's database."""

    def __init__(self, shop_path: str, stage_path: str, table: Table, stage_columns: Sequence[str]) -> None:
        self.table = table
        self.path = stage_path
        self.columns = list(stage_columns)
        self.conn = sqlite3.connect(shop_path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA query_only = 0")
        # case ignored the way people expect it, accented capitals too (SQLite's NOCASE folds ASCII only)
        self.conn.create_function("fold", 1, lambda v: v.casefold() if isinstance(v, str) else v, deterministic=True)
        self.conn.execute("ATTACH DATABASE ? AS stage", (stage_path,))
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -65536"):
            self.conn.execute(f"PRAGMA stage.{pragma}")
        self.conn.execute("PRAGMA busy_timeout = 5000")
        self.conn.execute("PRAGMA main.cache_size = -65536")  # the comparison reads the whole list
        cols = "".join(f", {_q(c)}" for c in self.columns)
        self.conn.executescript(f"""
            CREATE TABLE stage.row (line INTEGER PRIMARY KEY, key TEXT NOT NULL, target INTEGER,
                status TEXT NOT NULL DEFAULT 'new', changed TEXT NOT NULL DEFAULT '', bad INTEGER NOT NULL DEFAULT 0,
                dept_new TEXT, barcodes TEXT, custom TEXT{cols});
            CREATE TABLE stage.bc (line INTEGER NOT NULL, code TEXT NOT NULL);
            CREATE TABLE stage.err (line INTEGER NOT NULL, col INTEGER, field TEXT NOT NULL, message TEXT NOT NULL,
                phase TEXT NOT NULL DEFAULT 'parse');
        """)
        self._insert = (f"INSERT INTO stage.row (line, key, bad, dept_new, barcodes, custom{cols}) "
                        f"VALUES (?, ?, ?, ?, ?, ?{', ?' * len(self.columns)})")

    def close(self) -> None:
        self.conn.close()

    def add(self, rows: list[tuple], barcodes: list[tuple[int, str]], errors: list[tuple]) -> None:
        """Store a batch: rows are (line, key, bad, dept_new, barcodes, custom, *columns)."""
        c = self.conn
        c.execute("BEGIN")
        c.executemany(self._insert, rows)
        if barcodes:
            c.executemany("INSERT INTO stage.bc (line, code) VALUES (?, ?)", barcodes)
        if errors:
            c.executemany("INSERT INTO stage.err (line, col, field, message) VALUES (?, ?, ?, ?)", errors)
        c.execute("COMMIT")

    def finish_loading(self) -> None:
        """The rows with one barcode give it to ``stage.bc`` here (``add`` got only the lines with several:
        a million fewer rows bound one by one), then the indexes."""
        self.conn.executescript("""
            INSERT INTO stage.bc (line, code) SELECT line, barcodes FROM stage.row
                WHERE barcodes IS NOT NULL AND instr(barcodes, '|') = 0;
            CREATE INDEX stage.row_key ON row (key);
            CREATE INDEX stage.bc_code ON bc (code, line);
            CREATE INDEX stage.bc_line ON bc (line);
            CREATE INDEX stage.err_line ON err (line);
        """)

    # ------------------------------------------------------------ classification
    def classify(self, *, present: Sequence[str], required: Sequence[tuple[str, int | None, str]],
                 custom_keys: Sequence[str], has_barcodes: bool, create_departments: bool,
                 messages: dict[str, str]) -> None:
        """Match every row, find duplicates and conflicts, and compute what changes.

        ``present``: the stage columns the file has; ``required``: (column, file column
        number or None, label) that a row needs; ``messages``: the translated texts."""
        t, c = self.table, self.conn
        c.execute("BEGIN")
        c.execute("DELETE FROM stage.err WHERE phase = 'classify'")
        c.execute("DROP INDEX IF EXISTS stage.row_target")
        key = _q(t.key)
        if t.entity == "customers":
            c.execute("UPDATE stage.row SET status = CASE WHEN bad THEN 'invalid' ELSE 'new' END, "
                      "target = NULL, changed = ''")
            c.execute(f"UPDATE stage.row SET target = (SELECT id FROM {_q(t.table)} WHERE id = CAST(key AS INTEGER)) "
                      "WHERE key != ''")
            if "email" in present:
                c.execute("UPDATE stage.row SET target = (SELECT min(id) FROM customer "
                          "WHERE lower(email) = lower(stage.row.email)) "
                          "WHERE target IS NULL AND email IS NOT NULL AND email != ''")
        else:
            match = f"fold({key}) = fold(stage.row.key)" if t.entity == "departments" else f"{key} = stage.row.key"
            found = f"CASE WHEN key != '' THEN (SELECT id FROM {_q(t.table)} WHERE {match}) END"
            # one pass over the rows: matched (a row found is "same" until a field differs), or new
            c.execute(f"UPDATE stage.row SET target = {found}, changed = '', status = CASE WHEN bad THEN 'invalid' "
                      f"WHEN {found} IS NOT NULL THEN 'same' ELSE 'new' END")
        if has_barcodes:
            # no reference: the first barcode finds the article, or becomes the new article's reference
            c.execute("UPDATE stage.row SET target = (SELECT b.article_id FROM barcode b, stage.bc s "
                      "WHERE s.line = stage.row.line AND b.code = s.code ORDER BY s.rowid LIMIT 1) WHERE key = ''")
            c.execute("UPDATE stage.row SET key = coalesce((SELECT reference FROM article WHERE id = target), "
                      "(SELECT code FROM stage.bc s WHERE s.line = stage.row.line ORDER BY s.rowid LIMIT 1), '') "
                      "WHERE key = ''")
        c.execute("UPDATE stage.row SET status = 'same' WHERE status = 'new' AND target IS NOT NULL")
        c.execute("CREATE INDEX stage.row_target ON row (target)")
        if t.entity != "customers":
            c.execute("INSERT INTO stage.err (line, col, field, message, phase) "
                      "SELECT line, NULL, ?, ?, 'classify' FROM stage.row WHERE key = ''",
                      (t.key, messages["no_key"]))
            # the same key twice in the file: the later lines are refused (department names: case ignored)
            same = "fold(p.key) = fold(r.key)" if t.entity == "departments" else "p.key = r.key"
            c.execute("INSERT INTO stage.err (line, col, field, message, phase) "
                      "SELECT r.line, NULL, ?, replace(replace(?, '{key}', r.key), '{line}', "
                      f"(SELECT min(p.line) FROM stage.row p WHERE {same})), 'classify' "
                      "FROM stage.row r WHERE r.key != '' AND "
                      f"EXISTS (SELECT 1 FROM stage.row p WHERE {same} AND p.line < r.line)",
                      (t.key, messages["duplicate_key"]))
        else:
            c.execute("INSERT INTO stage.err (line, col, field, message, phase) "
                      "SELECT r.line, NULL, 'id', replace(replace(?, '{key}', r.target), '{line}', "
                      "(SELECT min(p.line) FROM stage.row p WHERE p.target = r.target)), 'classify' "
                      "FROM stage.row r WHERE r.target IS NOT NULL AND "
                      "EXISTS (SELECT 1 FROM stage.row p WHERE p.target = r.target AND p.line < r.line)",
                      (messages["duplicate_key"],))
        if has_barcodes:
            c.execute("INSERT INTO stage.err (line, col, field, message, phase) "
                      "SELECT s.line, NULL, 'barcode', replace(replace(?, '{code}', s.code), '{line}', "
                      "(SELECT min(p.line) FROM stage.bc p WHERE p.code = s.code)), 'classify' "
                      "FROM stage.bc s WHERE EXISTS (SELECT 1 FROM stage.bc p WHERE p.code = s.code "
                      "AND p.line < s.line)", (messages["duplicate_barcode"],))
            # a barcode that belongs to another article, unless that article's line in the file drops it
            c.execute("INSERT INTO stage.err (line, col, field, message, phase) "
                      "SELECT s.line, NULL, 'barcode', replace(replace(?, '{code}', s.code), '{ref}', a.reference), "
                      "'classify' FROM stage.bc s JOIN stage.row r ON r.line = s.line "
                      "JOIN barcode b ON b.code = s.code JOIN article a ON a.id = b.article_id "
                      "WHERE b.article_id IS NOT r.target AND NOT EXISTS "
                      "(SELECT 1 FROM stage.row o WHERE o.target = b.article_id AND o.bad = 0)",
                      (messages["barcode_taken"],))
        if t.entity == "articles" and not create_departments:
            c.execute("INSERT INTO stage.err (line, col, field, message, phase) "
                      "SELECT line, NULL, 'department', replace(?, '{name}', dept_new), 'classify' "
                      "FROM stage.row WHERE dept_new IS NOT NULL", (messages["unknown_department"],))
        for column, number, label in required:
            if column in present:
                c.execute("INSERT INTO stage.err (line, col, field, message, phase) "
                          f"SELECT line, ?, ?, ?, 'classify' FROM stage.row r WHERE {_q(column)} IS NULL "
                          "AND NOT EXISTS (SELECT 1 FROM stage.err e WHERE e.line = r.line AND e.col = ?)",
                          (number, label, messages["required"].replace("{field}", label), number))
            else:
                c.execute("INSERT INTO stage.err (line, col, field, message, phase) "
                          "SELECT line, NULL, ?, ?, 'classify' FROM stage.row WHERE target IS NULL",
                          (label, messages["missing_column"].replace("{field}", label)))
        c.execute("UPDATE stage.row SET status = 'invalid' WHERE status != 'invalid' AND line IN "
                  "(SELECT line FROM stage.err WHERE phase = 'classify')")
        # what changes, field by field, for the rows that match (a blank cell of a column that cannot be
        # empty, like stock or active, leaves the value as it is)
        checks = [f"CASE WHEN t.{_q(col)} IS NOT r.{_q(col)} OR r.dept_new IS NOT NULL THEN ',{col}' ELSE '' END"
                  if col == "department_id" else
                  f"CASE WHEN r.{_q(col)} IS NOT NULL AND t.{_q(col)} IS NOT r.{_q(col)} THEN ',{col}' ELSE '' END"
                  if col in t.keep_blank else
                  f"CASE WHEN t.{_q(col)} IS NOT r.{_q(col)} THEN ',{col}' ELSE '' END"
                  for col in present if col in t.columns]
        checks += [f"CASE WHEN r.{_q(col)} IS NOT NULL AND {t.side_value(col)} IS NOT r.{_q(col)} THEN ',{col}' "
                   "ELSE '' END" for col in present if col in t.side]
        if has_barcodes:
            checks.append("CASE WHEN (SELECT group_concat(code, '|') FROM (SELECT code FROM barcode "
                          "WHERE article_id = t.id ORDER BY code)) IS NOT r.barcodes THEN ',barcodes' ELSE '' END")
        for k in custom_keys:
            path = "'$.\"" + k + "\"'"
            checks.append(f"CASE WHEN json_extract(t.custom, {path}) IS NOT json_extract(r.custom, {path}) "
                          f"THEN ',{k}' ELSE '' END")
        changed = " || ".join(checks) or "''"
        # only the rows that differ are written (most rows of a big file are the same)
        c.execute(f"UPDATE stage.row AS r SET changed = substr({changed}, 2), status = 'changed' "
                  f"FROM {_q(t.table)} AS t WHERE t.id = r.target AND r.status = 'same' AND {changed} != ''")
        c.execute("COMMIT")

    # ------------------------------------------------------------ reading the preview
    def counts(self) -> dict[str, int]:
        c, t = self.conn, self.table
        out = dict.fromkeys((*STATUSES, "missing", "missing_deactivate", "missing_delete"), 0)
        for status, n in c.execute("SELECT status, count(*) FROM stage.row GROUP BY status"):
            out[status] = n
        in_use = t.in_use or "0"
        missing = (f"FROM {_q(t.table)} t WHERE NOT EXISTS (SELECT 1 FROM stage.row r WHERE r.target = t.id) "
                   f"AND NOT (t.active = 0 AND ({in_use}))")
        row = c.execute(f"SELECT count(*), coalesce(sum({in_use}), 0) {missing}").fetchone()
        out["missing"], out["missing_deactivate"] = row[0], row[1]
        out["missing_delete"] = row[0] - row[1]
        out["errors"] = c.execute("SELECT count(*) FROM stage.err").fetchone()[0]
        return out

    def field_counts(self, fields: Iterable[str]) -> dict[str, int]:
        fields = list(fields)
        if not fields:
            return {}
        sums = ", ".join(f"sum(instr(',' || changed || ',', ',{f},') > 0)" for f in fields)
        row = self.conn.execute(f"SELECT {sums} FROM stage.row WHERE status = 'changed'").fetchone()
        return {f: n or 0 for f, n in zip(fields, row)}

    def new_departments(self) -> list[str]:
        # a row whose only error is its unknown department counts: the preview offers to create it
        return [r[0] for r in self.conn.execute(
            "SELECT DISTINCT dept_new FROM stage.row r WHERE dept_new IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM stage.err e WHERE e.line = r.line AND e.field != 'department') "
            "ORDER BY dept_new")]

    def rows(self, status: str, offset: int, limit: int, label: str) -> list[dict[str, Any]]:
        """One page of a group: the file's rows, or the shop's rows missing from the file."""
        c, t = self.conn, self.table
        if status == "missing":
            in_use = t.in_use or "0"
            sql = (f"SELECT t.id, t.{_q(t.key)}, t.{_q(label)}, ({in_use}) FROM {_q(t.table)} t "
                   f"WHERE NOT EXISTS (SELECT 1 FROM stage.row r WHERE r.target = t.id) "
                   f"AND NOT (t.active = 0 AND ({in_use})) ORDER BY {t.order} LIMIT ? OFFSET ?")
            return [{"line": None, "target": i, "key": str(k), "label": lab or "", "in_use": bool(u), "changed": "",
                     "errors": []} for i, k, lab, u in c.execute(sql, (limit, offset))]
        label_col = f"r.{_q(label)}" if label in self.columns else "''"
        rows = [{"line": line, "target": target, "key": key, "label": lab or "", "changed": changed, "errors": []}
                for line, target, key, lab, changed in c.execute(
                    f"SELECT r.line, r.target, r.key, {label_col}, r.changed FROM stage.row r WHERE r.status = ? "
                    "ORDER BY r.line LIMIT ? OFFSET ?", (status, limit, offset))]
        if status == "invalid" and rows:
            by_line = {r["line"]: r for r in rows}
            marks = ",".join("?" * len(by_line))
            for line, col, fld, msg in c.execute(
                    f"SELECT line, col, field, message FROM stage.err WHERE line IN ({marks}) ORDER BY line, rowid",
                    list(by_line)):
                by_line[line]["errors"].append((col, fld, msg))
        return rows

    def errors(self, limit: int | None = None) -> Iterator[tuple[int, int | None, str, str]]:
        sql = "SELECT line, col, field, message FROM stage.err ORDER BY line, rowid"
        yield from self.conn.execute(sql + (f" LIMIT {int(limit)}" if limit else ""))

    def compare(self, line: int, columns: Sequence[str]) -> dict[str, tuple[Any, Any]]:
        """The old and new values of the changed fields of one line."""
        t = self.table
        r = self.conn.execute("SELECT target, changed FROM stage.row WHERE line = ?", (line,)).fetchone()
        if not r or r[0] is None:
            return {}
        out = {}
        for col in r[1].split(",") if r[1] else []:
            if col in columns and col in t.columns:
                new = self.conn.execute(f"SELECT {_q(col)} FROM stage.row WHERE line = ?", (line,)).fetchone()[0]
                old = self.conn.execute(f"SELECT {_q(col)} FROM {_q(t.table)} WHERE id = ?", (r[0],)).fetchone()[0]
                out[col] = (old, new)
            elif col in columns and col in t.side:
                new = self.conn.execute(f"SELECT {_q(col)} FROM stage.row WHERE line = ?", (line,)).fetchone()[0]
                old = self.conn.execute(f"SELECT {t.side_value(col)} FROM {_q(t.table)} t WHERE t.id = ?",
                                        (r[0],)).fetchone()[0]
                out[col] = (old, new)
            elif col == "barcodes":
                new = self.conn.execute("SELECT barcodes FROM stage.row WHERE line = ?", (line,)).fetchone()[0]
                old = "|".join(x[0] for x in self.conn.execute(
                    "SELECT code FROM barcode WHERE article_id = ? ORDER BY code", (r[0],)))
                out[col] = (old, new or "")
            else:
                path = '$."' + col + '"'
                new = self.conn.execute("SELECT json_extract(custom, ?) FROM stage.row WHERE line = ?",
                                        (path, line)).fetchone()[0]
                old = self.conn.execute(f"SELECT json_extract(custom, ?) FROM {_q(t.table)} WHERE id = ?",
                                        (path, r[0])).fetchone()[0]
                out[col] = (old, new)
        return out

    def new_department_of(self, line: int) -> str | None:
        row = self.conn.execute("SELECT dept_new FROM stage.row WHERE line = ?", (line,)).fetchone()
        return row[0] if row else None

    def fingerprint(self) -> tuple:
        return _fingerprint(self.conn.execute, self.table)


def _fingerprint(execute, t: Table) -> tuple:
    """Changes to the shop's list since the preview (then the preview must be redone)."""
    stamp = "max(updated_at)" if t.entity == "articles" else "NULL"
    head = execute(f"SELECT count(*), max(id), {stamp}, sum(active) FROM {_q(t.table)}").fetchone()
    depts = execute("SELECT count(*), max(id) FROM department").fetchone()
    return tuple(head) + tuple(depts)


# ---------------------------------------------------------------- applying
class StaleError(RuntimeError):
    """The list changed between the preview and the apply."""


def apply_stage(stage: Stage, *, present: Sequence[str], custom_keys: Sequence[str], has_barcodes: bool,
                add: bool, update: bool, delete: bool, create_departments: bool, fingerprint: tuple,
                log: dict[str, Any], fail_after: str = "") -> dict[str, int]:
    """Apply the chosen actions, all or nothing, in short transactions that let sales through
    (``pos/data/import_apply.py``).  ``fail_after`` names a step after which to raise (tests of atomicity)."""
    from pos.data.import_apply import apply_chunked

    return apply_chunked(stage.path, stage.table, present=present, custom_keys=custom_keys, has_barcodes=has_barcodes,
                         add=add, update=update, delete=delete, create_departments=create_departments,
                         fingerprint=fingerprint, log_info=log, fail_after=fail_after)


def import_log(entity: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    sql = "SELECT id, at, user_name, entity, file_name, file_sha256, choices, counts FROM import_log"
    params: tuple = ()
    if entity:
        sql += " WHERE entity = ?"
        params = (entity,)
    cur = database.execute_sql(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
    return [{"id": r[0], "at": r[1], "user_name": r[2], "entity": r[3], "file_name": r[4], "file_sha256": r[5],
             "choices": json.loads(r[6]), "counts": json.loads(r[7])} for r in cur.fetchall()]


# ---------------------------------------------------------------- export
EXPORT_SQL = {
    "articles": ("SELECT a.reference, (SELECT group_concat(code, '|') FROM (SELECT code FROM barcode "
                 "WHERE article_id = a.id ORDER BY code)), a.name, d.name, a.price, v.rate_bp, a.cost, a.stock, "
                 "a.active, coalesce(w.web, 0), a.custom FROM article a JOIN vat_rate v ON v.id = a.vat_id "
                 "LEFT JOIN department d ON d.id = a.department_id LEFT JOIN ps_web w ON w.article_id = a.id",
                 "ORDER BY a.reference"),
    "departments": ("SELECT d.name, d.colour, v.rate_bp, d.position, d.active FROM department d "
                    "LEFT JOIN vat_rate v ON v.id = d.vat_id", "ORDER BY d.position, d.name"),
    "customers": ("SELECT id, name, email, phone, address, postcode, city, vat_number, notes, active "
                  "FROM customer", "ORDER BY id"),
}
COUNT_SQL = {
    "articles": "SELECT count(*) FROM article a LEFT JOIN department d ON d.id = a.department_id",
    "departments": "SELECT count(*) FROM department d",
    "customers": "SELECT count(*) FROM customer",
}
# the filters of an export: (entity, name) -> the condition on one parameter
FILTERS = {
    ("articles", "department"): "fold(d.name) = fold(?)",
    ("articles", "active"): "a.active = ?",
    ("articles", "changed_since"): "a.updated_at >= ?",
    ("articles", "stock_below"): "a.stock < ?",
    ("departments", "active"): "d.active = ?",
    ("customers", "active"): "active = ?",
}


def _where(entity: str, filters: dict[str, Any] | None) -> tuple[str, list[Any]]:
    if not filters:
        return "", []
    conds = [FILTERS[(entity, k)] for k in sorted(filters)]
    return " WHERE " + " AND ".join(conds), [filters[k] for k in sorted(filters)]


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def export_rows(entity: str, filters: dict[str, Any] | None = None) -> Iterator[tuple]:
    """Stream the rows of a list in export order (a cursor, never a list in memory), filtered by
    ``filters`` (names of ``FILTERS``, values already in the shop's units)."""
    select, order = EXPORT_SQL[entity]
    where, params = _where(entity, filters)
    conn = database.connection()
    if filters and "department" in filters:
        conn.create_function("fold", 1, _fold, deterministic=True)
    cur = database.execute_sql(f"{select}{where} {order}", params)
    try:
        while True:
            batch = cur.fetchmany(2000)
            if not batch:
                return
            yield from batch
    finally:
        cur.close()


def export_count(entity: str, filters: dict[str, Any] | None = None) -> int:
    where, params = _where(entity, filters)
    if filters and "department" in filters:
        database.connection().create_function("fold", 1, _fold, deterministic=True)
    return database.execute_sql(COUNT_SQL[entity] + where, params).fetchone()[0]


def lookups() -> dict[str, Any]:
    """Small tables the parser needs: VAT rates, departments, custom fields."""
    vat = {bp: i for i, bp in database.execute_sql("SELECT id, rate_bp FROM vat_rate")}
    depts = {name: i for i, name in database.execute_sql("SELECT id, name FROM department")}
    fields = [{"key": k, "label": lab, "kind": kind} for k, lab, kind in database.execute_sql(
        "SELECT key, label, kind FROM custom_field ORDER BY position, id")]
    return {"vat": vat, "departments": depts, "custom_fields": fields,
            "vat_by_id": {i: bp for bp, i in vat.items()}}


def shop_path() -> str:
    return database.obj.database
