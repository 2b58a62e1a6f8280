"""A contract change never jams: after the emulator's clock moved a month, a failed amendment is
re-planned from what Stripe holds now (a proration moment inside the current period, the timing
the MSP now picks) or discarded; the failure is told in words with local dates, once, to the
quote's owner; the history says what the next invoice becomes."""

import re
import time

import pytest

from integrations.models import Amendment
from integrations.push import amend_planner as amend
from integrations.push.actions import do_start_amendment
from integrations.push.amend_executor import amendment_plan, execute_amendment
from mspercury.models import AuditEvent, Notification
from tests.integrations.push.test_amendments import (
    _amend_and_reaccept,
    _apply,
    _items,
    _monthly,
    _page,
    _pushed,
)

MONTH = 31 * 24 * 3600


def _failed_after_a_month(push, quote, stripe_api, monkeypatch, bob, callbacks=None):
    """The issue's path: the clock moves a month, and the change is sent with the preview's
    moment as the planner used to send it (outside Stripe's current period)."""
    stripe_api.advance(MONTH)
    with monkeypatch.context() as m:
        m.setattr(amend, "proration_moment", lambda subscription, at: at)
        amendment, _ = do_start_amendment(
            None, push, timing="always_invoice", proration_date=int(time.time()), actor=bob
        )
        if callbacks is None:
            assert execute_amendment(amendment.pk) == "failed"
        else:
            with callbacks(execute=True):  # the failure's mail goes out on commit
                assert execute_amendment(amendment.pk) == "failed"
    amendment.refresh_from_db()
    assert "must be within the subscription's current period" in amendment.error
    return amendment


@pytest.fixture
def owned_by_bob(mixed_quote, bob):
    """The quote's owner is a member, not an admin: only being its owner brings the mail."""
    mixed_quote.created_by = bob
    mixed_quote.save(update_fields=["created_by"])
    return mixed_quote


