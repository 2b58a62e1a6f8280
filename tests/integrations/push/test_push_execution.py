"""Pushing accepted quotes into the emulator over real HTTP: objects, amounts, exactly once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection as db_connection

from integrations.models import Push, PushStep, StripeObjectMap
from integrations.push.actions import do_retry_push, do_start_push
from integrations.push.executor import execute_push
from mspercury import tenancy
from quotes.actions import do_create_quote
from quotes.models import QuoteLine
from rules.money import line_net, to_minor_units
from tests.factories import accept, add_line, service


def _start(quote, alice, **kwargs):
    push, _created = do_start_push(None, quote, actor=alice, **kwargs)
    return push


def _run(push):
    result = execute_push(push.pk)
    push.refresh_from_db()
    return result


def _state(emulator):
    return emulator.state()


def _objects(emulator, kind):
    return list(_state(emulator)["objects"].get(kind, {}).values())


def _quote_cents(quote, period=None):
    lines = quote.acceptance.snapshot["lines"]
    return sum(
        to_minor_units(
            line_net(
                Decimal(x["quantity"]),
                Decimal(x["unit_price"]),
                Decimal(x["discount_percent"]) if x["discount_percent"] else None,
                "EUR",
            ),
            "EUR",
        )
        for x in lines
        if period is None or x["billing_period"] == period
    )


def test_the_seeds_mixed_quote_becomes_two_subscriptions(
    connection, mixed_quote, alice, stripe_api
):
    push = _start(mixed_quote, alice)
    assert _run(push) == "succeeded", push.error
    sk = stripe_api.client()

    customers = sk.v1.customers.list().data
    assert len(customers) == 1
    customer = customers[0]
    assert customer.email == "compta@dupont.example"
    assert customer.metadata["mspercury_customer_id"] == str(mixed_quote.customer.public_id)
    assert customer.address.country == "FR" and customer.preferred_locales == ["fr"]
    assert customer.tax_exempt == "reverse"  # reverse charge: Stripe prints "Reverse charge"
    tax_ids = sk.v1.customers.tax_ids.list(customer.id).data
    assert [(t.type, t.value) for t in tax_ids] == [("eu_vat", "FR40303265045")]

    subs = sk.v1.subscriptions.list({"customer": customer.id}).data
    by_interval = {s["items"].data[0].price.recurring.interval: s for s in subs}
    assert set(by_interval) == {"month", "year"}
    assert len(by_interval["month"]["items"].data) == 6
    assert len(by_interval["year"]["items"].data) == 1
    for sub in subs:
        assert sub.metadata["mspercury_quote_number"] == mixed_quote.number
        assert sub.metadata["mspercury_quote_id"] == str(mixed_quote.public_id)
        assert sub.invoice_settings.footer == f"Référence MSPercury : {mixed_quote.number}"  # fr

    invoices = sk.v1.invoices.list({"customer": customer.id}).data
    assert len(invoices) == 2
    for invoice in invoices:
        assert invoice.footer == f"Référence MSPercury : {mixed_quote.number}"
        # The quote travels with the subscription (no extra write on each first invoice).
        parent = invoice.parent.subscription_details
        assert parent.metadata["mspercury_quote_id"] == str(mixed_quote.public_id)
        assert parent.metadata["mspercury_quote_number"] == mixed_quote.number
    month_invoice = next(
        i for i in invoices if i.parent.subscription_details.subscription == by_interval["month"].id
    )
    year_invoice = next(i for i in invoices if i.id != month_invoice.id)
    # Setup lines ride on the monthly subscription's first invoice, once.
    assert month_invoice.subtotal == _quote_cents(mixed_quote, "monthly") + _quote_cents(
        mixed_quote, "one_time"
    )
    assert year_invoice.subtotal == _quote_cents(mixed_quote, "yearly")
    descriptions = [line.description for line in month_invoice.lines.data]
    assert sum("On-site work" in d for d in descriptions) == 1
    hours = next(line for line in month_invoice.lines.data if "On-site work" in line.description)
    assert hours.amount == 14250 and "1.5" in hours.description

    steps = {s.key: s for s in push.steps.all()}
    assert all(s.status == PushStep.Status.SUCCEEDED for s in steps.values())
    assert steps["subscription:month:1"].stripe_id == by_interval["month"].id


def test_a_one_time_quote_is_an_invoice_left_as_draft_or_sent(
    connection, alpha, alice, fr_customer, stripe_api
):
    for send_now, expected in ((False, "draft"), (True, "open")):
        quote = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
        add_line(quote, service(alpha, f"Setup {send_now}", "one_time", "250.00", "unit"), "2")
        accept(quote, alice)
        quote.refresh_from_db()
        push = _start(quote, alice, send_now=send_now)
        assert _run(push) == "succeeded", push.error
        invoice_id = push.steps.get(key="invoice:1").stripe_id
        invoice = stripe_api.client().v1.invoices.retrieve(invoice_id)
        assert invoice.status == expected
        assert invoice.auto_advance is send_now
        assert invoice.total == 50000
        assert (
            invoice.footer == f"Référence MSPercury : {quote.number}"
        )  # the customer reads French
        assert invoice.metadata["mspercury_quote_id"] == str(quote.public_id)


def test_a_second_push_reuses_customer_and_products(
    connection, mixed_quote, alpha, alice, fr_customer, stripe_api
):
    assert _run(_start(mixed_quote, alice)) == "succeeded"
    stripe_api.clear_requests()
    again = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    rmm = alpha.services.get(name="RMM agent")
    add_line(again, rmm, "5")
    accept(again, alice)
    again.refresh_from_db()
    assert _run(_start(again, alice)) == "succeeded"
    sk = stripe_api.client()
    assert len(sk.v1.customers.list().data) == 1
    assert len(sk.v1.products.list({"limit": 100}).data) == 9
    posts = [r for r in stripe_api.requests(method="POST")]
    assert not any(r["path"] == "/v1/customers" for r in posts)
    assert not any(r["path"] == "/v1/products" for r in posts)


def test_a_double_start_creates_one_push_and_nothing_twice(
    connection, mixed_quote, alice, stripe_api
):
    first = _start(mixed_quote, alice)
    second = _start(mixed_quote, alice)
    assert first.pk == second.pk
    _run(first)
    assert _run(first) == "succeeded"  # a redelivered task finds it done
    assert len(stripe_api.client().v1.subscriptions.list().data) == 2


@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_clicks_make_one_push(connection, mixed_quote, alice):
    barrier = threading.Barrier(10)
    pushes = []

    def click():
        try:
            barrier.wait()
            with tenancy.workspace_context(mixed_quote.workspace_id, alice):
                pushes.append(do_start_push(None, mixed_quote, actor=alice)[0].pk)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=click) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(pushes)) == 1
    assert Push.objects.count() == 1


def test_search_lag_still_gives_one_customer(
    connection, mixed_quote, alpha, alice, fr_customer, stripe_api
):
    """An earlier installation's mapping is gone and search has not indexed the customer yet."""
    stripe_api.config(search_index_delay=3600)
    assert _run(_start(mixed_quote, alice)) == "succeeded"
    StripeObjectMap.objects.filter(kind=StripeObjectMap.Kind.CUSTOMER).delete()
    again = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    add_line(again, alpha.services.get(name="EDR seat"), "3")
    accept(again, alice)
    again.refresh_from_db()
    assert _run(_start(again, alice)) == "succeeded"
    assert len(stripe_api.client().v1.customers.list().data) == 1


