"""The worlds the tests, the demo and the benchmarks build again and again, built in one place.

Plain functions, as in healthchecks and zulip: no factory library. Each takes the tenant first
and keyword overrides for any field; the defaults are the values the suite's assertions read
(Alpha IT in Berlin, Dupont SARL in Paris, the emulator's seeded restricted key). Quotes are
made and accepted through the product's own actions, so every invariant they keep holds here too.
"""

import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from decimal import Decimal

from billing.models import Payment, StripeInvoice
from customers.models import Customer, Project
from integrations.models import PushSettings, StripeConnection, WebhookStatus
from integrations.stripe.permissions import WRITE_PROBES, check_writes
from mspercury.access import SESSION_2FA_AT
from mspercury.models import Membership, Role, User, Workspace
from quotes.actions import do_add_line, do_create_quote
from quotes.models import Quote, QuoteAcceptance, QuoteLine, Service
from quotes.sharing import do_accept_quote
from rules.money import from_minor_units

D = Decimal
PASSWORD = "correct horse battery staple"

# --- the MSP -------------------------------------------------------------------------------------

# What a German MSP's invoices and e-invoices name of it: address and VAT ID.
GERMAN_MSP = {
    "street": "Hauptstraße 1",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
    "tax_id_type": "eu_vat",
    "tax_id": "DE136695976",
}
# The particulars a GmbH prints on every business letter (§35a GmbHG).
GMBH_PARTICULARS = {
    "legal_form": "GmbH",
    "registered_seat": "München",
    "register_court": "Amtsgericht München",
    "register_number": "HRB 123456",
    "managing_directors": "Anna Muster\nBernd Beispiel",
}
BANK_ACCOUNT = {
    "bank_account_holder": "Muster IT GmbH",
    "bank_name": "Commerzbank",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
}


def workspace(name: str = "Alpha IT", country: str = "DE", **fields) -> Workspace:
    return Workspace.objects.create(name=name, country=country, **fields)


def german_msp(msp: Workspace, **fields) -> Workspace:
    """Give ``msp`` a German address and VAT ID (and ``fields``), saved."""
    for name, value in {**GERMAN_MSP, **fields}.items():
        setattr(msp, name, value)
    msp.save()
    return msp


def member(msp: Workspace, email: str, full_name: str, role: str = Role.MEMBER) -> User:
    """A user of ``msp`` in ``role`` who works in it (the tests' alice, bob, charlie, dana)."""
    user = User.objects.create_user(email, PASSWORD, full_name=full_name)
    Membership.objects.create(workspace=msp, user=user, role=role)
    user.last_workspace = msp
    user.save(update_fields=["last_workspace"])
    return user


def sign_in(client, user: User, *, recent_2fa: bool = True):
    """Log ``user`` into the test ``client``, with a fresh two-factor check unless told not to."""
    client.force_login(user)
    if recent_2fa:
        session = client.session
        session[SESSION_2FA_AT] = time.time()
        session.save()
    return client


# --- customers -----------------------------------------------------------------------------------

# A business customer per country the suite bills: EU reverse charge (FR), domestic (DE), third
# country (US).
CUSTOMERS = {
    "FR": {
        "company_name": "Dupont SARL",
        "email": "compta@dupont.example",
        "street": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "tax_id_type": "eu_vat",
        "tax_id": "FR40303265045",
        "language": "fr",
    },
    "DE": {
        "company_name": "Acme GmbH",
        "tax_id_type": "eu_vat",
        "tax_id": "DE136695976",
    },
    "US": {
        "company_name": "Client Inc.",
        "street": "1 Main St",
        "postal_code": "10001",
        "city": "New York",
        "state": "NY",
    },
}


def customer(msp: Workspace, country: str = "FR", **fields) -> Customer:
    """The business customer of ``country`` in ``CUSTOMERS``, with ``fields`` changed."""
    values = {**CUSTOMERS.get(country, {}), **fields}
    values.setdefault("company_name", f"Customer {country}")
    return Customer.objects.create(workspace=msp, country=country, **values)


