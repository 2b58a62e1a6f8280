"""The DATEV export of one workspace and period: read the mirror, build bookings, write files.

Reads only what billing mirrors from Stripe (invoices, their payments, refunds and credit
notes), so every row traces back to a Stripe invoice. A fixed number of queries, whatever the
number of invoices. Dates are the MSP's local days (its workspace's zone; Europe/Berlin for a
German MSP, §§1, 4 EinhZeitG); an invoice's Belegdatum is its issue date, the local date it was
finalized (StripeInvoice.issued_on, as BT-2 of its e-invoice), not when its draft was created.
"""

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import DateField, F, Func, Lookup, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.datev import debtors as master_data
from billing.datev import periods
from billing.datev.accounts import plan_for
from billing.datev.bookings import (
    KINDS,
    InvoiceFact,
    MoneyFact,
    Problem,
    build,
    kind,
    tally,
    tax_problems,
)
from billing.datev.extf import (
    COLUMNS,
    Batch,
    Booking,
    Encoding,
    Replacement,
    apply_policy,
    fits,
    render,
    row_values,
)
from billing.datev.models import DatevSettings, DebtorAccount
from billing.edge import edge
from billing.models import Ownership, Payment, Provider, StripeInvoice
from customers.models import Customer
from quotes.models import QuoteAcceptance, RevisionAcceptance
from rules.tax import Party, decide_tax

ACCOUNTING_TZ = ZoneInfo("Europe/Berlin")
CURRENCY = "EUR"
BOOKED_STATUSES = [
    StripeInvoice.Status.OPEN,
    StripeInvoice.Status.PAID,
    StripeInvoice.Status.UNCOLLECTIBLE,
    StripeInvoice.Status.VOID,
]
OTHER_CURRENCY = "other_currency"
NO_CUSTOMER = "no_customer"
NO_DEBTOR = "?"  # shown in a preview for customers who get their number on download


@dataclass
class Collected:
    invoices: list[InvoiceFact] = field(default_factory=list)  # created in the period or voided
    money: list[MoneyFact] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    customers: list = field(default_factory=list)  # Customer rows the bookings name


@dataclass
class ExportFile:
    name: str
    content: bytes
    slice: periods.Slice
    bookings: int


@dataclass
class Result:
    bookings: list[Booking]
    files: list[ExportFile]
    problems: list[Problem]
    replacements: list[Replacement]

    def counts(self) -> dict[str, int]:
        kinds = dict.fromkeys(KINDS, 0)
        for booking in self.bookings:
            kinds[kind(booking.text)] += 1
        return kinds


@dataclass
class PlannedFile:
    name: str
    bookings: int


@dataclass
class Preview:
    """What the download of a period will hold (files, counts, problems, replacements),
    counted without writing it."""

    files: list[PlannedFile]
    kinds: dict[str, int]
    problems: list[Problem]
    replacements: list[Replacement]

    def counts(self) -> dict[str, int]:
        return dict(self.kinds)


def bounds(date_from: date, date_to: date, zone=ACCOUNTING_TZ) -> tuple[datetime, datetime]:
    start = datetime.combine(date_from, time.min, zone)
    return start, datetime.combine(date_to + timedelta(days=1), time.min, zone)


def local_day(moment: datetime, zone=ACCOUNTING_TZ) -> date:
    return moment.astimezone(zone).date()


class InvoiceRow(NamedTuple):
    """What the export reads of a mirrored invoice (its days already local)."""

    pk: int
    stripe_id: str
    number: str
    customer_id: int | None
    quote_id: int | None
    status: str
    currency: str
    total: int
    tax: int
    day: date  # issued_on: the local date it was finalized (else created)
    due_day: date | None


class MoneyRow(NamedTuple):
    provider_id: str
    source: str
    method: str
    amount: int
    day: date
    reference: str
    voided_on: date | None
    invoice: InvoiceRow


class CustomerRow(NamedTuple):
    pk: int
    company_name: str
    country: str
    tax_id_type: str
    tax_id: str
    debtor: int | None  # the debtor account number given to the customer, if any


_INVOICE_COLUMNS = (
    "id",
    "stripe_id",
    "number",
    "customer_id",
    "quote_id",
    "status",
    "currency",
    "total",
    "tax",
    "issued_day",
    "due_day",
)


