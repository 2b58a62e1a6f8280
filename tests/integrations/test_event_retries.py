"""A stored event whose processing fails records why, is retried with backoff (beat or the
demo's in-process schedule) and alerts owners when it waits too long (issue 13, point 7)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from billing.models import StripeSubscription
from integrations.models import StripeEvent
from integrations.webhooks import dispatch as events
from mspercury.models import Notification
from tests.integrations.test_webhook_processing import _mrr, _push, wired  # noqa: F401

# Alpha connected with webhooks registered; Stripe delivers to the live server.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("wired")]


@pytest.fixture
def locked_once(monkeypatch):
    """The first subscription event meets a locked database, as on the demo's first push."""
    real = events.HANDLERS["customer.subscription.created"]
    calls = []

    def handler(event, connection, client):
        calls.append(event.event_id)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real(event, connection, client)

    monkeypatch.setitem(events.HANDLERS, "customer.subscription.created", handler)
    return calls


def _make_due(**filters):
    StripeEvent.objects.filter(**filters).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_failed_event_records_its_error_and_the_retry_fixes_mrr(
    mixed_quote, alice, stripe_api, locked_once
):
    _push(mixed_quote, alice)
    stripe_api.flush_webhooks()

    failed = StripeEvent.objects.get(status=StripeEvent.Status.FAILED)
    assert failed.event_type == "customer.subscription.created"
    assert failed.error == "OperationalError: database is locked"
    assert failed.attempts == 1
    assert timedelta(seconds=25) < failed.next_attempt_at - timezone.now() <= timedelta(seconds=30)
    assert StripeSubscription.objects.count() == 1  # one of two is missing from the mirror
    mrr_before = _mrr(mixed_quote.workspace)["EUR"]
    assert events.retry_all_due() == {}  # not due yet

    _make_due(pk=failed.pk)
    assert events.retry_all_due() == {StripeEvent.Status.PROCESSED: 1}
    failed.refresh_from_db()
    assert (failed.status, failed.error, failed.attempts) == ("processed", "", 2)
    assert failed.next_attempt_at is None
    assert StripeSubscription.objects.count() == 2
    assert _mrr(mixed_quote.workspace)["EUR"] == _stripe_mrr(stripe_api) > mrr_before


def _stripe_mrr(stripe_api) -> Decimal:
    """Monthly recurring revenue of every subscription in the emulator, in EUR."""
    cents = Decimal(0)
    for sub in stripe_api.client().v1.subscriptions.list().data:
        for item in sub["items"].data:
            amount = Decimal(item.price.unit_amount * item.quantity)
            cents += amount / 12 if item.price.recurring.interval == "year" else amount
    return (cents / 100).quantize(Decimal("0.01"))


def test_an_event_whose_processing_was_lost_is_picked_up(mixed_quote, alice, stripe_api):
    stripe_api.pause_webhooks()
    _push(mixed_quote, alice)
    stripe_api.resume_webhooks()
    stripe_api.flush_webhooks()
    # A delivery stored but never processed (the worker died with it in hand).
    event = StripeEvent.objects.filter(event_type="invoice.created").first()
    StripeEvent.objects.filter(pk=event.pk).update(status=StripeEvent.Status.RECEIVED)
    assert events.retry_all_due() == {}  # just arrived: its own task may still be running
    StripeEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - events.LOST_AFTER - timedelta(seconds=1)
    )
    assert events.retry_all_due() == {StripeEvent.Status.PROCESSED: 1}


def test_backoff_doubles_up_to_an_hour():
    delays = [events.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_after_the_last_attempt_the_event_waits_for_a_replay(
    mixed_quote, alice, stripe_api, monkeypatch
):
    def broken(event, connection, client, also=frozenset()):
        raise OperationalError("could not obtain lock on row")  # a lock that never frees

    for kind in ("invoice.created", "invoice.finalized", "invoice.paid", "invoice.updated"):
        monkeypatch.setitem(events.HANDLERS, kind, broken)
    _push(mixed_quote, alice)
    stripe_api.flush_webhooks()
    event = StripeEvent.objects.filter(status=StripeEvent.Status.FAILED).first()
    for _attempt in range(events.MAX_ATTEMPTS - 1):
        _make_due(pk=event.pk)
        events.retry_all_due()
    event.refresh_from_db()
    assert event.attempts == events.MAX_ATTEMPTS
    assert event.status == StripeEvent.Status.FAILED
    assert event.error == "OperationalError: could not obtain lock on row"
    assert event.next_attempt_at is None  # no more automatic attempts
    assert not Notification.objects.exists()  # an outage: the stuck alert speaks for it


def test_an_event_waiting_too_long_notifies_owners_once(
    mixed_quote, alice, stripe_api, locked_once, settings
):
    settings.MSPERCURY_EVENT_ALERT_MINUTES = 5
    _push(mixed_quote, alice)
    stripe_api.flush_webhooks()
    failed = StripeEvent.objects.get(status=StripeEvent.Status.FAILED)
    assert events.retry_all_due() == {}  # failed a moment ago: no alert yet
    StripeEvent.objects.filter(pk=failed.pk).update(
        received_at=timezone.now() - timedelta(minutes=6),
        next_attempt_at=timezone.now() + timedelta(minutes=1),
    )
    mail.outbox.clear()

    assert events.retry_all_due() == {"alerted": 1}
    assert events.retry_all_due() == {"alerted": 1}  # the same fact again: notified once
    alert = Notification.objects.get(kind=Notification.Kind.EVENTS_STUCK)
    assert alert.title == "1 Stripe event not processed"
    assert "customer.subscription.created" in alert.body
    assert "OperationalError: database is locked" in alert.body
    assert alert.url == "/settings/integrations/events/?status=unprocessed"
    assert [m.to for m in mail.outbox] == [[alice.email]]


def test_the_schedule_command_runs_the_retries_without_a_beat(
    mixed_quote, alice, stripe_api, locked_once, capsys
):
    _push(mixed_quote, alice)
    stripe_api.flush_webhooks()
    _make_due(status=StripeEvent.Status.FAILED)

    call_command("run_schedule", "--once")

    assert "retry-stripe-events: {'processed': 1}" in capsys.readouterr().out
    assert not StripeEvent.objects.exclude(status=StripeEvent.Status.PROCESSED).exists()


def test_the_events_page_counts_unprocessed_events(
    mixed_quote, alice, stripe_api, locked_once, client, django_assert_max_num_queries
):
    _push(mixed_quote, alice)
    stripe_api.flush_webhooks()
    StripeEvent.objects.filter(event_type="invoice.created").update(
        status=StripeEvent.Status.RECEIVED
    )
    unprocessed = StripeEvent.objects.exclude(status=StripeEvent.Status.PROCESSED).count()
    assert unprocessed >= 2

    with django_assert_max_num_queries(12):
        page = client.get("/settings/integrations/events/")
    html = page.content.decode()
    assert f'data-unprocessed="{unprocessed}"' in html
    assert f"{unprocessed} events are not processed yet" in html
    assert "OperationalError: database is locked" in html

    listed = client.get("/settings/integrations/events/?status=unprocessed")
    assert listed.content.decode().count("Replay</button>") == unprocessed

    StripeEvent.objects.update(status=StripeEvent.Status.PROCESSED)
    done = client.get("/settings/integrations/events/").content.decode()
    assert 'data-unprocessed="0"' in done and "Every stored event is processed." in done
