"""Reports: closures (Z, X, monthly, yearly), sales by period and grouping, and the A4
invoice of a ticket.  No Kivy, no SQL (the queries are in ``pos/data/reports.py``).

Each report is built once as a small document (:class:`Doc`: a title, header lines
and tables of strings), then rendered either as text lines for the receipt printer,
the screen and the CLI (``closure_lines``, ``sales_lines``), or as an A4 PDF with
reportlab (``closure_pdf``, ``sales_pdf``).  The invoice is A4 only (``invoice_pdf``).

Amounts are integer cents, formatted by ``pos.core.money.format_amount`` only.  PDFs are
written atomically: a temporary file in the same folder, renamed at the end.

Invoice numbers are ``F-`` followed by the ticket number (``F-1234``): tickets are
numbered without gaps, so invoices are too, and an invoice printed again for the same
ticket keeps its number.  A refund ticket gives a credit note ("Credit note F-…").
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pos.core import settings as settings_mod
from pos.core.errors import Refusal
from pos.core.i18n import N_, _, language
from pos.core.money import format_amount, format_qty, format_rate
from pos.core.permissions import Actor, check
from pos.data import common, customers, events
from pos.data import reports as data
from pos.data import tickets as tickets_db
from pos.sale.receipt_doc import fit as _fit

GROUPINGS = data.GROUPINGS
DEFAULT_BY = "day"
INVOICE_PREFIX = "F-"
FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


class ReportError(Refusal):
    """Bad input for a report (a date, a period, a grouping, an unknown ticket...)."""


# ---------------------------------------------------------------- periods
def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` → a date; ReportError otherwise."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text or ""):
        raise ReportError(_("bad date {date!r}: expected YYYY-MM-DD").format(date=text))
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ReportError(_("bad date {date!r}: expected YYYY-MM-DD").format(date=text)) from None


def day_period(day: dt.date | str) -> tuple[dt.date, dt.date]:
    """One local day: ``(day, day + 1)`` (the end is excluded)."""
    if isinstance(day, str):
        day = parse_date(day)
    return day, day + dt.timedelta(days=1)


def month_period(period: str) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` → the month; ``YYYY`` → the year (the end is excluded)."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", period or "")
    if not m or not 1 <= int(m[2] or 1) <= 12 or int(m[1]) < 1:
        raise ReportError(_("bad period {period!r}: expected YYYY-MM or YYYY").format(period=period))
    year = int(m[1])
    if m[2] is None:
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    month = int(m[2])
    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, end


# ---------------------------------------------------------------- stored closures
# Reading the sales (a closure, a sales report) is a manager's: ``reports``, checked here in the
# core, whoever asks (the screens, ``pos report``).
def stored_closures(actor: Actor, kind: str, *, number: int | None = None,
                    last: bool = False) -> list[dict[str, Any]]:
    """The stored ``kind`` closures (day, month, year): the one ``number``, the ``last``, or all."""
    check(actor, "reports")
    return data.closures(kind, number=number, last=last)


def closures_made_on(actor: Actor, day: dt.date) -> list[dict[str, Any]]:
    """The daily Z closures made on ``day`` (the Z of a day is taken at its end)."""
    check(actor, "reports")
    return data.closures("day", made_on=day.isoformat())


def closures_of_period(actor: Actor, kind: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """The ``month`` or ``year`` closures of ``[start, end)``: those with at least half of
    their period inside it (a monthly closure made on the evening of 31 May, or on the
    morning of 1 June, is May's)."""
    check(actor, "reports")
    lo, hi = dt.datetime.combine(start, dt.time()), dt.datetime.combine(end, dt.time())
    out = []
    for c in data.closures(kind, start=start.isoformat(), end=end.isoformat()):
        try:
            a = dt.datetime.fromisoformat(c["period_start"]).replace(tzinfo=None)
            b = dt.datetime.fromisoformat(c["period_end"]).replace(tzinfo=None)
        except (TypeError, ValueError):
            continue
        inside = (min(b, hi) - max(a, lo)).total_seconds()
        if b <= a or 2 * inside >= (b - a).total_seconds():
            out.append(c)
    return out


# ---------------------------------------------------------------- sales report
def sales_report(actor: Actor, start: dt.date, end: dt.date, by: str = DEFAULT_BY) -> dict[str, Any]:
    """The sales of ``[start, end)`` (local dates, ``end`` excluded), grouped ``by`` one of
    day, article, department, vat, payment, cashier, hour; for a manager (``reports``).

    Returns ``{"start", "end" (ISO dates, end excluded), "by", "summary", "rows", "vat",
    "payments", "created_at"}``; ``summary`` has ``sales``/``refunds``/``training``
    (``count``, ``total``), ``count``, ``total``, ``discounts``, ``first_ticket``,
    ``last_ticket``; amounts in cents.  Training tickets are only in ``summary["training"]``.
    """
    check(actor, "reports")
    if by not in GROUPINGS:
        raise ReportError(_("unknown grouping {by!r}: expected one of {choices}").format(
            by=by, choices=", ".join(GROUPINGS)))
    if end <= start:
        raise ReportError(_("the period ends before it starts"))
    s, e = start.isoformat(), end.isoformat()
    vat = data.by_vat(s, e)
    payments = data.by_payment(s, e)
    rows = vat if by == "vat" else payments if by == "payment" else data.grouped(by, s, e)
    summary = data.summary(s, e)
    summary["excl"] = sum(v["excl"] for v in vat)
    summary["vat"] = sum(v["vat"] for v in vat)
    from pos.data import vouchers as vouchers_db

    return {"start": s, "end": e, "by": by, "summary": summary, "rows": rows, "vat": vat,
            "payments": payments, "created_at": common.now_iso(), "vouchers": vouchers_db.totals(s, e)}


def day_report(actor: Actor, day: dt.date | str, by: str = DEFAULT_BY) -> dict[str, Any]:
    """``--date D``: the sales of one local day."""
    return sales_report(actor, *day_period(day), by=by)


def period_report(actor: Actor, period: str, by: str = DEFAULT_BY) -> dict[str, Any]:
    """``--period YYYY-MM`` (a month) or ``YYYY`` (a year)."""
    return sales_report(actor, *month_period(period), by=by)


# ---------------------------------------------------------------- a tiny document model
@dataclass
class Table:
    """Rows of strings: the first cell is a label, the others are right-aligned values.
    The last ``totals`` rows are totals (bold in the PDF)."""

    title: str = ""
    head: tuple[str, ...] = ()
    rows: list[tuple[str, ...]] = field(default_factory=list)
    totals: int = 0


@dataclass
class Code:
    """A long unbreakable value (a hash), wrapped over lines on paper."""

    label: str
    text: str


@dataclass
class QR:
    """A QR code of ``data`` (a closure's journal anchor): an image on paper and in the PDF, half-block
    characters in text."""

    label: str
    data: str


@dataclass
class Doc:
    title: str
    header: list[str]  # the shop's identity
    blocks: list[Table | Code | QR]
    note: str = ""


def _lang(lang: str | None) -> str:
    return lang or language()


def _shop() -> dict[str, str]:
    try:
        return settings_mod.all_values()
    except Exception:  # no database: a report of a closure dict still renders
        return {}


def _shop_header(shop: dict[str, str]) -> list[str]:
    out = [text.strip() for key in ("shop.name", "shop.address")
           for text in (shop.get(key) or "").splitlines() if text.strip()]
    if shop.get("shop.siret"):
        out.append(f"SIRET {shop['shop.siret']}")
    if shop.get("shop.vat_number"):
        out.append(f"{_('VAT no.')} {shop['shop.vat_number']}")
    return out


def _when(iso: str | None, lang: str, time: bool = True) -> str:
    """A local ISO timestamp or date as people read it (fr: 03/05/2024 14:22)."""
    if not iso:
        return ""
    try:
        value = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if len(iso) <= 10:
        time = False
    day = value.strftime("%d/%m/%Y") if lang == "fr" else value.strftime("%Y-%m-%d")
    return f"{day} {value.strftime('%H:%M')}" if time else day


def _ranges(numbers: Iterable[int]) -> str:
    """``[1, 2, 3, 5]`` → ``"1–3, 5"``."""
    out: list[str] = []
    nums = sorted(set(numbers))
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}–{nums[j]}")
        i = j + 1
    return ", ".join(out)


