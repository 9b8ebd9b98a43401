"""Credit notes and gift vouchers through the till: issued by a refund or a gift-voucher sale,
spent at payment (partly, never beyond the balance, even from two processes at once), refused
when expired, cancelled or unknown; every move journaled; returns without a ticket."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from helpers.actors import CASHIER, MANAGER

from pos.core import settings
from pos.core.errors import Refusal
from pos.core.permissions import NeedsManager
from pos.data import journal, shop
from pos.data import vouchers as vouchers_db
from pos.data.db import close_database, open_database
from pos.data.tickets import get_ticket, last_ticket_number
from pos.sale.receipt import render
from pos.sale.vouchers import (
    VoucherError,
    add_voucher_payment,
    cancel_voucher,
    set_gift_article,
    start_return,
)

MANAGER_PIN = "9999"


def _dept() -> int:
    return next(d.id for d in shop.departments() if d.vat_bp == 2000)


def issue_note(till, cents: int) -> str:
    """A refund of a Misc. sale of ``cents``, paid back by credit note: the note's code."""
    till.add_misc(cents, _dept())
    till.add_payment("card")
    sale = till.validate()
    till.authorize(MANAGER_PIN, "refund")
    till.start_refund(sale.number)
    till.add_payment("voucher")
    refund = till.validate()
    [note] = refund.vouchers
    assert (note["move"], note["amount"], note["balance"]) == ("issue", cents, cents)
    return note["code"]


def pay_with_note(till, code: str, amount: int | None, total: int, rest: str | None = "cash"):
    till.add_misc(total, _dept())
    add_voucher_payment(till, code, amount)
    if rest and till.basket.remaining:
        till.add_payment(rest)
    return till.validate()


def test_a_refund_paid_by_credit_note_issues_a_numbered_note_with_its_expiry(till):
    code = issue_note(till, 2000)
    assert code == "AV00000001"
    note = vouchers_db.get(1)
    assert (note.kind, note.amount, note.balance, note.status) == ("credit_note", 2000, 2000, "open")
    assert note.expires_on is not None and note.expires_on > note.issued_at[:10]  # one year by default
    refund = get_ticket(last_ticket_number())
    text = "\n".join(render(refund, settings.all_values(), width=48))
    lines = [line.strip() for line in text.splitlines()]
    i = lines.index("CREDIT NOTE")
    assert lines[i + 1] == "AV00000001" and f"Valid until {note.expires_on}" in lines
    assert re.fullmatch(r"Amount\s+€20\.00", lines[i + 2])
    # the note's barcode is on the receipt document, and its issue in the journal
    from pos.sale.receipt import receipt_document
    from pos.sale.receipt_doc import Kind

    assert [d.text for d in receipt_document(refund, settings.all_values()) if d.kind is Kind.BARCODE][-1] == code
    records = [r for r in journal.journal_rows("WHERE kind = 'voucher'")]
    assert [(r[3], __import__("json").loads(r[4])["move"]) for r in records] == [(code, "issue")]
    assert journal.verify().ok


def test_partial_use_leaves_a_balance_and_shows_on_the_receipt(till):
    code = issue_note(till, 2000)
    sale = pay_with_note(till, code, 1500, 1800)
    assert [(p["method_code"], p["amount"]) for p in sale.payments] == [("voucher", 1500), ("cash", 300)]
    assert vouchers_db.get(1).balance == 500
    assert "Left on AV00000001" in "\n".join(render(sale, settings.all_values(), width=48))
    # the whole note by default: what it holds, up to what is due
    sale = pay_with_note(till, code, None, 1000)
    assert [p["amount"] for p in sale.payments] == [500, 500]
    assert (vouchers_db.get(1).balance, vouchers_db.get(1).status) == (0, "used")
    with pytest.raises(VoucherError, match="used up"):
        pay_with_note(till, code, None, 100)
    assert [m["kind"] for m in vouchers_db.moves(1)] == ["issue", "use", "use"]


