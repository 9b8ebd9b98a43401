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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pos.data.models import database
from pos.data.stage_worker import StageError, StageProcess, connect  # noqa: F401 (StageError: for callers)

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
    search: str = ""  # the FTS5 index that triggers keep from this table

    @property
    def stage_columns(self) -> tuple[str, ...]:
        return (*self.columns, *self.side)

    def side_value(self, col: str, alias: str = "t") -> str:
        """The SQL of a side column's current value for the row ``alias`` (0 when it has no side row)."""
        table, key, value = self.side[col]
        return f"coalesce((SELECT s.{_q(value)} FROM {_q(table)} s WHERE s.{_q(key)} = {alias}.id), 0)"

    def side_join(self, col: str, alias: str) -> tuple[str, str]:
        """The same read by a LEFT JOIN of the row ``t`` (a subquery a row costs a microsecond more):
        (the join, the value)."""
        table, key, value = self.side[col]
        return (f" LEFT JOIN main.{_q(table)} {alias} ON {alias}.{_q(key)} = t.id",
                f"coalesce({alias}.{_q(value)}, 0)")

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
        side={"web": ("ps_web", "article_id", "web")},  # "publier sur le web" (pos/sync/push.py)
        search="article_search"),
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
# a row is invalid when its values are (``bad``, from reading) or its place in the file is (``cerr``, from
# the comparison); else new when it matches nothing, changed when a field differs, the same otherwise
STATUS_SQL = ("CASE WHEN bad OR cerr THEN 'invalid' WHEN target IS NULL THEN 'new' "
              "WHEN changed != '' THEN 'changed' ELSE 'same' END")
# a line's errors in the order of its columns, then those of the whole line
ERR_ORDER = "line, col IS NULL, col, rowid"
# the same as conditions, for counting ("same": every other row)
STATUS_WHERE = {"invalid": "(bad OR cerr)", "new": "(target IS NULL AND NOT (bad OR cerr))",
                "changed": "(changed != '' AND target IS NOT NULL AND NOT (bad OR cerr))"}