def project(of: Customer, name: str = "Head office", **counts) -> Project:
    counts = {"workstations": 12, "servers": 2, "users": 15, **counts}
    return Project.objects.create(workspace=of.workspace, customer=of, name=name, **counts)


# --- catalog and quotes --------------------------------------------------------------------------

# An MSP's catalog: name, unit, billing period, price, cost.
CATALOG = (
    ("RMM agent", "workstation", "monthly", "4.50", "1.80"),
    ("EDR seat", "workstation", "monthly", "6.90", "3.10"),
    ("Backup seat", "user", "monthly", "9.00", "4.00"),
    ("Microsoft 365 support", "user", "monthly", "3.20", None),
    ("Server monitoring", "server", "monthly", "19.00", "6.00"),
    ("Patch management", "workstation", "monthly", "2.10", None),
    ("Backup licence (annual)", "unit", "yearly", "480.00", "300.00"),
    ("Onboarding", "unit", "one_time", "299.00", None),
    ("On-site work", "hour", "one_time", "95.00", None),
)
# The mixed quote: 6 monthly, 1 yearly, 2 one-time lines (one of 1.5 hours), by catalog name.
MIXED_LINES = (
    ("RMM agent", "12"),
    ("EDR seat", "12"),
    ("Backup seat", "3"),
    ("Microsoft 365 support", "15"),
    ("Patch management", "12"),
    ("Server monitoring", "2"),
    ("Backup licence (annual)", "1"),
    ("Onboarding", "1"),
    ("On-site work", "1.5"),
)


def service(
    msp: Workspace, name: str, period: str = "monthly", price: str = "5.00", unit="workstation"
) -> Service:
    return Service.objects.create(
        workspace=msp, name=name, unit=unit, billing_period=period, unit_price=D(price)
    )


def catalog(msp: Workspace) -> dict[str, Service]:
    """``CATALOG`` as ``msp``'s services, by name."""
    return {
        name: Service.objects.create(
            workspace=msp,
            name=name,
            unit=unit,
            billing_period=period,
            unit_price=D(price),
            cost_price=D(cost) if cost else None,
        )
        for name, unit, period, price, cost in CATALOG
    }


def add_line(quote: Quote, svc: Service, quantity: str, **fields) -> QuoteLine:
    """A line of ``svc`` as the editor adds it: the service's text, unit, price and cost."""
    values = {
        "description": svc.name,
        "unit": svc.unit,
        "unit_price": svc.unit_price,
        "billing_period": svc.billing_period,
        "cost_price": svc.cost_price,
        **fields,
    }
    return do_add_line(quote, service=svc, quantity=D(quantity), **values)


def accept(quote: Quote, user: User | None = None, *, name: str = "Alice Owner"):
    """Mark the quote's current revision accepted (as staff do for a signed paper copy)."""
    quote.refresh_from_db()
    return do_accept_quote(
        quote,
        via=QuoteAcceptance.Via.MANUAL,
        name=name,
        revision=quote.revision,
        sha256=None,
        user=user,
    )


def quote(
    msp: Workspace,
    to: Customer,
    lines=(),
    *,
    services: dict[str, Service] | None = None,
    user: User | None = None,
    **fields,
) -> Quote:
    """A draft quote of ``lines`` (catalog name, quantity); the catalog is made if not given."""
    services = catalog(msp) if services is None else services
    made = do_create_quote(msp, to, user=user, **fields)
    for name, quantity in lines:
        add_line(made, services[name], quantity)
    made.refresh_from_db()
    return made


def mixed_quote(msp: Workspace, to: Customer, user: User | None = None, **fields) -> Quote:
    """``MIXED_LINES`` in euros, accepted: the quote most push tests push."""
    made = quote(msp, to, MIXED_LINES, user=user, currency="EUR", **fields)
    accept(made, user)
    made.refresh_from_db()
    return made


# --- Stripe --------------------------------------------------------------------------------------

