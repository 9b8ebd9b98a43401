"""Credit notes (avoirs) and gift vouchers: their own gap-free number series, balances, moves,
and the returns taken without a ticket.

A note is money the shop owes (a liability), not a sale.  It is issued by a refund paid
"by credit note" (a negative payment of the ``voucher`` method) or by selling a gift-voucher
article, and spent by a positive ``voucher`` payment naming it.  Both happen inside the
ticket's own write transaction (``apply_ticket``, called by ``pos.data.tickets.record_ticket``
under ``BEGIN IMMEDIATE``): the balance is checked and debited in that one transaction, so two
tills or processes can never spend a note beyond its balance (the table's CHECK refuses it too).

Every move (issue, use, cancel) is a row of ``voucher_move`` (immutable) and a ``voucher``
record of the fiscal journal, written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pos.core.errors import Refusal
from pos.core.i18n import _
from pos.data import journal
from pos.data.models import database

if TYPE_CHECKING:
    from pos.sale.draft import DraftLine, TicketDraft

METHOD = "voucher"  # the payment method that spends (positive) or issues (negative) a note
DEFAULT_VALIDITY_DAYS = "365"  # the setting vouchers.validity_days (0: no expiry)
KINDS = ("credit_note", "gift")
PREFIX = {"credit_note": "AV", "gift": "BC"}

V12_VOUCHERS = [
    # credit notes and gift vouchers: one gap-free series; the balance never below 0 nor above the amount
    'CREATE TABLE "voucher" ("id" INTEGER NOT NULL PRIMARY KEY, "number" INTEGER NOT NULL, '
    '"kind" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, "balance" INTEGER NOT NULL, '
    '"status" VARCHAR(255) NOT NULL, "issued_at" VARCHAR(255) NOT NULL, "expires_on" VARCHAR(255), '
    '"ticket_number" INTEGER, "user_name" VARCHAR(255) NOT NULL, '
    'CHECK ("amount" > 0 AND "balance" >= 0 AND "balance" <= "amount"))',
    'CREATE UNIQUE INDEX "voucher_number" ON "voucher" ("number")',
    'CREATE INDEX "voucher_status" ON "voucher" ("status")',
    # every issue, use and cancellation (amount signed: + issued, - used or cancelled)
    'CREATE TABLE "voucher_move" ("id" INTEGER NOT NULL PRIMARY KEY, "voucher_id" INTEGER NOT NULL, '
    '"at" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "amount" INTEGER NOT NULL, '
    '"balance" INTEGER NOT NULL, "ticket_number" INTEGER, "user_name" VARCHAR(255) NOT NULL, '
    '"reason" TEXT NOT NULL, FOREIGN KEY ("voucher_id") REFERENCES "voucher" ("id"))',
    'CREATE INDEX "voucher_move_voucher_id" ON "voucher_move" ("voucher_id")',
    'CREATE INDEX "voucher_move_ticket_number" ON "voucher_move" ("ticket_number")',
    'CREATE INDEX "voucher_move_at" ON "voucher_move" ("at")',
    # the articles that are gift vouchers (selling one issues a note)
    'CREATE TABLE "voucher_article" ("article_id" INTEGER NOT NULL PRIMARY KEY, '
    'FOREIGN KEY ("article_id") REFERENCES "article" ("id") ON DELETE CASCADE)',
    # returns taken without a ticket: the refund ticket's reason
    'CREATE TABLE "ticket_return" ("ticket_number" INTEGER NOT NULL PRIMARY KEY, "reason" TEXT NOT NULL, '
    '"user_name" VARCHAR(255) NOT NULL)',
    "CREATE TRIGGER voucher_no_delete BEFORE DELETE ON voucher "
    "BEGIN SELECT RAISE(ABORT, 'voucher rows are never deleted'); END",
    "CREATE TRIGGER voucher_fixed BEFORE UPDATE OF number, kind, amount, issued_at, expires_on, ticket_number "
    "ON voucher BEGIN SELECT RAISE(ABORT, 'a voucher keeps its number, amount and dates'); END",
] + [
    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable once committed'); END"
    for table in ("voucher_move", "ticket_return")
    for op in ("UPDATE", "DELETE")
]


class VoucherError(Refusal):
    """A note that cannot be issued, spent or cancelled as asked; nothing was changed."""


@dataclass
class VoucherInfo:
    id: int
    number: int
    kind: str
    amount: int
    balance: int
    status: str  # open | used | cancelled
    issued_at: str
    expires_on: str | None  # last valid day, YYYY-MM-DD (None: never expires)
    ticket_number: int | None
    user_name: str

    @property
    def code(self) -> str:
        return code_of(self.kind, self.number)

    def expired(self, today: str) -> bool:
        return self.expires_on is not None and today > self.expires_on

    def state(self, today: str) -> str:
        """open, used, cancelled or expired."""
        return "expired" if self.status == "open" and self.expired(today) else self.status


def code_of(kind: str, number: int) -> str:
    """The printed and scanned code: ``AV00000012`` (a credit note), ``BC00000013`` (a gift voucher)."""
    return f"{PREFIX.get(kind, 'AV')}{number:08d}"


def parse_code(text: str) -> int | None:
    """The number of a typed or scanned code (``AV00000012``, ``bc13``, ``12``), else None."""
    text = text.strip().upper()
    for prefix in PREFIX.values():
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    return int(text) if text.isdigit() and 0 < len(text) <= 12 and int(text) > 0 else None


_COLS = ("id", "number", "kind", "amount", "balance", "status", "issued_at", "expires_on", "ticket_number",
         "user_name")
_SELECT = "SELECT " + ", ".join(f'"{c}"' for c in _COLS) + ' FROM "voucher"'


def _info(row: tuple) -> VoucherInfo:
    return VoucherInfo(*row)


def get(number: int) -> VoucherInfo | None:
    row = database.execute_sql(_SELECT + ' WHERE "number" = ?', (number,)).fetchone()
    return _info(row) if row else None


def list_vouchers(*, open_only: bool = False, search: str = "", limit: int = 200,
                  before_number: int | None = None) -> list[VoucherInfo]:
    """Newest first; ``search`` matches a code/number, an issuing ticket or an amount in cents."""
    where, params = [], []
    if open_only:
        where.append("\"status\" = 'open'")
    if before_number is not None:
        where.append('"number" < ?')
        params.append(before_number)
    search = search.strip()
    if search:
        number = parse_code(search)
        if number is None:
            return []
        where.append('("number" = ? OR "ticket_number" = ? OR "amount" = ?)')
        params += [number, number, number]
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + ' ORDER BY "number" DESC LIMIT ?'
    return [_info(r) for r in database.execute_sql(sql, (*params, limit)).fetchall()]


def moves(number: int) -> list[dict[str, Any]]:
    cur = database.execute_sql(
        'SELECT m."at", m."kind", m."amount", m."balance", m."ticket_number", m."user_name", m."reason" '
        'FROM "voucher_move" m JOIN "voucher" v ON v."id" = m."voucher_id" WHERE v."number" = ? ORDER BY m."id"',
        (number,))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def for_ticket(ticket_number: int) -> list[dict[str, Any]]:
    """The notes a ticket issued or spent: code, kind, move, amount, balance left, expiry."""
    cur = database.execute_sql(
        'SELECT v."kind", v."number", m."kind", m."amount", m."balance", v."expires_on" FROM "voucher_move" m '
        'JOIN "voucher" v ON v."id" = m."voucher_id" WHERE m."ticket_number" = ? ORDER BY m."id"',
        (ticket_number,))
    return [{"code": code_of(kind, number), "kind": kind, "number": number, "move": move, "amount": amount,
             "balance": balance, "expires_on": expires} for kind, number, move, amount, balance, expires
            in cur.fetchall()]


def return_reason(ticket_number: int) -> str | None:
    row = database.execute_sql('SELECT "reason" FROM "ticket_return" WHERE "ticket_number" = ?',
                               (ticket_number,)).fetchone()
    return row[0] if row else None


def is_gift_article(article_id: int) -> bool:
    return database.execute_sql('SELECT 1 FROM "voucher_article" WHERE "article_id" = ?',
                                (article_id,)).fetchone() is not None


def set_gift_article(article_id: int, on: bool) -> None:
    """Inside the caller's transaction."""
    if on:
        database.execute_sql('INSERT OR IGNORE INTO "voucher_article" ("article_id") VALUES (?)', (article_id,))
    else:
        database.execute_sql('DELETE FROM "voucher_article" WHERE "article_id" = ?', (article_id,))


