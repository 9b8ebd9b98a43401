"""Who may do what: one table maps each role to its permissions.

Every action that changes the shop names one permission and checks it here, in the
core, whoever calls it (a screen, the CLI, a sync job).  A cashier can be given a
permission they lack for one action by a manager's PIN: a one-shot authorisation
carried by the :class:`Actor` (see ``Till.authorize``).

To add a role, add a line to ``ROLES``; to add a permission, add it to
``PERMISSIONS`` with the words the refusal shows, and to the roles that hold it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pos.core.errors import Refusal
from pos.core.i18n import N_, _

# permission -> what it lets one do (shown in "A manager must authorise this: ...")
PERMISSIONS: dict[str, str] = {
    # the sale
    "sell": N_("sell"),
    "line_delete": N_("delete a line"),
    "park": N_("park a basket"),
    "reprint": N_("reprint a ticket"),
    "invoice": N_("make out an invoice"),
    "customer_edit": N_("create or change a customer"),
    "cash_in": N_("put cash into the drawer"),
    "refund": N_("refund"),
    "void": N_("cancel a sale"),
    "price_override": N_("override a price"),
    "discount": N_("give a discount above the cashiers' limit"),
    "drawer": N_("open the cash drawer"),
    "training": N_("switch to training mode"),
    "cash_out": N_("take cash out of the drawer"),
    # the manager's work
    "closure": N_("run a closure (Z, monthly, yearly)"),
    "reports": N_("view the sales reports"),
    "config": N_("open the configuration"),
    "settings": N_("change the settings"),
    "users": N_("manage the users"),
    "vat": N_("manage the VAT rates"),
    "payment_methods": N_("manage the payment methods"),
    "catalog": N_("change the articles, departments and barcode rules"),
    "import": N_("import a spreadsheet"),
    "export": N_("export the lists (cost prices, customers' details)"),
    "sync": N_("synchronise with PrestaShop"),
    "archive": N_("make a fiscal archive"),
    "stock": N_("receive goods, count the stock and set stock thresholds"),
    "vouchers": N_("cancel a credit note or gift voucher"),
    "return_no_ticket": N_("take back an article without its ticket"),
    "restore": N_("restore a backup"),
}

CASHIER = frozenset({"sell", "line_delete", "park", "reprint", "invoice", "customer_edit", "cash_in"})
ROLES: dict[str, frozenset[str]] = {
    "cashier": CASHIER,
    "manager": frozenset(PERMISSIONS),
}
# A manager's authorisation to enter a restricted screen covers that screen's actions for the visit.
GRANTS: dict[str, frozenset[str]] = {
    "config": frozenset({"settings", "users", "vat", "payment_methods", "catalog", "import", "export", "sync",
                         "archive",
                         "reports", "vouchers", "restore", "stock"}),
    "closure": frozenset({"reports", "sync"}),
}


class NeedsManager(Refusal):
    """The actor's role lacks the permission; a manager's PIN may authorise it once."""

    def __init__(self, permission: str):
        self.action = permission
        super().__init__(_("A manager must authorise this: {action}").format(action=_(PERMISSIONS[permission])))


@dataclass(frozen=True)
class Actor:
    """Who acts: a user of the shop (``user_id`` and ``name`` are journaled with the change).

    ``authorised`` is a permission a manager (``authorised_by``) granted for this one action."""

    user_id: int | None
    name: str
    role: str
    authorised: str | None = None
    authorised_by: str = ""

    def may(self, permission: str) -> bool:
        if permission not in PERMISSIONS:
            raise KeyError(f"unknown permission {permission!r}")
        if permission in ROLES.get(self.role, frozenset()) or self.authorised == permission:
            return True
        return self.authorised is not None and permission in GRANTS.get(self.authorised, frozenset())

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


def role_may(role: str, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return permission in ROLES.get(role, frozenset())


def check(actor: Actor, permission: str) -> None:
    """Raise :class:`NeedsManager` unless ``actor`` may do ``permission``."""
    if not actor.may(permission):
        raise NeedsManager(permission)
