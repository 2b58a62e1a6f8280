"""Subscription updates: item changes with prorations, cancel_at and invoice previews.

Reproduced to the cent (hand-computed here): Stripe's per-second proration. For a change at `t`
(`proration_date`, default now) in the period `[start, end)`, the old item is credited
`-round(unit_amount × old_quantity × (end − t) / (end − start))` and the new one charged
`+round(unit_amount × new_quantity × (end − t) / (end − start))`; the fraction is exact (no
day rounding), and each proration line is rounded on its own to the nearest minor unit, a half
rounding up (away from zero). Removed items get only the credit, added items only the charge;
the renewal invoice carries the pending prorations plus the next period; a preview with the
same `proration_date` shows exactly the amounts the update then creates. Taxes on prorations
follow the existing tax-rate rule (per line, half up) and are not checked here further.

Not reproduced: discounts and coupons on prorations, Stripe Tax on prorations, changes of the
billing interval or `billing_cycle_anchor` (refused), `cancel_at` prorations (a `cancel_at`
before the period end needs `proration_behavior=none`), flexible billing mode nuances
(`proration_discounts`, per-item periods beyond an added item's start), crediting a negative
always_invoice total to the customer balance, and prorations that round to zero (not created).
"""

import pytest
import stripe

from .helpers import customer_and_product, event_types, monthly, set_clock

DAY = 86400


def _january_subscription(stripe_emulator, client, quantity=3, **extra):
    """A monthly 10.00 EUR subscription started on 1 Jan 2027 (a 31-day first period)."""
    set_clock(stripe_emulator, "2027-01-01T00:00:00")
    customer, product = customer_and_product(client)
    subscription = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price_data": monthly(product.id, 1000), "quantity": quantity}],
            **extra,
        }
    )
    item = subscription["items"].data[0]
    assert item.current_period_end - item.current_period_start == 31 * DAY
    return customer, product, subscription, item


def _pending(client, customer):
    items = client.v1.invoice_items.list({"customer": customer.id, "pending": True}).data
    return list(reversed(items))


def test_quantity_increase_creates_two_pending_prorations_that_renew(stripe_emulator):
    """3 -> 5 seats on day 16 of a 31-day period: credit -round(3000 × 16/31) = -1548, charge
    round(5000 × 16/31) = 2581, both pending; the renewal invoice carries them plus the next
    period's 5000 (6033 in all)."""
    client = stripe_emulator.client()
    customer, _, subscription, item = _january_subscription(stripe_emulator, client)
    stripe_emulator.advance(days=15)
    at = item.current_period_start + 15 * DAY
    updated = client.v1.subscriptions.update(
        subscription.id,
        {"items": [{"id": item.id, "quantity": 5}], "proration_date": at},
    )
    assert updated["items"].data[0].id == item.id
    assert updated["items"].data[0].quantity == 5
    credit, debit = _pending(client, customer)
    assert (credit.amount, debit.amount) == (-1548, 2581)
    assert (credit.quantity, debit.quantity) == (3, 5)
    assert credit.proration and debit.proration
    assert credit.invoice is None and debit.invoice is None
    assert credit.period.start == at and credit.period.end == item.current_period_end
    assert credit.description == "Unused time on 3 × Service after 16 Jan 2027"
    assert debit.description == "Remaining time on 5 × Service after 16 Jan 2027"
    assert credit.parent.subscription_details.subscription_item == item.id
    first_invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    credited = credit.proration_details.credited_items
    assert credited.type == "invoice_line_items"
    assert credited.invoice_line_item_details.invoice == first_invoice.id
    assert credited.invoice_line_item_details.invoice_line_items == [first_invoice.lines.data[0].id]
    assert debit.proration_details.credited_items is None

    stripe_emulator.advance(days=17)
    renewal = client.v1.invoices.list({"subscription": subscription.id}).data[0]
    assert renewal.billing_reason == "subscription_cycle"
    assert [line.amount for line in renewal.lines.data] == [-1548, 2581, 5000]
    assert (renewal.total, renewal.amount_paid, renewal.status) == (6033, 6033, "paid")
    proration = renewal.lines.data[0].parent.subscription_item_details
    assert (proration.proration, proration.invoice_item) == (True, credit.id)
    assert proration.subscription_item == item.id
    assert proration.proration_details.credited_items.invoice == first_invoice.id
    assert renewal.lines.data[2].parent.subscription_item_details.proration is False
    assert _pending(client, customer) == []


