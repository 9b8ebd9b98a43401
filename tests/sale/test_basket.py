"""pos.sale.basket: lines, discounts, VAT per rate and payments (pure Python, no database)."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.core.money import split_vat
from pos.sale.basket import Basket, BasketError, Discount, Line, Payment

RATES = [2000, 1000, 550, 210, 0]


def line(name="x", price=100, qty=1000, vat=550, **kw) -> Line:
    return Line(name=name, unit_price=price, qty=qty, vat_bp=vat, **kw)


def pay(basket: Basket, method: str, amount: int | None = None) -> Payment:
    return basket.add_payment(method, method.title(), method == "cash", amount)


@pytest.fixture
def three_lines() -> Basket:
    """10.00 at 20 %; 2 x 5.00 and 3.00 at 5.5 %: 23.00 in all."""
    b = Basket()
    b.add(line("A", 1000, 1000, 2000))
    b.add(line("B", 500, 2000, 550))
    b.add(line("C", 300, 1000, 550))
    return b


# ---------------------------------------------------------------- VAT
def test_vat_is_computed_from_each_rate_total_not_per_line():
    b = Basket()
    for _ in range(3):
        b.add(line("Baguette", 120, 1000, 550))
    t = b.totals()
    # per line it would be 3 x 0.06 = 0.18; on the rate's total of 3.60 it is 0.19
    assert split_vat(120, 550) == (114, 6)
    assert [(v.vat_bp, v.total, v.excl, v.vat) for v in t.vat] == [(550, 360, 341, 19)]
    assert t.vat_amount == 19


def test_vat_totals_per_rate_sorted_highest_first(three_lines):
    t = three_lines.totals()
    assert t.subtotal == t.total == 2300
    assert [(v.vat_bp, v.total, v.excl, v.vat) for v in t.vat] == [(2000, 1000, 833, 167), (550, 1300, 1232, 68)]
    assert t.line_totals == (1000, 1000, 300)
    assert t.line_shares == (0, 0, 0)


# ---------------------------------------------------------------- line discounts
def test_line_discount_percent():
    b = Basket()
    i = b.add(line("Pain", 299, 3000))
    b.set_line_discount(i, Discount("percent", 1000))  # 10 % of 8.97 = 0.897
    ln = b.lines[i]
    assert (ln.gross, ln.discount_amount, ln.net) == (897, 90, 807)
    assert b.total == 807


def test_line_discount_amount():
    b = Basket()
    i = b.add(line("Pain", 299, 3000))
    b.set_line_discount(i, Discount("amount", 150))
    assert (b.lines[i].discount_amount, b.lines[i].net, b.total) == (150, 747, 747)
    b.set_line_discount(i, None)
    assert b.total == 897


def test_line_discount_refusals():
    b = Basket()
    i = b.add(line("Pain", 299, 1000))
    with pytest.raises(BasketError):
        b.set_line_discount(i, Discount("amount", 300))  # more than the line
    with pytest.raises(BasketError):
        Discount("percent", 10_001)
    with pytest.raises(BasketError):
        Discount("amount", -1)
    with pytest.raises(BasketError):
        Discount("gift", 5)
    with pytest.raises(BasketError):
        b.set_line_discount(5, Discount("percent", 100))
    assert b.lines[i].discount is None
    b.set_line_discount(i, Discount("percent", 10_000))  # 100 % is allowed
    assert b.total == 0


# ---------------------------------------------------------------- ticket discount
def test_ticket_discount_spread_by_rate_total_hand_computed(three_lines):
    three_lines.set_discount(Discount("amount", 100))
    t = three_lines.totals()
    # rates: 20 % has 10.00, 5.5 % has 13.00 -> 100 x 10/23 = 43.48, 100 x 13/23 = 56.52
    # largest remainder: 43 + 57.  Within 5.5 %: 57 x 10/13 = 43.85, 57 x 3/13 = 13.15 -> 44 + 13
    assert t.discount == 100
    assert t.line_shares == (43, 44, 13)
    assert t.line_totals == (957, 956, 287)
    assert t.total == 2200
    # 957 / 1.2 = 797.5 -> 798 (half up); 1243 / 1.055 = 1178.2 -> 1178
    assert [(v.vat_bp, v.total, v.excl, v.vat) for v in t.vat] == [(2000, 957, 798, 159), (550, 1243, 1178, 65)]


def test_ticket_discount_percent(three_lines):
    three_lines.set_discount(Discount("percent", 1000))
    t = three_lines.totals()
    assert (t.subtotal, t.discount, t.total) == (2300, 230, 2070)
    assert [v.total for v in t.vat] == [900, 1170]  # exactly 10 % off each rate here
    assert sum(t.line_shares) == 230


def test_ticket_discount_applies_after_line_discounts(three_lines):
    three_lines.set_line_discount(0, Discount("amount", 500))
    three_lines.set_discount(Discount("percent", 1000))
    t = three_lines.totals()
    assert t.subtotal == 1800
    assert t.discount == 180
    assert t.total == 1620
    assert [v.total for v in t.vat] == [450, 1170]


def test_ticket_discount_larger_than_ticket_refused(three_lines):
    with pytest.raises(BasketError):
        three_lines.set_discount(Discount("amount", 2301))
    assert three_lines.discount is None
    three_lines.set_discount(Discount("amount", 2300))
    assert three_lines.total == 0


line_strategy = st.builds(
    lambda price, weighed, units, grams, vat, disc: (price, grams if weighed else units * 1000, weighed, vat, disc),
    st.integers(0, 50_000),
    st.booleans(),
    st.integers(1, 20),
    st.integers(1, 5_000),
    st.sampled_from(RATES),
    st.one_of(st.none(), st.tuples(st.just("percent"), st.integers(0, 10_000)),
              st.tuples(st.just("amount"), st.integers(0, 100_000))),
)


@given(st.lists(line_strategy, min_size=1, max_size=10),
       st.one_of(st.none(), st.tuples(st.just("percent"), st.integers(0, 10_000)),
                 st.tuples(st.just("amount"), st.integers(0, 10**6))))
def test_totals_properties(specs, ticket_discount):
    b = Basket()
    for price, qty, weighed, vat, disc in specs:
        i = b.add(line("x", price, qty, vat, by_weight=weighed))
        if disc is not None:
            kind, value = disc
            if kind == "amount":
                value = min(value, b.lines[i].gross)
            b.set_line_discount(i, Discount(kind, value))
    if ticket_discount is not None:
        kind, value = ticket_discount
        if kind == "amount":
            value = min(value, b.totals().subtotal)
        b.set_discount(Discount(kind, value))
    t = b.totals()

    assert t.subtotal == sum(ln.net for ln in b.lines)
    assert t.total == t.subtotal - t.discount
    assert 0 <= t.discount <= t.subtotal
    assert sum(t.line_totals) == t.total
    assert sum(t.line_shares) == t.discount
    assert sum(v.total for v in t.vat) == t.total
    assert len({v.vat_bp for v in t.vat}) == len(t.vat)
    for v in t.vat:
        assert v.excl + v.vat == v.total
        assert (v.excl, v.vat) == split_vat(v.total, v.vat_bp)
        members = [k for k, ln in enumerate(b.lines) if ln.vat_bp == v.vat_bp]
        assert v.total == sum(t.line_totals[k] for k in members)
        rate_total = sum(b.lines[k].net for k in members)
        share = sum(t.line_shares[k] for k in members)
        if t.subtotal:  # the rate's share of the discount is proportional to its total
            assert abs(share - Fraction(t.discount * rate_total, t.subtotal)) < 1
    for ln, total in zip(b.lines, t.line_totals):
        assert 0 <= total <= ln.net  # never a negative line on a sale
        assert 0 <= ln.discount_amount <= ln.gross


# ---------------------------------------------------------------- quantities and prices
def test_weighed_quantity():
    b = Basket()
    i = b.add(line("Tomates", 349, 452, by_weight=True))
    assert b.lines[i].gross == 158  # 0.452 kg x 3.49 EUR/kg = 1.57748 -> 1.58
    b.set_qty(i, 1234)
    assert b.total == 431  # 4.30666 -> 4.31


def test_unit_article_needs_whole_quantities():
    b = Basket()
    i = b.add(line("Pain", 120, 1000))
    with pytest.raises(BasketError):
        b.set_qty(i, 1500)
    with pytest.raises(BasketError):
        b.set_qty(i, 0)
    with pytest.raises(BasketError):
        b.set_qty(i, -1000)
    b.set_qty(i, 4000)
    assert b.total == 480


def test_add_refusals():
    b = Basket()
    with pytest.raises(BasketError):
        b.add(line(qty=0))
    with pytest.raises(BasketError):
        b.add(line(qty=-1000))  # a sale line cannot be negative
    with pytest.raises(BasketError):
        b.add(line(price=-5))
    assert b.lines == []
    with pytest.raises(BasketError):
        b.line(0)


def test_price_override_keeps_list_price():
    b = Basket()
    i = b.add(line("Pain", 350, 2000))
    assert not b.lines[i].price_overridden
    b.set_price(i, 300)
    ln = b.lines[i]
    assert (ln.unit_price, ln.list_price, ln.price_overridden) == (300, 350, True)
    assert b.total == 600
    with pytest.raises(BasketError):
        b.set_price(i, -1)
    assert b.lines[i].unit_price == 300
    b.set_price(i, 0)  # a gift
    assert b.total == 0


def test_remove_line(three_lines):
    removed = three_lines.remove(1)
    assert removed.name == "B"
    assert [ln.name for ln in three_lines.lines] == ["A", "C"]
    assert three_lines.total == 1300
    with pytest.raises(BasketError):
        three_lines.remove(2)


# ---------------------------------------------------------------- payments
def test_split_payment_card_then_cash_gives_change():
    b = Basket()
    b.add(line("Pain", 120, 3000))  # 3.60
    pay(b, "card", 200)
    assert b.remaining == 160
    assert b.change == 0
    pay(b, "cash", 2000)
    assert (b.paid, b.remaining, b.change) == (2200, 0, 1840)
    totals = b.check_payable()
    assert totals.total == 360


def test_payment_without_amount_pays_the_rest():
    b = Basket()
    b.add(line("Pain", 120, 3000))
    pay(b, "cheque", 100)
    p = pay(b, "card")
    assert p.amount == 260
    assert (b.remaining, b.change) == (0, 0)
    b.check_payable()
    with pytest.raises(BasketError):
        pay(b, "cash", 100)  # nothing left to pay


@pytest.mark.parametrize("method", ["card", "cheque", "voucher"])
def test_only_cash_may_be_over_tendered(method):
    b = Basket()
    b.add(line("Pain", 120, 3000))
    with pytest.raises(BasketError):
        pay(b, method, 361)
    assert b.payments == []
    pay(b, method, 360)
    assert b.remaining == 0


def test_non_cash_cannot_exceed_what_is_left_after_cash():
    b = Basket()
    b.add(line("Pain", 1000, 1000))
    pay(b, "cash", 500)
    with pytest.raises(BasketError):
        pay(b, "card", 600)
    pay(b, "card", 500)
    assert (b.remaining, b.change) == (0, 0)


def test_payment_refusals():
    b = Basket()
    with pytest.raises(BasketError):
        pay(b, "cash", 100)  # empty basket
    b.add(line("Pain", 120, 1000))
    with pytest.raises(BasketError):
        pay(b, "cash", 0)
    with pytest.raises(BasketError):
        pay(b, "cash", -50)
    with pytest.raises(BasketError):
        b.check_payable()  # not paid
    pay(b, "cash", 100)
    with pytest.raises(BasketError):
        b.check_payable()  # still 0.20 to pay
    assert b.remaining == 20
    removed = b.remove_payment(0)
    assert removed.amount == 100 and b.payments == []
    with pytest.raises(BasketError):
        b.remove_payment(0)


def test_change_is_only_given_from_cash():
    # payments built by hand (bypassing add_payment) cannot give change from a card
    b = Basket(payments=[Payment("card", "Card", 500, False)])
    b.add(line("Pain", 120, 1000))
    assert b.change == 380
    with pytest.raises(BasketError):
        b.check_payable()


def test_zero_total_basket_needs_no_payment():
    b = Basket()
    b.add(line("Pain", 120, 1000))
    b.set_discount(Discount("percent", 10_000))
    assert (b.total, b.remaining) == (0, 0)
    assert b.check_payable().total == 0


@given(st.integers(1, 100_000), st.integers(0, 100_000), st.integers(0, 100_000))
def test_card_then_cash_property(total, card, extra):
    b = Basket()
    b.add(line("x", total, 1000))
    card = min(card, total)
    if card:
        pay(b, "card", card)
    if b.remaining:
        pay(b, "cash", b.remaining + extra)
        assert b.change == extra
    assert b.paid - b.change == total
    assert b.remaining == 0
    b.check_payable()


# ---------------------------------------------------------------- refunds
def refund_basket() -> Basket:
    b = Basket(refund_of=12)
    b.add(line("Pain", 350, -2000, 550, preset_net=-630, refund_of_line=40))
    b.add(line("Vin", 790, -1000, 2000, preset_net=-711, refund_of_line=41))
    return b


def test_refund_basket_is_negative():
    b = refund_basket()
    t = b.totals()
    assert b.is_refund
    assert t.total == -1341
    assert t.line_totals == (-630, -711)
    assert [(v.vat_bp, v.total, v.excl, v.vat) for v in t.vat] == [(2000, -711, -593, -118), (550, -630, -597, -33)]
    assert b.lines[0].discount_amount == -70  # gross -700, refunded net -630
    assert b.remaining == -1341
    assert b.change == 0


def test_refund_payments_are_given_back_and_never_exceed_the_due():
    b = refund_basket()
    with pytest.raises(BasketError):
        pay(b, "cash", 2000)  # not even cash can give back more than is due
    p = pay(b, "cash", 1000)
    assert p.amount == -1000  # stored negative
    assert b.remaining == -341
    p = pay(b, "card")
    assert p.amount == -341
    assert (b.remaining, b.change, b.paid) == (0, 0, -1341)
    assert b.check_payable().total == -1341


def test_refund_keeps_original_prices_and_discounts():
    b = refund_basket()
    with pytest.raises(BasketError):
        b.set_price(0, 100)
    with pytest.raises(BasketError):
        b.set_qty(0, 1000)
    with pytest.raises(BasketError):
        b.set_line_discount(0, Discount("percent", 1000))
    with pytest.raises(BasketError):
        b.set_discount(Discount("percent", 1000))
    assert b.total == -1341


# ---------------------------------------------------------------- persistence
def test_to_dict_from_dict_round_trip(three_lines):
    b = three_lines
    b.lines.append(line("Tomates", 349, 452, 550, by_weight=True, article_id=7, reference="D04", barcode="376"))
    b.set_line_discount(1, Discount("percent", 1500))
    b.set_price(2, 250)
    b.set_discount(Discount("amount", 99))
    b.customer_id = 3
    b.label = "Mme Dupont"
    pay(b, "card", 500)
    data = json.loads(json.dumps(b.to_dict()))  # as stored in the database
    again = Basket.from_dict(data)
    assert again == b
    assert again.totals() == b.totals()
    assert again.lines[2].list_price == 300 and again.lines[2].price_overridden
    assert isinstance(again.lines[1].discount, Discount)


def test_refund_round_trip():
    b = refund_basket()
    pay(b, "cash", 1000)
    again = Basket.from_dict(json.loads(json.dumps(b.to_dict())))
    assert again == b
    assert again.is_refund and again.refund_of == 12
    assert again.totals() == b.totals()
    assert again.remaining == -341
