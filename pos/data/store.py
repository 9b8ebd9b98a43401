"""Every query of the application.  The rest of the code calls these functions and
gets plain dataclasses back: no SQL, no peewee query, outside ``pos/data``."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import peewee
from peewee import JOIN, fn

from . import journal
from .models import (
    Article,
    Barcode,
    BarcodeRule,
    Customer,
    CustomField,
    Department,
    Event,
    PaymentMethod,
    SavedBasket,
    Setting,
    Ticket,
    TicketLine,
    TicketPrint,
    User,
    VatRate,
    database,
)


def sort_key(text: str) -> str:
    """Alphabetical order as people expect it: accents and case ignored ("Éclair" near "Eau")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


# ---------------------------------------------------------------- value objects
@dataclass(frozen=True)
class ArticleInfo:
    id: int
    reference: str
    name: str
    price: int
    vat_bp: int
    department_id: int | None = None
    department: str = ""
    colour: str = ""
    by_weight: bool = False
    free_price: bool = False
    active: bool = True
    stock: int = 0
    barcode: str = ""


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    name: str
    colour: str
    position: int
    vat_bp: int | None
    active: bool = True


@dataclass(frozen=True)
class MethodInfo:
    id: int
    code: str
    name: str
    gives_change: bool
    active: bool
    position: int
    opens_drawer: bool = False


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str
    active: bool = True

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


@dataclass(frozen=True)
class VatInfo:
    id: int
    rate_bp: int
    label: str
    active: bool


@dataclass
class TicketRecord:
    id: int
    number: int
    kind: str
    status: str
    channel: str
    created_at: str
    user_name: str
    customer_id: int | None
    refund_of: int | None  # ticket number
    subtotal: int
    discount_kind: str | None
    discount_value: int | None
    discount_amount: int
    total: int
    paid: int
    change: int
    lines: list[dict[str, Any]] = field(default_factory=list)
    training: bool = False  # a training-mode ticket: out of the fiscal totals, marked on its receipt
    vat: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)


_ARTICLE_FIELDS = (
    Article.id, Article.reference, Article.name, Article.price, VatRate.rate_bp,
    Article.department, Department.name, Department.colour, Article.by_weight,
    Article.free_price, Article.active, Article.stock,
)


def _article_query():
    return (Article.select(*_ARTICLE_FIELDS)
            .join(VatRate, on=(Article.vat == VatRate.id))
            .switch(Article)
            .join(Department, JOIN.LEFT_OUTER, on=(Article.department == Department.id)))


def _article_info(row: tuple, barcode: str = "") -> ArticleInfo:
    (aid, ref, name, price, vat_bp, dep_id, dep_name, colour, by_weight, free_price, active, stock) = row
    return ArticleInfo(aid, ref, name, price, vat_bp, dep_id, dep_name or "", colour or "",
                       bool(by_weight), bool(free_price), bool(active), stock, barcode)


# ---------------------------------------------------------------- compiled queries
_CODE = "\x00code\x00"  # where the code goes when a lookup query is compiled
_COMPILED: dict[str, tuple[str, list[Any]]] = {}


def _run_compiled(key: str, build: Callable[[str], Any], code: str):
    """Run a query built once by peewee: building it costs ~0.5 ms of Python, running it
    ~0.03 ms, and a scan (or each line of a sale) pays it (bench/bench_sale.py)."""
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = build(_CODE).sql()
    sql, params = compiled
    return database.execute_sql(sql, [code if p == _CODE else p for p in params])


# ---------------------------------------------------------------- catalogue reads
def find_article_by_code(code: str) -> ArticleInfo | None:
    """A barcode first, then a reference."""
    row = _run_compiled("article_by_barcode", lambda c: (
        _article_query().join(Barcode, on=(Barcode.article == Article.id), src=Article)
        .where(Barcode.code == c).limit(1)), code).fetchone()
    if row:
        return _article_info(row, code)
    row = _run_compiled("article_by_reference", lambda c: (
        _article_query().where(Article.reference == c).limit(1)), code).fetchone()
    return _article_info(row) if row else None


def get_article(article_id: int) -> ArticleInfo | None:
    row = _article_query().where(Article.id == article_id).tuples().first()
    return _article_info(row) if row else None


_WORD = re.compile(r"\w+", re.UNICODE)


def search_articles(text: str, limit: int = 50, include_inactive: bool = False) -> list[ArticleInfo]:
    """Word-prefix search on name and reference ("pain camp" finds "Pain de campagne")."""
    words = _WORD.findall(text)
    if not words:
        return []
    match = " ".join(f'"{w}"*' for w in words)
    ids = [r[0] for r in database.execute_sql(
        "SELECT rowid FROM article_search WHERE article_search MATCH ? LIMIT ?", (match, limit * 4)
    )]
    if not ids:
        return []
    query = _article_query().where(Article.id.in_(ids))
    if not include_inactive:
        query = query.where(Article.active == True)  # noqa: E712 - peewee expression
    rows = [_article_info(r) for r in query.tuples()]
    rows.sort(key=lambda a: (sort_key(a.name), a.reference))
    return rows[:limit]


FAVOURITES = -1


