"""pos.data and pos.core.settings against real SQLite files: pragmas, migrations, the
schema, immutable tickets, article search and paging, settings validation."""

from __future__ import annotations

import dataclasses

import pytest
from peewee import DatabaseError, IntegrityError, SqliteDatabase

from pos.core import auth, settings
from pos.data import catalog, config, events, users
from pos.data import shop as shop_db
from pos.data import tickets as tickets_db
from pos.data.catalog import ArticleDetail
from pos.data.common import CatalogError
from pos.data.db import close_database, integrity_check, open_database, pragma
from pos.data.migrations import LATEST, MIGRATIONS, current_version, migrate
from pos.data.models import ALL_MODELS, Article, Barcode, ImmutableError, Ticket, TicketLine, database
from pos.sale.basket import Basket, Line, Payment
from pos.sale.draft import TicketDraft, ticket_draft

TICKET_TABLES = ("ticket", "ticket_line", "ticket_vat", "ticket_payment")


def names(articles) -> list[str]:
    return [a.name for a in articles]


def draft_of(user: users.UserInfo, basket: Basket) -> TicketDraft:
    return ticket_draft(basket, basket.totals(), user_id=user.id, user_name=user.name,
                        created_at="2024-03-15T10:00:00+01:00")


def record_sale(user: users.UserInfo, total: int = 360, method: str = "cash") -> int:
    basket = Basket(lines=[Line("Croissant", total // 3, 3000, 550)], payments=[Payment(method, method, total)])
    return tickets_db.record_ticket(draft_of(user, basket))


@pytest.fixture
def cashier(db) -> users.UserInfo:
    return users.create_user("Marie", auth.hash_pin("1234"))


# ---------------------------------------------------------------- pragmas and defaults
def test_pragmas(db):
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("synchronous") == 2  # FULL
    assert pragma("busy_timeout") == 5000
    with pytest.raises(IntegrityError):  # foreign keys are really enforced
        Barcode.create(code="123", article=424242)


def test_pragmas_after_reopening(tmp_path):
    path = tmp_path / "pos.sqlite3"
    open_database(path)
    close_database()
    try:
        open_database(path)
        assert (pragma("journal_mode"), pragma("foreign_keys"), pragma("synchronous")) == ("wal", 1, 2)
    finally:
        close_database()


def test_fresh_database_has_the_french_defaults(db):
    assert current_version(db) == LATEST == MIGRATIONS[-1][0]
    versions = [r[0] for r in db.execute_sql("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [m[0] for m in MIGRATIONS]
    assert [v.rate_bp for v in shop_db.vat_rates()] == [2000, 1000, 550, 210, 0]
    methods = shop_db.payment_methods()
    assert [(m.code, m.gives_change) for m in methods] == [
        ("cash", True), ("card", False), ("cheque", False), ("voucher", False)]
    assert users.is_empty_shop()
    assert integrity_check() == "ok"


# ---------------------------------------------------------------- migrations
def test_upgrade_in_place(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = open_database(path, target=1)
    try:
        assert current_version(db) == 1
        assert not db.table_exists("article_search")
        dep = shop_db.save_department("Épicerie", vat_bp=550)
        catalog.save_article(ArticleDetail("R1", "Café moulu 250 g", 459, 550, department_id=dep,
                                           barcodes=["3760123000017"]))
        catalog.save_article(ArticleDetail("R2", "Thé vert 100 g", 520, 550, department_id=dep))
    finally:
        close_database()

    seen = []
    db = open_database(path)  # today's program opens yesterday's file
    try:
        assert current_version(db) == LATEST
        assert names(catalog.search_articles("cafe")) == ["Café moulu 250 g"]
        assert names(catalog.search_articles("THE")) == ["Thé vert 100 g"]
        assert names(catalog.search_articles("r2")) == ["Thé vert 100 g"]
        assert catalog.find_article_by_code("3760123000017").reference == "R1"
        catalog.save_article(ArticleDetail("R3", "Café en grains 1 kg", 1890, 550))  # new rows are indexed too
        assert names(catalog.search_articles("café")) == ["Café en grains 1 kg", "Café moulu 250 g"]
        assert migrate(db, progress=lambda n, name: seen.append(n)) == []
        assert seen == []
        assert integrity_check() == "ok"
    finally:
        close_database()


def test_migrate_reports_progress(tmp_path):
    db = open_database(tmp_path / "pos.sqlite3", upgrade=False)
    try:
        seen = []
        assert migrate(db, target=1, progress=lambda n, name: seen.append((n, name))) == [1]
        assert migrate(db, progress=lambda n, name: seen.append((n, name))) == [m[0] for m in MIGRATIONS[1:]]
        assert seen == [(1, "core schema and French defaults")] + [(m[0], m[1]) for m in MIGRATIONS[1:]]
    finally:
        close_database()


def test_reopening_does_not_reapply(tmp_path):
    path = tmp_path / "pos.sqlite3"
    db = open_database(path)
    rows = db.execute_sql("SELECT * FROM schema_migrations ORDER BY version").fetchall()
    vat_count = len(shop_db.vat_rates(include_inactive=True))
    close_database()
    db = open_database(path)
    try:
        assert db.execute_sql("SELECT * FROM schema_migrations ORDER BY version").fetchall() == rows
        assert len(shop_db.vat_rates(include_inactive=True)) == vat_count == 5  # defaults not inserted twice
        assert migrate(db) == []
    finally:
        close_database()


def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "future.sqlite3"
    db = open_database(path)
    db.execute_sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', '')",
                   (LATEST + 1,))
    close_database()
    try:
        with pytest.raises(RuntimeError, match="newer than this program"):
            open_database(path)
    finally:
        close_database()
    check = SqliteDatabase(str(path))
    assert check.execute_sql("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == LATEST + 1
    check.close()


# ---------------------------------------------------------------- models and schema
def test_models_match_the_migrated_schema(db):
    for model in ALL_MODELS:
        table = model._meta.table_name
        info = {row[1]: row for row in db.execute_sql(f'PRAGMA table_info("{table}")')}
        fields = {f.column_name: f for f in model._meta.sorted_fields}
        assert set(fields) == set(info), table
        for column, f in fields.items():
            _, _, sql_type, notnull, _, pk = info[column]
            assert bool(pk) == f.primary_key, (table, column)
            if not f.primary_key:
                assert bool(notnull) == (not f.null), (table, column)
            field_type = f.field_type if not hasattr(f, "rel_field") else f.rel_field.field_type
            expected = {"AUTO": "INTEGER", "INT": "INTEGER", "BOOL": "INTEGER", "TEXT": "TEXT",
                        "VARCHAR": "VARCHAR(255)"}[field_type]
            assert sql_type == expected, (table, column)


def test_models_generate_the_same_tables(db):
    """What peewee would create from the models equals the frozen DDL (columns, keys, indexes)."""
    scratch = SqliteDatabase(":memory:")
    with scratch.bind_ctx(ALL_MODELS):
        scratch.create_tables(ALL_MODELS)
    extra_indexes = {"article_page", "article_favourite", "saved_basket_kind"}  # added by migration 1 only
    for model in ALL_MODELS:
        table = model._meta.table_name
        for pragma_name in ("table_info", "foreign_key_list"):
            sql = f'PRAGMA {pragma_name}("{table}")'
            assert db.execute_sql(sql).fetchall() == scratch.execute_sql(sql).fetchall(), (table, pragma_name)
        ours = {(r[1], r[2]) for r in db.execute_sql(f'PRAGMA index_list("{table}")')}
        theirs = {(r[1], r[2]) for r in scratch.execute_sql(f'PRAGMA index_list("{table}")')}
        assert {name for name, _ in ours - theirs} <= extra_indexes, table
        assert theirs <= ours, table
    scratch.close()


# ---------------------------------------------------------------- immutable tickets
def test_ticket_save_and_delete_refused(cashier):
    number = record_sale(cashier)
    ticket = Ticket.get(Ticket.number == number)
    ticket.total = 1
    with pytest.raises(ImmutableError):
        ticket.save()
    with pytest.raises(ImmutableError):
        ticket.delete_instance()
    assert tickets_db.get_ticket(number).total == 360


@pytest.mark.parametrize("table", TICKET_TABLES)
@pytest.mark.parametrize("statement", ['UPDATE "{t}" SET id = id', 'DELETE FROM "{t}"'])
def test_raw_sql_cannot_change_a_ticket(cashier, table, statement):
    number = record_sale(cashier)
    before = tickets_db.get_ticket(number)
    with pytest.raises(IntegrityError, match="immutable"):
        database.execute_sql(statement.format(t=table))
    assert tickets_db.get_ticket(number) == before


def test_query_updates_are_refused_too(cashier):
    number = record_sale(cashier)
    with pytest.raises(IntegrityError):
        Ticket.update(total=0).execute()
    with pytest.raises(IntegrityError):
        TicketLine.delete().execute()
    assert tickets_db.get_ticket(number).lines[0]["total"] == 360


def test_record_ticket_numbers_and_rollback(cashier):
    assert [record_sale(cashier), record_sale(cashier)] == [1, 2]
    with pytest.raises(ValueError, match="unknown payment method"):
        record_sale(cashier, method="bitcoin")
    # nothing of the failed ticket remains, and its number is not burnt
    assert tickets_db.last_ticket_number() == 2
    assert TicketLine.select().count() == 2
    assert record_sale(cashier) == 3
    with pytest.raises(ValueError, match="does not exist"):
        refund = Basket(lines=[Line("Croissant", 120, -1000, 550, refund_of_line=1, preset_net=-120)],
                        payments=[Payment("cash", "cash", -120)], refund_of=99)
        tickets_db.record_ticket(draft_of(cashier, refund))
    assert list(tickets_db.iter_ticket_numbers()) == [1, 2, 3]


def test_list_tickets(cashier):
    for _ in range(3):
        record_sale(cashier)
    assert [t.number for t in tickets_db.list_tickets()] == [3, 2, 1]
    assert [t.number for t in tickets_db.list_tickets(date="2024-03-15")] == [3, 2, 1]
    assert tickets_db.list_tickets(date="2024-03-16") == []
    assert [t.number for t in tickets_db.list_tickets(limit=2)] == [3, 2]
    assert [t.number for t in tickets_db.list_tickets(before_number=3)] == [2, 1]


# ---------------------------------------------------------------- catalogue
def test_search_is_accent_insensitive_word_prefix(shop):
    assert set(names(catalog.search_articles("cafe"))) == {
        "Café à emporter", "Café en grains 1 kg", "Café moulu 250 g", "Éclair au café"}
    assert names(catalog.search_articles("pain camp")) == ["Pain de campagne"]
    assert names(catalog.search_articles("PAIN  CAMP")) == ["Pain de campagne"]
    assert names(catalog.search_articles("eclair")) == ["Éclair au café"]
    assert names(catalog.search_articles("crois")) == ["Croissant"]
    assert names(catalog.search_articles("creme fraiche")) == ["Crème fraîche épaisse"]
    assert catalog.search_articles("ampagne") == []  # prefixes, not substrings
    assert catalog.search_articles("") == []
    assert catalog.search_articles("  !! ") == []


def test_search_by_reference(shop):
    ref = Article.get(Article.name == "Croissant").reference
    assert names(catalog.search_articles(ref)) == ["Croissant"]
    assert names(catalog.search_articles(ref.lower())) == ["Croissant"]


def test_search_limit_order_and_inactive(shop):
    found = catalog.search_articles("pain")
    assert names(found) == sorted(names(found), key=str.casefold)
    assert names(found) == ["Pain au chocolat", "Pain aux céréales", "Pain aux raisins", "Pain complet",
                            "Pain de campagne", "Pain de mie"]
    assert len(catalog.search_articles("pain", limit=3)) == 3
    Article.update(active=False).where(Article.name == "Pain complet").execute()
    assert "Pain complet" not in names(catalog.search_articles("pain"))
    assert "Pain complet" in names(catalog.search_articles("pain", include_inactive=True))


def test_search_follows_renames(shop):
    Article.update(name="Pain d'épeautre").where(Article.name == "Pain complet").execute()
    assert names(catalog.search_articles("epeautre")) == ["Pain d'épeautre"]
    assert catalog.search_articles("complet") == []


def test_find_article_by_code_barcode_first(shop):
    croissant = Article.get(Article.name == "Croissant")
    barcode = Barcode.get(Barcode.article == croissant.id).code
    assert catalog.find_article_by_code(barcode).name == "Croissant"
    assert catalog.find_article_by_code(barcode).barcode == barcode
    assert catalog.find_article_by_code(croissant.reference).name == "Croissant"
    # an article whose reference looks like another one's barcode: the barcode wins
    catalog.save_article(ArticleDetail(barcode, "Homonyme", 100, 2000))
    assert catalog.find_article_by_code(barcode).name == "Croissant"
    assert catalog.find_article_by_code("nope") is None


def test_page_articles(shop):
    bakery = next(d for d in shop_db.departments() if d.name == "Boulangerie")
    seen, page, more = [], 0, True
    while more:
        rows, more = catalog.page_articles(bakery.id, page, 8)
        assert len(rows) == (8 if more else 4)
        seen.extend(rows)
        page += 1
    assert page == 3
    assert len(seen) == len({a.id for a in seen}) == 20
    assert names(seen) == sorted(names(seen))
    assert all(a.department == "Boulangerie" and a.vat_bp == 550 for a in seen)
    assert catalog.page_articles(bakery.id, 3, 8) == ([], False)
    rows, more = catalog.page_articles(bakery.id, 0, 20)
    assert (len(rows), more) == (20, False)
    Article.update(active=False).where(Article.id == seen[0].id).execute()
    assert seen[0].id not in {a.id for a in catalog.page_articles(bakery.id, 0, 20)[0]}


def test_page_favourites(shop):
    favourites, more = catalog.page_articles(catalog.FAVOURITES, 0, 100)
    assert not more
    assert "Baguette tradition" in names(favourites) and "Pain complet" not in names(favourites)
    assert len(favourites) == Article.select().where(Article.favourite == True).count()  # noqa: E712
    assert catalog.has_favourites()


def test_departments_carry_their_vat_rate(shop):
    deps = {d.name: d.vat_bp for d in shop_db.departments()}
    assert deps["Boulangerie"] == 550
    assert deps["Boissons"] == 2000
    assert deps["Fleurs"] == 1000
    shop_db.save_department("Sans TVA")
    assert {d.name: d.vat_bp for d in shop_db.departments()}["Sans TVA"] is None


def test_custom_fields(shop):
    with pytest.raises(CatalogError, match="lower-case"):
        catalog.define_custom_field("Bad Key", "x")
    with pytest.raises(CatalogError):
        catalog.define_custom_field("origin", "Origin", kind="date")
    catalog.define_custom_field("origin", "Origin")
    with pytest.raises(CatalogError, match="already exists"):
        catalog.define_custom_field(" Origin ", "Again")
    croissant = catalog.article_detail(Article.get(Article.name == "Croissant").id)
    with pytest.raises(CatalogError, match="colour"):
        catalog.save_article(dataclasses.replace(croissant, custom={"colour": "red"}))
    catalog.save_article(dataclasses.replace(croissant, custom={"origin": "Lyon"}))
    assert catalog.article_detail(croissant.id).custom == {"origin": "Lyon"}


# ---------------------------------------------------------------- settings
@pytest.mark.parametrize("siret", ["81234567600017", "812 345 676 00017", "35600000000001", ""])
def test_siret_accepted(db, siret):
    assert settings.set_value("shop.siret", siret) == siret.replace(" ", "")
    assert settings.get("shop.siret") == siret.replace(" ", "")


@pytest.mark.parametrize("siret", ["81234567600018", "8123456760001", "8123456760001A", "35600000000002"])
def test_siret_refused(db, siret):
    with pytest.raises(settings.SettingError):
        settings.set_value("shop.siret", siret)
    assert config.get_setting("shop.siret") is None


def test_luhn():
    assert settings.luhn_ok("81234567600017")
    assert settings.luhn_ok("79927398713")
    assert not settings.luhn_ok("79927398710")


@pytest.mark.parametrize(("value", "stored"), [
    ("FR19812345676", "FR19812345676"), ("fr 19 812 345 676", "FR19812345676"), ("FRAB812345676", "FRAB812345676"),
    ("", ""),
])
def test_vat_number_accepted(db, value, stored):
    assert settings.set_value("shop.vat_number", value) == stored


@pytest.mark.parametrize("value", ["FR20812345676", "FR1981234567", "DE123456789", "FR19812345676X"])
def test_vat_number_refused(db, value):
    with pytest.raises(settings.SettingError):
        settings.set_value("shop.vat_number", value)
    assert settings.get("shop.vat_number") == ""


def test_unknown_setting(db):
    with pytest.raises(settings.SettingError):
        settings.get("shop.colour")
    with pytest.raises(settings.SettingError):
        settings.set_value("shop.colour", "red")
    assert config.all_settings() == {}


def test_set_value_validates_and_logs(db):
    assert settings.get("receipt.footer") == "Thank you for your visit!"  # the default
    with pytest.raises(settings.SettingError):
        settings.set_value("shop.name", "   ")
    with pytest.raises(settings.SettingError):
        settings.set_value("ui.language", "de")
    with pytest.raises(settings.SettingError):
        settings.set_value("till.name", "x" * 31)
    assert settings.set_value("shop.name", "  Chez Paul ", user_name="Claire") == "Chez Paul"
    settings.set_value("shop.name", "Chez Paul", user_name="Claire")  # no change: no event
    [event] = events.events("setting_changed")
    assert event["user_name"] == "Claire"
    assert event["data"] == {"key": "shop.name", "old": "", "new": "Chez Paul"}


def test_set_many_is_all_or_nothing(db):
    with pytest.raises(settings.SettingError):
        settings.set_many({"shop.name": "Chez Paul", "shop.siret": "81234567600018"})
    with pytest.raises(settings.SettingError):
        settings.set_many({"shop.name": "Chez Paul", "shop.colour": "red"})
    assert config.all_settings() == {}
    assert events.events("setting_changed") == []
    settings.set_many({"shop.name": "Chez Paul", "shop.siret": "812 345 676 00017", "ui.language": "fr"})
    assert config.all_settings() == {"shop.name": "Chez Paul", "shop.siret": "81234567600017", "ui.language": "fr"}
    assert sorted(e["data"]["key"] for e in events.events("setting_changed")) == [
        "shop.name", "shop.siret", "ui.language"]
    assert settings.all_values()["shop.siret"] == "81234567600017"


def test_migration_3_marks_old_weighed_lines_and_keeps_tickets_immutable(tmp_path, monkeypatch):
    """A v2 database with tickets upgrades in place: fractional lines become weighed lines, and the
    tickets are sealed into the fiscal journal when it appears (migration 9)."""
    from pos.data import journal
    from pos.data.db import close_database, open_database
    from pos.data.models import database
    from pos.demo import load_demo_shop
    from pos.sale.till import Till

    path = tmp_path / "v2.sqlite3"
    open_database(path, target=2)
    with monkeypatch.context() as m:  # no journal in a v2 database
        m.setattr(journal, "append", lambda *a, **k: 0)
        m.setattr(journal, "write_head", lambda: None)
        load_demo_shop()
    database.execute_sql(
        "INSERT INTO ticket (number, kind, status, channel, created_at, user_id, user_name, subtotal, "
        "discount_amount, total, paid, change) VALUES (1, 'sale', 'paid', 'pos', '2026-01-01T10:00:00+01:00', "
        "1, 'Claire', 158, 0, 158, 158, 0)")
    for pos_, qty in ((1, 452), (2, 2000)):
        database.execute_sql(
            "INSERT INTO ticket_line (ticket_id, position, reference, barcode, name, department, qty, unit_price, "
            "list_price, vat_bp, discount_amount, ticket_discount, total) "
            "VALUES (1, ?, '', '', 'x', '', ?, 349, 349, 550, 0, 0, 79)", (pos_, qty))
    close_database()

    open_database(path)
    lines = tickets_db.get_ticket(1).lines
    assert [ln["by_weight"] for ln in lines] == [True, False]
    assert [r[2] for r in journal.journal_rows()] == ["genesis", "event", "ticket"]
    assert journal.verify().ok
    with pytest.raises(Exception, match="immutable"):
        database.execute_sql("UPDATE ticket_line SET qty = 1")
    till = Till()
    try:
        till.login(users.find_user("Claire").id, "9999")
        till.start_refund(1)
        assert [line.by_weight for line in till.basket.lines] == [True, False]
    finally:
        till.close()
        close_database()


# ---------------------------------------------------------------- sealed tickets (migration 4)
def test_nothing_can_be_added_to_a_committed_ticket(till):
    till.scan("D010003")  # Croissant
    till.add_payment("cash")
    first = till.validate()
    till.scan("D010003")
    till.add_payment("card")
    till.validate()
    with pytest.raises(DatabaseError, match="cannot be added to"):
        database.execute_sql(
            "INSERT INTO ticket_payment (ticket_id, method_id, method_code, method_name, amount) "
            "VALUES (?, 1, 'cash', 'Espèces', 100)", (first.id,))
