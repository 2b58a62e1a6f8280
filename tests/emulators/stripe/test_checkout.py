"""Checkout Sessions (mode=payment) and the hosted page's Pay and Decline buttons."""

import time
import urllib.error
import urllib.request

import pytest
import stripe

from .helpers import event_types


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _press(url, button):
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(f"{url}/{button}", data=b"choice=" + button.encode())
    try:
        with opener.open(request) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


def _session(client, **extra):
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "eur",
                    "product_data": {"name": "Invoice 2024-001"},
                    "unit_amount": 11900,
                },
                "quantity": 1,
            }
        ],
        "success_url": "https://msp.test/pay/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://msp.test/pay/cancel",
        "metadata": {"invoice": "in_local_1"},
        **extra,
    }
    return client.v1.checkout.sessions.create(params)


def test_pay_completes_the_session(stripe_emulator):
    """The hosted page shows the amount; Pay completes the session (payment intent
    succeeded, checkout.session.completed) and redirects to success_url with the id."""
    client = stripe_emulator.client()
    session = _session(client)
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status, session.amount_total) == (
        "open",
        "unpaid",
        11900,
    )
    assert session.expires_at == session.created + 24 * 3600
    with urllib.request.urlopen(session.url) as page:
        html = page.read().decode()
    assert "€119.00" in html and "Pay" in html and "Decline" in html
    status, headers, _ = _press(session.url, "pay")
    assert status == 303
    assert headers["Location"] == f"https://msp.test/pay/done?session={session.id}"
    done = client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.payment_intent.status == "succeeded"
    assert done.metadata["invoice"] == "in_local_1"
    assert "checkout.session.completed" in event_types(client)
    line_items = client.v1.checkout.sessions.line_items.list(session.id)
    assert line_items.data[0].description == "Invoice 2024-001"


def test_decline_fails_the_payment_and_keeps_the_session_open(stripe_emulator):
    """Decline shows a declined card, leaves the session open (payment_intent.payment_failed);
    a later Pay still completes it."""
    client = stripe_emulator.client()
    session = _session(client)
    status, _, html = _press(session.url, "decline")
    assert status == 402
    assert "declined" in html
    after = client.v1.checkout.sessions.retrieve(session.id)
    assert (after.status, after.payment_status) == ("open", "unpaid")
    assert "payment_intent.payment_failed" in event_types(client)
    _press(session.url, "pay")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"


def test_sessions_expire_by_call_and_by_clock(stripe_emulator):
    """expire() and the passing of expires_at both expire an open session and emit
    checkout.session.expired; expires_at must be 30 minutes to 24 hours out."""
    client = stripe_emulator.client()
    expired = client.v1.checkout.sessions.expire(_session(client).id)
    assert expired.status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(expired.id)
    now = int(time.time()) + 5
    with pytest.raises(stripe.InvalidRequestError, match="at least 30 minutes"):
        _session(client, expires_at=now + 29 * 60)
    with pytest.raises(stripe.InvalidRequestError, match="less than 24 hours"):
        _session(client, expires_at=now + 24 * 3600 + 60)
    short = _session(client, expires_at=now + 31 * 60)
    stripe_emulator.advance(32 * 60)
    assert client.v1.checkout.sessions.retrieve(short.id).status == "expired"
    assert event_types(client).count("checkout.session.expired") == 2
    with pytest.raises(urllib.error.HTTPError) as page:
        urllib.request.urlopen(f"{stripe_emulator.base_url}/c/pay/{short.id}")
    assert page.value.code == 410
    assert "expired" in page.value.read().decode()


def test_it_lists_sessions_and_rejects_what_it_does_not_emulate(stripe_emulator):
    """Sessions list newest first; subscription mode and removed params are rejected."""
    client = stripe_emulator.client()
    first, second = _session(client), _session(client)
    assert [s.id for s in client.v1.checkout.sessions.list().data] == [second.id, first.id]
    with pytest.raises(stripe.InvalidRequestError, match="mode=payment"):
        _session(client, mode="subscription")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _session(client, payment_method_types=["card"])
    assert caught.value.code == "parameter_unknown"
    rate = client.v1.tax_rates.create({"display_name": "VAT", "inclusive": False, "percentage": 19})
    line = {
        "price_data": {"currency": "eur", "product_data": {"name": "X"}, "unit_amount": 100},
        "quantity": 1,
        "tax_rates": [rate.id],
    }
    with pytest.raises(stripe.InvalidRequestError, match="does not emulate") as caught:
        _session(client, line_items=[line])  # the total would leave the tax out
    assert caught.value.param == "line_items[0][tax_rates]"


def test_a_sepa_debit_completes_unpaid_and_the_bank_answers_later(stripe_emulator):
    """SEPA Direct Debit is asynchronous: the session completes with payment_status unpaid
    (payment intent processing); the bank's answer emits async_payment_succeeded or _failed."""
    client = stripe_emulator.client()
    sessions = [_session(client, allowed_payment_method_types=["sepa_debit"]) for _ in range(2)]
    with urllib.request.urlopen(sessions[0].url) as page:
        html = page.read().decode()
    assert "Pay by SEPA Direct Debit" in html and "Decline" not in html  # no card offered
    assert _press(sessions[0].url, "pay")[0] == 303  # not a card session: back to the page
    assert client.v1.checkout.sessions.retrieve(sessions[0].id).status == "open"
    for session, answer in zip(sessions, ["debit_succeeds", "debit_fails"], strict=True):
        _press(session.url, "sepa")
        pending = client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
        assert (pending.status, pending.payment_status) == ("complete", "unpaid")
        assert pending.payment_intent.status == "processing"
        assert pending.allowed_payment_method_types == ["sepa_debit"]
        _press(session.url, answer)
    paid, bounced = (
        client.v1.checkout.sessions.retrieve(s.id, {"expand": ["payment_intent.latest_charge"]})
        for s in sessions
    )
    assert paid.payment_status == "paid" and paid.payment_intent.status == "succeeded"
    details = paid.payment_intent.latest_charge.payment_method_details
    assert (details.type, details.sepa_debit.country) == ("sepa_debit", "DE")
    assert bounced.payment_status == "unpaid"
    assert bounced.payment_intent.status == "requires_payment_method"
    types = event_types(client)
    assert types.count("checkout.session.completed") == 2
    assert "checkout.session.async_payment_succeeded" in types
    assert "checkout.session.async_payment_failed" in types


def test_it_refuses_sepa_outside_euros_and_methods_it_does_not_emulate(stripe_emulator):
    client = stripe_emulator.client()
    line = {
        "price_data": {"currency": "usd", "product_data": {"name": "X"}, "unit_amount": 100},
        "quantity": 1,
    }
    with pytest.raises(stripe.InvalidRequestError, match="supports only `eur`"):
        _session(client, line_items=[line], allowed_payment_method_types=["sepa_debit"])
    with pytest.raises(stripe.InvalidRequestError, match="card and sepa_debit"):
        _session(client, allowed_payment_method_types=["ideal"])