def page_articles(department_id: int, page: int, size: int) -> tuple[list[ArticleInfo], bool]:
    """One page of active articles of a department (or ``FAVOURITES``), and whether more follow."""
    query = _article_query().where(Article.active == True)  # noqa: E712
    if department_id == FAVOURITES:
        query = query.where(Article.favourite == True)  # noqa: E712
    else:
        query = query.where(Article.department == department_id)
    rows = list(query.order_by(Article.name, Article.id).limit(size + 1).offset(page * size).tuples())
    return [_article_info(r) for r in rows[:size]], len(rows) > size


def count_articles() -> int:
    return Article.select().count()


def has_favourites() -> bool:
    return Article.select().where(Article.favourite == True, Article.active == True).exists()  # noqa: E712


def departments(include_inactive: bool = False) -> list[DepartmentInfo]:
    # plain tuples: selecting VatRate.rate_bp without VatRate.id made peewee attach a
    # VatRate with no id, so ``d.vat_id`` read None and every department lost its rate
    query = (Department.select(Department.id, Department.name, Department.colour, Department.position,
                               VatRate.rate_bp, Department.active)
             .join(VatRate, JOIN.LEFT_OUTER, on=(Department.vat == VatRate.id))
             .order_by(Department.position, Department.name))
    if not include_inactive:
        query = query.where(Department.active == True)  # noqa: E712
    return [DepartmentInfo(i, name, colour, pos, vat_bp, bool(active))
            for i, name, colour, pos, vat_bp, active in query.tuples()]


def vat_rates(include_inactive: bool = False) -> list[VatInfo]:
    query = VatRate.select().order_by(VatRate.position, VatRate.rate_bp.desc())
    if not include_inactive:
        query = query.where(VatRate.active == True)  # noqa: E712
    return [VatInfo(v.id, v.rate_bp, v.label, v.active) for v in query]


def payment_methods(include_inactive: bool = False) -> list[MethodInfo]:
    query = PaymentMethod.select().order_by(PaymentMethod.position, PaymentMethod.id)
    if not include_inactive:
        query = query.where(PaymentMethod.active == True)  # noqa: E712
    return [MethodInfo(m.id, m.code, m.name, m.gives_change, m.active, m.position, m.opens_drawer) for m in query]


def users(include_inactive: bool = False) -> list[UserInfo]:
    query = User.select().order_by(User.position, User.name)
    if not include_inactive:
        query = query.where(User.active == True)  # noqa: E712
    return [UserInfo(u.id, u.name, u.role, u.active) for u in query]


def user_pin_hash(user_id: int) -> str | None:
    row = User.select(User.pin_hash).where(User.id == user_id, User.active == True).first()  # noqa: E712
    return row.pin_hash if row else None


def find_user(name: str) -> UserInfo | None:
    u = User.get_or_none(fn.lower(User.name) == name.lower())
    return UserInfo(u.id, u.name, u.role, u.active) if u else None


def is_empty_shop() -> bool:
    return not User.select().exists()


# ---------------------------------------------------------------- catalogue writes
def create_vat_rate(rate_bp: int, label: str = "") -> VatInfo:
    v = VatRate.create(rate_bp=rate_bp, label=label, position=VatRate.select().count() + 1)
    return VatInfo(v.id, v.rate_bp, v.label, v.active)


def update_vat_rate(vat_id: int, **values: Any) -> None:
    VatRate.update(**values).where(VatRate.id == vat_id).execute()


def vat_id_for(rate_bp: int) -> int | None:
    v = VatRate.get_or_none(VatRate.rate_bp == rate_bp)
    return v.id if v else None


def create_department(name: str, colour: str = "#546E7A", position: int | None = None,
                      vat_bp: int | None = None) -> DepartmentInfo:
    if position is None:
        position = Department.select().count() + 1
    d = Department.create(name=name, colour=colour, position=position,
                          vat=vat_id_for(vat_bp) if vat_bp is not None else None)
    return DepartmentInfo(d.id, d.name, d.colour, d.position, vat_bp)


def create_article(reference: str, name: str, price: int, vat_bp: int, *,
                   department_id: int | None = None, barcodes: Iterable[str] = (),
                   cost: int | None = None, stock: int = 0, by_weight: bool = False,
                   free_price: bool = False, favourite: bool = False, active: bool = True,
                   custom: dict[str, Any] | None = None) -> int:
    vat_id = vat_id_for(vat_bp)
    if vat_id is None:
        raise ValueError(f"unknown VAT rate {vat_bp / 100:g} %")
    with database.atomic():
        a = Article.create(reference=reference, name=name, price=price, vat=vat_id,
                           department=department_id, cost=cost, stock=stock, by_weight=by_weight,
                           free_price=free_price, favourite=favourite, active=active,
                           custom=json.dumps(custom or {}, ensure_ascii=False), updated_at=now_iso())
        for code in barcodes:
            Barcode.create(code=code, article=a.id)
    return a.id


def bulk_insert_articles(rows: list[dict[str, Any]], barcodes_for: Callable[[int], str] | None = None,
                         batch: int = 2000) -> None:
    """Fast insert for the demo generator and the benchmarks (rows carry ``vat`` ids).

    ``barcodes_for(i)`` gives the barcode of the synthetic article ``A{i:07d}``.
    """
    with database.atomic():
        for k in range(0, len(rows), batch):
            part = rows[k:k + batch]
            Article.insert_many(part).execute()
            if barcodes_for is None:
                continue
            refs = (Article.select(Article.id, Article.reference)
                    .where(Article.reference.between(part[0]["reference"], part[-1]["reference"])).tuples())
            Barcode.insert_many([(barcodes_for(int(ref[1:])), aid) for aid, ref in refs],
                                fields=[Barcode.code, Barcode.article]).execute()