def _tickets(first: int | None, last: int | None, count: int) -> str:
    if not count:
        return _("none")
    span = str(first) if first == last else f"{first}–{last}"
    return f"{span} ({count})"


# ---------------------------------------------------------------- closures
MOVEMENT_KINDS = {"float": N_("Opening float"), "in": N_("Cash in"), "out": N_("Cash out")}


def closure_title(closure: dict[str, Any]) -> str:
    kind = closure.get("kind")
    if kind == "x":
        return _("X report")
    if kind == "day":
        return _("Z no. {number}").format(number=closure.get("number"))
    if kind == "month":
        return _("Monthly closure no. {number}").format(number=closure.get("number"))
    if kind == "year":
        return _("Yearly closure no. {number}").format(number=closure.get("number"))
    return f"{kind} {closure.get('number', '')}".strip()


def _vat_table(vat: list[dict[str, Any]], lang: str, title: str = "") -> Table:
    def m(c: int) -> str:
        return format_amount(c, lang, currency=False)

    rows = [(format_rate(v["vat_bp"], lang), m(v["excl"]), m(v["vat"]), m(v["total"])) for v in vat]
    rows.append((_("Total"), m(sum(v["excl"] for v in vat)), m(sum(v["vat"] for v in vat)),
                 m(sum(v["total"] for v in vat))))
    return Table(title, (_("VAT rate"), _("Excl."), _("VAT"), _("Incl.")), rows, totals=1)


