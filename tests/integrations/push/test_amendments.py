"""Amendments against the emulator: a pushed quote's accepted new revision changes its running
subscriptions exactly once, with the proration the preview showed; ending a contract."""

import re
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from integrations.models import Amendment, Push
from integrations.push.actions import PushRefused, do_start_amendment, do_start_push
from integrations.push.amend_executor import amendment_plan, execute_amendment
from integrations.push.executor import execute_push
from quotes.actions import do_delete_line, do_update_line
from quotes.models import QuoteLine
from tests.quotes.share_helpers import accept_data, page_url, share

D = Decimal


def _pushed(quote, alice) -> Push:
    push, _ = do_start_push(None, quote, actor=alice)
    assert execute_push(push.pk) == "succeeded"
    push.refresh_from_db()
    return push


def _reaccept(quote):
    """The customer accepts the edited revision on a fresh share link."""
    _, token = share(quote)
    client = Client()
    html = client.get(page_url(token)).content.decode()
    assert client.post(page_url(token, "accept"), accept_data(html)).status_code == 302
    quote.refresh_from_db()


def _amend_and_reaccept(quote):
    """3 more RMM agents, patch management removed; the customer accepts on the share page."""
    do_update_line(QuoteLine.objects.get(quote=quote, description="RMM agent"), quantity=D("15"))
    do_delete_line(QuoteLine.objects.get(quote=quote, description="Patch management"))
    _reaccept(quote)
    quote.refresh_from_db()


def _monthly(stripe_api):
    sk = stripe_api.client()
    return next(
        s
        for s in sk.v1.subscriptions.list().data
        if s["items"].data[0].price.recurring.interval == "month"
    )


def _items(subscription) -> dict[str, int]:
    return {
        item.metadata["mspercury_line_id"]: item.quantity for item in subscription["items"].data
    }


def _page(client, quote, timing=""):
    url = f"/quotes/{quote.public_id}/stripe/amend/" + (f"?timing={timing}" if timing else "")
    return client.get(url).content.decode()


def _apply(client, quote, html, callbacks):
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))
    with callbacks(execute=True):
        return client.post(f"/quotes/{quote.public_id}/stripe/amend/apply/", fields)


def test_the_preview_lists_each_change_and_what_is_billed_now(
    client_for, alice, connection, mixed_quote, stripe_api
):
    push = _pushed(mixed_quote, alice)
    _amend_and_reaccept(mixed_quote)
    html = _page(client_for(alice), mixed_quote)
    assert 'data-change="quantity"' in html and 'data-change="remove"' in html
    assert "RMM agent" in html and "Patch management" in html
    plan = amendment_plan(push, "always_invoice", int(time.time()))
    (month,) = [s for s in plan.subscriptions if s.changes]
    # 12 → 15 at 4.50: +13.50 a month; patch management (12 × 2.10) gone: -25.20.
    assert month.new_period_amount - month.old_period_amount == 1350 - 2520
    assert plan.charged_now < 0  # more credited than charged
    assert f'data-total="now">{D(plan.charged_now) / 100:.2f} EUR' in html


def test_applying_with_proration_now_changes_the_subscription_once(
    client_for, alice, connection, mixed_quote, stripe_api, django_capture_on_commit_callbacks
):
    push = _pushed(mixed_quote, alice)
    lines = {x.description: str(x.public_id) for x in mixed_quote.lines.all()}
    _amend_and_reaccept(mixed_quote)
    client = client_for(alice)
    html = _page(client, mixed_quote)
    at = int(re.search(r'name="proration_date" value="(\d+)"', html).group(1))
    expected = amendment_plan(push, "always_invoice", at)
    assert _apply(client, mixed_quote, html, django_capture_on_commit_callbacks).status_code == 302

    amendment = Amendment.objects.get(push=push)
    assert amendment.status == Amendment.Status.SUCCEEDED, amendment.error
    items = _items(_monthly(stripe_api))
    assert items[lines["RMM agent"]] == 15 and lines["Patch management"] not in items
    sk = stripe_api.client()
    updates = [i for i in sk.v1.invoices.list().data if i.billing_reason == "subscription_update"]
    assert [i.total for i in updates] == [expected.charged_now]
    push.refresh_from_db()
    assert push.billed_revision == mixed_quote.revision

    # Applying again creates nothing.
    again = _page(client, mixed_quote)
    assert 'id="amend-nothing"' in again and 'data-amendment="' in again
    history = again[again.index('id="amend-history"') :]
    assert "RMM agent: 12 → 15" in history and "Patch management removed" in history
    assert "Carla Customer" in history  # who accepted the revision
    with pytest.raises(PushRefused):
        do_start_amendment(None, push, timing="always_invoice", proration_date=at)
    assert Amendment.objects.count() == 1


