"""Web orders: PrestaShop orders in the chosen states become till tickets on the ``web`` channel.

**Which orders.** Those whose ``current_state`` is in the setting ``prestashop.order_states`` (ids,
default ``2,3,4,5``), changed since the last run: the state ``orders.date_upd`` (the newest order
``date_upd`` handled) drives the delta; the list is read light (id, state, date_upd), sorted by
(date_upd, id), then each order is read in full and imported.

**Once only.** The ledger ``ps_order`` (one row per imported order id) is written in the same
transaction as the ticket and the state, so a network loss in the middle leaves the orders already
imported and the next run continues without duplicates, whatever the state says.  ``reset(ids)``
(``None``: ALL) forgets ledger rows and has the next run read those orders again whatever their
``date_upd`` (state ``orders.retry``; ALL also forgets the delta): the order is imported again **as a
new ticket** (tickets are never deleted).  Reset is meant for an order whose ticket was refunded or
cancelled at the till; resetting an order whose ticket stands counts the sale twice.  An order that fails on its data
(no usable line...) is counted in ``errors`` and the state stops moving at it: the next run reads it
again.

**The ticket.** Recorded by the inactive user ``Web`` (it cannot log in), created at the order's
``date_add``.  PrestaShop dates carry no offset: they are in the shop's time zone, assumed to be the
till's local time zone (one French shop), and are stored as local ISO 8601 with its offset.

- Lines: matched to an article by the order line's reference, then its EAN-13; an unknown product
  goes to the ``DIVERS`` article (created if missing) with the shop's name and price.  Each line
  keeps the order's price incl. VAT (``unit_price_tax_incl``, rounded half up to the cent) and the
  rate the shop charged (incl / excl, snapped to the nearest till rate; the article's rate when the
  line is free).
- Shipping (``total_shipping_tax_incl``) goes to the article named by ``prestashop.shipping_article``
  (a reference, created if missing as "Frais de port"), at the VAT rate of the goods: with mixed
  rates, the lowest rate that is not 0 % (all goods at 0 %: 0 %).  Gift wrapping is added to it.
- Discounts (``total_discounts_tax_incl``) become the ticket discount (an amount), spread over the
  VAT rates and lines exactly like the till's ticket discount (``pos.sale.basket``): VAT stays exact per
  rate and each line shows its share.
- The payment (the whole ticket total) is mapped from the order's ``module``: ``ps_checkpayment`` →
  ``cheque``, ``ps_wirepayment`` → ``virement`` (created if missing), card modules (stripe, paypal,
  payplug, mollie, ps_checkout...) → ``card``, anything else → ``web`` ("Paiement en ligne", created
  if missing).  None gives change or opens the drawer: web tickets never change the Z's cash.
- If the ticket's total differs from the order's ``total_paid_tax_incl`` (rounding of the shop's
  per-item prices), the ticket stands as computed and the order is listed in ``mismatch_list``.

Web tickets move the till's stock (the shop already moved its own); the stock push ignores them.
No Kivy, no SQL here: the SQL is in ``pos/data/sync_orders.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from pos.core.errors import InvalidValue, Refusal
from pos.core.i18n import _
from pos.core.money import BP_ONE, QTY_ONE, round_div
from pos.core.permissions import Actor, check
from pos.data import catalog, users
from pos.data import shop as shop_db
from pos.data import sync as data_sync
from pos.data import sync_orders as data
from pos.sale.basket import Basket, Discount, Line, Payment
from pos.sale.draft import TicketDraft, ticket_draft
from pos.sync import order_refunds, shoptime
from pos.sync.client import PrestaShopClient, filter_in
from pos.sync.order_customers import WebCustomers
from pos.sync.runs import Cancelled, logged_run
from pos.sync.xml import Record

KIND = "orders"
STATE_DATE = "orders.date_upd"
STATE_RETRY = "orders.retry"  # ids reset by the user: read again whatever their date_upd
EPOCH = "1970-01-01 00:00:00"
LIST_FIELDS = ["id", "current_state", "date_upd"]
COUNTS = ("orders_seen", "imported", "skipped_already", "skipped_state", "unknown_products", "errors",
          "refunded", "customers_created", "states_moved")
DIVERS_REFERENCE = "DIVERS"
DEFAULT_VAT_BP = 2000
CARD_MODULES = ("stripe", "paypal", "payplug", "mollie", "adyen", "ps_checkout", "checkout", "sumup", "lyra",
                "systempay", "monetico", "paybox", "up2pay", "hipay", "braintree", "axepta", "card", "carte")

Progress = Callable[[int, int], None]




class OrderError(Refusal):
    """An order the till cannot record as it is (counted in ``errors``)."""


# ---------------------------------------------------------------- the job
def import_orders(client: PrestaShopClient, *, dry_run: bool = False, progress: Progress | None = None,
                  cancel: Callable[[], bool] | None = None, user_name: str = "") -> dict[str, Any]:
    """Import the web orders changed since the last run (see the module docstring).

    Returns ``status`` (done | failed | cancelled), ``error`` (one line), the counts (``COUNTS``),
    ``first_ticket`` / ``last_ticket`` (None when nothing was imported), ``tickets`` ({id_order:
    number}), ``error_list`` and ``mismatch_list`` ([{id_order, text}]), ``dry_run`` and ``run_id``.
    A ``dry_run`` reads the shop and builds the tickets but records nothing.
    """
    states = order_states()
    run_id = data_sync.start_run(KIND, user_name, dry_run)
    result: dict[str, Any] = {"status": "running", "error": "", "first_ticket": None, "last_ticket": None,
                              "tickets": {}, "refunds": {}, "error_list": [], "mismatch_list": [], "dry_run": dry_run,
                              "run_id": run_id, **{k: 0 for k in COUNTS}}
    job = _Job(client, result, states, dry_run, progress, cancel)
    job.customers = WebCustomers(client, data.WEB_USER)
    return logged_run(result, job.run, _counts)


def reset(ids: list[int] | None) -> int:
    """Forget imported orders (``None``: all) so that the next run imports them again, as NEW tickets.

    For orders whose ticket was refunded or cancelled at the till.  Returns the ledger rows removed.
    With ALL, the delta state is forgotten too (the next run reads every order again).
    """
    removed = data_sync.reset_orders(ids)
    if ids is None:
        data.set_state_now(STATE_DATE, "")
        data.set_state_now(STATE_RETRY, "")
    else:
        data.set_state_now(STATE_RETRY, ",".join(str(i) for i in sorted(set(_retry_ids()) | set(ids))))
    return removed


def _retry_ids() -> list[int]:
    return [int(p) for p in data_sync.get_state(STATE_RETRY).split(",") if p.isdigit()]


def parse_reset(text: str) -> list[int] | None:
    """``"12,13"`` → [12, 13]; ``"ALL"`` → None; anything else is a ``ValueError``."""
    text = (text or "").strip()
    if text.upper() == "ALL":
        return None
    ids = []
    for part in text.replace(" ", "").split(","):
        if not part.isdigit() or int(part) <= 0:
            raise InvalidValue(_("--reset takes order ids separated by commas, or ALL: {text}").format(text=text))
        ids.append(int(part))
    if not ids:
        raise InvalidValue(_("--reset takes order ids separated by commas, or ALL: {text}").format(text=text))
    return ids


def cli(client: PrestaShopClient, args: argparse.Namespace, actor: Actor,
        progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """``pos sync orders [--dry-run] [--reset IDS|ALL]``: print ``key: value`` lines, ``ValueError`` on failure."""
    check(actor, "sync")
    reset_arg = getattr(args, "reset", None)
    if reset_arg:
        removed = reset(parse_reset(reset_arg))
        print(f"reset: {removed}")
        return {"reset": removed}
    result = import_orders(client, dry_run=bool(getattr(args, "dry_run", False)), user_name=actor.name,
                           progress=(lambda n, total: progress("orders", n, total)) if progress else None)
    if result["status"] != "done":
        raise InvalidValue(_("web order import stopped ({imported} orders imported): {error}; run it again to "
                           "continue").format(imported=result["imported"], error=result["error"] or result["status"]))
    for line in format_result(result):
        print(line)
    return result


def format_result(result: dict[str, Any]) -> list[str]:
    """The stable ``key: value`` form of a run's result."""
    first, last = result["first_ticket"], result["last_ticket"]
    lines = [f"dry_run: {'yes' if result['dry_run'] else 'no'}",
             f"tickets: {f'{first}-{last}' if first is not None else 'none'}"]
    lines += [f"{key}: {result[key]}" for key in COUNTS]
    lines += [f"error.{e['id_order']}: {e['text']}" for e in result["error_list"]]
    lines += [f"mismatch.{m['id_order']}: {m['text']}" for m in result["mismatch_list"]]
    return lines