def test_a_note_is_never_used_beyond_its_balance(till):
    code = issue_note(till, 2000)
    till.add_misc(5000, _dept())
    with pytest.raises(VoucherError, match="Only €20.00 is left"):
        add_voucher_payment(till, code, 2500)
    add_voucher_payment(till, code, 1500)
    with pytest.raises(VoucherError, match="Only €5.00 is left"):  # the same note twice in one basket
        add_voucher_payment(till, code, 1000)


def test_expired_cancelled_unknown_and_unnumbered_notes_are_refused_and_change_nothing(till, shop):
    code = issue_note(till, 1000)
    before = (last_ticket_number(), journal.count())
    for text in ("AV99", "nonsense", ""):
        till.add_misc(500, _dept())
        with pytest.raises(VoucherError, match="No credit note"):
            add_voucher_payment(till, text)
        till.basket.payments.clear()
        till.basket.lines.clear()
    # a voucher payment that names no note is refused when the ticket is committed
    till.add_misc(500, _dept())
    till.add_payment("voucher")
    with pytest.raises(VoucherError, match="Scan or type"):
        till.validate()
    till.basket.payments.clear()
    till.basket.lines.clear()
    assert (last_ticket_number(), journal.count()) == before  # nothing written, no number taken
    shop.execute_sql("UPDATE voucher SET status = status")  # (a harmless update is allowed)
    with pytest.raises(Exception, match="keeps its number"):
        shop.execute_sql("UPDATE voucher SET expires_on = '2000-01-01'")
    # expired: the validity runs from the issue; a note issued with 0 days never expires
    settings.set_value("vouchers.validity_days", "0")
    code2 = issue_note(till, 1000)
    assert vouchers_db.get(2).expires_on is None
    vouchers_db.get(2)
    assert vouchers_db.get(1).expired("2999-01-01") and not vouchers_db.get(2).expired("2999-01-01")
    with pytest.raises(VoucherError, match="expired on"):
        vouchers_db.check_usable(1, "2999-01-01")
    cancel_voucher(MANAGER, code, "printed by mistake")
    till.add_misc(500, _dept())
    with pytest.raises(VoucherError, match="was cancelled"):
        add_voucher_payment(till, code)
    assert vouchers_db.get(1).balance == 0 and vouchers_db.moves(1)[-1]["reason"] == "printed by mistake"
    assert code2 == "AV00000002"


def test_cancelling_needs_a_manager_and_a_reason(till):
    code = issue_note(till, 1000)
    with pytest.raises(NeedsManager):
        cancel_voucher(CASHIER, code, "no")
    with pytest.raises(VoucherError, match="reason"):
        cancel_voucher(MANAGER, code, "  ")
    assert vouchers_db.get(1).status == "open"
    count = journal.count()
    cancel_voucher(MANAGER, code, "lost")
    kinds = [r[2] for r in journal.journal_rows("WHERE seq > ?", (count,))]
    assert kinds == ["voucher", "event"]  # the move and the action, in one transaction


def test_moves_are_immutable_and_the_balance_cannot_go_below_zero(till, shop):
    issue_note(till, 1000)
    with pytest.raises(Exception, match="immutable"):
        shop.execute_sql("UPDATE voucher_move SET amount = 99999")
    with pytest.raises(Exception, match="immutable"):
        shop.execute_sql("DELETE FROM voucher_move")
    with pytest.raises(Exception, match="CHECK"):
        shop.execute_sql("UPDATE voucher SET balance = -1")


def test_notes_are_refused_in_training_mode(till):
    code = issue_note(till, 1000)
    till.authorize(MANAGER_PIN, "training")
    till.set_training(True)
    till.add_misc(500, _dept())
    with pytest.raises(VoucherError, match="training"):
        add_voucher_payment(till, code)


