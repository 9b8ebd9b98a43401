"""Scanned codes: check digits, variable-measure (scale) codes, ticket barcodes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos.core import i18n
from pos.sale.barcode import gtin_check_digit, make_ean13
from pos.sale.scancodes import Decoded, ScanError, clean, decode, encode, match_rule, ticket_barcode, ticket_number


@dataclass(frozen=True)
class R:  # the fields of pos.data.store.BarcodeRuleInfo that decode uses
    prefix: str
    kind: str
    article_digits: int = 5
    value_digits: int = 5
    active: bool = True


# the French defaults of migration 5
FRENCH = [R("21", "price"), R("22", "price"), R("23", "weight"), R("24", "weight"), R("25", "price"),
          R("26", "weight"), R("27", "weight"), R("28", "price")]


@pytest.fixture(autouse=True)
def english():
    i18n.set_language("en")
    yield
    i18n.set_language("en")


def test_ordinary_codes():
    assert decode("4006381333931", FRENCH) == Decoded("4006381333931", ("4006381333931",))
    assert decode("96385074", FRENCH) == Decoded("96385074", ("96385074",))  # EAN-8
    assert decode("A00123", FRENCH) == Decoded("A00123", ("A00123",))  # a reference
    assert decode("12345", FRENCH).candidates == ("12345",)  # digits, but not a GTIN length


def test_upc_a_and_its_ean13_form_are_the_same_article():
    assert decode("036000291452", FRENCH).candidates == ("036000291452", "0036000291452")
    assert decode("0036000291452", FRENCH).candidates == ("0036000291452", "036000291452")


def test_cleaning():
    assert decode(" 4006381333931\r\n", FRENCH).code == "4006381333931"
    assert decode("\x024006381333931\x03", FRENCH).code == "4006381333931"  # STX/ETX framing
    assert decode("]E04006381333931", FRENCH).code == "4006381333931"  # AIM symbology identifier
    assert clean("\tA 12\x00") == "A 12"


def test_empty_code_is_refused():
    with pytest.raises(ScanError, match="Empty code"):
        decode(" \r\n", FRENCH)


@pytest.mark.parametrize("code", ["4006381333932", "96385075", "036000291453", "2312345004521"])
def test_bad_check_digit_is_refused_with_the_code(code):
    with pytest.raises(ScanError) as err:
        decode(code, FRENCH)
    assert str(err.value) == f"Bad check digit in {code}: scan it again"


def test_bad_check_digit_message_in_french():
    i18n.set_language("fr")
    with pytest.raises(ScanError) as err:
        decode("4006381333932", FRENCH)
    assert "4006381333932" in str(err.value)


def test_weight_code():
    code = make_ean13("231234500452")  # prefix 23 (weight), article 12345, 452 g
    d = decode(code, FRENCH)
    assert d.qty == 452 and d.price is None and d.rule == "23"
    assert d.candidates == (make_ean13("231234500000"), "2312345")


def test_price_code():
    code = make_ean13("211234501250")  # prefix 21 (price), article 12345, 12,50 €
    d = decode(code, FRENCH)
    assert d.price == 1250 and d.qty is None and d.rule == "21"
    assert d.candidates == (make_ean13("211234500000"), "2112345")


def test_inactive_rules_and_other_prefixes_are_ordinary_codes():
    code = make_ean13("231234500452")
    assert decode(code, [R("23", "weight", active=False)]).candidates == (code,)
    assert decode(code, []).candidates == (code,)
    other = make_ean13("291234500452")
    assert decode(other, FRENCH).candidates == (other,)


def test_longest_prefix_wins_and_odd_layouts():
    rules = [R("2", "price", 6, 5), R("23", "weight", 4, 5)]
    d = decode(make_ean13("231234000452"), rules)
    assert d.rule == "23" and d.qty == 452 and d.candidates[1] == "231234"
    # 2 + 4 + 5 = 11 digits: the twelfth (a scale's price check digit) is ignored
    d = decode(make_ean13("231234700452"), [R("23", "weight", 4, 5)])
    assert d.qty == 452 and d.candidates == (make_ean13("231234000000"), "231234")
    # a rule that cannot fit an EAN-13 is ignored
    assert match_rule(make_ean13("231234500452"), [R("23", "weight", 6, 6)]) is None


def test_zero_value_is_refused():
    with pytest.raises(ScanError, match="No price or weight"):
        decode(make_ean13("231234500000"), FRENCH)


def test_ticket_number():
    assert ticket_barcode(42) == "T000000042"
    assert ticket_number("T000000042") == 42
    assert ticket_number(" t000000042\r") == 42
    assert ticket_number("T1234567890") == 1234567890
    assert ticket_number("T42") is None
    assert ticket_number("4006381333931") is None
    assert ticket_number("TX00000042") is None


# ------------------------------------------------------------------ properties
rules = st.sampled_from(FRENCH)
articles = st.integers(0, 99_999).map(lambda n: f"{n:05d}")
values = st.integers(1, 99_999)


@settings(deadline=None)  # no per-example deadline: the suite runs on loaded machines
@given(rules, articles, values)
def test_encode_decode_round_trip(rule, article, value):
    code = encode(rule, article, value)
    assert len(code) == 13 and gtin_check_digit(code[:-1]) == int(code[-1])
    d = decode(code, FRENCH)
    assert d.rule == rule.prefix
    if rule.kind == "price":
        assert (d.price, d.qty) == (value, None)
    else:
        assert (d.qty, d.price) == (value, None)
    zeroed, short = d.candidates
    assert short == rule.prefix + article
    assert zeroed == encode(rule, article, 0)  # the same article whatever the value
    assert decode(zeroed, []).candidates == (zeroed,)  # a valid EAN-13 itself


@settings(deadline=None)
@given(rules, articles, values, values)
def test_same_article_any_value_gives_the_same_candidates(rule, article, v1, v2):
    assert decode(encode(rule, article, v1), FRENCH).candidates == decode(encode(rule, article, v2), FRENCH).candidates


@settings(deadline=None)
@given(st.text(alphabet="0123456789", min_size=12, max_size=12), st.integers(0, 12), st.integers(1, 9))
def test_any_single_digit_change_is_refused(body, position, delta):
    code = make_ean13(body)
    wrong = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1:]
    with pytest.raises(ScanError, match="Bad check digit"):
        decode(wrong, FRENCH)


@settings(deadline=None)
@given(st.text(alphabet="0123456789", min_size=7, max_size=7), st.integers(0, 7), st.integers(1, 9))
def test_any_single_digit_change_of_an_ean8_is_refused(body, position, delta):
    code = body + str(gtin_check_digit(body))
    wrong = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1:]
    with pytest.raises(ScanError):
        decode(wrong, FRENCH)


@settings(deadline=None)
@given(st.integers(0, 10**12))
def test_ticket_barcode_round_trip(number):
    assert ticket_number(ticket_barcode(number)) == number
    assert ticket_number(f"\x02{ticket_barcode(number)}\r\n") == number
