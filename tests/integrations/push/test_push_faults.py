"""Exactly once, whatever fails: a fault at every step, before and after its effect."""

import pytest

from integrations.push.actions import do_retry_push, do_start_push
from integrations.push.executor import execute_push
from quotes.actions import do_create_quote
from tests.factories import accept, add_line, service

MIXED_STEPS = [
    ("GET", "/v1/customers/search"),
    ("POST", "/v1/customers"),
    ("GET", "/v1/customers/*/tax_ids"),
    ("POST", "/v1/products"),
    ("POST", "/v1/subscriptions"),
    ("POST", "/v1/invoices/*"),  # the first invoice's metadata
]
ONE_TIME_STEPS = [
    ("POST", "/v1/invoices"),
    ("POST", "/v1/invoiceitems"),
    ("POST", "/v1/invoices/*/finalize"),
    ("POST", "/v1/invoices/*/send"),
]


def _push_until_done(quote, alice, stripe_api, method, path, action, *, send_now=False):
    """Fail every matching request until the push gives up, then heal and retry."""
    stripe_api.fault(action, method=method, path=path, count=None, status=500)
    push, _ = do_start_push(None, quote, actor=alice, send_now=send_now)
    first = execute_push(push.pk)
    stripe_api.clear_faults()
    push.refresh_from_db()
    if first == "failed":
        assert push.error
        assert do_retry_push(None, push)
        assert execute_push(push.pk) == "succeeded"
    push.refresh_from_db()
    assert push.status == "succeeded", push.error
    return push


@pytest.mark.parametrize("action", ["error", "drop"])
@pytest.mark.parametrize(("method", "path"), MIXED_STEPS)
def test_mixed_quote_ends_exactly_once(
    connection, mixed_quote, alice, stripe_api, method, path, action
):
    _push_until_done(mixed_quote, alice, stripe_api, method, path, action)
    sk = stripe_api.client()
    customers = sk.v1.customers.list().data
    assert len(customers) == 1
    subs = sk.v1.subscriptions.list().data
    intervals = sorted(s["items"].data[0].price.recurring.interval for s in subs)
    assert intervals == ["month", "year"]
    assert len(sk.v1.products.list({"limit": 100}).data) == 9
    invoices = sk.v1.invoices.list().data
    assert len(invoices) == 2
    one_time = [
        line
        for invoice in invoices
        for line in invoice.lines.data
        if "Onboarding" in line.description or "On-site work" in line.description
    ]
    assert len(one_time) == 2
    expected = mixed_quote.acceptance.snapshot["totals"]["first_invoice"]
    assert sum(i.subtotal for i in invoices) == int(expected.replace(".", ""))
    assert len(sk.v1.customers.tax_ids.list(customers[0].id).data) == 1


@pytest.mark.parametrize("action", ["error", "drop"])
@pytest.mark.parametrize(("method", "path"), ONE_TIME_STEPS)
def test_one_time_quote_ends_exactly_once(
    connection, alpha, alice, fr_customer, stripe_api, method, path, action
):
    quote = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    add_line(quote, service(alpha, "Firewall setup", "one_time", "800.00", "unit"), "1")
    add_line(quote, service(alpha, "Migration hours", "one_time", "95.00", "hour"), "2.5")
    accept(quote, alice)
    quote.refresh_from_db()
    _push_until_done(quote, alice, stripe_api, method, path, action, send_now=True)
    sk = stripe_api.client()
    invoices = sk.v1.invoices.list().data
    assert len(invoices) == 1
    invoice = invoices[0]
    assert invoice.status == "open"
    assert len(invoice.lines.data) == 2
    assert invoice.total == 80000 + 23750
    assert len(sk.v1.invoice_items.list().data) == 2


def test_a_failure_stripe_says_not_to_retry_stops_at_once(
    connection, mixed_quote, alice, stripe_api
):
    """Stripe-Should-Retry: false on a 5xx: no retry loop; the push stops with Stripe's message
    and resumes from that step on Retry."""
    stripe_api.fault(
        "error", method="POST", path="/v1/subscriptions", count=None, status=500, should_retry=False
    )
    push, _ = do_start_push(None, mixed_quote, actor=alice)
    assert execute_push(push.pk) == "failed"
    push.refresh_from_db()
    step = push.steps.get(key="subscription:month:1")
    assert step.attempts == 1
    assert push.error_step == step.key and not push.error_retryable
    stripe_api.clear_faults()
    assert do_retry_push(None, push)
    assert execute_push(push.pk) == "succeeded"
    assert len(stripe_api.client().v1.subscriptions.list().data) == 2


def test_a_half_built_one_time_invoice_is_never_finalized_by_stripe(
    connection, alpha, alice, fr_customer, stripe_api
):
    """Send now, but adding the items fails and the Retry comes hours later: Stripe must not
    have auto-finalized (and sent) the invoice without its items meanwhile."""
    quote = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    add_line(quote, service(alpha, "Firewall setup", "one_time", "800.00", "unit"), "1")
    add_line(quote, service(alpha, "Migration hours", "one_time", "95.00", "hour"), "2.5")
    accept(quote, alice)
    quote.refresh_from_db()
    push, _ = do_start_push(None, quote, actor=alice, send_now=True)
    stripe_api.fault("error", method="POST", path="/v1/invoiceitems", count=None, status=500)
    assert execute_push(push.pk) == "failed"
    stripe_api.clear_faults()
    stripe_api.advance(hours=3)
    invoice_id = push.steps.get(key="invoice:1").stripe_id
    assert stripe_api.client().v1.invoices.retrieve(invoice_id).status == "draft"
    assert do_retry_push(None, push)
    assert execute_push(push.pk) == "succeeded"
    invoice = stripe_api.client().v1.invoices.retrieve(invoice_id)
    assert invoice.status == "open" and invoice.total == 80000 + 23750
    assert invoice.auto_advance is True


@pytest.mark.parametrize(
    ("path", "one_time_only"),
    [("/v1/subscriptions", False), ("/v1/invoices", True), ("/v1/invoiceitems", True)],
)
def test_a_retry_after_stripe_forgot_the_key_creates_nothing_twice(
    connection, mixed_quote, alpha, alice, fr_customer, stripe_api, path, one_time_only
):
    """Answers lost, then Stripe's 24-hour idempotency window passed: Retry finds the objects
    the lost answers described (by their step mark) instead of creating them again."""
    quote = mixed_quote
    if one_time_only:
        quote = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
        add_line(quote, service(alpha, "Firewall setup", "one_time", "800.00", "unit"), "1")
        add_line(quote, service(alpha, "Migration hours", "one_time", "95.00", "hour"), "2.5")
        accept(quote, alice)
        quote.refresh_from_db()
    stripe_api.fault("drop", method="POST", path=path, count=None)
    push, _ = do_start_push(None, quote, actor=alice)
    assert execute_push(push.pk) == "failed"
    stripe_api.clear_faults()
    stripe_api.config(idempotency_ttl=0)  # every key is forgotten
    assert do_retry_push(None, push)
    assert execute_push(push.pk) == "succeeded"
    sk = stripe_api.client()
    if one_time_only:
        assert len(sk.v1.invoices.list().data) == 1
        assert len(sk.v1.invoice_items.list().data) == 2
    else:
        assert len(sk.v1.subscriptions.list().data) == 2
        assert len(sk.v1.invoices.list().data) == 2