@pytest.mark.parametrize("timing", ["create_prorations", "none"])
def test_later_timings_invoice_nothing_now(
    client_for,
    alice,
    connection,
    mixed_quote,
    stripe_api,
    timing,
    django_capture_on_commit_callbacks,
):
    push = _pushed(mixed_quote, alice)
    _amend_and_reaccept(mixed_quote)
    client = client_for(alice)
    html = _page(client, mixed_quote, timing)
    at = int(re.search(r'name="proration_date" value="(\d+)"', html).group(1))
    expected = amendment_plan(push, timing, at)
    _apply(client, mixed_quote, html, django_capture_on_commit_callbacks)
    assert Amendment.objects.get(push=push).status == Amendment.Status.SUCCEEDED
    sk = stripe_api.client()
    assert not [i for i in sk.v1.invoices.list().data if i.billing_reason == "subscription_update"]
    pending = sk.v1.invoice_items.list({"pending": True}).data
    assert sum(i.amount for i in pending) == expected.on_next_invoice
    assert (expected.on_next_invoice != 0) == (timing == "create_prorations")

    # The next invoice is the new contract plus what the preview said it adds, to the cent.
    (month,) = [c for c in expected.subscriptions if c.subscription and c.changes]
    stripe_api.advance(month.subscription.period_end - stripe_api.now() + 3600 * 2)
    renewal = next(
        i
        for i in sk.v1.invoices.list({"subscription": month.subscription.id}).data
        if i.billing_reason == "subscription_cycle"
    )
    assert renewal.subtotal == month.new_period_amount + expected.on_next_invoice


def test_a_change_made_in_the_stripe_dashboard_is_refused(
    client_for, alice, connection, mixed_quote, stripe_api, django_capture_on_commit_callbacks
):
    _pushed(mixed_quote, alice)
    monthly = _monthly(stripe_api)
    edr = next(i for i in monthly["items"].data if i.quantity == 12 and i.price.unit_amount == 690)
    stripe_api.client().v1.subscriptions.update(
        monthly.id, {"items": [{"id": edr.id, "quantity": 20}], "proration_behavior": "none"}
    )
    _amend_and_reaccept(mixed_quote)
    client = client_for(alice)
    html = _page(client, mixed_quote)
    assert 'data-problem="changed_in_stripe"' in html
    assert "now 20 × 690; MSPercury wrote 12 × 690" in html
    assert re.search(r'<button type="submit" disabled>Apply in Stripe', html)
    _apply(client, mixed_quote, html, django_capture_on_commit_callbacks)
    assert not Amendment.objects.exists()
    assert (
        _items(_monthly(stripe_api))[str(mixed_quote.lines.get(description="RMM agent").public_id)]
        == 12
    )


def test_a_lost_answer_resumes_without_a_second_change(alice, connection, mixed_quote, stripe_api):
    push = _pushed(mixed_quote, alice)
    _amend_and_reaccept(mixed_quote)
    monthly = _monthly(stripe_api)
    amendment, created = do_start_amendment(
        None, push, timing="always_invoice", proration_date=int(time.time()), actor=alice
    )
    assert created
    stripe_api.fault("drop", method="POST", path=f"/v1/subscriptions/{monthly.id}", count=None)
    assert execute_amendment(amendment.pk) == "failed"
    stripe_api.clear_faults()
    stripe_api.config(idempotency_ttl=0)  # Stripe forgot the key: only our records remain
    push.refresh_from_db()
    do_start_amendment(None, push, timing="always_invoice", proration_date=int(time.time()))
    assert execute_amendment(amendment.pk) == "succeeded"
    sk = stripe_api.client()
    updates = [i for i in sk.v1.invoices.list().data if i.billing_reason == "subscription_update"]
    assert len(updates) == 1


def test_two_applies_at_once_make_one_amendment(alice, connection, mixed_quote, stripe_api):
    push = _pushed(mixed_quote, alice)
    _amend_and_reaccept(mixed_quote)
    at = int(time.time())
    first, created = do_start_amendment(None, push, timing="none", proration_date=at)
    second, again = do_start_amendment(None, push, timing="always_invoice", proration_date=at)
    assert created and not again and first.pk == second.pk
    assert Amendment.objects.get().timing == "none"


def test_an_old_preview_is_refused(alice, connection, mixed_quote, stripe_api):
    push = _pushed(mixed_quote, alice)
    _amend_and_reaccept(mixed_quote)
    with pytest.raises(PushRefused, match="out of date"):
        do_start_amendment(None, push, timing="none", proration_date=int(time.time()) - 7200)


