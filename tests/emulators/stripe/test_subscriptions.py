"""Subscriptions: the first invoice per Stripe's rules, updates, cancellation and renewals."""

import pytest
import stripe

from .helpers import customer_and_product, event_types, monthly, one_time


def _subscription(client, customer, product, **extra):
    params = {
        "customer": customer.id,
        "items": [{"price_data": monthly(product.id, 1000), "quantity": 3}],
        "expand": ["latest_invoice"],
        **extra,
    }
    return client.v1.subscriptions.create(params)


def test_charge_automatically_first_invoice_is_finalized_and_paid_at_once(stripe_emulator):
    """With charge_automatically the first invoice is finalized immediately and paid; it
    carries the subscription's metadata, description-free footer, custom fields, tax rates and
    the one-time add_invoice_items, under parent.subscription_details."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    rate = client.v1.tax_rates.create({"display_name": "VAT", "inclusive": False, "percentage": 19})
    subscription = _subscription(
        client,
        customer,
        product,
        metadata={"quote_id": "Q-7"},
        description="Managed services",
        default_tax_rates=[rate.id],
        add_invoice_items=[{"price_data": one_time(product.id, 5000), "quantity": 2}],
        invoice_settings={
            "footer": "Thank you",
            "custom_fields": [{"name": "Quote", "value": "Q-7"}],
        },
    )
    assert subscription.id.startswith("sub_")
    assert subscription.status == "active"
    item = subscription["items"].data[0]
    assert item.id.startswith("si_")
    assert item.quantity == 3
    assert item.current_period_end > item.current_period_start
    assert "current_period_end" not in subscription
    invoice = subscription.latest_invoice
    assert (invoice.status, invoice.billing_reason) == ("paid", "subscription_create")
    assert invoice.parent.type == "subscription_details"
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert invoice.parent.subscription_details.metadata["quote_id"] == "Q-7"
    assert invoice.footer == "Thank you"
    assert invoice.custom_fields[0].value == "Q-7"
    assert [line.amount for line in invoice.lines.data] == [3000, 10000]
    assert invoice.lines.data[0].parent.type == "subscription_item_details"
    assert invoice.lines.data[1].parent.type == "invoice_item_details"
    extra_item = client.v1.invoice_items.retrieve(
        invoice.lines.data[1].parent.invoice_item_details.invoice_item
    )
    assert extra_item.parent.subscription_details.subscription == subscription.id
    assert extra_item.parent.subscription_details.subscription_item is None
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (13000, 15470, 15470)
    assert subscription.invoice_settings.footer == "Thank you"
    assert event_types(client)[-1] == "invoice.payment_succeeded"
    types = event_types(client)
    assert types.index("customer.subscription.created") < types.index("invoice.created")
    assert types.index("invoice.finalized") < types.index("invoice.paid")


def test_a_failing_customer_leaves_the_subscription_incomplete(stripe_emulator):
    """If the first payment fails, the subscription is incomplete and the invoice open with
    invoice.payment_failed; error_if_incomplete refuses to create it (CardError)."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    stripe_emulator.set_payment_behavior(customer.id, "fail")
    subscription = _subscription(client, customer, product)
    assert subscription.status == "incomplete"
    assert subscription.latest_invoice.status == "open"
    assert "invoice.payment_failed" in event_types(client)
    with pytest.raises(stripe.CardError):
        _subscription(client, customer, product, payment_behavior="error_if_incomplete")
    assert len(client.v1.subscriptions.list({"status": "all"}).data) == 1
    stripe_emulator.set_payment_behavior(customer.id, "succeed")
    paid = client.v1.invoices.pay(subscription.latest_invoice.id)
    assert paid.status == "paid"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    stripe_emulator.set_payment_behavior(customer.id, "fail")
    expiring = _subscription(client, customer, product)
    stripe_emulator.advance(hours=23)
    assert client.v1.subscriptions.retrieve(expiring.id).status == "incomplete_expired"


