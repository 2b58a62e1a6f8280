"""Settings → Integrations: connect, verify, replace and disconnect, against the emulator."""

import io
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection as db_connection
from django.urls import reverse
from django.utils import timezone

from integrations.models import StripeConnection, WebhookStatus
from integrations.stripe.client import API_VERSION
from integrations.stripe.webhooks import HANDLED_EVENTS
from mspercury.models import AuditEvent
from tests import factories

CONNECT = "/settings/integrations/stripe/connect/"
PAGE = "/settings/integrations/"


def _connect(client, key):
    return client.post(CONNECT, {"key": key}, follow=True)


def test_it_connects_a_restricted_key_without_account_access(client_for, alice, stripe_api):
    """rk_ key whose GET /v1/account is 403: proven by a read, account shown as unavailable."""
    client = client_for(alice)
    r = _connect(client, "  rk_test_emulator \n")
    html = r.content.decode()
    conn = StripeConnection.objects.for_workspace(alice.last_workspace)
    assert conn.mode == "test" and conn.key_kind == "restricted"
    assert conn.account_details_available is False
    assert conn.api_key == "rk_test_emulator"
    assert 'data-icon="dot"' in html and "TEST" in html and "🟡" not in html
    assert "Account details unavailable" in html
    assert conn.permissions["customers"] == "readable"
    assert conn.permissions["tax_rates"] == "granted"
    assert conn.permissions["tax_ids"] == "readable"
    assert conn.permissions["webhook_endpoints"] == "denied"
    # Without the webhook permission: instructions and a field for the secret.
    assert conn.webhook_status == WebhookStatus.FAILED and conn.webhook_needs_manual
    assert "Save signing secret" in html
    assert AuditEvent.objects.filter(action="stripe.connected").count() == 1


def test_it_shows_account_name_and_id_when_readable(client_for, alice, stripe_api):
    client = client_for(alice)
    html = _connect(client, "rk_test_emulator_account").content.decode()
    conn = StripeConnection.objects.get()
    assert conn.account_id == "acct_1EmulatorSeedAcct"
    assert conn.account_name == "MSPercury Emulator Test Account"
    assert "MSPercury Emulator Test Account" in html and "acct_1EmulatorSeedAcct" in html


def test_it_accepts_a_secret_key_with_a_recommendation(client_for, alice, stripe_api):
    html = _connect(client_for(alice), "sk_test_emulator").content.decode()
    assert StripeConnection.objects.get().key_kind == "secret"
    assert "recommend a restricted key" in html


def test_it_shows_the_live_badge_for_a_live_key(client_for, alice, stripe_api):
    key = stripe_api.add_key(livemode=True, display_name="Live GmbH")["key"]
    html = _connect(client_for(alice), key).content.decode()
    conn = StripeConnection.objects.get()
    assert conn.mode == "live" and conn.is_live
    assert 'data-icon="dot"' in html and "LIVE" in html and "🟢" not in html


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("pk_test_51AbCdEfGhIjKlMnOp", "publishable key"),
        ("sk_notakey", "does not look like a Stripe API key"),
    ],
)
def test_it_rejects_non_api_keys(client_for, alice, stripe_api, key, message):
    r = _connect(client_for(alice), key)
    assert r.status_code == 400
    assert message in r.content.decode()
    assert not StripeConnection.objects.exists()
    assert AuditEvent.objects.filter(action="stripe.connect_failed").exists()
    assert stripe_api.requests() == []  # nothing was sent to Stripe


def test_it_shows_stripes_message_for_an_unknown_key(client_for, alice, stripe_api):
    """401 → Stripe's "Invalid API Key provided" text, verbatim."""
    r = _connect(client_for(alice), "rk_test_doesnotexist1234")
    html = r.content.decode()
    assert r.status_code == 400
    assert "Invalid API Key provided" in html
    assert not StripeConnection.objects.exists()
    event = AuditEvent.objects.get(action="stripe.connect_failed")
    assert "doesnotexist1234" not in str(event.details) + event.summary


def test_it_shows_stripes_permission_message_verbatim(client_for, alice, stripe_api):
    key = stripe_api.add_key(permissions={"invoices": "write"}, account="acct_1EmulatorSeedAcct")
    html = _connect(client_for(alice), key["key"]).content.decode()
    assert "does not have the required permissions" in html
    assert not StripeConnection.objects.exists()


