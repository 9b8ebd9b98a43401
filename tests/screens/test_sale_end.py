"""The end of a sale: the change, the receipt question, a manager's PIN, refunds."""

from __future__ import annotations

from helpers.ui_helpers import find_button, frames, keypad_type, popup, tap
from kivy.uix.label import Label
from test_ui import basket_names, login, make_app, window  # noqa: F401  (the fixtures: the real app on the demo shop)


def rect(widget) -> tuple[float, float, float, float]:
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def cash_sale(app, sale, tendered: str = "20"):
    """Croissant × 2 (2,40 €, scanned) paid with a 20 € note: 17,60 € change."""
    from pos.demo import demo_ean

    sale.scan(demo_ean(3))
    sale.scan(demo_ean(3))
    tap(sale.ids.pay)
    pay = app.screen("payment")
    tap(find_button(pay.ids.quick, tendered))
    tap(pay.ids.validate)
    assert app.sm.current == "sale", app.toast_text


def test_the_change_is_the_biggest_figure_and_the_receipt_question_covers_no_control(make_app, window):  # noqa: F811
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    cash_sale(app, sale)
    frames(2)
    assert sale.last_shown and sale.last_label == "Change" and sale.last_amount == "€17.60"
    figures = [w for w in sale.walk(restrict=True) if isinstance(w, Label) and w.text and w.opacity
               and any(c.isdigit() for c in w.text)]
    biggest = max(figures, key=lambda w: w.font_size)
    assert biggest is sale.ids.last_amount.__self__ and biggest.font_size > sale.ids.total.font_size

    question = sale.receipt_banner
    assert question is not None and "print the receipt" in question.text
    controls = [sale.ids.pay, sale.ids.cancel, sale.ids.menu, sale.ids.qty, sale.ids.keypad, sale.ids.search,
                sale.ids.total]
    assert not any(overlap(rect(question), rect(c)) for c in controls)
    # a touch elsewhere answers it; the change stays until the next line
    tap(sale.tab_buttons["Épicerie"])
    assert sale.receipt_banner is None and sale.last_shown
    assert app.till.printer.printed == []
    sale.scan(demo_ean(1))
    assert not sale.last_shown and basket_names(sale) == ["Baguette tradition"]


def test_the_next_scan_closes_the_receipt_question(make_app, window):  # noqa: F811
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    cash_sale(app, sale, tendered="5")
    assert sale.receipt_banner is not None and sale.last_amount == "€2.60"
    sale.scan(demo_ean(1))
    assert sale.receipt_banner is None and not sale.last_shown


def test_no_receipt_question_without_a_printer(make_app, window):  # noqa: F811
    from pos.hardware import NoPrinter

    app = make_app()
    app.till.printer = NoPrinter()
    sale = login(app)
    cash_sale(app, sale)
    assert sale.receipt_banner is None
    assert sale.last_amount == "€17.60"


def test_the_screen_is_refreshed_after_a_managers_discount(make_app, window):  # noqa: F811
    """A cashier's 50 % needs a manager: after the PIN the total is the new one and the
    keypad is empty (the "50" never becomes the next quantity)."""
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)  # Marie, a cashier (20 % at most)
    sale.scan(demo_ean(4))
    before = sale.total_text
    keypad_type(sale.ids.keypad, "50")
    tap(sale.ids.discount)
    assert "manager" in app.toast_text.lower()
    pin = popup(window, "PinPopup")
    keypad_type(pin.ids.pad, "9999")
    tap(pin.ids.ok)
    frames(2)
    assert app.till.basket.totals().discount > 0
    assert sale.total_text != before and sale.buffer_text == ""
    assert "discount" in sale.vat_text
    tap(sale.ids.qty)  # nothing typed: no quantity of 50
    assert "Type the quantity" in app.toast_text
    assert app.till.pending_qty is None


def test_refund_amounts_wording_and_a_wrong_pin_keeps_the_quantities(make_app, window):  # noqa: F811
    from pos.data import tickets
    from pos.demo import demo_ean

    app = make_app()
    sale = login(app)
    sale.scan(demo_ean(6))
    sale.scan(demo_ean(7))
    app.till.add_payment("cash")
    ticket = app.till.validate()
    sale.refresh()

    tap(sale.ids.refund)
    history = app.screen("history")
    history.load(str(ticket.number))
    dialog = history.refund() or popup(window, "RefundPopup")
    first, second = (dialog.rows[ln["id"]] for ln in ticket.lines)
    assert "€" in first.sold and "€" in dialog.title  # what each line sold for, and the ticket's total
    tap(first.ids.minus)  # keep only the second line
    tap(dialog.ids.ok)
    pin = popup(window, "PinPopup")
    keypad_type(pin.ids.pad, "1234")  # not a manager's PIN
    tap(pin.ids.ok)
    assert "not a manager" in app.toast_text
    pin = popup(window, "PinPopup")  # asked again...
    assert "not a manager" in pin.title
    assert popup(window, "RefundPopup") is dialog and first.qty == "0" and second.qty == "1"  # ...choice kept
    keypad_type(pin.ids.pad, "9999")
    tap(pin.ids.ok)
    assert app.sm.current == "payment"
    pay = app.screen("payment")
    assert (pay.title_text, pay.paid_label, pay.remaining_label) == ("TO REFUND", "Refunded", "LEFT TO REFUND")
    assert pay.ids.change.opacity == 0
    tap(pay.method_buttons["cash"])
    assert pay.ids.payments.data[0]["amount"] == pay.due_text  # given back: shown without a minus
    tap(pay.ids.validate)
    refund = tickets.get_ticket(tickets.last_ticket_number())
    assert refund.kind == "refund" and [ln["name"] for ln in refund.lines] == [ticket.lines[1]["name"]]
    assert app.sm.current == "sale"
    assert sale.last_label == "Refunded" and sale.last_amount == pay.due_text