class _AnyOf(Lookup):
    """``field = ANY(%s)``: one array parameter however many values (and a query even when
    there are none, so a quiet month asks what a busy one asks)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*params, list(self.rhs))


def _invoices(workspace, start: datetime, end: datetime) -> list[InvoiceRow]:
    """Issued (finalized) in the period, or voided in it (their reversal falls in it): voided
    when the provider said so, else on the issue day (see _void_days)."""
    # issued = finalized_at, else created: spelled out so each side has its index.
    in_period = Q(finalized_at__gte=start, finalized_at__lt=end) | Q(
        finalized_at__isnull=True, created__gte=start, created__lt=end
    )
    voided = edge().voided_between(workspace, start, end)
    voided_before = (
        Q(status=StripeInvoice.Status.VOID)
        & Q(_AnyOf(F("stripe_id"), voided))
        & (Q(finalized_at__lt=end) | Q(finalized_at__isnull=True, created__lt=end))
    )
    rows = (
        _booked(workspace)
        .filter(in_period | voided_before, status__in=BOOKED_STATUSES)
        .annotate(issued=Coalesce("finalized_at", "created"))
        .order_by("issued", "id")
        .values_list(*_INVOICE_COLUMNS)
    )
    return [InvoiceRow._make(row) for row in rows]


def _booked(workspace):
    """The workspace's own invoices that carry a number, with their local days."""
    return (
        # Invoices issued in Lexware Office or sevDesk are booked there (billing.evidence
        # .services.issued): the tool's own DATEV export carries them, not ours.
        StripeInvoice.objects.filter(
            workspace=workspace,
            ownership=Ownership.OURS,
            provider=Provider.STRIPE,
            created__isnull=False,
        )
        .exclude(number="")
        .annotate(**_days(workspace.zone))
    )


class LocalDate(Func):
    """The local calendar date of a moment in ``zone``, as PostgreSQL computes it (a plain
    date: no per-row conversion in Python, unlike TruncDate)."""

    template = "(%(expressions)s AT TIME ZONE %%s)::date"
    output_field = DateField()

    def __init__(self, expression, zone):
        super().__init__(expression)
        self.zone = str(zone)

    def as_sql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, **extra)
        return sql, (*params, self.zone)


def _days(zone) -> dict:
    """The invoice's issue and due dates as local dates, computed by PostgreSQL."""
    return {
        "issued_day": LocalDate(Coalesce("finalized_at", "created"), zone),
        "due_day": LocalDate("due_date", zone),
    }


def _money(workspace, start: datetime, end: datetime, known: list[InvoiceRow]) -> list[MoneyRow]:
    """Paid or voided in the period, each with its invoice (found among ``known``, else read
    by primary key: the period's payments, never a join over every invoice)."""
    paid = Q(paid_at__gte=start, paid_at__lt=end)
    voided = Q(voided_at__gte=start, voided_at__lt=end)
    zone = workspace.zone
    rows = list(
        Payment.objects.filter(paid | voided, workspace=workspace)
        .annotate(
            paid_day=LocalDate("paid_at", zone),
            voided_day=LocalDate("voided_at", zone),
        )
        .order_by("paid_at", "id")
        .values_list(
            "provider_id",
            "source",
            "method",
            "amount",
            "paid_day",
            "reference",
            "voided_day",
            "invoice_id",
        )
    )
    invoices = {i.pk: i for i in known}
    missing = {row[7] for row in rows} - invoices.keys()
    found = _booked(workspace).filter(_AnyOf(F("id"), missing))
    invoices.update((row[0], InvoiceRow._make(row)) for row in found.values_list(*_INVOICE_COLUMNS))
    return [MoneyRow(*row[:7], invoices[row[7]]) for row in rows if row[7] in invoices]


def _customers(ids: set[int]) -> dict[int, CustomerRow]:
    rows = Customer.objects.filter(_AnyOf(F("id"), ids)).values_list(
        "pk", "company_name", "country", "tax_id_type", "tax_id", "debtor_account__number"
    )
    return {row[0]: CustomerRow._make(row) for row in rows}


