"""Closures (daily Z, monthly, yearly, the X report), the cash count, cash movements and training mode.

The property tests ring up random days (sales paid by card, cash with change or both,
refunds, training tickets, cash movements, Zs and monthly closures) on a copy of the
demo shop and check each closure against the tickets themselves."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from helpers.actors import MANAGER
from helpers.demo_db import copy_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos.core import i18n
from pos.data import baskets, events, journal, users
from pos.data import tickets as tickets_db
from pos.data.db import close_database, open_database
from pos.data.models import Article, Closure, ImmutableError
from pos.fiscal import closures
from pos.fiscal.closures import ClosureError
from pos.hardware import VirtualDrawer, VirtualPrinter
from pos.sale.basket import Discount
from pos.sale.till import NeedsManager, Till, TillError

MANAGER_PIN = "9999"



@pytest.fixture
def manager(shop):
    t = Till(printer=VirtualPrinter(), drawer=VirtualDrawer())
    t.login(users.find_user("Claire").id, MANAGER_PIN)
    yield t
    t.close()


def ref(name: str) -> str:
    return Article.get(Article.name == name).reference


def sell(till: Till, *refs: str, method: str = "card", amount: int | None = None) -> tickets_db.TicketRecord:
    for r in refs:
        till.scan(r)
    till.add_payment(method, amount)
    return till.validate()


def refund(till: Till, number: int, method: str = "card") -> tickets_db.TicketRecord:
    till.start_refund(number)
    till.add_payment(method)
    return till.validate()


# ---------------------------------------------------------------- pure parts
@given(st.integers(0, 10**7), st.integers(-10**7, 10**7), st.integers(0, 10**7), st.integers(0, 10**7),
       st.integers(0, 10**7))
def test_expected_cash_formula(float_, taken, change, cash_in, cash_out):
    assert closures.expected_cash(float_, taken, change, cash_in, cash_out) == (
        float_ + taken - change - cash_out + cash_in)


@given(st.dictionaries(st.sampled_from(closures.DENOMINATIONS), st.integers(0, 500)))
def test_counted_from_detail(detail):
    total, normal = closures.counted_from_detail({str(k): n for k, n in detail.items()})
    assert total == sum(k * n for k, n in detail.items())
    assert normal == {str(k): n for k, n in sorted(detail.items(), reverse=True) if n}


@pytest.mark.parametrize("detail", [{"3": 1}, {"abc": 1}, {"2000": -1}, {"2000": 1.5}, {"2000": True}])
def test_counted_detail_refuses_nonsense(detail):
    with pytest.raises(ClosureError):
        closures.counted_from_detail(detail)


def test_net_payments_take_the_change_from_cash():
    rows = [(1, 1640, "card", "Carte", 200, False), (1, 1640, "cash", "Espèces", 2000, True),
            (2, 0, "cash", "Espèces", -350, True),  # a refund paid in cash
            (3, 500, "cash", "Espèces", 300, True), (3, 500, "cash", "Espèces", 1000, True)]
    payments, taken = closures.net_payments(rows, {"cash": (1, "Espèces"), "card": (2, "Carte")})
    assert taken == 2950
    assert payments == [{"method_code": "cash", "method_name": "Espèces", "amount": 360 - 350 + 800, "count": 4},
                        {"method_code": "card", "method_name": "Carte", "amount": 200, "count": 1}]


# ---------------------------------------------------------------- a Z
def test_a_day_z(manager):
    closures.cash_movement(MANAGER, "float", 15000, "")
    a = sell(manager, ref("Croissant"), ref("Croissant"), method="cash", amount=2000)  # 2.40, change 17.60
    manager.scan(ref("Vin rouge Côtes-du-Rhône"))
    manager.set_ticket_discount(Discount("amount", 90))
    manager.add_payment("card")
    b = manager.validate()  # 7.90 - 0.90 = 7.00 at 20 %
    r = refund(manager, a.number, method="cash")  # -2.40 in cash
    closures.cash_movement(MANAGER, "in", 1000, "change from the bank")
    closures.cash_movement(MANAGER, "out", 500, "window cleaner")
    seq_before, hash_before = journal.last_record()
    z = closures.close(MANAGER, "day", counted_detail={"10000": 1, "5000": 1, "1000": 1, "200": 1})
    assert list(z) == list(closures.CLOSURE_KEYS)
    assert (z["kind"], z["number"], z["till"], z["user_name"]) == ("day", 1, "Caisse 1", "Claire")
    assert (z["first_ticket"], z["last_ticket"], z["ticket_count"]) == (a.number, r.number, 3)
    assert z["total"] == 240 + 700 - 240 == z["perpetual_total"]
    d = z["data"]
    assert d["sales"] == {"count": 2, "total": 940} and d["refunds"] == {"count": 1, "total": -240}
    assert d["discounts"] == 90 and d["training"] == {"count": 0, "total": 0} and d["closures"] == []
    assert d["vat"] == [{"vat_bp": 2000, "excl": 583, "vat": 117, "total": 700},
                        {"vat_bp": 550, "excl": 0, "vat": 0, "total": 0}]
    assert [(p["method_code"], p["amount"], p["count"]) for p in d["payments"]] == [("cash", 0, 2), ("card", 700, 1)]
    cash = d["cash"]
    assert (cash["float"], cash["cash_in"], cash["cash_out"], cash["cash_taken"], cash["change_given"]) == (
        15000, 1000, 500, 2000 - 240, 1760)
    assert cash["expected"] == 15000 + 1760 - 1760 - 500 + 1000 == 15500
    assert cash["counted"] == 16200 and cash["difference"] == 700
    assert cash["counted_detail"] == {"10000": 1, "5000": 1, "1000": 1, "200": 1}
    assert [(m["kind"], m["amount"], m["reason"]) for m in cash["movements"]] == [
        ("float", 15000, ""), ("in", 1000, "change from the bank"), ("out", 500, "window cleaner")]
    # the journal: the closure is the record after the last one, and the row matches it
    assert (d["last_seq"], d["last_hash"]) == (seq_before, hash_before) == (z["journal_seq"] - 1, z["last_hash"])
    row = next(r for r in journal.journal_rows() if r[0] == z["journal_seq"])
    assert (row[2], row[3], row[5]) == ("closure", "day-1", hash_before)
    payload = json.loads(row[4])
    assert payload["data"] == d and (payload["total"], payload["perpetual_total"]) == (700, 700)
    assert closures.get_closure("day", 1) == z
    assert journal.read_head()[:2] == journal.last_record()
    assert journal.verify().ok
    # nothing left: the next Z is refused; a new sale makes Z 2, whose perpetual total follows
    with pytest.raises(ClosureError, match="nothing to close"):
        closures.close(MANAGER, "day")
    sell(manager, ref("Croissant"))
    z2 = closures.close(MANAGER, "day")
    assert (z2["number"], z2["first_ticket"], z2["last_ticket"], z2["total"], z2["perpetual_total"]) == (
        2, b.number + 2, b.number + 2, 120, 820)
    assert z2["period_start"] == z["period_end"]
    assert z2["data"]["cash"]["movements"] == [] and z2["data"]["cash"]["float"] == 0
    assert z2["data"]["cash"]["counted"] is None and z2["data"]["cash"]["difference"] is None


def test_a_closure_is_immutable_and_tampering_shows(manager, shop):
    sell(manager, ref("Croissant"))
    closures.close(MANAGER, "day")
    c = Closure.get()
    with pytest.raises(ImmutableError):
        c.save()
    with pytest.raises(ImmutableError):
        c.delete_instance()
    with pytest.raises(Exception, match="immutable"):
        shop.execute_sql("UPDATE closure SET total = 1")
    conn = sqlite3.connect(shop.database)
    conn.execute("DROP TRIGGER closure_no_update")
    conn.execute("UPDATE closure SET data = replace(data, '\"discounts\":0', '\"discounts\":1')")
    conn.commit()
    conn.close()
    verdict = journal.verify()
    assert not verdict.ok and "closure day 1" in verdict.message


@pytest.mark.parametrize("column,value", [("user_name", "'Mallory'"), ("ticket_count", "99"),
                                          ("period_end", "'2030-01-01T00:00:00+01:00'"), ("till", "'Caisse 9'")])
def test_every_column_of_a_closure_is_protected(manager, shop, column, value):
    sell(manager, ref("Croissant"))
    closures.close(MANAGER, "day")
    assert journal.verify().ok
    conn = sqlite3.connect(shop.database)
    conn.execute("DROP TRIGGER closure_no_update")
    conn.execute(f"UPDATE closure SET {column} = {value}")
    conn.commit()
    conn.close()
    verdict = journal.verify()
    assert not verdict.ok and "closure day 1 differs" in verdict.message


def test_the_x_report_stores_nothing(manager):
    sell(manager, ref("Croissant"), method="cash", amount=500)
    n = journal.count()
    x = closures.x_report(MANAGER, counted=1000)
    assert list(x) == list(closures.CLOSURE_KEYS)
    assert (x["kind"], x["number"], x["total"], x["journal_seq"]) == ("x", 0, 120, n)
    assert x["data"]["cash"]["expected"] == 120 and x["data"]["cash"]["difference"] == 880
    assert journal.count() == n and closures.closures() == []
    z = closures.close(MANAGER, "day")
    assert {k: z[k] for k in ("first_ticket", "last_ticket", "total")} == {
        k: x[k] for k in ("first_ticket", "last_ticket", "total")}
    assert closures.x_report(MANAGER)["first_ticket"] is None  # an empty X is fine


def test_counted_checks(manager):
    sell(manager, ref("Croissant"))
    with pytest.raises(ClosureError, match="differs"):
        closures.close(MANAGER, "day", counted=100, counted_detail={"200": 1})
    with pytest.raises(ClosureError, match="negative"):
        closures.close(MANAGER, "day", counted=-1)
    with pytest.raises(ClosureError, match="denomination"):
        closures.close(MANAGER, "day", counted_detail={"300": 1})
    with pytest.raises(ClosureError, match="unknown closure kind"):
        closures.close(MANAGER, "week")
    assert closures.closures() == []
    assert closures.close(MANAGER, "day", counted=200, counted_detail={"200": 1})["data"]["cash"]["counted"] == 200


def test_month_and_year(manager):
    with pytest.raises(ClosureError, match="nothing to close"):
        closures.close(MANAGER, "month")
    sell(manager, ref("Croissant"))
    with pytest.raises(ClosureError, match="1 ticket is not in a daily closure"):
        closures.close(MANAGER, "month")
    z1 = closures.close(MANAGER, "day", counted=100)
    sell(manager, ref("Croissant"), method="cash", amount=200)
    closures.cash_movement(MANAGER, "float", 5000, "")
    z2 = closures.close(MANAGER, "day")
    with pytest.raises(ClosureError, match="the cash is counted on the daily closure"):
        closures.close(MANAGER, "month", counted=100)
    with pytest.raises(ClosureError, match="2 daily closures are not in a monthly closure"):
        closures.close(MANAGER, "year")
    m1 = closures.close(MANAGER, "month")
    assert (m1["kind"], m1["number"], m1["data"]["closures"]) == ("month", 1, [1, 2])
    assert (m1["first_ticket"], m1["last_ticket"], m1["ticket_count"], m1["total"], m1["perpetual_total"]) == (
        1, 2, 2, 240, 240)
    assert m1["period_start"] == z1["period_start"] and m1["data"]["sales"] == {"count": 2, "total": 240}
    assert m1["data"]["payments"] == [{"method_code": "cash", "method_name": "Espèces", "amount": 120, "count": 1},
                                      {"method_code": "card", "method_name": "Carte bancaire", "amount": 120,
                                       "count": 1}]
    cash = m1["data"]["cash"]
    assert cash["expected"] == z1["data"]["cash"]["expected"] + z2["data"]["cash"]["expected"] == 0 + 5120
    assert (cash["counted"], cash["difference"]) == (100, 100)  # only Z 1 was counted
    with pytest.raises(ClosureError, match="nothing to close"):
        closures.close(MANAGER, "month")
    sell(manager, ref("Croissant"))
    closures.close(MANAGER, "day")
    m2 = closures.close(MANAGER, "month")
    assert m2["data"]["closures"] == [3] and m2["period_start"] == m1["period_end"]
    y1 = closures.close(MANAGER, "year")
    assert (y1["data"]["closures"], y1["total"], y1["perpetual_total"], y1["ticket_count"]) == ([1, 2], 360, 360, 3)
    assert [(c["kind"], c["number"]) for c in closures.closures()] == [
        ("day", 1), ("day", 2), ("month", 1), ("day", 3), ("month", 2), ("year", 1)]
    assert journal.verify().ok


# ---------------------------------------------------------------- cash movements
def test_cash_movements(manager):
    for kind, amount, reason, message in [
            ("in", 100, "", "reason is required"), ("out", 100, "   ", "reason is required"),
            ("in", 0, "x", "positive"), ("out", -5, "x", "positive"), ("float", -1, "", "positive"),
            ("gift", 100, "x", "unknown cash movement"), ("in", 1.5, "x", "integer")]:
        with pytest.raises(ClosureError, match=message):
            closures.cash_movement(MANAGER, kind, amount, reason)
    assert closures.pending_movements(MANAGER) == []
    m = closures.cash_movement(MANAGER, "out", 2000, " bank deposit ")
    assert (m["kind"], m["amount"], m["reason"], m["user_name"]) == ("out", 2000, "bank deposit", "Claire")
    closures.cash_movement(MANAGER, "float", 0, "")
    ev = events.events("cash_out")[-1]
    assert ev["data"] == {"movement": m["id"], "amount": 2000, "reason": "bank deposit"}
    rec = [r for r in journal.journal_rows() if r[2] == "event" and r[3] == "cash_out"]
    assert len(rec) == 1 and json.loads(rec[0][4])["data"]["reason"] == "bank deposit"
    assert journal.read_head()[:2] == journal.last_record()
    z = closures.close(MANAGER, "day")  # movements alone make a Z
    assert z["ticket_count"] == 0 and z["first_ticket"] is None and z["data"]["cash"]["expected"] == -2000
    assert z["data"]["cash"]["last_movement_id"] == m["id"] + 1
    assert closures.pending_movements(MANAGER) == []
    closures.cash_movement(MANAGER, "in", 300, "coins")
    assert [p["amount"] for p in closures.pending_movements(MANAGER)] == [300]
    assert closures.close(MANAGER, "day")["data"]["cash"]["cash_in"] == 300


# ---------------------------------------------------------------- training mode
def test_training_mode(shop):
    till = Till(printer=VirtualPrinter(), drawer=VirtualDrawer())
    till.login(users.find_user("Marie").id, "1234")
    real = sell(till, ref("Croissant"))
    with pytest.raises(NeedsManager):
        till.set_training(True)
    till.authorize(MANAGER_PIN, "training")
    till.scan(ref("Croissant"))
    with pytest.raises(TillError, match="basket"):
        till.set_training(True)  # not with a basket in progress
    till.remove_line(0)
    till.set_training(True)
    assert till.training and events.events("training_mode")[-1]["data"] == {"on": True}
    t1 = sell(till, ref("Croissant"), ref("Croissant"), method="cash", amount=500)
    assert t1.number == real.number + 1  # numbered with the others
    assert closures.is_training_ticket(t1.number) and not closures.is_training_ticket(real.number)
    payload = json.loads(journal.ticket_payload(t1.id))
    assert payload["training"] is True  # journaled, and marked there
    with pytest.raises(TillError, match="only training tickets"):
        till.start_refund(real.number)
    till.scan(ref("Croissant"))
    with pytest.raises(TillError, match="training mode"):
        till.park()
    till.persist()
    assert baskets.load_current_basket(till.user.id) is None  # a training basket is never saved
    till.remove_line(0)
    till.authorize(MANAGER_PIN, "refund")
    tr = refund(till, t1.number)
    till.set_training(False)
    assert events.events("training_mode")[-1]["data"] == {"on": False}
    with pytest.raises(TillError, match="in training mode only"):
        till.start_refund(t1.number)
    real2 = sell(till, ref("Croissant"))
    z = closures.close(MANAGER, "day")
    assert (z["first_ticket"], z["last_ticket"]) == (real.number, real2.number)  # every ticket is in the Z
    assert z["ticket_count"] == 2 and z["total"] == 240 == z["perpetual_total"]
    assert z["data"]["training"] == {"count": 2, "total": t1.total + tr.total} == {"count": 2, "total": 0}
    assert z["data"]["sales"] == {"count": 2, "total": 240}
    assert z["data"]["cash"]["cash_taken"] == 0 and z["data"]["cash"]["change_given"] == 0
    assert sum(v["total"] for v in z["data"]["vat"]) == 240
    with pytest.raises(NeedsManager):
        till.set_training(True)  # the authorisation was for one time
    assert not till.training
    assert journal.verify().ok
    till.close()


def test_training_ends_with_the_session(manager):
    manager.set_training(True)  # a manager needs no authorisation
    manager.logout()
    assert not manager.training
    assert [e["data"]["on"] for e in events.events("training_mode")] == [True, False]


# ---------------------------------------------------------------- properties
ARTICLES = ["Croissant", "Baguette tradition", "Vin rouge Côtes-du-Rhône", "Café moulu 250 g", "Ananas"]

sale_op = st.tuples(st.just("sale"), st.lists(st.tuples(st.sampled_from(ARTICLES), st.integers(1, 3)),
                                               min_size=1, max_size=3),
                    st.sampled_from(["card", "cash", "split"]), st.integers(0, 3000), st.sampled_from([0, 500, 3000]))
operation = st.one_of(
    sale_op, sale_op,
    st.tuples(st.just("refund"), st.integers(0, 100), st.sampled_from(["card", "cash"])),
    st.tuples(st.just("training"), st.booleans()),
    st.tuples(st.just("move"), st.sampled_from(["float", "in", "out"]), st.integers(1, 30000)),
    st.tuples(st.just("z"), st.one_of(st.none(), st.integers(0, 100000))),
    st.tuples(st.just("month")),
)


def run_day(till: Till, ops: list[tuple]) -> list[dict]:
    """Play the operations; returns the movements recorded (test side) per Z, in order."""
    pending: list[tuple[str, int]] = []
    per_z: list[list[tuple[str, int]]] = []
    for op in ops:
        if op[0] == "sale":
            for name, qty in op[1]:
                till.set_pending_qty(qty * 1000)
                till.scan(ref(name))
            if op[4]:
                till.set_ticket_discount(Discount("percent", op[4]))
            total = till.basket.total
            if op[2] == "card":
                till.add_payment("card")
            elif op[2] == "cash":
                till.add_payment("cash", total + op[3])
            else:
                till.add_payment("card", total // 2)
                till.add_payment("cash", total - total // 2 + op[3])
            till.validate()
        elif op[0] == "refund":
            candidates = [t for t in tickets_db.list_tickets(limit=10_000)
                          if t.kind == "sale" and closures.is_training_ticket(t.number) == till.training]
            if not candidates:
                continue
            try:
                till.start_refund(candidates[op[1] % len(candidates)].number)
            except TillError:  # already refunded
                continue
            till.add_payment(op[2])
            till.validate()
        elif op[0] == "training":
            till.set_training(op[1])
        elif op[0] == "move":
            closures.cash_movement(MANAGER, op[1], op[2], "r")
            pending.append((op[1], op[2]))
        elif op[0] == "z":
            try:
                closures.close(MANAGER, "day", counted=op[1])
            except ClosureError as exc:
                assert "nothing to close" in str(exc) and not pending
                continue
            per_z.append(pending)
            pending = []
        else:
            try:
                closures.close(MANAGER, "month")
            except ClosureError as exc:
                assert "not in a daily closure" in str(exc) or "nothing to close" in str(exc)
    try:
        closures.close(MANAGER, "day")
        per_z.append(pending)
    except ClosureError:
        assert not pending
    return per_z


def check_closures(per_z: list[list[tuple[str, int]]]) -> None:
    days = closures.closures("day")
    assert [z["number"] for z in days] == list(range(1, len(days) + 1))
    tickets = {n: tickets_db.get_ticket(n) for n in tickets_db.iter_ticket_numbers()}
    training = {n: closures.is_training_ticket(n) for n in tickets}
    # every ticket is in exactly one Z
    covered = Counter(n for z in days if z["first_ticket"] is not None
                      for n in range(z["first_ticket"], z["last_ticket"] + 1))
    assert covered == Counter(list(tickets))
    perpetual = 0
    assert len(per_z) == len(days)
    for z, moves in zip(days, per_z):
        mine = [tickets[n] for n in range(z["first_ticket"] or 1, (z["last_ticket"] or 0) + 1)]
        fiscal = [t for t in mine if not training[t.number]]
        d = z["data"]
        # each Z is the sum of its tickets
        assert z["total"] == sum(t.total for t in fiscal)
        assert z["ticket_count"] == len(fiscal)
        assert d["training"] == {"count": len(mine) - len(fiscal),
                                 "total": sum(t.total for t in mine if training[t.number])}
        assert d["sales"]["total"] + d["refunds"]["total"] == z["total"]
        vat: Counter = Counter()
        for t in fiscal:
            for v in t.vat:
                vat[v["vat_bp"]] += v["total"]
        assert {v["vat_bp"]: v["total"] for v in d["vat"]} == dict(vat)
        assert all(v["excl"] + v["vat"] == v["total"] for v in d["vat"])
        assert sum(p["amount"] for p in d["payments"]) == z["total"]
        perpetual += z["total"]
        assert z["perpetual_total"] == perpetual
        # the expected cash follows the formula, from the tickets and the movements themselves
        taken = sum(p["amount"] for t in fiscal for p in t.payments if p["method_code"] == "cash")
        change = sum(t.change for t in fiscal)
        floats = [a for k, a in moves if k == "float"]
        cash_in = sum(a for k, a in moves if k == "in")
        cash_out = sum(a for k, a in moves if k == "out")
        cash = d["cash"]
        assert (cash["cash_taken"], cash["change_given"], cash["cash_in"], cash["cash_out"]) == (
            taken, change, cash_in, cash_out)
        assert cash["float"] == (floats[-1] if floats else 0)
        assert cash["expected"] == cash["float"] + taken - change - cash_out + cash_in
        assert cash["difference"] == (None if cash["counted"] is None else cash["counted"] - cash["expected"])
        cash_method = next((p for p in d["payments"] if p["method_code"] == "cash"), None)
        assert (cash_method["amount"] if cash_method else 0) == taken - change
    # the perpetual total is the sum of every non-training ticket
    assert perpetual == sum(t.total for n, t in tickets.items() if not training[n])
    # each month is the sum of its Zs, and every Z is in at most one month (in order)
    months = closures.closures("month")
    included = [n for m in months for n in m["data"]["closures"]]
    assert included == list(range(1, len(included) + 1))
    for m in months:
        mine = [days[n - 1] for n in m["data"]["closures"]]
        assert m["total"] == sum(z["total"] for z in mine) and m["ticket_count"] == sum(z["ticket_count"]
                                                                                       for z in mine)
        assert m["perpetual_total"] == mine[-1]["perpetual_total"]
        assert m["data"]["cash"]["expected"] == sum(z["data"]["cash"]["expected"] for z in mine)
    verdict = journal.verify()
    assert verdict.ok, verdict.message


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=25))
def test_closures_add_up(demo_template, ops):
    with tempfile.TemporaryDirectory() as tmp:
        open_database(copy_database(demo_template, Path(tmp) / "pos.sqlite3"))
        i18n.set_language("en")
        till = Till(printer=VirtualPrinter(), drawer=VirtualDrawer())
        try:
            till.login(users.find_user("Claire").id, MANAGER_PIN, log=False)
            per_z = run_day(till, ops)
            check_closures(per_z)
        finally:
            till.close()
            close_database()
