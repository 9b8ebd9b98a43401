"""The order push (``prestashop.mode = orders``): each POS sale becomes a PrestaShop order, cart → order.

**Which tickets.** Those numbered after the last one handled (``push_orders.last_ticket``; at first,
where the stock push stopped), channel ``pos`` (a ``web`` ticket IS a shop order), training excluded,
one by one in number order:

- a sale: its lines linked to a product / combination and sold by the unit, summed per product /
  combination (whole units, ``round_div``), make the cart; ``total_paid`` is the sum of those lines'
  totals (after every discount: the ticket's total when every line is sent).  A sale with lines not
  sent (not linked, sold by weight, a net quantity of 0 or less) is sent without them and listed in
  ``partial_list``; a sale with nothing to send is counted ``not_linked``;
- a refund: **not sent** (PrestaShop has no order-side refund through the Webservice that gives the
  stock back reliably): counted ``refunds_skipped`` and listed, to be handled in the back office
  (a credit slip / the stock by hand).

**Exactly once, keyed by the ticket.** The outbox (``pos/data/sync_push_orders.py``) holds, per ticket,
the ``id_cart`` of its cart, committed **before** the order is posted.  For a ticket:

1. if the outbox has an ``id_cart``: ``orders?filter[id_cart]=[id]`` first; an order found is that
   ticket's order (the answer to the POST was lost): it is verified, never posted again;
2. else a cart is created (the till's own customer and address, created once and remembered;
   currency, language and carrier are the shop's defaults) and its id committed;
3. ``POST orders`` (``module`` = ``prestashop.order_module``, ``payment`` = the ticket's payment
   methods, ``total_paid`` as above, ``current_state`` = ``PS_OS_WS_PAYMENT``, which the shop sets
   anyway).  If the answer is lost (network, empty 500, a die() page), the order is looked up by
   ``id_cart`` at once; a die() page about the cart ("an order has already been placed using this
   cart") with no order found gets one fresh cart and one more POST; any other failure stops the run
   (logged *failed*) and the next run resumes at step 1;
4. the order is read again by id (the POST's echo has no state nor reference) and its
   ``current_state`` checked: ``PS_OS_ERROR`` (8, "payment error": the shop's cart total differs from
   the till's, no stock was decremented) or 0 (a half-created order, PHP fatal) is an *error*; a
   ``total_paid_tax_incl`` other than the ticket's is a *mismatch*; both are listed in
   ``mismatch_list`` and never posted again (fix them in the back office).

Each ticket's outcome and the last ticket are committed in one transaction; the stock push's last
ticket moves along (the orders decremented the shop's stock: switching back to stock mode must not
push those sales again).  A ``dry_run`` reads the shop but creates nothing, there or in the state.

No Kivy, no SQL here: the SQL is in ``pos/data/sync_push_orders.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from pos.core.errors import Cancelled, Refusal
from pos.core.i18n import _
from pos.core.money import round_div
from pos.data import sync as data_sync
from pos.data import sync_push_orders as data
from pos.sync.client import PrestaShopClient, filter_in
from pos.sync.errors import NetworkError, NotXmlError, ServerError
from pos.sync.runs import logged_run
from pos.sync.xml import Record

KIND = "push_orders"
COUNTS = ("tickets", "created", "found", "refunds_skipped", "not_linked", "partial", "mismatches", "errors")
ORDER_FIELDS = ["id", "id_cart", "current_state", "reference", "total_paid", "total_paid_tax_incl", "valid"]
TILL_EMAIL = "pos-till@example.invalid"
TILL_NAME = ("Caisse", "Magasin")  # (last name, first name) of the till's customer on the shop
DEFAULT_MODULE = "ps_checkpayment"
CONFIG_NAMES = ("PS_CURRENCY_DEFAULT", "PS_LANG_DEFAULT", "PS_CARRIER_DEFAULT", "PS_COUNTRY_DEFAULT",
                "PS_OS_ERROR", "PS_OS_WS_PAYMENT")

Progress = Callable[[int, int], None]


def push_orders(client: PrestaShopClient, *, dry_run: bool = False, progress: Progress | None = None,
                cancel: Callable[[], bool] | None = None, user_name: str = "") -> dict[str, Any]:
    """Send the POS sales since the last push as PrestaShop orders (see the module docstring).

    Returns ``status`` (done | failed | cancelled), ``error`` (one line), ``first_ticket`` /
    ``last_ticket`` (None when there was nothing to send), ``dry_run``, the counts (``COUNTS``),
    ``mismatch_list`` ([{ticket, id_order, text}]), ``partial_list`` and ``refund_list`` (ticket
    numbers), ``orders`` ({ticket number: id_order} of this run) and ``run_id``.
    """
    if data.stock_batch_pending():
        raise Refusal(_("A stock push is unfinished: set prestashop.mode to stock and run the stock push "
                        "again before sending sales as orders."))
    run_id = data_sync.start_run(KIND, user_name, dry_run)
    result: dict[str, Any] = {"status": "running", "error": "", "first_ticket": None, "last_ticket": None,
                              "dry_run": dry_run, "mismatch_list": [], "partial_list": [], "refund_list": [],
                              "orders": {}, "run_id": run_id, **{k: 0 for k in COUNTS}}
    job = _Job(client, result, dry_run, progress, cancel)
    return logged_run(result, job.run, _counts)


def format_result(result: dict[str, Any]) -> list[str]:
    """The stable ``key: value`` form of a run's result."""
    first, last = result["first_ticket"], result["last_ticket"]
    lines = [f"dry_run: {'yes' if result['dry_run'] else 'no'}",
             f"tickets: {f'{first}-{last}' if first is not None else 'none'}"]
    lines += [f"{key}: {result[key]}" for key in COUNTS if key not in ("tickets", "errors")]
    lines += [f"mismatch.{m['ticket']}: {m['text']}" for m in result["mismatch_list"]]
    return lines


