"""Invoice dates as Stripe keeps them (issue 22, point 6): `status_transitions` (finalized_at,
paid_at, voided_at, marked_uncollectible_at) and `effective_at`, a subscription's first
invoice finalized at once, its renewal drafts finalized an hour after the period ends, all on
the emulator's clock."""

import pytest
import stripe

from .helpers import customer_and_product, monthly

TRANSITIONS = ("finalized_at", "marked_uncollectible_at", "paid_at", "voided_at")


def _transitions(invoice) -> dict:
    return {name: invoice.status_transitions[name] for name in TRANSITIONS}


def _events(client, event_type, invoice_id):
    return [
        e
        for e in client.v1.events.list({"type": event_type, "limit": 100}).data
        if e.data.object.id == invoice_id
    ]


def test_a_renewal_draft_finalizes_an_hour_after_the_period_ends(stripe_emulator):
    """The first invoice (charge_automatically) is finalized and paid when the subscription
    starts; at the period's end the renewal is a draft (subscription_cycle, no transitions,
    no effective_at) that finalizes exactly an hour later, sending invoice.finalized then."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price_data": monthly(product.id, 3000)}]}
    )
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.billing_reason == "subscription_create"
    assert first.status == "paid"
    assert first.status_transitions.finalized_at == first.created == first.effective_at
    assert first.status_transitions.paid_at == first.created

    end = subscription["items"].data[0].current_period_end
    stripe_emulator.advance(end - stripe_emulator.now())
    renewal = client.v1.invoices.list({"subscription": subscription.id}).data[0]
    assert (renewal.billing_reason, renewal.status) == ("subscription_cycle", "draft")
    assert renewal.created == end
    assert renewal.automatically_finalizes_at == end + 3600
    assert renewal.effective_at is None
    assert _transitions(renewal) == dict.fromkeys(TRANSITIONS)
    assert len(_events(client, "invoice.created", renewal.id)) == 1
    assert _events(client, "invoice.finalized", renewal.id) == []

    # The emulator's clock also runs in real time: leave a loaded machine a minute of margin.
    stripe_emulator.advance(3540)
    assert client.v1.invoices.retrieve(renewal.id).status == "draft"
    stripe_emulator.advance(60)
    renewal = client.v1.invoices.retrieve(renewal.id)
    assert renewal.status == "paid" and renewal.number
    assert renewal.status_transitions.finalized_at == end + 3600 == renewal.effective_at
    # Paid when the payment attempt after finalization succeeds: that same second, or the next
    # on a loaded machine (the clock runs in real time).
    assert end + 3600 <= renewal.status_transitions.paid_at <= end + 3660
    (finalized,) = _events(client, "invoice.finalized", renewal.id)
    assert finalized.created == end + 3600
    assert finalized.data.object.status_transitions.finalized_at == end + 3600


def test_a_month_of_clock_renews_and_finalizes_in_one_advance(stripe_emulator):
    """One advance past the period end and the hour after it does both, in time order."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price_data": monthly(product.id, 3000)}]}
    )
    end = subscription["items"].data[0].current_period_end
    stripe_emulator.advance(end - stripe_emulator.now() + 7200)
    renewal = client.v1.invoices.list({"subscription": subscription.id}).data[0]
    assert (renewal.created, renewal.status_transitions.finalized_at) == (end, end + 3600)


def test_void_and_uncollectible_carry_their_moments(stripe_emulator):
    """Each transition keeps when it happened on the emulator's clock; the others stay null."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    invoices = []
    for _ in range(2):
        invoice = client.v1.invoices.create(
            {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 14}
        )
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": 5000, "currency": "eur"}
        )
        invoices.append(invoice)
    created = stripe_emulator.now()
    stripe_emulator.advance(days=2)
    finalized_at = stripe_emulator.now()
    for invoice in invoices:
        client.v1.invoices.finalize_invoice(invoice.id)
    stripe_emulator.advance(days=1)
    voided = client.v1.invoices.void_invoice(invoices[0].id)
    stripe_emulator.advance(days=1)
    lost = client.v1.invoices.mark_uncollectible(invoices[1].id)

    assert voided.created <= created + 1
    assert _transitions(voided) == {
        "finalized_at": pytest.approx(finalized_at, abs=2),
        "marked_uncollectible_at": None,
        "paid_at": None,
        "voided_at": pytest.approx(finalized_at + 86400, abs=2),
    }
    assert voided.effective_at == voided.status_transitions.finalized_at
    assert _transitions(lost)["marked_uncollectible_at"] == pytest.approx(
        finalized_at + 2 * 86400, abs=2
    )
    assert _transitions(lost)["voided_at"] is None


def test_effective_at_replaces_the_date_of_issue_only_when_set(stripe_emulator):
    """`effective_at` given on a draft is kept at finalization (finalized_at stays the moment
    it was finalized); it can be changed on drafts only."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    chosen = stripe_emulator.now() - 3 * 86400
    invoice = client.v1.invoices.create({"customer": customer.id, "effective_at": chosen})
    assert invoice.effective_at == chosen
    client.v1.invoices.update(invoice.id, {"effective_at": chosen + 60})
    client.v1.invoices.update(invoice.id, {"effective_at": ""})
    assert client.v1.invoices.retrieve(invoice.id).effective_at is None
    client.v1.invoices.update(invoice.id, {"effective_at": chosen})
    stripe_emulator.advance(days=2)
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert finalized.effective_at == chosen
    assert finalized.status_transitions.finalized_at == pytest.approx(stripe_emulator.now(), abs=2)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoices.update(invoice.id, {"effective_at": chosen})
    assert caught.value.code == "invoice_not_editable"