def totals(start: str | None = None, end: str | None = None) -> dict[str, int]:
    """Issued, redeemed and cancelled (count and cents) after ``start`` and up to ``end`` (local ISO
    times, or dates: a day's moves are after its date; None: open), and what is outstanding at ``end``."""
    where, params = [], []
    if start:
        where.append('"at" > ?')
        params.append(start)
    if end:
        where.append('"at" <= ?')
        params.append(end)
    sql = ('SELECT "kind", COUNT(*), COALESCE(SUM("amount"), 0) FROM "voucher_move"'
           + (" WHERE " + " AND ".join(where) if where else "") + ' GROUP BY "kind"')
    out = {"issued_count": 0, "issued": 0, "redeemed_count": 0, "redeemed": 0, "cancelled_count": 0,
           "cancelled": 0}
    names = {"issue": "issued", "use": "redeemed", "cancel": "cancelled"}
    for kind, n, amount in database.execute_sql(sql, tuple(params)).fetchall():
        out[f"{names[kind]}_count"], out[names[kind]] = n, abs(amount)
    upto = ' WHERE "at" <= ?' if end else ""
    out["outstanding"] = database.execute_sql(
        f'SELECT COALESCE(SUM("amount"), 0) FROM "voucher_move"{upto}', (end,) if end else ()).fetchone()[0]
    out["outstanding_count"] = database.execute_sql(
        'SELECT COUNT(*) FROM (SELECT "voucher_id" FROM "voucher_move"' + upto
        + ' GROUP BY "voucher_id" HAVING SUM("amount") > 0)', (end,) if end else ()).fetchone()[0]
    return out


