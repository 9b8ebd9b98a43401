"""What a scanned code means: GTIN check digits, in-store variable-measure codes, ticket barcodes.

Pure Python (no Kivy, no SQL): the till calls :func:`decode` with the active rules
(``store.barcode_rules()``) and looks the article up with each candidate in turn.

Variable-measure codes (French scales, GS1 restricted-circulation prefixes 2x) are EAN-13s::

    prefix | article digits | (ignored digits) | value digits | check digit      e.g. 23 12345 00452 C

The default French rules (migration 5) are ``2P AAAAA VVVVV C``: a ``price`` rule carries
the price in cents, a ``weight`` rule the weight in grams (= thousandths of a kg, the till's
quantity unit).  Should a rule's digits add up to fewer than 12, the digits between the
article and the value (some scales print a price check digit there) are ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pos.core.errors import Refusal
from pos.core.i18n import _
from pos.sale.barcode import gtin_check_digit

TICKET_PREFIX = "T"
_TICKET = re.compile(r"[Tt](\d{9,})")
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")  # a symbology identifier some scanners send first (]E0, ]C1...)


class ScanError(Refusal):
    """A scanned code that must not be used (bad check digit...); the message says why."""


class Rule(Protocol):
    """What :func:`decode` needs of a rule (``pos.data.store.BarcodeRuleInfo`` has it)."""

    @property
    def prefix(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def article_digits(self) -> int: ...
    @property
    def value_digits(self) -> int: ...
    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class Decoded:
    code: str  # the cleaned code, as scanned
    candidates: tuple[str, ...]  # the codes to look the article up with, in order
    qty: int | None = None  # thousandths of a kg (weight rules)
    price: int | None = None  # cents (price rules)
    rule: str = ""  # the prefix of the rule that matched, "" for an ordinary code


def clean(code: str) -> str:
    """Drop control characters (anywhere), surrounding whitespace and a leading AIM symbology identifier."""
    text = "".join(ch for ch in code if not unicodedata.category(ch).startswith("C")).strip()
    if _AIM.match(text) and len(text) > 3:
        text = text[3:].strip()
    return text


def _is_gtin_shape(code: str) -> bool:
    return code.isascii() and code.isdigit() and len(code) in (8, 12, 13)


def _fits(rule: Rule) -> bool:
    return (rule.kind in ("price", "weight") and rule.prefix.isdigit() and rule.article_digits >= 0
            and rule.value_digits > 0 and len(rule.prefix) + rule.article_digits + rule.value_digits <= 12)


def match_rule(code: str, rules: Iterable[Rule]) -> Rule | None:
    """The active rule for an EAN-13 (the longest matching prefix; the first in order on a tie)."""
    if len(code) != 13 or not code.isdigit():
        return None
    best: Rule | None = None
    for rule in rules:
        longer = best is None or len(rule.prefix) > len(best.prefix)
        if longer and rule.active and _fits(rule) and code.startswith(rule.prefix):
            best = rule
    return best


def _value_slice(rule: Rule) -> slice:
    return slice(12 - rule.value_digits, 12)


def decode(code: str, rules: Sequence[Rule]) -> Decoded:
    """Clean a scanned code, check its GTIN check digit and apply the variable-measure rules.

    Raises :class:`ScanError` for an empty code or a bad check digit (8, 12 or 13 digits).
    """
    code = clean(code)
    if not code:
        raise ScanError(_("Empty code"))
    if not _is_gtin_shape(code):
        return Decoded(code, (code,))
    if gtin_check_digit(code[:-1]) != int(code[-1]):
        raise ScanError(_("Bad check digit in {code}: scan it again").format(code=code))
    rule = match_rule(code, rules)
    if rule is None:
        if len(code) == 12:  # UPC-A: also stored as its EAN-13 form
            return Decoded(code, (code, "0" + code))
        if len(code) == 13 and code.startswith("0"):
            return Decoded(code, (code, code[1:]))
        return Decoded(code, (code,))
    value = int(code[_value_slice(rule)])
    if value == 0:
        raise ScanError(_("No price or weight in {code}").format(code=code))
    article_end = len(rule.prefix) + rule.article_digits
    body = code[:article_end].ljust(12, "0")
    zeroed = body + str(gtin_check_digit(body))
    candidates = (zeroed, code[:article_end]) if article_end else (zeroed,)
    if rule.kind == "price":
        return Decoded(code, candidates, price=value, rule=rule.prefix)
    return Decoded(code, candidates, qty=value, rule=rule.prefix)


def encode(rule: Rule, article: str, value: int) -> str:
    """The EAN-13 a scale prints for ``article`` (its digits after the prefix) and ``value``
    (cents or grams): the inverse of :func:`decode`, for tests and label printing."""
    if not _fits(rule):
        raise ValueError(f"rule {rule.prefix!r} does not describe an EAN-13")
    if len(article) != rule.article_digits or not (article.isdigit() or article == ""):
        raise ValueError(f"the article part has {rule.article_digits} digits")
    if not 0 <= value < 10 ** rule.value_digits:
        raise ValueError(f"the value has at most {rule.value_digits} digits")
    head = rule.prefix + article
    body = head + "0" * (12 - len(head) - rule.value_digits) + f"{value:0{rule.value_digits}d}"
    return body + str(gtin_check_digit(body))


def ticket_barcode(number: int) -> str:
    """The content of the barcode printed on a receipt for ticket ``number``."""
    return f"{TICKET_PREFIX}{number:09d}"


def ticket_number(code: str) -> int | None:
    """The ticket number of a scanned receipt barcode (``T000000042`` → 42), else None."""
    m = _TICKET.fullmatch(clean(code))
    return int(m[1]) if m else None
