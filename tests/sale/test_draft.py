"""pos.sale.draft: the typed ticket made by one pure function from a basket (no database)."""

from __future__ import annotations

import dataclasses

import pytest

from pos.sale.basket import Basket, Discount, Line, Payment
from pos.sale.draft import DraftLine, DraftPayment, DraftVat, TicketDraft, ticket_draft

AT = "2024-03-15T10:00:00+01:00"


def draft(basket: Basket, **kw) -> TicketDraft:
    return ticket_draft(basket, basket.totals(), user_id=7, user_name="Marie", created_at=AT, **kw)


def paid(basket: Basket, method: str = "card", amount: int | None = None) -> Basket:
    basket.add_payment(method, method.title(), method == "cash", amount)
    return basket


def test_a_sale() -> None:
    basket = Basket(customer_id=3)
    basket.add(Line("Croissant", 110, 3000, 550, article_id=12, reference="D010003", barcode="3760",
                    department="Viennoiserie"))
    basket.add(Line("Journal", 250, 1000, 210))
    d = draft(paid(basket, "cash", 1000))
    assert (d.kind, d.channel, d.user_id, d.user_name, d.created_at) == ("sale", "pos", 7, "Marie", AT)
    assert (d.customer_id, d.refund_of, d.training) == (3, None, False)
    assert (d.subtotal, d.discount_kind, d.discount_value, d.discount_amount, d.total) == (580, None, None, 0, 580)
    assert (d.paid, d.change) == (1000, 420)
    assert d.lines[0] == DraftLine(
        position=1, article_id=12, reference="D010003", barcode="3760", name="Croissant",
        department="Viennoiserie", qty=3000, unit_price=110, list_price=110, vat_bp=550, discount_kind=None,
        discount_value=None, discount_amount=0, ticket_discount=0, total=330, refund_of_line=None,
        by_weight=False)
    assert [ln.position for ln in d.lines] == [1, 2]
    assert d.vat == (DraftVat(vat_bp=550, total=330, excl=313, vat=17),
                     DraftVat(vat_bp=210, total=250, excl=245, vat=5))
    assert d.payments == (DraftPayment(method_code="cash", method_name="Cash", amount=1000),)


def test_discounts_on_lines_and_on_the_ticket() -> None:
    basket = Basket()
    basket.add(Line("A", 1000, 1000, 2000, discount=Discount("percent", 1000)))  # 10 %: 9.00
    basket.add(Line("B", 500, 2000, 550, discount=Discount("amount", 100)))  # 9.00
    basket.set_discount(Discount("amount", 300))
    totals = basket.totals()
    d = draft(paid(basket))
    a, b = d.lines
    assert (a.discount_kind, a.discount_value, a.discount_amount) == ("percent", 1000, 100)
    assert (b.discount_kind, b.discount_value, b.discount_amount) == ("amount", 100, 100)
    assert (d.discount_kind, d.discount_value, d.discount_amount) == ("amount", 300, 300)
    assert (a.ticket_discount, b.ticket_discount) == totals.line_shares
    assert a.ticket_discount + b.ticket_discount == 300
    assert (a.total, b.total) == totals.line_totals
    assert (d.subtotal, d.total, d.paid, d.change) == (1800, 1500, 1500, 0)
    assert sum(v.total for v in d.vat) == 1500


def test_weight_lines_and_price_overrides() -> None:
    basket = Basket()
    basket.add(Line("Comté", 2490, 452, 550, by_weight=True))  # 452 g at 24.90 €/kg
    basket.add(Line("Pain", 100, 1000, 550, list_price=120))  # overridden: 1.00 instead of 1.20
    d = draft(paid(basket))
    cheese, bread = d.lines
    assert (cheese.qty, cheese.by_weight, cheese.total) == (452, True, 1125)
    assert (bread.unit_price, bread.list_price, bread.by_weight) == (100, 120, False)


def test_a_refund_keeps_its_preset_net_amounts() -> None:
    basket = Basket(refund_of=41, customer_id=5)
    basket.lines.append(Line("A", 1000, -1000, 2000, refund_of_line=301, preset_net=-850))
    basket.lines.append(Line("B", 333, -2000, 550, refund_of_line=302, preset_net=-600))
    d = draft(paid(basket, "cash"))
    assert (d.kind, d.refund_of, d.customer_id) == ("refund", 41, 5)
    assert [(ln.qty, ln.refund_of_line, ln.total) for ln in d.lines] == [(-1000, 301, -850), (-2000, 302, -600)]
    assert [ln.discount_amount for ln in d.lines] == [-150, -66]  # gross - the net given back
    assert (d.subtotal, d.total, d.paid, d.change) == (-1450, -1450, -1450, 0)
    assert d.payments == (DraftPayment(method_code="cash", method_name="Cash", amount=-1450),)


