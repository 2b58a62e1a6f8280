"""An invoice is issued when Stripe finalizes it, on that day in the MSP's time zone (issue 22,
points 3 and 6): the mirror keeps `status_transitions.finalized_at`, not `created`."""

from datetime import UTC, date, datetime, timedelta

import pytest

from billing.models import StripeInvoice
from integrations.mirror.sync import sync_invoice
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connection(stripe_api, alpha):
    """Alpha (a German workspace, no explicit zone: Europe/Berlin) on the emulator's account."""
    return factories.stripe_connection(alpha)


def _next(now: datetime, month: int | None, day: int, hour: int, minute: int = 0) -> datetime:
    """The first such moment (UTC) at least a day after ``now`` (the clock only moves on)."""
    candidate = now + timedelta(days=1)
    while True:
        if month in (None, candidate.month) and day <= _last_day(candidate):
            target = candidate.replace(day=day, hour=hour, minute=minute, second=0, microsecond=0)
            if target > now + timedelta(days=1):
                return target
        candidate = (candidate.replace(day=1) + timedelta(days=32)).replace(day=1)


def _last_day(moment: datetime) -> int:
    return ((moment.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)).day


def _move_to(stripe_api, moment: datetime) -> None:
    stripe_api.advance(int(moment.timestamp()) - stripe_api.now())


def _now(stripe_api) -> datetime:
    return datetime.fromtimestamp(stripe_api.now(), tz=UTC)


def _draft(stripe_api, workspace) -> str:
    sk = stripe_api.client()
    customer = sk.v1.customers.create(
        {"name": "Muster GmbH", "metadata": {"mspercury_workspace": str(workspace.public_id)}}
    )
    invoice = sk.v1.invoices.create(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 14}
    )
    sk.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "amount": 10000, "currency": "eur"}
    )
    return invoice.id


def test_a_draft_of_the_7th_finalized_on_the_9th_is_issued_on_the_9th(stripe_api, connection):
    created = _next(_now(stripe_api), None, 7, 10)
    _move_to(stripe_api, created)
    invoice_id = _draft(stripe_api, connection.workspace)
    draft = sync_invoice(connection, invoice_id)
    assert (draft.status, draft.finalized_at) == ("draft", None)

    finalized = created + timedelta(days=2)
    _move_to(stripe_api, finalized)
    stripe_api.client().v1.invoices.finalize_invoice(invoice_id)
    mirror = sync_invoice(connection, invoice_id)

    assert mirror.status == "open"
    assert mirror.created == pytest.approx(created, abs=timedelta(seconds=2))
    assert mirror.finalized_at == pytest.approx(finalized, abs=timedelta(seconds=2))
    assert mirror.issued_on == date(finalized.year, finalized.month, 9)
    assert StripeInvoice.objects.get(pk=mirror.pk).issued_on.day == 9


def test_half_past_eleven_utc_on_new_years_eve_is_issued_on_new_years_day_in_berlin(
    stripe_api, connection
):
    """23:30 UTC on 31 December is 00:30 on 1 January in Berlin (CET, UTC+1)."""
    eve = _next(_now(stripe_api), 12, 31, 23, 30)
    _move_to(stripe_api, eve - timedelta(hours=5))
    invoice_id = _draft(stripe_api, connection.workspace)
    _move_to(stripe_api, eve)
    stripe_api.client().v1.invoices.finalize_invoice(invoice_id)

    mirror = sync_invoice(connection, invoice_id)

    assert mirror.finalized_at.astimezone(UTC).date() == date(eve.year, 12, 31)
    assert mirror.issued_on == date(eve.year + 1, 1, 1)
    connection.workspace.time_zone = "UTC"  # a workspace that keeps UTC issues on the 31st
    connection.workspace.save()
    assert StripeInvoice.objects.get(pk=mirror.pk).issued_on == date(eve.year, 12, 31)


def test_a_date_of_issue_the_msp_set_in_stripe_is_the_issue_date(stripe_api, connection):
    """An ``effective_at`` set on the draft replaces Stripe's "Date of issue"; so it does ours."""
    created = _next(_now(stripe_api), None, 7, 10)
    _move_to(stripe_api, created)
    invoice_id = _draft(stripe_api, connection.workspace)
    chosen = created - timedelta(days=3)
    sk = stripe_api.client()
    sk.v1.invoices.update(invoice_id, {"effective_at": int(chosen.timestamp())})
    _move_to(stripe_api, created + timedelta(days=1))
    sk.v1.invoices.finalize_invoice(invoice_id)

    mirror = sync_invoice(connection, invoice_id)

    assert mirror.finalized_at == pytest.approx(chosen, abs=timedelta(seconds=2))
    assert mirror.issued_on == chosen.date()