def _payments_table(payments: list[dict[str, Any]], lang: str, detail: bool = False) -> Table:
    def m(c: int) -> str:
        return format_amount(c, lang, currency=False)

    if detail:
        rows = [(p.get("method_name") or p.get("method_code", ""), str(p.get("count", "")),
                 m(p.get("tendered", p["amount"])), m(p.get("change", 0)), m(p["amount"])) for p in payments]
        total = sum(p["amount"] for p in payments)
        rows.append((_("Total"), str(sum(p.get("count", 0) for p in payments)),
                     m(sum(p.get("tendered", p["amount"]) for p in payments)),
                     m(sum(p.get("change", 0) for p in payments)), m(total)))
        return Table(_("Payments"), (_("Method"), _("Count"), _("Tendered"), _("Change"), _("Amount")), rows, 1)
    rows = [(p.get("method_name") or p.get("method_code", ""), str(p.get("count", "")), m(p["amount"]))
            for p in payments]
    rows.append((_("Total"), str(sum(p.get("count", 0) for p in payments)),
                 m(sum(p["amount"] for p in payments))))
    return Table(_("Payments"), (_("Method"), _("Count"), _("Amount")), rows, totals=1)


def _figures_table(sales: dict, refunds: dict, discounts: int, training: dict, net: int | None,
                   lang: str) -> Table:
    def m(c: int) -> str:
        return format_amount(c, lang, currency=False)

    rows = [(_("Sales"), str(sales.get("count", 0)), m(sales.get("total", 0))),
            (_("Refunds"), str(refunds.get("count", 0)), m(refunds.get("total", 0))),
            (_("Discounts given"), "", m(discounts))]
    if net is not None:
        rows.append((_("Net total"), str(sales.get("count", 0) + refunds.get("count", 0)), m(net)))
    rows.append((_("Training (not included)"), str(training.get("count", 0)), m(training.get("total", 0))))
    return Table(_("Sales and refunds"), (_("Tickets"), _("Count"), _("Amount")), rows)


def vouchers_table(v: dict[str, int], lang: str) -> Table:
    """Credit notes and gift vouchers: a liability, not a sale (their VAT is on the sales they pay)."""
    def m(c: int) -> str:
        return format_amount(c, lang, currency=False)

    return Table(_("Credit notes and gift vouchers"), (_("Notes"), _("Count"), _("Amount")), [
        (_("Issued"), str(v.get("issued_count", 0)), m(v.get("issued", 0))),
        (_("Redeemed"), str(v.get("redeemed_count", 0)), m(v.get("redeemed", 0))),
        (_("Cancelled"), str(v.get("cancelled_count", 0)), m(v.get("cancelled", 0))),
        (_("Outstanding at the end"), str(v.get("outstanding_count", 0)), m(v.get("outstanding", 0)))], totals=1)


def _cash_blocks(cash: dict[str, Any], lang: str) -> list[Table | Code]:
    def m(c: int | None) -> str:
        return "" if c is None else format_amount(c, lang, currency=False)

    rows = []
    for key, label in (("float", _("Opening float")), ("cash_in", _("Cash in")), ("cash_out", _("Cash out")),
                       ("cash_taken", _("Cash received")), ("change_given", _("Change given")),
                       ("expected", _("Expected in the drawer"))):
        if key in cash:
            value = cash[key]
            rows.append((label, m(-value if key == "cash_out" and value > 0 else value)))
    counted = cash.get("counted")
    rows.append((_("Counted"), m(counted) if counted is not None else _("not counted")))
    if cash.get("difference") is not None:
        rows.append((_("Difference"), m(cash["difference"])))
    blocks: list[Table | Code] = [Table(_("Cash"), (), rows)]
    detail = cash.get("counted_detail") or {}
    if detail:
        drows = []
        for value, n in sorted(((int(k), int(v)) for k, v in detail.items()), reverse=True):
            if n:
                drows.append((format_amount(value, lang), f"× {n}", m(value * n)))
        drows.append((_("Total counted"), "", m(sum(int(k) * int(v) for k, v in detail.items()))))
        blocks.append(Table(_("Cash count"), (_("Denomination"), _("Number"), _("Amount")), drows, totals=1))
    movements = cash.get("movements") or []
    if movements:
        mrows = []
        for mv in movements:
            kind = mv.get("kind", "")
            label = _(MOVEMENT_KINDS[kind]) if kind in MOVEMENT_KINDS else kind
            at = (mv.get("at") or "")[11:16]
            who = f" ({mv['user_name']})" if mv.get("user_name") else ""
            reason = f": {mv['reason']}" if mv.get("reason") else ""
            amount = mv.get("amount", 0)
            mrows.append((f"{at} {label}{reason}{who}".strip(), m(-amount if kind == "out" else amount)))
        blocks.append(Table(_("Cash movements"), (), mrows))
    return blocks


