"""peewee models.  The schema itself is created by the frozen DDL in
``migrations.py``; these classes must stay in step with the latest migration
(``tests/test_data.py`` checks it)."""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()


class ImmutableError(Exception):
    """Raised when code tries to change a committed ticket."""


class Base(Model):
    class Meta:
        database = database
        legacy_table_names = False


class VatRate(Base):
    id = AutoField()
    rate_bp = IntegerField(unique=True)  # 5.5 % == 550
    label = CharField(default="")
    active = BooleanField(default=True)
    position = IntegerField(default=0)


class Department(Base):
    id = AutoField()
    name = CharField(unique=True)
    colour = CharField(default="#546E7A")
    position = IntegerField(default=0)
    vat = ForeignKeyField(VatRate, null=True, backref="departments")
    active = BooleanField(default=True)


class Article(Base):
    id = AutoField()
    reference = CharField(unique=True)
    name = CharField(index=True)  # migration 8
    department = ForeignKeyField(Department, null=True, backref="articles", on_delete="SET NULL")
    price = IntegerField(default=0)  # cents, VAT included
    vat = ForeignKeyField(VatRate, backref="articles")
    cost = IntegerField(null=True)  # cents, excl. VAT
    stock = IntegerField(default=0)  # thousandths
    active = BooleanField(default=True)
    by_weight = BooleanField(default=False)
    free_price = BooleanField(default=False)
    favourite = BooleanField(default=False)
    custom = TextField(default="{}")  # JSON object, keys from CustomField
    updated_at = CharField(default="")
    net_qty = IntegerField(null=True)  # migration 13: thousandths of net_unit in one package
    net_unit = CharField(constraints=[SQL("DEFAULT ''")])  # migration 13: kg | l | piece | ""
    low_stock = IntegerField(null=True)  # migration 13: threshold (thousandths); NULL: the shop's default


class Barcode(Base):
    id = AutoField()
    code = CharField(unique=True)
    article = ForeignKeyField(Article, backref="barcodes", on_delete="CASCADE")


class CustomField(Base):
    id = AutoField()
    key = CharField(unique=True)
    label = CharField()
    kind = CharField(default="text")  # text | number | bool
    position = IntegerField(default=0)


class PaymentMethod(Base):
    id = AutoField()
    code = CharField(unique=True)
    name = CharField()
    gives_change = BooleanField(default=False)
    active = BooleanField(default=True)
    position = IntegerField(default=0)
    opens_drawer = BooleanField(default=False, constraints=[SQL("DEFAULT 0")])  # migration 6


class User(Base):
    id = AutoField()
    name = CharField(unique=True)
    pin_hash = CharField()
    role = CharField(default="cashier")  # cashier | manager
    active = BooleanField(default=True)
    position = IntegerField(default=0)


class Customer(Base):
    id = AutoField()
    name = CharField(index=True)  # migration 7
    email = CharField(default="")
    phone = CharField(default="")
    address = TextField(default="")
    postcode = CharField(default="")
    city = CharField(default="")
    vat_number = CharField(default="")
    notes = TextField(default="")
    created_at = CharField(default="")
    active = BooleanField(default=True, constraints=[SQL("DEFAULT 1")])  # migration 7


class Setting(Base):
    key = CharField(primary_key=True)
    value = TextField()


class Ticket(Base):
    id = AutoField()
    number = IntegerField(unique=True)
    kind = CharField(default="sale")  # sale | refund
    status = CharField(default="paid")
    channel = CharField(default="pos")
    created_at = CharField(index=True)  # local ISO 8601 with UTC offset
    user = ForeignKeyField(User, backref="tickets")
    user_name = CharField()
    customer = ForeignKeyField(Customer, null=True, backref="tickets")
    refund_of = ForeignKeyField("self", null=True, backref="refunds")
    subtotal = IntegerField()
    discount_kind = CharField(null=True)
    discount_value = IntegerField(null=True)
    discount_amount = IntegerField(default=0)
    total = IntegerField()
    paid = IntegerField()
    change = IntegerField(default=0)
    training = BooleanField(default=False, constraints=[SQL("DEFAULT 0")])  # migration 9

    def save(self, *args, **kwargs):  # noqa: D401 - peewee signature
        if self.id is not None and not kwargs.get("force_insert"):
            raise ImmutableError(f"ticket {self.number} is committed and cannot be changed")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise ImmutableError(f"ticket {self.number} is committed and cannot be deleted")


class TicketLine(Base):
    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="lines")
    position = IntegerField()
    article = ForeignKeyField(Article, null=True, backref="ticket_lines")
    reference = CharField(default="")
    barcode = CharField(default="")
    name = CharField()
    department = CharField(default="")
    qty = IntegerField()  # thousandths
    unit_price = IntegerField()  # cents incl. VAT, after any override
    list_price = IntegerField()  # catalogue price at the time of sale
    vat_bp = IntegerField()
    discount_kind = CharField(null=True)
    discount_value = IntegerField(null=True)
    discount_amount = IntegerField(default=0)
    ticket_discount = IntegerField(default=0)
    total = IntegerField()
    refund_of_line = ForeignKeyField("self", null=True, backref="refunded_by")
    by_weight = BooleanField(default=False, constraints=[SQL("DEFAULT 0")])  # migration 3


class TicketVat(Base):
    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="vat_lines")
    vat_bp = IntegerField()
    total = IntegerField()
    excl = IntegerField()
    vat = IntegerField()


class TicketPayment(Base):
    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="payments")
    method = ForeignKeyField(PaymentMethod, backref="payments")
    method_code = CharField()
    method_name = CharField()
    amount = IntegerField()