def test_an_existing_stripe_customer_is_found_by_metadata_and_synced(
    connection, mixed_quote, alice, stripe_api
):
    stripe_api.config(search_index_delay=0)
    sk = stripe_api.client()
    earlier = sk.v1.customers.create(
        {
            "name": "Old name",
            "email": "old@dupont.example",
            "metadata": {"mspercury_customer_id": str(mixed_quote.customer.public_id)},
        }
    )
    assert _run(_start(mixed_quote, alice)) == "succeeded"
    customers = sk.v1.customers.list().data
    assert [c.id for c in customers] == [earlier.id]
    assert customers[0].email == "compta@dupont.example" and customers[0].name == "Dupont SARL"
    assert [t.value for t in sk.v1.customers.tax_ids.list(earlier.id).data] == ["FR40303265045"]


def test_a_deleted_stripe_customer_is_recreated(
    connection, mixed_quote, alpha, alice, fr_customer, stripe_api
):
    assert _run(_start(mixed_quote, alice)) == "succeeded"
    sk = stripe_api.client()
    old = sk.v1.customers.list().data[0]
    sk.v1.customers.delete(old.id)
    again = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    add_line(again, alpha.services.get(name="EDR seat"), "3")
    accept(again, alice)
    again.refresh_from_db()
    assert _run(_start(again, alice)) == "succeeded"
    new_id = again.pushes.get().steps.get(key="customer").stripe_id
    assert new_id != old.id


