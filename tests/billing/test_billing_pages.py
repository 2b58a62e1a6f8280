"""Invoices page, notifications page, Stripe events page: filters, access, query counts."""

import re
from datetime import UTC, datetime

import pytest
from django.conf import settings

from billing.models import StripeInvoice
from customers.models import Customer
from integrations.models import StripeEvent
from mspercury.models import Notification
from mspercury.notify import notify


def _invoice(workspace, n, *, status="open", customer=None, created=None, external=""):
    return StripeInvoice.objects.create(
        workspace=workspace,
        account_ref="acct_1",
        stripe_id=f"in_{n}",
        number=f"INV-{n:04d}",
        status=status,
        external_status=external,
        currency="EUR",
        total=10000,
        amount_due=10000,
        amount_remaining=10000 if status == "open" else 0,
        amount_paid=10000 if status == "paid" else 0,
        customer=customer,
        created=created or datetime(2026, 11, 5, tzinfo=UTC),
    )


@pytest.fixture
def acme(alpha):
    return Customer.objects.create(workspace=alpha, company_name="ACME")


def test_invoices_page_filters_by_status_customer_and_month(client_for, alice, alpha, acme):
    _invoice(alpha, 1, status="paid", customer=acme)
    _invoice(alpha, 2, status="open", external="PAYMENT_FAILED")
    _invoice(alpha, 3, status="open", customer=acme, created=datetime(2026, 10, 3, tzinfo=UTC))
    client = client_for(alice)
    html = client.get("/billing/invoices/").content.decode()
    assert all(f"INV-000{n}" in html for n in (1, 2, 3))
    html = client.get("/billing/invoices/?status=paid").content.decode()
    assert "INV-0001" in html and "INV-0002" not in html
    html = client.get(f"/billing/invoices/?customer={acme.public_id}").content.decode()
    assert "INV-0001" in html and "INV-0003" in html and "INV-0002" not in html
    html = client.get("/billing/invoices/?period=2026-10").content.decode()
    assert "INV-0003" in html and "INV-0001" not in html
    # The month filter is a styled select of the months that have invoices, up to today.
    assert 'type="month"' not in html
    assert '<option value="2026-10" selected>October 2026</option>' in html
    assert '<option value="2026-09"' not in html
    assert "Payment failed</span>" in client.get("/billing/invoices/?status=open").content.decode()


def test_invoices_page_shows_one_status_each_and_no_stripe_ids_as_numbers(client_for, alice, alpha):
    _invoice(alpha, 1, status="paid", external="PAID")
    _invoice(alpha, 2, status="open", external="FINALIZED")
    _invoice(alpha, 3, status="open", external="PAYMENT_FAILED")
    draft = _invoice(alpha, 4, status="draft")
    StripeInvoice.objects.filter(pk=draft.pk).update(number="")
    client = client_for(alice)
    html = client.get("/billing/invoices/").content.decode()
    pills = re.findall(r'<span class="pill ([a-z]*)" data-status="(\w+)">([^<]+)</span>', html)
    assert sorted(pills) == [
        ("", "draft", "Draft"),
        ("green", "paid", "Paid"),
        ("red", "open", "Payment failed"),
        ("yellow", "open", "Open"),
    ]
    for raw in ("PAID", "FINALIZED", "PAYMENT_FAILED"):
        assert raw not in html
    number_cell = re.search(r'<td class="nowrap">(<span class="muted"[^>]*>[^<]*</span>)', html)
    assert "not numbered yet" in number_cell.group(1)
    assert ">in_4<" not in html  # the Stripe id is not shown as if it were a number
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    german = client.get("/billing/invoices/").content.decode()
    assert "noch nicht nummeriert" in german and ">Zahlung fehlgeschlagen</span>" in german


def test_invoices_page_query_count_is_flat(
    client_for, alice, alpha, acme, django_assert_max_num_queries
):
    for n in range(60):
        _invoice(alpha, n, customer=acme)
    client = client_for(alice)
    with django_assert_max_num_queries(10):
        assert client.get("/billing/invoices/").status_code == 200