def closure_doc(closure: dict[str, Any], lang: str | None = None,
                shop: dict[str, str] | None = None) -> Doc:
    """The document of a Z, an X, a monthly or a yearly closure (the dict of ``pos.fiscal.closures``)."""
    lang = _lang(lang)
    shop = _shop() if shop is None else shop
    d = closure.get("data") or {}

    def money(c: int) -> str:
        return format_amount(c, lang)

    info = []
    if closure.get("till"):
        info.append((_("Till"), str(closure["till"])))
    info.append((_("From"), _when(closure.get("period_start"), lang)))
    info.append((_("To"), _when(closure.get("period_end"), lang)))
    made = _when(closure.get("created_at"), lang)
    if closure.get("user_name"):
        made = f"{made} {_('by')} {closure['user_name']}"
    info.append((_("Made on"), made))
    info.append((_("Tickets"), _tickets(closure.get("first_ticket"), closure.get("last_ticket"),
                                        closure.get("ticket_count", 0))))
    if d.get("closures"):
        info.append((_("Closures"), _ranges(d["closures"])))
    blocks: list[Table | Code] = [Table("", (), info)]
    blocks.append(_vat_table(d.get("vat") or [], lang, _("VAT")))
    blocks.append(_payments_table(d.get("payments") or [], lang))
    sales, refunds = d.get("sales") or {}, d.get("refunds") or {}
    blocks.append(_figures_table(sales, refunds, d.get("discounts", 0), d.get("training") or {}, None, lang))
    if d.get("vouchers"):
        blocks.append(vouchers_table(d["vouchers"], lang))
    if d.get("cash"):
        blocks.extend(_cash_blocks(d["cash"], lang))
    blocks.append(Table(_("Totals"), (), [
        (_("Period total"), money(closure.get("total", 0))),
        (_("Perpetual grand total"), money(closure.get("perpetual_total", 0)))], totals=2))
    seq = closure.get("journal_seq", d.get("last_seq"))
    if seq is not None:
        blocks.append(Table("", (), [(_("Journal record"), str(seq))]))
    last_hash = closure.get("last_hash") or d.get("last_hash") or ""
    if last_hash:
        blocks.append(Code(_("Journal hash"), last_hash))
    blocks.extend(_anchor_blocks(closure))
    note = _("Interim report: nothing is closed") if closure.get("kind") == "x" else ""
    return Doc(closure_title(closure), _shop_header(shop), blocks, note)


def _anchor_blocks(closure: dict[str, Any]) -> list[Table | Code | QR]:
    """A stored closure's own journal record and hash (``pos journal verify --anchor``), the signing key's
    fingerprint and a QR code of them."""
    from pos.data.signing import pretty
    from pos.fiscal.closures import anchor

    a = anchor(closure)
    if a is None:
        return []
    return [Code(_("Anchor (pos journal verify --anchor)"), a["anchor"]),
            Code(_("Signing key fingerprint"), pretty(a["fingerprint"])), QR(_("Anchor QR code"), a["qr"])]


