"""Closures, cash movements, training mode and reports on the till, driven for real offscreen."""

from __future__ import annotations

import pytest
from helpers.actors import manager
from helpers.ui_helpers import find_button, frames, keypad_type, popup, tap, wait_for
from test_ui import login, make_app, window  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def reports_dir(tmp_path, monkeypatch):
    """PDFs go to a temporary folder, never to the user's Documents."""
    folder = tmp_path / "pdf"
    monkeypatch.setenv("POS_REPORTS_DIR", str(folder))
    return folder


def menu(app, win, entry: str) -> None:
    """Menu on the sale screen, then the entry whose text contains ``entry``."""
    sale = app.screen("sale")
    tap(sale.ids.menu)
    choices = popup(win, "ChoicePopup")
    tap(find_button(choices.ids.choices, entry))
    frames(2)


def sell_in_cash(app, sale, tendered: int | None = None):
    """Touch two Boulangerie articles and pay in cash on the payment screen."""
    tap(sale.tab_buttons["Boulangerie"])
    croissant = next(b for b in sale.article_buttons if b.article and b.article.name == "Croissant")
    tap(croissant)
    tap(croissant)
    tap(sale.ids.pay)
    pay = app.screen("payment")
    if tendered:
        tap(find_button(pay.ids.quick, str(tendered // 100)))
    else:
        tap(pay.method_buttons["cash"])
    tap(pay.ids.validate)
    assert app.sm.current == "sale", app.toast_text
    sale.close_banner()
    from pos.data import tickets

    return tickets.get_ticket(tickets.last_ticket_number())


def pdf_text(path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


@pytest.mark.slow
def test_cash_count_then_the_daily_z_with_its_pdf(make_app, window, reports_dir):  # noqa: F811
    from pos.fiscal import closures

    app = make_app()
    sale = login(app, "Claire", "9999")
    # an opening float of 50 € through the Menu's popup
    menu(app, window, "Cash in / out")
    cash = popup(window, "CashMovementPopup")
    tap(cash.kind_buttons["float"])
    keypad_type(cash.ids.keypad, "50")
    assert cash.amount_text == "€50.00"
    tap(cash.ids.ok)
    assert "Opening float recorded" in app.toast_text
    assert wait_for(lambda: app.till.drawer.opened == 1)

    ticket = sell_in_cash(app, sale, tendered=1000)  # 2 croissants: 2,40 €, paid with 10 €
    assert ticket.total == 240 and ticket.change == 760

    menu(app, window, "Closure")
    assert app.sm.current == "closure"
    screen = app.screen("closure")
    assert screen.expected_text == "€52.40"  # 50 € float + 2,40 € taken
    assert screen.float_text == "€50.00"
    assert screen.counted_text == "€0.00" and screen.difference_text == "-€52.40"

    # count: 2 × 20 €, 1 × 10 €, 1 × 2 €, 2 × 0,20 €  = 52,40 €
    for value, times in ((2000, 2), (1000, 1), (200, 1), (20, 2)):
        for _i in range(times):
            tap(screen.rows[value].ids.plus)
    assert screen.rows[2000].ids.count.text == "2"
    assert screen.counted_text == "€52.40" and screen.difference_text == "€0.00"
    tap(screen.rows[20].ids.minus)  # one 20-cent coin too many: a shortfall shows in red
    assert screen.difference_text == "-€0.20" and screen.difference_colour[0] == 1
    tap(screen.rows[20].ids.plus)
    assert screen.difference_text == "€0.00"

    # the X report: nothing is closed
    tap(screen.ids.x_report)
    assert "X report" in screen.text and "52.40" in screen.text
    assert closures.closures("day") == []

    tap(screen.ids.close_day)
    confirm = popup(window, "ChoicePopup")
    tap(find_button(confirm.ids.choices, "Yes"))
    zs = closures.closures("day")
    assert len(zs) == 1
    z = zs[0]
    assert z["number"] == 1 and z["total"] == 240 and z["user_name"] == "Claire"
    assert z["data"]["cash"]["counted"] == 5240 and z["data"]["cash"]["difference"] == 0
    assert z["data"]["cash"]["counted_detail"] == {"2000": 2, "1000": 1, "200": 1, "20": 2}
    assert "Z no. 1" in screen.text and "2.40" in screen.text
    # a new period: the count is cleared, nothing but the float is left to expect
    assert screen.counted_text == "€0.00"
    assert screen.expected_text == "€0.00"

    # the PDF is written in the background and its path shown
    assert wait_for(lambda: screen.saved_path is not None, timeout=20), screen.status
    assert screen.saved_path == reports_dir / "Z-0001.pdf" and screen.saved_path.exists()
    assert str(screen.saved_path) in screen.status
    text = pdf_text(screen.saved_path)
    assert "Z no. 1" in text and "2.40" in text and "52.40" in text

    # a second Z with nothing new is refused, as a toast
    tap(screen.ids.close_day)
    tap(find_button(popup(window, "ChoicePopup").ids.choices, "Yes"))
    assert "nothing to close" in app.toast_text
    assert len(closures.closures("day")) == 1

    # the monthly closure sums the Z
    tap(screen.ids.close_month)
    tap(find_button(popup(window, "ChoicePopup").ids.choices, "Yes"))
    assert [m["total"] for m in closures.closures("month")] == [240]
    assert "Monthly closure no. 1" in screen.text
    assert wait_for(lambda: (reports_dir / "M-0001.pdf").exists(), timeout=20)


def test_a_monthly_closure_is_refused_while_tickets_wait_for_a_z(make_app, window):  # noqa: F811
    from pos.fiscal import closures

    app = make_app()
    sale = login(app, "Claire", "9999")
    sell_in_cash(app, sale)
    menu(app, window, "Closure")
    screen = app.screen("closure")
    tap(screen.ids.close_month)
    tap(find_button(popup(window, "ChoicePopup").ids.choices, "Yes"))
    assert "run the daily closure (Z) first" in app.toast_text
    assert closures.closures("month") == []


def test_the_z_is_printed_in_the_background(make_app, window):  # noqa: F811
    from pos.hardware import DeviceError

    app = make_app()
    sale = login(app, "Claire", "9999")
    sell_in_cash(app, sale)
    screen = app.show("closure")
    screen.run_closure("day")
    printer = app.till.printer
    printer.printed.clear()
    tap(screen.ids.print_button)
    assert wait_for(lambda: printer.printed), app.toast_text
    assert any("Z no. 1" in line for line in printer.printed[-1])
    assert wait_for(lambda: app.toast_text == "Report printed")
    # a printer failure is a message; the Z is stored anyway
    printer.fail = DeviceError("out of paper", "paper_out")
    tap(screen.ids.print_button)
    assert wait_for(lambda: "Not printed: out of paper" in app.toast_text)


@pytest.mark.slow
def test_cash_out_needs_a_reason_and_a_manager(make_app, window):  # noqa: F811
    from pos.fiscal import closures

    app = make_app()
    login(app)  # Marie, a cashier
    menu(app, window, "Cash in / out")
    cash = popup(window, "CashMovementPopup")
    tap(cash.kind_buttons["out"])
    keypad_type(cash.ids.keypad, "20")
    tap(cash.ids.ok)
    assert "manager" in app.toast_text.lower()
    pin = popup(window, "PinPopup")
    keypad_type(pin.ids.pad, "9999")
    tap(pin.ids.ok)
    assert "reason is required" in app.toast_text  # authorised, but refused: nothing recorded
    assert closures.pending_movements(manager()) == []
    assert cash.parent is not None  # the popup stays open to add the reason

    cash.ids.reason.text = "bank deposit"
    tap(cash.ids.ok)
    pin = popup(window, "PinPopup")  # the one-shot authorisation was used: ask again
    keypad_type(pin.ids.pad, "9999")
    tap(pin.ids.ok)
    assert "Cash out recorded: €20.00" in app.toast_text
    moves = closures.pending_movements(manager())
    assert [(m["kind"], m["amount"], m["reason"], m["user_name"]) for m in moves] == [
        ("out", 2000, "bank deposit", "Marie")]
    with pytest.raises(LookupError):
        popup(window, "CashMovementPopup")

    # cash put in by the cashier herself, no PIN
    menu(app, window, "Cash in / out")
    cash = popup(window, "CashMovementPopup")
    tap(cash.kind_buttons["in"])
    keypad_type(cash.ids.keypad, "5,5")
    cash.ids.reason.text = "change from the bank"
    tap(cash.ids.ok)
    assert [m["amount"] for m in closures.pending_movements(manager())] == [2000, 550]


def test_training_mode_banner_and_training_tickets(make_app, window):  # noqa: F811
    from pos.data import tickets
    from pos.fiscal import closures

    app = make_app()
    sale = login(app)  # a cashier: the manager's PIN switches training on
    bar = sale.ids.bar  # training mode turns the status bar amber (the tiles keep their height)
    assert not sale.training and not bar.training
    menu(app, window, "Training mode")
    pin = popup(window, "PinPopup")
    keypad_type(pin.ids.pad, "9999")
    tap(pin.ids.ok)
    frames(2)
    assert app.till.training and sale.training
    assert bar.training and "TRAINING MODE" in bar.ids.shop.text

    ticket = sell_in_cash(app, sale)
    assert ticket.training
    assert closures.is_training_ticket(ticket.number)
    # the closure is refused while training
    menu(app, window, "Closure")
    assert app.sm.current == "sale" and "training mode" in app.toast_text

    menu(app, window, "Leave training mode")
    assert not app.till.training and not sale.training
    frames(2)
    assert not bar.training and "TRAINING" not in bar.ids.shop.text
    real = sell_in_cash(app, sale)
    assert not tickets.get_ticket(real.number).training


def one_z(new_app, user: str, pin: str):
    """The app with ``user`` logged in, after a sale of 2.40 in cash and the day's Z."""
    from pos.fiscal import closures

    app = new_app()
    sale = login(app, user, pin)
    sell_in_cash(app, sale)
    closures.close(manager("Claire"), "day", counted=240)
    return app, sale


def test_reports_screen_lists_closures_and_sales_by_vat(make_app, window, reports_dir):  # noqa: F811
    app, _sale = one_z(make_app, "Claire", "9999")
    menu(app, window, "Reports")
    assert app.sm.current == "reports"
    screen = app.screen("reports")
    frames(2)
    assert [row["title"] for row in screen.ids.list.data] == ["Z (day) 1"]
    row = next(v for v in screen.ids.list.children[0].children if v.title == "Z (day) 1")
    tap(row)
    assert "Z no. 1" in screen.text and "2.40" in screen.text
    tap(screen.ids.pdf)
    assert wait_for(lambda: (reports_dir / "Z-0001.pdf").exists(), timeout=20)
    assert wait_for(lambda: "PDF saved" in app.toast_text)

    # sales of today by VAT rate
    tap(screen.ids.tab_sales)
    assert wait_for(lambda: not screen.busy and screen.shown is not None, timeout=10)
    tap(screen.group_buttons["vat"])
    assert wait_for(lambda: not screen.busy and screen.report and screen.report["by"] == "vat", timeout=10)
    assert "VAT" in screen.text and "5.5" in screen.text and "2.40" in screen.text
    tap(screen.ids.pdf)
    assert wait_for(lambda: list(reports_dir.glob("sales-*-vat.pdf")), timeout=20)
    path = next(reports_dir.glob("sales-*-vat.pdf"))
    assert "2.40" in pdf_text(path)

    # a bad date is a message; a good one runs the report
    screen.ids.date.text = "2024-13-45"
    screen.ids.date.dispatch("on_text_validate")
    assert "YYYY-MM-DD" in app.toast_text
    screen.ids.date.text = "2001-01-01"
    screen.ids.date.dispatch("on_text_validate")
    assert wait_for(lambda: not screen.busy and screen.report["start"] == "2001-01-01", timeout=10)


def test_a_cashier_needs_a_manager_for_the_closure_screen(make_app, window):  # noqa: F811
    app = make_app()
    login(app)
    menu(app, window, "Closure")
    assert app.sm.current == "sale" and "manager" in app.toast_text.lower()
    pin = popup(window, "PinPopup")
    keypad_type(pin.ids.pad, "9999")
    tap(pin.ids.ok)
    assert app.sm.current == "closure"


def test_a_cashier_reads_the_reports_with_a_managers_pin_for_the_visit(make_app, window, reports_dir):  # noqa: F811
    """The reports are a manager's (the core checks ``reports``): a cashier's visit needs a manager's
    PIN, which covers the visit (closures and sales) and is used up when it ends."""
    app, _sale = one_z(make_app, "Marie", "1234")
    menu(app, window, "Reports")
    assert app.sm.current == "sale"
    pad = popup(window, "PinPopup")
    keypad_type(pad.ids.pad, "9999")
    tap(pad.ids.ok)
    frames(2)
    assert app.sm.current == "reports"
    screen = app.screen("reports")
    assert [row["title"] for row in screen.ids.list.data] == ["Z (day) 1"]
    tap(screen.ids.tab_sales)
    assert wait_for(lambda: not screen.busy and screen.report is not None, timeout=10)
    assert "2.40" in screen.text
    tap(screen.group_buttons["article"])  # another grouping in the same visit: no PIN asked again
    assert wait_for(lambda: not screen.busy and screen.report["by"] == "article", timeout=10)
    assert "Croissant" in screen.text
    screen.back()
    frames(2)
    menu(app, window, "Reports")  # the authorisation ended with the visit
    assert app.sm.current == "sale" and popup(window, "PinPopup") is not None