def test_changed_tax_id_replaces_the_one_we_created(
    connection, mixed_quote, alpha, alice, fr_customer, stripe_api
):
    assert _run(_start(mixed_quote, alice)) == "succeeded"
    sk = stripe_api.client()
    cid = sk.v1.customers.list().data[0].id
    foreign = sk.v1.customers.tax_ids.create(cid, {"type": "eu_vat", "value": "DE136695976"})
    fr_customer.tax_id = "FR83404833048"
    fr_customer.save()
    again = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    add_line(again, alpha.services.get(name="EDR seat"), "3")
    accept(again, alice)
    again.refresh_from_db()
    assert _run(_start(again, alice)) == "succeeded"
    values = sorted(t.value for t in sk.v1.customers.tax_ids.list(cid).data)
    assert values == sorted(["FR83404833048", foreign.value])  # ours replaced, theirs kept


def test_a_storm_of_429s_does_not_stop_the_push(connection, mixed_quote, alice, stripe_api):
    stripe_api.fault("rate_limit", path="/v1/*", count=6)
    assert _run(_start(mixed_quote, alice)) == "succeeded"
    assert len(stripe_api.client().v1.subscriptions.list().data) == 2


def test_a_customer_without_email_is_stopped_before_any_call(
    connection, mixed_quote, alice, stripe_api
):
    mixed_quote.customer.email = ""
    mixed_quote.customer.save()
    stripe_api.clear_requests()
    push = _start(mixed_quote, alice)
    assert _run(push) == "failed"
    assert "Customer has no email address" in push.error
    assert [r for r in stripe_api.requests(method="POST")] == []


def test_a_validation_error_stops_with_stripes_message_and_retry_resumes(
    connection, mixed_quote, alice, stripe_api
):
    stripe_api.fault("error", method="POST", path="/v1/subscriptions", status=500, count=100)
    push = _start(mixed_quote, alice)
    assert _run(push) == "failed"
    assert push.error_step == "subscription:month:1"
    done = set(push.steps.filter(status="succeeded").values_list("key", flat=True))
    assert "customer" in done
    stripe_api.clear_faults()
    stripe_api.clear_requests()
    assert do_retry_push(None, push) is True
    assert _run(push) == "succeeded"
    paths = [r["path"] for r in stripe_api.requests(method="POST")]
    assert "/v1/customers" not in paths and "/v1/products" not in paths
    assert len(stripe_api.client().v1.subscriptions.list().data) == 2