# ---------------------------------------------------------------- writing (inside a transaction)
def _validity_days() -> int:
    row = database.execute_sql('SELECT "value" FROM "setting" WHERE "key" = ?',
                               ("vouchers.validity_days",)).fetchone()
    try:
        return int(row[0] if row else DEFAULT_VALIDITY_DAYS)
    except ValueError:
        return int(DEFAULT_VALIDITY_DAYS)


def _move(v: VoucherInfo, kind: str, amount: int, balance: int, at: str, ticket: int | None, user: str,
          reason: str = "") -> None:
    database.execute_sql(
        'INSERT INTO "voucher_move" ("voucher_id", "at", "kind", "amount", "balance", "ticket_number", '
        '"user_name", "reason") VALUES (?, ?, ?, ?, ?, ?, ?, ?)', (v.id, at, kind, amount, balance, ticket, user,
                                                                  reason))
    journal.append("voucher", v.code, {"move": kind, "number": v.number, "kind": v.kind, "amount": amount,
                                       "balance": balance, "ticket": ticket, "user": user, "reason": reason,
                                       "note_amount": v.amount, "expires_on": v.expires_on}, at)


def issue(kind: str, amount: int, at: str, user: str, ticket: int | None) -> VoucherInfo:
    """A new note, numbered in its gap-free series (call inside a write transaction)."""
    if kind not in KINDS or amount <= 0:
        raise ValueError(f"cannot issue a {kind} of {amount}")
    # never a number given before a restore (the journal's restored records name the next one)
    floor = max([r["next_voucher"] - 1 for r in journal.restores() if isinstance(r.get("next_voucher"), int)],
                default=0)
    number = max(database.execute_sql('SELECT MAX("number") FROM "voucher"').fetchone()[0] or 0, floor) + 1
    days = _validity_days()
    expires = (dt.date.fromisoformat(at[:10]) + dt.timedelta(days=days)).isoformat() if days else None
    cur = database.execute_sql(
        'INSERT INTO "voucher" ("number", "kind", "amount", "balance", "status", "issued_at", "expires_on", '
        '"ticket_number", "user_name") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        (number, kind, amount, amount, "open", at, expires, ticket, user))
    v = VoucherInfo(cur.lastrowid, number, kind, amount, amount, "open", at, expires, ticket, user)
    _move(v, "issue", amount, amount, at, ticket, user)
    return v


def _usable(number: int, today: str) -> VoucherInfo:
    v = get(number)
    if v is None:
        raise VoucherError(_("No credit note or voucher number {number}").format(number=number))
    if v.status == "cancelled":
        raise VoucherError(_("{code} was cancelled").format(code=v.code))
    if v.status == "used" or v.balance == 0:
        raise VoucherError(_("{code} is used up").format(code=v.code))
    if v.expired(today):
        raise VoucherError(_("{code} expired on {date}").format(code=v.code, date=v.expires_on))
    return v


def check_usable(number: int, today: str) -> VoucherInfo:
    """The note, if it can be spent today (a first check at the till; the real one is at commit)."""
    return _usable(number, today)


def redeem(number: int, amount: int, at: str, user: str, ticket: int | None) -> VoucherInfo:
    """Spend ``amount`` of a note: checked and debited in the caller's write transaction."""
    v = _usable(number, at[:10])
    if amount <= 0:
        raise ValueError("a note is spent by a positive amount")
    cur = database.execute_sql('UPDATE "voucher" SET "balance" = "balance" - ?, '
                               "\"status\" = CASE WHEN \"balance\" = ? THEN 'used' ELSE 'open' END "
                               "WHERE \"id\" = ? AND \"status\" = 'open' AND \"balance\" >= ?",
                               (amount, amount, v.id, amount))
    if cur.rowcount != 1:
        from pos.core.i18n import language
        from pos.core.money import format_amount

        raise VoucherError(_("Only {balance} is left on {code}").format(balance=format_amount(v.balance, language()),
                                                                          code=v.code))
    _move(v, "use", -amount, v.balance - amount, at, ticket, user)
    return v


def cancel(number: int, at: str, user: str, reason: str) -> VoucherInfo:
    """Cancel a note's balance (inside the caller's transaction)."""
    v = get(number)
    if v is None:
        raise VoucherError(_("No credit note or voucher number {number}").format(number=number))
    if v.status != "open" or v.balance == 0:
        raise VoucherError(_("{code} is not open").format(code=v.code))
    database.execute_sql("UPDATE \"voucher\" SET \"balance\" = 0, \"status\" = 'cancelled' WHERE \"id\" = ?",
                         (v.id,))
    _move(v, "cancel", -v.balance, 0, at, None, user, reason)
    return v


def apply_ticket(draft: TicketDraft, number: int) -> None:
    """The notes of a ticket being recorded (called by ``record_ticket`` inside its transaction):
    spend the ``voucher`` payments naming a note, issue a credit note for a refund paid by credit
    note, a gift voucher per unit of a gift-voucher article sold, and keep a no-ticket return's reason."""
    payments = [p for p in draft.payments if p.method_code == METHOD]
    gifts = _gift_lines(draft)
    if draft.kind == "refund" and draft.refund_of is None:
        database.execute_sql('INSERT INTO "ticket_return" ("ticket_number", "reason", "user_name") VALUES (?, ?, ?)',
                             (number, draft.reason, draft.user_name))
        journal.append("return", str(number), {"ticket": number, "reason": draft.reason, "user": draft.user_name},
                       draft.created_at)
    if not payments and not gifts:
        return
    if draft.training:
        raise VoucherError(_("Credit notes and gift vouchers are not available in training mode"))
    for p in payments:
        if p.amount > 0:
            found = parse_code(p.reference)
            if found is None:
                raise VoucherError(_("Scan or type the number of the credit note or voucher"))
            redeem(found, p.amount, draft.created_at, draft.user_name, number)
        elif p.amount < 0:
            issue("credit_note", -p.amount, draft.created_at, draft.user_name, number)
    for line in gifts:
        if line.qty < 0:
            raise VoucherError(_("A gift voucher sold is not refunded: cancel the voucher instead"))
        if line.vat_bp != 0:
            raise VoucherError(_("A gift voucher is not a sale: its article must have the 0 % VAT rate"))
        units = line.qty // 1000
        if units * 1000 != line.qty or line.total % units:
            raise VoucherError(_("Gift vouchers are sold by the unit"))
        for _unit in range(units):
            issue("gift", line.total // units, draft.created_at, draft.user_name, number)


def _gift_lines(draft: TicketDraft) -> list[DraftLine]:
    ids = [ln.article_id for ln in draft.lines if ln.article_id]
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    gift = {r[0] for r in database.execute_sql(
        f'SELECT "article_id" FROM "voucher_article" WHERE "article_id" IN ({marks})', tuple(ids)).fetchall()}
    return [ln for ln in draft.lines if ln.article_id in gift]


def journal_mismatch() -> tuple[int | None, str] | None:
    """``pos journal verify``: every note move against its ``voucher`` journal record, both ways, in
    order, and every note's balance against its moves.  None, or (journal seq, what differs)."""
    if database.execute_sql("SELECT 1 FROM sqlite_master WHERE name = 'voucher_move'").fetchone() is None:
        return None
    records = database.execute_sql("SELECT seq, at, ref, payload FROM journal WHERE kind = 'voucher' "
                                   "ORDER BY seq").fetchall()
    moves = database.execute_sql(
        'SELECT m."at", v."kind", v."number", m."kind", m."amount", m."balance", m."ticket_number", '
        'm."user_name", m."reason", v."amount", v."expires_on" FROM "voucher_move" m '
        'JOIN "voucher" v ON v."id" = m."voucher_id" ORDER BY m."id"').fetchall()
    for i, (seq, at, ref, text) in enumerate(records):
        if i >= len(moves):
            return seq, _("credit note record {seq} ({code}) has no move in the notes").format(seq=seq, code=ref)
        m_at, kind, number, move, amount, balance, ticket, user, reason, note_amount, expires = moves[i]
        expected = {"move": move, "number": number, "kind": kind, "amount": amount, "balance": balance,
                    "ticket": ticket, "user": user, "reason": reason, "note_amount": note_amount,
                    "expires_on": expires}
        payload = json.loads(text)
        payload.pop("anomaly", None)
        if (at, ref, payload) != (m_at, code_of(kind, number), expected):
            return seq, _("the move of {code} differs from its journal record {seq}").format(
                code=code_of(kind, number), seq=seq)
    if len(moves) > len(records):
        _at, kind, number = moves[len(records)][:3]
        return None, _("a move of {code} has no journal record: it was written outside the till").format(
            code=code_of(kind, number))
    row = database.execute_sql(
        'SELECT v."kind", v."number" FROM "voucher" v WHERE v."balance" != (SELECT COALESCE(SUM(m."amount"), 0) '
        'FROM "voucher_move" m WHERE m."voucher_id" = v."id") LIMIT 1').fetchone()
    if row is not None:
        return None, _("the balance of {code} is not what its moves leave").format(code=code_of(*row))
    return None
