"""Numbers as spreadsheets write them, read strictly (pure Python).

``parse_decimal`` reads ``12,50``, ``12.5``, ``1 234,50``, ``1.234,50``, ``1,234.50``, ``-3``,
``12,50 €`` or ``20 %``:

- only ASCII digits are digits (``١٢``, ``１２`` are refused);
- a single ``,`` or ``.`` is the decimal mark; when both appear, the last one is;
- a thousands separator (space, no-break space, apostrophe, or the mark that is not the decimal
  one) is accepted only between valid groups: one to three digits, then groups of exactly three
  (``1 234 567``, ``1.234.567``); ``1,2,3`` or ``12 34`` is an error, never ``123``;
- a number out of range (more than ``MAX_UNITS`` of the unit asked for) is an error, so that no
  value reaches the database that SQLite cannot hold or that would overflow a sum.

Every refusal is an ``InvalidValue`` whose message quotes the text; the import adds the line and
the column.
"""

from __future__ import annotations

import re

from pos.core.errors import InvalidValue
from pos.core.i18n import _

MAX_UNITS = 10**12 - 1  # 9,999,999,999.99 € in cents, 999,999,999.999 in thousandths
_GROUPING = " \u00a0\u202f\u2009'"  # spaces (plain, no-break, narrow, thin) and the Swiss apostrophe
_ALLOWED = frozenset("0123456789.," + _GROUPING)
_SIGNS = ("€", "EUR", "eur", "Eur", "%")
_DIGITS = re.compile(r"[0-9]*")
_GROUPED = {sep: re.compile(r"[0-9]{1,3}(?:" + re.escape(sep) + r"[0-9]{3})+") for sep in ".," + _GROUPING}


def _not_a_number(raw: str) -> InvalidValue:
    return InvalidValue(_("not a number: {text}").format(text=raw))


def parse_decimal(text: str, places: int, limit: int = MAX_UNITS) -> int:
    """A number as an integer count of ``10**-places`` (cents: 2, thousandths: 3).

    Extra decimals are rounded half up on the magnitude, the till's one rounding rule."""
    raw = text
    text = text.strip()
    for sign in _SIGNS:
        if text.endswith(sign):
            text = text[: -len(sign)].rstrip()
        elif text.startswith(sign):
            text = text[len(sign):].lstrip()
    negative = text.startswith("-")
    if text[:1] in ("-", "+"):
        text = text[1:].lstrip()
    if not text or not _ALLOWED.issuperset(text):
        raise _not_a_number(raw)
    last_dot, last_comma = text.rfind("."), text.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        mark = "." if last_dot > last_comma else ","
    elif text.count(".") == 1 or text.count(",") == 1:
        mark = "." if last_dot >= 0 else ","
    else:
        mark = ""  # no mark, or one repeated: thousands separators (1.234.567)
    units, frac = text.rsplit(mark, 1) if mark else (text, "")
    if not _DIGITS.fullmatch(frac) or (not units and not frac):
        raise _not_a_number(raw)
    if not _DIGITS.fullmatch(units):
        separators = {c for c in units if not c.isdigit()}
        sep = separators.pop() if len(separators) == 1 else ""
        if not sep or not _GROUPED[sep].fullmatch(units):
            raise InvalidValue(_("not a number (thousands separators in the wrong places): {text}").format(text=raw))
        units = units.replace(sep, "")
    if len(units.lstrip("0")) > len(str(limit)):  # checked before int(): a 1 MB cell of digits is no number
        raise _out_of_range(raw)
    value = int(units or "0") * 10**places + int(frac[:places].ljust(places, "0") or 0)
    if len(frac) > places and frac[places] >= "5":
        value += 1
    if value > limit:
        raise _out_of_range(raw)
    return -value if negative else value


def _out_of_range(raw: str) -> InvalidValue:
    shown = raw if len(raw) <= 40 else raw[:37] + "..."
    return InvalidValue(_("number out of range: {text}").format(text=shown))