def test_it_registers_the_webhook_endpoint(client_for, alice, stripe_api, full_key_with_webhooks):
    _connect(client_for(alice), full_key_with_webhooks)
    conn = StripeConnection.objects.get()
    assert conn.webhook_status == WebhookStatus.REGISTERED
    endpoints = stripe_api.client().v1.webhook_endpoints.list().data
    assert len(endpoints) == 1
    endpoint = endpoints[0]
    assert endpoint.id == conn.webhook_endpoint_id
    assert endpoint.url == conn.webhook_url()
    assert conn.webhook_token in endpoint.url and len(conn.webhook_token) >= 40
    assert sorted(endpoint.enabled_events) == sorted(HANDLED_EVENTS)
    assert endpoint.api_version == API_VERSION
    assert conn.webhook_secret.startswith("whsec_")


def test_retry_replaces_only_our_endpoint(client_for, alice, stripe_api, full_key_with_webhooks):
    sk = stripe_api.client()
    foreign = sk.v1.webhook_endpoints.create(
        {"url": "https://elsewhere.example/hook", "enabled_events": ["*"]}
    )
    client = client_for(alice)
    _connect(client, full_key_with_webhooks)
    old = StripeConnection.objects.get()
    client.post("/settings/integrations/stripe/webhook/retry/")
    new = StripeConnection.objects.get()
    assert new.webhook_endpoint_id != old.webhook_endpoint_id
    assert new.webhook_secret != old.webhook_secret
    ids = {e.id for e in sk.v1.webhook_endpoints.list().data}
    assert ids == {foreign.id, new.webhook_endpoint_id}


def test_a_failed_replacement_keeps_the_old_key(client_for, alice, stripe_api):
    client = client_for(alice)
    _connect(client, "rk_test_emulator")
    r = client.post("/settings/integrations/stripe/replace/", {"replace-key": "rk_test_wrong99999"})
    assert r.status_code == 400
    assert "Invalid API Key provided" in r.content.decode()
    conn = StripeConnection.objects.get()
    assert conn.api_key == "rk_test_emulator"
    assert AuditEvent.objects.filter(action="stripe.replace_failed").exists()


def test_replacing_with_another_account_warns_and_moves_the_webhook(
    client_for, alice, stripe_api, full_key_with_webhooks
):
    client = client_for(alice)
    _connect(client, full_key_with_webhooks)
    other = stripe_api.add_key(display_name="Other Account Ltd")["key"]
    r = client.post("/settings/integrations/stripe/replace/", {"replace-key": other}, follow=True)
    html = r.content.decode()
    assert "Stripe ids (customers, products, subscriptions) exist per account and mode" in html
    conn = StripeConnection.objects.get()
    assert conn.api_key == other and conn.account_name == "Other Account Ltd"
    # Our endpoint left the old account and exists in the new one.
    assert stripe_api.client().v1.webhook_endpoints.list().data == []
    assert len(stripe_api.client(other).v1.webhook_endpoints.list().data) == 1
    assert AuditEvent.objects.filter(action="stripe.key_replaced").exists()


def test_disconnect_needs_confirmation_and_deletes_key_and_endpoint(
    client_for, alice, stripe_api, full_key_with_webhooks
):
    client = client_for(alice)
    _connect(client, full_key_with_webhooks)
    client.post("/settings/integrations/stripe/disconnect/")
    assert StripeConnection.objects.exists()
    client.post("/settings/integrations/stripe/disconnect/", {"confirm": "yes"})
    assert not StripeConnection.objects.exists()
    assert stripe_api.client().v1.webhook_endpoints.list().data == []
    assert AuditEvent.objects.filter(action="stripe.disconnected").exists()
    assert "Not connected" in client.get(PAGE).content.decode()


def test_test_connection_updates_last_verified(client_for, alice, stripe_api):
    client = client_for(alice)
    _connect(client, "rk_test_emulator")
    before = StripeConnection.objects.get().last_verified_at
    r = client.post("/settings/integrations/stripe/test/", follow=True)
    assert "Connection works" in r.content.decode()
    assert StripeConnection.objects.get().last_verified_at > before


def test_the_key_is_never_stored_or_shown_in_plain_text(client_for, alice, stripe_api, caplog):
    key = stripe_api.add_key(
        permissions={"customers": "write", "tax_rates": "read"}, account="acct_1EmulatorSeedAcct"
    )["key"]
    secret_part = key[8:-4]
    client = client_for(alice)
    with caplog.at_level(logging.DEBUG):
        html = _connect(client, key).content.decode() + client.get(PAGE).content.decode()
        client.post("/settings/integrations/stripe/test/")
    assert secret_part not in html
    assert f"{key[:8]}…{key[-4:]}" in html
    assert secret_part not in caplog.text
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT key_encrypted FROM integrations_stripeconnection")
        (raw,) = cursor.fetchone()
    assert secret_part not in raw
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert secret_part not in dump.getvalue()


