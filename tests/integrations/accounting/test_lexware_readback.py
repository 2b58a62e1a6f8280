"""Lexware Office's payments read back: event subscriptions registered on connect and repaired,
every callback verified (RSA-SHA512, X-Lxo-Signature) before anything of it is read, the invoice
and its payments then fetched into the ledger, over real HTTP against the Lexware double."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA512
from django.test import Client

from billing.models import Payment
from emulators.lexware import DEFAULT_KEY as LEXWARE_KEY
from emulators.lexware import DEFAULT_ORGANIZATION
from integrations.lexware.client import LexwareClient
from integrations.lexware.readback import EVENT_TYPES, hash_token
from integrations.models import AccountingConnection, AccountingEvent
from tests.integrations.accounting.conftest import portal_client

pytestmark = pytest.mark.django_db(transaction=True)


def _callback_path(lexware_conn, callback_receiver):
    """The path of the callback URL Lexware holds (the token is only in Lexware's copy)."""
    urls = {s["callbackUrl"] for s in LexwareClient(LEXWARE_KEY).event_subscriptions()}
    (url,) = urls
    return url.removeprefix(callback_receiver.url.rsplit("/lexware/events", 1)[0])


def _body(resource_id, event_type="payment.changed"):
    return json.dumps(
        {
            "organizationId": DEFAULT_ORGANIZATION,
            "eventType": event_type,
            "resourceId": resource_id,
            "eventDate": "2027-01-20T10:00:00.000+01:00",
        },
        separators=(",", ":"),
    ).encode()


def _post(path, body, signature):
    headers = {"X-Lxo-Signature": signature} if signature is not None else {}
    return Client().post(path, body, content_type="application/json", headers=headers)


def test_it_registers_the_four_invoice_events_with_a_hashed_token(lexware_conn, callback_receiver):
    subscriptions = LexwareClient(LEXWARE_KEY).event_subscriptions()
    assert sorted(s["eventType"] for s in subscriptions) == sorted(EVENT_TYPES)
    path = _callback_path(lexware_conn, callback_receiver)
    token = path.rstrip("/").rsplit("/", 1)[1]
    lexware_conn.refresh_from_db()
    assert lexware_conn.callback_token_hash == hash_token(token)
    assert token not in json.dumps(
        AccountingConnection.objects.filter(pk=lexware_conn.pk).values().get(), default=str
    )
    assert lexware_conn.callback_status == "registered"


def test_a_bad_or_missing_signature_is_refused_with_401_and_nothing_stored(
    lexware_invoice, lexware_conn, callback_receiver
):
    path = _callback_path(lexware_conn, callback_receiver)
    body = _body(lexware_invoice.stripe_id)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = base64.b64encode(forger.sign(body, padding.PKCS1v15(), SHA512())).decode()
    for signature in (None, "", "not base64!", forged):
        assert _post(path, body, signature).status_code == 401
    assert _post(path, b"{not json", forged).status_code == 401  # refused unread
    assert AccountingEvent.objects.count() == 0
    assert not Payment.objects.exists()
    lexware_conn.refresh_from_db()
    assert lexware_conn.last_event_at is None


def test_an_unknown_token_is_404(lexware_invoice):
    assert _post("/webhooks/lexware/not-a-token/", _body("x"), "x").status_code == 404


def test_a_bank_transfer_in_lexware_makes_the_invoice_paid_here_and_in_the_portal(
    lexware_invoice, lexware_emulator, relay, acme, smtp_server
):
    lexware_emulator.pay(lexware_invoice.stripe_id, "119.00")
    answers = relay()
    assert answers and all(a.status_code == 200 for a in answers)
    lexware_invoice.refresh_from_db()
    assert (lexware_invoice.status, lexware_invoice.payment_status) == ("paid", "paid")
    (payment,) = Payment.objects.filter(invoice=lexware_invoice)
    assert (payment.source, payment.method, payment.amount) == (
        "accounting",
        "bank_transfer",
        11900,
    )
    assert payment.provider_id.startswith(f"lexware:{lexware_invoice.stripe_id}:")
    assert AccountingEvent.objects.filter(status="processed").count() == len(answers)
    page = portal_client(acme).get(f"/portal/invoices/{lexware_invoice.public_id}/")
    assert 'data-status="paid"' in page.content.decode()
    (mail,) = smtp_server.wait(1)
    assert lexware_invoice.number in smtp_server.text(mail)
    assert mail["To"] == acme.email


def test_the_same_callback_twice_is_stored_and_counted_once(
    lexware_invoice, lexware_emulator, callback_receiver, relay
):
    lexware_emulator.pay(lexware_invoice.stripe_id, "19.00")
    lexware_emulator.flush_webhooks()
    sent = list(callback_receiver.received)
    first = relay()
    assert first and not any(a.json()["duplicate"] for a in first)
    again = [_post(d["path"], d["body"], d["signature"]) for d in sent]
    assert all(a.status_code == 200 and a.json()["duplicate"] for a in again)
    assert AccountingEvent.objects.count() == len(sent)
    assert Payment.objects.filter(invoice=lexware_invoice).count() == 1


def test_a_part_payment_is_partially_paid_with_the_rest_due(
    lexware_invoice, lexware_emulator, relay
):
    lexware_emulator.pay(lexware_invoice.stripe_id, "19.00")
    relay()
    lexware_invoice.refresh_from_db()
    assert lexware_invoice.payment_status == "partially_paid"
    assert lexware_invoice.balance_due == 10000
    lexware_emulator.pay(lexware_invoice.stripe_id, "100.00")
    relay()
    lexware_invoice.refresh_from_db()
    assert lexware_invoice.payment_status == "paid"
    assert Payment.objects.filter(invoice=lexware_invoice).count() == 2


def test_another_organizations_invoice_is_not_taken_in(lexware_conn, lexware_emulator, relay, acme):
    """An invoice made in Lexware by hand (not in the ledger) is read from no event."""
    from tests.integrations.accounting.conftest import issue_lexware

    invoice = issue_lexware(lexware_conn, acme)
    invoice.delete()
    relay()
    lexware_emulator.pay(invoice.stripe_id, "119.00")
    relay()
    assert not Payment.objects.exists()
    assert set(AccountingEvent.objects.values_list("status", flat=True)) == {"ignored"}


def test_repair_registers_again_and_the_old_url_stops_working(
    client_for, alice, lexware_conn, callback_receiver
):
    old_path = _callback_path(lexware_conn, callback_receiver)
    response = client_for(alice).post("/settings/integrations/lexware/callbacks/")
    assert response.status_code == 302
    new_path = _callback_path(lexware_conn, callback_receiver)  # still exactly one URL
    assert new_path != old_path
    assert len(LexwareClient(LEXWARE_KEY).event_subscriptions()) == len(EVENT_TYPES)
    assert _post(old_path, _body("x"), "x").status_code == 404


def test_connecting_lexware_through_settings_registers_the_subscriptions(
    client_for, alice, alpha, doubles
):
    response = client_for(alice).post(
        "/settings/integrations/lexware/connect/", {"lexware-key": LEXWARE_KEY}
    )
    assert response.status_code == 302
    connection = AccountingConnection.objects.get(workspace=alpha)
    assert connection.callback_status == "registered"
    assert len(connection.callback_subscriptions) == len(EVENT_TYPES)
    page = client_for(alice).get("/settings/integrations/").content.decode()
    assert 'data-testid="lexware-callbacks" data-status="registered"' in page


def test_it_checks_ownership(client_for, charlie, lexware_conn):
    """Another workspace's admin cannot repair Alpha's subscriptions (it has no connection)."""
    response = client_for(charlie).post("/settings/integrations/lexware/callbacks/")
    assert response.status_code == 404


def test_a_read_that_fails_keeps_the_event_and_the_sweep_processes_it_later(
    lexware_invoice, lexware_emulator, relay
):
    from integrations.tasks import retry_lexware_events

    lexware_emulator.pay(lexware_invoice.stripe_id, "119.00")
    lexware_emulator.fault("error", "/v1/invoices/*", method="GET", count=None, status=503)
    answers = relay()
    assert all(a.status_code == 200 for a in answers)  # stored: Lexware need not send again
    assert set(AccountingEvent.objects.values_list("status", flat=True)) == {"failed"}
    assert not Payment.objects.exists()
    lexware_emulator.clear_faults()
    assert retry_lexware_events.delay().get() == len(answers)
    lexware_invoice.refresh_from_db()
    assert lexware_invoice.payment_status == "paid"
    assert set(AccountingEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_lexwares_public_key_is_fetched_once_and_kept(
    settings, lexware_invoice, lexware_emulator, relay
):
    lexware_emulator.pay(lexware_invoice.stripe_id, "19.00")
    assert all(a.status_code == 200 for a in relay())
    # The key's address is unreachable from now on: the kept key verifies the next callbacks.
    settings.MSPERCURY_LEXWARE_PUBLIC_KEY_URL = "http://127.0.0.1:9/public_key.pub"
    lexware_emulator.pay(lexware_invoice.stripe_id, "100.00")
    assert all(a.status_code == 200 for a in relay())
    lexware_invoice.refresh_from_db()
    assert lexware_invoice.payment_status == "paid"


def test_the_callback_endpoint_is_rate_limited(settings, lexware_conn, callback_receiver):
    settings.MSPERCURY_WEBHOOK_RATE = (3, 60)
    path = _callback_path(lexware_conn, callback_receiver)
    statuses = [_post(path, _body("x"), "bad").status_code for _ in range(6)]
    assert statuses[:3] == [401, 401, 401] and statuses[-1] == 429
    assert AccountingEvent.objects.count() == 0


def test_a_voided_invoice_is_void_here(lexware_invoice, lexware_emulator, relay):
    lexware_emulator.void(lexware_invoice.stripe_id)
    relay()
    lexware_invoice.refresh_from_db()
    assert (lexware_invoice.status, lexware_invoice.payment_status) == ("void", "void")
    assert lexware_invoice.voided_at is not None


def test_a_refused_registration_is_shown_and_repaired(
    client_for, alice, lexware_conn, lexware_emulator
):
    lexware_emulator.fault("error", "/v1/event-subscriptions", method="POST", status=500, count=1)
    client = client_for(alice)
    client.post("/settings/integrations/lexware/callbacks/")
    lexware_conn.refresh_from_db()
    assert lexware_conn.callback_status == "failed" and lexware_conn.callback_error
    page = client.get("/settings/integrations/").content.decode()
    assert 'data-testid="lexware-callbacks" data-status="failed"' in page
    client.post("/settings/integrations/lexware/callbacks/")
    lexware_conn.refresh_from_db()
    assert lexware_conn.callback_status == "registered"
    assert len(LexwareClient(LEXWARE_KEY).event_subscriptions()) == len(EVENT_TYPES)


def test_two_workspaces_on_one_lexware_account_each_read_only_their_invoices(
    lexware_invoice, lexware_emulator, relay, charlie_ws
):
    """Charlie's workspace connected the same Lexware organization: it receives every event
    too, but takes in nothing of Alpha's invoice; Alpha's is paid."""
    from integrations.accounting.readback import account_ref
    from integrations.lexware.readback import register_callbacks
    from tests.integrations.accounting.conftest import _connection

    charlies = _connection(charlie_ws, "lexware", LEXWARE_KEY, DEFAULT_ORGANIZATION)
    assert register_callbacks(charlies)
    assert account_ref(charlies) == lexware_invoice.account_ref
    lexware_emulator.pay(lexware_invoice.stripe_id, "119.00")
    relay()
    lexware_invoice.refresh_from_db()
    assert lexware_invoice.payment_status == "paid"
    assert not Payment.objects.filter(workspace=charlie_ws).exists()
    theirs = AccountingEvent.objects.filter(workspace=charlie_ws)
    assert theirs.exists() and set(theirs.values_list("status", flat=True)) == {"ignored"}


def test_a_replaced_key_keeps_one_set_of_subscriptions(
    client_for, alice, lexware_conn, lexware_emulator
):
    new_key = lexware_emulator.add_key(organizationId=DEFAULT_ORGANIZATION)["key"]
    response = client_for(alice).post(
        "/settings/integrations/lexware/replace/", {"lexware-replace-key": new_key}
    )
    assert response.status_code == 302
    lexware_conn.refresh_from_db()
    assert lexware_conn.callback_status == "registered"
    subscriptions = LexwareClient(new_key).event_subscriptions()
    assert sorted(s["eventType"] for s in subscriptions) == sorted(EVENT_TYPES)


def test_without_lexwares_key_a_callback_is_503_for_a_later_retry_and_nothing_stored(
    settings, lexware_invoice, lexware_emulator, callback_receiver
):
    settings.MSPERCURY_LEXWARE_PUBLIC_KEY_URL = "http://127.0.0.1:9/public_key.pub"
    lexware_emulator.pay(lexware_invoice.stripe_id, "119.00")
    lexware_emulator.flush_webhooks()
    delivery = callback_receiver.received[0]
    assert _post(delivery["path"], delivery["body"], delivery["signature"]).status_code == 503
    assert AccountingEvent.objects.count() == 0


def test_lexwares_head_probe_is_answered_for_our_url_only(lexware_conn, callback_receiver):
    path = _callback_path(lexware_conn, callback_receiver)
    assert Client().head(path).status_code == 200
    assert Client().head("/webhooks/lexware/guessed/").status_code == 404