def test_send_invoice_first_invoice_is_finalized_an_hour_later(stripe_emulator):
    """With send_invoice the subscription is active at once and its first invoice stays a
    draft until the clock passes created + 1 hour; then it is open with its due date."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _subscription(client, customer, product, collection_method="send_invoice")
    assert caught.value.param == "days_until_due"
    subscription = _subscription(
        client, customer, product, collection_method="send_invoice", days_until_due=30
    )
    assert subscription.status == "active"
    invoice = subscription.latest_invoice
    assert invoice.status == "draft"
    assert invoice.automatically_finalizes_at == invoice.created + 3600
    assert invoice.due_date == invoice.created + 30 * 86400
    # The emulator's clock also runs in real time: leave a loaded machine a minute of margin.
    stripe_emulator.advance(3540)
    assert client.v1.invoices.retrieve(invoice.id).status == "draft"
    stripe_emulator.advance(61)
    finalized = client.v1.invoices.retrieve(invoice.id)
    assert finalized.status == "open"
    assert finalized.number is not None
    assert "invoice.finalized" in event_types(client)


def test_it_renews_monthly_and_yearly_and_fails_per_customer(stripe_emulator):
    """Advancing the clock past period ends creates renewal invoices (monthly and yearly) that
    are paid for a succeeding customer and fail (past_due) for a failing one."""
    client = stripe_emulator.client()
    good, product = customer_and_product(client, name="Good")
    bad, _ = customer_and_product(client, name="Bad")
    monthly_sub = _subscription(client, good, product)
    yearly_sub = client.v1.subscriptions.create(
        {
            "customer": good.id,
            "items": [{"price_data": monthly(product.id, 12000, interval="year")}],
        }
    )
    bad_sub = _subscription(client, bad, product)
    start = monthly_sub["items"].data[0].current_period_end
    stripe_emulator.set_payment_behavior(bad.id, "fail")
    stripe_emulator.advance(days=32)
    renewals = client.v1.invoices.list({"subscription": monthly_sub.id, "limit": 10}).data
    assert [i.billing_reason for i in renewals] == ["subscription_cycle", "subscription_create"]
    renewal = renewals[0]
    assert (renewal.status, renewal.total) == ("paid", 3000)
    assert renewal.lines.data[0].period.start == start
    assert renewal.period_end == start
    current = client.v1.subscriptions.retrieve(monthly_sub.id)["items"].data[0]
    assert current.current_period_start == start
    assert client.v1.subscriptions.retrieve(bad_sub.id).status == "past_due"
    bad_renewal = client.v1.invoices.list({"subscription": bad_sub.id}).data[0]
    assert (bad_renewal.status, bad_renewal.attempt_count) == ("open", 1)
    assert len(client.v1.invoices.list({"subscription": yearly_sub.id}).data) == 1
    stripe_emulator.advance(days=340)
    yearly = client.v1.invoices.list({"subscription": yearly_sub.id}).data
    assert [i.billing_reason for i in yearly] == ["subscription_cycle", "subscription_create"]
    assert yearly[0].status == "paid"
    assert len(client.v1.invoices.list({"subscription": monthly_sub.id, "limit": 20}).data) == 13


def test_it_cancels_at_period_end_and_immediately(stripe_emulator):
    """cancel_at_period_end ends the subscription when the period is over (no renewal);
    cancel ends it at once; both emit customer.subscription.deleted."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    later = _subscription(client, customer, product)
    now = _subscription(client, customer, product, metadata={"keep": "1"})
    updated = client.v1.subscriptions.update(later.id, {"cancel_at_period_end": True})
    assert updated.cancel_at_period_end is True
    assert updated.cancel_at == updated["items"].data[0].current_period_end
    update_event = client.v1.events.list({"type": "customer.subscription.updated"}).data[0]
    assert update_event.data.previous_attributes["cancel_at_period_end"] is False
    canceled = client.v1.subscriptions.cancel(now.id)
    assert canceled.status == "canceled" and canceled.ended_at
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.cancel(now.id)
    assert [s.id for s in client.v1.subscriptions.list().data] == [later.id]
    assert event_types(client).count("customer.subscription.deleted") == 1
    stripe_emulator.advance(days=31)
    ended = client.v1.subscriptions.retrieve(later.id)
    assert ended.status == "canceled"
    assert len(client.v1.invoices.list({"subscription": later.id}).data) == 1
    # Events older than 30 days drop out of events.list, as on Stripe.
    deleted = client.v1.events.list({"type": "customer.subscription.deleted"}).data
    assert [e.data.object.id for e in deleted] == [later.id]
    assert {s.id for s in client.v1.subscriptions.list({"status": "canceled"}).data} == {
        later.id,
        now.id,
    }