def test_a_member_sees_the_status_but_no_controls(client_for, alice, bob, stripe_api):
    client_for(alice)
    _connect(client_for(alice), "rk_test_emulator")
    client = client_for(bob)
    html = client.get(PAGE).content.decode()
    assert "TEST" in html
    assert "Replace key" not in html and "Disconnect Stripe" not in html
    assert "Only owners and admins" in html
    assert (
        client.post("/settings/integrations/stripe/disconnect/", {"confirm": "yes"}).status_code
        == 403
    )
    assert StripeConnection.objects.exists()


def test_an_admin_without_recent_2fa_is_sent_through_it(client_for, dana, stripe_api):
    client = client_for(dana, recent_2fa=False)
    r = client.post(CONNECT, {"key": "rk_test_emulator"})
    assert r.status_code == 302
    assert r["Location"].startswith("/settings/security/")  # no device yet: enrol first
    assert not StripeConnection.objects.exists()
    html = client.get(r["Location"]).content.decode()
    assert "This needs two-factor authentication: set up your authenticator app first." in html
    html = client.get(PAGE).content.decode()
    assert 'data-testid="needs-2fa"' in html
    assert "only users with two-factor authentication can connect one" in html


def test_it_asks_for_2fa_before_showing_the_key_form(client_for, alice, dana, stripe_api):
    """No key form to paste into until the check is done, so no pasted key is ever lost;
    with a device the page asks for a code, without one it asks to set one up."""
    html = client_for(dana, recent_2fa=False).get(PAGE).content.decode()
    assert 'name="key"' not in html and "/settings/security/?next=" in html
    assert client_for(dana).get(PAGE).content.decode().count('name="key"') == 1


def test_it_says_why_a_verified_user_must_verify_again(client_for, alice, stripe_api):
    """A device but no recent check: to the code page, with the reason as a message."""
    from tests.mspercury.test_two_factor import enrol

    enrol(alice)
    client = client_for(alice, recent_2fa=False)
    r = client.post(CONNECT, {"key": "rk_test_emulator"})
    assert r["Location"].startswith(reverse("verify_2fa"))
    html = client.get(r["Location"]).content.decode()
    assert "This needs a recent two-factor check" in html
    html = client.get(PAGE).content.decode()
    assert 'name="key"' not in html and "Verify now" in html


def test_an_outsider_cannot_touch_another_workspaces_connection(
    client_for, alice, charlie, stripe_api
):
    _connect(client_for(alice), "rk_test_emulator")
    client = client_for(charlie)
    assert client.post("/settings/integrations/stripe/test/").status_code == 404
    assert (
        client.post("/settings/integrations/stripe/disconnect/", {"confirm": "yes"}).status_code
        == 404
    )
    assert "Not connected" in client.get(PAGE).content.decode()
    assert StripeConnection.objects.filter(workspace=alice.last_workspace).exists()


def test_a_manually_added_endpoint_secret_is_stored_encrypted(client_for, alice, stripe_api):
    client = client_for(alice)
    _connect(client, "rk_test_emulator")
    r = client.post("/settings/integrations/stripe/webhook/secret/", {"secret": "not-a-secret"})
    assert "starts with whsec_" in r.content.decode()
    client.post(
        "/settings/integrations/stripe/webhook/secret/", {"secret": "whsec_abcdefghij0123456789"}
    )
    conn = StripeConnection.objects.get()
    assert conn.webhook_status == WebhookStatus.MANUAL
    assert conn.webhook_secret == "whsec_abcdefghij0123456789"
    assert "abcdefghij0123456789" not in conn.webhook_secret_encrypted


def _push_mixed(quote, alice):
    from integrations.push.actions import do_start_push
    from integrations.push.executor import execute_push

    push, created = do_start_push(None, quote, actor=alice)
    if created:
        assert execute_push(push.pk) == "succeeded", push.error
    return push, created


