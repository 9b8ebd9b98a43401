"""The manager's changes to the shop's set-up: users, VAT rates, payment methods,
settings and barcode rules.

Each function is one action: it takes who acts, checks the permission
(``pos.core.permissions``), validates, and writes and journals in one transaction
(``pos.core.actions.change``).  The config pages and the CLI call these; they never
check a role or journal by themselves.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TypeVar

from pos.core import auth, settings
from pos.core.actions import change
from pos.core.errors import Refusal
from pos.core.i18n import _
from pos.core.permissions import Actor, check
from pos.data import catalog as catalog_db
from pos.data import common, events
from pos.data import shop as shop_db
from pos.data import users as users_db
from pos.data.users import UserInfo

ROLES = ("cashier", "manager")
_METHOD_CODE = re.compile(r"[a-z][a-z0-9_]{1,30}")


class AdminError(Refusal):
    """A set-up change refused; the message says why."""


NAME_MAX = 30  # a user's name is on the login buttons, the status bar and every receipt


def _user_name(name: str, missing: str) -> str:
    """A user's name: 1 to 30 characters, none of them a control character (a newline...)."""
    name = name.strip()
    if not name:
        raise AdminError(missing)
    if len(name) > NAME_MAX:
        raise AdminError(_("a name has at most {n} characters").format(n=NAME_MAX))
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise AdminError(_("a name cannot hold a line break, a tab or another control character"))
    return name


def _pin_hash(pin: str) -> str:
    try:
        return auth.hash_pin(pin)
    except ValueError as exc:
        raise AdminError(str(exc)) from exc


R = TypeVar("R")


def _one(rows: Iterable[R], row_id: int, unknown: str) -> R:
    """The row whose ``id`` is ``row_id`` (users, VAT rates, methods, rules), else a refusal."""
    found = next((r for r in rows if getattr(r, "id", None) == row_id), None)
    if found is None:
        raise AdminError(unknown)
    return found


def _user(user_id: int) -> UserInfo:
    return _one(users_db.users(include_inactive=True), user_id, _("Unknown user"))


# ---------------------------------------------------------------- users
def add_user(actor: Actor, name: str, pin: str, role: str = "cashier") -> UserInfo:
    name = _user_name(name, _("Type a name"))
    if role not in ROLES:
        raise AdminError(_("unknown role {role}").format(role=role))
    pin_hash = _pin_hash(pin)
    with change(actor, "users", "user_created", name=name, role=role):
        if users_db.find_user(name):
            raise AdminError(_("This user already exists"))
        return users_db.create_user(name, pin_hash, role)


def first_manager(name: str, pin: str, shop_name: str | None = None) -> UserInfo:
    """The first user of an empty shop: a manager, created by nobody (no PIN can be asked yet).

    With ``shop_name`` (the first-start screen) the shop is named and gets its *Misc.* department
    too.  Refused as soon as the shop has a user: the check and the writes are one transaction."""
    if shop_name is not None:
        shop_name = settings.validate("shop.name", shop_name)
    name = _user_name(name, _("Type the manager's name"))
    pin_hash = _pin_hash(pin)
    with common.atomic():
        if not users_db.is_empty_shop():
            raise AdminError(_("The shop already has users: a manager must add new ones"))
        user = users_db.create_user(name, pin_hash, "manager")
        events.log_event("user_created", name, name=name, role="manager", first=True)
        if shop_name is not None:
            settings.set_value("shop.name", shop_name, name)
            shop_db.save_department(_("Misc."), vat_bp=2000)
    return user


def set_user_active(actor: Actor, user_id: int, active: bool) -> None:
    user = _user(user_id)
    with change(actor, "users", "user_changed", name=user.name, active=bool(active)):
        if not active and user.role == "manager" and users_db.count_active_managers() <= 1:
            raise AdminError(_("The last manager cannot be deactivated"))
        users_db.update_user(user_id, active=bool(active))


def set_user_pin(actor: Actor, user_id: int, pin: str) -> None:
    user = _user(user_id)
    pin_hash = _pin_hash(pin)
    if actor.user_id == user_id:  # one's own PIN needs no manager
        with common.atomic():
            users_db.update_user(user_id, pin_hash=pin_hash)
            events.log_event("user_pin_changed", actor.name, name=user.name)
        return
    with change(actor, "users", "user_pin_changed", name=user.name):
        users_db.update_user(user_id, pin_hash=pin_hash)