def cart_rows(ticket: dict[str, Any]) -> tuple[list[dict[str, Any]], int, bool]:
    """A sale's cart: rows (id_product, id_product_attribute, quantity in units), the total paid
    for them (cents) and whether some lines are left out."""
    qty: dict[tuple[int, int], int] = {}
    total = 0
    partial = False
    for line in ticket["lines"]:
        if line["id_product"] is None or line["by_weight"]:
            partial = True
            continue
        key = (int(line["id_product"]), int(line["id_product_attribute"] or 0))
        qty[key] = qty.get(key, 0) + int(line["qty"])
        total += int(line["total"])
    rows = []
    for (pid, attr), thousandths in qty.items():
        units = round_div(thousandths, 1000)
        if units <= 0:
            partial = True
            continue
        rows.append({"id_product": pid, "id_product_attribute": attr, "quantity": units})
    return rows, total, partial


# ---------------------------------------------------------------- the job
def _counts(result: dict[str, Any]) -> dict[str, Any]:
    counts = {k: result[k] for k in COUNTS}
    counts.update(first_ticket=result["first_ticket"], last_ticket=result["last_ticket"],
                  mismatch_list=result["mismatch_list"], refund_list=result["refund_list"],
                  partial_list=result["partial_list"])
    return counts


def _cents(value: Any) -> int | None:
    try:
        return int((Decimal(str(value)) * 100).quantize(Decimal(1)))
    except (InvalidOperation, ValueError):
        return None


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


