"""Credit notes and gift vouchers in the Z, the sales report and the A4 invoice: issued, redeemed,
cancelled and outstanding; a note is a liability, not a sale."""

from __future__ import annotations

import datetime as dt
import re

from helpers.actors import CASHIER, MANAGER
from pypdf import PdfReader

from pos.data import customers, shop, users
from pos.fiscal import closures, reports
from pos.sale.till import Till
from pos.sale.vouchers import add_voucher_payment, cancel_voucher


def text_of(path) -> str:
    return re.sub(r"[\s\u202f\xa0]+", " ", "\n".join(p.extract_text() for p in PdfReader(str(path)).pages))


def day_with_notes():
    """20.00 sold by card and refunded by credit note AV1 (20.00); 15.00 of it spent on an 18.00 sale;
    a 3.00 note AV2 issued then cancelled."""
    till = Till()
    till.login(users.find_user("Claire").id, "9999", log=False)
    dept = next(d.id for d in shop.departments() if d.vat_bp == 2000)
    till.add_misc(2000, dept)
    till.add_payment("card")
    sale = till.validate()
    till.start_refund(sale.number)
    till.add_payment("voucher")
    refund = till.validate()
    till.add_misc(1800, dept)
    add_voucher_payment(till, "AV00000001", 1500)
    till.add_payment("cash")
    spent = till.validate()
    till.add_misc(300, dept)
    till.add_payment("card")
    small = till.validate()
    till.start_refund(small.number)
    till.add_payment("voucher")
    till.validate()
    cancel_voucher(MANAGER, "AV00000002", "issued by mistake")
    return refund, spent


def test_the_z_shows_notes_issued_redeemed_cancelled_and_outstanding(shop):
    day_with_notes()
    z = closures.close(MANAGER, "day")
    v = z["data"]["vouchers"]
    assert (v["issued_count"], v["issued"], v["redeemed_count"], v["redeemed"]) == (2, 2300, 1, 1500)
    assert (v["cancelled_count"], v["cancelled"], v["outstanding_count"], v["outstanding"]) == (1, 300, 1, 500)
    # the note is not a sale: the Z's sales are the goods (20 + 18 + 3), its refunds the goods given back
    assert z["data"]["sales"]["total"] == 4100 and z["data"]["refunds"]["total"] == -2300
    text = "\n".join(reports.closure_lines(z, 48, "en"))
    assert "CREDIT NOTES AND GIFT VOUCHERS" in text
    assert re.search(r"Outstanding at the end\s+1\s+5\.00", text), text
    assert re.search(r"Redeemed\s+1\s+15\.00", text)
    month = closures.close(MANAGER, "month")
    assert month["data"]["vouchers"] == v  # one Z: the month is its sums, and its outstanding
    assert "CREDIT NOTES AND GIFT VOUCHERS" in "\n".join(reports.closure_lines(month, 48, "en"))
    from pos.fiscal import verify

    assert verify.verify().ok


def test_the_sales_report_and_its_pdf_show_the_notes(shop, tmp_path):
    day_with_notes()
    report = reports.day_report(MANAGER, dt.date.today().isoformat())
    assert report["vouchers"]["outstanding"] == 500 and report["vouchers"]["redeemed"] == 1500
    lines = "\n".join(reports.sales_lines(report, 48, "en"))
    assert "CREDIT NOTES AND GIFT VOUCHERS" in lines and re.search(r"Outstanding at the end\s+1\s+5\.00", lines)
    text = text_of(reports.sales_pdf(report, tmp_path / "r.pdf", "en"))
    assert "Credit notes and gift vouchers" in text and "Outstanding at the end 1 5.00" in text


def test_the_invoice_shows_the_note_issued_and_the_note_spent(shop, tmp_path):
    refund, spent = day_with_notes()
    customer = customers.save_customer({"name": "Dupont SARL", "address": "3 rue des Lilas", "postcode": "69002",
                                        "city": "Lyon"})
    text = text_of(reports.invoice_pdf(CASHIER, refund.number, customer, tmp_path / "a.pdf"))
    assert "Credit note AV00000001" in text and "issued: 20.00" in text
    text = text_of(reports.invoice_pdf(CASHIER, spent.number, customer, tmp_path / "b.pdf"))
    assert "used: 15.00, 5.00 left" in text
    # the reports group the payments by method: one row for the method, whichever notes were spent
    report = reports.day_report(MANAGER, dt.date.today().isoformat(), by="payment")
    assert [r["method_name"] for r in report["rows"] if r["method_code"] == "voucher"] == ["Avoir / bon d'achat"]
