"""A German MSP (Alpha IT, owner alice) with a quote per customer and its mirrored invoices."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.models import StripeSubscription
from quotes.models import BillingPeriod, Quote, QuoteLine
from tests import factories

CREATED = factories.CREATED
DUE = datetime(2026, 12, 15, tzinfo=UTC)
# The customer of each case: the factories' French (reverse charge) and American (export)
# business customers, and a German one whose particulars the tests read.
CUSTOMERS = {
    "domestic": (
        "DE",
        {
            "company_name": "Kunde AG",
            "street": "Ring 2",
            "postal_code": "80331",
            "city": "München",
            "tax_id": "DE811907980",
            "language": "de",
        },
    ),
    "reverse_charge": ("FR", {}),
    "export": ("US", {}),
}
LINES = [
    ("Managed workstation", "12", "workstation", "39.90", "10", BillingPeriod.MONTHLY),
    ("Backup per server", "3", "server", "24.99", None, BillingPeriod.MONTHLY),
    ("Onboarding", "3.5", "hour", "95.00", None, BillingPeriod.ONE_TIME),
    ("Security audit", "1", "unit", "1200.00", None, BillingPeriod.YEARLY),
]


@pytest.fixture
def msp(alpha, alice):
    return factories.german_msp(alpha, name="Alpha IT GmbH")


@pytest.fixture
def make_invoice(msp):
    """A finalized invoice of ours for one customer case, billing the given quote lines."""

    def _make(case="domestic", *, total, tax, n=1, subscription="", **extra):
        country, fields = CUSTOMERS[case]
        customer = factories.customer(msp, country, email=f"ap{n}@client.example", **fields)
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
            "quote": quote,
            "total": total,
            "tax": tax,
            "amount_due": total,
            "amount_remaining": total,
            "due_date": DUE,
            "subscription_id": subscription,
            "hosted_invoice_url": f"https://invoice.stripe.example/i/in_{n}",
            **extra,
        }
        return factories.invoice(msp, customer, n=n, **values)

    return _make


@pytest.fixture
def monthly(msp):
    return StripeSubscription.objects.create(
        workspace=msp, account_ref="acct_1", stripe_id="sub_m", status="active", interval="month"
    )
