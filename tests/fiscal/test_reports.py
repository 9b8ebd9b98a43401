"""Reports: sales aggregates checked against the tickets the till really wrote, the
closure text for the receipt printer, and the PDFs (closures, sales, the A4 invoice)
read back with pypdf."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from helpers.actors import CASHIER, MANAGER, manager
from helpers.cli import acting, cli_env
from helpers.escpos_decoder import decode
from helpers.virtual_printer import VirtualNetworkPrinter
from pypdf import PdfReader

from pos.cli import reports as cli_reports
from pos.core.money import format_amount
from pos.data import catalog, config, customers, users
from pos.data import reports as data
from pos.data import tickets as tickets_db
from pos.data.db import close_database, open_database
from pos.data.models import Closure
from pos.fiscal import reports
from pos.hardware import VirtualDrawer, VirtualPrinter
from pos.hardware.escpos_render import render_text
from pos.hardware.printer import EscposPrinter
from pos.sale.basket import Basket, Discount, Line, Payment
from pos.sale.draft import ticket_draft
from pos.sale.till import Till

MANAGER_PIN = "9999"
HASH = "3f7a9c0e5b1d2468ace13579bdf02468ace13579bdf02468ace13579bdf0abcd"
DAY1, DAY2, DAY3 = "2024-05-03", "2024-05-04", "2024-06-01"



class Clock:
    def __init__(self) -> None:
        self.now = f"{DAY1}T09:00:00+02:00"

    def __call__(self) -> str:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def till(shop, clock):
    t = Till(printer=VirtualPrinter(), drawer=VirtualDrawer(), clock=clock)
    t.login(users.find_user("Marie").id, "1234")
    yield t
    t.close()


def text_of(path: Path) -> str:
    """The text of every page, spaces normalised (narrow no-break spaces and line breaks
    are one space: a table row reads "label value value")."""
    text = "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)
    return re.sub(r"[\s\u202f\xa0]+", " ", text)


def sell(till: Till, clock: Clock, at: str, items: list[tuple[str, int]], pays: list[tuple[str, int | None]],
         line_discount: Discount | None = None, ticket_discount: Discount | None = None):
    clock.now = at
    for code, qty in items:
        till.set_pending_qty(qty)
        till.scan(code)
    if line_discount:
        till.set_line_discount(0, line_discount)
    if ticket_discount:
        till.set_ticket_discount(ticket_discount)
    for method, amount in pays:
        till.add_payment(method, amount)
    return till.validate()


def training_ticket(at: str) -> int:
    """A training ticket (the till's training mode is another module): one croissant."""
    croissant = catalog.find_article_by_code("D010003")
    user = users.find_user("Marie")
    basket = Basket(lines=[Line(croissant.name, croissant.price, 1000, croissant.vat_bp, article_id=croissant.id,
                                reference=croissant.reference, department=croissant.department)],
                    payments=[Payment("card", "Carte bancaire", croissant.price)])
    return tickets_db.record_ticket(ticket_draft(basket, basket.totals(), user_id=user.id, user_name=user.name,
                                                 created_at=at, training=True))


@pytest.fixture
def sales(till, clock):
    """Tickets on 3 and 4 May (two cashiers, cash with change, split payments, discounts,
    a refund, a training ticket) and one on 1 June, outside May's first days."""
    tickets = []
    tickets.append(sell(till, clock, f"{DAY1}T09:15:00+02:00", [("D010003", 2000), ("D050103", 1000)],
                        [("cash", 5000)], line_discount=Discount("percent", 1000)))
    tickets.append(sell(till, clock, f"{DAY1}T09:40:00+02:00", [("D020044", 1000), ("D010013", 3000)],
                        [("card", 300), ("cash", None)]))
    tickets.append(sell(till, clock, f"{DAY1}T17:05:30+02:00", [("D010003", 1000), ("D030053", 452)],
                        [("card", None)], ticket_discount=Discount("amount", 50)))
    clock.now = f"{DAY1}T18:00:00+02:00"
    till.authorize(MANAGER_PIN, "refund")
    till.start_refund(tickets[1].number)
    till.add_payment("cash")
    tickets.append(till.validate())
    till.logout()
    till.login(users.find_user("Claire").id, MANAGER_PIN)
    tickets.append(sell(till, clock, f"{DAY2}T10:00:00+02:00", [("D050103", 2000)], [("cheque", None)]))
    tickets.append(sell(till, clock, f"{DAY2}T23:59:59+02:00", [("D010003", 1000)], [("cash", 200)]))
    training = training_ticket(f"{DAY2}T12:00:00+02:00")
    later = sell(till, clock, f"{DAY3}T00:00:00+02:00", [("D010003", 1000)], [("card", None)])
    return {"tickets": [tickets_db.get_ticket(t.number) for t in tickets], "training": tickets_db.get_ticket(training),
            "later": later}


# ---------------------------------------------------------------- sales aggregates
def expected(tickets):
    """The groupings computed ticket by ticket, in Python (what SQL must find)."""
    out = {k: defaultdict(lambda: defaultdict(int)) for k in data.GROUPINGS}
    for t in tickets:
        for key, by in ((t.created_at[:10], "day"), (t.user_name, "cashier"), (int(t.created_at[11:13]), "hour")):
            out[by][key]["tickets"] += 1
            out[by][key]["total"] += t.total
        for ln in t.lines:
            out["article"][ln["reference"]]["qty"] += ln["qty"]
            out["article"][ln["reference"]]["total"] += ln["total"]
            out["department"][ln["department"]]["total"] += ln["total"]
        for v in t.vat:
            for k in ("excl", "vat", "total"):
                out["vat"][v["vat_bp"]][k] += v[k]
        cash_seen = False
        for p in t.payments:
            amount = p["amount"]
            if p["method_code"] == "cash" and not cash_seen:
                amount -= t.change
                cash_seen = True
            out["payment"][p["method_code"]]["amount"] += amount
            out["payment"][p["method_code"]]["count"] += 1
    return out


def test_sales_report_sums_equal_the_tickets(sales):
    fiscal = sales["tickets"]
    total = sum(t.total for t in fiscal)
    want = expected(fiscal)
    start, end = dt.date(2024, 5, 3), dt.date(2024, 5, 5)
    r = reports.sales_report(MANAGER, start, end, "day")
    s = r["summary"]
    assert s["sales"] == {"count": 5, "total": sum(t.total for t in fiscal if t.kind == "sale")}
    assert s["refunds"] == {"count": 1, "total": -fiscal[1].total}
    assert s["count"] == 6 and s["total"] == total
    assert s["training"] == {"count": 1, "total": sales["training"].total}
    assert s["first_ticket"] == fiscal[0].number and s["last_ticket"] == fiscal[-1].number
    assert s["discounts"] == sum(t.discount_amount + sum(ln["discount_amount"] for ln in t.lines) for t in fiscal)
    assert s["discounts"] > 50  # the line discount and the 0.50 ticket discount
    assert s["excl"] + s["vat"] == total
    assert {row["day"]: (row["tickets"], row["total"]) for row in r["rows"]} == {
        k: (v["tickets"], v["total"]) for k, v in want["day"].items()}

    for by in ("article", "department", "cashier", "hour", "vat", "payment"):
        rows = reports.sales_report(MANAGER, start, end, by)["rows"]
        if by == "article":
            got = {row["reference"]: (row["qty"], row["total"]) for row in rows}
            assert got == {k: (v["qty"], v["total"]) for k, v in want["article"].items()}
        elif by == "department":
            assert {row["department"]: row["total"] for row in rows} == {
                k: v["total"] for k, v in want["department"].items()}
        elif by == "cashier":
            assert {row["cashier"]: (row["tickets"], row["total"]) for row in rows} == {
                k: (v["tickets"], v["total"]) for k, v in want["cashier"].items()}
            assert {row["cashier"] for row in rows} == {"Marie", "Claire"}
        elif by == "hour":
            assert {row["hour"]: (row["tickets"], row["total"]) for row in rows} == {
                k: (v["tickets"], v["total"]) for k, v in want["hour"].items()}
            assert [row["hour"] for row in rows] == sorted(row["hour"] for row in rows)
        elif by == "vat":
            assert {row["vat_bp"]: (row["excl"], row["vat"], row["total"]) for row in rows} == {
                k: (v["excl"], v["vat"], v["total"]) for k, v in want["vat"].items()}
            assert {2000, 550} <= {row["vat_bp"] for row in rows}
        else:
            assert {row["method_code"]: (row["count"], row["amount"]) for row in rows} == {
                k: (v["count"], v["amount"]) for k, v in want["payment"].items()}
            cash = next(row for row in rows if row["method_code"] == "cash")
            assert cash["change"] == sum(t.change for t in fiscal) > 0
            assert cash["tendered"] - cash["change"] == cash["amount"]
        assert sum(row["total"] if by != "payment" else row["amount"] for row in rows) == total, by


def test_the_sales_and_the_closures_are_a_managers_to_read(sales):
    from pos.core.permissions import Actor, NeedsManager
    from pos.fiscal import closures

    may = (dt.date(2024, 5, 1), dt.date(2024, 6, 1))
    reads = [lambda who: reports.sales_report(who, *may), lambda who: reports.day_report(who, DAY1),
             lambda who: reports.period_report(who, "2024-05"), lambda who: reports.stored_closures(who, "day"),
             lambda who: reports.closures_made_on(who, may[0]),
             lambda who: reports.closures_of_period(who, "month", *may),
             lambda who: closures.read_closures(who)]
    for read in reads:
        with pytest.raises(NeedsManager, match="view the sales reports"):
            read(CASHIER)
        read(MANAGER)
        read(Actor(None, "Marie", "cashier", authorised="reports", authorised_by="Claire"))  # a manager's PIN
    assert reports.sales_report(MANAGER, *may)["summary"]["count"] == 6


def test_periods_are_local_days_and_exclude_the_end(sales):
    first_day = reports.day_report(MANAGER, DAY1)
    assert first_day["summary"]["count"] == 4  # 3 sales and the refund; not 4 May
    second = reports.day_report(MANAGER, dt.date(2024, 5, 4))
    assert second["summary"]["count"] == 2  # 23:59:59 included; the training ticket apart
    assert second["summary"]["training"]["count"] == 1
    may = reports.period_report(MANAGER, "2024-05")
    assert may["summary"]["count"] == 6 and may["end"] == "2024-06-01"
    june = reports.period_report(MANAGER, "2024-06")
    assert june["summary"]["count"] == 1 and june["summary"]["first_ticket"] == sales["later"].number
    year = reports.period_report(MANAGER, "2024")
    assert year["summary"]["count"] == 7 and (year["start"], year["end"]) == ("2024-01-01", "2025-01-01")
    assert reports.period_report(MANAGER, "2023")["summary"]["count"] == 0
    assert reports.period_report(MANAGER, "2023")["rows"] == []


@pytest.mark.parametrize("bad", ["2024-13", "24-05", "2024-5", "may", "", "2024-00"])
def test_bad_periods_are_refused(shop, bad):
    with pytest.raises(reports.ReportError, match="bad period"):
        reports.month_period(bad)


def test_bad_dates_and_groupings_are_refused(shop):
    for bad in ("2024-02-30", "03/05/2024", "2024-5-3"):
        with pytest.raises(reports.ReportError, match="bad date"):
            reports.parse_date(bad)
    with pytest.raises(reports.ReportError, match="unknown grouping"):
        reports.sales_report(MANAGER, dt.date(2024, 5, 1), dt.date(2024, 6, 1), "colour")
    with pytest.raises(ValueError):
        data.summary("2024-05-01'; DROP TABLE ticket; --", "2024-06-01")


def test_sales_queries_use_the_date_index(shop):
    plan = shop.execute_sql(
        'EXPLAIN QUERY PLAN SELECT COUNT(*) FROM "ticket" t JOIN "ticket_line" tl ON tl."ticket_id" = t."id" '
        'WHERE t."created_at" >= ? AND t."created_at" < ? AND t."training" = 0', ("2024-05-01", "2024-06-01"))
    details = " ".join(row[-1] for row in plan.fetchall())
    assert "ticket_created_at" in details and "ticket_line_ticket_id" in details


def test_sales_lines_and_pdf(sales, tmp_path):
    report = reports.sales_report(MANAGER, dt.date(2024, 5, 3), dt.date(2024, 5, 5), "article")
    total = report["summary"]["total"]
    for columns in (48, 32):
        lines = reports.sales_lines(report, columns, "en")
        assert all(len(line) <= columns for line in lines), [x for x in lines if len(x) > columns]
    lines = reports.sales_lines(report, 48, "en")
    assert "Épicerie du Marché" in lines[0]
    assert any(line.startswith("Total incl. VAT") and line.endswith(format_amount(total, "en")) for line in lines)
    assert any("Croissant" in line for line in lines)
    path = reports.sales_pdf(report, tmp_path / "sales.pdf")
    text = text_of(path)
    assert "Sales report" in text and "Sales by article" in text
    assert "2024-05-03 – 2024-05-04" in text
    assert format_amount(total, "en") in text
    assert "20%" in text and "5.5%" in text
    for row in report["rows"]:
        assert row["name"] in text
    assert "Training (not included)" in text
    assert not list(tmp_path.glob(".*.tmp"))


def test_sales_pdf_in_french(sales, tmp_path):
    report = reports.sales_report(MANAGER, dt.date(2024, 5, 1), dt.date(2024, 6, 1), "payment")
    path = reports.sales_pdf(report, tmp_path / "ventes.pdf", lang="fr")
    text = text_of(path)
    cash = next(p for p in report["payments"] if p["method_code"] == "cash")
    assert format_amount(cash["amount"], "fr", currency=False).replace("\u202f", " ") in text
    assert "Espèces" in text and "Chèque" in text
    assert "20 %" in text and "5,5 %" in text
    assert "01/05/2024 – 31/05/2024" in text


# ---------------------------------------------------------------- closures
def sample_closure(kind: str = "day", **over) -> dict:
    closure = {
        "kind": kind, "number": 3, "till": "Caisse 1", "created_at": "2024-05-03T20:05:00+02:00",
        "user_name": "Claire", "period_start": "2024-05-03T08:00:00+02:00",
        "period_end": "2024-05-03T20:05:00+02:00", "first_ticket": 101, "last_ticket": 142, "ticket_count": 42,
        "total": 123456, "perpetual_total": 98765432, "journal_seq": 812, "last_hash": HASH,
        "data": {
            "vat": [{"vat_bp": 2000, "excl": 50000, "vat": 10000, "total": 60000},
                    {"vat_bp": 550, "excl": 60148, "vat": 3308, "total": 63456}],
            "payments": [{"method_code": "cash", "method_name": "Espèces", "amount": 23456, "count": 30},
                         {"method_code": "card", "method_name": "Carte bancaire", "amount": 100000, "count": 12}],
            "sales": {"count": 40, "total": 125456}, "refunds": {"count": 2, "total": -2000}, "discounts": 750,
            "training": {"count": 3, "total": 990},
            "cash": {"float": 15000, "cash_in": 2000, "cash_out": 5000, "cash_taken": 23456, "change_given": 4321,
                     "expected": 35456, "counted": 35356, "counted_detail": {"5000": 2, "2000": 10, "1000": 5,
                                                                            "50": 7, "1": 6},
                     "difference": -100,
                     "movements": [{"at": "2024-05-03T08:00:00+02:00", "kind": "float", "amount": 15000,
                                    "reason": "", "user_name": "Claire"},
                                   {"at": "2024-05-03T15:30:00+02:00", "kind": "out", "amount": 5000,
                                    "reason": "Bank deposit", "user_name": "Claire"}]},
            "closures": [], "last_seq": 812, "last_hash": HASH,
        },
    }
    closure.update(over)
    return closure


def test_closure_lines_of_a_z(shop):
    lines = reports.closure_lines(sample_closure(), 48, "en")
    text = "\n".join(lines)
    assert all(len(line) <= 48 for line in lines), [x for x in lines if len(x) > 48]
    assert lines[0].strip() == "Épicerie du Marché"
    assert "SIRET 81234567600017" in text
    assert "Z no. 3" in text
    assert any(line.startswith("Tickets") and line.endswith("101–142 (42)") for line in lines)
    assert any(line.startswith("20%") and line.split()[1:] == ["500.00", "100.00", "600.00"] for line in lines)
    assert any(line.startswith("5.5%") for line in lines)
    assert any(line.startswith("Espèces") and line.split()[-2:] == ["30", "234.56"] for line in lines)
    assert any(line.startswith("Refunds") and line.split()[-2:] == ["2", "-20.00"] for line in lines)
    assert any(line.startswith("Training (not included)") and line.split()[-2:] == ["3", "9.90"] for line in lines)
    assert any(line.startswith("€50.00") and line.split()[-2:] == ["2", "100.00"] for line in lines)
    assert any(line.startswith("€0.01") and line.split()[-2:] == ["6", "0.06"] for line in lines)
    assert any(line.startswith("Counted") and line.endswith("353.56") for line in lines)
    assert any(line.startswith("Difference") and line.endswith("-1.00") for line in lines)
    assert any("Cash out: Bank deposit (Claire)" in line and line.endswith("-50.00") for line in lines)
    assert any(line.startswith("Period total") and line.endswith("€1,234.56") for line in lines)
    assert any(line.startswith("Perpetual grand total") and line.endswith("€987,654.32") for line in lines)
    # the whole hash, wrapped
    i = lines.index("Journal hash")
    assert lines[i + 1] + lines[i + 2] == HASH and len(lines[i + 1]) == 48


def test_closure_lines_fit_58mm_paper(shop):
    lines = reports.closure_lines(sample_closure(), 32, "fr")
    assert all(len(line) <= 32 for line in lines), [x for x in lines if len(x) > 32]
    i = lines.index("Journal hash")
    assert "".join(lines[i + 1:i + 3]) == HASH
    assert any(line.endswith("987\u202f654,32\u202f€") for line in lines)
    assert any(line.startswith("20\u202f%") for line in lines)


@pytest.mark.parametrize(("kind", "title"), [("x", "X report"), ("month", "Monthly closure no. 3"),
                                             ("year", "Yearly closure no. 3"), ("day", "Z no. 3")])
def test_closure_titles(shop, kind, title):
    closure = sample_closure(kind)
    if kind != "day":
        closure["data"]["closures"] = [1, 2, 3, 5] if kind != "x" else []
    lines = reports.closure_lines(closure, 48, "en")
    assert title in [line.strip() for line in lines]
    if kind in ("month", "year"):
        assert any(line.startswith("Closures") and line.endswith("1–3, 5") for line in lines)
    if kind == "x":
        assert "Interim report: nothing is closed" in [line.strip() for line in lines]


def test_closure_without_cash_count(shop):
    closure = sample_closure()
    closure["data"]["cash"] = dict(closure["data"]["cash"], counted=None, difference=None, counted_detail={})
    lines = reports.closure_lines(closure, 48, "en")
    assert any(line.startswith("Counted") and line.endswith("not counted") for line in lines)
    assert not any(line.startswith("Difference") for line in lines)


def test_closure_pdf(shop, tmp_path):
    path = reports.closure_pdf(sample_closure(), tmp_path / "z3.pdf")
    text = text_of(path)
    assert "Z no. 3" in text and "Épicerie du Marché" in text
    assert HASH in text
    assert "€987,654.32" in text and "€1,234.56" in text
    assert "20%" in text and "5.5%" in text and "600.00" in text
    assert "Espèces" in text and "234.56" in text
    assert "101–142 (42)" in text
    assert "353.56" in text and "-1.00" in text
    # several closures: one page each
    path = reports.closure_pdf([sample_closure(), sample_closure(number=4)], tmp_path / "z.pdf")
    reader = PdfReader(str(path))
    assert len(reader.pages) >= 2
    assert "Z no. 4" in text_of(path)


def test_closure_pdf_in_french(shop, tmp_path):
    text = text_of(reports.closure_pdf(sample_closure("month"), tmp_path / "m.pdf", lang="fr"))
    assert "987 654,32 €" in text and "1 234,56 €" in text
    assert "03/05/2024 20:05" in text
    assert "20 %" in text and "5,5 %" in text


def test_pdf_is_written_atomically(shop, tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "z.pdf"
    target.write_bytes(b"old")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reports.os, "fsync", broken)
    with pytest.raises(OSError):
        reports.closure_pdf(sample_closure(), target)
    assert target.read_bytes() == b"old"
    assert list(target.parent.iterdir()) == [target]


# ---------------------------------------------------------------- the receipt printer
def test_report_on_the_receipt_printer(shop):
    lines = reports.closure_lines(sample_closure(), 48, "fr")
    decoded = decode(render_text(lines, columns=48))
    assert decoded.lines[: len(lines)] == [line.replace("\u202f", " ") for line in lines]
    assert "[cut]" in decoded.events
    with VirtualNetworkPrinter() as vp:
        printer = EscposPrinter(vp.url, columns=32)
        reports.print_report(printer, sample_closure())
        job = decode(vp.wait_job())
    assert "Z no. 3" in [x.strip() for x in job.lines]
    assert all(len(x) <= 32 for x in job.lines)
    assert HASH[:32] in job.lines and HASH[32:] in job.lines


# ---------------------------------------------------------------- the invoice
@pytest.fixture
def customer(shop) -> int:
    return customers.save_customer({"name": "Dupont & Fils SARL", "address": "3 rue des Lilas", "postcode": "69002",
                                    "city": "Lyon", "vat_number": "FR40303265045", "email": "compta@dupont.fr"})


def test_invoice_pdf(sales, customer, tmp_path):
    ticket = sales["tickets"][0]
    path = reports.invoice_pdf(CASHIER, ticket.number, customer, tmp_path / "f.pdf", issued=dt.date(2024, 5, 6))
    text = text_of(path)
    assert f"Invoice F-{ticket.number}" in text
    assert "Dupont & Fils SARL" in text and "3 rue des Lilas" in text and "69002 Lyon" in text
    assert "FR40303265045" in text
    assert "Épicerie du Marché" in text and "SIRET 81234567600017" in text and "FR19812345676" in text
    assert "Invoice date 2024-05-06" in text and "Date of sale 2024-05-03 09:15" in text
    for line in ticket.lines:
        assert line["name"] in text
        assert format_amount(line["unit_price"], "en", currency=False) in text
    assert format_amount(-ticket.lines[0]["discount_amount"], "en", currency=False) in text
    for v in ticket.vat:
        assert format_amount(v["excl"], "en", currency=False) in text
        assert format_amount(v["vat"], "en", currency=False) in text
    assert "20%" in text and "5.5%" in text
    assert f"Total incl. VAT {format_amount(ticket.total, 'en')}" in text
    assert "Espèces" in text and f"Change -{format_amount(ticket.change, 'en', currency=False)}" in text


def test_invoice_of_a_ticket_with_a_discount_and_a_credit_note(sales, customer, tmp_path):
    discounted = sales["tickets"][2]
    text = text_of(reports.invoice_pdf(CASHIER, discounted.number, customer, tmp_path / "d.pdf"))
    assert "Ticket discount -0.50" in text
    assert f"Subtotal {format_amount(discounted.subtotal, 'en', currency=False)}" in text
    refund = sales["tickets"][3]
    text = text_of(reports.invoice_pdf(CASHIER, refund.number, customer, tmp_path / "r.pdf", lang="fr"))
    assert f"Credit note F-{refund.number}" in text
    assert format_amount(refund.total, "fr").replace("\u202f", " ") in text


def test_invoice_refusals(sales, customer, tmp_path):
    target = tmp_path / "f.pdf"
    with pytest.raises(reports.ReportError, match="ticket 9999 does not exist"):
        reports.invoice_pdf(CASHIER, 9999, customer, target)
    with pytest.raises(reports.ReportError, match="customer 4242 does not exist"):
        reports.invoice_pdf(CASHIER, sales["tickets"][0].number, 4242, target)
    with pytest.raises(reports.ReportError, match="training"):
        reports.invoice_pdf(CASHIER, sales["training"].number, customer, target)
    assert not target.exists()


def test_invoice_keeps_the_ticket_customer(till, clock, customer, tmp_path):
    other = customers.save_customer({"name": "Martin"})
    till.set_customer(other)
    ticket = sell(till, clock, f"{DAY1}T11:00:00+02:00", [("D010003", 1000)], [("card", None)])
    with pytest.raises(reports.ReportError, match=f"belongs to customer {other}"):
        reports.invoice_pdf(CASHIER, ticket.number, customer, tmp_path / "f.pdf")
    assert "Martin" in text_of(reports.invoice_pdf(CASHIER, ticket.number, other, tmp_path / "f.pdf"))


# ---------------------------------------------------------------- the command line
def run(capsys, db: Path, *args: str) -> tuple[int, str, str]:
    with acting(args):  # as the demo manager (the X report needs the reports permission)
        code = cli_reports.main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db_file(sales, shop) -> Path:
    path = Path(shop.database)
    config.set_setting("ui.language", "en")
    return path


def one_line(code: int, out: str, err: str) -> str:
    assert code == 1, (out, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pos: ")
    return lines[0]


def test_cli_sales_report(capsys, db_file, tmp_path, sales):
    pdf = tmp_path / "may.pdf"
    code, out, err = run(capsys, db_file, "report", "sales", "--period", "2024-05", "--by", "cashier",
                         "--pdf", str(pdf))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[-1] == f"PDF written to {pdf}"
    assert all(len(x) <= 48 for x in lines[:-1])
    total = sum(t.total for t in sales["tickets"])
    assert any(x.startswith("Total incl. VAT") and x.endswith(format_amount(total, "en")) for x in lines)
    assert any(x.startswith("Claire") for x in lines) and any(x.startswith("Marie") for x in lines)
    text = text_of(pdf)
    assert "Sales by cashier" in text and "Claire" in text and format_amount(total, "en") in text

    code, out, err = run(capsys, db_file, "report", "sales", "--date", DAY2, "--by", "hour", "--pdf", str(pdf))
    assert code == 0, err
    assert any(x.startswith("23:00–00:00") for x in out.splitlines())
    code, out, err = run(capsys, db_file, "report", "sales", "--from", DAY1, "--to", DAY2, "--pdf", str(pdf))
    assert code == 0, err
    assert any(x.startswith("Net total") and x.split()[-2:] == ["6", format_amount(total, "en", False)]
               for x in out.splitlines())


@pytest.mark.parametrize(("args", "message"), [
    (["report", "sales", "--date", "2024-02-30"], "bad date '2024-02-30'"),
    (["report", "sales", "--period", "2024-13"], "bad period '2024-13'"),
    (["report", "sales", "--by", "colour"], "unknown --by 'colour'"),
    (["report", "weekly"], "unknown report 'weekly'"),
    (["report", "sales", "--date", DAY1, "--period", "2024-05"], "give one of --date, --period or --from/--to"),
    (["report", "sales", "--from", DAY2, "--to", DAY1], "--to is before --from"),
    (["report", "z", "--number", "abc"], "bad closure number 'abc'"),
    (["report", "z", "--number", "7"], "no z closure number 7"),
    (["report", "z", "--date", DAY3], "no z closure for 2024-06-01"),
    (["invoice", "9999", "--customer", "1"], "ticket 9999 does not exist"),
    (["invoice", "1", "--customer", "4242"], "customer 4242 does not exist"),
    (["invoice", "x1", "--customer", "1"], "bad ticket number 'x1'"),
])
def test_cli_refuses_bad_input_with_one_line(capsys, db_file, tmp_path, args, message):
    pdf = tmp_path / "out.pdf"
    code, out, err = run(capsys, db_file, *args, "--pdf", str(pdf))
    assert message in one_line(code, out, err)
    assert not pdf.exists()


def test_cli_refuses_a_missing_or_unwritable_pdf(capsys, db_file, tmp_path):
    assert "no output file: add --pdf FILE" in one_line(*run(capsys, db_file, "report", "sales"))
    assert "no customer: add --customer ID" in one_line(*run(capsys, db_file, "invoice", "1", "--pdf", "x.pdf"))
    missing = tmp_path / "nowhere" / "r.pdf"
    assert f"cannot write {missing}: no folder" in one_line(
        *run(capsys, db_file, "report", "sales", "--pdf", str(missing)))
    assert "it is a folder" in one_line(*run(capsys, db_file, "report", "sales", "--pdf", str(tmp_path)))
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert "permission denied" in one_line(
            *run(capsys, db_file, "report", "sales", "--pdf", str(locked / "r.pdf")))


def test_cli_z_reports_from_the_closure_table(capsys, db_file, tmp_path):
    for number, day in ((1, DAY1), (2, DAY2)):
        c = sample_closure(number=number, created_at=f"{day}T20:00:00+02:00",
                           period_start=f"{day}T08:00:00+02:00", period_end=f"{day}T20:00:00+02:00")
        Closure.create(**{k: v for k, v in c.items() if k != "data"}, data=json.dumps(c["data"]))
    pdf = tmp_path / "z.pdf"
    code, out, err = run(capsys, db_file, "report", "z", "--pdf", str(pdf))
    assert code == 0, err
    assert "Z no. 2" in out and "Z no. 1" not in out
    assert HASH[:48] in out.splitlines()
    code, out, err = run(capsys, db_file, "report", "z", "--date", DAY1, "--pdf", str(pdf))
    assert code == 0, err
    assert "Z no. 1" in out and "Z no. 2" not in out
    text = text_of(pdf)
    assert "Z no. 1" in text and HASH in text
    code, out, err = run(capsys, db_file, "report", "z", "--number", "2", "--pdf", str(pdf))
    assert code == 0 and "Z no. 2" in out
    assert "no month closure yet" in one_line(*run(capsys, db_file, "report", "month", "--pdf", str(pdf)))


def test_cli_x_report(capsys, db_file, tmp_path):
    pdf = tmp_path / "x.pdf"
    code, out, err = run(capsys, db_file, "report", "x", "--pdf", str(pdf))
    if importlib.util.find_spec("pos.fiscal.closures") is None:
        assert "closures are not available" in one_line(code, out, err)
        assert not pdf.exists()
    else:
        assert code == 0, err
        assert "X report" in out and "X report" in text_of(pdf)


def test_cli_invoice(capsys, db_file, customer, tmp_path, sales):
    pdf = tmp_path / "f.pdf"
    number = sales["tickets"][0].number
    code, out, err = run(capsys, db_file, "invoice", str(number), "--customer", str(customer), "--pdf", str(pdf))
    assert code == 0, err
    assert out == f"PDF written to {pdf}\n"
    assert f"Invoice F-{number}" in text_of(pdf)
    from pos.data import events

    assert events.events("invoice")[-1]["user_name"] == "Claire"  # journaled with who made it out


def test_cli_invoice_needs_someone_who_signs_in(capsys, db_file, customer, tmp_path, sales):
    """A customer's details on paper, journaled: nobody anonymous; a cashier may."""
    from pos.data import events

    pdf = tmp_path / "f.pdf"
    number = sales["tickets"][0].number
    args = ("invoice", str(number), "--customer", str(customer), "--pdf", str(pdf))
    with acting(args, env=cli_env(None)):
        code = cli_reports.main(["--db", str(db_file), *args])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "") and "who acts?" in err and not pdf.exists()
    assert events.events("invoice") == []
    code, out, err = run(capsys, db_file, *args, "--user", "Marie")
    assert code == 0, err
    assert [e["user_name"] for e in events.events("invoice")] == ["Marie"]


def test_cli_in_a_subprocess(db_file, tmp_path):
    close_database()  # the child process opens the file
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env.update(LANG="en_US.UTF-8", PYTHONIOENCODING="utf-8", POS_USER="Claire", POS_PIN=MANAGER_PIN)  # reports
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "pos", "--db", str(db_file), "report", "sales",
                           "--by", "nope", "--pdf", str(tmp_path / "r.pdf")], capture_output=True, text=True,
                          encoding="utf-8", env=env, cwd=root, timeout=60)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.splitlines() == ["pos: unknown --by 'nope': expected one of day, article, department, "
                                        "vat, payment, cashier, hour"]
    proc = subprocess.run([sys.executable, "-m", "pos", "--db", str(db_file), "report", "sales",
                           "--period", "2024-05", "--by", "vat", "--pdf", str(tmp_path / "r.pdf")],
                          capture_output=True, text=True, encoding="utf-8", env=env, cwd=root, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Sales by VAT rate" in text_of(tmp_path / "r.pdf")
    open_database(db_file)


def test_a_real_z_from_the_closures_module(capsys, db_file, tmp_path, sales):
    closures = pytest.importorskip("pos.fiscal.closures")
    z = closures.close(manager("Claire"), "day", counted_detail={"5000": 1, "200": 3})
    fiscal = sales["tickets"] + [sales["later"]]
    assert z["total"] == sum(t.total for t in fiscal)
    lines = reports.closure_lines(z, 48, "en")
    assert f"Z no. {z['number']}" in [x.strip() for x in lines]
    assert any(x.startswith("Perpetual grand total") and x.endswith(format_amount(z["perpetual_total"], "en"))
               for x in lines)
    i = lines.index("Journal hash")
    assert lines[i + 1] + lines[i + 2] == z["last_hash"]
    assert any(x.startswith("€50.00") and x.split()[-2:] == ["1", "50.00"] for x in lines)
    # the same Z, read back from the closure table by the command line
    pdf = tmp_path / "z.pdf"
    code, out, err = run(capsys, db_file, "report", "z", "--pdf", str(pdf))
    assert code == 0, err
    assert out.splitlines()[:-1] == lines
    text = text_of(pdf)
    assert z["last_hash"] in text and format_amount(z["perpetual_total"], "en") in text


def test_cli_month_and_year_closures_by_period(capsys, db_file, tmp_path):
    # May's closure, made on the morning of 1 June: May's, not June's
    rows = [("month", 1, "2024-04-30T20:00:00+02:00", "2024-06-01T08:30:00+02:00"),
            ("month", 2, "2024-06-01T08:30:00+02:00", "2024-06-30T20:00:00+02:00"),
            ("year", 1, "2024-01-01T08:00:00+01:00", "2024-12-31T19:00:00+01:00")]
    for kind, number, start, end in rows:
        c = sample_closure(kind, number=number, created_at=end, period_start=start, period_end=end)
        c["data"]["closures"] = [1, 2]
        Closure.create(**{k: v for k, v in c.items() if k != "data"}, data=json.dumps(c["data"]))
    pdf = tmp_path / "m.pdf"
    code, out, err = run(capsys, db_file, "report", "month", "--period", "2024-05", "--pdf", str(pdf))
    assert code == 0, err
    assert "Monthly closure no. 1" in out and "no. 2" not in out
    code, out, err = run(capsys, db_file, "report", "month", "--period", "2024-06", "--pdf", str(pdf))
    assert code == 0 and "Monthly closure no. 2" in out and "no. 1" not in out
    code, out, err = run(capsys, db_file, "report", "year", "--period", "2024", "--pdf", str(pdf))
    assert code == 0 and "Yearly closure no. 1" in out
    assert "Yearly closure no. 1" in text_of(pdf)
    assert "no month closure for 2024-04" in one_line(
        *run(capsys, db_file, "report", "month", "--period", "2024-04", "--pdf", str(pdf)))
    assert "chosen by --period or --number" in one_line(
        *run(capsys, db_file, "report", "month", "--date", DAY1, "--pdf", str(pdf)))
