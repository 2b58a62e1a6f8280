"""A German MSP (Alpha IT, owner alice) with a quote per customer and its mirrored invoices."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.models import StripeInvoice, StripeSubscription
from customers.models import Customer
from quotes.models import BillingPeriod, Quote, QuoteLine
from rules.taxids import TaxIdType

CREATED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
DUE = datetime(2026, 12, 15, tzinfo=UTC)
CUSTOMERS = {
    "domestic": {
        "company_name": "Kunde AG",
        "country": "DE",
        "street": "Ring 2",
        "postal_code": "80331",
        "city": "München",
        "tax_id_type": TaxIdType.EU_VAT,
        "tax_id": "DE811907980",
        "language": "de",
    },
    "reverse_charge": {
        "company_name": "Client SARL",
        "country": "FR",
        "street": "1 rue de Rivoli",
        "postal_code": "75001",
        "city": "Paris",
        "tax_id_type": TaxIdType.EU_VAT,
        "tax_id": "FR40303265045",
        "language": "fr",
    },
    "export": {
        "company_name": "Client Inc.",
        "country": "US",
        "street": "1 Main St",
        "postal_code": "10001",
        "city": "New York",
        "state": "NY",
        "language": "en",
    },
}
LINES = [
    ("Managed workstation", "12", "workstation", "39.90", "10", BillingPeriod.MONTHLY),
    ("Backup per server", "3", "server", "24.99", None, BillingPeriod.MONTHLY),
    ("Onboarding", "3.5", "hour", "95.00", None, BillingPeriod.ONE_TIME),
    ("Security audit", "1", "unit", "1200.00", None, BillingPeriod.YEARLY),
]


@pytest.fixture
def msp(alpha, alice):
    alpha.name = "Alpha IT GmbH"
    alpha.street, alpha.postal_code, alpha.city = "Hauptstraße 1", "10115", "Berlin"
    alpha.tax_id_type, alpha.tax_id = TaxIdType.EU_VAT, "DE136695976"
    alpha.save()
    return alpha


@pytest.fixture
def make_invoice(msp):
    """A finalized invoice of ours for one customer case, billing the given quote lines."""

    def _make(case="domestic", *, total, tax, n=1, subscription="", **extra):
        customer = Customer.objects.create(
            workspace=msp, email=f"ap{n}@client.example", **CUSTOMERS[case]
        )
        quote = Quote.objects.create(
            workspace=msp, number=f"Q-2026-{n:04d}", customer=customer, currency="EUR"
        )
        for position, (text, qty, unit, price, discount, period) in enumerate(LINES):
            QuoteLine.objects.create(
                workspace=msp,
                quote=quote,
                position=position,
                description=text,
                quantity=Decimal(qty),
                unit=unit,
                unit_price=Decimal(price),
                discount_percent=Decimal(discount) if discount else None,
                billing_period=period,
            )
        values = {
            "workspace": msp,
            "account_ref": "acct_1",
            "stripe_id": f"in_{n}",
            "number": f"RE-2026-{n:04d}",
            "customer": customer,
            "quote": quote,
            "status": "open",
            "currency": "EUR",
            "total": total,
            "tax": tax,
            "amount_due": total,
            "amount_remaining": total,
            "created": CREATED,
            "due_date": DUE,
            "subscription_id": subscription,
            "hosted_invoice_url": f"https://invoice.stripe.example/i/in_{n}",
            **extra,
        }
        return StripeInvoice.objects.create(**values)

    return _make


@pytest.fixture
def monthly(msp):
    return StripeSubscription.objects.create(
        workspace=msp, account_ref="acct_1", stripe_id="sub_m", status="active", interval="month"
    )
