from decimal import Decimal

import pytest

from customers.models import Customer
from integrations.models import PushSettings, StripeConnection
from integrations.stripe.permissions import WRITE_PROBES, check_writes
from quotes.actions import do_add_line, do_create_quote
from quotes.models import QuoteAcceptance, Service
from quotes.sharing import do_accept_quote


@pytest.fixture
def fast_push(settings):
    """Our executor retries quickly and the SDK does not add its own sleeps."""
    settings.MSPERCURY_PUSH_BACKOFF = 0.001
    settings.MSPERCURY_STRIPE_NETWORK_RETRIES = 0


@pytest.fixture
def connection(alpha, stripe_api, fast_push):
    alpha.street = "Hauptstr. 1"
    alpha.postal_code = "10115"
    alpha.city = "Berlin"
    alpha.tax_id_type = "eu_vat"
    alpha.tax_id = "DE136695976"
    alpha.save()
    conn = StripeConnection(
        workspace=alpha,
        key_prefix="rk_test_",
        key_last4="ator",
        key_kind="restricted",
        mode="test",
    )
    conn.api_key = "rk_test_emulator"
    conn.save()
    return verified(conn)


def verified(conn: StripeConnection) -> StripeConnection:
    """What connecting does: the key's write permissions asked of Stripe, kept for an hour."""
    check_writes(conn, WRITE_PROBES)
    return conn


@pytest.fixture
def fr_customer(alpha):
    return Customer.objects.create(
        workspace=alpha,
        company_name="Dupont SARL",
        email="compta@dupont.example",
        street="1 rue de la Paix",
        postal_code="75002",
        city="Paris",
        country="FR",
        tax_id_type="eu_vat",
        tax_id="FR40303265045",
        language="fr",
        collection_method="send_invoice",
        days_until_due=14,
    )


def service(workspace, name, period, price, unit="workstation"):
    return Service.objects.create(
        workspace=workspace, name=name, unit=unit, billing_period=period, unit_price=Decimal(price)
    )


def add(quote, svc, quantity):
    return do_add_line(
        quote,
        service=svc,
        description=svc.name,
        quantity=Decimal(quantity),
        unit=svc.unit,
        unit_price=svc.unit_price,
        billing_period=svc.billing_period,
    )


def accept(quote, alice=None):
    quote.refresh_from_db()
    return do_accept_quote(
        quote,
        via=QuoteAcceptance.Via.MANUAL,
        name="Alice Owner",
        revision=quote.revision,
        sha256=None,
        user=alice,
    )


@pytest.fixture
def mixed_quote(alpha, alice, fr_customer):
    """The seed's mix: 6 monthly, 1 yearly, 2 one-time lines (one of 1.5 hours)."""
    quote = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    monthly = [
        ("RMM agent", "4.50", "12"),
        ("EDR seat", "6.90", "12"),
        ("Backup seat", "9.00", "3"),
        ("M365 support", "3.20", "15"),
        ("Patch management", "2.10", "12"),
        ("Monitoring server", "19.00", "2"),
    ]
    for name, price, qty in monthly:
        add(quote, service(alpha, name, "monthly", price), qty)
    add(quote, service(alpha, "Backup licence (annual)", "yearly", "480.00", "unit"), "1")
    add(quote, service(alpha, "Onboarding", "one_time", "299.00", "unit"), "1")
    add(quote, service(alpha, "On-site work", "one_time", "95.00", "hour"), "1.5")
    accept(quote, alice)
    quote.refresh_from_db()
    return quote


# MSPercury's VAT (test_vat_*.py): a key that may create tax rates, and a German workspace.
PERMISSIONS = {
    "customers": "write",
    "invoices": "write",
    "subscriptions": "write",
    "products": "write",
    "prices": "write",
    "tax_ids": "write",
    "tax_rates": "write",
}


def connect(workspace, key: str) -> StripeConnection:
    conn = StripeConnection(
        workspace=workspace,
        key_prefix="rk_test_",
        key_last4=key[-4:],
        key_kind="restricted",
        mode="test",
        account_id="acct_1EmulatorSeedAcct",
    )
    conn.api_key = key
    conn.save()
    PushSettings.objects.update_or_create(workspace=workspace, defaults={"mspercury_vat": True})
    return verified(conn)


@pytest.fixture
def vat_key(stripe_api):
    return stripe_api.add_key(
        permissions=PERMISSIONS, account="acct_1EmulatorSeedAcct", name="MSPercury VAT"
    )["key"]


@pytest.fixture
def vat_workspace(alpha, vat_key, fast_push):
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    connect(alpha, vat_key)
    return alpha
