"""The frozen DDL of migration 13: stock movements, the cost snapshot of ticket lines, net quantities
and low-stock thresholds (imported by ``migrations.py``; never edit it once released).

Every change of ``article.stock`` leaves a row in ``stock_move`` by SQLite triggers, in the
statement's own transaction, whoever writes it: the writer says what the change is (kind, user,
reference) in the one-row ``stock_context`` table for the length of its write
(``pos.data.stock.moving``); a writer that says nothing leaves a ``manual`` movement.  So an
article's stock always equals the sum of its movements.  Existing stock becomes one ``opening``
movement per article (reference ``migration``).
"""

from __future__ import annotations

_CONTEXT = "(SELECT {col} FROM stock_context WHERE id = 1)"
_NOW = "strftime('%Y-%m-%dT%H:%M:%S', 'now', 'localtime')"


def _move(qty: str) -> str:
    return ("INSERT INTO stock_move (article_id, kind, qty, user_name, at, reference) VALUES (NEW.id, "
            f"COALESCE({_CONTEXT.format(col='kind')}, 'manual'), {qty}, "
            f"COALESCE({_CONTEXT.format(col='user_name')}, ''), COALESCE({_CONTEXT.format(col='at')}, {_NOW}), "
            f"COALESCE({_CONTEXT.format(col='reference')}, ''));")


V13_STOCK = [
    'CREATE TABLE "stock_move" ("id" INTEGER NOT NULL PRIMARY KEY, "article_id" INTEGER NOT NULL, '
    '"kind" VARCHAR(255) NOT NULL, "qty" INTEGER NOT NULL, "user_name" VARCHAR(255) NOT NULL, '
    '"at" VARCHAR(255) NOT NULL, "reference" VARCHAR(255) NOT NULL, '
    'FOREIGN KEY ("article_id") REFERENCES "article" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "stock_move_article_id_id" ON "stock_move" ("article_id", "id")',
    'CREATE INDEX "stock_move_at" ON "stock_move" ("at")',
    # what the current write transaction does to the stock (one row, only while it writes)
    'CREATE TABLE "stock_context" ("id" INTEGER NOT NULL PRIMARY KEY CHECK ("id" = 1), '
    '"kind" VARCHAR(255) NOT NULL, "user_name" VARCHAR(255) NOT NULL, "at" VARCHAR(255) NOT NULL, '
    '"reference" VARCHAR(255) NOT NULL)',
    # the content of a package (thousandths of a kg, a litre or a piece) for the unit price on labels
    'ALTER TABLE "article" ADD COLUMN "net_qty" INTEGER',
    'ALTER TABLE "article" ADD COLUMN "net_unit" VARCHAR(255) NOT NULL DEFAULT \'\'',
    # below or at this stock (thousandths) the article is low; NULL: the shop's default
    'ALTER TABLE "article" ADD COLUMN "low_stock" INTEGER',
    # the cost price of a ticket line's article when it was sold (the margin report)
    'CREATE TABLE "ticket_line_cost" ("line_id" INTEGER NOT NULL PRIMARY KEY, "cost" INTEGER, '
    'FOREIGN KEY ("line_id") REFERENCES "ticket_line" ("id"))',
    "INSERT INTO ticket_line_cost (line_id, cost) SELECT l.id, a.cost FROM ticket_line l "
    "JOIN article a ON a.id = l.article_id",
    "CREATE TRIGGER ticket_line_cost_snapshot AFTER INSERT ON ticket_line WHEN NEW.article_id IS NOT NULL "
    "BEGIN INSERT OR REPLACE INTO ticket_line_cost (line_id, cost) SELECT NEW.id, cost FROM article "
    "WHERE id = NEW.article_id; END",
    # the opening movement: the stock as it was before movements existed
    "INSERT INTO stock_move (article_id, kind, qty, user_name, at, reference) "
    f"SELECT id, 'opening', stock, '', {_NOW}, 'migration' FROM article WHERE stock <> 0",
    f"CREATE TRIGGER article_stock_insert AFTER INSERT ON article WHEN NEW.stock <> 0 BEGIN {_move('NEW.stock')} END",
    "CREATE TRIGGER article_stock_update AFTER UPDATE OF stock ON article WHEN NEW.stock <> OLD.stock "
    f"BEGIN {_move('NEW.stock - OLD.stock')} END",
] + [
    # a movement is history: corrected by another movement, never edited (deleted only with its article)
    "CREATE TRIGGER stock_move_no_update BEFORE UPDATE ON stock_move "
    "BEGIN SELECT RAISE(ABORT, 'stock_move rows are immutable once committed'); END",
    "CREATE TRIGGER stock_move_no_delete BEFORE DELETE ON stock_move "
    "WHEN EXISTS (SELECT 1 FROM article WHERE id = OLD.article_id) "
    "BEGIN SELECT RAISE(ABORT, 'stock_move rows are immutable once committed'); END",
    "CREATE TRIGGER ticket_line_cost_no_update BEFORE UPDATE ON ticket_line_cost "
    "BEGIN SELECT RAISE(ABORT, 'ticket_line_cost rows are immutable once committed'); END",
    "CREATE TRIGGER ticket_line_cost_no_delete BEFORE DELETE ON ticket_line_cost "
    "BEGIN SELECT RAISE(ABORT, 'ticket_line_cost rows are immutable once committed'); END",
]


# Migration 16: when each article was created (new articles' shelf labels).  A trigger fills it
# whoever inserts (the article page, an import, a PrestaShop pull); the articles of an older
# database have no row: they are not new.
V16_ARTICLE_CREATED = [
    'CREATE TABLE "article_created" ("article_id" INTEGER NOT NULL PRIMARY KEY, "at" VARCHAR(255) NOT NULL, '
    'FOREIGN KEY ("article_id") REFERENCES "article" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "article_created_at" ON "article_created" ("at")',
    f"CREATE TRIGGER article_created_at AFTER INSERT ON article BEGIN "
    f"INSERT INTO article_created (article_id, at) VALUES (NEW.id, {_NOW}); END",
]