def count_synthetic() -> int:
    """Number of the last synthetic article (``A0000042`` → 42), 0 if none."""
    ref = (Article.select(fn.MAX(Article.reference))
           .where(Article.reference.between("A0000000", "A9999999")).scalar())
    return int(ref[1:]) if ref and re.fullmatch(r"A\d{7}", ref) else 0


def custom_fields() -> list[dict[str, Any]]:
    return list(CustomField.select().order_by(CustomField.position).dicts())


def add_custom_field(key: str, label: str, kind: str = "text") -> None:
    if kind not in ("text", "number", "bool"):
        raise ValueError("a custom field is text, number or bool")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", key):
        raise ValueError("a custom field key is lower-case letters, digits and _")
    CustomField.create(key=key, label=label, kind=kind, position=CustomField.select().count() + 1)


def article_custom(article_id: int) -> dict[str, Any]:
    a = Article.get_by_id(article_id)
    return json.loads(a.custom or "{}")


def set_article_custom(article_id: int, values: dict[str, Any]) -> None:
    known = {f["key"] for f in custom_fields()}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown custom field(s): {', '.join(sorted(unknown))}")
    current = article_custom(article_id)
    current.update(values)
    Article.update(custom=json.dumps(current, ensure_ascii=False), updated_at=now_iso()).where(
        Article.id == article_id).execute()


# ---------------------------------------------------------------- users, methods, customers
def create_user(name: str, pin_hash: str, role: str = "cashier") -> UserInfo:
    if role not in ("cashier", "manager"):
        raise ValueError("a role is cashier or manager")
    u = User.create(name=name, pin_hash=pin_hash, role=role, position=User.select().count() + 1)
    return UserInfo(u.id, u.name, u.role)


def update_user(user_id: int, **values: Any) -> None:
    User.update(**values).where(User.id == user_id).execute()


def count_active_managers() -> int:
    return User.select().where(User.role == "manager", User.active == True).count()  # noqa: E712


def create_payment_method(code: str, name: str, gives_change: bool = False,
                          opens_drawer: bool = False) -> MethodInfo:
    m = PaymentMethod.create(code=code, name=name, gives_change=gives_change, opens_drawer=opens_drawer,
                             position=PaymentMethod.select().count() + 1)
    return MethodInfo(m.id, m.code, m.name, m.gives_change, m.active, m.position, m.opens_drawer)


def update_payment_method(method_id: int, **values: Any) -> None:
    PaymentMethod.update(**values).where(PaymentMethod.id == method_id).execute()


def create_customer(name: str, **values: Any) -> int:
    return Customer.create(name=name, created_at=now_iso(), **values).id


def search_customers(text: str, limit: int = 30) -> list[dict[str, Any]]:
    text = text.strip()
    query = Customer.select().order_by(Customer.name).limit(limit)
    if text:
        query = query.where(Customer.name.contains(text) | Customer.phone.contains(text)
                            | Customer.email.contains(text))
    return list(query.dicts())


def get_customer(customer_id: int) -> dict[str, Any] | None:
    return Customer.select().where(Customer.id == customer_id).dicts().first()


# ---------------------------------------------------------------- settings and events
def get_setting(key: str, default: str | None = None) -> str | None:
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row else default


def all_settings() -> dict[str, str]:
    return {s.key: s.value for s in Setting.select()}


def set_setting(key: str, value: str) -> None:
    Setting.insert(key=key, value=value).on_conflict_replace().execute()


class SettingsThrottleStore:
    """PIN-failure counters kept in the settings table (hidden keys ``auth.throttle.N``)."""

    def load(self, key: int) -> tuple[int, float]:
        value = get_setting(f"auth.throttle.{key}")
        if not value:
            return 0, 0.0
        failures, locked_until = value.split(";")
        return int(failures), float(locked_until)

    def save(self, key: int, failures: int, locked_until: float) -> None:
        if failures == 0 and locked_until == 0:
            Setting.delete().where(Setting.key == f"auth.throttle.{key}").execute()
        else:
            set_setting(f"auth.throttle.{key}", f"{failures};{locked_until}")


def log_event(kind: str, user_name: str = "", **data: Any) -> None:
    """A technical event, in the event log and in the fiscal journal, in one transaction (IMMEDIATE:
    the journal's last record is read under the write lock, so two processes never take the same seq)."""
    at = now_iso()
    with database.atomic("IMMEDIATE"):
        Event.create(at=at, kind=kind, user_name=user_name, data=json.dumps(data, ensure_ascii=False, sort_keys=True))
        journal.append("event", kind, {"kind": kind, "user": user_name, "data": data}, at)
    if not database.in_transaction():
        journal.write_head()


def events(kind: str | None = None) -> list[dict[str, Any]]:
    query = Event.select().order_by(Event.id)
    if kind:
        query = query.where(Event.kind == kind)
    return [dict(e, data=json.loads(e["data"])) for e in query.dicts()]


@contextlib.contextmanager
def atomic():
    """A write transaction (IMMEDIATE); once the outermost one is committed, the journal's head file
    is brought up to date (the events journaled inside it are then protected too)."""
    outermost = not database.in_transaction()
    with database.atomic("IMMEDIATE"):
        yield
    if outermost:
        journal.write_head()