def _void_days(workspace, invoices: list[InvoiceRow]) -> dict[str, date]:
    """When each voided invoice was voided, from the stored invoice.voided events."""
    ids = [i.stripe_id for i in invoices if i.status == StripeInvoice.Status.VOID]
    if not ids:
        return {}
    moments = edge().void_moments(workspace, ids)
    zone = workspace.zone
    return {stripe_id: local_day(moment, zone) for stripe_id, moment in moments.items()}


def _treatments(quote_ids: set[int]) -> dict[int, str]:
    """The tax treatment of each quote as the customer last accepted it."""
    if not quote_ids:
        return {}
    found = dict(
        QuoteAcceptance.objects.filter(quote_id__in=quote_ids).values_list(
            "quote_id", "snapshot__tax__treatment"
        )
    )
    later = RevisionAcceptance.objects.filter(quote_id__in=quote_ids).order_by("revision")
    found.update(later.values_list("quote_id", "snapshot__tax__treatment"))
    return {pk: treatment for pk, treatment in found.items() if treatment}


def _party(obj) -> Party:
    return Party(country=obj.country.code or "", tax_id_type=obj.tax_id_type, tax_id=obj.tax_id)


def _customer_party(customer: CustomerRow) -> Party:
    return Party(
        country=customer.country or "", tax_id_type=customer.tax_id_type, tax_id=customer.tax_id
    )


def _vat_id(customer) -> str:
    return "".join((customer.tax_id or "").split()).upper()


@dataclass
class Gathered:
    invoices: list[InvoiceRow]
    money: list[MoneyRow]
    problems: list[Problem]
    void_days: dict[str, date] = field(default_factory=dict)
    by_customer: dict[int, CustomerRow] = field(default_factory=dict)

    @property
    def customers(self) -> list[CustomerRow]:
        """The customers the bookings name, in the order they first appear."""
        seen = dict.fromkeys(i.customer_id for i in self.invoices)
        seen.update(dict.fromkeys(p.invoice.customer_id for p in self.money))
        return [self.by_customer[pk] for pk in seen if pk in self.by_customer]


def _bookable(invoice: InvoiceRow, problems: list[Problem]) -> bool:
    if invoice.customer_id is None:
        problems.append(Problem(invoice.stripe_id, NO_CUSTOMER))
        return False
    if invoice.currency.upper() != CURRENCY:
        problems.append(Problem(invoice.stripe_id, OTHER_CURRENCY))
        return False
    return True


def gather(workspace, date_from: date, date_to: date) -> Gathered:
    """The mirror's invoices and payments that may have bookings in the period, as plain rows
    (no model objects: a month of thousands costs a few queries and one pass)."""
    start, end = bounds(date_from, date_to, workspace.zone)
    problems: list[Problem] = []
    candidates = _invoices(workspace, start, end)
    void_days = _void_days(workspace, candidates)
    invoices = [
        i
        for i in candidates
        if _touches(i, void_days, date_from, date_to) and _bookable(i, problems)
    ]
    money = _money(workspace, start, end, candidates)
    money = [p for p in money if _bookable(p.invoice, problems)]
    unique = {(p.stripe_id, p.code): p for p in problems}
    ids = {i.customer_id for i in invoices} | {p.invoice.customer_id for p in money}
    return Gathered(invoices, money, list(unique.values()), void_days, _customers(ids))


def _touches(invoice: InvoiceRow, void_days: dict, date_from: date, date_to: date) -> bool:
    """Issued in the period, or voided in it (then the period holds its reversal)."""
    issued = invoice.day
    if date_from <= issued <= date_to:
        return True
    voided = void_days.get(invoice.stripe_id, issued)
    return invoice.status == StripeInvoice.Status.VOID and date_from <= voided <= date_to


def existing_debtors(customers: list[CustomerRow]) -> dict[int, int]:
    """Customer pk → the debtor number it already has (read with the customers)."""
    return {c.pk: c.debtor for c in customers if c.debtor is not None}


