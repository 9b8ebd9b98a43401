"""Money and quantities as integers, and the one rounding rule.

* Amounts are integer cents (``int``). Never floats.
* Quantities are integer thousandths ("milli"): 1 article = 1000, 0.452 kg = 452.
* VAT rates are integer hundredths of a percent ("basis points"): 5.5 % = 550.

The rounding rule, used on screen, receipt, report and sync alike:
**round half up, on the magnitude** (half away from zero), so that a refund is the
exact mirror of its sale.  ``round_div(n, d)`` is the only place it is implemented.
"""

from __future__ import annotations

import re

from pos.core.errors import InvalidValue
from pos.core.i18n import _

QTY_ONE = 1000  # one unit, in thousandths
BP_ONE = 10_000  # 100 %, in basis points

NBSP_NARROW = "\u202f"  # narrow no-break space, before € and between thousands in French
THIN = "\u202f"


def round_div(numerator: int, denominator: int) -> int:
    """Divide two integers and round half away from zero."""
    if denominator == 0:
        raise ZeroDivisionError("round_div by zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return -q if numerator < 0 else q


def line_amount(unit_cents: int, qty_milli: int) -> int:
    """Amount of ``qty_milli`` thousandths at ``unit_cents`` each, rounded."""
    return round_div(unit_cents * qty_milli, QTY_ONE)


def percent_of(amount: int, rate_bp: int) -> int:
    """``rate_bp`` basis points of ``amount``, rounded."""
    return round_div(amount * rate_bp, BP_ONE)


def split_vat(total_incl: int, rate_bp: int) -> tuple[int, int]:
    """Split a VAT-inclusive total into (excl. VAT, VAT).

    The excl.-VAT part is rounded; VAT is the remainder, so excl + VAT == total always.
    """
    excl = round_div(total_incl * BP_ONE, BP_ONE + rate_bp)
    return excl, total_incl - excl


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` in proportion to ``weights`` (largest remainder method).

    The parts always sum to ``amount`` exactly.  Weights of zero get zero
    (unless all weights are zero, in which case everything goes to the first).
    """
    if not weights:
        return []
    total = sum(weights)
    if total == 0:
        return [amount] + [0] * (len(weights) - 1)
    sign = -1 if amount < 0 else 1
    mag = abs(amount)
    shares = []
    remainders = []
    for i, w in enumerate(weights):
        q, r = divmod(mag * w, total)
        shares.append(q)
        remainders.append((r, -i))
    left = mag - sum(shares)
    for _rem, neg_i in sorted(remainders, reverse=True)[:left]:
        shares[-neg_i] += 1
    return [sign * s for s in shares]


_AMOUNT_RE = re.compile(r"^\s*([+-]?)\s*([0-9]{1,9})(?:[.,]([0-9]{0,2}))?\s*(?:€|eur|EUR)?\s*$")
_QTY_RE = re.compile(r"^\s*([+-]?)([0-9]{1,7})(?:[.,]([0-9]{0,3}))?\s*$")
_RATE_RE = re.compile(r"^\s*([0-9]{1,3})(?:[.,]([0-9]{0,2}))?\s*%?\s*$")


def parse_amount(text: str) -> int:
    """Parse ``"12,50"``, ``"12.5"``, ``"12"``, ``"-3,20 €"`` into cents."""
    m = _AMOUNT_RE.match(str(text).replace(NBSP_NARROW, "").replace("\xa0", "").replace(" ", ""))
    if not m:
        raise InvalidValue(_("not an amount: {text}").format(text=text))
    sign, units, frac = m.groups()
    cents = int(units) * 100 + int((frac or "").ljust(2, "0") or 0)
    return -cents if sign == "-" else cents


def parse_qty(text: str) -> int:
    """Parse ``"3"``, ``"0,452"``, ``"1.5"`` into thousandths."""
    m = _QTY_RE.match(str(text))
    if not m:
        raise InvalidValue(_("not a quantity: {text}").format(text=text))
    sign, units, frac = m.groups()
    milli = int(units) * QTY_ONE + int((frac or "").ljust(3, "0") or 0)
    return -milli if sign == "-" else milli


def parse_rate(text: str) -> int:
    """Parse a VAT or discount rate in percent (``"5,5"``, ``"20 %"``) into basis points."""
    m = _RATE_RE.match(str(text))
    if not m:
        raise InvalidValue(_("not a rate: {text}").format(text=text))
    units, frac = m.groups()
    return int(units) * 100 + int((frac or "").ljust(2, "0") or 0)


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def format_amount(cents: int, lang: str = "fr", currency: bool = True) -> str:
    """``1234567`` → ``"12 345,67 €"`` (fr) or ``"€12,345.67"`` (en)."""
    sign = "-" if cents < 0 else ""
    units, frac = divmod(abs(cents), 100)
    if lang == "fr":
        text = f"{sign}{_group(str(units), THIN)},{frac:02d}"
        return f"{text}{NBSP_NARROW}€" if currency else text
    text = f"{_group(str(units), ',')}.{frac:02d}"
    return f"{sign}€{text}" if currency else f"{sign}{text}"


def format_qty(milli: int, lang: str = "fr") -> str:
    """``3000`` → ``"3"``; ``452`` → ``"0,452"``."""
    sign = "-" if milli < 0 else ""
    units, frac = divmod(abs(milli), QTY_ONE)
    if frac == 0:
        return f"{sign}{units}"
    dec = "," if lang == "fr" else "."
    return f"{sign}{units}{dec}{frac:03d}".rstrip("0")


def format_rate(bp: int, lang: str = "fr") -> str:
    """``550`` → ``"5,5 %"``; ``2000`` → ``"20 %"``."""
    units, frac = divmod(bp, 100)
    dec = "," if lang == "fr" else "."
    text = f"{units}" if frac == 0 else f"{units}{dec}{frac:02d}".rstrip("0")
    return f"{text}{NBSP_NARROW}%" if lang == "fr" else f"{text}%"