def test_it_rejects_invalid_subscriptions(stripe_emulator):
    """Items must use recurring prices of one currency and interval; add_invoice_items must be
    one-time; tax rates and automatic tax don't mix; un-emulated options fail loudly."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    one_off = client.v1.prices.create({"currency": "eur", "product": product.id, "unit_amount": 5})
    with pytest.raises(stripe.InvalidRequestError, match="type=recurring"):
        client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": one_off.id}]})
    with pytest.raises(stripe.InvalidRequestError, match=r"same `recurring\.interval`"):
        client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [
                    {"price_data": monthly(product.id, 1)},
                    {"price_data": monthly(product.id, 2, interval="year")},
                ],
            }
        )
    with pytest.raises(stripe.InvalidRequestError, match="type=one_time"):
        client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price_data": monthly(product.id, 1)}],
                "add_invoice_items": [
                    {"price_data": one_time(product.id, 1), "quantity": 1},
                    {"price": client.v1.prices.create(monthly(product.id, 3)).id},
                ],
            }
        )
    with pytest.raises(stripe.InvalidRequestError, match="does not emulate `trial_period_days`"):
        client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price_data": monthly(product.id, 1)}],
                "trial_period_days": 7,
            }
        )
    with pytest.raises(stripe.InvalidRequestError, match="No such customer"):
        client.v1.subscriptions.create(
            {"customer": "cus_missing", "items": [{"price_data": monthly(product.id, 1)}]}
        )


def test_a_failed_request_leaves_nothing_behind(stripe_emulator):
    """Requests are atomic: when a subscription is refused after its inline prices were
    resolved, neither those prices nor any event remain."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    before = event_types(client)
    with pytest.raises(stripe.InvalidRequestError, match="same `currency`"):
        client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [
                    {"price_data": monthly(product.id, 1)},
                    {"price_data": monthly(product.id, 2, currency="usd")},
                ],
            }
        )
    assert client.v1.prices.list().data == []
    assert event_types(client) == before


def test_automatic_tax_needs_a_customer_location(stripe_emulator):
    """With automatic tax, prices and items need a tax_behavior and amounts can't be
    negative; a customer without a country can't get a subscription (nothing is created); a
    one-off invoice fails to finalize with customer_tax_location_invalid and keeps
    last_finalization_error."""
    client = stripe_emulator.client()
    customer = client.v1.customers.create({"name": "Nowhere"})
    product = client.v1.products.create({"name": "Service"})
    taxed = {**monthly(product.id, 100), "tax_behavior": "exclusive"}
    with pytest.raises(stripe.InvalidRequestError, match="tax_behavior"):
        client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price_data": monthly(product.id, 100)}],
                "automatic_tax": {"enabled": True},
            }
        )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price_data": taxed}],
                "automatic_tax": {"enabled": True},
            }
        )
    assert caught.value.code == "customer_tax_location_invalid"
    assert client.v1.subscriptions.list({"status": "all"}).data == []
    assert client.v1.invoices.list().data == []
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "automatic_tax": {"enabled": True}}
    )
    item = {"customer": customer.id, "invoice": invoice.id, "amount": 100, "currency": "eur"}
    with pytest.raises(stripe.InvalidRequestError, match="tax_behavior"):
        client.v1.invoice_items.create(item)
    with pytest.raises(stripe.InvalidRequestError, match="negative amounts"):
        client.v1.invoice_items.create({**item, "amount": -5, "tax_behavior": "exclusive"})
    client.v1.invoice_items.create({**item, "tax_behavior": "exclusive"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.finalize_invoice(invoice.id)
    failed = client.v1.invoices.retrieve(invoice.id)
    assert failed.status == "draft"
    assert failed.last_finalization_error.code == "customer_tax_location_invalid"
    assert event_types(client)[-1] == "invoice.finalization_failed"
    with pytest.raises(stripe.InvalidRequestError, match="with automatic tax"):
        client.v1.invoice_items.create(
            {
                "customer": customer.id,
                "invoice": invoice.id,
                "amount": 100,
                "currency": "eur",
                "tax_rates": [
                    client.v1.tax_rates.create(
                        {"display_name": "VAT", "inclusive": False, "percentage": 19}
                    ).id
                ],
            }
        )


def test_subscription_invoices_cannot_be_deleted(stripe_emulator):
    """Even as drafts, invoices created by a subscription can't be deleted."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    subscription = _subscription(
        client, customer, product, collection_method="send_invoice", days_until_due=10
    )
    with pytest.raises(stripe.InvalidRequestError, match="created by a subscription"):
        client.v1.invoices.delete(subscription.latest_invoice.id)


def test_it_refuses_item_parameters_it_does_not_emulate(stripe_emulator):
    """Discounts, trials and periods on items or add_invoice_items (valid on Stripe) would
    change amounts the emulator computes without them: refused, never silently ignored."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    cases = [
        ("items", {"price_data": monthly(product.id, 100), "discounts": [{"coupon": "C"}]}),
        ("items", {"price_data": monthly(product.id, 100), "current_trial": {"trial_offer": "t"}}),
        (
            "add_invoice_items",
            {
                "price_data": one_time(product.id, 100),
                "period": {"start": {"type": "now"}, "end": {"type": "min_item_period_end"}},
            },
        ),
    ]
    for name, entry in cases:
        params = {"customer": customer.id, "items": [{"price_data": monthly(product.id, 100)}]}
        params[name] = [entry]
        with pytest.raises(stripe.InvalidRequestError, match="does not emulate") as caught:
            client.v1.subscriptions.create(params)
        key = next(k for k in entry if k not in ("price_data",))
        assert caught.value.param == f"{name}[0][{key}]"
    assert client.v1.subscriptions.list().data == []
