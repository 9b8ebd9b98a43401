"""A ticket as plain text lines, for the receipt printer, the screen and the CLI."""

from __future__ import annotations

from pos.core.i18n import _, language
from pos.core.money import format_amount, format_qty, format_rate
from pos.data.tickets import TicketRecord


def _fit(left: str, right: str, width: int) -> str:
    room = width - len(right) - 1
    if len(left) > room:
        left = left[: max(0, room - 1)] + "…"
    return f"{left}{' ' * (width - len(left) - len(right))}{right}"


def render(ticket: TicketRecord, settings: dict[str, str], width: int = 42,
           copy: int = 0) -> list[str]:
    """The receipt as text lines; ``copy`` 0 is the original, n > 0 the n-th DUPLICATA."""
    lang = language()

    def money(c: int) -> str:
        return format_amount(c, lang, currency=False)

    out: list[str] = []
    for key in ("shop.name", "shop.address"):
        for text in (settings.get(key) or "").splitlines():
            out.append(text.strip().center(width).rstrip())
    if settings.get("shop.siret"):
        out.append(f"SIRET {settings['shop.siret']}".center(width).rstrip())
    if settings.get("shop.vat_number"):
        out.append(f"{_('VAT no.')} {settings['shop.vat_number']}".center(width).rstrip())
    for text in (settings.get("receipt.header") or "").splitlines():
        out.append(text.center(width).rstrip())
    out.append("-" * width)
    if copy:
        out.append(f"DUPLICATA n° {copy}".center(width))
    if getattr(ticket, "training", False):  # training mode: marked, so that it is never taken for a sale
        out.append(_("TRAINING - NOT A VALID RECEIPT").center(width)[:width])
    title = _("Refund") if ticket.kind == "refund" else _("Ticket")
    out.append(_fit(f"{title} {ticket.number}", ticket.created_at[:16].replace("T", " "), width))
    out.append(_fit(_("Cashier: {name}").format(name=ticket.user_name), "", width).rstrip())
    if ticket.refund_of:
        out.append(_("Refund of ticket {number}").format(number=ticket.refund_of))
    out.append("-" * width)
    for line in ticket.lines:
        out.append(_fit(line["name"], money(line["total"] + line["ticket_discount"]
                                           + line["discount_amount"]), width))
        qty = format_qty(line["qty"], lang)
        unit = " kg" if line.get("by_weight") else ""
        detail = f"  {qty}{unit} x {money(line['unit_price'])}"
        if line["unit_price"] != line["list_price"]:
            detail += f" ({_('was')} {money(line['list_price'])})"
        out.append(detail)
        if line["discount_amount"]:
            out.append(_fit(f"  {_('Discount')}", money(-line["discount_amount"]), width))
    out.append("-" * width)
    if ticket.discount_amount:
        out.append(_fit(_("Subtotal"), money(ticket.subtotal), width))
        out.append(_fit(_("Ticket discount"), money(-ticket.discount_amount), width))
    out.append(_fit(_("TOTAL"), format_amount(ticket.total, lang), width))
    for p in ticket.payments:
        out.append(_fit(f"  {p['method_name']}", money(p["amount"]), width))
    if ticket.change:
        out.append(_fit(_("Change"), money(ticket.change), width))
    out.append("")
    out.append(_fit(_("VAT"), f"{_('Excl.'):>9} {_('VAT'):>8} {_('Incl.'):>9}", width))
    for v in ticket.vat:
        cols = f"{money(v['excl']):>9} {money(v['vat']):>8} {money(v['total']):>9}"
        out.append(_fit(format_rate(v["vat_bp"], lang), cols, width))
    footer = (settings.get("receipt.footer") or "").splitlines()
    if footer:
        out.append("")
        out.extend(text.center(width).rstrip() for text in footer)
    if getattr(ticket, "training", False):
        out.append(_("TRAINING - NOT A VALID RECEIPT").center(width)[:width])
    return out
