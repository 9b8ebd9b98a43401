"""The receipt as a document (``pos.sale.receipt.receipt_document``): what it says and
which line stands out, for a sale, a refund, a duplicate, training mode and discounts;
the text and ESC/POS renderers walk it and never read the text to find a line."""

from __future__ import annotations

import pytest
from helpers.escpos_decoder import decode

from pos.core import i18n, settings
from pos.core.money import format_amount
from pos.data import users
from pos.hardware.escpos_render import render_document, render_receipt
from pos.sale.basket import Discount
from pos.sale.receipt import receipt_columns, receipt_document, render
from pos.sale.receipt_doc import DocLine, Kind, Style, fit, table_lines, text_lines
from pos.sale.scancodes import ticket_barcode

MANAGER_PIN = "9999"


def sell(till, *codes: str, tendered: int = 5000):
    for code in codes:
        till.scan(code)
    till.add_payment("cash", tendered)
    return till.validate()


def pairs(doc) -> dict[str, str]:
    return {line.text: line.right for line in doc if line.kind is Kind.PAIR}


def shape(doc) -> list[tuple[Kind, Style]]:
    return [(line.kind, line.style) for line in doc]


@pytest.fixture
def sale(till):
    """Croissant x2, Œufs bio x6, a beer at 20 % VAT; 50 € cash."""
    return sell(till, "D010003", "D010003", "D020044", "D050103")


def test_a_sale(sale):
    doc = receipt_document(sale, settings.all_values())
    assert doc[0] == DocLine(Kind.CENTRED, "Épicerie du Marché", style=Style.BIG)
    assert DocLine(Kind.CENTRED, "SIRET 81234567600017") in doc
    assert [line.style for line in doc if line.style is not Style.NORMAL] == [Style.BIG, Style.BOLD]
    total = next(line for line in doc if line.style is Style.BOLD)
    assert (total.kind, total.text, total.right) == (Kind.PAIR, "TOTAL", format_amount(sale.total, "en"))
    assert pairs(doc)[f"Ticket {sale.number}"] == sale.created_at[:16].replace("T", " ")
    assert pairs(doc)["Croissant"] == "2.40" and pairs(doc)["  Espèces"] == "50.00"
    assert DocLine(Kind.TEXT, "  2 x 1.20") in doc
    assert pairs(doc)["Change"] == format_amount(5000 - sale.total, "en", currency=False)
    table = next(line for line in doc if line.kind is Kind.TABLE)
    assert table.rows[0] == ("VAT", "Excl.", "VAT", "Incl.") and len(table.rows) == 1 + len(sale.vat)
    assert [line.kind for line in doc].count(Kind.RULE) == 3
    assert not any(line.kind is Kind.BANNER for line in doc)
    assert doc[-1] == DocLine(Kind.BARCODE, ticket_barcode(sale.number))
    assert not any(line.kind is Kind.LOGO for line in doc)
    assert receipt_document(sale, {}, logo="/logo.png")[0] == DocLine(Kind.LOGO, "/logo.png")


def test_a_refund(till, sale):
    till.authorize(MANAGER_PIN, "refund")
    till.start_refund(sale.number)
    till.add_payment("cash")
    refund = till.validate()
    doc = receipt_document(refund, {})
    assert pairs(doc)[f"Refund {refund.number}"]
    assert DocLine(Kind.TEXT, f"Refund of ticket {sale.number}") in doc
    assert pairs(doc)["TOTAL"] == format_amount(-sale.total, "en") and pairs(doc)["Croissant"] == "-2.40"
    assert [line.style for line in doc if line.style is not Style.NORMAL] == [Style.BOLD]  # no shop name: {}
    assert doc[-1] == DocLine(Kind.BARCODE, ticket_barcode(refund.number))


