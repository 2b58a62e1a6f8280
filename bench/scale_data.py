"""The workspaces of bench/scale.py: a large MSP and its small twin, built with bulk inserts.

Both have the same shapes (customers in Germany, the EU and the US on monthly plans, one
accepted quote and one mirrored subscription per customer, invoices with one to four lines,
each line a Supply with its Evidence, a Stripe payment for most invoices, a few voided ones);
only the history differs. The large one bills every customer once a month for years and twice a
month in the measured quarter (a subscription invoice and a usage invoice), so that the
quarter holds about 20,000 supply records and its last month about 8,000 invoices and payments
at the default sizes; the twin has its few invoices in that last month only.

Rows are written inside ``workspace_context`` (the app role under row-level security), as the
product writes them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

EU = ("FR", "AT", "NL", "BE", "IT")
BATCH = 2000
ACCOUNT = "acct_1EmulatorSeedAcct"  # the Stripe emulator's seeded account (tests/factories.py)


@dataclass(frozen=True)
class Shape:
    customers: int
    invoices: int  # all of the workspace's history
    supplies: int
    quarter_supplies: int  # in the measured quarter (the large one); the twin's follow its ratio
    twin_invoices: int = 10


def default_shape(small: bool) -> Shape:
    if small:
        return Shape(customers=200, invoices=10_000, supplies=16_500, quarter_supplies=2_000)
    return Shape(customers=2_000, invoices=100_000, supplies=165_000, quarter_supplies=20_000)


def measured_quarter(today: date) -> tuple[date, date]:
    """The last complete quarter before ``today``: (first day, first day after)."""
    first_month = 3 * ((today.month - 1) // 3) + 1
    end = date(today.year, first_month, 1)
    start = _add_months(end, -3)
    return start, end


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_plan(shape: Shape, quarter_start: date, *, twin: bool) -> list[tuple[date, int]]:
    """(first day of month, invoices per customer) from the oldest month to the quarter's last."""
    if twin:
        return [(_add_months(quarter_start, 2), 1)]
    quarter = [(_add_months(quarter_start, k), 2) for k in range(3)]
    old_months = max(0, (shape.invoices - 6 * shape.customers) // shape.customers)
    return [(_add_months(quarter_start, -k), 1) for k in range(old_months, 0, -1)] + quarter


def lines_per_invoice(total_lines: int, invoices: int, index: int) -> int:
    """Spread ``total_lines`` over ``invoices`` as evenly as whole lines allow (at least one)."""
    if invoices <= 0:
        return 1
    base, extra = divmod(max(total_lines, invoices), invoices)
    return base + (1 if (index * 7919) % invoices < extra else 0)


@dataclass(eq=False)  # hashed by identity: the bench keys its clients by workspace
class Built:
    workspace: object
    owner: object
    connection: object
    customers: list
    invoices: int = 0
    payments: int = 0
    supplies: int = 0
    quotes: int = 0
    subscriptions: int = 0


def build_workspace(name: str, customers: int, shape: Shape, *, twin: bool, today: date):
    """One workspace with its owner, Stripe connection, customers, quotes and history."""
    from mspercury import tenancy
    from mspercury.models import Role
    from tests import factories

    with tenancy.system_context():
        workspace = factories.german_msp(factories.workspace(name, "DE"))
        slug = name.split()[1].lower()
        owner = factories.member(workspace, f"owner@{slug}.scale.example", "Owner", Role.OWNER)
    with tenancy.workspace_context(workspace):
        connection = factories.stripe_connection(
            workspace,
            webhook_secret=f"whsec_scale_{slug}_0123456789abcdef",
            account_id=ACCOUNT,
        )
        made = _customers(workspace, customers)
        built = Built(workspace, owner, connection, made)
        _quotes_and_subscriptions(built, connection.account_ref, today)
        _history(built, shape, twin=twin, today=today)
    return built


def _customers(workspace, count: int) -> list:
    from customers.models import Customer

    rows = []
    for i in range(count):
        country = "DE" if i % 10 < 6 else ("US" if i % 10 == 9 else EU[i % len(EU)])
        tax_id = "" if country == "US" else f"{country}{100000000 + i:09d}"
        rows.append(
            Customer(
                workspace=workspace,
                company_name=f"Kunde {i:05d} {country} GmbH",
                email=f"billing{i}@kunde.example",
                street=f"Straße {i}",
                postal_code=f"{10000 + i}",
                city="Berlin" if country == "DE" else "Paris",
                country=country,
                tax_id_type="eu_vat" if tax_id else "",
                tax_id=tax_id,
            )
        )
    return Customer.objects.bulk_create(rows, batch_size=BATCH)


def _quotes_and_subscriptions(built: Built, account_ref: str, today: date) -> None:
    """Per customer: an accepted quote of three monthly lines, pushed (a mirrored subscription
    and its "new" MRR movement); every fifth customer also has a draft and a sent quote."""
    from billing.models import MrrMovement, StripeSubscription
    from quotes.models import Quote, QuoteLine

    ws = built.workspace
    accepted_at = datetime.combine(today - timedelta(days=400), time(10), tzinfo=UTC)
    quotes, kinds = [], []
    for i, customer in enumerate(built.customers):
        statuses = ["accepted"] + (["draft", "sent"] if i % 5 == 0 else [])
        for status in statuses:
            number = f"Q-{len(quotes) + 1:06d}"
            quotes.append(
                Quote(
                    workspace=ws,
                    number=number,
                    customer=customer,
                    currency="EUR",
                    status=status,
                    title=f"Managed services {customer.company_name}",
                    accepted_at=accepted_at if status == "accepted" else None,
                    sent_at=accepted_at if status != "draft" else None,
                )
            )
            kinds.append(status)
    quotes = Quote.objects.bulk_create(quotes, batch_size=BATCH)
    lines = [
        QuoteLine(
            workspace=ws,
            quote=quote,
            position=k,
            description=name,
            quantity=Decimal(10 + k),
            unit="workstation",
            unit_price=Decimal(price),
            billing_period="monthly",
        )
        for quote in quotes
        for k, (name, price) in enumerate(
            (("RMM agent", "4.50"), ("EDR seat", "6.90"), ("Backup seat", "9.00"))
        )
    ]
    QuoteLine.objects.bulk_create(lines, batch_size=BATCH)
    accepted = [q for q, kind in zip(quotes, kinds, strict=True) if kind == "accepted"]
    subs = StripeSubscription.objects.bulk_create(
        [
            StripeSubscription(
                workspace=ws,
                account_ref=account_ref,
                stripe_id=f"sub_{ws.pk}_{i}",
                stripe_customer_id=f"cus_{ws.pk}_{i}",
                customer=q.customer,
                quote=q,
                status="active",
                interval="month",
                currency="EUR",
                items=ITEMS,
                amount=10 * 450 + 11 * 690 + 12 * 900,
                created=accepted_at,
                current_period_end=datetime.combine(today, time(0), tzinfo=UTC),
            )
            for i, q in enumerate(accepted)
        ],
        batch_size=BATCH,
    )
    MrrMovement.objects.bulk_create(
        [
            MrrMovement(
                workspace=ws,
                subscription=sub,
                kind="new",
                month=accepted_at.date().replace(day=1),
                currency="EUR",
                amount=Decimal("228.90"),
                happened_at=accepted_at,
            )
            for sub in subs
        ],
        batch_size=BATCH,
    )
    built.quotes, built.subscriptions = len(quotes), len(subs)


# The mirrored subscription items of the accepted quote's three lines (10, 11, 12 seats).
ITEMS = [
    {"interval": "month", "interval_count": 1, "quantity": 10 + k, "unit_amount": amount}
    for k, amount in enumerate((450, 690, 900))
]


def _treatment(customer) -> tuple[str, Decimal, str]:
    """(treatment, rate, place of supply) as MSPercury's VAT decides for a B2B customer."""
    if customer.country == "DE":
        return "domestic", Decimal("19.00"), "DE"
    if customer.country == "US":
        return "export", Decimal("0.00"), "US"
    return "reverse_charge", Decimal("0.00"), customer.country


def _history(built: Built, shape: Shape, *, twin: bool, today: date) -> None:
    quarter_start, _end = measured_quarter(today)
    plan = month_plan(shape, quarter_start, twin=twin)
    customers = built.customers[: shape.twin_invoices] if twin else built.customers
    quarter_invoices = 6 * shape.customers
    old_invoices = max(1, shape.invoices - quarter_invoices)
    seq = 0
    for month, per_customer in plan:
        in_quarter = twin or month >= quarter_start
        invoices = []
        for customer_index, customer in enumerate(customers):
            for k in range(per_customer):
                seq += 1
                if in_quarter:
                    lines = lines_per_invoice(shape.quarter_supplies, quarter_invoices, seq)
                else:
                    lines = lines_per_invoice(
                        shape.supplies - shape.quarter_supplies, old_invoices, seq
                    )
                invoices.append(_invoice(built, customer, customer_index, month, seq, k, lines))
        _write_month(built, invoices)


def _invoice(built: Built, customer, index: int, month: date, seq: int, k: int, lines: int):
    """An unsaved invoice with its planned lines: (invoice, [(net, tax, rate, ...)])."""
    from billing.models import StripeInvoice

    days = calendar.monthrange(month.year, month.month)[1]
    day = month + timedelta(days=(index + 13 * k) % min(days, 27))
    finalized = datetime.combine(day, time(9, 30), tzinfo=UTC)
    treatment, rate, place = _treatment(customer)
    planned = []
    for n in range(lines):
        net = 2_000 + (seq * 37 + n * 1_013) % 40_000
        tax = (net * int(rate)) // 100
        planned.append((net, tax, rate, treatment, place))
    total = sum(net + tax for net, tax, *_ in planned)
    tax_total = sum(tax for _net, tax, *_ in planned)
    status = (
        "void" if seq % 100 == 7 else ("open" if seq % 100 in (3, 11, 23, 42, 61, 88) else "paid")
    )
    paid = total if status == "paid" else 0
    ws = built.workspace
    invoice = StripeInvoice(
        workspace=ws,
        account_ref=built.connection.account_ref,
        stripe_id=f"in_scale_{ws.pk}_{seq}",
        number=f"RE-{month.year}-{seq:06d}",
        stripe_customer_id=f"cus_{ws.pk}_{index}",
        customer=customer,
        subscription_id=f"sub_{ws.pk}_{index}" if k == 0 else "",
        status=status,
        payment_status=status,
        currency="EUR",
        total=total,
        tax=tax_total,
        amount_due=total,
        amount_paid=paid,
        amount_remaining=total - paid,
        amount_settled=paid,
        billing_reason="subscription_cycle" if k == 0 else "manual",
        created=finalized - timedelta(hours=1),
        finalized_at=finalized,
        voided_at=finalized + timedelta(days=2) if status == "void" else None,
        due_date=finalized + timedelta(days=14),
    )
    return invoice, planned


def _write_month(built: Built, planned_invoices) -> None:
    from billing.evidence.models import Evidence, Supply
    from billing.models import Payment, StripeInvoice

    ws = built.workspace
    invoices = StripeInvoice.objects.bulk_create(
        [invoice for invoice, _lines in planned_invoices], batch_size=BATCH
    )
    supplies, payments = [], []
    for invoice, (_unsaved, lines) in zip(invoices, planned_invoices, strict=True):
        issued = invoice.finalized_at.date()
        end = issued.replace(day=calendar.monthrange(issued.year, issued.month)[1])
        for n, (net, tax, rate, treatment, place) in enumerate(lines):
            supplies.append(
                Supply(
                    workspace=ws,
                    invoice=invoice,
                    line_id=f"il_{invoice.stripe_id}_{n}",
                    description=("RMM agent", "EDR seat", "Backup seat", "Support")[n % 4],
                    customer=invoice.customer,
                    customer_vat_id=invoice.customer.tax_id,
                    currency="EUR",
                    net=net,
                    tax=tax,
                    rate=rate,
                    treatment=treatment,
                    rate_source="tax_rate",
                    place_of_supply=place,
                    supplied_on=issued,
                    service_start=issued.replace(day=1),
                    service_end=end,
                    performed_on=end,
                )
            )
        if invoice.status == "paid":
            payments.append(
                Payment(
                    workspace=ws,
                    invoice=invoice,
                    amount=invoice.total,
                    currency="EUR",
                    source="stripe",
                    provider_id=f"inpay_{invoice.stripe_id}",
                    payment_intent=f"pi_{invoice.stripe_id}",
                    method="sepa_debit" if invoice.pk % 3 else "card",
                    paid_at=invoice.finalized_at + timedelta(days=3),
                )
            )
    supplies = Supply.objects.bulk_create(supplies, batch_size=BATCH)
    Evidence.objects.bulk_create(
        [
            Evidence(
                workspace=ws,
                supply=s,
                billing_country=s.customer.country.code,
                decided_country=s.customer.country.code,
                bank_country=s.customer.country.code,
                bank_source="sepa_debit",
                completed_at=datetime.combine(s.supplied_on, time(12), tzinfo=UTC),
            )
            for s in supplies
        ],
        batch_size=BATCH,
    )
    Payment.objects.bulk_create(payments, batch_size=BATCH)
    built.invoices += len(invoices)
    built.supplies += len(supplies)
    built.payments += len(payments)
