"""A German MSP (alpha) with three customers — domestic, EU reverse charge, third country —
and the mirror rows of a known March 2026."""

from datetime import UTC, datetime

import pytest

from billing.datev.models import DatevSettings
from billing.models import Payment, StripeInvoice
from customers.models import Customer


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def make_invoice(workspace, customer, stripe_id, number, created, total, tax=0, **extra):
    return StripeInvoice.objects.create(
        workspace=workspace,
        account_ref="acct_1",
        stripe_id=stripe_id,
        number=number,
        customer=customer,
        status=extra.pop("status", StripeInvoice.Status.OPEN),
        currency=extra.pop("currency", "EUR"),
        total=total,
        tax=tax,
        created=created,
        **extra,
    )


def make_money(invoice, provider_id, source, amount, paid_at, **extra):
    return Payment.objects.create(
        workspace=invoice.workspace,
        invoice=invoice,
        provider_id=provider_id,
        source=source,
        amount=amount,
        currency=invoice.currency,
        paid_at=paid_at,
        **extra,
    )


@pytest.fixture
def german_msp(alpha):
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE123456789"
    alpha.save()
    DatevSettings.objects.create(workspace=alpha, consultant_number=1234567, client_number=12345)
    return alpha


@pytest.fixture
def muller(german_msp):
    return Customer.objects.create(workspace=german_msp, company_name="Müller GmbH", country="DE")


@pytest.fixture
def dupont(german_msp):
    return Customer.objects.create(
        workspace=german_msp,
        company_name="Dupont SARL",
        country="FR",
        tax_id_type="eu_vat",
        tax_id="FR40303265045",
    )


@pytest.fixture
def acme(german_msp):
    return Customer.objects.create(workspace=german_msp, company_name="Acme Inc", country="US")


@pytest.fixture
def march(german_msp, muller, dupont, acme):
    """An invoice per treatment, a Stripe payment, a credit note with its refund."""
    domestic = make_invoice(
        german_msp,
        muller,
        "in_known1",
        "A1B2C3D4-0001",
        at("2026-03-15"),
        119000,
        19000,
        due_date=at("2026-03-29"),
    )
    reverse = make_invoice(
        german_msp, dupont, "in_known2", "A1B2C3D4-0002", at("2026-03-16"), 100000
    )
    export = make_invoice(german_msp, acme, "in_known3", "A1B2C3D4-0003", at("2026-03-17"), 50000)
    make_money(domestic, "inpay_1", "stripe", 119000, at("2026-03-20"), method="card")
    make_money(
        domestic, "cn_1", "credit_note", -11900, at("2026-03-25"), reference="A1B2C3D4-0001-CN-01"
    )
    make_money(domestic, "re_1", "refund", -11900, at("2026-03-25", 11), method="card")
    return {"domestic": domestic, "reverse": reverse, "export": export}