class _Job:
    def __init__(self, client: PrestaShopClient, result: dict[str, Any], dry_run: bool,
                 progress: Progress | None, cancel: Callable[[], bool] | None) -> None:
        self.client = client
        self.result = result
        self.dry_run = dry_run
        self.progress = progress
        self.cancel = cancel
        self._config: dict[str, str] | None = None
        self._customer: dict[str, Any] | None = None

    def run(self) -> None:
        after = data.last_pushed_ticket()
        upto = data.last_ticket_number()
        todo = data.tickets(after, upto) if upto > after else []
        if self.progress:
            self.progress(0, len(todo))
        for n, ticket in enumerate(todo, start=1):
            if self.cancel is not None and self.cancel():
                raise Cancelled
            if self.result["first_ticket"] is None:
                self.result["first_ticket"] = ticket["number"]
            self.result["tickets"] += 1
            self._ticket(ticket)
            self.result["last_ticket"] = ticket["number"]
            if self.progress:
                self.progress(n, len(todo))

    # ---- the shop's setup
    def config(self) -> dict[str, str]:
        if self._config is None:
            from pos.core import settings

            conf = self.client.configuration(CONFIG_NAMES)
            language = settings.get("prestashop.language") or ""
            self._config = {
                "id_currency": conf.get("PS_CURRENCY_DEFAULT") or "1",
                "id_lang": language if language.isdigit() else (conf.get("PS_LANG_DEFAULT") or "1"),
                "id_carrier": conf.get("PS_CARRIER_DEFAULT") or "1",
                "id_country": conf.get("PS_COUNTRY_DEFAULT") or "8",
                "error_state": conf.get("PS_OS_ERROR") or "8",
                "paid_state": conf.get("PS_OS_WS_PAYMENT") or "11",
                "module": settings.get("prestashop.order_module") or DEFAULT_MODULE,
            }
        return self._config

    def customer(self) -> dict[str, Any]:
        """The till's customer and address on the shop: remembered, else found by e-mail, else created."""
        if self._customer is None:
            known = data.till_customer()
            if not (known.get("id_customer") and known.get("id_address")):
                known = self._find_or_create_customer()
                data.set_till_customer(known)
            self._customer = known
        return self._customer

    def _find_or_create_customer(self) -> dict[str, Any]:
        rows = self.client.list("customers", display_=["id"], filters={"email": filter_in([TILL_EMAIL])})
        if rows:
            id_customer = int(rows[0]["id"])
        else:
            id_customer = int(self.client.create("customers", {
                "lastname": TILL_NAME[0], "firstname": TILL_NAME[1], "email": TILL_EMAIL,
                "passwd": f"pos-{TILL_EMAIL}-no-login", "active": "0"})["id"])
        rows = self.client.list("addresses", display_=["id"], filters={"id_customer": filter_in([id_customer])})
        if rows:
            id_address = int(rows[0]["id"])
        else:
            id_address = int(self.client.create("addresses", {
                "id_customer": str(id_customer), "id_country": self.config()["id_country"], "alias": "POS",
                "lastname": TILL_NAME[0], "firstname": TILL_NAME[1], "address1": _("In-store sale"),
                "city": "-", "postcode": "00000"})["id"])
        return {"id_customer": id_customer, "id_address": id_address}

    # ---- one ticket
    def _ticket(self, ticket: dict[str, Any]) -> None:
        number = ticket["number"]
        if ticket["kind"] != "sale":
            self.result["refunds_skipped"] += 1
            self.result["refund_list"].append(number)
            self._finish(number, None)
            return
        rows, total, partial = cart_rows(ticket)
        if not rows:
            self.result["not_linked"] += 1
            self._finish(number, None)
            return
        if partial:
            self.result["partial"] += 1
            self.result["partial_list"].append(number)
        item = data.entry(number) or {"number": number, "id_cart": None, "id_order": None, "status": "pending",
                                      "state": None, "note": ""}
        if item["status"] in ("done", "error"):  # outcome already recorded
            self._finish(number, item)
            return
        if self.dry_run:
            self.config()
            self.result["created"] += 1
            return
        order = self._find(item["id_cart"]) if item["id_cart"] else None
        if order is not None:
            self.result["found"] += 1
        else:
            order = self._place(item, ticket, rows, total)
        self._verify(item, int(order["id"]), total)
        self.result["orders"][number] = item["id_order"]
        self._finish(number, item)

    def _finish(self, number: int, item: dict[str, Any] | None) -> None:
        if not self.dry_run:
            data.finish_ticket(number, item)

    def _find(self, id_cart: int) -> Record | None:
        rows = self.client.list("orders", display_=["id", "id_cart"], filters={"id_cart": filter_in([id_cart])},
                                sort="[id_ASC]")
        return rows[0] if rows else None

    def _new_cart(self, item: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        conf, who = self.config(), self.customer()
        cart = self.client.create("carts", {
            "id_currency": conf["id_currency"], "id_lang": conf["id_lang"], "id_customer": str(who["id_customer"]),
            "id_address_delivery": str(who["id_address"]), "id_address_invoice": str(who["id_address"]),
            "id_carrier": conf["id_carrier"],
            "associations": {"cart_rows": [
                {"id_product": str(r["id_product"]), "id_product_attribute": str(r["id_product_attribute"]),
                 "id_address_delivery": str(who["id_address"]), "quantity": str(r["quantity"])} for r in rows]}})
        item.update(id_cart=int(cart["id"]), status="cart")
        data.save_entry(item)  # committed before the order is posted

    def _order_body(self, item: dict[str, Any], ticket: dict[str, Any], total: int) -> dict[str, Any]:
        conf, who = self.config(), self.customer()
        paid = _money(total)
        return {"id_cart": str(item["id_cart"]), "id_customer": str(who["id_customer"]),
                "id_address_delivery": str(who["id_address"]), "id_address_invoice": str(who["id_address"]),
                "id_currency": conf["id_currency"], "id_lang": conf["id_lang"], "id_carrier": conf["id_carrier"],
                "current_state": conf["paid_state"], "module": conf["module"],
                "payment": (_("POS ticket {number}").format(number=ticket["number"])
                            + (f" ({ticket['payment']})" if ticket["payment"] else "")),
                "total_paid": paid, "total_paid_real": paid, "total_products": paid, "total_products_wt": paid,
                "conversion_rate": "1"}

    def _place(self, item: dict[str, Any], ticket: dict[str, Any], rows: list[dict[str, Any]],
               total: int) -> Record:
        """Post the ticket's order (a cart first if it has none); the answer, or the order found by its cart."""
        if not item["id_cart"]:
            self._new_cart(item, rows)
        try:
            echo = self.client.create("orders", self._order_body(item, ticket, total))
        except (NetworkError, ServerError) as exc:  # the answer is lost or the shop failed: did it land?
            found = self._find(item["id_cart"])
            if found is not None:
                self.result["found"] += 1
                return found
            if not (isinstance(exc, NotXmlError) and "cart" in exc.message.lower()):
                raise
            # a die() page about the cart, and no order on it: one fresh cart, one more POST
            self._new_cart(item, rows)
            echo = self.client.create("orders", self._order_body(item, ticket, total))
        self.result["created"] += 1
        return echo

    def _verify(self, item: dict[str, Any], id_order: int, total: int) -> None:
        """Read the order again (the POST's echo has no state) and record the ticket's outcome."""
        order = self.client.get("orders", id_order, display_=ORDER_FIELDS)
        state = str(order.get("current_state") or "0")
        item.update(id_order=id_order, state=state, status="done", note="")
        conf = self.config()
        if state == conf["error_state"]:
            item.update(status="error", note=_("payment error on the shop (state {state}): the shop's cart total "
                                               "differs from the ticket's {total}; no stock was decremented")
                        .format(state=state, total=_money(total)))
        elif state in ("", "0"):
            item.update(status="error", note=_("the order was left incomplete by the shop (state 0): check it"))
        else:
            shop_total = _cents(order.get("total_paid_tax_incl") or order.get("total_paid"))
            if shop_total is not None and shop_total != total:
                item["note"] = _("the shop's total {shop} differs from the ticket's {total}").format(
                    shop=_money(shop_total), total=_money(total))
        if item["note"]:
            self.result["mismatches"] += 1
            self.result["mismatch_list"].append({"ticket": item["number"], "id_order": id_order,
                                                 "text": item["note"]})