def test_a_duplicate_is_the_original_with_its_mark(sale):
    values = settings.all_values()
    original, duplicate = receipt_document(sale, values), receipt_document(sale, values, copy=2)
    mark = DocLine(Kind.BANNER, "DUPLICATA n° 2", style=Style.REVERSE)
    after_header = original.index(DocLine(Kind.RULE)) + 1
    assert duplicate == original[:after_header] + (mark,) + original[after_header:]
    lines = render(sale, values, width=42, copy=2)
    assert "DUPLICATA n° 2".center(42) in lines
    printed = decode(render_receipt(sale, values, columns=42, copy=2)).find("DUPLICATA")
    assert (printed.text, printed.invert, printed.bold, printed.height) == ("DUPLICATA n° 2", True, True, 2)


def test_training_mode_marks_the_top_and_the_bottom(till):
    till.login(users.find_user("Claire").id, MANAGER_PIN)
    till.set_training(True)
    ticket = sell(till, "D010003")
    doc = receipt_document(ticket, {})
    mark = DocLine(Kind.BANNER, "TRAINING - NOT A VALID RECEIPT")
    assert doc.count(mark) == 2
    assert doc.index(mark) < doc.index(next(line for line in doc if line.text.startswith("Ticket")))
    assert doc[-2] == mark  # the last words before the barcode
    assert render(ticket, {}, width=32).count("TRAINING - NOT A VALID RECEIPT".center(32)) == 2


def test_discounts_and_a_price_override(till):
    till.scan("D010003")
    till.scan("D020044")
    till.set_line_discount(0, Discount("percent", 1000))
    till.authorize(MANAGER_PIN, "price_override")
    till.set_price(1, 300)
    till.authorize(MANAGER_PIN, "discount")
    till.set_ticket_discount(Discount("percent", 1500))
    till.add_payment("cash", 5000)
    ticket = till.validate()
    doc = receipt_document(ticket, {})
    found = pairs(doc)
    assert found["  Discount"] == "-0.12"
    assert DocLine(Kind.TEXT, "  1 x 3.00 (was 3.49)") in doc
    assert found["Subtotal"] == format_amount(ticket.subtotal, "en", currency=False)
    assert found["Ticket discount"] == format_amount(-ticket.discount_amount, "en", currency=False)
    keys = list(found)
    assert keys.index("Subtotal") + 1 == keys.index("Ticket discount") == keys.index("TOTAL") - 1
    # the article lines show their amount before the ticket discount
    assert found["Croissant"] == "1.20" and found["Œufs bio x6"] == "3.00"


# ---------------------------------------------------------------- the styles come from the document
class Reworded:
    """English, with some texts reworded as a translator might (a gettext translation)."""

    def __init__(self, words: dict[str, str]) -> None:
        self.words = words

    def gettext(self, message: str) -> str:
        return self.words.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def styles(data: bytes) -> list[tuple[str, bool, int, int, bool, str]]:
    return [(item.kind, item.bold, item.width, item.height, item.invert, item.align) for item in decode(data).items]


@pytest.fixture
def restore_language():
    yield
    i18n.set_language("en")


@pytest.mark.parametrize("columns", [32, 48])
def test_rewording_total_and_vat_changes_no_style(sale, monkeypatch, restore_language, columns):
    """Translations of TOTAL and VAT that no longer fit their line: the same lines in the same
    styles (finding them by their text, the total lost its bold and the VAT table its layout)."""
    values = settings.all_values()
    plain_doc = receipt_document(sale, values)
    plain = styles(render_receipt(sale, values, columns=columns, copy=1))
    i18n.set_language("fr")
    french_doc = receipt_document(sale, values)
    assert shape(french_doc) == shape(plain_doc)
    assert styles(render_receipt(sale, values, columns=columns, copy=1)) == plain
    monkeypatch.setattr(i18n, "_current", Reworded({
        "TOTAL": "Total à payer, toutes taxes comprises", "VAT": "Taxes", "Excl.": "Hors taxes", "Incl.": "TTC"}))
    reworded_doc = receipt_document(sale, values)
    assert shape(reworded_doc) == shape(plain_doc)
    reworded = decode(render_receipt(sale, values, columns=columns, copy=1))
    assert styles(render_receipt(sale, values, columns=columns, copy=1)) == plain
    total = next(item for item in reworded.items if item.height == 2 and not item.invert and item.align == "left")
    amount = format_amount(sale.total, "fr").replace("\u202f", " ")
    assert total.text.startswith("Total à payer") and total.text.endswith(amount)
    assert all(len(text) <= columns for text in reworded.lines if not text.startswith("["))
    assert not any("…" in text for text in reworded.lines[-6:])  # the VAT rows, narrowed, never cut