def test_a_gift_voucher_article_issues_a_gift_voucher_per_unit(till):
    from pos.data import catalog

    misc = catalog.find_article_by_code("D010001")
    with pytest.raises(VoucherError, match="0 % VAT"):  # a baguette at 5.5 % is no voucher
        set_gift_article(MANAGER, misc.reference)
    gift = _gift_article()
    with pytest.raises(NeedsManager):
        set_gift_article(CASHIER, gift.reference)
    set_gift_article(MANAGER, gift.reference)
    till.set_pending_qty(2000)
    till.add_article(gift)
    till.add_payment("cash")
    sale = till.validate()
    assert [(n["code"], n["kind"], n["amount"]) for n in sale.vouchers] == [
        ("BC00000001", "gift", gift.price), ("BC00000002", "gift", gift.price)]
    text = "\n".join(render(sale, settings.all_values(), width=48))
    lines = [line.strip() for line in text.splitlines()]
    assert lines.count("GIFT VOUCHER") == 2 and "BC00000001" in lines and "BC00000002" in lines
    # the VAT of the sale is 0: a multi-purpose voucher is not a supply
    assert [(v["vat_bp"], v["vat"]) for v in sale.vat] == [(0, 0)]
    # a gift voucher is not refunded as an article
    till.authorize(MANAGER_PIN, "refund")
    till.start_refund(sale.number)
    till.add_payment("cash")
    with pytest.raises(VoucherError, match="not refunded"):
        till.validate()


def _gift_article():
    """A 0 % article for the gift voucher (created through the catalogue's core)."""
    from pos.catalog import actions
    from pos.data import catalog

    actions.save_article(MANAGER, catalog.ArticleDetail(reference="BONKDO", name="Bon cadeau 25 €", price=2500,
                                                        vat_bp=0))
    return catalog.find_article_by_code("BONKDO")


def test_a_return_without_a_ticket_needs_a_manager_and_a_reason(till):
    from pos.data import catalog

    before = catalog.find_article_by_code("D010001").stock
    with pytest.raises(VoucherError, match="reason"):
        start_return(till, [("D010001", 2000)], " ")
    with pytest.raises(NeedsManager):
        start_return(till, [("D010001", 2000)], "customer lost the receipt")
    assert not till.basket.lines
    till.authorize(MANAGER_PIN, "return_no_ticket")
    start_return(till, [("D010001", 2000)], "customer lost the receipt")
    till.add_payment("voucher")
    refund = till.validate()
    assert (refund.kind, refund.refund_of, refund.total) == ("refund", None, -240)
    assert refund.return_reason == "customer lost the receipt"
    assert [n["code"] for n in refund.vouchers] == ["AV00000001"]
    assert catalog.find_article_by_code("D010001").stock == before + 2000
    assert "Return without a ticket: customer lost the receipt" in " ".join(
        render(refund, settings.all_values(), width=48))  # (wrapped at the paper's width)
    [(ref, payload)] = [(r[3], r[4]) for r in journal.journal_rows("WHERE kind = 'return'")]
    assert ref == str(refund.number) and "customer lost the receipt" in payload
    assert journal.verify().ok


RACE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from pos.core import i18n
    from pos.data.db import open_database
    from pos.data import users
    from pos.sale.till import Till
    from pos.sale.vouchers import add_voucher_payment
    db, me, other = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    open_database(Path(db)); i18n.set_language("en")
    till = Till()
    till.login(users.find_user("Marie").id, "1234", log=False)
    dept = int(sys.argv[4])
    till.add_misc(1800, dept)
    add_voucher_payment(till, "AV00000001", 1500)  # both checks pass: 20 EUR left
    till.add_payment("cash")
    me.touch()
    deadline = time.monotonic() + 30
    while not other.exists() and time.monotonic() < deadline:  # both ready before either commits
        time.sleep(0.001)
    try:
        print("ok", till.validate().number)
    except Exception as exc:
        print("refused", exc)
