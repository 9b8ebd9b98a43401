"""The cashier's paths on a real X display: mouse clicks where the widgets are, a USB
scanner's bursts (13 digits and Enter, about 7 ms a key), results read from the database."""

from __future__ import annotations

import time

import pytest

from pos.demo import demo_ean
from pos.sale.scancodes import ticket_barcode

BAGUETTE, CROISSANT = demo_ean(1), demo_ean(3)


def name(xtill, code: str) -> str:
    rows = xtill.query("SELECT a.name FROM article a JOIN barcode b ON b.article_id = a.id WHERE b.code = ?", code)
    return rows[0][0]


def expect(xtill, expected: list, code: str) -> None:
    """One scan of ``code``: one more line, or one more on the last line (the till merges an
    article scanned again right after itself)."""
    article = name(xtill, code)
    if expected and expected[-1][0] == article:
        expected[-1] = (article, expected[-1][1] + 1000)
    else:
        expected.append((article, 1000))
    xtill.wait_lines(expected)


def box_overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])


def quick_cash(xtill, euros: int) -> str:
    """The payment screen's quick-cash button for ``euros`` (its text is "20 €")."""
    layout = xtill.wait(lambda lay: any(k.startswith(f"text:{euros}\u202f€") or k == f"text:€{euros}"
                                        for k in lay["widgets"]), what=f"the {euros} € button")
    return next(k for k in layout["widgets"] if k.startswith(f"text:{euros}\u202f€") or k == f"text:€{euros}")


def pay_cash_and_validate(xtill) -> int:
    """PAYER, Espèces (the whole amount), Valider; returns the new ticket's number."""
    before = xtill.last_ticket()
    xtill.click("id:pay")
    xtill.wait_screen("payment")
    xtill.click("method_buttons:cash")
    xtill.click("id:validate")
    xtill.wait(lambda lay: lay["screen"] == "sale", what="back on the sale screen")
    assert xtill.last_ticket() == before + 1
    return before + 1


# ---------------------------------------------------------------- each situation, one scan, one line
def after_the_search_field(xtill, expected: list, code: str) -> None:
    """A scan while the search field has the focus, then one after it let the keyboard go."""
    if xtill.text("id:search"):
        xtill.click("text:×")  # the search's clear button
    xtill.focus("id:search")
    xtill.type("pain")
    xtill.wait(lambda lay: lay["widgets"]["id:search"]["text"] == "pain", what="the search typed")
    xtill.scan(code)
    expect(xtill, expected, code)
    assert xtill.text("id:search") == "pain"  # nothing of the code went into the field
    xtill.close_keyboard()  # the field lets the keyboard go: SDL turns text input off
    xtill.scan(code)
    expect(xtill, expected, code)
    assert xtill.layout()["toast"] == ""  # no "unknown code"


def after_the_park_popup(xtill, expected: list, code: str) -> None:
    xtill.click("id:park")
    xtill.wait(lambda lay: "TextPopup" in lay["popups"], what="the park popup")
    xtill.focus("TextPopup.id:field")
    xtill.type("client 2\n")  # Enter in the label: parked
    xtill.wait_screen("sale")
    expected.clear()
    xtill.wait_lines(expected)
    xtill.scan(code)
    expect(xtill, expected, code)


def after_a_config_page(xtill, expected: list, code: str, manager_pin: str | None) -> None:
    xtill.click("id:menu")
    xtill.click("ChoicePopup.text:Configuration")
    if manager_pin:
        xtill.manager_pin(manager_pin)
    xtill.wait_screen("config")
    xtill.focus("fields:shop.phone")
    xtill.type("01")
    xtill.close_keyboard()
    back = next(k for k in xtill.layout()["widgets"] if k.startswith("text:‹"))
    xtill.click(back)
    xtill.wait_screen("sale")
    xtill.scan(code)
    expect(xtill, expected, code)


