"""What spreadsheets and JSON put in a cell, as the text the one import pipeline reads (pure Python).

Every reader (CSV, .xlsx/.ods/.xls, JSON Lines) yields ``(row number, cells as text)`` into the
same pipeline (``pos/catalog/transfer.py``), which parses numbers strictly
(``pos/catalog/numbers.py``).  A typed cell becomes that text here:

- a number cell becomes a ``NumberText``, a ``str`` that remembers it was a number: the pipeline
  accepts it where a number is expected, and a barcode column can tell an EAN that the
  spreadsheet stored as a number (recovered when it has 13 digits and a valid check digit,
  refused otherwise: leading zeros are lost);
- an integral float is written without its ``.0`` (``3760123456789.0`` → ``3760123456789``), another
  one as the shortest decimal that reads back as the same float, never in scientific notation
  (``12.499999999999998`` then rounds to ``12,50`` in the pipeline, half up);
- a boolean is ``1`` or ``0``; a date ``YYYY-MM-DD``; a date and time ``YYYY-MM-DDTHH:MM:SS``;
- an empty cell is ``""``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


class NumberText(str):
    """The text of a cell that the file stored as a number."""

    __slots__ = ()


def number_text(value: int | float) -> NumberText:
    if isinstance(value, int):
        return NumberText(value)
    if value != value or value in (float("inf"), float("-inf")):
        return NumberText(repr(value))  # nan/inf: the pipeline says "not a number"
    if value.is_integer() and abs(value) < 1e16:
        return NumberText(int(value))
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return NumberText(text)


def cell_text(value: Any) -> str:
    """The text of one typed cell (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return number_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


_MEMO: dict[tuple[type, Any], str] = {}  # typed cell -> its text: a catalogue repeats few prices, rates, stocks


def _memo_text(value: Any) -> str:
    key = (type(value), value)  # the type too: True, 1 and 1.0 are equal keys but not the same cell
    try:
        return _MEMO[key]
    except KeyError:
        text = cell_text(value)
        if len(_MEMO) < 100_000:
            _MEMO[key] = text
        return text
    except TypeError:  # an unhashable value
        return cell_text(value)


def row_text(values: list[Any] | tuple[Any, ...]) -> list[str]:
    """A row of typed cells as text, its empty trailing cells dropped."""
    return trimmed([v if v.__class__ is str else _memo_text(v) for v in values])


def trimmed(cells: list[str]) -> list[str]:
    """``cells`` without its empty trailing cells (in place)."""
    while cells and not cells[-1]:
        cells.pop()
    return cells
