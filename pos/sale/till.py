"""The till: one cashier session driving a basket against the database.

No Kivy here.  The touch screens and the CLI both call these methods and show
what they return; every refusal is a ``TillError`` whose message is shown as is.

Hooks for the hardware issue: ``scan(code)``, ``print_receipt(ticket)`` and
``open_drawer()``.  Device calls go to a ``DeviceWorker`` thread, after the
ticket is committed, so a device can never block or lose a sale.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pos.core import auth, settings
from pos.core.i18n import _, language
from pos.core.money import QTY_ONE, format_amount, format_qty, round_div
from pos.core.permissions import PERMISSIONS, Actor, NeedsManager, check  # noqa: F401  (NeedsManager: re-exported)
from pos.data import baskets as baskets_db
from pos.data import catalog, common, customers, events, shop, users
from pos.data import tickets as tickets_db
from pos.data.catalog import ArticleInfo
from pos.data.tickets import TicketRecord
from pos.data.users import UserInfo
from pos.fiscal import closures
from pos.hardware import DeviceWorker, Drawer, Job, NoDrawer, NoPrinter, Printer
from pos.sale.basket import Basket, BasketError, Discount, Line, Totals
from pos.sale.draft import ticket_draft

log = logging.getLogger(__name__)

AUTHORISATION_SLOT = -1  # throttle key shared by all manager-PIN authorisations


class TillError(BasketError):
    """A refusal shown to the cashier; nothing was changed."""


class UnknownCode(TillError):
    pass


class AuthError(TillError):
    pass


@dataclass
class LastSale:
    number: int
    total: int
    change: int


class Till:
    def __init__(self, *, printer: Printer | None = None, drawer: Drawer | None = None,
                 display: Any = None, worker: DeviceWorker | None = None,
                 clock: Callable[[], str] = common.now_iso, throttle: auth.Throttle | None = None) -> None:
        self.printer: Printer = printer or NoPrinter()
        self.drawer: Drawer = drawer or NoDrawer()
        self.display = display
        # (status, message) per device: ok, none, offline, paper_out, cover_open, error, unknown
        self.device_status: dict[str, tuple[str, str]] = {}
        self.on_status: Callable[[str, str, str], None] | None = None  # called on the worker thread
        self._worker = worker
        self._workers: dict[str, DeviceWorker] = {}
        self.clock = clock
        self.throttle = throttle or auth.Throttle(store=users.SettingsThrottleStore())
        self.user: UserInfo | None = None
        self.basket = Basket()
        self.pending_qty: int | None = None
        self.last_sale: LastSale | None = None
        # training mode: tickets are numbered and journaled, marked, and kept out of the fiscal totals
        self.training = False
        self._authorized: tuple[UserInfo, str] | None = None  # (manager, action), one shot
        self._methods = {m.code: m for m in shop.payment_methods(include_inactive=True)}
        self._rules: list[catalog.BarcodeRuleInfo] | None = None

    # ------------------------------------------------------------------ session
    def login(self, user_id: int, pin: str, log: bool = True) -> UserInfo:
        """Open a session.  ``log=False`` (the CLI's one-shot sessions) writes no login event."""
        user = next((u for u in users.users() if u.id == user_id), None)
        if user is None:
            raise AuthError(_("Unknown user"))
        self._check_pin(user, pin)
        self.user = user
        self._authorized = None
        if self.training:  # a new session starts for real
            self.training = False
            events.log_event("training_mode", user.name, on=False)
        if log:
            events.log_event("login", user.name)
        saved = baskets_db.load_current_basket(user.id)
        self.basket = Basket.from_dict(saved) if saved else Basket()
        self.pending_qty = None
        return user

    def _check_pin(self, user: UserInfo, pin: str) -> None:
        # counted before the check: parallel tries get 3 in all; a lock still pending may lift
        attempt = self.throttle.attempt_waiting(user.id)
        if not attempt.admitted:
            raise AuthError(_("Too many wrong PINs: try again in {time}").format(time=auth.duration(attempt.wait)))
        stored = users.user_pin_hash(user.id)
        if not stored or not auth.check_pin(pin, stored):
            if attempt.lock:
                self.throttle.failed(user.id)
                events.log_event("login_locked", user.name, seconds=attempt.lock, level=attempt.level)
                raise AuthError(_("Too many wrong PINs: locked for {time}").format(time=auth.duration(attempt.lock)))
            raise AuthError(_("Wrong PIN"))
        self.throttle.succeeded(user.id)
        if auth.needs_rehash(stored):  # a hash of an older version: the current rounds, now that the PIN is known
            users.update_user(user.id, pin_hash=auth.hash_pin(pin))

    def logout(self) -> None:
        if self.user:
            self.persist()
            if self.training:
                self.training = False
                events.log_event("training_mode", self.user.name, on=False)
            events.log_event("logout", self.user.name)
        self.user = None
        self._authorized = None
        self.basket = Basket()

    def _need_user(self) -> UserInfo:
        if self.user is None:
            raise AuthError(_("Nobody is logged in"))
        return self.user

    @property
    def actor(self) -> Actor:
        """Who acts now: the logged-in user, with the one-shot manager authorisation if any."""
        user = self._need_user()
        granted, by = (self._authorized[1], self._authorized[0].name) if self._authorized else (None, "")
        return Actor(user.id, user.name, user.role, granted, by)

    def can(self, action: str) -> bool:
        return self.user is not None and self.actor.may(action)

    def authorize(self, pin: str, action: str) -> UserInfo:
        """A manager's PIN authorises one restricted ``action`` for the cashier.

        Wrong PINs are throttled like logins (three, then a 30 s lock)."""
        if action not in PERMISSIONS:
            raise TillError(_("Unknown action {action}").format(action=action))
        attempt = self.throttle.attempt(AUTHORISATION_SLOT)
        if not attempt.admitted:
            raise AuthError(_("Too many wrong PINs: try again in {time}").format(time=auth.duration(attempt.wait)))
        for manager in users.users():
            if manager.is_manager and auth.check_pin(pin, users.user_pin_hash(manager.id) or ""):
                self.throttle.succeeded(AUTHORISATION_SLOT)
                self._authorized = (manager, action)
                events.log_event("manager_authorisation", manager.name, action=action,
                                cashier=self.user.name if self.user else "")
                return manager
        if attempt.lock:
            events.log_event("authorisation_locked", self.user.name if self.user else "", action=action,
                             seconds=attempt.lock, level=attempt.level)
            raise AuthError(_("Too many wrong PINs: locked for {time}").format(time=auth.duration(attempt.lock)))
        raise AuthError(_("This is not a manager's PIN"))

    def check(self, action: str) -> None:
        """Raise ``NeedsManager`` unless allowed, without using up an authorisation (to open a screen)."""
        check(self.actor, action)

    def visit(self, action: str) -> Actor:
        """The actor for a visit of a restricted screen (config, closure): the authorisation given to
        enter it is used up here and covers the screen's actions (``permissions.GRANTS``)."""
        try:
            return self.require(action)
        except NeedsManager:
            return self.actor  # each action then asks for a manager's PIN

    def for_action(self, action: str, visit: Actor | None = None) -> Actor:
        """The actor for ``action`` on a screen: its visit actor when that covers it, else ``require``."""
        if visit is not None and self.user is not None and visit.user_id == self.user.id and visit.may(action):
            return visit
        return self.require(action)

    def require(self, action: str) -> Actor:
        """The actor for ``action``; raises ``NeedsManager`` unless allowed (``pos.core.permissions``).

        A manager's authorisation given for this action is used up: it is one-shot."""
        actor = self.actor
        check(actor, action)
        if self._authorized is not None and self._authorized[1] == action:
            self._authorized = None
        return actor

    def set_training(self, on: bool) -> None:
        """Enter (a manager, or a manager's PIN) or leave training mode, with an empty basket; logged.

        Training baskets are never saved, parked or recalled, and a training session refunds
        only training tickets (and a real one only real tickets)."""
        user = self._need_user()
        on = bool(on)
        if on == self.training:
            return
        if self.basket.lines or self.basket.payments:
            raise TillError(_("Finish, park or cancel the current basket first"))
        if on:
            self.require("training")
        self.training = on
        self.pending_qty = None
        events.log_event("training_mode", user.name, on=on)

    # ------------------------------------------------------------------ lines
    def set_pending_qty(self, qty: int | None) -> None:
        if qty is not None and qty <= 0:
            raise TillError(_("the quantity must be positive"))
        self.pending_qty = qty

    def scan(self, code: str) -> int:
        """The one entry point for barcodes: keyboard, keyboard-wedge and serial scanners.

        A code that is an article's barcode or reference is used as is.  Otherwise a
        GTIN's check digit is verified (a misread is refused), and an in-store
        variable-measure code (scales, prefix 2x) gives the article plus its weight or price.
        """
        from pos.sale.scancodes import ScanError, decode

        code = code.strip()
        if not code:
            raise UnknownCode(_("Empty code"))
        self._need_user()
        article = catalog.find_article_by_code(code)
        if article is not None:
            return self.add_article(article)
        try:
            decoded = decode(code, self._barcode_rules())
        except ScanError as exc:
            raise UnknownCode(str(exc)) from exc
        for candidate in decoded.candidates:
            article = catalog.find_article_by_code(candidate)
            if article is not None:
                break
        else:
            raise UnknownCode(_("Unknown code: {code}").format(code=code))
        if decoded.qty is not None:  # weight printed by the scale
            if not article.by_weight:
                raise UnknownCode(_("{code} carries a weight but {name} is sold by the unit").format(
                    code=code, name=article.name))
            self.pending_qty = decoded.qty
            return self.add_article(article)
        if decoded.price is not None:  # price printed by the scale: one line at that price
            self.pending_qty = None
            unit = ArticleInfo(**{**article.__dict__, "price": decoded.price, "by_weight": False,
                                  "free_price": False, "barcode": code})
            return self.add_article(unit)
        return self.add_article(article)

    def _barcode_rules(self) -> list[catalog.BarcodeRuleInfo]:
        if self._rules is None:
            self._rules = catalog.barcode_rules()
        return self._rules

    def reload_rules(self) -> None:
        """After the barcode rules were edited."""
        self._rules = None

    def add_article(self, article: ArticleInfo, price: int | None = None) -> int:
        """Add an article (with the pending quantity); returns its line index."""
        self._need_user()
        if self.basket.is_refund:
            raise TillError(_("Finish or cancel the refund first"))
        if not article.active:
            raise TillError(_("{name} is not for sale (inactive)").format(name=article.name))
        if self.basket.payments:
            raise TillError(_("Payments have started: remove them to change the basket"))
        qty = self.pending_qty or QTY_ONE
        if article.free_price and price is None:
            raise TillError(_("Type the price, then touch {name}").format(name=article.name))
        if article.by_weight and self.pending_qty is None:
            raise TillError(_("Type the weight in kg, then touch {name}").format(name=article.name))
        if not article.by_weight and qty % QTY_ONE:
            self.pending_qty = None  # a refused quantity must not stick to the next article
            raise TillError(_("{name} is sold by the unit: whole quantities only").format(name=article.name))
        unit = article.price if price is None else price
        self.pending_qty = None
        last = self.basket.lines[-1] if self.basket.lines else None
        if (last and last.article_id == article.id and not article.by_weight and not article.free_price
                and last.discount is None and not last.price_overridden and last.unit_price == unit):
            last.qty += qty
            self._display_line(len(self.basket.lines) - 1)
            return len(self.basket.lines) - 1
        index = self.basket.add(Line(
            name=article.name, unit_price=unit, qty=qty, vat_bp=article.vat_bp, article_id=article.id,
            reference=article.reference, barcode=article.barcode, department=article.department,
            list_price=article.price if not article.free_price else unit, by_weight=article.by_weight))
        self._display_line(index)
        return index

    def _display_line(self, index: int) -> None:
        if self.display is not None:
            line = self.basket.lines[index]
            lang = language()
            self.show_on_display(line.name, f"{format_qty(line.qty, lang)} x {format_amount(line.unit_price, lang)}")

    def add_misc(self, amount: int, department_id: int) -> int:
        """A free-price line (Divers): the department gives the VAT rate."""
        self._need_user()
        if self.basket.is_refund:
            raise TillError(_("Finish or cancel the refund first"))
        self._no_payments()
        if amount <= 0:
            raise TillError(_("Type the amount first"))
        if self.pending_qty and self.pending_qty % QTY_ONE:
            self.pending_qty = None
            raise TillError(_("Misc. items are sold by the unit: whole quantities only"))
        dep = next((d for d in shop.departments() if d.id == department_id), None)
        if dep is None or dep.vat_bp is None:
            raise TillError(_("This department has no VAT rate"))
        qty = self.pending_qty or QTY_ONE
        self.pending_qty = None
        return self.basket.add(Line(name=_("Misc. {department}").format(department=dep.name),
                                    unit_price=amount, qty=qty, vat_bp=dep.vat_bp, department=dep.name))

    def set_qty(self, index: int, qty: int) -> None:
        self._no_payments()
        self.basket.set_qty(index, qty)
        self._display_line(index)

    def set_price(self, index: int, unit_price: int) -> None:
        self._no_payments()
        self.basket.line(index)  # clear errors first, before spending a manager's authorisation
        if unit_price < 0:
            raise TillError(_("a price cannot be negative"))
        if self.basket.is_refund:
            raise TillError(_("a refund keeps the original prices"))
        self.require("price_override")
        self.basket.set_price(index, unit_price)

    def _check_discount_limit(self, base: int, discount: Discount | None) -> None:
        """Above ``till.cashier_max_discount`` % a discount is a manager's decision
        (a 100 % discount is a price override by another name)."""
        if discount is None:
            return
        if discount.kind == "amount" and discount.value > abs(base):
            raise TillError(_("the discount is larger than the amount"))
        limit_bp = int(settings.get("till.cashier_max_discount")) * 100
        if abs(discount.amount_on(base)) > abs(base) * limit_bp // 10_000:
            self.require("discount")

    def set_line_discount(self, index: int, discount: Discount | None) -> None:
        self._no_payments()
        line = self.basket.line(index)
        if self.basket.is_refund:
            raise TillError(_("a refund keeps the original discounts"))
        self._check_discount_limit(line.gross, discount)
        self.basket.set_line_discount(index, discount)

    def set_ticket_discount(self, discount: Discount | None) -> None:
        self._no_payments()
        if self.basket.is_refund and discount:
            raise TillError(_("a refund keeps the original discounts"))
        self._check_discount_limit(self.basket.totals().subtotal, discount)
        self.basket.set_discount(discount)

    def remove_line(self, index: int) -> Line:
        """Remove a line (logged: deleting lines before a cancel must leave a trace)."""
        self._no_payments()
        self.basket.line(index)  # a bad index is refused before anything else
        actor = self.require("line_delete")
        line = self.basket.remove(index)
        events.log_event("line_deleted", actor.name, name=line.name, qty=line.qty, net=line.net)
        self._display_total()
        return line

    def _display_total(self) -> None:
        """The customer display after a change that is not a new line: the running total."""
        if self.display is not None:
            self.show_on_display(_("Total"), format_amount(self.basket.total, language()))

    def _no_payments(self) -> None:
        if self.basket.payments:
            raise TillError(_("Payments have started: remove them to change the basket"))

    def set_customer(self, customer_id: int | None) -> None:
        """Attach a customer to the ticket (optional), or detach with ``None``."""
        if customer_id is not None and customers.get_customer(customer_id) is None:
            raise TillError(_("Unknown customer"))
        self.basket.customer_id = customer_id

    def new_customer(self, name: str) -> int:
        """Create a customer from the sale screen (validated and journaled like the Customers page)."""
        from pos.catalog import actions

        return actions.save_customer(self.require("customer_edit"), {"name": name})

    def totals(self) -> Totals:
        return self.basket.totals()

    # ------------------------------------------------------------------ baskets
    def persist(self) -> None:
        """Save the basket in progress (it survives a restart)."""
        if self.user is None:
            return
        keep = self.basket.lines and not self.training  # a training basket must never come back as a real one
        baskets_db.save_current_basket(self.user.id, self.basket.to_dict() if keep else None)

    def park(self, label: str = "") -> int:
        user = self._need_user()
        self.require("park")
        self._not_training()
        if not self.basket.lines:
            raise TillError(_("The basket is empty"))
        if self.basket.payments:
            raise TillError(_("Payments have started: remove them to park the basket"))
        self.basket.label = label
        with common.atomic():
            basket_id = baskets_db.park_basket(user.id, label, self.basket.to_dict())
            baskets_db.save_current_basket(user.id, None)
        self.basket = Basket()
        return basket_id

    def _not_training(self) -> None:
        if self.training:
            raise TillError(_("Not available in training mode"))

    def parked(self) -> list[dict[str, Any]]:
        out = []
        for p in baskets_db.parked_baskets():
            basket = Basket.from_dict(p["data"])
            out.append(dict(p, total=basket.total, lines=len(basket.lines)))
        return out

    def recall(self, basket_id: int) -> None:
        user = self._need_user()
        self._not_training()
        if self.basket.lines:
            raise TillError(_("Park or finish the current basket first"))
        with common.atomic():  # taken from the parked ones and saved as current together
            data = baskets_db.take_parked_basket(basket_id)
            if data is None:
                raise TillError(_("This basket was already recalled"))
            baskets_db.save_current_basket(user.id, data)
        self.basket = Basket.from_dict(data)

    def cancel(self) -> None:
        """Cancel (void) the basket.  A non-empty basket needs a manager; it is logged."""
        user = self._need_user()
        if self.basket.payments:
            raise TillError(_("Payments were taken: remove them (give the money back) before cancelling"))
        if self.basket.lines:
            self.require("void")
            events.log_event("basket_cancelled", user.name, total=self.basket.total,
                            lines=[{"name": ln.name, "qty": ln.qty, "net": ln.net} for ln in self.basket.lines])
        self.basket = Basket()
        self.pending_qty = None
        baskets_db.save_current_basket(user.id, None)
        self._display_total()

    # ------------------------------------------------------------------ payments
    def payment_methods(self) -> list[shop.MethodInfo]:
        return [m for m in self._methods.values() if m.active]

    def reload_methods(self) -> None:
        self._methods = {m.code: m for m in shop.payment_methods(include_inactive=True)}

    def add_payment(self, code: str, amount: int | None = None) -> None:
        self._need_user()
        method = self._methods.get(code)
        if method is None or not method.active:
            raise TillError(_("Unknown payment method: {code}").format(code=code))
        self.basket.add_payment(method.code, method.name, method.gives_change, amount)

    def remove_payment(self, index: int) -> None:
        self._need_user()
        self.basket.remove_payment(index)

    def validate(self, keep_saved_basket: bool = False) -> TicketRecord:
        """Commit the ticket durably; then open the drawer for cash.  Returns the ticket.

        The user's saved basket is cleared in the same transaction, unless
        ``keep_saved_basket`` (the CLI sells beside a basket left open on the screen).
        A refund basket was authorised when it was made (``start_refund``)."""
        user = self._need_user()
        if not self.basket.is_refund:
            self.require("sell")
        basket = self.basket
        totals = basket.check_payable()
        try:
            number = self._record(basket, user, totals, None if keep_saved_basket else user.id)
        except tickets_db.RefundError as exc:
            raise TillError(str(exc)) from exc
        self.basket = Basket()
        self.pending_qty = None
        self.last_sale = LastSale(number, totals.total, basket.change)
        drawer_methods = [p.method for p in basket.payments
                          if p.gives_change or getattr(self._methods.get(p.method), "opens_drawer", False)]
        if drawer_methods:  # cash (and, by default, cheques) go into the drawer
            self.open_drawer(reason=",".join(sorted(set(drawer_methods))))
        if self.display is not None:
            lang = language()
            self.show_on_display(_("Total") + " " + format_amount(totals.total, lang),
                                 _("Change") + " " + format_amount(basket.change, lang) if basket.change else "")
        ticket = tickets_db.get_ticket(number)
        assert ticket is not None
        return ticket

    def _record(self, basket: Basket, user: UserInfo, totals: Totals, clear_basket_of: int | None) -> int:
        draft = ticket_draft(basket, totals, user_id=user.id, user_name=user.name, created_at=self.clock(),
                             training=self.training)
        return tickets_db.record_ticket(draft, clear_basket_of=clear_basket_of)

    # ------------------------------------------------------------------ refunds
    def find_ticket(self, number: int) -> TicketRecord:
        ticket = tickets_db.get_ticket(number)
        if ticket is None:
            raise TillError(_("Ticket {number} does not exist").format(number=number))
        return ticket

    def refundable(self, ticket: TicketRecord) -> dict[int, int]:
        """Quantity still refundable per line id of a sale ticket."""
        done = tickets_db.refunded_qty([ln["id"] for ln in ticket.lines])
        return {ln["id"]: ln["qty"] - done.get(ln["id"], 0) for ln in ticket.lines}

    def start_refund(self, number: int, quantities: dict[int, int] | None = None) -> None:
        """Make the basket a refund of ticket ``number``: ``quantities`` maps line ids to
        the quantity returned (default: everything still refundable).

        Each line gives back its final amount (after discounts) pro rata of the
        quantity, rounded cumulatively: refunding a line piece by piece gives back
        exactly what was paid for it.
        """
        self._need_user()
        if self.basket.lines:
            raise TillError(_("Park or finish the current basket first"))
        ticket = self.find_ticket(number)
        if ticket.kind != "sale":
            raise TillError(_("Only a sale can be refunded"))
        if closures.is_training_ticket(number) != self.training:
            raise TillError(_("In training mode only training tickets can be refunded") if self.training
                            else _("A training ticket is refunded in training mode only"))
        left = self.refundable(ticket)
        quantities = quantities if quantities is not None else {k: v for k, v in left.items() if v > 0}
        basket = Basket(refund_of=ticket.number, customer_id=ticket.customer_id)
        for ln in ticket.lines:
            qty = quantities.get(ln["id"], 0)
            if qty <= 0:
                continue
            if qty > left[ln["id"]]:
                raise TillError(_("Only {qty} of {name} can still be refunded").format(
                    qty=format_qty(left[ln["id"]]), name=ln["name"]))
            done = ln["qty"] - left[ln["id"]]
            net = round_div(ln["total"] * (done + qty), ln["qty"]) - round_div(ln["total"] * done, ln["qty"])
            basket.lines.append(Line(
                name=ln["name"], unit_price=ln["unit_price"], qty=-qty, vat_bp=ln["vat_bp"],
                article_id=ln["article"], reference=ln["reference"], barcode=ln["barcode"],
                department=ln["department"], list_price=ln["list_price"], refund_of_line=ln["id"],
                preset_net=-net, by_weight=bool(ln["by_weight"])))
        if not basket.lines:
            raise TillError(_("Nothing left to refund on ticket {number}").format(number=number))
        self.require("refund")
        self.basket = basket

    # ------------------------------------------------------------------ hooks
    def _run_device(self, kind: str, name: str, run: Callable[[], Any],
                    done: Callable[[Job], None] | None) -> Job | None:
        """One worker thread per device: a slow printer never delays the drawer or the display."""
        worker = self._workers.get(kind)
        if worker is None:
            worker = self._workers[kind] = self._worker or DeviceWorker()
            self._worker = None  # an injected worker serves the first device only
        return worker.submit(name, run, done)

    def _device_job(self, kind: str, name: str, run: Callable[[], Any],
                    done: Callable[[Job], None] | None) -> Job | None:
        """Run a device call on the worker thread and keep ``device_status[kind]`` up to date."""

        def job() -> Any:
            try:
                result = run()
            except Exception as exc:
                status = getattr(exc, "status", "error")
                self._set_status(kind, status, str(exc))
                raise
            # a device that could not tell (a USB or file printer, no status answer) stays "unknown"
            self._set_status(kind, "unknown" if result == "unknown" else "ok", "")
            return result

        return self._run_device(kind, name, job, done)

    def _set_status(self, kind: str, status: str, message: str) -> None:
        self.device_status[kind] = (status, message)
        if self.on_status is not None:
            self.on_status(kind, status, message)

    def print_receipt(self, ticket: TicketRecord, done: Callable[[Job], None] | None = None,
                      duplicate: bool = False, copy: int | None = None) -> Job | None:
        """Print a ticket in the background (the sale is already committed).

        Each request is recorded: the first print is the original (copy 0), later ones
        are numbered DUPLICATA.  A retry after a failure passes the failed job's ``copy``.
        """
        user_name = self.user.name if self.user else ""
        if copy is None:
            copy = tickets_db.next_print_copy(ticket.id, duplicate)
            if copy:
                user_name = self.require("reprint").name
                events.log_event("reprint", user_name, number=ticket.number, copy=copy)
        values = settings.all_values()

        def run() -> str | None:
            status = self.printer.print_ticket(ticket, values, copy)
            try:  # counted once it came out: a failed original stays the original for its retry
                tickets_db.record_print(ticket.id, user_name, copy)
            finally:
                common.release_thread_connection()
            return status

        job = self._device_job("printer", "print_receipt", run, done)
        if job is not None:
            job.copy = copy  # type: ignore[attr-defined]
        return job

    def print_test_page(self, done: Callable[[Job], None] | None = None) -> Job | None:
        values = settings.all_values()
        return self._device_job("printer", "print_test_page", lambda: self.printer.print_test_page(values), done)

    def open_drawer(self, done: Callable[[Job], None] | None = None, reason: str = "cash") -> Job | None:
        """Open the cash drawer (every opening is logged with its reason)."""
        events.log_event("drawer_opened", self.user.name if self.user else "", reason=reason)
        return self._device_job("drawer", "open_drawer", self.drawer.open, done)

    def open_drawer_manually(self, done: Callable[[Job], None] | None = None) -> Job | None:
        """The "Open drawer" button: managers only (or a manager's PIN), logged."""
        self._need_user()
        self.require("drawer")
        return self.open_drawer(done, reason="manual")

    def show_on_display(self, *lines: str) -> None:
        """The customer display, if any (two lines of 20 characters)."""
        if self.display is not None:
            first, second = (list(lines) + ["", ""])[:2]
            self._device_job("display", "display", lambda: self.display.show(first, second), None)

    def wait_devices(self, timeout: float) -> bool:
        """Wait until the device jobs queued so far are done, ``timeout`` s at most; False if some are not."""
        deadline = time.monotonic() + timeout
        marks = [worker.submit("wait", lambda: None) for worker in self._workers.values()]
        return all(mark.finished.wait(max(0.0, deadline - time.monotonic())) for mark in marks)

    def close(self, wait: float = 5.0) -> None:
        """Stop the device threads, waiting ``wait`` s at most for each (0: the CLI after its own wait)."""
        for worker in self._workers.values():
            worker.stop(wait)
        self._workers.clear()


def describe_code(code: str) -> str:
    """What the till makes of a scanned code, in words (scanner tests, the barcode rules page)."""
    from pos.sale.scancodes import ScanError, decode, ticket_number

    lang = language()
    code = code.strip()
    if not code:
        return ""
    number = ticket_number(code)
    if number is not None:
        return _("receipt of ticket {number}").format(number=number)
    article = catalog.find_article_by_code(code)
    if article is not None:
        return f"{article.name} ({article.reference}) {format_amount(article.price, lang)}"
    try:
        decoded = decode(code, catalog.barcode_rules())
    except ScanError as exc:
        return str(exc)
    article = next((a for a in map(catalog.find_article_by_code, decoded.candidates) if a is not None), None)
    name = f"{article.name} ({article.reference})" if article else _("no article for {codes}").format(
        codes=", ".join(decoded.candidates))
    if decoded.qty is not None:
        return _("weight {qty} kg: {article}").format(qty=format_qty(decoded.qty, lang), article=name)
    if decoded.price is not None:
        return _("price {price}: {article}").format(price=format_amount(decoded.price, lang), article=name)
    return name