@pytest.mark.parametrize(
    ("first", "second"),
    [("sk_test_emulator", "rk_test_emulator"), ("rk_test_emulator", "rk_test_emulator_account")],
)
def test_replacing_the_key_of_the_same_account_keeps_what_was_pushed(
    client_for, alice, alpha, stripe_api, mixed_quote, settings, first, second
):
    """Whether /v1/account answers or not, a new key of the same account keeps the Stripe ids:
    an already pushed quote is not pushed a second time."""
    settings.MSPERCURY_PUSH_BACKOFF = 0.001
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    client = client_for(alice)
    _connect(client, first)
    push, _created = _push_mixed(mixed_quote, alice)
    r = client.post("/settings/integrations/stripe/replace/", {"replace-key": second}, follow=True)
    assert StripeConnection.objects.get().api_key == second
    again, created = _push_mixed(mixed_quote, alice)
    assert not created and again.pk == push.pk
    assert len(stripe_api.client().v1.subscriptions.list().data) == 2
    assert "exist per account and mode" not in r.content.decode()
    # "Test connection" never changes which account the ids belong to either.
    client.post("/settings/integrations/stripe/test/")
    assert _push_mixed(mixed_quote, alice) == (push, False)


def test_replacing_with_another_account_whose_details_are_unknown_starts_afresh(
    client_for, alice, alpha, stripe_api, mixed_quote, settings
):
    """Both keys hide /v1/account, but the new one cannot see our customer: another account, so
    nothing is reused and the quote can be pushed there."""
    settings.MSPERCURY_PUSH_BACKOFF = 0.001
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    other = stripe_api.add_key(
        permissions=factories.PUSH_PERMISSIONS,
        account_access=False,
        display_name="Other Account Ltd",
    )["key"]
    client = client_for(alice)
    _connect(client, "rk_test_emulator")
    push, _created = _push_mixed(mixed_quote, alice)
    r = client.post("/settings/integrations/stripe/replace/", {"replace-key": other}, follow=True)
    assert "exist per account and mode" in r.content.decode()
    again, created = _push_mixed(mixed_quote, alice)
    assert created and again.pk != push.pk
    assert len(stripe_api.client(other).v1.subscriptions.list().data) == 2


@pytest.mark.parametrize("again", ["rk_test_emulator", "rk_test_emulator_account"])
def test_reconnecting_the_same_account_keeps_what_was_pushed(
    client_for, alice, alpha, stripe_api, mixed_quote, settings, again
):
    """Disconnect, then connect a key of the same account again (with or without access to
    /v1/account): the pushed quote is still pushed, nothing goes to Stripe twice."""
    settings.MSPERCURY_PUSH_BACKOFF = 0.001
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    client = client_for(alice)
    _connect(client, "rk_test_emulator")
    push, _created = _push_mixed(mixed_quote, alice)
    client.post("/settings/integrations/stripe/disconnect/", {"confirm": "yes"})
    _connect(client, again)
    assert _push_mixed(mixed_quote, alice) == (push, False)
    assert len(stripe_api.client().v1.subscriptions.list().data) == 2


def test_the_permission_table_follows_the_vat_setting_and_lists_the_payment_extras(
    client_for, alice, alpha
):
    from integrations.models import PushSettings

    client = client_for(alice)

    def tax_rates_row():
        html = client.get("/settings/integrations/").content.decode()
        row = html.split("<td>Tax Rates</td>", 1)[1].split("</tr>", 1)[0]
        return html, row

    html, row = tax_rates_row()
    assert "<td>Read</td>" in row
    assert 'id="optional-permissions"' in html
    for label in ("Payment Records", "Checkout Sessions", "Credit Notes"):
        assert f"<td>{label}</td>" in html
    PushSettings.objects.create(workspace=alpha, mspercury_vat=True)
    _html, row = tax_rates_row()
    assert "<td>Write</td>" in row  # MSPercury's VAT creates tax rates


def test_the_webhook_card_shows_one_true_state(client_for, alice, stripe_api):
    """A webhook set up by hand is not green until an event arrived; it turns red when a
    delivery failed after the last event; never a green pill above "no event received yet"."""
    client = client_for(alice)
    _connect(client, "rk_test_emulator")
    client.post(
        "/settings/integrations/stripe/webhook/secret/", {"secret": "whsec_abcdefghij0123456789"}
    )
    page = client.get(PAGE).content.decode()
    assert '<span class="pill yellow">Set up, waiting for the first event</span>' in page
    assert "pill green" not in page.split('id="webhook-card"')[1]
    conn = StripeConnection.objects.get()
    conn.last_event_at = timezone.now()
    conn.save()
    page = client.get(PAGE).content.decode()
    assert '<span class="pill green">Receiving events</span>' in page
    conn.last_delivery_error_at = conn.last_event_at + timedelta(minutes=1)
    conn.last_delivery_error = "A delivery failed signature verification."
    conn.save()
    page = client.get(PAGE).content.decode()
    assert '<span class="pill red">Set up, but the last delivery failed</span>' in page
