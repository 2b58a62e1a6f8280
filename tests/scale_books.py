"""Books of many invoices written in bulk, for the report pages' "N rows cost what 10 cost"
tests: paid invoices of two lines (a monthly line performed on its period's last day, a
one-time line performed on the issue day) with their evidence, payments, and now and then a
refund, a credit note or a void. Deterministic: the same arguments write the same books."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from billing.evidence.models import Evidence, Reduction, Supply
from billing.models import Ownership, Payment, StripeInvoice
from customers.models import Customer

PROFILES = (
    # name, country, vat id, treatment, rate, place
    ("Müller GmbH", "DE", "DE811907980", "domestic", "19", "DE"),
    ("Dupont SARL", "FR", "FR40303265045", "reverse_charge", "0", "FR"),
    ("Zürich AG", "CH", "", "export", "0", "CH"),
    ("Rossi Srl", "IT", "", "eu_no_vat_id", "22", "IT"),
    ("Schmidt KG", "DE", "DE136695976", "domestic", "7", "DE"),
)


def customers(workspace, count: int = 10) -> list[Customer]:
    found = []
    for n in range(count):
        name, country, vat_id, *_rest = PROFILES[n % len(PROFILES)]
        found.append(
            Customer.objects.create(
                workspace=workspace,
                company_name=f"{name} {n}",
                country=country,
                tax_id_type="eu_vat" if vat_id else "",
                tax_id=vat_id,
            )
        )
    return found


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _lines(n: int, profile) -> list[tuple[int, int]]:
    """(net, tax) of the invoice's two lines."""
    rate = Decimal(profile[4])
    monthly = 1000 + (n * 37) % 9000
    once = 500 + (n * 53) % 30000
    return [(net, int((net * rate / 100).to_integral_value())) for net in (monthly, once)]


def write(workspace, people: list[Customer], start: date, days: int, count: int, *, tag=""):
    """``count`` invoices issued over ``days`` days from ``start``: every 7th unpaid, every
    11th refunded in part 20 days later, every 13th credited in part, every 17th (unpaid)
    voided 5 days later; the rest paid on the issue day (every 5th two days later)."""
    invoices, supplies = [], []
    for n in range(count):
        customer = people[n % len(people)]
        profile = PROFILES[(people.index(customer)) % len(PROFILES)]
        day = start + timedelta(days=(n * days) // max(count, 1))
        lines = _lines(n, profile)
        total = sum(net + tax for net, tax in lines)
        voided = n % 17 == 16
        invoices.append(
            StripeInvoice(
                workspace=workspace,
                account_ref="acct_1",
                stripe_id=f"in_{tag}{n}",
                number=f"RE{tag}-{n:06d}",
                customer=customer,
                ownership=Ownership.OURS,
                status="void" if voided else "paid",
                payment_status="open" if voided else "paid",
                currency="EUR",
                total=total,
                tax=sum(tax for _net, tax in lines),
                created=_moment(day, 9),
                finalized_at=_moment(day, 9),
                voided_at=_moment(day + timedelta(days=5)) if voided else None,
                synced_at=_moment(day + timedelta(days=5)),
            )
        )
    StripeInvoice.objects.bulk_create(invoices)
    for n, invoice in enumerate(invoices):
        customer = invoice.customer
        profile = PROFILES[(people.index(customer)) % len(PROFILES)]
        day = invoice.created.date()
        for index, (net, tax) in enumerate(_lines(n, profile)):
            monthly = index == 0
            supplies.append(
                Supply(
                    workspace=workspace,
                    invoice=invoice,
                    line_id=f"il_{tag}{n}_{index}",
                    description="Managed workplace" if monthly else "Onboarding",
                    customer=customer,
                    customer_vat_id=profile[2],
                    currency="EUR",
                    net=net,
                    tax=tax,
                    rate=Decimal(profile[4]),
                    treatment=profile[3],
                    rate_source="tax_rate",
                    place_of_supply=profile[5],
                    supplied_on=day,
                    service_start=day if monthly else None,
                    service_end=day + timedelta(days=29) if monthly else None,
                    performed_on=day + timedelta(days=29) if monthly else None,
                    conflict=n % 23 == 0,
                    unconfirmed_vat_id=profile[3] == "reverse_charge" and n % 29 == 0,
                )
            )
    Supply.objects.bulk_create(supplies)
    Evidence.objects.bulk_create(
        Evidence(
            workspace=workspace,
            supply=s,
            billing_country=s.place_of_supply,
            decided_country=s.place_of_supply,
        )
        for s in supplies
    )
    _money(workspace, invoices, supplies, tag)
    return invoices


def _money(workspace, invoices, supplies, tag):
    payments, notes = [], []
    for n, invoice in enumerate(invoices):
        if n % 7 == 6 or invoice.status == "void":
            continue
        day = invoice.created.date() + timedelta(days=2 if n % 5 == 4 else 0)
        payments.append(_payment(workspace, invoice, f"pi_{tag}{n}", "stripe", invoice.total, day))
        if n % 11 == 10:
            payments.append(
                _payment(workspace, invoice, f"re_{tag}{n}", "refund", -500, day + timedelta(20))
            )
        if n % 13 == 12:
            note = _payment(workspace, invoice, f"cn_{tag}{n}", "credit_note", -300, day)
            payments.append(note)
            notes.append((note, n))
    Payment.objects.bulk_create(payments)
    by_invoice = {}
    for s in supplies:
        by_invoice.setdefault(s.invoice_id, s)
    Reduction.objects.bulk_create(
        Reduction(
            workspace=workspace,
            supply=by_invoice[note.invoice_id],
            payment=note,
            net=250,
            tax=50,
            reduced_on=note.paid_at.date(),
        )
        for note, _n in notes
    )


def _payment(workspace, invoice, provider_id, source, amount, day):
    return Payment(
        workspace=workspace,
        invoice=invoice,
        provider_id=provider_id,
        source=source,
        amount=amount,
        currency="EUR",
        paid_at=_moment(day, 15),
    )