""")


def test_two_processes_spend_the_same_note_one_is_refused(till, shop, tmp_path):
    issue_note(till, 2000)
    path = shop.database
    dept = _dept()
    close_database()
    a, b = tmp_path / "a.ready", tmp_path / "b.ready"
    procs = [subprocess.Popen([sys.executable, "-c", RACE, path, str(x), str(y), str(dept)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for x, y in ((a, b), (b, a))]
    outs = [p.communicate(timeout=60) for p in procs]
    results = sorted(out.strip() for out, _err in outs)
    assert [r.split()[0] for r in results] == ["ok", "refused"], outs
    assert "Only €5.00 is left on AV00000001" in results[1]
    open_database(path)
    note = vouchers_db.get(1)
    assert (note.balance, note.status) == (500, "open")
    assert [m["amount"] for m in vouchers_db.moves(1)] == [2000, -1500]
    assert journal.verify().ok


def test_the_refusal_is_a_refusal():
    assert issubclass(VoucherError, Refusal)


@pytest.mark.parametrize("tamper, message", [
    ("UPDATE voucher SET balance = 2000, status = 'open'", "the balance of AV00000001 is not what its moves leave"),
    ("DROP TRIGGER voucher_move_no_update; UPDATE voucher_move SET amount = -100 WHERE kind = 'use'",
     "the move of AV00000001 differs from its journal record"),
    ("DROP TRIGGER voucher_move_no_delete; DELETE FROM voucher_move WHERE kind = 'use'",
     "has no move in the notes"),
    ("INSERT INTO voucher_move (voucher_id, at, kind, amount, balance, ticket_number, user_name, reason) "
     "VALUES (1, '2026-01-01T00:00:00+01:00', 'issue', 500, 500, NULL, 'x', '')",
     "a move of AV00000001 has no journal record"),
])
def test_journal_verify_catches_a_note_changed_outside_the_till(till, shop, tamper, message):
    code = issue_note(till, 2000)
    pay_with_note(till, code, 1500, 1800)
    assert journal.verify().ok
    for sql in tamper.split("; "):
        shop.execute_sql(sql)
    verdict = journal.verify()
    assert not verdict.ok and message in verdict.message, verdict.message


def test_a_long_return_reason_wraps_at_the_paper_width(till):
    till.authorize(MANAGER_PIN, "return_no_ticket")
    start_return(till, [("D010001", None)], "the customer says the bread was stale and has no receipt " * 3)
    till.add_payment("cash")
    refund = till.validate()
    for width in (48, 32):
        lines = render(refund, {**settings.all_values(), "printer.columns": str(width)}, width=width)
        assert max(len(line) for line in lines) <= width


def test_the_printed_credit_note_carries_its_barcode(till):
    """The ESC/POS bytes sent to the printer, decoded: the ticket's barcode, then the note's."""
    from helpers.escpos_decoder import decode

    from pos.hardware.escpos_render import render_receipt

    code = issue_note(till, 1250)
    refund = get_ticket(last_ticket_number())
    d = decode(render_receipt(refund, settings.all_values(), columns=48))
    assert d.events == [f"[barcode CODE128 T{refund.number:09d}]", f"[barcode CODE128 {code}]", "[cut]"]
    banner = d.find("CREDIT NOTE")
    assert banner.height == 2  # big, where the cashier tears it off
    assert d.find(code).bold
    assert any(line.startswith("Amount") and line.endswith("€12.50") for line in d.lines)


def test_two_notes_on_one_sale_are_debited_together_or_not_at_all(till):
    """The second note is cancelled between the payment and the commit: the sale is refused, the first
    note keeps its balance, no ticket number is taken, nothing is journaled."""
    first, second = issue_note(till, 1000), issue_note(till, 1000)
    till.add_misc(1500, _dept())
    add_voucher_payment(till, first, 1000)
    add_voucher_payment(till, second, 500)
    cancel_voucher(MANAGER, second, "reported stolen")  # e.g. on another till, meanwhile
    before = (last_ticket_number(), journal.count())
    with pytest.raises(VoucherError, match="was cancelled"):
        till.validate()
    assert (last_ticket_number(), journal.count()) == before
    assert vouchers_db.get(1).balance == 1000 and len(vouchers_db.moves(1)) == 1
    till.basket.payments.pop()  # the cashier takes the cancelled note off and is paid otherwise
    till.add_payment("cash")
    sale = till.validate()
    assert [(n["code"], n["amount"], n["balance"]) for n in sale.vouchers] == [(first, -1000, 0)]
