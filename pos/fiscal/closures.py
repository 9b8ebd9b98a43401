"""Closures (daily Z, monthly, yearly), the X report, the cash count and cash movements.

No Kivy, no SQL: the queries are in ``pos/data/closures.py``.

* A **daily Z** (kind ``day``) covers every ticket numbered above the previous
  Z's last ticket, up to the last ticket now, and the cash movements recorded
  since the previous Z.  Its period runs from the previous Z's end (or the first
  ticket) to now.  Training tickets are numbered inside that range but counted
  apart (``data["training"]``) and kept out of every fiscal total.
* A **monthly closure** (``month``) sums the daily Zs not yet in a monthly
  closure; a **yearly closure** (``year``) sums the monthly closures not yet in a
  yearly one.  Neither runs while something is left below it: tickets not yet in
  a Z refuse a monthly closure (run the Z first: it needs the cash count), Zs not
  yet in a month refuse a yearly one.  An empty closure is refused too.
* The **X report** (``x``) is a Z that is computed, shown and never stored.
* Numbers are per kind, gap-free.  Each stored closure is one transaction: the
  journal record, then the row (which keeps that record's seq and the hash of
  the record before it).

Amounts are integer cents.  ``data["payments"]`` is what each method really
took: tendered amounts minus the change given back (the change of a ticket is
taken from its payments that give change, in order), so the payments add up to
the total.  ``data["discounts"]`` are the discounts given on sales (line and
ticket discounts, positive); refunds give back discounted amounts and are
reported as they are (``data["refunds"]``).

The cash count: expected = float + cash taken − change given − cash out + cash in,
where the float is the last float declared since the previous Z (0 if none), cash
taken is what the cash methods (those that give change) received (refunds paid in
cash are negative) and change given is the tickets' change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pos.core import settings
from pos.core.errors import Refusal
from pos.core.i18n import _, language, ngettext
from pos.core.money import format_amount
from pos.core.permissions import Actor, check
from pos.data import closures as db
from pos.data import vouchers as vouchers_db
from pos.data.common import now_iso

KINDS = ("day", "month", "year")
CHILD = {"month": "day", "year": "month"}
MOVEMENT_KINDS = ("float", "in", "out")
# euro notes and coins, in cents: the denominations of a cash count
DENOMINATIONS = (50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1)
CLOSURE_KEYS = ("kind", "number", "till", "created_at", "user_name", "period_start", "period_end",
                "first_ticket", "last_ticket", "ticket_count", "total", "perpetual_total", "journal_seq",
                "last_hash", "data")


class ClosureError(Refusal):
    """A refused closure or cash movement; nothing was recorded.  The message is shown as is."""


# ---------------------------------------------------------------- pure arithmetic
def expected_cash(float_: int, cash_taken: int, change_given: int, cash_in: int, cash_out: int) -> int:
    """The cash that should be in the drawer."""
    return float_ + cash_taken - change_given - cash_out + cash_in


def counted_from_detail(detail: Mapping[str | int, int]) -> tuple[int, dict[str, int]]:
    """(total in cents, normalised detail) of a count by denomination ({"2000": 3, ...})."""
    out: dict[str, int] = {}
    total = 0
    for key, count in detail.items():
        try:
            value = int(key)
        except (TypeError, ValueError):
            raise ClosureError(_("unknown denomination {value}").format(value=key)) from None
        if value not in DENOMINATIONS:
            raise ClosureError(_("unknown denomination {value}").format(value=key))
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ClosureError(_("a count of notes or coins is a whole number, not {count}").format(count=count))
        if count:
            out[str(value)] = out.get(str(value), 0) + count
            total += value * count
    return total, dict(sorted(out.items(), key=lambda kv: -int(kv[0])))


def net_payments(rows: Any, positions: Mapping[str, tuple[int, str]]) -> tuple[list[dict[str, Any]], int]:
    """Per method, what it really took, from (ticket id, change, code, name, amount, gives change) rows
    sorted by ticket: the change of each ticket is taken from its change-giving payments, in order.
    Returns (payments sorted by method position, cash tendered by the change-giving methods)."""
    found: dict[str, dict[str, Any]] = {}
    cash_taken = 0
    ticket, left = None, 0
    for ticket_id, change, code, name, amount, gives_change in rows:
        if ticket_id != ticket:
            ticket, left = ticket_id, change
        net = amount
        if gives_change:
            cash_taken += amount
            if left > 0 and amount > 0:
                taken = min(left, amount)
                net, left = amount - taken, left - taken
        entry = found.setdefault(code, {"method_code": code, "method_name": name, "amount": 0, "count": 0})
        entry["amount"] += net
        entry["count"] += 1
    return _sorted_payments(found.values(), positions), cash_taken


def _sorted_payments(payments: Any, positions: Mapping[str, tuple[int, str]]) -> list[dict[str, Any]]:
    return sorted(payments, key=lambda p: (positions.get(p["method_code"], (1 << 30, ""))[0], p["method_code"]))


def merge(children: list[dict[str, Any]], positions: Mapping[str, tuple[int, str]]) -> dict[str, Any]:
    """The ``data`` of a monthly (or yearly) closure from its Zs (or months), less last_seq/last_hash."""
    vat: dict[int, dict[str, int]] = {}
    payments: dict[str, dict[str, Any]] = {}
    sums = {"sales": {"count": 0, "total": 0}, "refunds": {"count": 0, "total": 0},
            "training": {"count": 0, "total": 0}}
    cash = {"float": 0, "cash_in": 0, "cash_out": 0, "cash_taken": 0, "change_given": 0, "expected": 0}
    counted: int | None = None
    difference: int | None = None
    movements: list[dict[str, Any]] = []
    discounts = 0
    last_movement_id = 0
    for child in children:
        d = child["data"]
        for v in d["vat"]:
            acc = vat.setdefault(v["vat_bp"], {"vat_bp": v["vat_bp"], "excl": 0, "vat": 0, "total": 0})
            for k in ("excl", "vat", "total"):
                acc[k] += v[k]
        for p in d["payments"]:
            acc = payments.setdefault(p["method_code"], dict(p, amount=0, count=0))
            acc["method_name"] = p["method_name"]
            acc["amount"] += p["amount"]
            acc["count"] += p["count"]
        for key, acc in sums.items():
            acc["count"] += d[key]["count"]
            acc["total"] += d[key]["total"]
        discounts += d["discounts"]
        c = d["cash"]
        for k in cash:
            cash[k] += c[k]
        if c["counted"] is not None:
            counted = (counted or 0) + c["counted"]
        if c["difference"] is not None:
            difference = (difference or 0) + c["difference"]
        movements += c["movements"]
        last_movement_id = max(last_movement_id, c.get("last_movement_id", 0))
    merged = {
        "vat": sorted(vat.values(), key=lambda v: -v["vat_bp"]),
        "payments": _sorted_payments(payments.values(), positions),
        **sums,
        "discounts": discounts,
        "cash": {**cash, "counted": counted, "counted_detail": {}, "difference": difference,
                 "movements": movements, "last_movement_id": last_movement_id},
        "closures": [child["number"] for child in children],
    }
    notes = [child["data"]["vouchers"] for child in children if child["data"].get("vouchers")]
    if notes:  # credit notes and gift vouchers: the sums of the period, what is outstanding at its end
        merged["vouchers"] = {**{k: sum(n.get(k, 0) for n in notes) for k in (
            "issued", "issued_count", "redeemed", "redeemed_count", "cancelled", "cancelled_count")},
            "outstanding": notes[-1].get("outstanding", 0), "outstanding_count": notes[-1].get("outstanding_count", 0)}
    return merged


# ---------------------------------------------------------------- reading the period
def _cash(movements: list[dict[str, Any]], cash_taken: int, change_given: int, counted: int | None,
          counted_detail: dict[str, int], last_movement_id: int) -> dict[str, Any]:
    floats = [m["amount"] for m in movements if m["kind"] == "float"]
    float_ = floats[-1] if floats else 0
    cash_in = sum(m["amount"] for m in movements if m["kind"] == "in")
    cash_out = sum(m["amount"] for m in movements if m["kind"] == "out")
    expected = expected_cash(float_, cash_taken, change_given, cash_in, cash_out)
    return {"float": float_, "cash_in": cash_in, "cash_out": cash_out, "cash_taken": cash_taken,
            "change_given": change_given, "expected": expected, "counted": counted,
            "counted_detail": counted_detail, "difference": None if counted is None else counted - expected,
            "movements": [{k: m[k] for k in ("at", "kind", "amount", "reason", "user_name")} for m in movements],
            "last_movement_id": last_movement_id}


def figures(after: int, upto: int) -> dict[str, Any]:
    """What the tickets numbered in (after, upto] add up to: sales, refunds, training, discounts, VAT per
    rate, payments per method, cash taken and change given (a Z's figures; ``pos.fiscal.verify`` recomputes
    each stored Z with it)."""
    sums = {"sales": {"count": 0, "total": 0}, "refunds": {"count": 0, "total": 0},
            "training": {"count": 0, "total": 0}}
    change_given = discounts = 0
    for training, kind, count, total, change, discount in db.ticket_totals(after, upto):
        acc = sums["training"] if training else sums["refunds" if kind == "refund" else "sales"]
        acc["count"] += count
        acc["total"] += total
        if not training:
            change_given += change
            if kind != "refund":
                discounts += discount
    discounts += db.line_discounts(after, upto)
    payments, cash_taken = net_payments(db.payment_rows(after, upto), db.method_positions())
    return {**sums, "discounts": discounts, "payments": payments, "cash_taken": cash_taken,
            "change_given": change_given,
            "vat": [{"vat_bp": bp, "excl": excl, "vat": vat, "total": t} for bp, excl, vat, t in
                    db.vat_totals(after, upto)]}


def _day(counted: int | None, counted_detail: dict[str, int], now: str) -> dict[str, Any]:
    """The fields of a Z (or X) over what no Z covers yet, with perpetual_total."""
    prev = db.last_closure("day")
    after = db.last_day_ticket()
    n_all, upto, first_at = db.ticket_bounds(after)
    f = figures(after, upto)
    prev_movement = prev["data"]["cash"].get("last_movement_id", 0) if prev else 0
    last_movement = db.last_movement_id()
    moves = db.movements(prev_movement, last_movement)
    total = f["sales"]["total"] + f["refunds"]["total"]
    data = {
        "vat": f["vat"],
        "payments": f["payments"],
        **{k: f[k] for k in ("sales", "refunds", "training")},
        "discounts": f["discounts"],
        "cash": _cash(moves, f["cash_taken"], f["change_given"], counted, counted_detail,
                      max(prev_movement, last_movement)),
        "closures": [],
        # credit notes and gift vouchers: a liability, not a sale (issued, redeemed, outstanding at the end)
        "vouchers": vouchers_db.totals(prev["period_end"] if prev else None, now),
    }
    return {
        "period_start": prev["period_end"] if prev else min([first_at or now, *(m["at"] for m in moves)]),
        "period_end": now,
        "first_ticket": after + 1 if n_all else None,
        "last_ticket": upto if n_all else None,
        "ticket_count": f["sales"]["count"] + f["refunds"]["count"],
        "total": total,
        "perpetual_total": (prev["perpetual_total"] if prev else 0) + total,
        "data": data,
        "_empty": not n_all and not moves,
    }


def _aggregate(kind: str, now: str) -> dict[str, Any]:
    """The fields of a monthly or yearly closure over the closures below it not yet included."""
    child_kind = CHILD[kind]
    pending = _pending_below(kind)
    if pending:
        raise ClosureError(pending)
    prev = db.last_closure_with_children(kind)
    after = max(prev["data"]["closures"]) if prev else 0
    children = db.closures(child_kind, after)
    data = merge(children, db.method_positions())
    last_day = db.last_closure("day")
    previous = db.last_closure(kind)
    firsts = [c["first_ticket"] for c in children if c["first_ticket"] is not None]
    lasts = [c["last_ticket"] for c in children if c["last_ticket"] is not None]
    return {
        "period_start": (previous["period_end"] if previous else
                         children[0]["period_start"] if children else now),
        "period_end": now,
        "first_ticket": min(firsts) if firsts else None,
        "last_ticket": max(lasts) if lasts else None,
        "ticket_count": sum(c["ticket_count"] for c in children),
        "total": sum(c["total"] for c in children),
        "perpetual_total": last_day["perpetual_total"] if last_day else 0,
        "data": data,
        "_empty": not children,
    }


def _pending_below(kind: str) -> str | None:
    """Why a monthly or yearly closure cannot run yet (None: it can)."""
    n_tickets = db.ticket_bounds(db.last_day_ticket())[0]
    if n_tickets:
        return ngettext("{n} ticket is not in a daily closure yet: run the daily closure (Z) first",
                        "{n} tickets are not in a daily closure yet: run the daily closure (Z) first",
                        n_tickets).format(n=n_tickets)
    if kind == "year":
        prev = db.last_closure_with_children("month")
        days = db.closures("day", max(prev["data"]["closures"]) if prev else 0)
        if days:
            return ngettext("{n} daily closure is not in a monthly closure yet: run the monthly closure first",
                            "{n} daily closures are not in a monthly closure yet: run the monthly closure first",
                            len(days)).format(n=len(days))
    return None


def _build(kind: str, number: int, user_name: str, till: str | None, counted: int | None,
           counted_detail: Mapping[str | int, int] | None) -> dict[str, Any]:
    if kind not in (*KINDS, "x"):
        raise ClosureError(_("unknown closure kind {kind}").format(kind=kind))
    detail: dict[str, int] = {}
    if counted_detail:
        if kind in CHILD:
            raise ClosureError(_("the cash is counted on the daily closure"))
        total, detail = counted_from_detail(counted_detail)
        if counted is not None and counted != total:
            raise ClosureError(_("the counted cash {counted} differs from the sum of the notes and coins {total}")
                               .format(counted=format_amount(counted, language()),
                                       total=format_amount(total, language())))
        counted = total
    if counted is not None:
        if kind in CHILD:
            raise ClosureError(_("the cash is counted on the daily closure"))
        if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
            raise ClosureError(_("the counted cash cannot be negative"))
    now = now_iso()
    fields = _aggregate(kind, now) if kind in CHILD else _day(counted, detail, now)
    empty = fields.pop("_empty")
    if empty and kind != "x":
        raise ClosureError(_("nothing to close since the last closure"))
    last_seq, last_hash = db.journal_last()
    fields["data"]["last_seq"] = last_seq
    fields["data"]["last_hash"] = last_hash
    closure = {"kind": kind, "number": number, "till": till or settings.get("till.name"), "created_at": now,
               "user_name": user_name, **fields, "journal_seq": last_seq, "last_hash": last_hash}
    return {k: closure[k] for k in CLOSURE_KEYS}


# ---------------------------------------------------------------- API
def x_report(actor: Actor, till: str | None = None, counted: int | None = None,
             counted_detail: Mapping[str | int, int] | None = None) -> dict[str, Any]:
    """The intermediate report: what a Z would hold now (kind "x", number 0).  Stores nothing."""
    check(actor, "reports")
    with db.read_transaction():
        return _build("x", 0, actor.name, till, counted, counted_detail)


def close(actor: Actor, kind: str, counted: int | None = None,
          counted_detail: Mapping[str | int, int] | None = None, till: str | None = None) -> dict[str, Any]:
    """Run and store a closure (``day``, ``month`` or ``year``) in one transaction; returns it.

    ``counted`` (cents) and/or ``counted_detail`` ({denomination in cents: count}) are the cash
    count of a daily Z.  Raises ``ClosureError`` (nothing stored) on a refusal."""
    check(actor, "closure")
    if kind not in KINDS:
        raise ClosureError(_("unknown closure kind {kind}").format(kind=kind))
    with db.write_transaction():
        closure = _build(kind, db.next_number(kind), actor.name, till, counted, counted_detail)
        closure["journal_seq"] = db.insert_closure(closure)
    db.after_commit()
    return closure


def closures(kind: str | None = None) -> list[dict[str, Any]]:
    """Stored closures (oldest first), as the dicts ``close`` returns."""
    return [{k: c[k] for k in CLOSURE_KEYS} for c in db.closures(kind)]


def read_closures(actor: Actor, kind: str | None = None) -> list[dict[str, Any]]:
    """The stored closures for someone reading them (the reports screen): a manager's (``reports``)."""
    check(actor, "reports")
    return closures(kind)