# ---------------------------------------------------------------- baskets
def save_current_basket(user_id: int | None, data: dict[str, Any] | None) -> None:
    """Keep the basket in progress so it survives a restart (``None`` clears it)."""
    with database.atomic():
        SavedBasket.delete().where(SavedBasket.kind == "current", SavedBasket.user == user_id).execute()
        if data is not None:
            SavedBasket.create(kind="current", user=user_id, data=json.dumps(data), created_at=now_iso())


def load_current_basket(user_id: int | None) -> dict[str, Any] | None:
    row = SavedBasket.get_or_none(SavedBasket.kind == "current", SavedBasket.user == user_id)
    return json.loads(row.data) if row else None


def park_basket(user_id: int | None, label: str, data: dict[str, Any]) -> int:
    return SavedBasket.create(kind="parked", user=user_id, label=label, data=json.dumps(data),
                              created_at=now_iso()).id


def parked_baskets() -> list[dict[str, Any]]:
    rows = (SavedBasket.select(SavedBasket, User.name.alias("user_name"))
            .join(User, JOIN.LEFT_OUTER, on=(SavedBasket.user == User.id))
            .where(SavedBasket.kind == "parked").order_by(SavedBasket.id).dicts())
    out = []
    for r in rows:
        data = json.loads(r["data"])
        out.append({"id": r["id"], "label": r["label"], "created_at": r["created_at"],
                    "user_name": r["user_name"] or "", "data": data})
    return out


def take_parked_basket(basket_id: int) -> dict[str, Any] | None:
    with database.atomic():
        row = SavedBasket.get_or_none(SavedBasket.id == basket_id, SavedBasket.kind == "parked")
        if row is None:
            return None
        row.delete_instance()
        return json.loads(row.data)


# ---------------------------------------------------------------- tickets
class RefundError(ValueError):
    """A refund gives back more than what is left of the original line."""


def _check_refunds(lines: list[dict[str, Any]]) -> None:
    """Inside the write transaction: a line is never refunded beyond what was sold
    (a parked refund, or another till, may have refunded it meanwhile)."""
    refunds = [line for line in lines if line.get("refund_of_line")]
    if not refunds:
        return
    ids = [line["refund_of_line"] for line in refunds]
    sold = dict(TicketLine.select(TicketLine.id, TicketLine.qty).where(TicketLine.id.in_(ids)).tuples())
    done = refunded_qty(ids)
    for line in refunds:
        original = line["refund_of_line"]
        if original not in sold:
            from ..i18n import _

            raise RefundError(_("line {line} of the original ticket does not exist").format(line=original))
        if -line["qty"] + done.get(original, 0) > sold[original]:
            from ..i18n import _

            raise RefundError(_("{name} was already refunded").format(name=line["name"]))


# The commit path of a sale is hot (one per customer, benchmarked): its statements are
# plain SQL with a fixed column order instead of peewee queries built at each call.
_TICKET_COLS = ("number", "kind", "status", "channel", "created_at", "user_id", "user_name", "customer_id",
                "refund_of_id", "subtotal", "discount_kind", "discount_value", "discount_amount", "total",
                "paid", "change", "training")
_LINE_KEYS = ("position", "article", "reference", "barcode", "name", "department", "qty", "unit_price",
              "list_price", "vat_bp", "discount_kind", "discount_value", "discount_amount", "ticket_discount",
              "total", "refund_of_line")
_LINE_COLS = ("ticket_id", "position", "article_id", "reference", "barcode", "name", "department", "qty",
              "unit_price", "list_price", "vat_bp", "discount_kind", "discount_value", "discount_amount",
              "ticket_discount", "total", "refund_of_line_id", "by_weight")


def _insert_sql(table: str, cols: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in cols)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(cols))})'


_SQL_TICKET = _insert_sql("ticket", _TICKET_COLS)
_SQL_LINE = _insert_sql("ticket_line", _LINE_COLS)
_SQL_VAT = _insert_sql("ticket_vat", ("ticket_id", "vat_bp", "total", "excl", "vat"))
_SQL_PAYMENT = _insert_sql("ticket_payment", ("ticket_id", "method_id", "method_code", "method_name", "amount"))


# peewee's own translation of sqlite3 errors into peewee.DatabaseError subclasses
_SQLITE_TO_PEEWEE_ERRORS = peewee.ExceptionWrapper(peewee.EXCEPTIONS)


def _method_ids() -> dict[str, int]:
    return dict(database.execute_sql('SELECT "code", "id" FROM "payment_method"').fetchall())


