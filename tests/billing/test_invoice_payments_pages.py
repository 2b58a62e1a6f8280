"""Invoice detail with its payments, the stuck-invoices view, the invoices page's paid/due."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from billing.models import Payment, StripeInvoice
from billing.payments import record_payment
from mspercury.localtime import today_in


def _invoice(workspace, n, *, status="open", due=None, created=None):
    return StripeInvoice.objects.create(
        workspace=workspace,
        account_ref="acct_1",
        stripe_id=f"in_{n}",
        number=f"INV-{n:04d}",
        status=status,
        currency="EUR",
        total=10000,
        amount_due=10000,
        amount_remaining=10000,
        due_date=due,
        created=created or timezone.now(),
    )


def _pay(invoice, provider_id, amount, source="stripe", **extra):
    return record_payment(
        invoice,
        provider_id=provider_id,
        source=source,
        amount=amount,
        currency="EUR",
        paid_at=datetime(2026, 12, 1, tzinfo=UTC),
        **extra,
    )[0]


def test_it_shows_paid_due_and_the_payment_status(client_for, alice, alpha):
    _pay(_invoice(alpha, 1), "inpay_1", 2500)
    _pay(_invoice(alpha, 2), "inpay_2", 10000)
    _invoice(alpha, 3)
    html = client_for(alice).get("/billing/invoices/").content.decode()
    assert 'data-status="partially_paid">Partially paid</span>' in html
    assert 'data-status="paid">Paid</span>' in html
    assert 'data-status="open">Open</span>' in html
    assert 'data-amount="paid">25.00 EUR</td>' in html
    assert 'data-amount="due">75.00 EUR</td>' in html
    html = client_for(alice).get("/billing/invoices/?status=partially_paid").content.decode()
    assert "INV-0001" in html and "INV-0002" not in html and "INV-0003" not in html


def test_the_invoices_page_query_count_does_not_grow(
    client_for, alice, alpha, django_assert_max_num_queries
):
    for n in range(30):
        _pay(_invoice(alpha, n), f"inpay_{n}", 100)
    client = client_for(alice)
    with django_assert_max_num_queries(14):
        assert client.get("/billing/invoices/").status_code == 200


def test_the_detail_lists_payments_with_their_source(client_for, alice, bob, alpha):
    invoice = _invoice(alpha, 1)
    _pay(invoice, "inpay_1", 2000, payment_intent="pi_1")
    _pay(invoice, "re_1", -500, source="refund")
    _pay(invoice, "manual:1", 1000, source="manual", method="cash", recorded_in_stripe=False)
    html = client_for(alice).get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    for text in (
        "Stripe",
        "Refund",
        "Manual",
        "Cash",
        "Recorded in MSPercury only (not in Stripe)",
    ):
        assert text in html
    assert 'data-testid="manual-payment-form"' in html and 'data-testid="void-payment"' in html
    member = client_for(bob).get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    assert 'data-testid="manual-payment-form"' not in member
    assert 'data-testid="void-payment"' not in member


def test_members_cannot_record_or_void(client_for, bob, alpha):
    invoice = _invoice(alpha, 1)
    payment = _pay(invoice, "manual:1", 1000, source="manual")
    client = client_for(bob)
    url = f"/billing/invoices/{invoice.public_id}/payments/"
    assert client.post(url, {"amount": "1", "paid_on": "2026-12-01"}).status_code == 403
    assert client.post(f"{url}{payment.public_id}/void/").status_code == 403
    assert Payment.objects.get(pk=payment.pk).voided_at is None


def test_it_checks_ownership(client_for, charlie, alpha):
    invoice = _invoice(alpha, 1)
    payment = _pay(invoice, "manual:1", 1000, source="manual")
    client = client_for(charlie)
    base = f"/billing/invoices/{invoice.public_id}/"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}payments/", {"amount": "1"}).status_code == 404
    assert client.post(f"{base}payments/{payment.public_id}/void/").status_code == 404
    assert "INV-0001" not in client.get("/billing/invoices/stuck/").content.decode()


def test_the_stuck_view_lists_overdue_and_old_unpaid_invoices(client_for, alice, alpha):
    now = timezone.now()
    _invoice(alpha, 1, due=now - timedelta(days=1))  # overdue
    _invoice(alpha, 2, created=now - timedelta(days=30))  # old, no due date
    _invoice(alpha, 3, due=now + timedelta(days=5))  # not due yet
    _pay(_invoice(alpha, 4, due=now - timedelta(days=2)), "inpay_4", 10000)  # paid
    _pay(_invoice(alpha, 5, due=now - timedelta(days=2)), "inpay_5", 100)  # part paid
    _invoice(alpha, 6, status="draft", created=now - timedelta(days=30))
    html = client_for(alice).get("/billing/invoices/stuck/").content.decode()
    shown = {n for n in range(1, 7) if f"INV-000{n}" in html}
    assert shown == {1, 2, 5}


@pytest.mark.parametrize("path", ["/billing/invoices/stuck/", "/billing/invoices/"])
def test_it_links_to_the_detail(client_for, alice, alpha, path):
    invoice = _invoice(alpha, 1, due=timezone.now() - timedelta(days=1))
    html = client_for(alice).get(path).content.decode()
    assert f'href="/billing/invoices/{invoice.public_id}/"' in html


def test_the_stuck_view_and_the_detail_page_keep_their_query_counts(
    client_for, alice, alpha, django_assert_max_num_queries
):
    old = timezone.now() - timedelta(days=40)
    invoices = [_invoice(alpha, n, due=old, created=old) for n in range(30)]
    for n, invoice in enumerate(invoices[:10]):
        _pay(invoice, f"inpay_{n}", 100)
    detail = invoices[0]
    for n in range(10):
        _pay(detail, f"manual:{n}", 10, source="manual", method="cash", recorded_in_stripe=False)
    client = client_for(alice)
    with django_assert_max_num_queries(14):
        page = client.get("/billing/invoices/stuck/").content.decode()
    assert page.count('data-testid="send-reminder"') == 30
    with django_assert_max_num_queries(14):
        assert client.get(f"/billing/invoices/{detail.public_id}/").status_code == 200


def test_the_detail_page_in_german(client_for, alice, alpha):
    """A German admin: labels, the 'in MSPercury only' pill, the Void button as a verb, and a
    payment date the browser's date field can show (ISO, not 04.12.2026)."""
    alice.language = "de"
    alice.save()
    invoice = _invoice(alpha, 1)
    _pay(invoice, "manual:1", 1000, source="manual", method="cheque", recorded_in_stripe=False)
    client = client_for(alice)
    client.cookies["django_language"] = "de"
    html = client.get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    assert "Nur in MSPercury erfasst (nicht in Stripe)" in html
    assert 'data-testid="void-payment">Stornieren</button>' in html
    assert f'value="{today_in(alpha).isoformat()}"' in html  # the workspace's date
    assert "Scheck" in html and "Teilweise bezahlt" in html


def test_the_slow_actions_show_a_busy_state_without_scripts(client_for, alice, alpha):
    """Recording a payment and sending a reminder take seconds: their forms go through htmx,
    which disables the button and shows its spinner while the request runs (no inline script);
    a refused payment still shows its errors to htmx (a 2xx answer, which htmx swaps in)."""
    invoice = _invoice(alpha, 1)
    client = client_for(alice)
    html = client.get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    form = html[html.index('data-testid="manual-payment-form"') :]
    assert 'hx-disabled-elt="find button[type=submit]"' in form.split(">")[0]
    assert '<span class="busy htmx-indicator" aria-hidden="true"></span></button>' in form
    reminder = html[html.index("/reminder/") - 80 :]
    assert 'hx-boost="true"' in reminder.split(">")[0]
    assert "<script>" not in html
    url = f"/billing/invoices/{invoice.public_id}/payments/"
    refused = client.post(url, {"amount": "", "paid_on": "2026-12-01"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    assert client.post(url, {"amount": "", "paid_on": "2026-12-01"}).status_code == 400
