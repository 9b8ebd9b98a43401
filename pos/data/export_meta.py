"""The SQL of export templates and the export history (migration 14).

A template is a name and the options of an export: list, format, fields, filters, separator,
encoding and decimal mark.  The history records every export: when, who, what (list, format,
file, fields, filters, template) and how many rows.
"""

from __future__ import annotations

import json
from typing import Any

from pos.data.common import now_iso
from pos.data.models import database

V14_EXPORTS = [
    'CREATE TABLE "export_template" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, '
    '"entity" VARCHAR(255) NOT NULL, "format" VARCHAR(255) NOT NULL, "fields" TEXT NOT NULL, '
    '"filters" TEXT NOT NULL, "separator" VARCHAR(255) NOT NULL, "encoding" VARCHAR(255) NOT NULL, '
    '"decimal" VARCHAR(255) NOT NULL, "updated_at" VARCHAR(255) NOT NULL)',
    'CREATE UNIQUE INDEX "export_template_name" ON "export_template" ("name")',
    'CREATE TABLE "export_log" ("id" INTEGER NOT NULL PRIMARY KEY, "at" VARCHAR(255) NOT NULL, '
    '"user_name" VARCHAR(255) NOT NULL, "entity" VARCHAR(255) NOT NULL, "format" VARCHAR(255) NOT NULL, '
    '"file_name" VARCHAR(255) NOT NULL, "fields" TEXT NOT NULL, "filters" TEXT NOT NULL, '
    '"template" VARCHAR(255) NOT NULL, "rows" INTEGER NOT NULL)',
    'CREATE INDEX "export_log_entity" ON "export_log" ("entity")',
]

_TEMPLATE_COLUMNS = ("name", "entity", "format", "fields", "filters", "separator", "encoding", "decimal",
                     "updated_at")


def _template(row: tuple) -> dict[str, Any]:
    out = dict(zip(_TEMPLATE_COLUMNS, row))
    out["fields"] = json.loads(out["fields"])
    out["filters"] = json.loads(out["filters"])
    return out


def templates() -> list[dict[str, Any]]:
    cur = database.execute_sql(f"SELECT {', '.join(_TEMPLATE_COLUMNS)} FROM export_template ORDER BY name")
    return [_template(r) for r in cur.fetchall()]


def template(name: str) -> dict[str, Any] | None:
    row = database.execute_sql(f"SELECT {', '.join(_TEMPLATE_COLUMNS)} FROM export_template "
                               "WHERE name = ?", (name,)).fetchone()
    return _template(row) if row else None


def save_template(t: dict[str, Any]) -> bool:
    """Insert or replace the template named ``t['name']``; True when it is new (call in a transaction)."""
    values = (t["entity"], t["format"], json.dumps(t["fields"]), json.dumps(t["filters"], sort_keys=True),
              t["separator"], t["encoding"], t["decimal"], now_iso())
    cur = database.execute_sql("UPDATE export_template SET entity = ?, format = ?, fields = ?, filters = ?, "
                               "separator = ?, encoding = ?, decimal = ?, updated_at = ? WHERE name = ?",
                               (*values, t["name"]))
    if cur.rowcount:
        return False
    database.execute_sql(f"INSERT INTO export_template ({', '.join(_TEMPLATE_COLUMNS)}) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (t["name"], *values))
    return True


def delete_template(name: str) -> bool:
    return database.execute_sql("DELETE FROM export_template WHERE name = ?", (name,)).rowcount > 0


def log_export(*, user_name: str, entity: str, format: str, file_name: str, fields: list[str],
               filters: dict[str, Any], template: str, rows: int) -> None:
    with database.atomic():
        database.execute_sql(
            "INSERT INTO export_log (at, user_name, entity, format, file_name, fields, filters, template, rows) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (now_iso(), user_name, entity, format, file_name, json.dumps(fields),
             json.dumps(filters, sort_keys=True), template, rows))


def export_log(entity: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    sql = "SELECT at, user_name, entity, format, file_name, fields, filters, template, rows FROM export_log"
    params: tuple = ()
    if entity:
        sql += " WHERE entity = ?"
        params = (entity,)
    cur = database.execute_sql(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
    return [{"at": r[0], "user_name": r[1], "entity": r[2], "format": r[3], "file_name": r[4],
             "fields": json.loads(r[5]), "filters": json.loads(r[6]), "template": r[7], "rows": r[8]}
            for r in cur.fetchall()]
