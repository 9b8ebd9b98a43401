"""Stock actions: goods receipts, stock counts, thresholds and net quantities; the stock's reads.

Each action takes who acts, checks the ``stock`` permission, validates every line before writing
anything, and writes its movements and journals its event in ONE transaction
(``pos.core.actions.change``).  The movements themselves are written by the database
(``pos/data/stock.py``): every change of an article's stock, whoever makes it, is one.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pos.core import i18n, permissions, settings
from pos.core.actions import change
from pos.core.csvcell import neutralise_row
from pos.core.errors import InvalidValue, Refusal
from pos.core.i18n import N_, _
from pos.core.money import QTY_ONE, format_qty, parse_qty
from pos.core.permissions import Actor
from pos.data import stock as stock_db
from pos.data.files import create_private
from pos.data.stock import Move, StockArticle

MAX_QTY = 1_000_000 * QTY_ONE  # a million units in one line is a typing mistake
MAX_LINES = 100_000
KIND_LABELS = {
    "sale": N_("sale"), "refund": N_("refund"), "web_order": N_("web order"), "receipt": N_("goods receipt"),
    "count": N_("count adjustment"), "import": N_("import"), "sync": N_("sync correction"),
    "manual": N_("manual"), "opening": N_("opening stock"),
}
UNIT_LABELS = {"kg": N_("kg"), "l": N_("l"), "piece": N_("piece")}


class StockError(Refusal):
    """A refused stock action; the message says which line and why."""


@dataclass(frozen=True)
class CountLine:
    article: StockArticle
    expected: int  # the stock when counted (thousandths)
    counted: int

    @property
    def difference(self) -> int:
        return self.counted - self.expected


def find(code: str) -> StockArticle:
    """The article with this reference or barcode, or a refusal naming the code."""
    code = code.strip()
    article = stock_db.article_by_code(code) if code else None
    if article is None:
        raise StockError(_("Unknown article: {code}").format(code=code))
    return article


def _check_qty(qty: int, article: StockArticle, *, positive: bool) -> None:
    if not isinstance(qty, int) or isinstance(qty, bool):
        raise StockError(_("{reference}: the quantity is not a number").format(reference=article.reference))
    if abs(qty) > MAX_QTY or (positive and qty <= 0) or (not positive and qty < 0):
        text = (_("{reference}: the quantity must be more than zero") if positive
                else _("{reference}: the quantity must be zero or more"))
        raise StockError(text.format(reference=article.reference))
    if not article.by_weight and qty % QTY_ONE:
        raise StockError(_("{reference}: {name} is counted in whole units").format(
            reference=article.reference, name=article.name))


def _check_lines(lines: Sequence[object]) -> None:
    if not lines:
        raise StockError(_("No line: scan or type at least one article"))
    if len(lines) > MAX_LINES:
        raise StockError(_("Too many lines at once ({count}, at most {limit})").format(
            count=len(lines), limit=MAX_LINES))


def receive(actor: Actor, lines: Sequence[tuple[str, int]], *, costs: dict[str, int] | None = None,
            reference: str = "") -> int:
    """A goods receipt: (code, quantity in thousandths) lines, a new cost price (cents, excl. VAT)
    for some codes, an optional supplier reference.  All lines or none; returns the lines written."""
    _check_lines(lines)
    costs = costs or {}
    reference = reference.strip()
    if len(reference) > 100 or any(ord(c) < 32 for c in reference):
        raise StockError(_("The supplier reference is one line of at most 100 characters"))
    found: dict[int, list] = {}
    for code, qty in lines:
        article = find(code)
        _check_qty(qty, article, positive=True)
        entry = found.setdefault(article.id, [article, 0, None])
        entry[1] += qty
    for code, cost in costs.items():
        article = find(code)
        if article.id not in found:
            raise StockError(_("{code}: a cost price for an article not received").format(code=code))
        if not isinstance(cost, int) or isinstance(cost, bool) or not 0 <= cost <= 100_000_000:
            raise StockError(_("{code}: the cost price must be zero or more").format(code=code))
        found[article.id][2] = cost
    rows = [(aid, qty, cost) for aid, (_a, qty, cost) in found.items()]
    about = _("receipt {reference}").format(reference=reference) if reference else _("goods receipt")
    with change(actor, "stock", "stock_received", reference=reference, lines=len(rows),
                quantity=sum(q for _a, q, _c in rows)):
        stock_db.receive(rows, actor.name, about)
    return len(rows)


def count_lines(lines: Sequence[tuple[str, int]], *, department: str | None = None,
                missing_zero: bool = False) -> list[CountLine]:
    """What a count found against what the till expects (a read: nothing is written).  A code
    counted twice (two shelves) is added up.  A count of a ``department`` with ``missing_zero``
    is a full count of it: its active articles not counted are counted as 0."""
    if department is None or not missing_zero:
        _check_lines(lines)
    found: dict[int, list] = {}
    for code, qty in lines:
        article = find(code)
        _check_qty(qty, article, positive=False)
        entry = found.setdefault(article.id, [article, 0])
        entry[1] += qty
    out = [CountLine(article, article.stock, counted) for article, counted in found.values()]
    if department is not None and missing_zero:
        out += [CountLine(a, a.stock, 0) for a in department_articles(department) if a.id not in found]
    return out


def not_counted(department: str, lines: Sequence[CountLine]) -> int:
    """How many active articles of ``department`` a count left out (their stock is kept)."""
    counted = {ln.article.id for ln in lines}
    return sum(1 for a in department_articles(department) if a.id not in counted)


def apply_count(actor: Actor, lines: Sequence[CountLine], *, reference: str = "") -> int:
    """Turn a count's differences into movements (the articles not counted keep their stock).  The
    difference is against the stock shown when counting: sales rung up meanwhile stay.  Returns the
    number of articles whose stock changed."""
    _check_lines(lines)
    deltas = [(ln.article.id, ln.difference) for ln in lines if ln.difference]
    about = _("count {reference}").format(reference=reference.strip()) if reference.strip() else _("stock count")
    with change(actor, "stock", "stock_counted", reference=reference.strip(), counted=len(lines),
                changed=len(deltas), difference=sum(d for _a, d in deltas)):
        stock_db.adjust(deltas, actor.name, about[:255])
    return len(deltas)


def set_fields(actor: Actor, code: str, *, net_qty: int | None, net_unit: str, low_stock: int | None) -> None:
    """An article's net quantity (thousandths of ``net_unit``: kg, l or piece) and low-stock threshold
    (thousandths; None: the shop's default)."""
    article = find(code)
    stock_db.check_stock_fields(net_qty, net_unit, low_stock)
    with change(actor, "stock", "article_stock_fields", id=article.id, reference=article.reference,
                net_qty=net_qty, net_unit=net_unit, low_stock=low_stock):
        stock_db.set_stock_fields(article.id, net_qty=net_qty, net_unit=net_unit, low_stock=low_stock)


# a unit as typed -> (the stored unit, how many typed units make one stored unit)
NET_UNITS = {"kg": ("kg", 1), "g": ("kg", 1000), "l": ("l", 1), "litre": ("l", 1), "cl": ("l", 100),
             "ml": ("l", 1000), "piece": ("piece", 1), "pieces": ("piece", 1), "pc": ("piece", 1),
             "pièce": ("piece", 1), "pièces": ("piece", 1)}


def parse_net(text: str) -> tuple[int | None, str]:
    """``250 g`` -> (250, "kg"); ``75 cl`` -> (750, "l"); ``6 pièces`` -> (6000, "piece"); ``""`` -> (None, "")."""
    text = text.strip()
    if not text:
        return None, ""
    number, _sep, unit = text.replace("\xa0", " ").partition(" ")
    if not unit.strip():
        match = re.fullmatch(r"([0-9.,]+)\s*([^\s0-9.,]+)", text)
        number, unit = (match.group(1), match.group(2)) if match else (text, "")
    stored, divisor = NET_UNITS.get(unit.strip().lower(), (unit.strip().lower(), 1))
    try:
        milli = parse_qty(number)
    except InvalidValue:
        raise StockError(_("Net quantity: a number and a unit, e.g. 250 g, 75 cl, 6 pieces")) from None
    if not stored:
        raise StockError(_("Net quantity: a number and a unit, e.g. 250 g, 75 cl, 6 pieces"))
    if milli % divisor:
        raise StockError(_("{text} is finer than a thousandth of a {unit}").format(text=text, unit=stored))
    return milli // divisor, stored


def format_net(net_qty: int | None, net_unit: str) -> str:
    if net_qty is None or not net_unit:
        return ""
    return f"{format_qty(net_qty, i18n.language())} {_(UNIT_LABELS.get(net_unit, net_unit))}"


def low_default() -> int:
    """The shop's low-stock threshold, in thousandths."""
    return int(settings.get("stock.low_default")) * QTY_ONE


def low(department: str | None = None, limit: int = 1000) -> list[StockArticle]:
    if department is not None and not stock_db.department_exists(department):
        raise StockError(_("Unknown department: {name}").format(name=department))
    return stock_db.low(low_default(), department, limit)


def threshold(article: StockArticle) -> int:
    return low_default() if article.low_stock is None else article.low_stock


def moves(code: str | None = None, *, limit: int = 200, before_id: int | None = None) -> list[Move]:
    return stock_db.moves(find(code).id if code else None, limit=limit, before_id=before_id)


def article_moves(article_id: int, *, limit: int = 200, before_id: int | None = None) -> list[Move]:
    return stock_db.moves(article_id, limit=limit, before_id=before_id)


def check() -> list[tuple[int, str, str, int, int]]:
    return stock_db.check()


def value(actor: Actor) -> list[tuple[str, int, int]]:
    """The stock's value at cost per department: cost prices are a manager's (``reports``, as the margins)."""
    permissions.check(actor, "reports")
    return stock_db.value()


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


EXPORT_COLUMNS = ("id", "at", "reference", "name", "kind", "quantity", "user", "about")


def export_moves(path: str | os.PathLike, *, code: str | None = None, since: str = "") -> int:
    """The movements (all, or one article's; from ``since``, a date) as CSV, UTF-8, ``;``-separated,
    quantities with a decimal point, formula cells neutralised.  Written to a temporary file then renamed;
    returns the rows written."""
    article_id = find(code).id if code else None
    target = Path(path)
    tmp = target.with_name(target.name + ".part")
    create_private(tmp)
    count = 0
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, delimiter=";")
            writer.writerow(EXPORT_COLUMNS)
            for m in stock_db.iter_moves(article_id, since):
                writer.writerow(neutralise_row([m.id, m.at, m.reference, m.name, m.kind, _qty(m.qty),
                                                m.user_name, m.about]))
                count += 1
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return count


def _qty(milli: int) -> str:
    sign = "-" if milli < 0 else ""
    units, frac = divmod(abs(milli), QTY_ONE)
    return f"{sign}{units}" + (f".{frac:03d}".rstrip("0") if frac else "")


def department_articles(department: str | None) -> Iterable[StockArticle]:
    """Every active article (or one department's), a page at a time (a count of the whole shop)."""
    if department is not None and not stock_db.department_exists(department):
        raise StockError(_("Unknown department: {name}").format(name=department))
    after = 0
    while True:
        page = stock_db.department_articles(department, after=after)
        yield from page
        if len(page) < 500:
            return
        after = page[-1].id
