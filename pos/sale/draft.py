"""The ticket to record, typed: a frozen :class:`TicketDraft` with its lines, VAT and payments.

A sale, a refund and a web order are all made into a draft by ONE pure function,
:func:`ticket_draft`, from a :class:`~pos.sale.basket.Basket` and its
:class:`~pos.sale.basket.Totals`; ``pos.data.tickets.record_ticket`` writes a draft as it is.

A draft checks itself when it is made: every field has its exact type (money and
quantities are ``int``, never ``float`` or ``bool``), kinds are known values, and the
amounts add up (lines and VAT to the total, payments to what was paid).  A misspelt
field name is a ``TypeError`` (the classes take keyword arguments only).  These are
programming errors, not refusals: the messages are not translated.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from pos.sale.basket import Basket, Totals

KINDS = ("sale", "refund")
CHANNELS = ("pos", "web")  # the till, or a web order imported from PrestaShop
DISCOUNT_KINDS = ("percent", "amount")

_NONE = type(None)
_TYPES: dict[str, tuple[type, ...]] = {  # a field's annotation -> the exact types it accepts
    "int": (int,), "int | None": (int, _NONE), "str": (str,), "str | None": (str, _NONE), "bool": (bool,),
}
_SPECS: dict[type, tuple[tuple[str, tuple[type, ...]], ...]] = {}


def _check_types(obj: Any) -> None:
    """Every scalar field of ``obj`` has one of the exact types of its annotation (``bool`` is not an ``int``)."""
    cls = type(obj)
    spec = _SPECS.get(cls)
    if spec is None:
        spec = _SPECS[cls] = tuple((f.name, _TYPES[f.type]) for f in fields(cls) if f.type in _TYPES)
    for name, allowed in spec:
        value = getattr(obj, name)
        if type(value) not in allowed:
            expected = " or ".join("None" if t is _NONE else t.__name__ for t in allowed)
            raise TypeError(f"{cls.__name__}.{name} is {expected}, not {type(value).__name__}: {value!r}")


def _check_discount(owner: str, kind: str | None, value: int | None) -> None:
    if kind is not None and kind not in DISCOUNT_KINDS:
        raise ValueError(f"{owner}: unknown discount kind {kind!r}")
    if (kind is None) != (value is None):
        raise ValueError(f"{owner}: a discount has both a kind and a value, or neither")


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftLine:
    position: int  # 1, 2, ... in the order of the basket
    article_id: int | None
    reference: str
    barcode: str
    name: str
    department: str
    qty: int  # thousandths; negative on a refund
    unit_price: int  # cents, VAT included
    list_price: int  # the catalogue price (differs from unit_price after an override)
    vat_bp: int
    discount_kind: str | None  # the line's own discount, as given
    discount_value: int | None
    discount_amount: int  # cents: gross - net
    ticket_discount: int  # the line's share of the ticket discount
    total: int  # what the line finally costs
    refund_of_line: int | None = None  # the original ticket line of a refund line
    by_weight: bool = False

    def __post_init__(self) -> None:
        _check_types(self)
        _check_discount(f"line {self.position}", self.discount_kind, self.discount_value)
        if self.position < 1:
            raise ValueError(f"line position {self.position}: positions start at 1")
        if self.qty == 0:
            raise ValueError(f"line {self.position}: the quantity is zero")
        if self.unit_price < 0 or self.list_price < 0:
            raise ValueError(f"line {self.position}: a price is negative")
        if not 0 <= self.vat_bp <= 10_000:
            raise ValueError(f"line {self.position}: VAT rate {self.vat_bp} bp is not between 0 and 100 %")


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftVat:
    vat_bp: int
    total: int  # cents, VAT included
    excl: int
    vat: int

    def __post_init__(self) -> None:
        _check_types(self)
        if self.excl + self.vat != self.total:
            raise ValueError(f"VAT {self.vat_bp} bp: {self.excl} + {self.vat} is not {self.total}")


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftPayment:
    method_code: str
    method_name: str
    amount: int  # cents; negative on a refund
    reference: str = ""  # the credit note or voucher spent (pos.data.vouchers)

    def __post_init__(self) -> None:
        _check_types(self)
        if not self.method_code:
            raise ValueError("a payment needs a method code")


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketDraft:
    kind: str  # sale | refund
    user_id: int
    user_name: str
    created_at: str  # local ISO 8601 with its offset
    customer_id: int | None
    refund_of: int | None  # the ticket NUMBER a refund gives back
    subtotal: int  # sum of the line nets
    discount_kind: str | None  # the ticket discount, as given
    discount_value: int | None
    discount_amount: int
    total: int
    paid: int
    change: int
    lines: tuple[DraftLine, ...]
    vat: tuple[DraftVat, ...]
    payments: tuple[DraftPayment, ...]
    channel: str = "pos"
    training: bool = False
    reason: str = ""  # why a return was taken without a ticket (a refund with no refund_of)

    def __post_init__(self) -> None:
        _check_types(self)
        for name, cls in (("lines", DraftLine), ("vat", DraftVat), ("payments", DraftPayment)):
            items = tuple(getattr(self, name))
            if not all(type(item) is cls for item in items):
                raise TypeError(f"TicketDraft.{name} holds {cls.__name__}s only")
            object.__setattr__(self, name, items)  # a list given is frozen too
        if self.kind not in KINDS:
            raise ValueError(f"unknown ticket kind {self.kind!r}")
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")
        if self.kind != "refund" and (self.refund_of is not None or self.reason):
            raise ValueError("only a refund names the ticket it refunds or a return's reason")
        if self.kind == "refund" and (self.refund_of is None) == (not self.reason.strip()):
            raise ValueError("a refund names the ticket it refunds, or is a return without a ticket with a reason")
        _check_discount("ticket", self.discount_kind, self.discount_value)
        if not self.lines:
            raise ValueError("a ticket has lines")
        if [line.position for line in self.lines] != list(range(1, len(self.lines) + 1)):
            raise ValueError("line positions are 1, 2, 3...")
        if self.subtotal - self.discount_amount != self.total:
            raise ValueError(f"subtotal {self.subtotal} - discount {self.discount_amount} is not {self.total}")
        if sum(line.total for line in self.lines) != self.total:
            raise ValueError(f"the lines do not add up to the total {self.total}")
        if sum(v.total for v in self.vat) != self.total:
            raise ValueError(f"the VAT rates do not add up to the total {self.total}")
        if sum(p.amount for p in self.payments) != self.paid:
            raise ValueError(f"the payments do not add up to what was paid {self.paid}")
        if self.change < 0 or self.paid - self.change != self.total:
            raise ValueError(f"paid {self.paid} - change {self.change} is not the total {self.total}")


def ticket_draft(basket: Basket, totals: Totals, *, user_id: int, user_name: str, created_at: str,
                 channel: str = "pos", training: bool = False) -> TicketDraft:
    """The ticket of ``basket`` (a sale, a refund or a web order) with its ``totals`` (``basket.totals()``).

    Pure: reads the basket, changes nothing.  Payments are the basket's; a refund's lines keep
    their preset net amounts (``Line.preset_net``) through ``Line.discount_amount``."""
    lines = tuple(
        DraftLine(position=i, article_id=line.article_id, reference=line.reference, barcode=line.barcode,
                  name=line.name, department=line.department, qty=line.qty, unit_price=line.unit_price,
                  list_price=line.list_price if line.list_price is not None else line.unit_price,
                  vat_bp=line.vat_bp, discount_kind=line.discount.kind if line.discount else None,
                  discount_value=line.discount.value if line.discount else None,
                  discount_amount=line.discount_amount, ticket_discount=share, total=total,
                  refund_of_line=line.refund_of_line, by_weight=line.by_weight)
        for i, (line, share, total) in enumerate(zip(basket.lines, totals.line_shares, totals.line_totals),
                                                 start=1))
    discount = basket.discount
    return TicketDraft(
        kind="refund" if basket.is_refund else "sale", user_id=user_id, user_name=user_name,
        created_at=created_at, customer_id=basket.customer_id, refund_of=basket.refund_of,
        subtotal=totals.subtotal, discount_kind=discount.kind if discount else None,
        discount_value=discount.value if discount else None, discount_amount=totals.discount,
        total=totals.total, paid=basket.paid, change=basket.change, lines=lines,
        vat=tuple(DraftVat(vat_bp=v.vat_bp, total=v.total, excl=v.excl, vat=v.vat) for v in totals.vat),
        payments=tuple(DraftPayment(method_code=p.method, method_name=p.name, amount=p.amount,
                                    reference=p.reference) for p in basket.payments),
        channel=channel, training=training, reason=basket.reason)