EMULATOR_KEY = "rk_test_emulator"  # the Stripe emulator's seeded restricted key
EMULATOR_ACCOUNT = "acct_1EmulatorSeedAcct"
# What a restricted key may do: the seeded key's permissions (enough to push), and the sets
# MSPercury's own VAT (tax rates: write) and webhook registration add to them.
PUSH_PERMISSIONS = {
    **dict.fromkeys(("customers", "invoices", "subscriptions", "products", "prices"), "write"),
    "tax_ids": "write",
    "tax_rates": "read",
}
VAT_PERMISSIONS = {**PUSH_PERMISSIONS, "tax_rates": "write"}
WEBHOOK_PERMISSIONS = {**PUSH_PERMISSIONS, "webhook_endpoints": "write"}


def stripe_connection(
    msp: Workspace, key: str = EMULATOR_KEY, *, webhook_secret: str = "", **fields
) -> StripeConnection:
    """A test-mode connection with ``key`` (and ``webhook_secret``) stored encrypted, as
    connecting stores them."""
    values = {
        "key_prefix": "rk_test_",
        "key_last4": key[-4:],
        "key_kind": "restricted",
        "mode": "test",
        **fields,
    }
    connection = StripeConnection(workspace=msp, **values)
    connection.api_key = key
    if webhook_secret:
        connection.webhook_secret = webhook_secret
    connection.save()
    return connection


def verified(connection: StripeConnection) -> StripeConnection:
    """What connecting does: the key's write permissions asked of Stripe, kept for an hour."""
    check_writes(connection, WRITE_PROBES)
    return connection


def with_mspercury_vat(msp: Workspace) -> Workspace:
    """MSPercury decides the VAT and puts its tax rates on Stripe's invoices."""
    PushSettings.objects.update_or_create(workspace=msp, defaults={"mspercury_vat": True})
    return msp


def vat_connection(msp: Workspace, key: str) -> StripeConnection:
    """``msp`` connected with ``key`` to the emulator's account, with MSPercury's VAT on."""
    connection = stripe_connection(msp, key, account_id=EMULATOR_ACCOUNT)
    with_mspercury_vat(msp)
    return verified(connection)


def connect_through_settings(client, user: User, key: str) -> StripeConnection:
    """Connect ``user``'s workspace with ``key`` on the settings page; the webhook endpoint is
    registered, so the emulator's events reach the app."""
    sign_in(client, user)
    client.post("/settings/integrations/stripe/connect/", {"key": key})
    connection = StripeConnection.objects.get(workspace=user.last_workspace)
    assert connection.webhook_status == WebhookStatus.REGISTERED
    return connection


# --- the mirror ----------------------------------------------------------------------------------

CREATED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def invoice(msp: Workspace, to: Customer | None, *, n: int = 1, total: int = 0, **fields):
    """A finalized, open Stripe invoice of ours in the mirror, ``n`` numbering it."""
    values = {
        "account_ref": "acct_1",
        "stripe_id": f"in_{n}",
        "number": f"RE-2026-{n:04d}",
        "status": StripeInvoice.Status.OPEN,
        "currency": "EUR",
        "total": total,
        "created": CREATED,
        **fields,
    }
    return StripeInvoice.objects.create(workspace=msp, customer=to, **values)


def payment(of: StripeInvoice, provider_id: str, source: str, amount: int, paid_at, **fields):
    """Money recorded against an invoice of the mirror (negative for refunds and credit notes)."""
    return Payment.objects.create(
        workspace=of.workspace,
        invoice=of,
        provider_id=provider_id,
        source=source,
        amount=amount,
        currency=of.currency,
        paid_at=paid_at,
        **fields,
    )


def pay_part_on_stripes_page(of: StripeInvoice, amount: int) -> None:
    """What a customer does on the emulator's hosted invoice page: pay part of the invoice."""
    body = urllib.parse.urlencode({"amount": str(from_minor_units(amount, of.currency))})
    url = f"{of.hosted_invoice_url}/pay_part"
    if not url.startswith(("http://", "https://")):
        return
    request = urllib.request.Request(url, data=body.encode())
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()