class BarcodeRule(Base):
    """A variable-measure barcode format (migration 5)."""

    id = AutoField()
    prefix = CharField(unique=True)
    kind = CharField()  # price | weight
    article_digits = IntegerField()
    value_digits = IntegerField()
    position = IntegerField()
    active = BooleanField()


class TicketPrint(Base):
    """One print of a ticket: copy 0 is the original, 1, 2... are DUPLICATA (migration 5)."""

    id = AutoField()
    ticket = ForeignKeyField(Ticket, backref="prints")
    at = CharField()
    user_name = CharField()
    copy = IntegerField()


class SavedBasket(Base):
    """The basket in progress (kind='current') and parked ones (kind='parked')."""

    id = AutoField()
    kind = CharField(default="parked")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    label = CharField(default="")
    data = TextField()
    created_at = CharField()


class Event(Base):
    """Technical log: logins, cancelled baskets, settings changes...
    (the closures issue chains these into the fiscal journal)."""

    id = AutoField()
    at = CharField()
    kind = CharField()
    user_name = CharField(default="")
    data = TextField(default="{}")


class ImportLog(Base):
    """One applied CSV import (migration 7)."""

    id = AutoField()
    at = CharField()
    user_name = CharField()
    entity = CharField()  # articles | departments | customers
    file_name = CharField()
    file_sha256 = CharField()
    choices = TextField()  # JSON
    counts = TextField()  # JSON


class ImmutableModel(Base):
    """Rows written once (the journal, closures, cash movements): triggers refuse UPDATE and DELETE too."""

    def save(self, *args, **kwargs):
        if self._pk is not None and not kwargs.get("force_insert"):
            raise ImmutableError(f"{self._meta.table_name} rows cannot be changed")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise ImmutableError(f"{self._meta.table_name} rows cannot be deleted")


class Journal(ImmutableModel):
    """The fiscal journal (migration 9): one chained record per ticket, closure or event."""

    seq = IntegerField(primary_key=True)
    at = CharField(index=True)
    kind = CharField()  # genesis | ticket | closure | event | archive
    ref = CharField()
    payload = TextField()  # canonical JSON
    prev_hash = CharField()
    hash = CharField()
    alg = CharField()

    class Meta:
        indexes = ((("kind", "ref"), False),)


class JournalSignature(ImmutableModel):
    """The Ed25519 signature of a journal record's hash (migration 11, ``pos/data/signing.py``)."""

    seq = IntegerField(primary_key=True)
    signature = CharField()  # hex

    class Meta:
        table_name = "journal_signature"


class Closure(ImmutableModel):
    """A daily Z, a monthly or a yearly closure (migration 9)."""

    id = AutoField()
    kind = CharField()  # day | month | year
    number = IntegerField()
    till = CharField()
    created_at = CharField()
    user_name = CharField()
    period_start = CharField()
    period_end = CharField()
    first_ticket = IntegerField(null=True)
    last_ticket = IntegerField(null=True)
    ticket_count = IntegerField()
    total = IntegerField()
    perpetual_total = IntegerField()
    data = TextField()  # JSON: per VAT rate, per payment method, refunds, discounts, cash count
    journal_seq = IntegerField()
    last_hash = CharField()

    class Meta:
        indexes = ((("kind", "number"), True),)


class CashMovement(ImmutableModel):
    """Cash put in (in, float) or taken out (out) of the drawer, with a reason (migration 9)."""

    id = AutoField()
    at = CharField()
    kind = CharField()  # float | in | out
    amount = IntegerField()  # cents, positive
    reason = TextField()
    user_name = CharField()


class PsLink(Base):
    """An article ↔ a PrestaShop product or combination (migration 10)."""

    id = AutoField()
    article = ForeignKeyField(Article, backref="ps_link", on_delete="CASCADE", unique=True)
    id_product = IntegerField()
    id_product_attribute = IntegerField()  # 0: a product without combinations
    date_upd = CharField()  # the product's date_upd when last pulled

    class Meta:
        table_name = "ps_link"
        indexes = ((("id_product", "id_product_attribute"), True),)


class SyncRun(Base):
    """One sync run (migration 10)."""

    id = AutoField()
    kind = CharField()  # articles | stock | orders | all | test
    started_at = CharField()
    finished_at = CharField(null=True)
    status = CharField()  # running | done | failed | cancelled
    dry_run = BooleanField()
    user_name = CharField()
    counts = TextField()  # JSON
    error = TextField()


class PsOrder(Base):
    """A web order imported once (migration 10)."""

    id_order = IntegerField(primary_key=True)
    reference = CharField()
    ticket_number = IntegerField(null=True)
    imported_at = CharField()

    class Meta:
        table_name = "ps_order"


class StockMove(Base):
    """One change of an article's stock (migration 13; written by triggers, see pos/data/stock.py)."""

    id = AutoField()
    article = ForeignKeyField(Article, on_delete="CASCADE", index=False)
    kind = CharField()
    qty = IntegerField()  # thousandths, signed
    user_name = CharField()
    at = CharField(index=True)
    reference = CharField()

    class Meta:
        indexes = ((("article", "id"), False),)


class TicketLineCost(Base):
    """The cost price of a ticket line's article when it was sold (migration 13)."""

    line = ForeignKeyField(TicketLine, primary_key=True)
    cost = IntegerField(null=True)


ALL_MODELS = [
    VatRate, Department, Article, Barcode, CustomField, PaymentMethod, User, Customer,
    Setting, Ticket, TicketLine, TicketVat, TicketPayment, SavedBasket, Event, BarcodeRule, TicketPrint,
    ImportLog, Journal, JournalSignature, Closure, CashMovement, PsLink, SyncRun, PsOrder,
    StockMove, TicketLineCost,
]
