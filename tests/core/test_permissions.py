"""One core for every action: each change to the shop takes who acts, checks the permission in the
role table, and writes and journals in ONE transaction.  Here through the core; the same actions
through the CLI are in tests/cli/test_cli_permissions.py and through the screens in
tests/screens/test_permissions_ui.py."""

from __future__ import annotations

import argparse
import dataclasses

import pytest
from helpers.actors import CASHIER, MANAGER

from pos.catalog import actions
from pos.core import admin, settings
from pos.core.actions import change, inject_fault
from pos.core.errors import Refusal
from pos.core.permissions import GRANTS, PERMISSIONS, ROLES, Actor, NeedsManager, check
from pos.data import catalog, events, journal, shop, users
from pos.data.catalog import ArticleDetail
from pos.fiscal import archive, closures


class Boom(Exception):
    """The failure a test injects between a write and its journal event."""


def new_article(reference: str = "NEW001") -> ArticleDetail:
    return ArticleDetail(id=None, reference=reference, name="Confiture de figues", price=450, vat_bp=550,
                         department_id=shop.departments()[0].id, cost=None, stock=0, by_weight=False,
                         free_price=False, favourite=False, active=True, barcodes=[], custom={})


def unsold_article_id() -> int:
    return actions.save_article(MANAGER, new_article("UNSOLD1"))


def a_rule_id() -> int:
    return admin.add_barcode_rule(MANAGER, "29", "price", 5, 5)


def a_sale() -> None:
    from helpers.demo_db import sell_one

    sell_one()


def import_file(tmp_path) -> object:
    from pos.catalog.transfer import Import

    path = tmp_path / "articles.csv"
    path.write_text("reference;name;price;vat\nIMP001;Miel de lavande;8,90;5,5\n", encoding="utf-8")
    job = Import("articles", path)
    job.prepare()
    return job


# name -> (set-up returning an argument, the action given who acts and that argument, the event it journals)
ACTIONS = {
    "add_user": (None, lambda a, _x: admin.add_user(a, "Paul", "4321", "cashier"), "user_created"),
    "set_user_active": (None, lambda a, _x: admin.set_user_active(a, users.find_user("Marie").id, False),
                        "user_changed"),
    "set_user_pin": (None, lambda a, _x: admin.set_user_pin(a, users.find_user("Claire").id, "5555"),
                     "user_pin_changed"),
    "add_vat_rate": (None, lambda a, _x: admin.add_vat_rate(a, 850, "8,5 %"), "vat_rate_added"),
    "set_vat_active": (None, lambda a, _x: admin.set_vat_active(a, shop.vat_id_for(210), False), "vat_rate_changed"),
    "add_payment_method": (None, lambda a, _x: admin.add_payment_method(a, "meal_voucher", "Titre-restaurant"),
                           "payment_method_added"),
    "set_method_active": (None, lambda a, _x: admin.set_method_active(a, shop.payment_methods()[-1].id, False),
                          "payment_method_changed"),
    "set_method_opens_drawer": (None, lambda a, _x: admin.set_method_opens_drawer(
        a, shop.payment_methods()[0].id, False), "payment_method_changed"),
    "set_setting": (None, lambda a, _x: admin.set_setting(a, "till.cashier_max_discount", "100"), "setting_changed"),
    "set_settings": (None, lambda a, _x: admin.set_settings(a, {"shop.name": "Chez Paul"}), "setting_changed"),
    "add_barcode_rule": (None, lambda a, _x: admin.add_barcode_rule(a, "20", "weight", 5, 5), "barcode_rule_added"),
    "set_barcode_rule_active": (a_rule_id, lambda a, rule: admin.set_barcode_rule_active(a, rule, False),
                                "barcode_rule_changed"),
    "delete_barcode_rule": (a_rule_id, lambda a, rule: admin.delete_barcode_rule(a, rule), "barcode_rule_deleted"),
    "save_article": (None, lambda a, _x: actions.save_article(a, new_article()), "article_created"),
    "change_article": (unsold_article_id, lambda a, art: actions.save_article(
        a, dataclasses.replace(catalog.article_detail(art), price=999)), "article_changed"),
    "set_article_active": (unsold_article_id, lambda a, art: actions.set_article_active(a, art, False),
                           "article_changed"),
    "delete_article": (unsold_article_id, lambda a, art: actions.delete_article(a, art), "article_deleted"),
    "define_custom_field": (None, lambda a, _x: actions.define_custom_field(a, "origin", "Origine"),
                            "custom_field_added"),
    "save_department": (None, lambda a, _x: actions.save_department(a, "Miels"), "department_created"),
    "close_day": (a_sale, lambda a, _x: closures.close(a, "day"), None),
    "cash_out": (None, lambda a, _x: closures.cash_movement(a, "out", 500, "bank deposit"), "cash_out"),
    "import": (import_file, lambda a, job: job.apply(a, add=True, update=False, delete=False), "import"),
}


