"""``pos journal verify``: the journal (``pos.data.journal_check``), then every closure's figures
recomputed from what lies below it (no Kivy, no SQL).

* every daily Z: its first and last ticket (it covers exactly the tickets after the previous
  Z's, and every ticket recorded before it), its ticket count, total, sales, refunds, training,
  discounts, VAT per rate, payments per method (count, and net amounts adding up), cash taken
  and change given, from its tickets; its perpetual total = the previous one + its total;
* every monthly (yearly) closure: the sum of its daily Zs (monthly closures), each Z in exactly
  one, in order, and the perpetual total of its last one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pos.core.i18n import _
from pos.data import closures as db
from pos.data import journal
from pos.data.journal import Verdict
from pos.data.journal_check import Anchor
from pos.fiscal.closures import CHILD, figures, merge
from pos.fiscal.reports import closure_title

FIGURES = ("sales", "refunds", "training", "discounts", "vat")


def verify(anchors: Iterable[Anchor] = (), all_signatures: bool = False) -> Verdict:
    """``journal.verify`` then ``check_closures``, in one read transaction (one snapshot)."""
    with db.read_transaction():
        return _verify(anchors, all_signatures)


def _verify(anchors: Iterable[Anchor], all_signatures: bool) -> Verdict:
    verdict = journal.verify(anchors, all_signatures)
    if not verdict.ok:
        return verdict
    problem = check_closures()
    if problem is not None:
        seq, message = problem
        return Verdict(False, verdict.records, message, seq, journal.EXIT_TAMPERED, keys=verdict.keys,
                       last=verdict.last)
    return verdict


def _payments_match(stored: list[dict[str, Any]], again: list[dict[str, Any]]) -> bool:
    """The same methods, counts and sum (which method absorbed the change depends on the methods'
    settings at the time, not on the tickets)."""
    def counts(ps: list[dict[str, Any]]) -> dict[str, int]:
        return {p["method_code"]: p["count"] for p in ps}

    return counts(stored) == counts(again) and sum(p["amount"] for p in stored) == sum(p["amount"] for p in again)


def _check_day(z: dict[str, Any], after: int, prev_perpetual: int) -> str | None:
    name = closure_title(z)
    d = z["data"]
    upto = z["last_ticket"] if z["last_ticket"] is not None else after
    if z["first_ticket"] not in (None, after + 1) or upto < after:
        return _("{name} covers tickets {first}–{last}, but the previous Z ended at ticket {after}").format(
            name=name, first=z["first_ticket"], last=z["last_ticket"], after=after)
    nxt = journal.ticket_record_seq(upto + 1)
    if nxt is not None and nxt < z["journal_seq"]:
        return _("{name} ends at ticket {last}, but ticket {next} was recorded before it").format(
            name=name, last=upto, next=upto + 1)
    again = figures(after, upto)
    count = again["sales"]["count"] + again["refunds"]["count"]
    total = again["sales"]["total"] + again["refunds"]["total"]
    differs = [k for k in FIGURES if d.get(k) != again[k]]
    differs += [k for k, v in (("ticket_count", count), ("total", total),
                               ("perpetual_total", prev_perpetual + total)) if z[k] != v]
    differs += [] if _payments_match(d["payments"], again["payments"]) else ["payments"]
    cash = d.get("cash") or {}
    differs += [k for k in ("cash_taken", "change_given") if cash.get(k) != again[k]]
    if upto > after and journal.ticket_record_seq(upto) is None:
        differs.append("last_ticket")
    if differs:
        return _("{name} does not match its tickets ({fields}): a ticket or the Z was changed").format(
            name=name, fields=", ".join(differs))
    return None


def _check_aggregate(c: dict[str, Any], children: list[dict[str, Any]], after: int) -> str | None:
    name = closure_title(c)
    numbers = c["data"].get("closures") or []
    if numbers != list(range(after + 1, after + 1 + len(numbers))) or len(children) != len(numbers):
        return _("{name} does not hold the closures that follow the previous one").format(name=name)
    again = merge(children, db.method_positions())
    d = c["data"]
    differs = [k for k in FIGURES if d.get(k) != again[k]]
    differs += [] if _payments_match(d["payments"], again["payments"]) else ["payments"]
    firsts = [x["first_ticket"] for x in children if x["first_ticket"] is not None]
    lasts = [x["last_ticket"] for x in children if x["last_ticket"] is not None]
    expected = {"ticket_count": sum(x["ticket_count"] for x in children), "total": sum(x["total"] for x in children),
                "first_ticket": min(firsts) if firsts else None, "last_ticket": max(lasts) if lasts else None,
                "perpetual_total": children[-1]["perpetual_total"] if children else c["perpetual_total"]}
    differs += [k for k, v in expected.items() if c[k] != v]
    if differs:
        return _("{name} is not the sum of its closures ({fields})").format(name=name, fields=", ".join(differs))
    return None


def check_closures() -> tuple[int, str] | None:
    """(seq of the closure record, why) of the first closure whose figures are wrong, else None."""
    after = perpetual = 0
    days = db.closures("day")
    for z in days:
        problem = _check_day(z, after, perpetual)
        if problem:
            return z["journal_seq"], problem
        after = z["last_ticket"] if z["last_ticket"] is not None else after
        perpetual = z["perpetual_total"]
    below = {"day": {z["number"]: z for z in days}}
    for kind in ("month", "year"):
        done = 0
        below[kind] = {}
        for c in db.closures(kind):
            children = [below[CHILD[kind]][n] for n in c["data"].get("closures") or [] if n in below[CHILD[kind]]]
            problem = _check_aggregate(c, children, done)
            if problem:
                return c["journal_seq"], problem
            done += len(children)
            below[kind][c["number"]] = c
    return None