def record_ticket(*, kind: str, user: UserInfo, created_at: str, customer_id: int | None,
                  refund_of: int | None, subtotal: int, discount_kind: str | None,
                  discount_value: int | None, discount_amount: int, total: int, paid: int,
                  change: int, lines: list[dict[str, Any]], vat: list[dict[str, Any]],
                  payments: list[dict[str, Any]], clear_basket_of: int | None = None,
                  training: bool = False, channel: str = "pos") -> int:
    """Commit one ticket, atomically and durably.  Returns its gap-free number.

    The number is taken inside the write transaction (BEGIN IMMEDIATE), so two
    tills or processes on one database can never get the same or skip one.  The
    ticket's journal record is appended in the same transaction.
    """
    for p in payments:
        if not isinstance(p.get("amount"), int):
            raise ValueError("a payment amount is an integer number of cents")
    # the raw cursor below raises sqlite3 errors: translate them into peewee's, like every other query
    with _SQLITE_TO_PEEWEE_ERRORS, database.atomic("IMMEDIATE"):
        methods = _method_ids()
        for p in payments:
            if p["method_code"] not in methods:
                raise ValueError(f"unknown payment method {p['method_code']!r}")
        cursor = database.cursor()
        number = (cursor.execute('SELECT MAX("number") FROM "ticket"').fetchone()[0] or 0) + 1
        refund_of_id = None
        if refund_of is not None:
            row = cursor.execute('SELECT "id" FROM "ticket" WHERE "number" = ?', (refund_of,)).fetchone()
            if row is None:
                raise ValueError(f"ticket {refund_of} does not exist")
            refund_of_id = row[0]
            _check_refunds(lines)
        cursor.execute(_SQL_TICKET, (number, kind, "paid", channel, created_at, user.id, user.name, customer_id,
                                     refund_of_id, subtotal, discount_kind, discount_value, discount_amount,
                                     total, paid, change, bool(training)))
        ticket_id = cursor.lastrowid
        cursor.executemany(_SQL_LINE, [(ticket_id, *(line.get(k) for k in _LINE_KEYS),
                                        bool(line.get("by_weight", False))) for line in lines])
        cursor.executemany(_SQL_VAT, [(ticket_id, v["vat_bp"], v["total"], v["excl"], v["vat"]) for v in vat])
        cursor.executemany(_SQL_PAYMENT, [(ticket_id, methods[p["method_code"]], p["method_code"],
                                           p["method_name"], p["amount"]) for p in payments])
        stock = [(line["qty"], line["article"]) for line in lines if line.get("article") and not training]
        # (a web order's stock moves here too: the shop decremented its own when the order was placed)
        if stock:  # a training sale moves no real stock
            cursor.executemany('UPDATE "article" SET "stock" = "stock" - ? WHERE "id" = ?', stock)
        if clear_basket_of is not None:
            cursor.execute('DELETE FROM "saved_basket" WHERE "kind" = ? AND "user_id" = ?',
                           ("current", clear_basket_of))
        journal.append("ticket", str(number), journal.ticket_payload(ticket_id), created_at)
    journal.write_head()
    return number