# ---------------------------------------------------------------- VAT rates
def add_vat_rate(actor: Actor, rate_bp: int, label: str = "") -> shop_db.VatInfo:
    if not isinstance(rate_bp, int) or not 0 <= rate_bp <= 10_000:
        raise AdminError(_("a VAT rate is between 0 and 100 %"))
    with change(actor, "vat", "vat_rate_added", rate_bp=rate_bp):
        if shop_db.vat_id_for(rate_bp) is not None:
            raise AdminError(_("this VAT rate already exists"))
        return shop_db.create_vat_rate(rate_bp, label.strip())


def set_vat_active(actor: Actor, vat_id: int, active: bool) -> None:
    _one(shop_db.vat_rates(include_inactive=True), vat_id, _("Unknown VAT rate"))
    with change(actor, "vat", "vat_rate_changed", id=vat_id, active=bool(active)):
        shop_db.update_vat_rate(vat_id, active=bool(active))


# ---------------------------------------------------------------- payment methods
def add_payment_method(actor: Actor, code: str, name: str) -> shop_db.MethodInfo:
    code, name = code.strip().lower(), name.strip()
    if not _METHOD_CODE.fullmatch(code) or not name:
        raise AdminError(_("A method needs a code (letters, digits, _) and a name"))
    with change(actor, "payment_methods", "payment_method_added", code=code):
        if any(m.code == code for m in shop_db.payment_methods(include_inactive=True)):
            raise AdminError(_("This code already exists"))
        return shop_db.create_payment_method(code, name, gives_change=False)


def _method(method_id: int) -> shop_db.MethodInfo:
    return _one(shop_db.payment_methods(include_inactive=True), method_id, _("Unknown payment method"))


def set_method_active(actor: Actor, method_id: int, active: bool) -> None:
    _method(method_id)
    with change(actor, "payment_methods", "payment_method_changed", id=method_id, active=bool(active)):
        shop_db.update_payment_method(method_id, active=bool(active))


def set_method_opens_drawer(actor: Actor, method_id: int, opens: bool) -> None:
    _method(method_id)
    with change(actor, "payment_methods", "payment_method_changed", id=method_id, opens_drawer=bool(opens)):
        shop_db.update_payment_method(method_id, opens_drawer=bool(opens))


# ---------------------------------------------------------------- settings
def set_setting(actor: Actor, key: str, value: str) -> str:
    """Validate and store one setting; returns the stored (normalised) value."""
    check(actor, "settings")
    return settings.set_value(key, value, actor.name)


def set_settings(actor: Actor, values: dict[str, str]) -> None:
    """Validate every value first, then store all or nothing."""
    check(actor, "settings")
    settings.set_many(values, actor.name)


# ---------------------------------------------------------------- barcode rules
def add_barcode_rule(actor: Actor, prefix: str, kind: str, article_digits: int, value_digits: int) -> int:
    prefix = prefix.strip()
    if not prefix.isdigit() or article_digits < 1 or value_digits < 1:
        raise AdminError(_("A rule needs a numeric prefix, article digits and value digits"))
    if kind not in ("price", "weight"):
        raise AdminError(_("unknown rule kind {kind}").format(kind=kind))
    if len(prefix) + article_digits + value_digits > 12:
        raise AdminError(_("Prefix, article and value digits must fit in 12 digits (EAN-13)"))
    with change(actor, "catalog", "barcode_rule_added", prefix=prefix, measure=kind):
        if any(r.prefix == prefix for r in catalog_db.barcode_rules(include_inactive=True)):
            raise AdminError(_("A rule already uses the prefix {prefix}").format(prefix=prefix))
        return catalog_db.save_barcode_rule(prefix, kind, article_digits, value_digits)


def _rule(rule_id: int) -> catalog_db.BarcodeRuleInfo:
    return _one(catalog_db.barcode_rules(include_inactive=True), rule_id, _("Unknown barcode rule"))


def set_barcode_rule_active(actor: Actor, rule_id: int, active: bool) -> None:
    rule = _rule(rule_id)
    with change(actor, "catalog", "barcode_rule_changed", prefix=rule.prefix, active=bool(active)):
        catalog_db.save_barcode_rule(rule.prefix, rule.kind, rule.article_digits, rule.value_digits,
                                     bool(active), rule.id)


def delete_barcode_rule(actor: Actor, rule_id: int) -> None:
    rule = _rule(rule_id)
    with change(actor, "catalog", "barcode_rule_deleted", prefix=rule.prefix):
        catalog_db.delete_barcode_rule(rule.id)


# ---------------------------------------------------------------- the till's own life
def record_start(version: str) -> None:
    """The till started: a ``start`` record of the fiscal journal (the system acts, not a user)."""
    events.log_event("start", "", version=version)


def record_stop() -> None:
    """The till stopped: a ``stop`` record of the fiscal journal."""
    events.log_event("stop", "")
