"""A Stripe-connected workspace (real HTTP to the emulator, signed webhooks) whose key may read
what evidence needs (payment intents, charges, credit notes), with MSPercury's VAT on, and an
open invoice of the seed's mixed quote to a French business customer."""

import time

import pytest

from billing.models import StripeInvoice
from integrations.models import PushSettings, StripeConnection, WebhookStatus
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from tests.integrations.conftest import stripe_api  # noqa: F401
from tests.integrations.push.conftest import fr_customer, mixed_quote  # noqa: F401

PERMISSIONS = {
    "customers": "write",
    "invoices": "write",
    "subscriptions": "write",
    "products": "write",
    "prices": "write",
    "tax_ids": "write",
    "tax_rates": "write",
    "webhook_endpoints": "write",
    "refunds": "read",
    "checkout_sessions": "read",
    "payment_intents": "read",
    "charges": "read",
    "credit_notes": "read",
}


def login(client, user):
    client.force_login(user)
    session = client.session
    session["mspercury_2fa_verified_at"] = time.time()
    session.save()
    return client


@pytest.fixture
def wired(live_server, settings, stripe_api, alpha, alice, client):  # noqa: F811
    settings.MSPERCURY_PUBLIC_URL = live_server.url
    settings.MSPERCURY_PUSH_BACKOFF = 0.001
    settings.MSPERCURY_STRIPE_NETWORK_RETRIES = 0
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    key = stripe_api.add_key(permissions=PERMISSIONS, account="acct_1EmulatorSeedAcct")
    login(client, alice)
    client.post("/settings/integrations/stripe/connect/", {"key": key["key"]})
    connection = StripeConnection.objects.for_workspace(alpha)
    assert connection.webhook_status == WebhookStatus.REGISTERED
    PushSettings.objects.update_or_create(workspace=alpha, defaults={"mspercury_vat": True})
    return connection


@pytest.fixture
def open_invoice(wired, mixed_quote, alice, stripe_api):  # noqa: F811
    push, _ = do_start_push(None, mixed_quote, actor=alice)
    assert execute_push(push.pk) == "succeeded"
    sk = stripe_api.client()
    draft = next(i for i in sk.v1.invoices.list().data if i.total > 0)
    if draft.status == "draft":
        sk.v1.invoices.finalize_invoice(draft.id)
    stripe_api.flush_webhooks()
    invoice = StripeInvoice.objects.get(stripe_id=draft.id)
    assert invoice.status == "open" and invoice.payment_status == "open"
    return invoice


@pytest.fixture
def pay(stripe_api):  # noqa: F811
    """Pay an invoice in Stripe (card) and let its webhooks arrive."""

    def _pay(invoice):
        stripe_api.client().v1.invoices.pay(invoice.stripe_id)
        stripe_api.flush_webhooks()
        invoice.refresh_from_db()
        return invoice

    return _pay
