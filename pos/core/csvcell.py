"""CSV formula injection: neutralising the cells of every CSV the product writes, and restoring them on import.

A spreadsheet takes a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or a carriage
return, which some strip first) for a formula: ``=HYPERLINK("http://…")``, ``+cmd|'/C calc'!A0``,
``@SUM(1+1)``, ``-2+3``.  An article name typed at the till, pulled from PrestaShop or imported
from a supplier's file must never run in the spreadsheet of whoever opens an export.

``neutralise`` prefixes such a cell with an apostrophe, as OWASP recommends: the spreadsheet then
shows text.  A plain number (``-12,50``, ``+3``, ``-250``) is left as it is: it is not a formula,
and amounts, stocks and refunds must stay numbers.  ``restore`` is its exact inverse, applied to
every cell an import reads, so that an export imported again gives back the original values
(``=SUM`` is written ``'=SUM`` and read back as ``=SUM``).  To keep the round trip exact for any
text, a text that already starts with apostrophes followed by a formula character (``'=x``) gets
one more apostrophe, which the import removes again.  A hand-made file whose cell starts with an
apostrophe followed by a formula character loses that one apostrophe on import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

_FORMULA = re.compile(r"'*[=+\-@\t\r]")  # what neutralise prefixes (apostrophes first: see the docstring)
_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")  # a plain number is no formula
# a cell of a row joined with \x1f starts with one of these characters: the row needs a closer look
_SUSPECT = re.compile("(?:^|\x1f)['=+\\-@\t\r]")


def is_formula(text: str) -> bool:
    """True when a spreadsheet could evaluate ``text`` (so ``neutralise`` prefixes it)."""
    return bool(_FORMULA.match(text)) and not _NUMBER.fullmatch(text)


def neutralise(text: str) -> str:
    """``=SUM(A1)`` → ``'=SUM(A1)``; ``-12,50`` and ``Pain`` unchanged."""
    return "'" + text if is_formula(text) else text


def restore(text: str) -> str:
    """The inverse of ``neutralise``: ``'=SUM(A1)`` → ``=SUM(A1)``; ``'Pain`` unchanged."""
    return text[1:] if text[:1] == "'" and is_formula(text[1:]) else text


def neutralise_row(row: list[Any] | tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
    """A row to write, its text cells neutralised (other values as they are).  Fast for the usual
    row, where no cell starts with a suspect character."""
    if not _SUSPECT.search("\x1f".join(v if isinstance(v, str) else "" for v in row)):
        return row
    return [neutralise(v) if isinstance(v, str) else v for v in row]


def restore_row(fields: list[str]) -> list[str]:
    """A row read from a file, its neutralised cells restored (fast when no cell starts with ``'``)."""
    if "\x1f'" not in "\x1f" + "\x1f".join(fields):  # str.find: faster than a search
        return fields
    return [restore(v) for v in fields]


def neutralise_rows(rows: Iterable[list[Any] | tuple[Any, ...]]) -> Iterator[list[Any] | tuple[Any, ...]]:
    for row in rows:
        yield neutralise_row(row)