def test_invoices_and_customers_of_other_workspaces_stay_invisible(
    client_for, charlie, alpha, acme
):
    _invoice(alpha, 1, customer=acme)
    client = client_for(charlie)
    assert "INV-0001" not in client.get("/billing/invoices/").content.decode()
    assert client.get(f"/billing/invoices/?customer={acme.public_id}").status_code == 404


def test_notifications_are_listed_once_and_can_be_marked_read(client_for, alice, alpha, mailoutbox):
    for _ in range(2):
        notify(
            alpha,
            Notification.Kind.PUSH_FAILED,
            "push:1",
            "Push of Q-2026-0001 failed",
            "Customer has no email address",
            "/quotes/",
        )
    assert Notification.objects.count() == 1
    client = client_for(alice)
    html = client.get("/billing/notifications/").content.decode()
    assert "Push of Q-2026-0001 failed" in html
    assert 'data-testid="unread-count">1<' in client.get("/").content.decode()
    client.post("/billing/notifications/read/")
    assert 'data-testid="unread-count"' not in client.get("/").content.decode()


def test_events_page_lists_and_replays_failed_events(
    client_for, alice, alpha, bob, django_capture_on_commit_callbacks
):
    event = StripeEvent.objects.create(
        workspace=alpha,
        stripe_account="acct_1",
        event_id="evt_1",
        event_type="invoice.paid",
        payload={
            "id": "evt_1",
            "type": "invoice.paid",
            "data": {"object": {"id": "in_1", "object": "invoice"}},
        },
        status=StripeEvent.Status.FAILED,
        error="No such invoice",
    )
    client = client_for(alice)
    html = client.get("/settings/integrations/events/?status=failed").content.decode()
    assert "evt_1" in html and "No such invoice" in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/settings/integrations/events/{event.public_id}/replay/")
    event.refresh_from_db()
    assert event.attempts == 1  # processed again (and failed again: no Stripe connection)
    assert client_for(bob).get("/settings/integrations/events/").status_code == 403


def test_lists_show_amounts_with_currency_and_drafts_say_they_are_not_due_yet(
    client_for, alice, alpha
):
    """Every amount in the invoice list carries its currency; a draft's "due" is no 0.00 but
    words saying Stripe finalizes it later, on the list and on its page."""
    _invoice(alpha, 1, status="open")
    draft = _invoice(alpha, 2, status="draft")
    StripeInvoice.objects.filter(pk=draft.pk).update(number="", amount_remaining=0)
    client = client_for(alice)
    html = client.get("/billing/invoices/").content.decode()
    row = re.search(r'<tr data-invoice="in_1">.*?</tr>', html, re.S).group(0)
    assert ">100.00 EUR</td>" in row and 'data-amount="due">100.00 EUR<' in row
    row = re.search(r'<tr data-invoice="in_2">.*?</tr>', html, re.S).group(0)
    assert "not yet due" in row and "0.00" not in row.split('data-amount="due"')[1]
    page = client.get(f"/billing/invoices/{draft.public_id}/").content.decode()
    assert "Stripe finalizes it about an hour after creating it" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    german = client.get("/billing/invoices/").content.decode()
    assert "noch nicht fällig" in german and "100,00 EUR" in german


def test_the_stuck_list_says_nothing_is_stuck_when_empty(client_for, alice, alpha):
    """The empty stuck list says no invoice is stuck, not "No invoices yet"."""
    _invoice(alpha, 1, status="paid")
    client = client_for(alice)
    html = client.get("/billing/invoices/stuck/").content.decode()
    assert "No invoice is stuck unpaid" in html and "No invoices yet" not in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert (
        "Keine Rechnung hängt unbezahlt fest"
        in client.get("/billing/invoices/stuck/").content.decode()
    )