def test_nothing_is_applied_before_the_customer_accepts(alice, connection, mixed_quote, stripe_api):
    push = _pushed(mixed_quote, alice)
    do_update_line(
        QuoteLine.objects.get(quote=mixed_quote, description="RMM agent"), quantity=D("15")
    )
    with pytest.raises(PushRefused, match="Nothing to apply"):
        do_start_amendment(None, push, timing="none", proration_date=int(time.time()))


def test_ending_the_contract_at_period_end_on_a_date_or_not(
    client_for, alice, connection, mixed_quote, stripe_api
):
    _pushed(mixed_quote, alice)
    monthly = _monthly(stripe_api)
    client = client_for(alice)
    url = f"/quotes/{mixed_quote.public_id}/stripe/subscriptions/{monthly.id}/end/"
    sk = stripe_api.client()

    client.post(url, {"when": "period_end", "confirm": "yes"})
    assert sk.v1.subscriptions.retrieve(monthly.id).cancel_at_period_end
    client.post(url, {"when": "keep"})
    assert not sk.v1.subscriptions.retrieve(monthly.id).cancel_at_period_end
    day = date.today() + timedelta(days=10)  # within the current period
    client.post(url, {"when": "date", "date": day.isoformat(), "confirm": "yes"})
    ends = sk.v1.subscriptions.retrieve(monthly.id).cancel_at
    berlin = ZoneInfo("Europe/Berlin")  # the German workspace's zone: local midnight, not UTC's
    assert ends == int(datetime(day.year, day.month, day.day, tzinfo=berlin).timestamp())

    r = client.post(url, {"when": "date", "date": "yesterday"}, follow=True)
    assert "Enter the end date as YYYY-MM-DD." in r.content.decode()
    other = client.post(
        f"/quotes/{mixed_quote.public_id}/stripe/subscriptions/sub_unknown/end/",
        {"when": "period_end"},
        follow=True,
    )
    assert "does not belong to this quote" in other.content.decode()


def test_another_workspace_cannot_see_or_amend(
    client_for, charlie, alice, connection, mixed_quote, stripe_api
):
    _pushed(mixed_quote, alice)
    client = client_for(charlie)
    assert client.get(f"/quotes/{mixed_quote.public_id}/stripe/amend/").status_code == 404
    monthly = _monthly(stripe_api)
    r = client.post(
        f"/quotes/{mixed_quote.public_id}/stripe/subscriptions/{monthly.id}/end/",
        {"when": "period_end"},
    )
    assert r.status_code == 404
    assert not stripe_api.client().v1.subscriptions.retrieve(monthly.id).cancel_at_period_end


AMEND_STEPS = [
    ("GET", "/v1/subscriptions/*"),
    ("POST", "/v1/products"),
    ("POST", "/v1/invoiceitems"),
    ("POST", "/v1/subscriptions/*"),
    ("POST", "/v1/subscriptions"),
]


def _grow(quote):
    """3 more seats, a new monthly line, the yearly line swapped for another (a new product)
    and a one-time line: every kind of write an amendment makes on running subscriptions."""
    from tests.factories import add_line, service

    do_update_line(QuoteLine.objects.get(quote=quote, description="RMM agent"), quantity=D("15"))
    add_line(quote, service(quote.workspace, "SIEM seat", "monthly", "7.00"), "4")
    add_line(quote, service(quote.workspace, "Audit (annual)", "yearly", "900.00", "unit"), "1")
    add_line(quote, service(quote.workspace, "Migration", "one_time", "150.00", "unit"), "1")
    do_delete_line(QuoteLine.objects.get(quote=quote, description="Backup licence (annual)"))
    _reaccept(quote)
    quote.refresh_from_db()