def test_price_change_credits_the_old_price_and_charges_the_new(stripe_emulator):
    """A price change without quantity resets the quantity to 1 (as on Stripe); the rounding
    is half up: 1000 × 3 × 16/31 = 1548.39 -> 1548 and 2500 × 16/31 = 1290.32 -> 1290."""
    client = stripe_emulator.client()
    customer, product, subscription, item = _january_subscription(stripe_emulator, client)
    pro = client.v1.prices.create(monthly(product.id, 2500))
    at = item.current_period_start + 15 * DAY
    updated = client.v1.subscriptions.update(
        subscription.id,
        {"items": [{"id": item.id, "price": pro.id}], "proration_date": at},
    )
    assert updated["items"].data[0].price.id == pro.id
    assert updated["items"].data[0].quantity == 1
    credit, debit = _pending(client, customer)
    assert (credit.amount, debit.amount) == (-1548, 1290)
    assert credit.pricing.price_details.price == item.price.id
    assert debit.pricing.price_details.price == pro.id


def test_half_a_cent_rounds_up_per_line(stripe_emulator):
    """1 × 1.01 EUR for 15.5 of 31 days is 50.5 cents: the charge rounds to 51, the credit of
    the old 1 × 1.00 EUR (50 cents exactly) stays -50."""
    client = stripe_emulator.client()
    set_clock(stripe_emulator, "2027-01-01T00:00:00")
    customer, product = customer_and_product(client)
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price_data": monthly(product.id, 100)}]}
    )
    item = subscription["items"].data[0]
    dearer = client.v1.prices.create(monthly(product.id, 101))
    client.v1.subscriptions.update(
        subscription.id,
        {
            "items": [{"id": item.id, "price": dearer.id}],
            "proration_date": item.current_period_start + 15 * DAY + DAY // 2,
        },
    )
    assert [i.amount for i in _pending(client, customer)] == [-50, 51]


def test_adding_and_removing_items(stripe_emulator):
    """Adding an item charges its remaining time (new si_ id, period from now to the shared
    end); removing one credits its unused time; the subscription's items list follows and
    customer.subscription.updated carries the old items in previous_attributes."""
    client = stripe_emulator.client()
    customer, product, subscription, item = _january_subscription(stripe_emulator, client)
    stripe_emulator.advance(days=15)
    at = item.current_period_start + 15 * DAY
    support = client.v1.prices.create(monthly(product.id, 3100))
    added = client.v1.subscriptions.update(
        subscription.id,
        {"items": [{"price": support.id, "quantity": 2}], "proration_date": at},
    )
    assert [i.price.id for i in added["items"].data] == [item.price.id, support.id]
    new_item = added["items"].data[1]
    assert new_item.id.startswith("si_") and new_item.id != item.id
    assert new_item.current_period_end == item.current_period_end
    assert [i.amount for i in _pending(client, customer)] == [3200]  # 6200 × 16/31
    event = client.v1.events.list({"type": "customer.subscription.updated", "limit": 1}).data[0]
    assert [i.id for i in event.data.previous_attributes["items"]["data"]] == [item.id]

    removed = client.v1.subscriptions.update(
        subscription.id,
        {"items": [{"id": item.id, "deleted": True}], "proration_date": at},
    )
    assert [i.id for i in removed["items"].data] == [new_item.id]
    assert [i.amount for i in _pending(client, customer)] == [3200, -1548]
    stripe_emulator.advance(days=17)
    renewal = client.v1.invoices.list({"subscription": subscription.id}).data[0]
    assert [line.amount for line in renewal.lines.data] == [3200, -1548, 6200]
    assert renewal.total == 7852