def test_the_failure_is_told_in_words_once_to_the_owner(
    client_for,
    alice,
    bob,
    connection,
    owned_by_bob,
    stripe_api,
    monkeypatch,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    quote = owned_by_bob
    push = _pushed(quote, alice)
    _amend_and_reaccept(quote)
    _failed_after_a_month(
        push, quote, stripe_api, monkeypatch, bob, django_capture_on_commit_callbacks
    )

    html = _page(client_for(alice), quote)
    state = html[
        html.index('id="amend-state"') : html.index("</section>", html.index('id="amend-state"'))
    ]
    assert 'data-state="failed"' in state
    error = re.search(r'id="amend-error">([^<]*)<', state).group(1)
    assert not re.search(r"\d{10}", error), error  # no Unix stamps
    assert "CET" in error or "CEST" in error  # Berlin time, labelled
    assert "being applied" not in html  # one state: Failed
    assert "Re-plan and apply in Stripe" in html and 'id="amend-discard"' in html

    (notification,) = Notification.objects.filter(kind=Notification.Kind.AMENDMENT_FAILED)
    assert quote.number in notification.title and not re.search(r"\d{10}", notification.body)
    assert notification.url == f"/quotes/{quote.public_id}/stripe/amend/"
    (mail,) = [m for m in mailoutbox if quote.number in m.subject]
    assert mail.to == ["bob@example.org"]  # the quote's owner


def test_a_changed_preview_replans_and_applies(
    client_for,
    alice,
    bob,
    connection,
    owned_by_bob,
    stripe_api,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """Another timing, a fresh preview, Apply: the amendment runs the new plan (not the stored
    one) and Stripe bills the revision once; the history shows the next invoice's amount."""
    quote = owned_by_bob
    push = _pushed(quote, alice)
    lines = {x.description: str(x.public_id) for x in quote.lines.all()}
    _amend_and_reaccept(quote)
    failed = _failed_after_a_month(push, quote, stripe_api, monkeypatch, bob)

    client = client_for(alice)
    html = _page(client, quote, "create_prorations")
    at = int(re.search(r'name="proration_date" value="(\d+)"', html).group(1))
    expected = amendment_plan(push, "create_prorations", at)
    (month,) = [s for s in expected.subscriptions if s.subscription and s.changes]
    assert month.subscription.period_start <= month.proration_date < month.subscription.period_end
    assert _apply(client, quote, html, django_capture_on_commit_callbacks).status_code == 302

    amendment = Amendment.objects.get(pk=failed.pk)
    assert amendment.status == Amendment.Status.SUCCEEDED, amendment.error
    assert (amendment.timing, amendment.plan) == ("create_prorations", 2)
    items = _items(_monthly(stripe_api))
    assert items[lines["RMM agent"]] == 15 and lines["Patch management"] not in items
    sk = stripe_api.client()
    assert not [i for i in sk.v1.invoices.list().data if i.billing_reason == "subscription_update"]
    pending = sk.v1.invoice_items.list({"pending": True}).data
    assert sum(i.amount for i in pending) == expected.on_next_invoice != 0

    page = _page(client, quote)
    history = page[page.index('id="amend-history"') :]
    new_total = sum(s.new_period_amount for s in expected.subscriptions if s.subscription)
    next_invoice = new_total + expected.on_next_invoice
    assert f'data-next-invoice="{next_invoice}"' in history
    assert f"the next invoice becomes {next_invoice / 100:.2f} EUR" in history
    assert AuditEvent.objects.filter(action="stripe.amend_replanned").exists()


def test_the_history_shows_the_next_invoice_of_a_change_at_renewal(
    client_for, alice, connection, mixed_quote, stripe_api, django_capture_on_commit_callbacks
):
    """From the next period, without proration: nothing is invoiced now, and the next invoice
    is the new period amount (it used to read "next invoice 0.00")."""
    push = _pushed(mixed_quote, alice)
    _amend_and_reaccept(mixed_quote)
    client = client_for(alice)
    html = _page(client, mixed_quote, "none")
    at = int(re.search(r'name="proration_date" value="(\d+)"', html).group(1))
    expected = amendment_plan(push, "none", at)
    _apply(client, mixed_quote, html, django_capture_on_commit_callbacks)
    before = sum(s.old_period_amount for s in expected.subscriptions if s.subscription)
    after = sum(s.new_period_amount for s in expected.subscriptions if s.subscription)
    assert after - before == 1350 - 2520
    history = _page(client, mixed_quote)
    assert f'data-next-invoice="{after}"' in history
    assert f"becomes {after / 100:.2f} EUR (was {before / 100:.2f})" in history


def test_a_failed_change_can_be_discarded_and_planned_again(
    client_for,
    alice,
    bob,
    connection,
    owned_by_bob,
    stripe_api,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    quote = owned_by_bob
    push = _pushed(quote, alice)
    _amend_and_reaccept(quote)
    failed = _failed_after_a_month(push, quote, stripe_api, monkeypatch, bob)
    client = client_for(alice)
    r = client.post(f"/quotes/{quote.public_id}/stripe/amend/{failed.public_id}/discard/")
    assert r.status_code == 302
    failed.refresh_from_db()
    assert failed.status == Amendment.Status.DISCARDED
    event = AuditEvent.objects.get(action="stripe.amend_discarded")
    assert "must be within" in event.details["previous_error"]
    html = _page(client, quote)
    assert 'data-state="discarded"' in html and 'id="amend-discard"' not in html
    assert execute_amendment(failed.pk) == "discarded"  # a late worker writes nothing
    assert _apply(client, quote, html, django_capture_on_commit_callbacks).status_code == 302
    failed.refresh_from_db()
    assert failed.status == Amendment.Status.SUCCEEDED, failed.error


def test_a_member_cannot_discard_and_an_outsider_gets_404(
    client_for, alice, bob, charlie, connection, owned_by_bob, stripe_api, monkeypatch
):
    quote = owned_by_bob
    push = _pushed(quote, alice)
    _amend_and_reaccept(quote)
    failed = _failed_after_a_month(push, quote, stripe_api, monkeypatch, bob)
    url = f"/quotes/{quote.public_id}/stripe/amend/{failed.public_id}/discard/"
    assert client_for(charlie).post(url).status_code == 404
    client_for(bob).post(url)
    failed.refresh_from_db()
    assert failed.status == Amendment.Status.FAILED
