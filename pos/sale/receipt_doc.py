"""The receipt as a document: structured lines, each a layout kind, its text and a style.

:func:`pos.sale.receipt.receipt_document` builds it (pure, no width); the plain-text
renderer (:func:`text_lines`), the ESC/POS renderer (``pos/hardware/escpos_render.py``)
and the ticket preview of the history screen walk it.  The document decides which line
is big, bold or a mark; a renderer only decides how a style looks (double height on
paper, bold on the screen) and never reads the text to find a line.

:func:`layout` turns one line into text lines at a given number of columns; every
renderer uses it, so the columns line up the same on paper and on the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a line is laid out on the width."""

    TEXT = "text"  # as it is
    CENTRED = "centred"  # centred on the width
    BANNER = "banner"  # centred and padded to the full width: a mark (duplicate, training)
    PAIR = "pair"  # ``text`` on the left (shortened with "…" to fit), ``right`` against the right edge
    TABLE = "table"  # ``rows`` of a label and right-aligned columns; the first row is the head
    RULE = "rule"  # a dashed line across
    BLANK = "blank"  # an empty line
    LOGO = "logo"  # the image file named by ``text`` (paper only)
    BARCODE = "barcode"  # a CODE128 barcode of ``text`` (paper only)
    QR = "qr"  # a QR code of ``text`` (paper only: a closure's journal anchor)


class Style(StrEnum):
    """How a line stands out."""

    NORMAL = "normal"
    BOLD = "bold"  # bold and double height; the width is unchanged, so the layout holds
    BIG = "big"  # bold, double height, double width where it fits; centred
    REVERSE = "reverse"  # big, white on black


@dataclass(frozen=True, slots=True)
class DocLine:
    kind: Kind
    text: str = ""
    right: str = ""
    style: Style = Style.NORMAL
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[int, ...] = ()  # a table's column widths when they fit (wider values widen theirs)


Document = tuple[DocLine, ...]


def fit(left: str, right: str, width: int) -> str:
    """``left`` and ``right`` on one line of ``width``; ``left`` shortened with "…" if needed."""
    room = width - len(right) - 1
    if len(left) > room:
        left = left[: max(0, room - 1)] + "…"
    return f"{left}{' ' * (width - len(left) - len(right))}{right}"


def table_lines(rows: tuple[tuple[str, ...], ...], widths: tuple[int, ...], width: int) -> list[str]:
    """A table at ``width``: its columns at ``widths``, or, when a row would not fit, as wide
    as their content, and a row that still does not fit has its values under its label."""

    def cols(values: tuple[str, ...], sizes: tuple[int, ...]) -> str:
        return " ".join(f"{v:>{w}}" for v, w in zip(values, sizes))

    if all(len(row[0]) + 1 + len(cols(row[1:], widths)) <= width for row in rows):
        return [fit(row[0], cols(row[1:], widths), width) for row in rows]
    narrow = tuple(max(len(row[k + 1]) for row in rows) for k in range(len(widths)))
    out: list[str] = []
    for i, (label, *values) in enumerate(rows):
        right = cols(tuple(values), narrow)
        if i == 0 or len(label) + 1 + len(right) <= width:
            out.append(fit(label, right, width))
        else:
            out.extend((label, right.rjust(width)))
    return out


def layout(line: DocLine, width: int) -> list[str]:
    """The text lines of ``line`` at ``width`` columns (none for a logo or a barcode)."""
    if line.kind is Kind.TEXT:
        return [line.text]
    if line.kind is Kind.CENTRED:
        return [line.text.center(width).rstrip()]
    if line.kind is Kind.BANNER:
        return [line.text.center(width)[:width]]
    if line.kind is Kind.PAIR:
        return [fit(line.text, line.right, width).rstrip()]
    if line.kind is Kind.TABLE:
        return table_lines(line.rows, line.widths, width)
    if line.kind is Kind.RULE:
        return ["-" * width]
    if line.kind is Kind.BLANK:
        return [""]
    return []


def text_lines(doc: Document, width: int) -> list[str]:
    """The document as plain text, ``width`` columns (the CLI, reports, text printers)."""
    return [text for line in doc for text in layout(line, width)]