def test_always_invoice_invoices_the_prorations_at_once(stripe_emulator):
    """always_invoice: a subscription_update invoice with just the prorations, finalized and
    paid (charge_automatically) or open (send_invoice); nothing stays pending."""
    client = stripe_emulator.client()
    customer, _, subscription, item = _january_subscription(stripe_emulator, client)
    at = item.current_period_start + 15 * DAY
    updated = client.v1.subscriptions.update(
        subscription.id,
        {
            "items": [{"id": item.id, "quantity": 5}],
            "proration_behavior": "always_invoice",
            "proration_date": at,
            "expand": ["latest_invoice"],
        },
    )
    invoice = updated.latest_invoice
    assert invoice.billing_reason == "subscription_update"
    assert [line.amount for line in invoice.lines.data] == [-1548, 2581]
    assert (invoice.total, invoice.status, invoice.amount_paid) == (1033, "paid", 1033)
    assert _pending(client, customer) == []
    types = event_types(client)
    tail = types[types.index("customer.subscription.updated") :]
    assert tail[:3] == ["customer.subscription.updated", "invoice.created", "invoice.finalized"]
    assert "invoice.paid" in tail

    other, product = customer_and_product(client, name="Sender")
    sent = client.v1.subscriptions.create(
        {
            "customer": other.id,
            "items": [{"price_data": monthly(product.id, 1000), "quantity": 3}],
            "collection_method": "send_invoice",
            "days_until_due": 14,
        }
    )
    sent_item = sent["items"].data[0]
    open_invoice = client.v1.subscriptions.update(
        sent.id,
        {
            "items": [{"id": sent_item.id, "quantity": 4}],
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    ).latest_invoice
    assert (open_invoice.status, open_invoice.collection_method) == ("open", "send_invoice")
    assert open_invoice.amount_remaining == open_invoice.total > 0


def test_always_invoice_with_a_failing_customer(stripe_emulator):
    """The proration invoice stays open and the subscription goes past_due;
    error_if_incomplete refuses the update instead and changes nothing."""
    client = stripe_emulator.client()
    customer, _, subscription, item = _january_subscription(stripe_emulator, client)
    stripe_emulator.set_payment_behavior(customer.id, "fail")
    update = {
        "items": [{"id": item.id, "quantity": 5}],
        "proration_behavior": "always_invoice",
    }
    with pytest.raises(stripe.CardError):
        client.v1.subscriptions.update(
            subscription.id, {**update, "payment_behavior": "error_if_incomplete"}
        )
    assert client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].quantity == 3
    updated = client.v1.subscriptions.update(
        subscription.id, {**update, "expand": ["latest_invoice"]}
    )
    assert updated.latest_invoice.status == "open"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"


def test_none_creates_no_prorations(stripe_emulator):
    """proration_behavior=none changes the item and bills the new quantity from the renewal."""
    client = stripe_emulator.client()
    customer, _, subscription, item = _january_subscription(stripe_emulator, client)
    client.v1.subscriptions.update(
        subscription.id,
        {"items": [{"id": item.id, "quantity": 5}], "proration_behavior": "none"},
    )
    assert _pending(client, customer) == []
    assert "invoiceitem.created" not in event_types(client)
    stripe_emulator.advance(days=32)
    renewal = client.v1.invoices.list({"subscription": subscription.id}).data[0]
    assert [line.amount for line in renewal.lines.data] == [5000]


@pytest.mark.parametrize("behavior", ["create_prorations", "always_invoice", "none"])
def test_the_preview_shows_exactly_what_the_update_creates(stripe_emulator, behavior):
    """invoices.create_preview with subscription_details and the same proration_date: an
    unsaved invoice (`upcoming_in_...`) whose proration lines equal the invoice items the update
    then creates, to the cent; for create_prorations and none it is the next renewal."""
    client = stripe_emulator.client()
    customer, product, subscription, item = _january_subscription(stripe_emulator, client)
    stripe_emulator.advance(days=10)
    at = item.current_period_start + 10 * DAY
    details = {
        "items": [
            {"id": item.id, "quantity": 4},
            {"price_data": monthly(product.id, 777), "quantity": 3},
        ],
        "proration_behavior": behavior,
        "proration_date": at,
    }
    preview = client.v1.invoices.create_preview(
        {"subscription": subscription.id, "subscription_details": details}
    )
    assert preview.id.startswith("upcoming_in_")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.retrieve(preview.id)
    assert _pending(client, customer) == []
    prices_before = len(client.v1.prices.list({"limit": 100}).data)
    lines = preview.lines.data
    prorations = [line for line in lines if line.parent.subscription_item_details.proration]
    expected = {
        "create_prorations": [-2032, 2710, 1579],  # 3000/4000/2331 × 21/31
        "always_invoice": [-2032, 2710, 1579],
        "none": [],
    }[behavior]
    assert [line.amount for line in prorations] == expected
    if behavior == "always_invoice":
        assert preview.billing_reason == "subscription_update"
        assert preview.total == sum(expected)
    else:
        assert preview.billing_reason == "upcoming"
        renewal = [line.amount for line in lines if line not in prorations]
        assert renewal == [4000, 2331]
        assert preview.total == sum(expected) + 6331
    assert len(client.v1.prices.list({"limit": 100}).data) == prices_before

    client.v1.subscriptions.update(
        subscription.id,
        {
            **details,
            "items": [details["items"][0], {"price_data": monthly(product.id, 777), "quantity": 3}],
        },
    )
    created = client.v1.invoice_items.list({"customer": customer.id, "limit": 10}).data
    created = [i for i in reversed(created) if i.proration]
    assert [i.amount for i in created] == expected
    assert [i.description for i in created] == [line.description for line in prorations]
    assert [i.period.start for i in created] == [line.period.start for line in prorations]
    if behavior != "always_invoice":
        stripe_emulator.advance(days=22)
        renewal = client.v1.invoices.list({"subscription": subscription.id}).data[0]
        assert [line.amount for line in renewal.lines.data] == [line.amount for line in lines]
        assert renewal.total == preview.total


