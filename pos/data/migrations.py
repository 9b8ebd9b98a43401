"""Versioned schema migrations.

Each migration is a frozen list of SQL statements, applied once and recorded in
``schema_migrations``.  Never edit a released migration: add a new one at the
end of ``MIGRATIONS``.  Opening a database applies what is missing, in one
transaction per migration, so a shop's database upgrades in place.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable

from peewee import Database

from pos.data.export_meta import V14_EXPORTS
from pos.data.stock_schema import V13_STOCK, V16_ARTICLE_CREATED
from pos.data.sync_push import V15_SYNC
from pos.data.vouchers import V12_VOUCHERS

V1_CORE = [
    'CREATE TABLE "vat_rate" ("id" INTEGER NOT NULL PRIMARY KEY, "rate_bp" INTEGER NOT NULL, "label" VARCHAR(255) NOT NULL, "active" INTEGER NOT NULL, "position" INTEGER NOT NULL)',
    'CREATE UNIQUE INDEX "vat_rate_rate_bp" ON "vat_rate" ("rate_bp")',
    'CREATE TABLE "department" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "colour" VARCHAR(255) NOT NULL, "position" INTEGER NOT NULL, "vat_id" INTEGER, "active" INTEGER NOT NULL, FOREIGN KEY ("vat_id") REFERENCES "vat_rate" ("id"))',
    'CREATE UNIQUE INDEX "department_name" ON "department" ("name")',
    'CREATE INDEX "department_vat_id" ON "department" ("vat_id")',
    'CREATE TABLE "article" ("id" INTEGER NOT NULL PRIMARY KEY, "reference" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "department_id" INTEGER, "price" INTEGER NOT NULL, "vat_id" INTEGER NOT NULL, "cost" INTEGER, "stock" INTEGER NOT NULL, "active" INTEGER NOT NULL, "by_weight" INTEGER NOT NULL, "free_price" INTEGER NOT NULL, "favourite" INTEGER NOT NULL, "custom" TEXT NOT NULL, "updated_at" VARCHAR(255) NOT NULL, FOREIGN KEY ("department_id") REFERENCES "department" ("id") ON DELETE SET NULL, FOREIGN KEY ("vat_id") REFERENCES "vat_rate" ("id"))',
    'CREATE UNIQUE INDEX "article_reference" ON "article" ("reference")',
    'CREATE INDEX "article_department_id" ON "article" ("department_id")',
    'CREATE INDEX "article_vat_id" ON "article" ("vat_id")',
    'CREATE TABLE "barcode" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(255) NOT NULL, "article_id" INTEGER NOT NULL, FOREIGN KEY ("article_id") REFERENCES "article" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "barcode_code" ON "barcode" ("code")',
    'CREATE INDEX "barcode_article_id" ON "barcode" ("article_id")',
    'CREATE TABLE "custom_field" ("id" INTEGER NOT NULL PRIMARY KEY, "key" VARCHAR(255) NOT NULL, "label" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "position" INTEGER NOT NULL)',
    'CREATE UNIQUE INDEX "custom_field_key" ON "custom_field" ("key")',
    'CREATE TABLE "payment_method" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "gives_change" INTEGER NOT NULL, "active" INTEGER NOT NULL, "position" INTEGER NOT NULL)',
    'CREATE UNIQUE INDEX "payment_method_code" ON "payment_method" ("code")',
    'CREATE TABLE "user" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "pin_hash" VARCHAR(255) NOT NULL, "role" VARCHAR(255) NOT NULL, "active" INTEGER NOT NULL, "position" INTEGER NOT NULL)',
    'CREATE UNIQUE INDEX "user_name" ON "user" ("name")',
    'CREATE TABLE "customer" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "email" VARCHAR(255) NOT NULL, "phone" VARCHAR(255) NOT NULL, "address" TEXT NOT NULL, "postcode" VARCHAR(255) NOT NULL, "city" VARCHAR(255) NOT NULL, "vat_number" VARCHAR(255) NOT NULL, "notes" TEXT NOT NULL, "created_at" VARCHAR(255) NOT NULL)',
    'CREATE TABLE "setting" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL)',
    'CREATE TABLE "ticket" ("id" INTEGER NOT NULL PRIMARY KEY, "number" INTEGER NOT NULL, "kind" VARCHAR(255) NOT NULL, "status" VARCHAR(255) NOT NULL, "channel" VARCHAR(255) NOT NULL, "created_at" VARCHAR(255) NOT NULL, "user_id" INTEGER NOT NULL, "user_name" VARCHAR(255) NOT NULL, "customer_id" INTEGER, "refund_of_id" INTEGER, "subtotal" INTEGER NOT NULL, "discount_kind" VARCHAR(255), "discount_value" INTEGER, "discount_amount" INTEGER NOT NULL, "total" INTEGER NOT NULL, "paid" INTEGER NOT NULL, "change" INTEGER NOT NULL, FOREIGN KEY ("user_id") REFERENCES "user" ("id"), FOREIGN KEY ("customer_id") REFERENCES "customer" ("id"), FOREIGN KEY ("refund_of_id") REFERENCES "ticket" ("id"))',
    'CREATE UNIQUE INDEX "ticket_number" ON "ticket" ("number")',
    'CREATE INDEX "ticket_created_at" ON "ticket" ("created_at")',
    'CREATE INDEX "ticket_user_id" ON "ticket" ("user_id")',
    'CREATE INDEX "ticket_customer_id" ON "ticket" ("customer_id")',
    'CREATE INDEX "ticket_refund_of_id" ON "ticket" ("refund_of_id")',
    'CREATE TABLE "ticket_line" ("id" INTEGER NOT NULL PRIMARY KEY, "ticket_id" INTEGER NOT NULL, "position" INTEGER NOT NULL, "article_id" INTEGER, "reference" VARCHAR(255) NOT NULL, "barcode" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "department" VARCHAR(255) NOT NULL, "qty" INTEGER NOT NULL, "unit_price" INTEGER NOT NULL, "list_price" INTEGER NOT NULL, "vat_bp" INTEGER NOT NULL, "discount_kind" VARCHAR(255), "discount_value" INTEGER, "discount_amount" INTEGER NOT NULL, "ticket_discount" INTEGER NOT NULL, "total" INTEGER NOT NULL, "refund_of_line_id" INTEGER, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id"), FOREIGN KEY ("article_id") REFERENCES "article" ("id"), FOREIGN KEY ("refund_of_line_id") REFERENCES "ticket_line" ("id"))',
    'CREATE INDEX "ticket_line_ticket_id" ON "ticket_line" ("ticket_id")',
    'CREATE INDEX "ticket_line_article_id" ON "ticket_line" ("article_id")',
    'CREATE INDEX "ticket_line_refund_of_line_id" ON "ticket_line" ("refund_of_line_id")',
    'CREATE TABLE "ticket_vat" ("id" INTEGER NOT NULL PRIMARY KEY, "ticket_id" INTEGER NOT NULL, "vat_bp" INTEGER NOT NULL, "total" INTEGER NOT NULL, "excl" INTEGER NOT NULL, "vat" INTEGER NOT NULL, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id"))',
    'CREATE INDEX "ticket_vat_ticket_id" ON "ticket_vat" ("ticket_id")',
    'CREATE TABLE "ticket_payment" ("id" INTEGER NOT NULL PRIMARY KEY, "ticket_id" INTEGER NOT NULL, "method_id" INTEGER NOT NULL, "method_code" VARCHAR(255) NOT NULL, "method_name" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id"), FOREIGN KEY ("method_id") REFERENCES "payment_method" ("id"))',
    'CREATE INDEX "ticket_payment_ticket_id" ON "ticket_payment" ("ticket_id")',
    'CREATE INDEX "ticket_payment_method_id" ON "ticket_payment" ("method_id")',
    'CREATE TABLE "saved_basket" ("id" INTEGER NOT NULL PRIMARY KEY, "kind" VARCHAR(255) NOT NULL, "user_id" INTEGER, "label" VARCHAR(255) NOT NULL, "data" TEXT NOT NULL, "created_at" VARCHAR(255) NOT NULL, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "saved_basket_user_id" ON "saved_basket" ("user_id")',
    'CREATE TABLE "event" ("id" INTEGER NOT NULL PRIMARY KEY, "at" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "user_name" VARCHAR(255) NOT NULL, "data" TEXT NOT NULL)',
]

V1_EXTRA = [
    # paging of article buttons per department and the favourites tab
    'CREATE INDEX "article_page" ON "article" ("department_id", "active", "name")',
    'CREATE INDEX "article_favourite" ON "article" ("favourite", "active", "name")',
    'CREATE INDEX "saved_basket_kind" ON "saved_basket" ("kind", "user_id")',
] + [
    # a paid ticket is never edited: a correction is a refund ticket
    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable once committed'); END"
    for table in ("ticket", "ticket_line", "ticket_vat", "ticket_payment")
    for op in ("UPDATE", "DELETE")
] + [
    # French defaults; managers edit them on the config pages
    "INSERT INTO vat_rate (rate_bp, label, active, position) VALUES "
    "(2000, 'Taux normal', 1, 1), (1000, 'Taux intermédiaire', 1, 2), "
    "(550, 'Taux réduit', 1, 3), (210, 'Taux particulier', 1, 4), (0, 'Exonéré', 1, 5)",
    "INSERT INTO payment_method (code, name, gives_change, active, position) VALUES "
    "('cash', 'Espèces', 1, 1, 1), ('card', 'Carte bancaire', 0, 1, 2), "
    "('cheque', 'Chèque', 0, 1, 3), ('voucher', 'Avoir / bon d''achat', 0, 1, 4)",
]

V2_SEARCH = [
    # word-prefix, accent-insensitive search over name and reference
    "CREATE VIRTUAL TABLE article_search USING fts5(name, reference, content='article', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
    "INSERT INTO article_search(article_search) VALUES ('rebuild')",
    "CREATE TRIGGER article_search_ai AFTER INSERT ON article BEGIN "
    "INSERT INTO article_search(rowid, name, reference) VALUES (new.id, new.name, new.reference); END",
    "CREATE TRIGGER article_search_ad AFTER DELETE ON article BEGIN "
    "INSERT INTO article_search(article_search, rowid, name, reference) "
    "VALUES ('delete', old.id, old.name, old.reference); END",
    "CREATE TRIGGER article_search_au AFTER UPDATE OF name, reference ON article BEGIN "
    "INSERT INTO article_search(article_search, rowid, name, reference) "
    "VALUES ('delete', old.id, old.name, old.reference); "
    "INSERT INTO article_search(rowid, name, reference) VALUES (new.id, new.name, new.reference); END",
]

V3_WEIGHED_LINES = [
    # a weighed line of exactly 1.000 kg must still print and refund as weighed
    'ALTER TABLE "ticket_line" ADD COLUMN "by_weight" INTEGER NOT NULL DEFAULT 0',
    # lines written before this migration: a fractional quantity was weighed
    "DROP TRIGGER ticket_line_no_update",
    'UPDATE "ticket_line" SET "by_weight" = 1 WHERE "qty" % 1000 != 0',
    "CREATE TRIGGER ticket_line_no_update BEFORE UPDATE ON ticket_line "
    "BEGIN SELECT RAISE(ABORT, 'ticket_line rows are immutable once committed'); END",
]

V4_SEALED_TICKETS = [
    # lines, VAT and payments are only ever inserted with their ticket, which is the newest one:
    # nothing can be added to an older, committed ticket
    f"CREATE TRIGGER {table}_no_late_insert BEFORE INSERT ON {table} "
    f"WHEN NEW.ticket_id != (SELECT MAX(id) FROM ticket) "
    f"BEGIN SELECT RAISE(ABORT, 'a committed ticket cannot be added to'); END"
    for table in ("ticket_line", "ticket_vat", "ticket_payment")
]

V5_HARDWARE = [
    # in-store variable-measure barcodes (scales): prefix, then the article digits, then the
    # embedded value; kind is "price" (value in cents) or "weight" (value in grams)
    'CREATE TABLE "barcode_rule" ("id" INTEGER NOT NULL PRIMARY KEY, "prefix" VARCHAR(255) NOT NULL, '
    '"kind" VARCHAR(255) NOT NULL, "article_digits" INTEGER NOT NULL, "value_digits" INTEGER NOT NULL, '
    '"position" INTEGER NOT NULL, "active" INTEGER NOT NULL)',
    'CREATE UNIQUE INDEX "barcode_rule_prefix" ON "barcode_rule" ("prefix")',
    # French defaults (GS1 France restricted-circulation numbers, prefix 2): 2P AAAAA VVVVV C
    "INSERT INTO barcode_rule (prefix, kind, article_digits, value_digits, position, active) VALUES "
    "('21', 'price', 5, 5, 1, 1), ('22', 'price', 5, 5, 2, 1), ('23', 'weight', 5, 5, 3, 1), "
    "('24', 'weight', 5, 5, 4, 1), ('25', 'price', 5, 5, 5, 1), ('26', 'weight', 5, 5, 6, 1), "
    "('27', 'weight', 5, 5, 7, 1), ('28', 'price', 5, 5, 8, 1)",
    # every print of a ticket (the first, then the numbered DUPLICATA reprints)
    'CREATE TABLE "ticket_print" ("id" INTEGER NOT NULL PRIMARY KEY, "ticket_id" INTEGER NOT NULL, '
    '"at" VARCHAR(255) NOT NULL, "user_name" VARCHAR(255) NOT NULL, "copy" INTEGER NOT NULL, '
    'FOREIGN KEY ("ticket_id") REFERENCES "ticket" ("id"))',
    'CREATE INDEX "ticket_print_ticket_id" ON "ticket_print" ("ticket_id")',
]

V6_DRAWER_METHODS = [
    # the drawer opens for the methods whose money goes into it: cash and cheques by default
    'ALTER TABLE "payment_method" ADD COLUMN "opens_drawer" INTEGER NOT NULL DEFAULT 0',
    "UPDATE payment_method SET opens_drawer = 1 WHERE gives_change = 1 OR code = 'cheque'",
]

V7_TRANSFER = [
    # customers are deactivated, not deleted, once they appear on a ticket
    'ALTER TABLE "customer" ADD COLUMN "active" INTEGER NOT NULL DEFAULT 1',
    'CREATE INDEX "customer_name" ON "customer" ("name")',
    # every CSV import: who, when, which file (SHA-256), the choices and the counts
    'CREATE TABLE "import_log" ("id" INTEGER NOT NULL PRIMARY KEY, "at" VARCHAR(255) NOT NULL, '
    '"user_name" VARCHAR(255) NOT NULL, "entity" VARCHAR(255) NOT NULL, "file_name" VARCHAR(255) NOT NULL, '
    '"file_sha256" VARCHAR(255) NOT NULL, "choices" TEXT NOT NULL, "counts" TEXT NOT NULL)',
]

V8_ARTICLE_NAME = [
    # the articles config page lists the catalogue by name, one page at a time
    'CREATE INDEX "article_name" ON "article" ("name")',
]

V9_JOURNAL = [
    # the fiscal journal: every ticket, closure and technical event, chained by SHA-256 (pos/data/journal.py)
    'CREATE TABLE "journal" ("seq" INTEGER NOT NULL PRIMARY KEY, "at" VARCHAR(255) NOT NULL, '
    '"kind" VARCHAR(255) NOT NULL, "ref" VARCHAR(255) NOT NULL, "payload" TEXT NOT NULL, '
    '"prev_hash" VARCHAR(255) NOT NULL, "hash" VARCHAR(255) NOT NULL, "alg" VARCHAR(255) NOT NULL)',
    'CREATE INDEX "journal_kind_ref" ON "journal" ("kind", "ref")',
    'CREATE INDEX "journal_at" ON "journal" ("at")',
    # closures: daily Z, monthly and yearly; numbered per kind
    'CREATE TABLE "closure" ("id" INTEGER NOT NULL PRIMARY KEY, "kind" VARCHAR(255) NOT NULL, '
    '"number" INTEGER NOT NULL, "till" VARCHAR(255) NOT NULL, "created_at" VARCHAR(255) NOT NULL, '
    '"user_name" VARCHAR(255) NOT NULL, "period_start" VARCHAR(255) NOT NULL, "period_end" VARCHAR(255) NOT NULL, '
    '"first_ticket" INTEGER, "last_ticket" INTEGER, "ticket_count" INTEGER NOT NULL, '
    '"total" INTEGER NOT NULL, "perpetual_total" INTEGER NOT NULL, "data" TEXT NOT NULL, '
    '"journal_seq" INTEGER NOT NULL, "last_hash" VARCHAR(255) NOT NULL)',
    'CREATE UNIQUE INDEX "closure_kind_number" ON "closure" ("kind", "number")',
    # cash put in or taken out of the drawer (the opening float too), with a reason
    'CREATE TABLE "cash_movement" ("id" INTEGER NOT NULL PRIMARY KEY, "at" VARCHAR(255) NOT NULL, '
    '"kind" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, "reason" TEXT NOT NULL, '
    '"user_name" VARCHAR(255) NOT NULL)',
    # training-mode tickets: numbered and journaled like the others, kept out of the fiscal totals
    'ALTER TABLE "ticket" ADD COLUMN "training" INTEGER NOT NULL DEFAULT 0',
] + [
    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable once committed'); END"
    for table in ("journal", "closure", "cash_movement")
    for op in ("UPDATE", "DELETE")
]

V10_SYNC = [
    # PrestaShop: which article is which product / combination (0 for a product without combinations),
    # so that a renamed product or a changed reference updates its article instead of duplicating it
    'CREATE TABLE "ps_link" ("id" INTEGER NOT NULL PRIMARY KEY, "article_id" INTEGER NOT NULL, '
    '"id_product" INTEGER NOT NULL, "id_product_attribute" INTEGER NOT NULL, "date_upd" VARCHAR(255) NOT NULL, '
    'FOREIGN KEY ("article_id") REFERENCES "article" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "ps_link_id_product_id_product_attribute" ON "ps_link" ("id_product", "id_product_attribute")',
    'CREATE UNIQUE INDEX "ps_link_article_id" ON "ps_link" ("article_id")',
    # every sync run: what, when, how it ended, its counts and its errors (the sync log page)
    'CREATE TABLE "sync_run" ("id" INTEGER NOT NULL PRIMARY KEY, "kind" VARCHAR(255) NOT NULL, '
    '"started_at" VARCHAR(255) NOT NULL, "finished_at" VARCHAR(255), "status" VARCHAR(255) NOT NULL, '
    '"dry_run" INTEGER NOT NULL, "user_name" VARCHAR(255) NOT NULL, "counts" TEXT NOT NULL, "error" TEXT NOT NULL)',
    # web orders imported once: the ledger (reset by id or ALL)
    'CREATE TABLE "ps_order" ("id_order" INTEGER NOT NULL PRIMARY KEY, "reference" VARCHAR(255) NOT NULL, '
    '"ticket_number" INTEGER, "imported_at" VARCHAR(255) NOT NULL)',
]

V11_SIGNATURES = [
    # the Ed25519 signature (hex) of each journal record's hash, written with the record (pos/data/signing.py)
    'CREATE TABLE "journal_signature" ("seq" INTEGER NOT NULL PRIMARY KEY, "signature" VARCHAR(255) NOT NULL)',
] + [
    f"CREATE TRIGGER journal_signature_no_{op.lower()} BEFORE {op} ON journal_signature "
    f"BEGIN SELECT RAISE(ABORT, 'journal_signature rows are immutable once committed'); END"
    for op in ("UPDATE", "DELETE")
]

Migration = tuple[int, str, list[str]]

MIGRATIONS: list[Migration] = [
    (1, "core schema and French defaults", V1_CORE + V1_EXTRA),
    (2, "article search index", V2_SEARCH),
    (3, "weighed ticket lines", V3_WEIGHED_LINES),
    (4, "sealed tickets", V4_SEALED_TICKETS),
    (5, "barcode rules and ticket prints", V5_HARDWARE),
    (6, "payment methods that open the drawer", V6_DRAWER_METHODS),
    (7, "customer activity and the import log", V7_TRANSFER),
    (8, "article list by name", V8_ARTICLE_NAME),
    (9, "fiscal journal, closures, cash movements, training tickets", V9_JOURNAL),
    (10, "PrestaShop links, sync runs and the web order ledger", V10_SYNC),
    (11, "signatures of the journal records", V11_SIGNATURES),
    (12, "credit notes, gift vouchers and returns without a ticket", V12_VOUCHERS),
    (13, "stock movements, line costs, net quantities, low-stock thresholds", V13_STOCK),
    (14, "export templates and the export history", V14_EXPORTS),
    (15, "PrestaShop: articles published on the web, refunds of cancelled web orders", V15_SYNC),
    (16, "when each article was created (new articles' labels)", V16_ARTICLE_CREATED),
]

LATEST = MIGRATIONS[-1][0]


def current_version(db: Database) -> int:
    db.execute_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    row = db.execute_sql("SELECT MAX(version) FROM schema_migrations").fetchone()
    return row[0] or 0


def migrate(db: Database, target: int | None = None,
            progress: Callable[[int, str], None] | None = None) -> list[int]:
    """Apply the pending migrations up to ``target`` (default: all).  Returns those applied."""
    target = LATEST if target is None else target
    applied = []
    version = current_version(db)
    if version > LATEST:
        raise RuntimeError(
            f"this database has schema version {version}, newer than this program ({LATEST}): "
            "upgrade pos before opening it"
        )
    for number, name, statements in MIGRATIONS:
        if number <= version or number > target:
            continue
        if progress:
            progress(number, name)
        with db.atomic("IMMEDIATE"):
            for sql in statements:
                db.execute_sql(sql)
            db.execute_sql(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (number, name, _dt.datetime.now().astimezone().isoformat(timespec="seconds")),
            )
        applied.append(number)
    return applied