@pytest.mark.parametrize("action", ["error", "drop"])
@pytest.mark.parametrize(("method", "path"), AMEND_STEPS)
def test_every_fault_resumes_to_one_change(
    alice, connection, mixed_quote, stripe_api, method, path, action
):
    """Whatever fails, before or after its effect: after a retry Stripe holds the new revision
    once (one item each, the yearly line swapped on the yearly subscription, one one-time item,
    one proration invoice per changed subscription)."""
    push = _pushed(mixed_quote, alice)
    _grow(mixed_quote)
    amendment, _ = do_start_amendment(
        None, push, timing="always_invoice", proration_date=int(time.time()), actor=alice
    )
    stripe_api.fault(action, method=method, path=path, count=None, status=500)
    first = execute_amendment(amendment.pk)
    stripe_api.clear_faults()
    if first == "failed":
        push.refresh_from_db()
        do_start_amendment(None, push, timing="always_invoice", proration_date=int(time.time()))
        assert execute_amendment(amendment.pk) == "succeeded", Amendment.objects.get().error
    sk = stripe_api.client()
    subs = sk.v1.subscriptions.list({"status": "all"}).data
    active = [s for s in subs if not s.cancel_at_period_end]
    descriptions = sorted(
        (s["items"].data[0].price.recurring.interval, len(s["items"].data)) for s in active
    )
    assert descriptions == [("month", 7), ("year", 1)]
    assert len(subs) == 2
    lines = {str(x.public_id): x for x in mixed_quote.lines.all()}
    migration = [
        i
        for i in sk.v1.invoice_items.list({"limit": 100}).data
        if i.metadata.to_dict().get("mspercury_line_id") in lines
        and lines[i.metadata["mspercury_line_id"]].description == "Migration"
    ]
    assert len(migration) == 1
    updates = [i for i in sk.v1.invoices.list().data if i.billing_reason == "subscription_update"]
    assert sorted(i.parent.subscription_details.subscription for i in updates) == sorted(
        s.id for s in subs
    )  # each subscription's prorations, once
    push.refresh_from_db()
    assert push.billed_revision == mixed_quote.revision


def test_a_line_of_a_new_interval_gets_a_subscription_of_its_own(
    alice, connection, fr_customer, stripe_api
):
    from quotes.actions import do_create_quote
    from tests.factories import accept, add_line, service

    quote = do_create_quote(connection.workspace, fr_customer, user=alice, currency="EUR")
    add_line(quote, service(quote.workspace, "RMM agent", "monthly", "4.50"), "12")
    accept(quote, alice)
    quote.refresh_from_db()
    push = _pushed(quote, alice)
    add_line(quote, service(quote.workspace, "Audit (annual)", "yearly", "900.00", "unit"), "1")
    _reaccept(quote)
    plan = amendment_plan(push, "none", int(time.time()))
    assert [s.key for s in plan.subscriptions] == [
        f"update:{plan.subscriptions[0].subscription.id}",
        "create:year",
    ]
    amendment, _ = do_start_amendment(None, push, timing="none", proration_date=int(time.time()))
    assert execute_amendment(amendment.pk) == "succeeded"
    sk = stripe_api.client()
    subs = sk.v1.subscriptions.list().data
    yearly = next(s for s in subs if s["items"].data[0].price.recurring.interval == "year")
    monthly = next(s for s in subs if s.id != yearly.id)
    assert yearly.customer == monthly.customer
    assert (yearly.collection_method, yearly.days_until_due) == ("send_invoice", 14)
    assert yearly.metadata.to_dict() == monthly.metadata.to_dict()
    assert [i.price.unit_amount for i in yearly["items"].data] == [90000]
    push.refresh_from_db()
    assert set(push.billed_items) == {monthly.id, yearly.id}


def test_ending_defaults_to_keep_and_asks_first_naming_what_stops(
    client_for, alice, connection, mixed_quote, stripe_api
):
    """ "Keep it running" is preselected; ending shows a confirmation naming the subscription,
    the local end date and every line that stops being billed, and changes nothing in Stripe
    until it is confirmed."""
    from integrations.mirror.sync import sync_subscription

    _pushed(mixed_quote, alice)
    monthly = _monthly(stripe_api)
    sync_subscription(connection, monthly.id)  # the mirror the webhook keeps
    client = client_for(alice)
    html = _page(client, mixed_quote)
    form = html[html.index(f'data-subscription="{monthly.id}"') :]
    assert re.search(r'<select name="when"><option value="keep" selected>', form)

    url = f"/quotes/{mixed_quote.public_id}/stripe/subscriptions/{monthly.id}/end/"
    confirm = client.post(url, {"when": "period_end"}).content.decode()
    assert 'id="contract-end-confirm"' in confirm
    assert monthly.id in confirm and "RMM agent" in confirm and "Patch management" in confirm
    period_end = monthly["items"].data[0].current_period_end
    local = datetime.fromtimestamp(period_end, tz=UTC).astimezone(connection.workspace.zone)
    assert f'data-ends-on="{local.date().isoformat()}"' in confirm
    per_period = sum(i.quantity * i.price.unit_amount for i in monthly["items"].data)
    assert f'data-per-period="{per_period}"' in confirm
    assert not stripe_api.client().v1.subscriptions.retrieve(monthly.id).cancel_at_period_end

    client.post(url, {"when": "period_end", "confirm": "yes"})
    assert stripe_api.client().v1.subscriptions.retrieve(monthly.id).cancel_at_period_end