def right_after_valider(xtill, expected: list, code: str) -> None:
    xtill.click("id:pay")
    xtill.wait_screen("payment")
    xtill.click("method_buttons:cash")
    xtill.click("id:validate")
    xtill.scan(code)  # at once: the sale screen is being rebuilt, the drawer and receipt asked
    expected.clear()
    expect(xtill, expected, code)


def test_a_scan_adds_one_line_after_each_text_field_and_right_after_valider(xtill):
    xtill.login("Marie", "1234")
    expected: list = []
    after_the_search_field(xtill, expected, BAGUETTE)
    after_the_park_popup(xtill, expected, CROISSANT)
    after_a_config_page(xtill, expected, BAGUETTE, manager_pin="9999")
    right_after_valider(xtill, expected, CROISSANT)
    assert [row[0] for row in xtill.query("SELECT label FROM saved_basket WHERE kind = 'parked'")] == ["client 2"]


def test_a_slow_frame_in_the_middle_of_a_scan_does_not_split_it(xtill):
    """The till stalls 300 ms on the 7th key of the burst; the other keys wait in the X queue
    and are handled all at once: measured on the keys' X times, the gaps are still ~7 ms."""
    xtill.login("Marie", "1234")
    xtill.scan_with_stall(BAGUETTE, after=7, stall_ms=300)
    xtill.wait_lines([("Baguette tradition", 1000)])
    assert not xtill.stall_path.exists()  # the stall did happen
    assert xtill.layout()["toast"] == ""


def test_a_sale_paid_by_card_and_cash_shows_the_change_and_asks_for_the_receipt_aside(xtill, tmp_path):
    xtill.login("Marie", "1234")
    for code in (BAGUETTE, CROISSANT, demo_ean(4)):
        xtill.scan(code)
    xtill.wait(lambda lay: len(xtill.lines()) == 3, what="three lines")
    xtill.click("id:pay")
    xtill.wait_screen("payment")
    xtill.click("text:1")  # 1 € by card, on the payment keypad
    xtill.click("method_buttons:card")
    xtill.click(quick_cash(xtill, 20))  # the rest with a 20 € note
    xtill.click("id:validate")
    layout = xtill.wait(lambda lay: lay["screen"] == "sale" and lay["widgets"]["id:last_amount"]["text"],
                        what="the change on the sale screen")
    number = xtill.last_ticket()
    payments = xtill.query("SELECT p.method_code, p.amount FROM ticket_payment p JOIN ticket t ON t.id = p.ticket_id "
                           "WHERE t.number = ?", number)
    total, change = xtill.query('SELECT total, change FROM ticket WHERE number = ?', number)[0]
    assert payments == [("card", 100), ("cash", 2000)] and change == 2100 - total > 0
    widgets = layout["widgets"]
    assert widgets["id:last_label"]["text"] == "Rendu"
    assert widgets["id:last_amount"]["text"].startswith(f"{change // 100},{change % 100:02d}")
    # the receipt question: above the basket, over none of the sale's controls
    question = xtill.widget("text:Oui")
    for control in ("id:pay", "id:cancel", "id:menu", "id:keypad", "id:qty", "id:refund", "id:search"):
        assert not box_overlap(question, widgets[control]), control
    xtill.screenshot(tmp_path / "after-sale.png")
    xtill.click("tab_buttons:Épicerie")  # a touch elsewhere: the question goes, the change stays
    xtill.wait(lambda lay: "text:Oui" not in lay["widgets"], what="the question gone")
    assert xtill.text("id:last_label") == "Rendu"
    xtill.scan(BAGUETTE)  # the next customer: the change goes
    xtill.wait(lambda lay: "id:last_sale" not in lay["widgets"], what="the change gone")