def test_cancel_at_and_cancel_at_period_end_through_the_clock(stripe_emulator):
    """cancel_at (with proration_behavior=none before the period end) cancels the
    subscription when the clock passes it; "" clears it; cancel_at_period_end cancels at the
    end of the period; both leave cancel_at_period_end / cancel_at as Stripe shows them."""
    client = stripe_emulator.client()
    customer, product, subscription, item = _january_subscription(stripe_emulator, client)
    when = item.current_period_start + 20 * DAY
    with pytest.raises(stripe.InvalidRequestError, match="proration_behavior=none"):
        client.v1.subscriptions.update(subscription.id, {"cancel_at": when})
    updated = client.v1.subscriptions.update(
        subscription.id, {"cancel_at": when, "proration_behavior": "none"}
    )
    assert (updated.cancel_at, updated.cancel_at_period_end) == (when, False)
    assert updated.cancellation_details.reason == "cancellation_requested"
    cleared = client.v1.subscriptions.update(subscription.id, {"cancel_at": ""})
    assert (cleared.cancel_at, cleared.canceled_at) == (None, None)
    client.v1.subscriptions.update(
        subscription.id, {"cancel_at": when, "proration_behavior": "none"}
    )
    stripe_emulator.advance(when - stripe_emulator.now() - 5)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    stripe_emulator.advance(10)
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert (ended.status, ended.ended_at) == ("canceled", when)
    assert "customer.subscription.deleted" in event_types(client)

    later = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price_data": monthly(product.id, 1000)}]}
    )
    end = later["items"].data[0].current_period_end
    at_end = client.v1.subscriptions.update(later.id, {"cancel_at": "max_period_end"})
    assert (at_end.cancel_at, at_end.cancel_at_period_end) == (end, False)
    flagged = client.v1.subscriptions.update(later.id, {"cancel_at_period_end": True})
    assert (flagged.cancel_at, flagged.cancel_at_period_end) == (end, True)
    with pytest.raises(stripe.InvalidRequestError, match="No upcoming invoices"):
        client.v1.invoices.create_preview({"subscription": later.id})
    stripe_emulator.advance(end - stripe_emulator.now() + 1)
    done = client.v1.subscriptions.retrieve(later.id)
    assert (done.status, done.ended_at) == ("canceled", end)
    assert len(client.v1.invoices.list({"subscription": later.id}).data) == 1