class _Facts:
    """Plain facts of mirrored rows, each invoice made once."""

    def __init__(self, workspace, gathered: Gathered, debtors: dict[int, int]):
        self.workspace = workspace
        self.supplier = _party(workspace)
        self.debtors = debtors
        self.customers = gathered.by_customer
        every = [*gathered.invoices, *(p.invoice for p in gathered.money)]
        self.void_days = gathered.void_days
        self.treatments = _treatments({i.quote_id for i in every if i.quote_id})
        self._made: dict[int, InvoiceFact] = {}
        self._decided: dict[tuple, str] = {}

    def invoice(self, row: InvoiceRow) -> InvoiceFact:
        made = self._made.get(row.pk)
        if made is None:
            made = self._made[row.pk] = self._invoice(row)
        return made

    def _invoice(self, row: InvoiceRow) -> InvoiceFact:
        customer, day = self.customers[row.customer_id], row.day  # Belegdatum: the issue date
        voided = None
        if row.status == StripeInvoice.Status.VOID:
            voided = self.void_days.get(row.stripe_id, day)
        return InvoiceFact(
            stripe_id=row.stripe_id,
            number=row.number,
            day=day,
            total=row.total,
            tax=row.tax,
            currency=row.currency.upper(),
            treatment=self.treatment(row, customer, day),
            debtor=str(self.debtors.get(customer.pk, NO_DEBTOR)),
            customer_name=customer.company_name,
            vat_id=_vat_id(customer) if customer.tax_id_type == "eu_vat" else "",
            due_date=row.due_day,
            voided_on=voided,
        )

    def treatment(self, row: InvoiceRow, customer: CustomerRow, day: date) -> str:
        """As accepted on the quote the invoice came from, else decided for the customer now."""
        if row.quote_id in self.treatments:
            return self.treatments[row.quote_id]
        # decide_tax is pure: once per customer's tax facts and day
        key = (customer.country, customer.tax_id_type, customer.tax_id, day)
        treatment = self._decided.get(key)
        if treatment is None:
            decided = decide_tax(self.supplier, _customer_party(customer), day)
            treatment = self._decided[key] = str(decided.treatment)
        return treatment

    def money(self, row: MoneyRow) -> MoneyFact:
        return MoneyFact(
            provider_id=row.provider_id,
            source=row.source,
            method=row.method,
            amount=row.amount,
            day=row.day,
            invoice=self.invoice(row.invoice),
            reference=row.reference,
            voided_on=row.voided_on,
        )


def _batch(prefs: DatevSettings, part: periods.Slice, now: datetime, by: str, zone) -> Batch:
    """The header of one file; its creation time is the MSP's local time (``zone``)."""
    return Batch(
        consultant_number=prefs.consultant_number or 0,
        client_number=prefs.client_number or 0,
        fiscal_year_start=part.fiscal_year_start,
        account_length=prefs.account_length,
        date_from=part.date_from,
        date_to=part.date_to,
        chart=prefs.chart,
        created_at=now.astimezone(zone),
        label=f"MSPercury {part.date_from:%d.%m.%y}-{part.date_to:%d.%m.%y}",
        exported_by=by,
        locked=prefs.lock_batches,
    )


def file_name(part: periods.Slice) -> str:
    return f"EXTF_Buchungsstapel_{part.date_from:%Y%m%d}_{part.date_to:%Y%m%d}.csv"


def export(
    workspace,
    prefs: DatevSettings,
    date_from: date,
    date_to: date,
    *,
    gathered: Gathered,
    debtors: dict[int, int],
    now: datetime | None = None,
    exported_by: str = "",
) -> Result:
    """The period's bookings, one file per fiscal year (fiscal years without bookings have
    none). Raises extf.UnencodableText when the policy rejects a text."""
    now = now or timezone.now()
    facts = _Facts(workspace, gathered, debtors)
    invoices = [facts.invoice(i) for i in gathered.invoices]
    money = [facts.money(p) for p in gathered.money]
    plan = plan_for(prefs.chart, prefs.account_overrides, prefs.tax_keys)
    every, problems = build(invoices, money, plan)
    booked = sorted(
        (b for b in every if date_from <= b.day <= date_to), key=lambda b: (b.day, b.document)
    )
    problems += [p for i in invoices if date_from <= i.day <= date_to for p in tax_problems(i)]
    files, replacements = [], []
    for part in periods.split(date_from, date_to, prefs.fiscal_year_start_month):
        inside = [b for b in booked if part.date_from <= b.day <= part.date_to]
        if not inside:
            continue
        rendered = render(
            _batch(prefs, part, now, exported_by, workspace.zone), inside, Encoding(prefs.encoding)
        )
        files.append(ExportFile(file_name(part), rendered.content, part, len(inside)))
        replacements += rendered.replacements
    return Result(booked, files, [*gathered.problems, *problems], replacements)