def order_states() -> list[int]:
    from pos.core import settings

    text = settings.get("prestashop.order_states") or "2,3,4,5"
    return [int(p) for p in text.replace(" ", "").split(",") if p.isdigit()]


def shop_date_to_local(text: str, zone: dt.tzinfo | None = None) -> str:
    """A PrestaShop date (in the shop's time zone ``zone``, its PS_TIMEZONE, no offset; None: the
    till's) as the till's local ISO 8601 with its offset (``pos.sync.shoptime``)."""
    try:
        return shoptime.to_local(text, zone)
    except ValueError:
        raise OrderError(_("bad order date: {date}").format(date=text)) from None


def payment_for(module: str) -> tuple[str, str]:
    """(method code, name if it must be created) for a payment module's name."""
    name = (module or "").strip().lower()
    if name == "ps_checkpayment" or "cheque" in name or "check" in name:
        return "cheque", "Chèque"
    if name == "ps_wirepayment" or "wire" in name or "virement" in name:
        return "virement", "Virement"
    if any(m in name for m in CARD_MODULES):
        return "card", "Carte bancaire"
    return "web", "Paiement en ligne"


def goods_rate(rates: list[int]) -> int | None:
    """The shipping's VAT rate from the goods' rates: the lowest that is not 0 % (all 0 %: 0)."""
    if not rates:
        return None
    positive = [r for r in rates if r > 0]
    return min(positive) if positive else 0


