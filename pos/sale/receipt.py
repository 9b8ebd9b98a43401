"""A ticket as a receipt document (pure), and as plain text lines for the CLI and the screen.

:func:`receipt_document` decides what the receipt says and which line stands out;
the renderers (text here, ESC/POS in ``pos/hardware/escpos_render.py``, the history
preview) walk it: see ``pos/sale/receipt_doc.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pos.core.i18n import _, language
from pos.core.money import format_amount, format_qty, format_rate
from pos.data.tickets import TicketRecord
from pos.sale.receipt_doc import DocLine, Document, Kind, Style, text_lines
from pos.sale.scancodes import ticket_barcode

VAT_WIDTHS = (9, 8, 9)  # excl., VAT, incl.: the columns of the VAT table when they fit
RULE = DocLine(Kind.RULE)
BLANK = DocLine(Kind.BLANK)


def _pair(left: str, right: str, style: Style = Style.NORMAL) -> DocLine:
    return DocLine(Kind.PAIR, left, right, style)


def _centred(lines: str | None, style: Style = Style.NORMAL, strip: bool = False) -> list[DocLine]:
    return [DocLine(Kind.CENTRED, text.strip() if strip else text, style=style)
            for text in (lines or "").splitlines()]


def receipt_columns(settings: Mapping[str, str]) -> int:
    """The receipt printer's characters per line: ``printer.columns``, 32 on 58 mm paper
    when the setting asks for more than its small font holds (42)."""
    columns = int(settings.get("printer.columns") or 48)
    if settings.get("printer.paper") == "58" and columns > 42:
        return 32
    return columns


def receipt_document(ticket: TicketRecord, settings: Mapping[str, str], *, copy: int = 0,
                     logo: str | None = None) -> Document:
    """The receipt of ``ticket``: ``copy`` 0 is the original, n > 0 the n-th DUPLICATA;
    ``logo`` an image file printed on top."""
    lang = language()

    def money(c: int) -> str:
        return format_amount(c, lang, currency=False)

    out: list[DocLine] = [DocLine(Kind.LOGO, logo)] if logo else []
    out += _centred(settings.get("shop.name"), Style.BIG, strip=True)
    out += _centred(settings.get("shop.address"), strip=True)
    if settings.get("shop.siret"):
        out.append(DocLine(Kind.CENTRED, f"SIRET {settings['shop.siret']}"))
    if settings.get("shop.vat_number"):
        out.append(DocLine(Kind.CENTRED, f"{_('VAT no.')} {settings['shop.vat_number']}"))
    out += _centred(settings.get("receipt.header"))
    out.append(RULE)
    if copy:  # a reprint: French law wants it marked as a duplicate, numbered
        out.append(DocLine(Kind.BANNER, f"DUPLICATA n° {copy}", style=Style.REVERSE))
    training = DocLine(Kind.BANNER, _("TRAINING - NOT A VALID RECEIPT"))
    if ticket.training:  # marked, so that it is never taken for a sale
        out.append(training)
    title = _("Refund") if ticket.kind == "refund" else _("Ticket")
    out.append(_pair(f"{title} {ticket.number}", ticket.created_at[:16].replace("T", " ")))
    out.append(_pair(_("Cashier: {name}").format(name=ticket.user_name), ""))
    if ticket.refund_of:
        out.append(DocLine(Kind.TEXT, _("Refund of ticket {number}").format(number=ticket.refund_of)))
    if ticket.return_reason:
        out += _wrapped(_("Return without a ticket: {reason}").format(reason=ticket.return_reason), settings)
    out.append(RULE)
    for line in ticket.lines:
        out.append(_pair(line["name"], money(line["total"] + line["ticket_discount"] + line["discount_amount"])))
        unit = " kg" if line.get("by_weight") else ""
        detail = f"  {format_qty(line['qty'], lang)}{unit} x {money(line['unit_price'])}"
        if line["unit_price"] != line["list_price"]:
            detail += f" ({_('was')} {money(line['list_price'])})"
        out.append(DocLine(Kind.TEXT, detail))
        if line["discount_amount"]:
            out.append(_pair(f"  {_('Discount')}", money(-line["discount_amount"])))
    out.append(RULE)
    if ticket.discount_amount:
        out.append(_pair(_("Subtotal"), money(ticket.subtotal)))
        out.append(_pair(_("Ticket discount"), money(-ticket.discount_amount)))
    out.append(_pair(_("TOTAL"), format_amount(ticket.total, lang), Style.BOLD))
    out += [_pair(f"  {p['method_name']}", money(p["amount"])) for p in ticket.payments]
    if ticket.change:
        out.append(_pair(_("Change"), money(ticket.change)))
    for note in ticket.vouchers:
        if note["move"] == "use":
            out.append(_pair(f"  {_('Left on {code}').format(code=note['code'])}", money(note["balance"])))
    out.append(BLANK)
    rows = [(format_rate(v["vat_bp"], lang), money(v["excl"]), money(v["vat"]), money(v["total"]))
            for v in ticket.vat]
    out.append(DocLine(Kind.TABLE, rows=((_("VAT"), _("Excl."), _("VAT"), _("Incl.")), *rows),
                       widths=VAT_WIDTHS))
    footer = _centred(settings.get("receipt.footer"))
    if footer:
        out += [BLANK, *footer]
    if ticket.training:
        out.append(training)
    out.append(DocLine(Kind.BARCODE, ticket_barcode(ticket.number)))
    for note in ticket.vouchers:
        if note["move"] == "issue":
            out += _note_lines(note, lang, settings)
    return tuple(out)


def _wrapped(text: str, settings: Mapping[str, str]) -> list[DocLine]:
    """A text of any length as lines of the paper's width."""
    import textwrap

    return [DocLine(Kind.TEXT, part) for part in textwrap.wrap(text, receipt_columns(settings)) or [""]]


def _note_lines(note: dict, lang: str, settings: Mapping[str, str]) -> list[DocLine]:
    """A credit note or gift voucher issued by the ticket: its number, amount, expiry and barcode."""
    title = _("CREDIT NOTE") if note["kind"] == "credit_note" else _("GIFT VOUCHER")
    until = note["expires_on"]
    return [BLANK, RULE, DocLine(Kind.BANNER, title, style=Style.BIG),
            DocLine(Kind.CENTRED, note["code"], style=Style.BOLD),
            _pair(_("Amount"), format_amount(note["amount"], lang), Style.BOLD),
            *_wrapped(_("Valid until {date}").format(date=until) if until else _("No expiry"), settings),
            *_wrapped(_("Scan or type its number at the till to pay with it."), settings),
            DocLine(Kind.BARCODE, note["code"])]


def render(ticket: TicketRecord, settings: Mapping[str, str], width: int = 42, copy: int = 0) -> list[str]:
    """The receipt as plain text lines, ``width`` columns wide."""
    return text_lines(receipt_document(ticket, settings, copy=copy), width)