def qr_text(data: str) -> list[str]:
    """A QR code in half-block characters (two rows of modules per line), dark on a light quiet zone."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=2)
    code.add_data(data)
    code.make(fit=True)
    m = code.get_matrix()
    if len(m) % 2:
        m.append([False] * len(m[0]))
    glyph = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
    return ["".join(glyph[(a, b)] for a, b in zip(m[i], m[i + 1])) for i in range(0, len(m), 2)]


def closure_lines(closure: dict[str, Any], columns: int = 48, lang: str | None = None) -> list[str]:
    """The receipt-printer text of a closure (Z, X, monthly, yearly), ``columns`` wide."""
    return doc_lines(closure_doc(closure, lang), columns)


# ---------------------------------------------------------------- sales
def _group_title(by: str) -> str:
    return {"day": _("Sales by day"), "article": _("Sales by article"), "department": _("Sales by department"),
            "vat": _("Sales by VAT rate"), "payment": _("Sales by payment method"),
            "cashier": _("Sales by cashier"), "hour": _("Sales by hour")}[by]


def _group_table(by: str, rows: list[dict[str, Any]], lang: str) -> Table:
    def m(c: int) -> str:
        return format_amount(c, lang, currency=False)

    if by == "vat":
        return _vat_table(rows, lang, _group_title(by))
    if by == "payment":
        table = _payments_table(rows, lang, detail=True)
        table.title = _group_title(by)
        return table
    if by in ("article", "department"):
        head = (_("Article") if by == "article" else _("Department"), _("Qty"), _("Amount"))
        out = []
        for r in rows:
            label = (f"{r['reference']} {r['name']}".strip() if by == "article"
                     else r["department"] or _("(no department)"))
            out.append((label, format_qty(r["qty"], lang), m(r["total"])))
        out.append((_("Total"), "", m(sum(r["total"] for r in rows))))
        return Table(_group_title(by), head, out, totals=1)
    key, head = {"day": ("day", _("Day")), "cashier": ("cashier", _("Cashier")), "hour": ("hour", _("Hour"))}[by]
    out = []
    for r in rows:
        if by == "hour":
            label = f"{r['hour']:02d}:00–{(r['hour'] + 1) % 24:02d}:00"
        elif by == "day":
            label = _when(r["day"], lang, time=False)
        else:
            label = r["cashier"]
        out.append((label, str(r["tickets"]), m(r["total"])))
    out.append((_("Total"), str(sum(r["tickets"] for r in rows)), m(sum(r["total"] for r in rows))))
    return Table(_group_title(by), (head, _("Tickets"), _("Amount")), out, totals=1)


def _period_text(start: str, end: str, lang: str) -> str:
    last = (dt.date.fromisoformat(end) - dt.timedelta(days=1)).isoformat()
    if last == start:
        return _when(start, lang, time=False)
    return f"{_when(start, lang, time=False)} – {_when(last, lang, time=False)}"


def sales_doc(report: dict[str, Any], lang: str | None = None, shop: dict[str, str] | None = None) -> Doc:
    lang = _lang(lang)
    shop = _shop() if shop is None else shop
    s = report["summary"]

    def m(c: int) -> str:
        return format_amount(c, lang, currency=False)

    info = [(_("Period"), _period_text(report["start"], report["end"], lang)),
            (_("Tickets"), _tickets(s["first_ticket"], s["last_ticket"], s["count"])),
            (_("Made on"), _when(report.get("created_at"), lang))]
    blocks: list[Table | Code] = [Table("", (), info)]
    blocks.append(_figures_table(s["sales"], s["refunds"], s["discounts"], s["training"], s["total"], lang))
    blocks.append(Table(_("Totals"), (), [(_("Total excl. VAT"), m(s.get("excl", 0))),
                                          (_("VAT"), m(s.get("vat", 0))),
                                          (_("Total incl. VAT"), format_amount(s["total"], lang))], totals=1))
    by = report["by"]
    blocks.append(_group_table(by, report["rows"], lang))
    if by != "vat":
        blocks.append(_vat_table(report["vat"], lang, _("VAT")))
    if by != "payment":
        blocks.append(_payments_table(report["payments"], lang))
    if report.get("vouchers"):
        blocks.append(vouchers_table(report["vouchers"], lang))
    return Doc(_("Sales report"), _shop_header(shop), blocks)


def sales_lines(report: dict[str, Any], columns: int = 48, lang: str | None = None) -> list[str]:
    """The receipt-printer text of a sales report, ``columns`` wide."""
    return doc_lines(sales_doc(report, lang), columns)


# ---------------------------------------------------------------- text rendering
def _table_lines(table: Table, columns: int) -> list[str]:
    out: list[str] = []
    if table.title:
        out.append(table.title.upper()[:columns])
    rows = ([table.head] if table.head else []) + table.rows
    if not rows:
        return out
    n = max(len(r) for r in rows) - 1
    widths = [max((len(r[k + 1]) for r in rows if len(r) > k + 1), default=0) for k in range(n)]
    for i, row in enumerate(rows):
        if i == len(rows) - table.totals and table.totals:
            out.append(" " * (columns - min(columns, sum(widths) + n)) + "-" * min(columns, sum(widths) + n))
        label = row[0]
        right = " ".join(v.rjust(w) for v, w in zip(row[1:], widths)) if n > 1 else " ".join(row[1:])
        if not right.strip():
            out.append(label[:columns])
        elif len(label) + 1 + len(right) <= columns:
            out.append(_fit(label, right, columns))
        else:  # a long label on its own line, the values under it
            out.append(label if len(label) <= columns else label[: columns - 1] + "…")
            out.append(right.rjust(columns) if len(right) <= columns else right)
    return out


def doc_lines(doc: Doc, columns: int = 48, qr: bool = True) -> list[str]:
    """A document as text lines, ``columns`` wide (wider only for a value that cannot be cut, or a QR code;
    ``qr=False`` leaves the QR codes out, for a printer that draws them)."""
    out = [text.center(columns).rstrip() for text in doc.header]
    out.append("=" * columns)
    out.append(doc.title.center(columns).rstrip())
    if doc.note:
        out.append(doc.note.center(columns).rstrip())
    out.append("=" * columns)
    for block in doc.blocks:
        if isinstance(block, QR):
            if not qr:
                continue
            out.append(block.label)
            out.extend(line.center(columns).rstrip() for line in qr_text(block.data))
        elif isinstance(block, Code):
            out.append(block.label)
            out.extend(block.text[i:i + columns] for i in range(0, len(block.text), columns))
        else:
            out.extend(_table_lines(block, columns))
        out.append("-" * columns)
    return out


# ---------------------------------------------------------------- PDF rendering
_FONTS: tuple[str, str] | None = None


def _fonts() -> tuple[str, str]:
    """(regular, bold): DejaVu Sans when installed (€, accents, narrow spaces), else Helvetica."""
    global _FONTS
    if _FONTS is None:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        try:
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT_PATH)))
            bold = "DejaVuSans"
            if FONT_BOLD_PATH.exists():
                pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(FONT_BOLD_PATH)))
                bold = "DejaVuSans-Bold"
            _FONTS = ("DejaVuSans", bold)
        except Exception:  # no DejaVu: the PDF's standard fonts (cp1252: € and accents, not U+202F)
            _FONTS = ("Helvetica", "Helvetica-Bold")
    return _FONTS


def _pdf_plain(text: str) -> str:
    """Text for a table cell drawn as is (Helvetica has no narrow no-break space)."""
    if _fonts()[0] == "Helvetica":
        text = text.replace("\u202f", "\xa0").replace("–", "-").replace("…", "...").replace("—", "-")
    return text


def _pdf_text(text: str) -> str:
    """Text for a Paragraph (its markup escaped)."""
    return escape(_pdf_plain(text))


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    regular, bold = _fonts()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=16, leading=20, spaceAfter=6),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=3),
        "body": ParagraphStyle("body", fontName=regular, fontSize=9, leading=11.5),
        "bold": ParagraphStyle("bold", fontName=bold, fontSize=9, leading=11.5),
        "right": ParagraphStyle("right", fontName=regular, fontSize=9, leading=11.5, alignment=2),
        "small": ParagraphStyle("small", fontName=regular, fontSize=7.5, leading=9.5),
        "code": ParagraphStyle("code", fontName="Courier", fontSize=8.5, leading=11),
        "shop": ParagraphStyle("shop", fontName=bold, fontSize=13, leading=16),
    }


def _pdf_table(table: Table, width: float, st: dict[str, Any], head_bold: bool = True) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph
    from reportlab.platypus import Table as PdfTable

    regular, bold = _fonts()
    flow: list[Any] = []
    if table.title:
        flow.append(Paragraph(_pdf_text(table.title), st["h2"]))
    rows = ([table.head] if table.head else []) + table.rows
    if not rows:
        return flow
    n = max(len(r) for r in rows)
    cells = []
    for i, row in enumerate(rows):
        total = table.totals and i >= len(rows) - table.totals
        style = st["bold"] if total or (table.head and i == 0) else st["body"]
        row = tuple(row) + ("",) * (n - len(row))
        cells.append([Paragraph(_pdf_text(row[0]), style)] + [_pdf_plain(v) for v in row[1:]])
    value_width = 0.17 * width if n > 2 else 0.35 * width
    widths = [width - value_width * (n - 1)] + [value_width] * (n - 1)
    t = PdfTable(cells, colWidths=widths, repeatRows=1 if table.head else 0, hAlign="LEFT")
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), regular), ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if table.head and head_bold:
        commands += [("FONTNAME", (0, 0), (-1, 0), bold), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                     ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey)]
    if table.totals:
        commands += [("FONTNAME", (0, -table.totals), (-1, -1), bold),
                     ("LINEABOVE", (0, -table.totals), (-1, -table.totals), 0.5, colors.grey)]
    t.setStyle(commands)
    flow.append(t)
    return flow


def _atomic_write(path: str | os.PathLike, content: bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _build_pdf(path: str | os.PathLike, story: list[Any], title: str, footer: str) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    regular, _bold = _fonts()
    buffer = io.BytesIO()

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        text = f"{footer} — {_('page {n}').format(n=doc.page)}" if footer else _("page {n}").format(n=doc.page)
        if regular == "Helvetica":
            text = text.replace("\u202f", "\xa0").replace("—", "-")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, text)
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=title, author=footer, creator="pos")
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return _atomic_write(path, buffer.getvalue())


def _doc_story(doc: Doc, st: dict[str, Any], width: float) -> list[Any]:
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    story: list[Any] = []
    for i, text in enumerate(doc.header):
        story.append(Paragraph(_pdf_text(text), st["shop"] if i == 0 else st["body"]))
    story.append(Spacer(1, 8))
    story.append(Paragraph(_pdf_text(doc.title), st["title"]))
    if doc.note:
        story.append(Paragraph(_pdf_text(doc.note), st["body"]))
    for block in doc.blocks:
        if isinstance(block, QR):
            story.append(_pdf_qr(block, st))
        elif isinstance(block, Code):  # a heading and its text on one page (the journal hash of a Z)
            story.append(KeepTogether([Paragraph(_pdf_text(block.label), st["h2"]),
                                       Paragraph(escape(block.text), st["code"])]))
        else:
            story.extend(_pdf_table(block, width, st))
    return story


def _pdf_qr(block: QR, st: dict[str, Any]) -> Any:
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph

    widget = QrCodeWidget(block.data, barLevel="L")
    x0, y0, x1, y1 = widget.getBounds()
    size = 32 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return KeepTogether([Paragraph(_pdf_text(block.label), st["h2"]), drawing])


def _docs_pdf(docs: list[Doc], path: str | os.PathLike, title: str) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak

    st = _styles()
    width = A4[0] - 36 * mm
    story: list[Any] = []
    for i, doc in enumerate(docs):
        if i:
            story.append(PageBreak())
        story.extend(_doc_story(doc, st, width))
    footer = docs[0].header[0] if docs and docs[0].header else ""
    return _build_pdf(path, story, title, footer)


def closure_pdf(closure: dict[str, Any] | list[dict[str, Any]], path: str | os.PathLike,
                lang: str | None = None) -> Path:
    """An A4 PDF of a closure (or of several, one per page)."""
    items = closure if isinstance(closure, list) else [closure]
    if not items:
        raise ReportError(_("no closure to write"))
    docs = [closure_doc(c, lang) for c in items]
    return _docs_pdf(docs, path, docs[0].title)


def sales_pdf(report: dict[str, Any], path: str | os.PathLike, lang: str | None = None) -> Path:
    """An A4 PDF of a sales report."""
    doc = sales_doc(report, lang)
    return _docs_pdf([doc], path, doc.title)


# ---------------------------------------------------------------- the invoice
def invoice_number(ticket_number: int) -> str:
    return f"{INVOICE_PREFIX}{ticket_number}"


def invoice_pdf(actor: Actor, ticket_number: int, customer_id: int, path: str | os.PathLike,
                lang: str | None = None, issued: dt.date | None = None) -> Path:
    """An A4 invoice ("Invoice F-<ticket number>") for a paid ticket, made out to a customer by
    ``actor`` (the ``invoice`` permission; journaled with their name).

    Raises ReportError (a ValueError) for an unknown ticket or customer, a training
    ticket, or a ticket already bound to another customer."""
    check(actor, "invoice")
    lang = _lang(lang)
    training = data.ticket_training(ticket_number)
    ticket = tickets_db.get_ticket(ticket_number) if training is not None else None
    if ticket is None:
        raise ReportError(_("ticket {number} does not exist").format(number=ticket_number))
    if training:
        raise ReportError(_("ticket {number} was rung up in training mode: no invoice").format(number=ticket_number))
    if ticket.status != "paid":
        raise ReportError(_("ticket {number} is not paid").format(number=ticket_number))
    customer = customers.get_customer(customer_id)
    if customer is None:
        raise ReportError(_("customer {id} does not exist").format(id=customer_id))
    if ticket.customer_id is not None and ticket.customer_id != customer_id:
        raise ReportError(_("ticket {number} belongs to customer {id}").format(
            number=ticket_number, id=ticket.customer_id))
    shop = _shop()
    issued = issued or dt.date.today()
    written = _build_pdf(path, _invoice_story(ticket, customer, shop, lang, issued),
                         f"{_('Invoice')} {invoice_number(ticket_number)}",
                         " — ".join(x for x in (shop.get("shop.name", ""), _shop_legal(shop)) if x))
    # every invoice issued is in the fiscal journal: number, ticket, customer, the PDF's name
    events.log_event("invoice", actor.name, number=invoice_number(ticket_number), ticket=ticket_number,
                    customer=customer_id, file=Path(written).name)
    return written


def _shop_legal(shop: dict[str, str]) -> str:
    parts = []
    if shop.get("shop.siret"):
        parts.append(f"SIRET {shop['shop.siret']}")
    if shop.get("shop.vat_number"):
        parts.append(f"{_('VAT no.')} {shop['shop.vat_number']}")
    return " — ".join(parts)


def _invoice_story(ticket: tickets_db.TicketRecord, customer: dict[str, Any], shop: dict[str, str], lang: str,
                   issued: dt.date) -> list[Any]:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer
    from reportlab.platypus import Table as PdfTable

    st = _styles()
    width = A4[0] - 36 * mm

    def m(c: int) -> str:
        return format_amount(c, lang, currency=False)

    def para(text: str, style: str = "body") -> Any:
        return Paragraph(_pdf_text(text), st[style])

    seller = [para(shop.get("shop.name", ""), "shop")]
    seller += [para(x) for x in (shop.get("shop.address") or "").splitlines() if x.strip()]
    if shop.get("shop.phone"):
        seller.append(para(f"{_('Phone')} {shop['shop.phone']}"))
    if shop.get("shop.siret"):
        seller.append(para(f"SIRET {shop['shop.siret']}"))
    if shop.get("shop.vat_number"):
        seller.append(para(f"{_('VAT no.')} {shop['shop.vat_number']}"))
    buyer = [para(_("Bill to"), "bold"), para(customer.get("name") or "", "bold")]
    buyer += [para(x) for x in (customer.get("address") or "").splitlines() if x.strip()]
    city = " ".join(x for x in (customer.get("postcode") or "", customer.get("city") or "") if x)
    if city:
        buyer.append(para(city))
    if customer.get("vat_number"):
        buyer.append(para(f"{_('VAT no.')} {customer['vat_number']}"))
    if customer.get("email"):
        buyer.append(para(customer["email"]))
    if customer.get("phone"):
        buyer.append(para(customer["phone"]))
    buyer.append(para(f"{_('Customer no.')} {customer['id']}", "small"))
    parties = PdfTable([[seller, buyer]], colWidths=[width * 0.55, width * 0.45], hAlign="LEFT")
    parties.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)])

    refund = ticket.kind == "refund"
    title = _("Credit note") if refund else _("Invoice")
    story: list[Any] = [parties, Spacer(1, 10 * mm),
                        Paragraph(_pdf_text(f"{title} {invoice_number(ticket.number)}"), st["title"])]
    facts = [(_("Invoice date"), _when(issued.isoformat(), lang, time=False)),
             (_("Date of sale"), _when(ticket.created_at, lang)),
             (_("Ticket"), str(ticket.number))]
    if ticket.refund_of:
        facts.append((_("Refund of ticket"), str(ticket.refund_of)))
    story.extend(_pdf_table(Table("", (), facts), width * 0.6, st))
    story.append(Spacer(1, 5 * mm))

    rows = []
    for line in ticket.lines:
        amount = line["total"] + line["ticket_discount"]  # after its own discount, before the ticket's
        qty = format_qty(line["qty"], lang) + (" kg" if line.get("by_weight") else "")
        name = f"{line['reference']} {line['name']}".strip() if line.get("reference") else line["name"]
        rows.append((name, qty, m(line["unit_price"]), format_rate(line["vat_bp"], lang),
                     m(-line["discount_amount"]) if line["discount_amount"] else "", m(amount)))
    lines = Table("", (_("Description"), _("Qty"), _("Unit price incl. VAT"), _("VAT"), _("Discount"),
                       _("Amount incl. VAT")), rows)
    story.extend(_invoice_lines_table(lines, width, st))

    vat_excl = sum(v["excl"] for v in ticket.vat)
    vat_amount = sum(v["vat"] for v in ticket.vat)
    totals = []
    if ticket.discount_amount:
        totals.append((_("Subtotal"), m(ticket.subtotal)))
        totals.append((_("Ticket discount"), m(-ticket.discount_amount)))
    totals += [(_("Total excl. VAT"), m(vat_excl)), (_("VAT"), m(vat_amount)),
               (_("Total incl. VAT"), format_amount(ticket.total, lang))]
    story.append(Spacer(1, 3 * mm))
    totals_table = _pdf_table(Table("", (), totals, totals=1), width * 0.5, st)[0]
    totals_table.hAlign = "RIGHT"
    story.append(totals_table)
    story.extend(_pdf_table(_vat_table(ticket.vat, lang, _("VAT breakdown")), width * 0.7, st))
    pays = [(p["method_name"], m(p["amount"])) for p in ticket.payments]
    if ticket.change:
        pays.append((_("Change"), m(-ticket.change)))
    pays.append((_("Paid") if not refund else _("Refunded"), format_amount(ticket.total, lang)))
    story.extend(_pdf_table(Table(_("Payment"), (), pays, totals=1), width * 0.5, st))
    notes = [(f"{_('Credit note') if n['kind'] == 'credit_note' else _('Gift voucher')} {n['code']}",
              (_("issued: {amount}, valid until {date}") if n["expires_on"] else _("issued: {amount}")).format(
                  amount=m(n["amount"]), date=n["expires_on"]) if n["move"] == "issue"
              else _("used: {amount}, {balance} left").format(amount=m(-n["amount"]), balance=m(n["balance"])))
             for n in ticket.vouchers]
    if ticket.return_reason:
        notes.append((_("Return without a ticket"), ticket.return_reason))
    if notes:
        story.extend(_pdf_table(Table(_("Credit notes and gift vouchers"), (), notes), width * 0.8, st))
    story.append(Spacer(1, 6 * mm))
    story.append(para(_("Paid on {date} (ticket {number}).").format(
        date=_when(ticket.created_at, lang, time=False), number=ticket.number), "small"))
    return story


def _invoice_lines_table(table: Table, width: float, st: dict[str, Any]) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph
    from reportlab.platypus import Table as PdfTable

    regular, bold = _fonts()
    cells = [[Paragraph(_pdf_text(h), st["bold"] if i == 0 else st["right"]) for i, h in enumerate(table.head)]]
    for row in table.rows:
        cells.append([Paragraph(_pdf_text(row[0]), st["body"])] + [_pdf_plain(v)
                                                                    for v in row[1:]])
    widths = [width * 0.38, width * 0.09, width * 0.15, width * 0.09, width * 0.12, width * 0.17]
    t = PdfTable(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
    t.setStyle([("FONTNAME", (0, 0), (-1, -1), regular), ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey)])
    return [t]


# ---------------------------------------------------------------- the receipt printer
def report_lines(report: dict[str, Any], columns: int = 48, lang: str | None = None) -> list[str]:
    """The text of a closure dict or a sales report dict."""
    return sales_lines(report, columns, lang) if "by" in report and "summary" in report \
        else closure_lines(report, columns, lang)


def print_report(printer: Any, report: dict[str, Any], lang: str | None = None) -> Any:
    """Print a closure or a sales report on the receipt printer (its own width).

    Uses the printer's ``print_lines(lines, settings)`` (``EscposPrinter`` has it);
    raises DeviceError when the printer cannot print text reports."""
    from pos.hardware import DeviceError

    send = getattr(printer, "print_lines", None)
    if send is None:
        raise DeviceError(_("No receipt printer is configured (Configuration, Hardware)"), "none")
    shop = _shop()
    columns = int(getattr(printer, "columns", 0) or shop.get("printer.columns") or 48)
    document = getattr(printer, "print_document", None)
    if document is not None and not ("by" in report and "summary" in report):  # a closure: its QR drawn
        from pos.sale.receipt_doc import DocLine, Kind

        doc = closure_doc(report, lang)
        qrs = [DocLine(Kind.QR, b.data) for b in doc.blocks if isinstance(b, QR)]
        return document(tuple(DocLine(Kind.TEXT, line) for line in doc_lines(doc, columns, qr=False)) + tuple(qrs))
    return send(report_lines(report, columns, lang), shop)
