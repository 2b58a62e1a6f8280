"""Failing events speak once (issue 22, point 2): an event that fails because of our code is
not retried silently; it notifies owners and admins once, with the reason and a link to the
event, and a replay after the fix repairs it and resolves the notification. Outages (Stripe's
5xx and rate limits, the network, a locked database) keep being retried without a word."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integrations.mirror import sync
from integrations.models import StripeEvent
from integrations.webhooks import dispatch as events
from integrations.webhooks import failures as event_failures
from mspercury.models import Notification
from tests.integrations.test_event_retries import locked_once  # noqa: F401 - a fixture
from tests.integrations.test_webhook_processing import (
    _assert_mirror_matches_stripe,
    _push,
    wired,  # noqa: F401
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("wired")]

STUCK = Notification.Kind.EVENTS_STUCK


def _old_all_lines(connection, invoice, client):
    """The mirror before issue 22: a call the pinned SDK does not have."""
    return list(client.v1.invoices.lines.list(invoice.id, {"limit": 100}))


@pytest.fixture
def mirror_bug(monkeypatch):
    monkeypatch.setattr(sync, "_all_lines", _old_all_lines)
    return monkeypatch


def _failed():
    return StripeEvent.objects.filter(status=StripeEvent.Status.FAILED).order_by("id")


def _invoice_ids(queryset):
    return {e.payload["data"]["object"]["id"] for e in queryset}


def _replay(client, event):
    answer = client.post(f"/settings/integrations/events/{event.public_id}/replay/")
    assert answer.status_code == 302


def test_a_fault_in_our_code_notifies_once_and_a_replay_after_the_fix_repairs_it(
    mixed_quote, alice, stripe_api, mirror_bug, client, settings
):
    settings.MSPERCURY_EVENT_ALERT_MINUTES = 5
    _push(mixed_quote, alice)
    stripe_api.flush_webhooks()

    failed = list(_failed())
    assert failed and {e.event_type.split(".")[0] for e in failed} == {"invoice"}
    # The SDK's AttributeError has no message: the place in our code says where.
    reason = failed[0].error
    where = r"integrations/mirror/sync\.py:\d+ \(apply_invoice\)"
    assert re.fullmatch(rf"AttributeError at {where}", reason)
    assert {(e.error, e.next_attempt_at, e.attempts) for e in failed} == {(reason, None, 1)}
    notices = list(Notification.objects.filter(kind=STUCK).order_by("id"))
    # One per invoice, however many of its events failed.
    assert len(notices) == len(_invoice_ids(failed))
    first = notices[0]
    assert first.title == f"Stripe event {failed[0].event_type} could not be processed"
    assert reason in first.body
    assert "This is an error in MSPercury, not in Stripe: it is not retried automatically." in (
        first.body
    )
    event_ids = {str(e.public_id) for e in failed}
    assert first.url.startswith("/settings/integrations/events/?event=")
    assert first.url.split("=", 1)[1] in event_ids
    assert sorted(m.to for m in mail.outbox if "could not be processed" in m.subject) == [
        [alice.email]
    ] * len(notices)

    # Not retried, and the "still retrying" alert does not speak for it again.
    later = timezone.now() + timedelta(hours=2)
    assert events.retry_all_due(later) == {}
    assert Notification.objects.count() == len(notices)

    # The link shows that event alone.
    page = client.get(first.url).content.decode()
    assert page.count("Replay</button>") == 1

    # A replay before the fix fails the same way: still one notification per invoice.
    mail.outbox.clear()
    _replay(client, failed[0])
    assert StripeEvent.objects.get(pk=failed[0].pk).status == StripeEvent.Status.FAILED
    assert Notification.objects.count() == len(notices) and not mail.outbox

    mirror_bug.undo()  # the code fix
    for event in failed:
        _replay(client, event)
    assert not _failed().exists()
    _assert_mirror_matches_stripe(stripe_api)
    for notice in Notification.objects.filter(kind=STUCK):
        assert "Resolved: the event was processed on" in notice.body
        assert notice.read_by.filter(pk=alice.pk).exists()
        assert notice.dedupe_key.endswith(f":resolved:{notice.pk}")
    assert Notification.objects.count() == len(notices) and not mail.outbox


@pytest.mark.parametrize("fault", ["error", "rate_limit"])
def test_a_stripe_outage_is_retried_without_a_notification(mixed_quote, alice, stripe_api, fault):
    stripe_api.pause_webhooks()
    _push(mixed_quote, alice)
    stripe_api.fault(fault, method="GET", path="/v1/invoices/*", count=None)
    stripe_api.resume_webhooks()
    stripe_api.flush_webhooks()

    failed = list(_failed())
    assert failed
    assert all(e.next_attempt_at is not None for e in failed)
    assert not Notification.objects.filter(kind=STUCK).exists()

    stripe_api.clear_faults()
    _failed().update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert events.retry_all_due() == {StripeEvent.Status.PROCESSED: len(failed)}
    assert not Notification.objects.filter(kind=STUCK).exists()
    _assert_mirror_matches_stripe(stripe_api)


def test_a_locked_database_is_retried_without_a_notification(
    mixed_quote,
    alice,
    stripe_api,
    locked_once,  # noqa: F811
):
    _push(mixed_quote, alice)
    stripe_api.flush_webhooks()
    failed = _failed().get()
    assert failed.error == "OperationalError: database is locked"
    assert failed.next_attempt_at is not None
    assert not Notification.objects.filter(kind=STUCK).exists()


def test_the_reason_never_shows_a_secret(mixed_quote, alice, stripe_api, monkeypatch):
    def leaky(event, connection, client):
        raise ValueError(f"cannot use {connection.api_key} with whsec_abcdef123456")

    monkeypatch.setitem(events.HANDLERS, "customer.subscription.created", leaky)
    _push(mixed_quote, alice)
    stripe_api.flush_webhooks()
    notices = Notification.objects.filter(kind=STUCK)
    assert notices.count() == 2  # one per subscription
    for notice in notices:
        failure = "ValueError: cannot use rk_test_*** with whsec_***"
        assert f"{failure} at integrations/webhooks/dispatch.py" in notice.body
        assert "whsec_abcdef" not in notice.body and "rk_test_emul" not in notice.body


@pytest.mark.parametrize(
    ("exc", "outage"),
    [
        (ConnectionError("reset by peer"), True),
        (TimeoutError(), True),
        (AttributeError("no attribute 'lines'"), False),
        (KeyError("lines"), False),
        (ValueError("bad"), False),
    ],
)
def test_which_failures_pass_by_themselves(exc, outage):
    assert event_failures.is_outage(exc) is outage