def get_closure(kind: str, number: int) -> dict[str, Any] | None:
    c = db.get_closure(kind, number)
    return {k: c[k] for k in CLOSURE_KEYS} if c else None


def anchor(closure: Mapping[str, Any]) -> dict[str, str] | None:
    """What a stored closure prints so that the journal can later be checked against paper: its own
    journal record (seq and hash: ``pos journal verify --anchor SEQ:HASH``), the fingerprint of the
    key that signed it, and the text of its QR code.  None for an X report (nothing is recorded)."""
    from pos.data import journal, signing

    seq = closure.get("journal_seq")
    digest = journal.hash_at(seq) if closure.get("kind") != "x" and seq else None
    if digest is None:
        return None
    public = journal.key_at(seq)
    fp = signing.fingerprint(public) if public else ""
    # SEQ:HASH:FINGERPRINT in upper case: the QR code's alphanumeric mode, a smaller code
    return {"anchor": f"{seq}:{digest}", "fingerprint": fp, "qr": f"{seq}:{digest}:{fp}".rstrip(":").upper()}


def cash_movement(actor: Actor, kind: str, amount: int, reason: str) -> dict[str, Any]:
    """Record cash put in (``in``), taken out (``out``) or the opening float (``float``), journaled.

    A reason is required for in and out.  The movement belongs to the next Z."""
    if kind not in MOVEMENT_KINDS:
        raise ClosureError(_("unknown cash movement {kind}: float, in or out").format(kind=kind))
    check(actor, "cash_out" if kind == "out" else "cash_in")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ClosureError(_("an amount is an integer number of cents"))
    if amount < 0 or (amount == 0 and kind != "float"):
        raise ClosureError(_("the amount must be positive"))
    reason = (reason or "").strip()
    if kind != "float" and not reason:
        raise ClosureError(_("a reason is required for cash put in or taken out"))
    return db.insert_movement(kind, amount, reason, actor.name, now_iso())


def pending_movements(actor: Actor) -> list[dict[str, Any]]:
    """The cash movements the next Z will hold (who moved cash, and why: a report)."""
    check(actor, "reports")
    prev = db.last_closure("day")
    return db.movements(prev["data"]["cash"].get("last_movement_id", 0) if prev else 0)


def is_training_ticket(number: int) -> bool | None:
    return db.ticket_is_training(number)