def test_a_web_order_and_training() -> None:
    basket = Basket()
    basket.add(Line("T-shirt", 2352, 1000, 2000))
    basket.payments.append(Payment("web", "Paiement en ligne", 2352))
    assert draft(basket, channel="web").channel == "web"
    assert draft(basket, training=True).training is True


def test_the_function_is_pure() -> None:
    basket = paid(Basket(lines=[Line("A", 100, 1000, 550)]))
    before = basket.to_dict()
    assert draft(basket) == draft(basket)
    assert basket.to_dict() == before


def test_a_draft_is_frozen_and_has_no_other_fields() -> None:
    d = draft(paid(Basket(lines=[Line("A", 100, 1000, 550)])))
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.total = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.lines[0].qty = 2000  # type: ignore[misc]
    assert isinstance(d.lines, tuple) and isinstance(d.vat, tuple) and isinstance(d.payments, tuple)
    assert not hasattr(d, "__dict__")  # slots: no stray attribute can hide anywhere


def test_a_misspelt_field_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="metod_code"):
        DraftPayment(metod_code="card", method_name="Card", amount=100)  # type: ignore[call-arg]
    d = draft(paid(Basket(lines=[Line("A", 100, 1000, 550)])))
    with pytest.raises(TypeError, match="totl"):
        dataclasses.replace(d, totl=100)
    with pytest.raises(TypeError):  # keyword arguments only: no field is filled by position
        DraftVat(550, 100, 95, 5)  # type: ignore[misc]


@pytest.mark.parametrize("amount", [1.5, 100.0, "100", True, None])
def test_money_is_integer_cents(amount) -> None:
    with pytest.raises(TypeError, match="DraftPayment.amount is int"):
        DraftPayment(method_code="card", method_name="Card", amount=amount)
    d = draft(paid(Basket(lines=[Line("A", 100, 1000, 550)])))
    with pytest.raises(TypeError, match="TicketDraft.total is int"):
        dataclasses.replace(d, total=amount)
    with pytest.raises(TypeError, match="DraftLine.unit_price is int"):
        dataclasses.replace(d.lines[0], unit_price=amount)


def test_a_basket_with_a_float_price_is_refused() -> None:
    basket = paid(Basket(lines=[Line("A", 100, 1000, 550)]))
    basket.lines[0].list_price = 100.0  # type: ignore[assignment]
    with pytest.raises(TypeError, match="list_price"):
        ticket_draft(basket, basket.totals(), user_id=1, user_name="x", created_at=AT)


def test_known_kinds_only() -> None:
    d = draft(paid(Basket(lines=[Line("A", 100, 1000, 550)])))
    with pytest.raises(ValueError, match="kind"):
        dataclasses.replace(d, kind="void")
    with pytest.raises(ValueError, match="channel"):
        dataclasses.replace(d, channel="phone")
    with pytest.raises(ValueError, match="discount kind"):
        dataclasses.replace(d.lines[0], discount_kind="gift", discount_value=1)
    with pytest.raises(ValueError, match="refund"):
        dataclasses.replace(d, kind="refund")  # a refund names its ticket
    with pytest.raises(TypeError, match="DraftLine"):
        dataclasses.replace(d, lines=({"position": 1},))


def test_the_amounts_must_add_up() -> None:
    d = draft(paid(Basket(lines=[Line("A", 100, 1000, 550), Line("B", 200, 1000, 2000)])))
    with pytest.raises(ValueError, match="lines"):
        dataclasses.replace(d, lines=d.lines[:1])
    with pytest.raises(ValueError, match="payments"):
        dataclasses.replace(d, payments=())
    with pytest.raises(ValueError, match="VAT"):
        dataclasses.replace(d, vat=d.vat[:1])
    with pytest.raises(ValueError, match="positions"):
        dataclasses.replace(d, lines=d.lines[::-1])
    with pytest.raises(ValueError, match="change"):
        dataclasses.replace(d, paid=400, change=50, payments=(dataclasses.replace(d.payments[0], amount=400),))
    with pytest.raises(ValueError, match="lines"):
        dataclasses.replace(d, lines=(), vat=(), payments=(), subtotal=0, total=0, paid=0)
    with pytest.raises(ValueError, match="3 \\+ 4 is not 8"):
        DraftVat(vat_bp=550, total=8, excl=3, vat=4)