def test_a_retry_that_succeeds_resolves_the_failure_notification(
    connection, mixed_quote, alice, alpha, stripe_api
):
    """The bell's "push failed" stays only while the push is failed: the successful retry marks
    it resolved (listed with its resolution, no longer unread), and no open push failure is
    left."""
    from mspercury.models import Notification

    stripe_api.fault("error", method="POST", path="/v1/subscriptions", status=500, count=100)
    push = _start(mixed_quote, alice)
    assert _run(push) == "failed"
    notice = Notification.objects.get(workspace=alpha, kind=Notification.Kind.PUSH_FAILED)
    assert not notice.read_by.exists()
    stripe_api.clear_faults()
    do_retry_push(None, push)
    assert _run(push) == "succeeded"
    notice.refresh_from_db()
    assert notice.resolved_at is not None
    assert not Notification.objects.filter(
        workspace=alpha, kind=Notification.Kind.PUSH_FAILED, resolved_at__isnull=True
    ).exists()


def test_a_stripe_account_that_forgot_our_objects_gets_them_again(
    connection, mixed_quote, alpha, alice, fr_customer, stripe_api
):
    """Stored customer and product ids that Stripe no longer knows are created again."""
    assert _run(_start(mixed_quote, alice)) == "succeeded"
    stripe_api.reset()  # e.g. a restarted demo emulator, or objects removed at Stripe
    again = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    add_line(again, alpha.services.get(name="RMM agent"), "4")
    accept(again, alice)
    again.refresh_from_db()
    push = _start(again, alice)
    assert _run(push) == "succeeded", push.error
    sk = stripe_api.client()
    assert len(sk.v1.customers.list().data) == 1
    assert len(sk.v1.products.list().data) == 1
    assert len(sk.v1.subscriptions.list().data) == 1


def test_the_preview_knows_the_currency_a_pushed_customer_bills_in(
    connection, mixed_quote, alpha, alice, fr_customer, stripe_api
):
    """Once a push gave the Stripe customer EUR subscriptions, a USD quote for the same customer
    is blocked in the preview, before any call."""
    from integrations.push.executor import build_plan

    assert _run(_start(mixed_quote, alice)) == "succeeded"
    usd = do_create_quote(alpha, fr_customer, user=alice, currency="USD")
    add_line(usd, service(alpha, "US helpdesk", "monthly", "30.00"), "2")
    accept(usd, alice)
    usd.refresh_from_db()
    plan = build_plan(usd, connection, send_now=False)
    assert plan.blocked
    assert "customer_currency" in [p.code for p in plan.problems]


def test_a_line_with_a_long_description_is_pushed(
    connection, alpha, alice, fr_customer, stripe_api
):
    """An ad-hoc line may be described in 500 characters; its step labels must not break the
    push (which would leave it running for ever)."""
    from quotes.actions import do_add_line

    quote = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    do_add_line(
        quote,
        description="Managed firewall, " + "with 24/7 monitoring and monthly reports " * 11,
        quantity=Decimal("1.5"),
        unit="unit",
        unit_price=Decimal("40.00"),
        billing_period="one_time",
    )
    accept(quote, alice)
    quote.refresh_from_db()
    push = _start(quote, alice, send_now=True)
    assert _run(push) == "succeeded", push.error
    invoice = stripe_api.client().v1.invoices.retrieve(push.steps.get(key="invoice:1").stripe_id)
    assert invoice.total == 6000


def test_an_unexpected_error_fails_the_push_so_it_can_be_retried(
    connection, mixed_quote, alice, stripe_api
):
    """Whatever breaks inside the executor, the push never stays "running" with no way out."""
    # The push bills the live quote: a quantity no amount can come from breaks the planning.
    line = mixed_quote.lines.first()
    with db_connection.cursor() as cursor:  # Django itself refuses to write a NaN
        cursor.execute("UPDATE quotes_quoteline SET quantity = 'NaN' WHERE id = %s", [line.pk])
    push = _start(mixed_quote, alice)
    with pytest.raises(Exception):  # noqa: B017  (still raised, for the task's log)
        execute_push(push.pk)
    push.refresh_from_db()
    assert push.status == Push.Status.FAILED and push.error_retryable
    QuoteLine.objects.filter(pk=line.pk).update(quantity=line.quantity)
    assert do_retry_push(None, push)
    assert _run(push) == "succeeded", push.error