class Stage:
    """A staging file attached to a private connection on the shop's database."""

    def __init__(self, shop_path: str, stage_path: str, table: Table, stage_columns: Sequence[str]) -> None:
        self.table = table
        self.path = stage_path
        self.shop_path = shop_path
        self.columns = list(stage_columns)
        self.conn = connect(shop_path, stage_path)
        self.conn.execute("PRAGMA query_only = 0")
        self.matched = False  # rows matched with the shop's records (once: the file is not read again)
        cols = "".join(f", {_q(c)}" for c in self.columns)
        self.conn.executescript(f"""
            CREATE TABLE stage.row (line INTEGER PRIMARY KEY, key TEXT NOT NULL, target INTEGER,
                changed TEXT, bad INTEGER NOT NULL DEFAULT 0, cerr INTEGER NOT NULL DEFAULT 0,
                dept_new TEXT, barcodes TEXT, custom TEXT{cols},
                status TEXT GENERATED ALWAYS AS ({STATUS_SQL}) VIRTUAL);
            CREATE TABLE stage.bc (line INTEGER NOT NULL, code TEXT NOT NULL);
            CREATE TABLE stage.err (line INTEGER NOT NULL, col INTEGER, field TEXT NOT NULL, message TEXT NOT NULL,
                phase TEXT NOT NULL DEFAULT 'parse');
            CREATE TABLE stage.missing (id INTEGER PRIMARY KEY);
        """)

    def close(self) -> None:
        self.conn.close()

    def loader(self, *, present: Sequence[str], has_barcodes: bool, custom_keys: Sequence[str],
               ean_error: tuple[int, str] | None = None) -> StageProcess:
        """Start the process that stores the rows (``put(rows, barcodes, errors)``, a row being ``(line, key,
        bad, dept_new, barcodes, custom, *columns)``).  It finds each article by its reference and compares
        it with the file, as ``changes_sql`` does, while the next rows are read: an article that does not
        change is stored as its line, key and record only (most rows of a big file)."""
        t = self.table
        names = ["line", "key", "bad", "dept_new", "barcodes", "custom", *self.columns, "target", "changed"]
        compare = None
        if t.entity == "articles":  # departments and customers are few: compared in SQL (``_match``)
            fields = self.compared(present)
            values = joins = ""
            for k, (c, _mode) in enumerate(fields):
                if c in t.columns:
                    values += f", t.{_q(c)}"
                else:
                    join, value = t.side_join(c, f"s{k}")
                    joins, values = joins + join, f"{values}, {value}"
            compare = {
                "find": f"SELECT t.{_q(t.key)}, t.id{values} FROM json_each(?) j "
                        f"JOIN main.{_q(t.table)} t ON t.{_q(t.key)} = j.value{joins}",
                "range": f"SELECT t.{_q(t.key)}, t.id{values} FROM main.{_q(t.table)} t{joins} "
                         f"WHERE t.{_q(t.key)} BETWEEN ? AND ? ORDER BY t.{_q(t.key)} LIMIT ?",
                "codes": "SELECT b.article_id, b.code FROM json_each(?) j "
                         "JOIN main.barcode b ON b.article_id = j.value",
                "code_range": "SELECT article_id, code FROM main.barcode WHERE article_id BETWEEN ? AND ?",
                "fields": [(6 + self.columns.index(c), c, mode) for c, mode in fields],
                "barcodes": has_barcodes,
                "custom": bool(custom_keys),  # then ``changed`` is left to ``_match``
                "lean": "INSERT INTO stage.row (line, key, target, changed) VALUES (?, ?, ?, '')",
                # a single EAN-13 the reading did not check: checked here unless it is the article's own
                # (file column, message with {code})
                "ean": ean_error,
            }
        # the single barcodes that can conflict: new rows', rewritten ones', and rows matched by barcode
        # (the others are their article's own in the shop, where a code is unique)
        bc = ("INSERT INTO stage.bc (line, code) SELECT line, barcodes FROM stage.row WHERE barcodes IS NOT NULL "
              "AND instr(barcodes, '|') = 0 AND (target IS NULL OR changed IS NULL OR "
              "instr(',' || changed || ',', ',barcodes,') > 0)")
        finish = [bc, "CREATE INDEX stage.row_target ON row (target)", "CREATE INDEX stage.bc_code ON bc (code, line)",
                  "CREATE INDEX stage.bc_line ON bc (line)", "CREATE INDEX stage.err_line ON err (line)"]
        return StageProcess({
            "shop": self.shop_path, "stage": self.path, "compare": compare, "finish": finish,
            "rows": f"INSERT INTO stage.row ({', '.join(map(_q, names))}) VALUES ({', '.join('?' * len(names))})",
            "barcodes": "INSERT INTO stage.bc (line, code) VALUES (?, ?)",
            "errors": "INSERT INTO stage.err (line, col, field, message) VALUES (?, ?, ?, ?)"})

    def compared(self, present: Sequence[str]) -> list[tuple[str, str]]:
        """The fields compared, in the order ``changed`` names them, with how: ``plain`` (a blank cell
        empties it), ``keep`` (a blank cell keeps the value), ``dept`` (a new department changes it)."""
        t = self.table
        return ([(c, "dept" if c == "department_id" else "keep" if c in t.keep_blank else "plain")
                 for c in present if c in t.columns] + [(c, "keep") for c in present if c in t.side])

    def changes_sql(self, present: Sequence[str], has_barcodes: bool, custom_keys: Sequence[str]) -> str:
        """What changes, field by field, between a row ``r`` of the file and its record ``t``: ``,price,stock``
        or ``''`` (a blank cell of a column that cannot be empty, like stock or active, leaves the value)."""
        t = self.table
        checks = []
        for col, mode in self.compared(present):
            now = f"t.{_q(col)}" if col in t.columns else t.side_value(col)
            differs = f"{now} IS NOT r.{_q(col)}"
            if mode == "dept":
                differs += " OR r.dept_new IS NOT NULL"
            elif mode == "keep":
                differs = f"r.{_q(col)} IS NOT NULL AND {differs}"
            checks.append(f"CASE WHEN {differs} THEN ',{col}' ELSE '' END")
        if has_barcodes:
            checks.append("CASE WHEN (SELECT group_concat(code, '|') FROM (SELECT code FROM barcode "
                          "WHERE article_id = t.id ORDER BY code)) IS NOT r.barcodes THEN ',barcodes' ELSE '' END")
        for k in custom_keys:
            path = "'$.\"" + k + "\"'"
            checks.append(f"CASE WHEN json_extract(t.custom, {path}) IS NOT json_extract(r.custom, {path}) "
                          f"THEN ',{k}' ELSE '' END")
        return " || ".join(checks) or "''"

    # ------------------------------------------------------------ classification
    def _match(self, present: Sequence[str], has_barcodes: bool, custom_keys: Sequence[str]) -> None:
        """The rows' records in the shop, what changes, and the shop's records missing from the file (once)."""
        t, c = self.table, self.conn
        late = 0  # rows matched here, not as they were stored
        if t.entity == "customers":
            c.execute(f"UPDATE stage.row SET target = (SELECT id FROM {_q(t.table)} WHERE id = CAST(key AS INTEGER)) "
                      "WHERE key != ''")
            if "email" in present:
                c.execute("UPDATE stage.row SET target = (SELECT min(id) FROM customer "
                          "WHERE lower(email) = lower(stage.row.email)) "
                          "WHERE target IS NULL AND email IS NOT NULL AND email != ''")
            late = 1
        elif t.entity == "departments":
            c.execute("UPDATE stage.row SET target = (SELECT id FROM department "
                      "WHERE fold(name) = fold(stage.row.key)) WHERE key != ''")
            late = 1
        if has_barcodes:
            # no reference: the first barcode finds the article, or becomes the new article's reference
            late += c.execute("UPDATE stage.row SET target = (SELECT b.article_id FROM barcode b, stage.bc s "
                              "WHERE s.line = stage.row.line AND b.code = s.code ORDER BY s.rowid LIMIT 1) "
                              "WHERE key = ''").rowcount
            c.execute("UPDATE stage.row SET key = coalesce((SELECT reference FROM article WHERE id = target), "
                      "(SELECT code FROM stage.bc s WHERE s.line = stage.row.line ORDER BY s.rowid LIMIT 1), '') "
                      "WHERE key = ''")
        if late or custom_keys:  # (custom fields are compared here, in SQL)
            changed = self.changes_sql(present, has_barcodes, custom_keys)
            c.execute(f"UPDATE stage.row AS r SET changed = substr({changed}, 2) FROM {_q(t.table)} AS t "
                      "WHERE t.id = r.target AND r.changed IS NULL")
        if has_barcodes:
            # the lines that keep the codes their article has (not in stage.bc), when another line names one
            c.execute("INSERT INTO stage.bc (line, code) SELECT DISTINCT o.line, s.code FROM stage.bc s "
                      "JOIN barcode b ON b.code = s.code JOIN stage.row o ON o.target = b.article_id "
                      "WHERE o.line != s.line AND instr(',' || o.changed || ',', ',barcodes,') = 0 "
                      "AND NOT EXISTS (SELECT 1 FROM stage.bc x WHERE x.line = o.line AND x.code = s.code)")
        c.execute(f"INSERT INTO stage.missing (id) SELECT t.id FROM {_q(t.table)} t "
                  "WHERE NOT EXISTS (SELECT 1 FROM stage.row r WHERE r.target = t.id)")
        self.matched = True

    def classify(self, *, present: Sequence[str], required: Sequence[tuple[str, int | None, str]],
                 custom_keys: Sequence[str], has_barcodes: bool, create_departments: bool,
                 messages: dict[str, str]) -> None:
        """Match every row, find duplicates and conflicts, and compute what changes (again, for the
        errors only, when an option changes).

        ``present``: the stage columns the file has; ``required``: (column, file column
        number or None, label) that a row needs; ``messages``: the translated texts."""
        t, c = self.table, self.conn
        c.execute("BEGIN")
        if not self.matched:
            self._match(present, has_barcodes, custom_keys)
        else:
            c.execute("UPDATE stage.row SET cerr = 0 WHERE cerr")
            c.execute("DELETE FROM stage.err WHERE phase = 'classify'")
        if t.entity != "customers":
            c.execute("INSERT INTO stage.err (line, col, field, message, phase) "
                      "SELECT line, NULL, ?, ?, 'classify' FROM stage.row WHERE key = ''",
                      (t.key, messages["no_key"]))
        # the same record twice in the file: the later lines are refused
        key = "r.target" if t.entity == "customers" else "r.key"
        c.execute("INSERT INTO stage.err (line, col, field, message, phase) "
                  f"SELECT r.line, NULL, ?, replace(replace(?, '{{key}}', {key}), '{{line}}', d.first), 'classify' "
                  "FROM (SELECT target, min(line) AS first FROM stage.row WHERE target IS NOT NULL GROUP BY target "
                  "HAVING count(*) > 1) d JOIN stage.row r ON r.target = d.target AND r.line > d.first",
                  (t.key, messages["duplicate_key"]))
        if t.entity != "customers":  # and the same new key twice (department names: case ignored)
            same = "fold(key)" if t.entity == "departments" else "key"
            c.execute("INSERT INTO stage.err (line, col, field, message, phase) "
                      "SELECT r.line, NULL, ?, replace(replace(?, '{key}', r.key), '{line}', d.first), 'classify' "
                      f"FROM (SELECT {same} AS k, min(line) AS first FROM stage.row WHERE target IS NULL AND key != '' "
                      f"GROUP BY {same} HAVING count(*) > 1) d JOIN stage.row r ON r.target IS NULL "
                      f"AND {same.replace('key', 'r.key')} = d.k AND r.line > d.first",
                      (t.key, messages["duplicate_key"]))
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
        for column, _number, label in required:  # (a blank cell of a column the file has: refused as it is read)
            if column not in present:
                c.execute("INSERT INTO stage.err (line, col, field, message, phase) "
                          "SELECT line, NULL, ?, ?, 'classify' FROM stage.row WHERE target IS NULL",
                          (label, messages["missing_column"].replace("{field}", label)))
        c.execute("UPDATE stage.row SET cerr = 1 WHERE line IN (SELECT line FROM stage.err WHERE phase = 'classify')")
        c.execute("COMMIT")

    # ------------------------------------------------------------ reading the preview
    def counts(self, fields: Sequence[str] = ()) -> tuple[dict[str, int], dict[str, int]]:
        """The rows by status (and the records missing from the file), and how many changed rows change
        each of ``fields``: one pass over the stage."""
        c, t = self.conn, self.table
        out = dict.fromkeys((*STATUSES, "missing", "missing_deactivate", "missing_delete"), 0)
        # filtered counts on the stored columns (``status`` is computed at each use), not a GROUP BY (a
        # sort of a million rows); "same" is what is left
        sql = ", ".join(["count(*)", *(f"count(*) FILTER (WHERE {STATUS_WHERE[s]})" for s in STATUS_WHERE),
                         *(f"count(*) FILTER (WHERE {STATUS_WHERE['changed']} AND "
                           f"instr(',' || changed || ',', ',{f},') > 0)" for f in fields)])
        total, *found = c.execute(f"SELECT {sql} FROM stage.row").fetchone()
        out.update(zip(STATUS_WHERE, found))
        out["same"] = total - sum(found[:len(STATUS_WHERE)])
        by_field = dict(zip(fields, found[len(STATUS_WHERE):]))
        in_use = t.in_use or "0"
        # CROSS JOIN: the few missing ids drive the join (the planner, without statistics, would read the list)
        missing = (f"FROM stage.missing m CROSS JOIN {_q(t.table)} t ON t.id = m.id "
                   f"WHERE NOT (t.active = 0 AND ({in_use}))")
        row = c.execute(f"SELECT count(*), coalesce(sum({in_use}), 0) {missing}").fetchone()
        out["missing"], out["missing_deactivate"] = row[0], row[1]
        out["missing_delete"] = row[0] - row[1]
        out["errors"] = c.execute("SELECT count(*) FROM stage.err").fetchone()[0]
        return out, by_field

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
            sql = (f"SELECT t.id, t.{_q(t.key)}, t.{_q(label)}, ({in_use}) FROM stage.missing m "
                   f"CROSS JOIN {_q(t.table)} t ON t.id = m.id WHERE NOT (t.active = 0 AND ({in_use})) "
                   f"ORDER BY {t.order} LIMIT ? OFFSET ?")
            return [{"line": None, "target": i, "key": str(k), "label": lab or "", "in_use": bool(u), "changed": "",
                     "errors": []} for i, k, lab, u in c.execute(sql, (limit, offset))]
        # a row that changes nothing is stored without its values: its record has them
        label_col = f"coalesce(r.{_q(label)}, t.{_q(label)})" if label in self.columns else "''"
        rows = [{"line": line, "target": target, "key": key, "label": lab or "", "changed": changed, "errors": []}
                for line, target, key, lab, changed in c.execute(
                    f"SELECT r.line, r.target, r.key, {label_col}, r.changed FROM stage.row r "
                    f"LEFT JOIN {_q(t.table)} t ON t.id = r.target WHERE r.status = ? "
                    "ORDER BY r.line LIMIT ? OFFSET ?", (status, limit, offset))]
        if status == "invalid" and rows:
            by_line = {r["line"]: r for r in rows}
            marks = ",".join("?" * len(by_line))
            for line, col, fld, msg in c.execute(
                    f"SELECT line, col, field, message FROM stage.err WHERE line IN ({marks}) ORDER BY {ERR_ORDER}",
                    list(by_line)):
                by_line[line]["errors"].append((col, fld, msg))
        return rows

    def errors(self, limit: int | None = None) -> Iterator[tuple[int, int | None, str, str]]:
        sql = f"SELECT line, col, field, message FROM stage.err ORDER BY {ERR_ORDER}"
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
