"""The till's safeguards: limits on cashiers, no silent loss of payments or baskets,
wrong PINs counted across restarts, and database errors that write nothing."""

from __future__ import annotations

import pytest
from peewee import DatabaseError

from pos.core import auth, settings
from pos.data import baskets as baskets_db
from pos.data import events, users
from pos.data import tickets as tickets_db
from pos.data.models import database
from pos.sale.basket import Discount
from pos.sale.till import AuthError, NeedsManager, Till, TillError

MANAGER_PIN = "9999"


def scan_croissants(till: Till, n: int = 1) -> None:
    for _ in range(n):
        till.scan("D010003")  # Croissant, 1,20 €


def test_cashier_discount_limit(till):
    scan_croissants(till, 5)  # 6,00 €
    till.set_line_discount(0, Discount("percent", 2000))  # 20 %: allowed
    assert till.basket.total == 480
    with pytest.raises(NeedsManager):
        till.set_line_discount(0, Discount("percent", 10_000))  # a 100 % discount is a manager's call
    with pytest.raises(NeedsManager):
        till.set_ticket_discount(Discount("amount", 200))  # 2,00 € off 4,80 € = 41 %
    assert till.basket.total == 480  # nothing changed
    till.authorize(MANAGER_PIN, "discount")
    till.set_ticket_discount(Discount("amount", 200))
    assert till.basket.total == 280
    settings.set_value("till.cashier_max_discount", "50")
    till.set_line_discount(0, Discount("percent", 5000))
    with pytest.raises(settings.SettingError):
        settings.set_value("till.cashier_max_discount", "150")


def test_refused_fractional_quantity_does_not_stick(till):
    till.set_pending_qty(500)
    with pytest.raises(TillError, match="whole quantities"):
        scan_croissants(till)
    assert till.pending_qty is None
    scan_croissants(till)  # the next scan works
    assert till.basket.lines[0].qty == 1000


def test_cancel_is_refused_once_payments_are_taken(till):
    scan_croissants(till)
    till.add_payment("card", 100)
    till.authorize(MANAGER_PIN, "void")
    with pytest.raises(TillError, match="Payments were taken"):
        till.cancel()
    assert till.basket.payments and till.basket.lines
    till.remove_payment(0)
    till.cancel()
    assert not till.basket.lines


def test_deleted_lines_are_logged(till):
    scan_croissants(till)
    till.remove_line(0)
    assert [e["data"]["name"] for e in events.events("line_deleted")] == ["Croissant"]


def test_wrong_pins_stay_counted_across_a_restart(shop):
    marie = users.find_user("Marie")
    for _ in range(2):
        t = Till()
        with pytest.raises(AuthError):
            t.login(marie.id, "0000")
        t.close()
    t = Till()  # a new process would see the same counters
    with pytest.raises(AuthError, match="locked"):
        t.login(marie.id, "0000")
    with pytest.raises(AuthError, match="try again"):
        t.login(marie.id, "1234")
    t.close()
    assert auth.Throttle(store=users.SettingsThrottleStore()).remaining_lock(marie.id) > 0


def test_recall_is_one_transaction(till):
    scan_croissants(till)
    basket_id = till.park("table 4")
    till.recall(basket_id)
    assert baskets_db.parked_baskets() == []
    assert baskets_db.load_current_basket(till.user.id)["lines"][0]["name"] == "Croissant"


def test_an_sqlite_error_in_the_commit_is_a_peewee_error_and_writes_nothing(till):
    scan_croissants(till, 2)
    till.add_payment("card")
    database.execute_sql("CREATE TRIGGER fail_lines BEFORE INSERT ON ticket_vat "
                         "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    with pytest.raises(DatabaseError, match="disk says no"):
        till.validate()
    assert tickets_db.last_ticket_number() == 0
    assert [ln.name for ln in till.basket.lines] == ["Croissant"]  # the basket is kept
    database.execute_sql("DROP TRIGGER fail_lines")
    assert till.validate().number == 1