def test_a_line_that_reads_like_the_total_is_not_bold(till):
    """An article named TOTAL sold at the ticket's total prints like any article."""
    till.scan("D010003")
    till.basket.lines[0].name = "TOTAL"
    till.add_payment("cash")
    ticket = till.validate()
    items = decode(render_receipt(ticket, {}, columns=48)).items
    assert [item.text.split()[0] for item in items if item.bold] == ["TOTAL"]
    assert sum(item.text.startswith("TOTAL") for item in items) == 2


def test_the_escpos_renderer_prints_the_style_it_is_given():
    doc = (DocLine(Kind.CENTRED, "Shop", style=Style.BIG), DocLine(Kind.PAIR, "TOTAL", "1.00"),
           DocLine(Kind.PAIR, "Bread", "1.00", Style.BOLD), DocLine(Kind.BANNER, "MARK", style=Style.REVERSE),
           DocLine(Kind.CENTRED, "", style=Style.BIG), DocLine(Kind.BARCODE, "T000000007"))
    d = decode(render_document(doc, columns=24))
    assert [(i.text, i.bold, i.width, i.height, i.invert, i.align) for i in d.items] == [
        ("Shop", True, 2, 2, False, "center"),
        ("TOTAL               1.00", False, 1, 1, False, "left"),
        ("Bread               1.00", True, 1, 2, False, "left"),
        ("MARK", True, 2, 2, True, "center"),
        ("", False, 1, 1, False, "left"),
        ("[barcode CODE128 T000000007]", False, 1, 1, False, "left"),
        ("[cut]", False, 1, 1, False, "left"),
    ]


# ---------------------------------------------------------------- the text renderer
def test_text_is_the_document_laid_out(sale):
    values = settings.all_values()
    doc = receipt_document(sale, values)
    lines = text_lines(doc, 42)
    assert render(sale, values, width=42) == lines
    assert lines[0] == "Épicerie du Marché".center(42).rstrip()
    assert lines[-1] == "À bientôt".center(42).rstrip()  # the barcode has no text
    assert lines.count("-" * 42) == 3 and "" in lines
    assert fit("TOTAL", format_amount(sale.total, "en"), 42) in lines
    assert all(len(text) <= 42 for text in lines)


def test_the_vat_table_narrows_rather_than_cuts():
    rows = (("VAT", "Excl.", "VAT", "Incl."), ("5.5%", "18.67", "1.03", "19.70"), ("10%", "1.00", "0.10", "1.10"))
    assert table_lines(rows, (9, 8, 9), 36) == [
        "VAT" + " " * 5 + "    Excl.      VAT     Incl.",
        "5.5%" + " " * 4 + "    18.67     1.03     19.70",
        "10%" + " " * 5 + "     1.00     0.10      1.10"]
    assert table_lines(rows, (9, 8, 9), 20) == [  # columns as wide as their content; a row too long splits
        "VAT Excl.  VAT Incl.",
        "5.5%",
        "    18.67 1.03 19.70",
        "10%  1.00 0.10  1.10"]


def test_fit_shortens_the_left_text_only():
    assert fit("Croissant", "1.20", 16) == "Croissant   1.20"
    assert fit("Pain aux céréales", "3.80", 16) == "Pain aux c… 3.80"


def test_receipt_columns():
    assert receipt_columns({}) == 48
    assert receipt_columns({"printer.columns": "42"}) == 42
    assert receipt_columns({"printer.columns": "48", "printer.paper": "58"}) == 32
    assert receipt_columns({"printer.columns": "42", "printer.paper": "58"}) == 42