def preview(
    workspace, prefs: DatevSettings, date_from: date, date_to: date, *, gathered, debtors
) -> Preview:
    """What export() would return for the period, without making or writing its bookings: the
    same facts, counted (bookings.tally); only bookings whose texts cp1252 may not hold are made
    and checked, in the file's order. Raises extf.UnencodableText as export() would."""
    facts = _Facts(workspace, gathered, debtors)
    invoices = [facts.invoice(i) for i in gathered.invoices]
    money = [facts.money(p) for p in gathered.money]
    plan = plan_for(prefs.chart, prefs.account_overrides, prefs.tax_keys)
    policy = Encoding(prefs.encoding)
    plain = _plain_texts(plan, policy)
    counted = tally(invoices, money, plan, (date_from, date_to), plain)
    replacements: list[Replacement] = []
    for _key, booking in sorted(counted.unsure, key=lambda pair: pair[0]):
        apply_policy(row_values(booking), COLUMNS, booking.party, policy, replacements)
    files = []
    for part in periods.split(date_from, date_to, prefs.fiscal_year_start_month):
        inside = sum(
            n for (day, _k), n in counted.per_day.items() if part.date_from <= day <= part.date_to
        )
        if inside:
            files.append(PlannedFile(file_name(part), inside))
    kinds = dict.fromkeys(KINDS, 0)
    for (_day, kind_), n in counted.per_day.items():
        kinds[kind_] += n
    in_period = [i for i in invoices if date_from <= i.day <= date_to]
    problems = [
        *gathered.problems,
        *counted.problems,
        *(p for i in in_period for p in tax_problems(i)),
    ]
    return Preview(files, kinds, problems, replacements)


def _plain_texts(plan, policy: Encoding):
    """Whether a booking's texts need no check: always in UTF-8; in cp1252 when all fit."""
    if policy == Encoding.UTF8_BOM:
        return lambda texts: True
    if not fits("".join([*plan.accounts.values(), *plan.tax_keys.values()])):
        return lambda texts: False
    return lambda texts: fits("".join(texts))


def bundle(files: list[ExportFile]) -> tuple[str, bytes, str]:
    """(name, bytes, media type) of the download: the one CSV, or a zip of one per fiscal year."""
    if len(files) == 1:
        return files[0].name, files[0].content, "text/csv"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in files:
            archive.writestr(item.name, item.content)
    first, last = files[0].slice.date_from, files[-1].slice.date_to
    return (
        f"EXTF_Buchungsstapel_{first:%Y%m%d}_{last:%Y%m%d}.zip",
        buffer.getvalue(),
        ("application/zip"),
    )


def _debtor(account: DebtorAccount) -> master_data.Debtor:
    customer = account.customer
    if customer is None:  # deleted: the number keeps the name it was given
        return master_data.Debtor(account.number, account.name)
    eu_vat = customer.tax_id_type == "eu_vat"
    return master_data.Debtor(
        number=account.number,
        name=customer.company_name,
        country=customer.country.code or "",
        vat_id=_vat_id(customer) if eu_vat else "",
        street=customer.street,
        postal_code=customer.postal_code,
        city=customer.city,
        email=customer.email,
    )


def debtor_file(workspace, prefs: DatevSettings, *, now=None, exported_by="") -> ExportFile:
    """Every debtor account the workspace handed out, with the customer's name, address and
    VAT ID (category 16), so the advisor's DATEV shows who each number is."""
    now = now or timezone.now()
    today = local_day(now, workspace.zone)
    accounts = DebtorAccount.objects.filter(workspace=workspace).select_related("customer")
    rows = [_debtor(a) for a in accounts.order_by("number")]
    start = periods.fiscal_year_start(today, prefs.fiscal_year_start_month)
    part = periods.Slice(start, today, today)
    rendered = master_data.render(
        _batch(prefs, part, now, exported_by, workspace.zone), rows, Encoding(prefs.encoding)
    )
    return ExportFile(f"EXTF_Debitoren_{today:%Y%m%d}.csv", rendered.content, part, len(rows))
