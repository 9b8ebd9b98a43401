"""The basket: lines, discounts, VAT and payments.  Pure Python, no I/O, no Kivy.

All amounts are integer cents, VAT included; quantities are thousandths; rates
are basis points (see ``pos.core.money``).

How a ticket's amounts are computed (one rule, everywhere):

1. line gross  = round(unit price × quantity)
2. line discount = round(gross × %) or a fixed amount (never more than the gross)
3. line net = gross − line discount
4. the ticket discount (a % of the sum of the nets, or an amount) is spread over
   the VAT rates in proportion to each rate's total, then within a rate over its
   lines in proportion to their nets (largest remainder: parts sum exactly)
5. per VAT rate: total incl. VAT is summed, excl. VAT = round(total / (1 + rate)),
   VAT = total − excl. VAT.

"round" is ``pos.core.money.round_div``: half up on the magnitude.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pos.core.errors import Refusal
from pos.core.i18n import _
from pos.core.money import QTY_ONE, allocate, line_amount, percent_of, split_vat


class BasketError(Refusal):
    """A request the basket refuses (the message is shown to the cashier)."""


@dataclass(frozen=True)
class Discount:
    kind: str  # "percent" (value in basis points) | "amount" (value in cents)
    value: int

    def __post_init__(self) -> None:
        if self.kind not in ("percent", "amount"):
            raise BasketError(_("unknown discount kind {kind}").format(kind=self.kind))
        if self.value < 0:
            raise BasketError(_("a discount cannot be negative"))
        if self.kind == "percent" and self.value > 10_000:
            raise BasketError(_("a discount cannot exceed 100 %"))

    def amount_on(self, base: int) -> int:
        """Discount on ``base`` (same sign as base, never larger in magnitude)."""
        if self.kind == "percent":
            return percent_of(base, self.value)
        amount = min(self.value, abs(base))
        return -amount if base < 0 else amount


@dataclass
class Line:
    name: str
    unit_price: int
    qty: int
    vat_bp: int
    article_id: int | None = None
    reference: str = ""
    barcode: str = ""
    department: str = ""
    list_price: int | None = None  # catalogue price; differs from unit_price after an override
    by_weight: bool = False
    discount: Discount | None = None
    # refunds: the original line and the net amount refunded (negative)
    refund_of_line: int | None = None
    preset_net: int | None = None

    def __post_init__(self) -> None:
        if self.list_price is None:
            self.list_price = self.unit_price

    @property
    def gross(self) -> int:
        return line_amount(self.unit_price, self.qty)

    @property
    def discount_amount(self) -> int:
        if self.preset_net is not None:
            return self.gross - self.preset_net
        return self.discount.amount_on(self.gross) if self.discount else 0

    @property
    def net(self) -> int:
        return self.preset_net if self.preset_net is not None else self.gross - self.discount_amount

    @property
    def price_overridden(self) -> bool:
        return self.unit_price != self.list_price


@dataclass
class Payment:
    method: str  # payment method code
    name: str
    amount: int  # cents; negative on a refund
    gives_change: bool = False
    reference: str = ""  # the credit note or voucher spent (its code)


@dataclass(frozen=True)
class VatTotal:
    vat_bp: int
    total: int
    excl: int
    vat: int


@dataclass(frozen=True)
class Totals:
    subtotal: int  # sum of line nets
    discount: int  # ticket discount
    total: int
    line_shares: tuple[int, ...]  # ticket discount share of each line
    line_totals: tuple[int, ...]  # each line's final amount
    vat: tuple[VatTotal, ...]

    @property
    def vat_amount(self) -> int:
        return sum(v.vat for v in self.vat)


@dataclass
class Basket:
    lines: list[Line] = field(default_factory=list)
    discount: Discount | None = None
    payments: list[Payment] = field(default_factory=list)
    customer_id: int | None = None
    refund_of: int | None = None  # ticket number this basket refunds
    label: str = ""
    reason: str = ""  # a return without a ticket: why (a refund basket with no refund_of)

    # ---- lines -----------------------------------------------------------------
    @property
    def is_refund(self) -> bool:
        return self.refund_of is not None or bool(self.reason)

    def add(self, line: Line) -> int:
        if line.qty == 0:
            raise BasketError(_("the quantity cannot be zero"))
        if not self.is_refund and line.qty < 0:
            raise BasketError(_("a sale line cannot have a negative quantity; use a refund"))
        if line.unit_price < 0:
            raise BasketError(_("a price cannot be negative"))
        self.lines.append(line)
        return len(self.lines) - 1

    def line(self, index: int) -> Line:
        try:
            return self.lines[index]
        except IndexError:
            raise BasketError(_("there is no line {n}").format(n=index + 1)) from None

    def set_qty(self, index: int, qty: int) -> None:
        line = self.line(index)
        if qty <= 0:
            raise BasketError(_("the quantity must be positive"))
        if not line.by_weight and qty % QTY_ONE:
            raise BasketError(_("{name} is sold by the unit: whole quantities only").format(name=line.name))
        if self.is_refund:
            raise BasketError(_("change the refunded quantity from the original ticket"))
        line.qty = qty

    def set_price(self, index: int, unit_price: int) -> None:
        if unit_price < 0:
            raise BasketError(_("a price cannot be negative"))
        if self.is_refund:
            raise BasketError(_("a refund keeps the original prices"))
        self.line(index).unit_price = unit_price

    def set_line_discount(self, index: int, discount: Discount | None) -> None:
        line = self.line(index)
        if self.is_refund:
            raise BasketError(_("a refund keeps the original discounts"))
        if discount and discount.kind == "amount" and discount.value > line.gross:
            raise BasketError(_("the discount is larger than the line"))
        line.discount = discount

    def remove(self, index: int) -> Line:
        line = self.line(index)
        del self.lines[index]
        return line

    def set_discount(self, discount: Discount | None) -> None:
        if self.is_refund and discount:
            raise BasketError(_("a refund keeps the original discounts"))
        if discount and discount.kind == "amount" and discount.value > self.totals().subtotal:
            raise BasketError(_("the discount is larger than the ticket"))
        self.discount = discount

    # ---- amounts -----------------------------------------------------------------
    def totals(self) -> Totals:
        nets = [line.net for line in self.lines]
        subtotal = sum(nets)
        discount = self.discount.amount_on(subtotal) if self.discount else 0
        rates: dict[int, list[int]] = {}
        for i, line in enumerate(self.lines):
            rates.setdefault(line.vat_bp, []).append(i)
        rate_keys = sorted(rates, reverse=True)
        rate_totals = [sum(nets[i] for i in rates[r]) for r in rate_keys]
        rate_shares = allocate(discount, [abs(t) for t in rate_totals])
        shares = [0] * len(self.lines)
        for r, share in zip(rate_keys, rate_shares):
            idx = rates[r]
            for i, part in zip(idx, allocate(share, [abs(nets[i]) for i in idx])):
                shares[i] = part
        line_totals = tuple(n - s for n, s in zip(nets, shares))
        vat = []
        for r, rt, share in zip(rate_keys, rate_totals, rate_shares):
            total = rt - share
            excl, tax = split_vat(total, r)
            vat.append(VatTotal(r, total, excl, tax))
        return Totals(subtotal, discount, subtotal - discount, tuple(shares), line_totals, tuple(vat))

    @property
    def total(self) -> int:
        return self.totals().total

    # ---- payments ----------------------------------------------------------------
    @property
    def paid(self) -> int:
        return sum(p.amount for p in self.payments)

    @property
    def remaining(self) -> int:
        """What is left to pay (negative on a refund: left to give back); 0 once settled."""
        total, paid = self.total, self.paid
        if total >= 0:
            return max(0, total - paid)
        return min(0, total - paid)

    @property
    def change(self) -> int:
        total = self.total
        return max(0, self.paid - total) if total >= 0 else 0

    def add_payment(self, method: str, name: str, gives_change: bool, amount: int | None = None) -> Payment:
        """Add a payment.  ``amount=None`` pays the whole remainder.

        Only a method that gives change (cash) may be over-tendered.  On a
        refund, amounts are given back (stored negative) and never exceed what is due.
        """
        if not self.lines:
            raise BasketError(_("the basket is empty"))
        remaining = self.remaining
        if remaining == 0:
            raise BasketError(_("nothing is left to pay"))
        if amount is None:
            amount = remaining
        elif self.total < 0:
            amount = -abs(amount)
        if amount == 0 or (amount > 0) != (remaining > 0):
            raise BasketError(_("the amount must be positive"))
        if abs(amount) > abs(remaining) and (self.total < 0 or not gives_change):
            raise BasketError(_("{name} cannot exceed the amount due; only cash gives change").format(name=name))
        payment = Payment(method, name, amount, gives_change)
        self.payments.append(payment)
        return payment

    def remove_payment(self, index: int) -> Payment:
        try:
            return self.payments.pop(index)
        except IndexError:
            raise BasketError(_("there is no payment {n}").format(n=index + 1)) from None

    def check_payable(self) -> Totals:
        """Raise unless the basket can be committed as it stands."""
        if not self.lines:
            raise BasketError(_("the basket is empty"))
        totals = self.totals()
        if self.remaining != 0:
            raise BasketError(_("the ticket is not fully paid"))
        change = self.change
        cash = sum(p.amount for p in self.payments if p.gives_change)
        if change > 0 and change > cash:  # on a refund cash is negative and there is no change
            raise BasketError(_("change can only be given from cash"))
        if totals.total >= 0 and self.paid - change != totals.total:
            raise BasketError(_("the payments do not match the total"))
        if totals.total < 0 and self.paid != totals.total:
            raise BasketError(_("the refund does not match the total"))
        return totals

    # ---- persistence (parked and current baskets) ---------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Basket:
        def disc(d: dict | None) -> Discount | None:
            return Discount(**d) if d else None

        lines = []
        for ld in data.get("lines", []):
            ld = dict(ld)
            ld["discount"] = disc(ld.get("discount"))
            lines.append(Line(**ld))
        return cls(
            lines=lines,
            discount=disc(data.get("discount")),
            payments=[Payment(**p) for p in data.get("payments", [])],
            customer_id=data.get("customer_id"),
            refund_of=data.get("refund_of"),
            label=data.get("label", ""),
            reason=data.get("reason", ""),
        )