def test_invalid_updates_are_refused_and_change_nothing(stripe_emulator):
    """Stripe's rules: known item ids, one currency and interval, not all items deleted, at
    most 20 items, integer quantities; canceled subscriptions can't change items."""
    client = stripe_emulator.client()
    customer, product, subscription, item = _january_subscription(stripe_emulator, client)
    usd = client.v1.prices.create(monthly(product.id, 100, currency="usd"))
    yearly = client.v1.prices.create(monthly(product.id, 100, interval="year"))
    cases = [
        ([{"id": "si_missing", "quantity": 2}], "No such subscription item", "items[0][id]"),
        ([{"price": usd.id}], "Found mismatch in currency field", "items[0]"),
        ([{"price": yearly.id}], "Found mismatch in interval field", "items"),
        ([{"id": item.id, "deleted": True}], "at least one item", "items"),
        ([{"id": item.id, "quantity": 1.5}], "Invalid integer", None),
        ([{"id": item.id, "price": yearly.id}], "does not emulate changing", "items"),
        ([{"id": item.id, "discounts": [{"coupon": "C"}]}], "does not emulate", None),
    ]
    for items, message, param in cases:
        with pytest.raises(stripe.InvalidRequestError, match=message) as caught:
            client.v1.subscriptions.update(subscription.id, {"items": items})
        if param:
            assert caught.value.param == param
    many = [{"price_data": monthly(product.id, 100 + n)} for n in range(20)]
    with pytest.raises(stripe.InvalidRequestError, match="at most 20 items"):
        client.v1.subscriptions.update(subscription.id, {"items": many})
    current = client.v1.subscriptions.retrieve(subscription.id)
    assert [(i.id, i.quantity) for i in current["items"].data] == [(item.id, 3)]
    assert _pending(client, customer) == []
    with pytest.raises(stripe.InvalidRequestError, match="proration_date"):
        client.v1.subscriptions.update(
            subscription.id,
            {
                "items": [{"id": item.id, "quantity": 4}],
                "proration_date": item.current_period_end + 5,
            },
        )
    client.v1.subscriptions.cancel(subscription.id)
    with pytest.raises(stripe.InvalidRequestError, match="canceled subscription"):
        client.v1.subscriptions.update(subscription.id, {"items": [{"id": item.id, "quantity": 4}]})


def test_an_update_replays_with_its_idempotency_key(stripe_emulator):
    """The same Idempotency-Key returns the first answer and creates no second pair of
    prorations or events."""
    client = stripe_emulator.client()
    customer, _, subscription, item = _january_subscription(stripe_emulator, client)
    params = {"items": [{"id": item.id, "quantity": 5}]}
    options = {"idempotency_key": "upgrade-1"}
    first = client.v1.subscriptions.update(subscription.id, params, options)
    events = event_types(client)
    again = client.v1.subscriptions.update(subscription.id, params, options)
    assert again.to_dict() == first.to_dict()
    assert len(_pending(client, customer)) == 2
    assert event_types(client) == events
    assert events.count("invoiceitem.created") == 2
    with pytest.raises(stripe.IdempotencyError):
        client.v1.subscriptions.update(
            subscription.id, {"items": [{"id": item.id, "quantity": 6}]}, options
        )


def test_an_invoice_item_for_a_subscription_waits_for_its_next_invoice(stripe_emulator):
    """`subscription` on an invoice item: pending until that subscription's renewal, which
    carries it; refused beside `invoice`, for another customer or an ended subscription."""
    client = stripe_emulator.client()
    customer, product, subscription, _item = _january_subscription(stripe_emulator, client)
    item = client.v1.invoice_items.create(
        {
            "customer": customer.id,
            "subscription": subscription.id,
            "price_data": {"currency": "eur", "product": product.id, "unit_amount": 15000},
            "quantity": 1,
        }
    )
    assert item.invoice is None
    assert item.parent.subscription_details.subscription == subscription.id
    stripe_emulator.advance(days=32)
    renewal = client.v1.invoices.list({"subscription": subscription.id}).data[0]
    assert renewal.billing_reason == "subscription_cycle"
    assert item.id in [
        line.parent.invoice_item_details.invoice_item
        for line in renewal.lines.data
        if line.parent.type == "invoice_item_details"
    ]
    assert renewal.subtotal == 15000 + 3000

    other, _ = customer_and_product(client)
    for params, message in (
        ({"customer": other.id}, "different customer"),
        ({"customer": customer.id, "invoice": renewal.id}, "only specify one"),
    ):
        with pytest.raises(stripe.InvalidRequestError, match=message):
            client.v1.invoice_items.create(
                {**params, "subscription": subscription.id, "amount": 100, "currency": "eur"}
            )
    client.v1.subscriptions.cancel(subscription.id)
    with pytest.raises(stripe.InvalidRequestError, match="canceled subscription"):
        client.v1.invoice_items.create(
            {
                "customer": customer.id,
                "subscription": subscription.id,
                "amount": 100,
                "currency": "eur",
            }
        )