def _rows(sql: str, params: tuple) -> list[dict[str, Any]]:
    """Rows as dicts keyed like peewee's ``.dicts()`` (foreign keys without ``_id``)."""
    cursor = database.execute_sql(sql, params)
    names = [d[0][:-3] if d[0].endswith("_id") else d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


_BOOL_LINE_FIELDS = ("by_weight",)


def _ticket_record(t: dict[str, Any]) -> TicketRecord:
    return TicketRecord(
        id=t["id"], number=t["number"], kind=t["kind"], status=t["status"], channel=t["channel"],
        created_at=t["created_at"], user_name=t["user_name"], customer_id=t["customer"],
        refund_of=t["refund_number"], subtotal=t["subtotal"], discount_kind=t["discount_kind"],
        discount_value=t["discount_value"], discount_amount=t["discount_amount"], total=t["total"],
        paid=t["paid"], change=t["change"], training=bool(t.get("training")))


_SQL_TICKETS = ('SELECT t.*, r."number" AS "refund_number" FROM "ticket" t '
                'LEFT JOIN "ticket" r ON r."id" = t."refund_of_id"')


def get_ticket(number: int) -> TicketRecord | None:
    found = _rows(_SQL_TICKETS + ' WHERE t."number" = ?', (number,))
    if not found:
        return None
    rec = _ticket_record(found[0])
    rec.lines = _rows('SELECT * FROM "ticket_line" WHERE "ticket_id" = ? ORDER BY "position"', (rec.id,))
    for line in rec.lines:
        line["by_weight"] = bool(line["by_weight"])
    rec.vat = _rows('SELECT * FROM "ticket_vat" WHERE "ticket_id" = ? ORDER BY "vat_bp" DESC', (rec.id,))
    rec.payments = _rows('SELECT * FROM "ticket_payment" WHERE "ticket_id" = ? ORDER BY "id"', (rec.id,))
    return rec


def list_tickets(date: str | None = None, number: int | None = None, limit: int = 200,
                 before_number: int | None = None) -> list[TicketRecord]:
    """Newest first.  ``date`` is a local YYYY-MM-DD."""
    where, params = [], []
    if date:
        where.append('t."created_at" >= ? AND t."created_at" < ?')
        params += [date, date + "\uffff"]
    if number is not None:
        where.append('t."number" = ?')
        params.append(number)
    if before_number is not None:
        where.append('t."number" < ?')
        params.append(before_number)
    sql = _SQL_TICKETS + (" WHERE " + " AND ".join(where) if where else "")
    sql += ' ORDER BY t."number" DESC LIMIT ?'
    return [_ticket_record(t) for t in _rows(sql, (*params, limit))]


def refunded_qty(line_ids: list[int]) -> dict[int, int]:
    """Quantity already refunded per original line (positive thousandths)."""
    if not line_ids:
        return {}
    rows = (TicketLine.select(TicketLine.refund_of_line, fn.SUM(TicketLine.qty))
            .where(TicketLine.refund_of_line.in_(line_ids)).group_by(TicketLine.refund_of_line).tuples())
    return {lid: -q for lid, q in rows}


def last_ticket_number() -> int:
    return Ticket.select(fn.MAX(Ticket.number)).scalar() or 0


def iter_ticket_numbers() -> Iterator[int]:
    for (n,) in Ticket.select(Ticket.number).order_by(Ticket.number).tuples():
        yield n


def article_stock(article_id: int) -> int:
    return Article.select(Article.stock).where(Article.id == article_id).scalar()


# ---------------------------------------------------------------- hardware: barcode rules, prints
@dataclass(frozen=True)
class BarcodeRuleInfo:
    id: int
    prefix: str
    kind: str  # price | weight
    article_digits: int
    value_digits: int
    position: int
    active: bool


def barcode_rules(include_inactive: bool = False) -> list[BarcodeRuleInfo]:
    query = BarcodeRule.select().order_by(BarcodeRule.position, BarcodeRule.prefix)
    if not include_inactive:
        query = query.where(BarcodeRule.active == True)  # noqa: E712
    return [BarcodeRuleInfo(r.id, r.prefix, r.kind, r.article_digits, r.value_digits, r.position, r.active)
            for r in query]


def save_barcode_rule(prefix: str, kind: str, article_digits: int, value_digits: int,
                      active: bool = True, rule_id: int | None = None) -> int:
    values = dict(prefix=prefix, kind=kind, article_digits=article_digits, value_digits=value_digits,
                  active=active)
    if rule_id is None:
        return BarcodeRule.create(position=BarcodeRule.select().count() + 1, **values).id
    BarcodeRule.update(**values).where(BarcodeRule.id == rule_id).execute()
    return rule_id


def delete_barcode_rule(rule_id: int) -> None:
    BarcodeRule.delete().where(BarcodeRule.id == rule_id).execute()


def next_print_copy(ticket_id: int, duplicate: bool = False) -> int:
    """The copy number of the next print of a ticket: 0 while no print has come out (the
    original), then n for the n-th DUPLICATA; a reprint asked as such is at least 1."""
    last = TicketPrint.select(fn.MAX(TicketPrint.copy)).where(TicketPrint.ticket == ticket_id).scalar()
    copy = 0 if last is None else last + 1
    return max(copy, 1) if duplicate else copy


def record_print(ticket_id: int, user_name: str, copy: int) -> None:
    """Record a print that came out (called by the device thread, after the printer took it)."""
    with database.atomic("IMMEDIATE"):
        TicketPrint.create(ticket=ticket_id, at=now_iso(), user_name=user_name, copy=copy)


def release_thread_connection() -> None:
    """Close this thread's connection (device threads open one only to record a print)."""
    if not database.is_closed():
        database.close()


def print_count(ticket_id: int) -> int:
    return TicketPrint.select().where(TicketPrint.ticket == ticket_id).count()


# ---------------------------------------------------------------- catalogue config pages
# The manager's Articles, Departments and Customers pages (pos/screens/catalog.py): paged
# lists that never load a whole table, and validated writes that save all or nothing.
from decimal import Decimal, InvalidOperation  # noqa: E402

from ..barcode import gtin_check_digit, looks_like_gtin  # noqa: E402
from ..i18n import _  # noqa: E402

_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CUSTOMER_FIELDS = ("name", "email", "phone", "address", "postcode", "city", "vat_number", "notes", "active")


class CatalogError(ValueError):
    """A refused catalogue change; the message says why, in the user's language."""


@dataclass(frozen=True)
class ArticlePage:
    rows: list[ArticleInfo]
    next_offset: int | None  # where the next page starts, None when this is the last one
    exact_id: int | None = None  # the article whose barcode or reference is exactly the text


@dataclass
class ArticleDetail:
    """Every editable field of an article (``id`` None for a new one)."""

    reference: str
    name: str
    price: int  # cents, VAT included
    vat_bp: int
    id: int | None = None
    department_id: int | None = None
    cost: int | None = None  # cents, excl. VAT
    stock: int = 0  # thousandths
    by_weight: bool = False
    free_price: bool = False
    favourite: bool = False
    active: bool = True
    barcodes: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    updated_at: str = ""  # read only: every save sets it


@dataclass(frozen=True)
class CustomerPage:
    rows: list[dict[str, Any]]
    next_offset: int | None


def _fts_match(text: str) -> str | None:
    words = _WORD.findall(text)
    return " ".join(f'"{w}"*' for w in words) if words else None


def article_page(text: str = "", offset: int = 0, limit: int = 50,
                 include_inactive: bool = False) -> ArticlePage:
    """One page of the articles list: ``limit`` rows from ``offset``, never the whole table.

    An empty ``text`` lists the articles by name; otherwise the word prefixes of the
    full-text index (name, reference) are searched, and an article whose barcode or
    reference is exactly ``text`` comes first (on the first page).
    """
    text = text.strip()
    query = _article_query()
    if not include_inactive:
        query = query.where(Article.active == True)  # noqa: E712
    exact = None
    if text:
        exact = find_article_by_code(text)
        if exact is not None and not include_inactive and not exact.active:
            exact = None
        match = _fts_match(text)
        if match is None:
            rows = [] if exact is None else [exact]
            return ArticlePage(rows, None, exact.id if exact else None)
        query = query.where(Article.id.in_(
            peewee.SQL("(SELECT rowid FROM article_search WHERE article_search MATCH ?)", [match])))
    found = list(query.order_by(Article.name, Article.id).limit(limit + 1).offset(offset).tuples())
    rows = [_article_info(r) for r in found[:limit]]
    next_offset = offset + limit if len(found) > limit else None
    if exact is not None:
        rows = [a for a in rows if a.id != exact.id]
        if offset == 0:
            rows.insert(0, exact)
    return ArticlePage(rows, next_offset, exact.id if exact else None)


def article_detail(article_id: int) -> ArticleDetail | None:
    a = Article.get_or_none(Article.id == article_id)
    if a is None:
        return None
    codes = [c for (c,) in Barcode.select(Barcode.code).where(Barcode.article == article_id)
             .order_by(Barcode.id).tuples()]
    vat_bp = VatRate.select(VatRate.rate_bp).where(VatRate.id == a.vat_id).scalar()
    return ArticleDetail(reference=a.reference, name=a.name, price=a.price, vat_bp=vat_bp, id=a.id,
                         department_id=a.department_id, cost=a.cost, stock=a.stock, by_weight=a.by_weight,
                         free_price=a.free_price, favourite=a.favourite, active=a.active, barcodes=codes,
                         custom=json.loads(a.custom or "{}"), updated_at=a.updated_at)


def check_barcode(code: str, article_id: int | None = None) -> str:
    """A barcode an article may take: cleaned, its GTIN check digit right, not another article's."""
    code = code.strip()
    if not code:
        raise CatalogError(_("Type or scan a barcode"))
    if any(c.isspace() for c in code) or len(code) > 64:
        raise CatalogError(_("A barcode has no spaces: {code}").format(code=code))
    if looks_like_gtin(code) and gtin_check_digit(code[:-1]) != int(code[-1]):
        raise CatalogError(_("Bad check digit in {code}: the last digit should be {digit}").format(
            code=code, digit=gtin_check_digit(code[:-1])))
    other = (Article.select(Article.id, Article.reference, Article.name)
             .join(Barcode, on=(Barcode.article == Article.id)).where(Barcode.code == code).first())
    if other is not None and other.id != article_id:
        raise CatalogError(_("The barcode {code} is already used by {reference} {name}").format(
            code=code, reference=other.reference, name=other.name))
    return code


def _check_custom(values: dict[str, Any]) -> dict[str, Any]:
    kinds = {f["key"]: (f["kind"], f["label"]) for f in custom_fields()}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in kinds:
            raise CatalogError(_("Unknown custom field: {key}").format(key=key))
        kind, label = kinds[key]
        if kind == "bool":
            out[key] = bool(value)
        elif kind == "number":
            if value is None or str(value).strip() == "":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise CatalogError(_("{field}: not a number").format(field=label))
            text = str(value).strip().replace(" ", "").replace(",", ".")
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise CatalogError(_("{field}: not a number").format(field=label)) from None
            if not number.is_finite():
                raise CatalogError(_("{field}: not a number").format(field=label))
            out[key] = int(number) if number == number.to_integral_value() else float(number)
        else:
            text = "" if value is None else str(value).strip()
            if text:
                out[key] = text
    return out


def save_article(detail: ArticleDetail) -> int:
    """Create (``detail.id`` None) or update an article, its barcodes and custom fields, all or
    nothing.  Raises :class:`CatalogError` with a clear message for refused values."""
    reference, name = detail.reference.strip(), detail.name.strip()
    if not reference:
        raise CatalogError(_("An article needs a reference"))
    if not name:
        raise CatalogError(_("An article needs a name"))
    if not isinstance(detail.price, int) or detail.price < 0:
        raise CatalogError(_("The price must be zero or more"))
    if detail.cost is not None and (not isinstance(detail.cost, int) or detail.cost < 0):
        raise CatalogError(_("The cost price must be zero or more"))
    if not isinstance(detail.stock, int):
        raise CatalogError(_("The stock is a quantity"))
    vat_id = vat_id_for(detail.vat_bp)
    if vat_id is None:
        raise CatalogError(_("Unknown VAT rate"))
    if detail.department_id is not None and Department.get_or_none(Department.id == detail.department_id) is None:
        raise CatalogError(_("Unknown department"))
    custom = _check_custom(detail.custom)
    codes: list[str] = []
    with database.atomic():
        other = Article.select(Article.id, Article.name).where(Article.reference == reference).first()
        if other is not None and other.id != detail.id:
            raise CatalogError(_("The reference {reference} is already used by {name}").format(
                reference=reference, name=other.name))
        for code in detail.barcodes:
            code = check_barcode(code, detail.id)
            if code in codes:
                raise CatalogError(_("The barcode {code} is listed twice").format(code=code))
            codes.append(code)
        values = dict(reference=reference, name=name, price=detail.price, vat=vat_id,
                      department=detail.department_id, cost=detail.cost, stock=detail.stock,
                      by_weight=bool(detail.by_weight), free_price=bool(detail.free_price),
                      favourite=bool(detail.favourite), active=bool(detail.active), updated_at=now_iso())
        try:
            if detail.id is None:
                article_id = Article.create(custom=json.dumps(custom, ensure_ascii=False), **values).id
            else:
                current = Article.get_or_none(Article.id == detail.id)
                if current is None:
                    raise CatalogError(_("This article no longer exists"))
                kept = {k: v for k, v in json.loads(current.custom or "{}").items()
                        if k not in {f["key"] for f in custom_fields()}}  # keys no longer defined
                kept.update(custom)
                Article.update(custom=json.dumps(kept, ensure_ascii=False), **values).where(
                    Article.id == detail.id).execute()
                article_id = detail.id
                Barcode.delete().where(Barcode.article == article_id, Barcode.code.not_in(codes)).execute()
            present = {c for (c,) in Barcode.select(Barcode.code).where(Barcode.article == article_id).tuples()}
            for code in codes:
                if code not in present:
                    Barcode.create(code=code, article=article_id)
        except peewee.IntegrityError as exc:  # another till took the reference or a barcode meanwhile
            raise CatalogError(_("Not saved: the reference or a barcode is already used ({error})").format(
                error=exc)) from None
    return article_id


def set_article_active(article_id: int, active: bool) -> None:
    Article.update(active=active, updated_at=now_iso()).where(Article.id == article_id).execute()


def article_was_sold(article_id: int) -> bool:
    return TicketLine.select().where(TicketLine.article == article_id).exists()


def delete_article(article_id: int) -> None:
    """Delete an article that no ticket mentions (one that was sold is deactivated instead)."""
    with database.atomic():
        if article_was_sold(article_id):
            raise CatalogError(_("This article appears on tickets: deactivate it instead"))
        Barcode.delete().where(Barcode.article == article_id).execute()
        Article.delete().where(Article.id == article_id).execute()


def define_custom_field(key: str, label: str, kind: str = "text") -> None:
    """A new custom field for every article, with clear messages."""
    key, label = key.strip().lower(), label.strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", key):
        raise CatalogError(_("A field key is lower-case letters, digits and _, starting with a letter"))
    if not label:
        raise CatalogError(_("A field needs a label"))
    if kind not in ("text", "number", "bool"):
        raise CatalogError(_("A field is text, number or yes/no"))
    if CustomField.select().where(CustomField.key == key).exists():
        raise CatalogError(_("The field {key} already exists").format(key=key))
    add_custom_field(key, label, kind)


def save_department(name: str, *, department_id: int | None = None, colour: str = "#546E7A",
                    vat_bp: int | None = None, position: int | None = None, active: bool = True) -> int:
    """Create or update a department (unique name, ``#RRGGBB`` colour, an existing VAT rate or none)."""
    name = name.strip()
    if not name:
        raise CatalogError(_("A department needs a name"))
    if not _HEX_COLOUR.fullmatch(colour.strip()):
        raise CatalogError(_("A colour is written #RRGGBB, e.g. #546E7A"))
    vat_id = None
    if vat_bp is not None:
        vat_id = vat_id_for(vat_bp)
        if vat_id is None:
            raise CatalogError(_("Unknown VAT rate"))
    if position is not None and position < 0:
        raise CatalogError(_("The position must be zero or more"))
    with database.atomic():
        other = next((d for d in Department.select(Department.id, Department.name)
                      if d.name.casefold() == name.casefold()), None)  # few rows; SQLite's lower() is ASCII only
        if other is not None and other.id != department_id:
            raise CatalogError(_("The department {name} already exists").format(name=other.name))
        values = dict(name=name, colour=colour.strip().upper(), vat=vat_id, active=active)
        if position is not None:
            values["position"] = position
        try:
            if department_id is None:
                values.setdefault("position", Department.select().count() + 1)
                return Department.create(**values).id
            if not Department.update(**values).where(Department.id == department_id).execute():
                raise CatalogError(_("This department no longer exists"))
        except peewee.IntegrityError:
            raise CatalogError(_("The department {name} already exists").format(name=name)) from None
    return department_id


def customer_page(text: str = "", offset: int = 0, limit: int = 50,
                  include_inactive: bool = False) -> CustomerPage:
    """One page of customers by name; ``text`` is looked for in the name, e-mail and phone."""
    text = text.strip()
    query = Customer.select()
    if not include_inactive:
        query = query.where(Customer.active == True)  # noqa: E712
    if text:
        query = query.where(Customer.name.contains(text) | Customer.email.contains(text)
                            | Customer.phone.contains(text))
    found = list(query.order_by(Customer.name, Customer.id).limit(limit + 1).offset(offset).dicts())
    return CustomerPage(found[:limit], offset + limit if len(found) > limit else None)


def save_customer(values: dict[str, Any], customer_id: int | None = None) -> int:
    """Create or update a customer from the fields of ``CUSTOMER_FIELDS`` (a name is required)."""
    unknown = set(values) - set(CUSTOMER_FIELDS)
    if unknown:
        raise CatalogError(_("Unknown customer field: {key}").format(key=", ".join(sorted(unknown))))
    clean = {k: (bool(v) if k == "active" else str(v or "").strip()) for k, v in values.items()}
    if ("name" in clean or customer_id is None) and not clean.get("name"):
        raise CatalogError(_("A customer needs a name"))
    if clean.get("email") and not _EMAIL.fullmatch(clean["email"]):
        raise CatalogError(_("Not an e-mail address: {email}").format(email=clean["email"]))
    if clean.get("phone") and not re.fullmatch(r"[0-9+() .\-]{4,30}", clean["phone"]):
        raise CatalogError(_("Not a phone number: {phone}").format(phone=clean["phone"]))
    if customer_id is None:
        return Customer.create(created_at=now_iso(), **clean).id
    if not Customer.update(**clean).where(Customer.id == customer_id).execute():
        raise CatalogError(_("This customer no longer exists"))
    return customer_id
