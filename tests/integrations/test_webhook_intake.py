"""Webhook intake: verify with the workspace's own secret, store once, answer fast."""

import json
import time

import pytest
import stripe

from integrations.models import StripeConnection, StripeEvent, WebhookStatus
from tests import factories

SECRET = "whsec_test_intake_secret_0123456789"


@pytest.fixture
def connection(alpha):
    return factories.stripe_connection(
        alpha,
        "rk_test_intake_key_abcd",
        webhook_secret=SECRET,
        account_id="acct_1IntakeTest",
        webhook_status=WebhookStatus.REGISTERED,
    )


def _event(event_id="evt_1", livemode=False):
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "invoice.paid",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "livemode": livemode,
            "data": {"object": {"id": "in_1", "object": "invoice"}},
        }
    )


def _post(client, conn, payload, signature):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    return client.post(
        f"/webhooks/stripe/{conn.webhook_token}/",
        data=payload,
        content_type="application/json",
        **headers,
    )


def _sign(payload, secret=SECRET, timestamp=None):
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def test_it_stores_a_signed_event_once(client, connection):
    payload = _event()
    first = _post(client, connection, payload, _sign(payload))
    again = _post(client, connection, payload, _sign(payload))
    assert first.status_code == 200 and first.json()["duplicate"] is False
    assert again.status_code == 200 and again.json()["duplicate"] is True
    event = StripeEvent.objects.get()
    assert (event.event_id, event.event_type, event.status) == ("evt_1", "invoice.paid", "received")
    assert event.stripe_account == "acct_1IntakeTest"
    assert event.payload == json.loads(payload)
    connection.refresh_from_db()
    assert connection.last_event_at is not None


@pytest.mark.parametrize(
    "signature",
    [
        None,  # missing header
        "t=1,v1=deadbeef",  # garbage
        "FORGED",  # computed below with the wrong secret
        "STALE",  # right secret, older than the 300 s tolerance
    ],
)
def test_it_rejects_missing_forged_and_stale_signatures(client, connection, signature):
    payload = _event()
    if signature == "FORGED":
        signature = _sign(payload, secret="whsec_someone_else_entirely")
    elif signature == "STALE":
        signature = _sign(payload, timestamp=int(time.time()) - 301)
    r = _post(client, connection, payload, signature)
    assert r.status_code == 400
    assert not StripeEvent.objects.exists()


def test_it_rejects_an_event_of_the_other_mode(client, connection):
    payload = _event(livemode=True)
    assert _post(client, connection, payload, _sign(payload)).status_code == 400
    assert not StripeEvent.objects.exists()


def test_it_answers_404_for_an_unknown_path(client, connection):
    payload = _event()
    r = client.post(
        "/webhooks/stripe/not-a-real-token/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_sign(payload),
    )
    assert r.status_code == 404


def test_another_workspaces_secret_does_not_verify(client, connection, charlie_ws):
    """Each workspace's path verifies only with its own secret."""
    other = StripeConnection(
        workspace=charlie_ws,
        key_prefix="rk_test_",
        key_last4="wxyz",
        key_kind="restricted",
        mode="test",
        account_id="acct_1Other",
    )
    other.api_key = "rk_test_other_key_wxyz"
    other.webhook_secret = "whsec_charlie_secret_987654321"
    other.save()
    payload = _event()
    r = _post(client, connection, payload, _sign(payload, secret="whsec_charlie_secret_987654321"))
    assert r.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_a_real_event_from_the_emulator_is_accepted_end_to_end(
    live_server, settings, stripe_api, full_key_with_webhooks, alpha, alice, client
):
    settings.MSPERCURY_PUBLIC_URL = live_server.url
    client.force_login(alice)
    session = client.session
    session["mspercury_2fa_verified_at"] = time.time()
    session.save()
    client.post("/settings/integrations/stripe/connect/", {"key": full_key_with_webhooks})
    conn = StripeConnection.objects.get()
    assert conn.webhook_status == WebhookStatus.REGISTERED

    sk = stripe_api.client()
    customer = sk.v1.customers.create({"name": "Webhook GmbH"})
    invoice = sk.v1.invoices.create({"customer": customer.id})
    stripe_api.flush_webhooks()

    deliveries = stripe_api.deliveries()
    event = StripeEvent.objects.get(event_type="invoice.created")
    assert event.payload["data"]["object"]["id"] == invoice.id
    # customer.created is not among the subscribed events, so it was not delivered.
    assert not StripeEvent.objects.filter(event_type="customer.created").exists()
    assert event.workspace_id == alpha.id
    assert deliveries