@pytest.fixture
def journaled(shop):
    """The journal's length and the event kinds, to compare before and after an action."""
    return lambda: (journal.count(), [e["kind"] for e in events.events()])


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_a_cashier_is_refused_and_nothing_changes(name, journaled, tmp_path):
    setup, action, _event = ACTIONS[name]
    arg = (setup(tmp_path) if setup is import_file else setup()) if setup else None
    before = journaled()
    with pytest.raises(NeedsManager) as refused:
        action(CASHIER, arg)
    assert refused.value.action in PERMISSIONS and isinstance(refused.value, Refusal)
    assert journaled() == before


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_a_manager_is_accepted_and_the_change_is_journaled(name, journaled, tmp_path):
    setup, action, event = ACTIONS[name]
    arg = (setup(tmp_path) if setup is import_file else setup()) if setup else None
    count, kinds = journaled()
    action(MANAGER, arg)
    after_count, after_kinds = journaled()
    assert after_count > count
    if event is not None:
        assert event in after_kinds[len(kinds):]


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_a_cashier_with_a_managers_authorisation_is_accepted(name, journaled, tmp_path):
    setup, action, _event = ACTIONS[name]
    arg = (setup(tmp_path) if setup is import_file else setup()) if setup else None
    count = journal.count()
    with pytest.raises(NeedsManager) as refused:
        action(CASHIER, arg)
    authorised = dataclasses.replace(CASHIER, authorised=refused.value.action, authorised_by="Claire")
    action(authorised, arg)
    assert journal.count() > count


def test_cashiers_keep_their_own_actions(shop):
    """Customers, cash put in and the X report on a closure visit need no manager."""
    customer = actions.save_customer(CASHIER, {"name": "Mme Durand"})
    assert events.events()[-1]["kind"] == "customer_created" and events.events()[-1]["user_name"] == "Marie"
    actions.save_customer(CASHIER, {"active": False}, customer)
    closures.cash_movement(CASHIER, "in", 1000, "change from the bank")
    with pytest.raises(NeedsManager):
        closures.x_report(CASHIER)
    closures.x_report(dataclasses.replace(CASHIER, authorised="closure"))  # the closure screen's visit


def test_archive_and_sync_are_a_managers(shop, tmp_path):
    from pos.sync import endofday

    with pytest.raises(NeedsManager):
        archive.export(CASHIER, "2030-01", tmp_path / "a")
    assert not (tmp_path / "a").exists()
    with pytest.raises(NeedsManager):
        endofday.cli(None, argparse.Namespace(dry_run=True), CASHIER)  # refused before any request


def test_the_role_table():
    assert ROLES["manager"] == frozenset(PERMISSIONS)
    assert ROLES["cashier"] < ROLES["manager"]
    for grant in GRANTS.values():
        assert grant <= frozenset(PERMISSIONS)
    with pytest.raises(KeyError):
        Actor(None, "x", "manager").may("fly")
    check(Actor(None, "x", "manager"), "closure")
    with pytest.raises(NeedsManager):
        check(Actor(None, "x", "stranger"), "sell")  # an unknown role may do nothing


# ---------------------------------------------------------------- atomicity
ADMIN_CHANGES = ["add_user", "add_vat_rate", "add_payment_method", "set_setting", "save_article",
                 "save_department", "define_custom_field", "add_barcode_rule", "set_user_active"]


@pytest.mark.parametrize("name", ADMIN_CHANGES)
def test_a_failure_between_the_write_and_its_event_leaves_neither(name, journaled, shop):
    setup, action, _event = ACTIONS[name]
    snapshot = (users.users(True), shop_rows(), settings.all_values(), catalog.count_articles(),
                catalog.custom_fields(), catalog.barcode_rules(True))
    before = journaled()
    seen = []

    def fail(point: str) -> None:
        seen.append(point)
        raise Boom(point)

    with inject_fault(fail), pytest.raises(Boom):
        action(MANAGER, setup() if setup else None)
    assert seen == ["before_event"]  # the write was done when the fault hit
    assert journaled() == before
    assert (users.users(True), shop_rows(), settings.all_values(), catalog.count_articles(),
            catalog.custom_fields(), catalog.barcode_rules(True)) == snapshot
    action(MANAGER, setup() if setup else None)  # without the fault: both
    assert journaled()[0] > before[0]


def shop_rows() -> tuple:
    return shop.vat_rates(True), shop.payment_methods(True), shop.departments(True)


def test_change_journals_the_data_the_body_adds(shop):
    with change(MANAGER, "catalog", "test_event", a=1) as event:
        event["b"] = 2
    last = events.events()[-1]
    assert last["kind"] == "test_event" and last["user_name"] == "Claire" and last["data"] == {"a": 1, "b": 2}
    with pytest.raises(NeedsManager), change(CASHIER, "catalog", "never"):
        raise AssertionError("the body must not run")
    assert events.events()[-1]["kind"] == "test_event"


def test_refused_validation_writes_nothing(journaled):
    before = journaled()
    for bad in (lambda: admin.add_vat_rate(MANAGER, 10_001), lambda: admin.add_vat_rate(MANAGER, 2000),
                lambda: admin.add_user(MANAGER, "", "1234"), lambda: admin.add_user(MANAGER, "Marie", "1234"),
                lambda: admin.add_user(MANAGER, "Léa", "12"), lambda: admin.add_payment_method(MANAGER, "x", "X"),
                lambda: admin.add_user(MANAGER, "x" * 31, "1234"), lambda: admin.add_user(MANAGER, "a\nb", "1234"),
                lambda: admin.add_barcode_rule(MANAGER, "2", "price", 6, 6),
                lambda: admin.set_user_active(MANAGER, users.find_user("Claire").id, False),
                lambda: admin.first_manager("Eve", "1234")):
        with pytest.raises(Refusal):
            bad()
    assert journaled() == before