def test_a_managers_discount_refreshes_the_screen(xtill):
    xtill.login("Marie", "1234")
    xtill.scan(BAGUETTE)
    xtill.wait_lines([("Baguette tradition", 1000)])  # the basket as stored: the screen may lag a frame
    total = xtill.wait(lambda lay: any(c in "123456789" for c in lay["widgets"]["id:total"]["text"]),
                       what="the line's total on the screen")["widgets"]["id:total"]["text"]
    xtill.click("text:5")
    xtill.click("text:0")
    xtill.click("id:discount")  # 50 %: more than a cashier may give
    xtill.manager_pin("9999")
    layout = xtill.wait(lambda lay: lay["widgets"]["id:total"]["text"] != total, what="the new total")
    assert layout["widgets"]["id:buffer"]["text"] == ""  # the 50 is used up
    deadline = time.monotonic() + 5
    while not xtill.basket()["discount"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert xtill.basket()["discount"] == {"kind": "percent", "value": 5000}
    xtill.click("id:qty")  # nothing typed: no quantity of 50
    xtill.wait(lambda lay: lay["toast"], what="a toast")
    xtill.wait_lines([("Baguette tradition", 1000)])


def test_a_refund_with_a_wrong_pin_first(xtill):
    xtill.login("Marie", "1234")
    xtill.scan(BAGUETTE)
    xtill.scan(CROISSANT)
    xtill.wait(lambda lay: len(xtill.lines()) == 2, what="two lines")
    sold = pay_cash_and_validate(xtill)
    xtill.click("id:refund")
    xtill.wait_screen("history")
    xtill.scan(ticket_barcode(sold))  # the barcode on the receipt opens the ticket
    xtill.wait(lambda lay: "Ticket" in lay["widgets"]["id:detail"]["text"], what="the ticket shown")
    xtill.click("id:refund")
    xtill.wait(lambda lay: "RefundPopup" in lay["popups"], what="the refund dialog")
    lines = xtill.query("SELECT l.id, l.total FROM ticket_line l JOIN ticket t ON t.id = l.ticket_id "
                        "WHERE t.number = ? ORDER BY l.id", sold)
    xtill.click(f"RefundPopup.rows:{lines[0][0]}.id:minus")  # give back only the croissant
    xtill.click("RefundPopup.id:ok")
    xtill.manager_pin("1234")  # Marie's own PIN: refused...
    xtill.wait(lambda lay: lay["popups"][:1] == ["PinPopup"] and "RefundPopup" in lay["popups"], what="asked again")
    assert xtill.text(f"RefundPopup.rows:{lines[0][0]}.id:qty") in ("", "0")  # ...the choice is kept
    xtill.manager_pin("9999")
    xtill.wait_screen("payment")
    layout = xtill.layout()["widgets"]
    assert layout["id:due"]["text"].startswith("À REMBOURSER") and layout["id:paid"]["text"].startswith("Remboursé")
    xtill.click("method_buttons:cash")
    xtill.click("id:validate")
    xtill.wait(lambda lay: lay["screen"] == "sale" and lay["widgets"]["id:last_label"]["text"] == "Remboursé",
               what="the amount refunded shown")
    refund = xtill.last_ticket()
    kind, refund_of, total = xtill.query("SELECT t.kind, o.number, t.total FROM ticket t JOIN ticket o "
                                         "ON o.id = t.refund_of_id WHERE t.number = ?", refund)[0]
    assert (kind, refund_of, total) == ("refund", sold, -lines[1][1])


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_30_scans_in_each_situation_add_exactly_one_line(xtill):
    """The issue's bar: a scan after the search field, the park popup, a config page and
    right after Valider adds exactly one line, 30 times out of 30."""
    xtill.login("Claire", "9999")  # a manager: the configuration opens without a PIN
    expected: list = []
    codes = [demo_ean(n) for n in (1, 3, 4, 6, 7, 8)]
    started = time.monotonic()
    for round_ in range(30):
        a, b, c, d = (codes[(round_ + k) % len(codes)] for k in range(4))
        after_the_search_field(xtill, expected, a)
        after_the_park_popup(xtill, expected, b)
        after_a_config_page(xtill, expected, c, manager_pin=None)
        right_after_valider(xtill, expected, d)
    assert xtill.last_ticket() == 30
    print(f"30 rounds of 4 situations in {time.monotonic() - started:.0f} s")
