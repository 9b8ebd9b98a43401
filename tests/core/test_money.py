"""pos.core.money: integer cents, the one rounding rule, parsing and formatting."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.core.money import (
    allocate,
    format_amount,
    format_qty,
    format_rate,
    line_amount,
    parse_amount,
    parse_qty,
    parse_rate,
    percent_of,
    round_div,
    split_vat,
)

NNBSP = "\u202f"  # narrow no-break space


def half_away(q: Fraction) -> int:
    """Reference rounding, written independently of round_div."""
    mag = abs(q)
    whole = int(mag)  # floor of the magnitude
    if mag - whole >= Fraction(1, 2):
        whole += 1
    return -whole if q < 0 else whole


# ---------------------------------------------------------------- round_div
@pytest.mark.parametrize(("n", "d", "expected"), [
    (5, 2, 3), (-5, 2, -3), (5, -2, -3), (-5, -2, 3),
    (15, 10, 2), (-15, 10, -2), (25, 10, 3), (-25, 10, -3),  # not banker's rounding
    (7, 2, 4), (4, 3, 1), (-4, 3, -1), (2, 3, 1), (-2, 3, -1), (1, 3, 0), (-1, 3, 0),
    (0, 7, 0), (10, 5, 2), (-10, 5, -2), (149, 100, 1), (150, 100, 2), (-150, 100, -2),
])
def test_round_div_half_away_from_zero(n, d, expected):
    assert round_div(n, d) == expected


def test_round_div_by_zero():
    with pytest.raises(ZeroDivisionError):
        round_div(1, 0)


@given(st.integers(-10**12, 10**12), st.integers(-10**6, 10**6).filter(bool))
def test_round_div_matches_exact_rounding(n, d):
    result = round_div(n, d)
    assert result == half_away(Fraction(n, d))
    assert round_div(-n, d) == -result  # a refund mirrors its sale
    assert abs(Fraction(n, d) - result) <= Fraction(1, 2)


def test_line_amount_and_percent_of():
    assert line_amount(349, 452) == 158  # 0.452 kg x 3.49 EUR/kg = 1.57748 -> 1.58
    assert line_amount(120, 3000) == 360
    assert line_amount(120, -3000) == -360
    assert line_amount(1, 500) == 1  # half a cent rounds up
    assert line_amount(1, -500) == -1
    assert percent_of(897, 1000) == 90  # 10 % of 8.97 = 0.897
    assert percent_of(-897, 1000) == -90
    assert percent_of(1250, 550) == 69  # 68.75 -> 69


# ---------------------------------------------------------------- split_vat
@pytest.mark.parametrize(("total", "rate", "excl", "vat"), [
    (120, 550, 114, 6),  # a baguette at 1.20 EUR, 5.5 %
    (1000, 2000, 833, 167),  # 10.00 EUR at 20 %
    (100, 2000, 83, 17),
    (957, 2000, 798, 159),  # 797.5 rounds half up
    (1200, 1000, 1091, 109),  # 12.00 EUR at 10 %
    (150, 210, 147, 3),  # a newspaper, 2.1 %
    (1548, 0, 1548, 0),  # stamps, exempt
    (360, 550, 341, 19),
    (-120, 550, -114, -6),  # refund: exact mirror
    (0, 2000, 0, 0),
])
def test_split_vat_french_examples(total, rate, excl, vat):
    assert split_vat(total, rate) == (excl, vat)


@given(st.integers(-10**9, 10**9), st.sampled_from([0, 210, 550, 850, 1000, 2000]))
def test_split_vat_parts_add_up(total, rate):
    excl, vat = split_vat(total, rate)
    assert excl + vat == total
    assert excl == half_away(Fraction(total * 10_000, 10_000 + rate))
    assert split_vat(-total, rate) == (-excl, -vat)
    assert abs(vat) <= abs(total)


# ---------------------------------------------------------------- allocate
@pytest.mark.parametrize(("amount", "weights", "expected"), [
    (100, [1, 1, 1], [34, 33, 33]),
    (-100, [1, 1, 1], [-34, -33, -33]),
    (100, [1000, 1300], [43, 57]),  # 43.47 / 56.52: the larger remainder gets the cent
    (57, [1000, 300], [44, 13]),
    (10, [0, 5, 5], [0, 5, 5]),
    (1, [0, 3, 0], [0, 1, 0]),
    (7, [0, 0], [7, 0]),  # all weights zero: everything to the first
    (0, [3, 4], [0, 0]),
    (5, [], []),
    (2, [1, 1, 1], [1, 1, 0]),  # equal remainders: the first ones win
])
def test_allocate_examples(amount, weights, expected):
    assert allocate(amount, weights) == expected


@given(st.integers(-10**7, 10**7), st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
def test_allocate_sums_exactly_and_is_proportional(amount, weights):
    parts = allocate(amount, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == amount
    total = sum(weights)
    if total == 0:
        return
    for part, w in zip(parts, weights):
        exact = Fraction(amount * w, total)
        assert abs(part - exact) < 1  # floor or floor + 1 of the exact share
        if w == 0:
            assert part == 0
        assert part == 0 or (part > 0) == (amount > 0)
    assert allocate(-amount, weights) == [-p for p in parts]


# ---------------------------------------------------------------- parsing
@pytest.mark.parametrize(("text", "cents"), [
    ("12,50", 1250), ("12.5", 1250), ("12", 1200), ("12,", 1200), ("0,05", 5), ("0.5", 50),
    ("-3,20 €", -320), ("+7", 700), ("1 234,56", 123456), (f"1{NNBSP}234,56{NNBSP}€", 123456),
    ("1\xa0000", 100000), ("3 EUR", 300), ("3eur", 300), ("  42  ", 4200), ("999999999,99", 99999999999),
])
def test_parse_amount_good(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", [
    "", " ", "abc", "12,505", "1,2,3", "1.2.3", "€12", "--1", "1e3", "12 $", "1234567890", ",5", "12,5a",
])
def test_parse_amount_bad(text):
    with pytest.raises(ValueError):
        parse_amount(text)


@pytest.mark.parametrize(("text", "milli"), [
    ("3", 3000), ("0,452", 452), ("0.452", 452), ("1.5", 1500), ("1,5", 1500), ("-2", -2000), (" 2 ", 2000),
    ("0,001", 1), ("12,", 12000),
])
def test_parse_qty_good(text, milli):
    assert parse_qty(text) == milli


@pytest.mark.parametrize("text", ["", "abc", "0,0005", "1,2345", "3 kg", "1/2", "12345678", "1..2"])
def test_parse_qty_bad(text):
    with pytest.raises(ValueError):
        parse_qty(text)


@pytest.mark.parametrize(("text", "bp"), [
    ("5,5", 550), ("5.5", 550), ("20", 2000), ("20 %", 2000), ("20%", 2000), ("2,1", 210), ("0", 0),
    ("5,55", 555), ("100", 10_000),
])
def test_parse_rate_good(text, bp):
    assert parse_rate(text) == bp


@pytest.mark.parametrize("text", ["", "-5", "abc", "5,555", "1000", "5 %%", "%"])
def test_parse_rate_bad(text):
    with pytest.raises(ValueError):
        parse_rate(text)


# ---------------------------------------------------------------- formatting
@pytest.mark.parametrize(("cents", "text"), [
    (1234567, f"12{NNBSP}345,67{NNBSP}€"),
    (100000, f"1{NNBSP}000,00{NNBSP}€"),
    (99999, f"999,99{NNBSP}€"),
    (5, f"0,05{NNBSP}€"),
    (0, f"0,00{NNBSP}€"),
    (-320, f"-3,20{NNBSP}€"),
    (-123456789, f"-1{NNBSP}234{NNBSP}567,89{NNBSP}€"),
])
def test_format_amount_fr(cents, text):
    assert format_amount(cents, "fr") == text


def test_format_amount_fr_uses_narrow_no_break_spaces_only():
    text = format_amount(1234567, "fr")
    assert " " not in text and "\xa0" not in text
    assert text.count(NNBSP) == 2
    assert format_amount(1234567, "fr", currency=False) == f"12{NNBSP}345,67"


@pytest.mark.parametrize(("cents", "text", "bare"), [
    (1234567, "€12,345.67", "12,345.67"),
    (5, "€0.05", "0.05"),
    (-320, "-€3.20", "-3.20"),
    (100000000, "€1,000,000.00", "1,000,000.00"),
])
def test_format_amount_en(cents, text, bare):
    assert format_amount(cents, "en") == text
    assert format_amount(cents, "en", currency=False) == bare


@given(st.integers(-(10**11) + 1, 10**11 - 1))
def test_format_then_parse_round_trip_fr(cents):
    assert parse_amount(format_amount(cents, "fr")) == cents
    assert parse_amount(format_amount(cents, "fr", currency=False)) == cents


@pytest.mark.parametrize(("milli", "fr", "en"), [
    (3000, "3", "3"), (452, "0,452", "0.452"), (1500, "1,5", "1.5"), (-2000, "-2", "-2"), (1, "0,001", "0.001"),
])
def test_format_qty(milli, fr, en):
    assert format_qty(milli, "fr") == fr
    assert format_qty(milli, "en") == en
    assert parse_qty(fr) == milli


@pytest.mark.parametrize(("bp", "fr", "en"), [
    (550, f"5,5{NNBSP}%", "5.5%"), (2000, f"20{NNBSP}%", "20%"), (210, f"2,1{NNBSP}%", "2.1%"),
    (0, f"0{NNBSP}%", "0%"), (505, f"5,05{NNBSP}%", "5.05%"),
])
def test_format_rate(bp, fr, en):
    assert format_rate(bp, "fr") == fr
    assert format_rate(bp, "en") == en
    assert parse_rate(fr.replace(NNBSP, " ")) == bp