def _cents(text: Any) -> int:
    try:
        value = Decimal(str(text or "0").strip() or "0")
    except InvalidOperation:
        raise OrderError(_("not an amount: {text}").format(text=text)) from None
    return round_div(int((value * 1_000_000).to_integral_value()), 10_000)


def _micro(text: Any) -> int:
    try:
        return int((Decimal(str(text or "0").strip() or "0") * 1_000_000).to_integral_value())
    except InvalidOperation:
        raise OrderError(_("not an amount: {text}").format(text=text)) from None


def _counts(result: dict[str, Any]) -> dict[str, Any]:
    counts = {k: result[k] for k in COUNTS}
    counts.update(first_ticket=result["first_ticket"], last_ticket=result["last_ticket"],
                  error_list=result["error_list"], mismatch_list=result["mismatch_list"])
    return counts


class _Job:
    def __init__(self, client: PrestaShopClient, result: dict[str, Any], states: list[int], dry_run: bool,
                 progress: Progress | None, cancel: Callable[[], bool] | None) -> None:
        self.client = client
        self.result = result
        self.states = set(states)
        self.dry_run = dry_run
        self.progress = progress
        self.cancel = cancel
        self.rates = sorted(v.rate_bp for v in shop_db.vat_rates(include_inactive=True))
        self.stalled = False  # an order failed: the state no longer moves in this run
        from pos.data.sync_push_orders import till_customer

        own = till_customer().get("id_customer")
        self.own_customer = str(own) if own else ""  # the customer of the orders the till sends itself

    customers: WebCustomers
    zone: dt.tzinfo | None = None

    def run(self) -> None:
        self.zone = shoptime.shop_zone(self.client)
        self.refund_states = order_refunds.cancel_states()
        from pos.core import settings

        self.move_to = (settings.get("prestashop.imported_state") or "").strip()
        since = shoptime.delta_since(data_sync.get_state(STATE_DATE) or EPOCH, self.zone)
        rows = list(self.client.changed_since("orders", since, display_=LIST_FIELDS))
        retry = _retry_ids()
        if retry:
            known = {int(r["id"]) for r in rows}
            rows += [r for r in self.client.list("orders", display_=LIST_FIELDS, filters={"id": filter_in(retry)})
                     if int(r["id"]) not in known]
        rows.sort(key=lambda r: (str(r.get("date_upd") or ""), int(r.get("id") or 0)))
        self.result["orders_seen"] = len(rows)
        imported = data_sync.imported_orders()
        if self.progress:
            self.progress(0, len(rows))
        for n, row in enumerate(rows, start=1):
            if self.cancel is not None and self.cancel():
                raise Cancelled
            self._one(row, imported)
            if self.progress:
                self.progress(n, len(rows))
        if retry and not self.dry_run:
            data.set_state_now(STATE_RETRY, ",".join(str(i) for i in _retry_ids() if i not in set(retry)))

    def _advance(self, date_upd: str) -> None:
        if not self.dry_run and not self.stalled and date_upd > (data_sync.get_state(STATE_DATE) or ""):
            data.set_state_now(STATE_DATE, date_upd)

    def _one(self, row: Record, imported: set[int]) -> None:
        id_order = int(row["id"])
        date_upd = str(row.get("date_upd") or "")
        if id_order in imported:
            if int(row.get("current_state") or 0) in self.refund_states and not self._refund(id_order, row):
                return  # the refund failed: the state stays for the next run
            self.result["skipped_already"] += 1
            self._advance(date_upd)
            return
        if int(row.get("current_state") or 0) not in self.states:
            self.result["skipped_state"] += 1
            self._advance(date_upd)
            return
        order = self.client.get("orders", id_order)
        if int(order.get("current_state") or 0) not in self.states:  # changed since the list was read
            self.result["skipped_state"] += 1
            return
        if self.own_customer and str(order.get("id_customer") or "") == self.own_customer:
            # an order the till itself sent (prestashop.mode = orders): that sale is already a POS ticket
            self.result["skipped_already"] += 1
            self._advance(date_upd)
            return
        try:
            ticket, unknown, mismatch = self._ticket(order)
        except (OrderError, ValueError) as exc:
            self.stalled = True
            self.result["errors"] += 1
            self.result["error_list"].append({"id_order": id_order, "text": str(exc)})
            return
        if self.dry_run:
            number = None
        else:
            try:
                current = data_sync.get_state(STATE_DATE) or ""
                state = current if self.stalled else max(date_upd, current)
                number = data.import_order(id_order, str(order.get("reference") or ""), STATE_DATE, state, ticket)
            except data.AlreadyImported:
                self.result["skipped_already"] += 1
                return
            self.result["tickets"][id_order] = number
            if self.result["first_ticket"] is None:
                self.result["first_ticket"] = number
            self.result["last_ticket"] = number
        imported.add(id_order)
        self.result["imported"] += 1
        if self.move_to.isdigit() and not self.dry_run:  # "En cours de préparation", say
            self.client.create("order_histories", {"id_order": str(id_order), "id_order_state": self.move_to})
            self.result["states_moved"] += 1
        self.result["unknown_products"] += unknown
        if mismatch:
            self.result["mismatch_list"].append({"id_order": id_order, "text": mismatch})

    def _refund(self, id_order: int, row: Record) -> bool:
        """An imported order now cancelled or refunded on the shop: its ticket is refunded, once."""
        from pos.data import sync_push

        if id_order in self.refunded:
            return True
        try:
            out = order_refunds.refund_order(
                id_order, int(row.get("current_state") or 0), data.ticket_of_order(id_order),
                shop_date_to_local(str(row.get("date_upd") or ""), self.zone), self.dry_run)
        except sync_push.AlreadyRefunded:
            return True
        except (OrderError, ValueError, Refusal) as exc:
            self.stalled = True
            self.result["errors"] += 1
            self.result["error_list"].append({"id_order": id_order, "text": str(exc)})
            return False
        self.refunded.add(id_order)
        if out["refund"] is not None:
            self.result["refunded"] += 1
            self.result["refunds"][id_order] = out["refund"]
        return True

    @property
    def refunded(self) -> set[int]:
        if not hasattr(self, "_refunded"):
            from pos.data import sync_push

            self._refunded = sync_push.refunded_orders()
        return self._refunded

    # ---- one order -> the draft of its ticket
    def _rate(self, incl_micro: int, excl_micro: int, fallback: int) -> int:
        if excl_micro <= 0 or incl_micro <= 0:
            return fallback
        charged = round_div((incl_micro - excl_micro) * BP_ONE, excl_micro)
        return min(self.rates, key=lambda r: (abs(r - charged), r)) if self.rates else charged

    def _ticket(self, order: Record) -> tuple[TicketDraft, int, str]:
        rows = (order.get("associations") or {}).get("order_rows") or []
        if not rows:
            raise OrderError(_("the order has no lines"))
        basket = Basket()
        unknown = 0
        divers: catalog.ArticleInfo | None = None
        for r in rows:
            qty = int(str(r.get("product_quantity") or "0").strip() or 0) * QTY_ONE
            if qty <= 0:
                continue
            reference = str(r.get("product_reference") or "").strip()
            ean = str(r.get("product_ean13") or "").strip()
            article = data.article_by_reference(reference) if reference else None
            if article is None and ean:
                article = data.article_by_barcode(ean)
            name = str(r.get("product_name") or "").strip()
            if article is None:
                unknown += 1
                if divers is None:
                    divers = data.ensure_article(DIVERS_REFERENCE, "Divers", DEFAULT_VAT_BP) \
                        if not self.dry_run else (data.article_by_reference(DIVERS_REFERENCE) or catalog.ArticleInfo(
                            0, DIVERS_REFERENCE, "Divers", 0, DEFAULT_VAT_BP))
                fallback = divers.vat_bp
            else:
                fallback = article.vat_bp
            incl = _micro(r.get("unit_price_tax_incl"))
            excl = _micro(r.get("unit_price_tax_excl") or r.get("product_price"))
            unit = round_div(incl, 10_000)
            vat_bp = self._rate(incl, excl, fallback)
            target = article or divers
            assert target is not None
            basket.add(Line(name=(name or target.name)[:255] if article is None else target.name,
                            unit_price=unit, qty=qty, vat_bp=vat_bp,
                            article_id=target.id or None, reference=target.reference,
                            barcode=ean if article is not None and ean else "",
                            department=target.department))
        if not basket.lines:
            raise OrderError(_("the order has no lines"))
        shipping = _cents(order.get("total_shipping_tax_incl")) + _cents(order.get("total_wrapping_tax_incl"))
        if shipping:
            from pos.core import settings

            ref = (settings.get("prestashop.shipping_article") or "PORT").strip()
            rate = goods_rate([ln.vat_bp for ln in basket.lines])
            art = data.ensure_article(ref, "Frais de port", DEFAULT_VAT_BP) if not self.dry_run else (
                data.article_by_reference(ref) or catalog.ArticleInfo(0, ref, "Frais de port", 0, DEFAULT_VAT_BP))
            basket.add(Line(name=art.name, unit_price=shipping, qty=QTY_ONE,
                            vat_bp=art.vat_bp if rate is None else rate, article_id=art.id or None,
                            reference=art.reference, department=art.department))
        discount = _cents(order.get("total_discounts_tax_incl"))
        if discount > 0:
            basket.set_discount(Discount("amount", discount))
        totals = basket.totals()
        code, name = payment_for(str(order.get("module") or ""))
        method = data.ensure_payment_method(code, name) if not self.dry_run else None
        method_name = method.name if method else name
        basket.payments.append(Payment(code, method_name, totals.total))  # the whole order, paid online
        expected = _cents(order.get("total_paid_tax_incl"))
        mismatch = ""
        if expected != totals.total:
            mismatch = _("ticket total {total} cents, order total {expected} cents").format(
                total=totals.total, expected=expected)
        basket.customer_id = self.customers.customer_id(order, self.dry_run)
        self.result["customers_created"] = self.customers.created
        user = data.web_user() if not self.dry_run else users.UserInfo(0, data.WEB_USER, "cashier", False)
        ticket = ticket_draft(basket, totals, user_id=user.id, user_name=user.name, channel="web",
                              created_at=shop_date_to_local(str(order.get("date_add") or ""), self.zone))
        return ticket, unknown, mismatch
