"""Invoice payments: the hosted invoice page (full, partial, failed payments and expiry),
paid out of band, payment records, credit notes and refunds."""

import pytest
import stripe

from emulators.stripe import API_VERSION

from .helpers import (
    customer_and_product,
    event_types,
    events_of,
    get_page,
    monthly,
    open_invoice,
    post_form,
)


def test_the_hosted_page_takes_partial_then_full_payment(stripe_emulator):
    """Pay part keeps the invoice open with an invoice payment per payment; Pay in full pays
    the rest and marks it paid, with the events Stripe sends."""
    client = stripe_emulator.client()
    invoice = open_invoice(client, 10000)
    status, page = get_page(invoice.hosted_invoice_url)
    assert status == 200 and "Pay in full" in page and "Pay part" in page and "Fail" in page
    status, page = post_form(invoice.hosted_invoice_url + "/pay_part", amount="25.50")
    assert status == 200 and "Payment of €25.50 received" in page
    partly = client.v1.invoices.retrieve(invoice.id)
    assert (partly.status, partly.amount_paid, partly.amount_remaining) == ("open", 2550, 7450)
    assert partly.status_transitions.paid_at is None
    first = client.v1.invoice_payments.list({"invoice": invoice.id}).data
    assert len(first) == 1
    payment = first[0]
    assert payment.id.startswith("inpay_")
    assert (payment.amount_requested, payment.amount_paid, payment.status) == (2550, 2550, "paid")
    assert (payment.currency, payment.is_default, payment.payment.type) == (
        "eur",
        True,
        "payment_intent",
    )
    assert payment.status_transitions.paid_at is not None
    intent = client.v1.payment_intents.retrieve(payment.payment.payment_intent)
    assert (intent.status, intent.amount_received) == ("succeeded", 2550)
    assert client.v1.charges.retrieve(intent.latest_charge).amount == 2550
    updated = events_of(client, "invoice.updated")[-1]
    assert updated.data.previous_attributes["amount_paid"] == 0
    assert updated.data.previous_attributes["amount_remaining"] == 10000
    assert events_of(client, "invoice_payment.paid")[-1].data.object.id == payment.id
    assert "invoice.paid" not in event_types(client)

    status, page = post_form(invoice.hosted_invoice_url + "/pay")
    assert status == 200 and "Payment of €74.50 received" in page
    paid = client.v1.invoices.retrieve(invoice.id, {"expand": ["payments"]})
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 10000, 0)
    assert paid.status_transitions.paid_at is not None
    assert [p.amount_paid for p in paid.payments.data] == [7450, 2550]
    assert [p.is_default for p in paid.payments.data] == [False, True]
    types = event_types(client)
    assert types.count("invoice_payment.paid") == 2
    assert types.count("payment_intent.succeeded") == 2
    assert types.count("charge.succeeded") == 2
    assert types[-3:] == ["invoice_payment.paid", "invoice.paid", "invoice.payment_succeeded"]
    status, page = get_page(invoice.hosted_invoice_url)
    assert "Pay in full" not in page and "paid" in page


def test_the_hosted_page_refuses_bad_partial_amounts(stripe_emulator):
    client = stripe_emulator.client()
    invoice = open_invoice(client, 10000)
    for amount in ("0", "-1", "100.01", "abc", "1.234", ""):
        status, page = post_form(invoice.hosted_invoice_url + "/pay_part", amount=amount)
        assert status == 400, amount
        assert "Enter an amount greater than 0 and at most €100.00" in page
    assert client.v1.invoices.retrieve(invoice.id).amount_paid == 0
    assert client.v1.invoice_payments.list({"invoice": invoice.id}).data == []
    status, _ = post_form(invoice.hosted_invoice_url + "/pay_part", amount="100")
    assert status == 200
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"


def test_the_hosted_page_uses_major_units_of_zero_decimal_currencies(stripe_emulator):
    client = stripe_emulator.client()
    invoice = open_invoice(client, 5000, currency="jpy")
    assert post_form(invoice.hosted_invoice_url + "/pay_part", amount="1.5")[0] == 400
    assert post_form(invoice.hosted_invoice_url + "/pay_part", amount="1200")[0] == 200
    assert client.v1.invoices.retrieve(invoice.id).amount_remaining == 3800


def test_the_hosted_page_fail_button_declines_and_records_nothing_paid(stripe_emulator):
    client = stripe_emulator.client()
    invoice = open_invoice(client, 10000)
    status, page = post_form(invoice.hosted_invoice_url + "/decline")
    assert status == 402 and "Your card was declined" in page
    failed = client.v1.invoices.retrieve(invoice.id)
    assert (failed.status, failed.amount_paid, failed.attempt_count) == ("open", 0, 1)
    assert [p.status for p in client.v1.invoice_payments.list({"invoice": invoice.id})] == ["open"]
    types = event_types(client)
    assert "invoice.payment_failed" in types and "payment_intent.payment_failed" in types
    assert "invoice_payment.paid" not in types
    assert post_form(invoice.hosted_invoice_url + "/pay_part", amount="40")[0] == 200
    payments = client.v1.invoice_payments.list({"invoice": invoice.id}).data
    assert [(p.status, p.amount_requested, p.amount_paid) for p in payments] == [
        ("paid", 4000, 4000)
    ]


DAY = 86400


def test_the_hosted_invoice_link_expires_30_days_after_the_due_date(stripe_emulator):
    client = stripe_emulator.client()
    invoice = open_invoice(client, 10000, days_until_due=14)
    url = invoice.hosted_invoice_url
    stripe_emulator.advance(44 * DAY - 10)
    assert "Pay in full" in get_page(url)[1]
    stripe_emulator.advance(10)
    status, page = get_page(url)
    assert status == 200
    assert f"This invoice link has expired &mdash; contact {invoice.account_name}" in page
    assert "Pay in full" not in page
    status, page = post_form(url + "/pay")
    assert status == 200 and "expired" in page
    again = client.v1.invoices.retrieve(invoice.id)
    assert (again.status, again.amount_paid, again.hosted_invoice_url) == ("open", 0, url)


def test_the_hosted_invoice_link_without_due_date_or_far_due_date(stripe_emulator):
    """No due date: 30 days after finalization; a far due date is capped at 120 days."""
    client = stripe_emulator.client()
    draft = client.v1.invoices.create({"customer": open_invoice(client).customer})
    assert draft.hosted_invoice_url is None
    client.v1.invoice_items.create(
        {"customer": draft.customer, "invoice": draft.id, "amount": 500, "currency": "eur"}
    )
    automatic = client.v1.invoices.finalize_invoice(draft.id)
    far = open_invoice(client, 10000, days_until_due=100)
    stripe_emulator.advance(30 * DAY - 10)
    assert "Pay in full" in get_page(automatic.hosted_invoice_url)[1]
    stripe_emulator.advance(10)
    assert "has expired" in get_page(automatic.hosted_invoice_url)[1]
    stripe_emulator.advance(90 * DAY - 10)
    assert "Pay in full" in get_page(far.hosted_invoice_url)[1]
    stripe_emulator.advance(10)
    assert "has expired" in get_page(far.hosted_invoice_url)[1]


def test_paid_out_of_band_after_a_partial_payment(stripe_emulator):
    """paid_out_of_band settles the whole remainder with no charge; amount_paid_off_stripe
    (includable, not in event payloads) counts only that part."""
    client = stripe_emulator.client()
    invoice = open_invoice(client, 10000)
    post_form(invoice.hosted_invoice_url + "/pay_part", amount="30")
    paid = client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 10000, 0)
    assert paid.status_transitions.paid_at is not None
    off = client.v1.invoices.retrieve(invoice.id, {"expand": ["amount_paid_off_stripe"]})
    assert off.amount_paid_off_stripe == 7000
    types = event_types(client)
    assert types.count("charge.succeeded") == 1
    assert types[-1] == "invoice.paid"
    assert "amount_paid_off_stripe" not in events_of(client, "invoice.paid")[-1].data.object


def report(client, amount, currency="eur", **extra):
    return client.v1.payment_records.report_payment(
        {
            "amount_requested": {"currency": currency, "value": amount},
            "initiated_at": 1_800_000_000,
            "payment_method_details": {"type": "custom", "custom": {"display_name": "Wire"}},
            "processor_details": {"type": "custom", "custom": {"payment_reference": "CHK-1"}},
            "outcome": "guaranteed",
            "guaranteed": {"guaranteed_at": 1_800_000_100},
            "metadata": {"source": "bank"},
            **extra,
        }
    )


def test_payment_records_pay_an_invoice_in_parts(stripe_emulator):
    client = stripe_emulator.client()
    invoice = open_invoice(client, 10000)
    record = report(client, 4000, customer_details={"customer": invoice.customer})
    assert record.id.startswith("pr_") and record.object == "payment_record"
    assert (record.amount_guaranteed.value, record.amount.value) == (4000, 4000)
    assert (record.amount_requested.currency, record.reported_by) == ("eur", "self")
    assert record.processor_details.custom.payment_reference == "CHK-1"
    assert client.v1.payment_records.retrieve(record.id).metadata["source"] == "bank"
    partly = client.v1.invoices.attach_payment(invoice.id, {"payment_record": record.id})
    assert (partly.status, partly.amount_paid, partly.amount_remaining) == ("open", 4000, 6000)
    payment = client.v1.invoice_payments.list({"invoice": invoice.id}).data[0]
    assert (payment.payment.type, payment.payment.payment_record) == ("payment_record", record.id)
    assert (payment.status, payment.amount_paid) == ("paid", 4000)
    assert event_types(client)[-2:] == ["invoice_payment.paid", "invoice.updated"]
    rest = report(client, 6000)
    paid = client.v1.invoices.attach_payment(invoice.id, {"payment_record": rest.id})
    assert (paid.status, paid.amount_remaining) == ("paid", 0)
    off = client.v1.invoices.retrieve(invoice.id, {"expand": ["amount_paid_off_stripe"]})
    assert off.amount_paid_off_stripe == 10000
    assert event_types(client)[-2:] == ["invoice.paid", "invoice.payment_succeeded"]


def test_attach_payment_refuses_what_it_cannot_attach(stripe_emulator):
    client = stripe_emulator.client()
    invoice = open_invoice(client, 10000)
    too_much = report(client, 20000)
    with pytest.raises(stripe.InvalidRequestError, match="amount_remaining"):
        client.v1.invoices.attach_payment(invoice.id, {"payment_record": too_much.id})
    with pytest.raises(stripe.InvalidRequestError, match="currency"):
        client.v1.invoices.attach_payment(
            invoice.id, {"payment_record": report(client, 100, currency="usd").id}
        )
    failed = report(client, 100, outcome="failed", failed={"failed_at": 1_800_000_100})
    with pytest.raises(stripe.InvalidRequestError, match="guaranteed"):
        client.v1.invoices.attach_payment(invoice.id, {"payment_record": failed.id})
    good = report(client, 100)
    client.v1.invoices.attach_payment(invoice.id, {"payment_record": good.id})
    with pytest.raises(stripe.InvalidRequestError, match="already attached"):
        client.v1.invoices.attach_payment(invoice.id, {"payment_record": good.id})
    with pytest.raises(stripe.InvalidRequestError, match="exactly one"):
        client.v1.invoices.attach_payment(invoice.id)


def test_attach_a_confirmed_payment_intent(stripe_emulator):
    client = stripe_emulator.client()
    invoice = open_invoice(client, 10000)
    intent = client.v1.payment_intents.create(
        {"amount": 2500, "currency": "eur", "customer": invoice.customer, "confirm": True}
    )
    assert intent.status == "succeeded"
    partly = client.v1.invoices.attach_payment(invoice.id, {"payment_intent": intent.id})
    assert (partly.amount_paid, partly.amount_remaining, partly.status) == (2500, 7500, "open")
    listed = client.v1.invoice_payments.list(
        {"payment": {"type": "payment_intent", "payment_intent": intent.id}}
    )
    assert listed.data[0].invoice == invoice.id
    unconfirmed = client.v1.payment_intents.create({"amount": 100, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError, match="succeeded"):
        client.v1.invoices.attach_payment(invoice.id, {"payment_intent": unconfirmed.id})


def test_a_credit_note_on_a_partly_paid_invoice_is_mixed(stripe_emulator):
    """The credit first reduces amount_remaining; the rest must be refunded or out of band."""
    client = stripe_emulator.client()
    invoice = open_invoice(client, 10000)
    post_form(invoice.hosted_invoice_url + "/pay_part", amount="80")
    with pytest.raises(stripe.InvalidRequestError, match="post-payment part"):
        client.v1.credit_notes.create({"invoice": invoice.id, "amount": 3000})
    note = client.v1.credit_notes.create(
        {
            "invoice": invoice.id,
            "amount": 3000,
            "refund_amount": 500,
            "out_of_band_amount": 500,
            "reason": "order_change",
            "memo": "Less hours",
            "metadata": {"ticket": "T-1"},
        }
    )
    assert note.id.startswith("cn_") and note.status == "issued"
    assert (note.type, note.pre_payment_amount, note.post_payment_amount) == ("mixed", 2000, 1000)
    assert (note.amount, note.total, note.out_of_band_amount) == (3000, 3000, 500)
    assert note.number == invoice.number + "-CN-01"
    assert note.refunds[0].amount_refunded == 500 and note.refunds[0].type == "refund"
    assert note.lines.data[0].amount == 3000
    after = client.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.amount_remaining, after.amount_paid) == ("paid", 0, 8000)
    assert after.pre_payment_credit_notes_amount == 2000
    assert after.post_payment_credit_notes_amount == 1000
    refund = client.v1.refunds.retrieve(note.refunds[0].refund)
    assert refund.amount == 500
    types = event_types(client)
    assert types[-5:] == [
        "refund.created",
        "charge.refunded",
        "invoice.updated",
        "invoice.paid",
        "credit_note.created",
    ]
    assert client.v1.credit_notes.retrieve(note.id).memo == "Less hours"
    assert [n.id for n in client.v1.credit_notes.list({"invoice": invoice.id})] == [note.id]


def test_credit_notes_by_lines_on_an_open_invoice(stripe_emulator):
    client = stripe_emulator.client()
    invoice = open_invoice(client, 10000)
    line = invoice.lines.data[0]
    note = client.v1.credit_notes.create(
        {
            "invoice": invoice.id,
            "lines": [
                {"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 1500},
                {
                    "type": "custom_line_item",
                    "unit_amount": 250,
                    "quantity": 2,
                    "description": "Goodwill",
                },
            ],
        }
    )
    assert (note.type, note.amount, note.pre_payment_amount) == ("pre_payment", 2000, 2000)
    assert [li.type for li in client.v1.credit_notes.line_items.list(note.id)] == [
        "invoice_line_item",
        "custom_line_item",
    ]
    after = client.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.amount_due, after.amount_remaining) == ("open", 8000, 8000)
    updated = events_of(client, "invoice.updated")[-1]
    assert updated.data.previous_attributes["pre_payment_credit_notes_amount"] == 0
    with pytest.raises(stripe.InvalidRequestError, match="not emulate"):
        client.v1.credit_notes.create({"invoice": invoice.id, "amount": 10, "credit_amount": 10})
    with pytest.raises(stripe.InvalidRequestError, match="at most the invoice total"):
        client.v1.credit_notes.create({"invoice": invoice.id, "amount": 9000})


def test_refunds_on_a_paid_invoice_leave_it_paid(stripe_emulator):
    client = stripe_emulator.client()
    invoice = open_invoice(client, 10000)
    post_form(invoice.hosted_invoice_url + "/pay")
    payment = client.v1.invoice_payments.list({"invoice": invoice.id}).data[0]
    refund = client.v1.refunds.create(
        {"payment_intent": payment.payment.payment_intent, "amount": 4000}
    )
    assert refund.status == "succeeded"
    assert event_types(client)[-2:] == ["refund.created", "charge.refunded"]
    after = client.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.amount_paid, after.post_payment_credit_notes_amount) == (
        "paid",
        10000,
        0,
    )
    note = client.v1.credit_notes.create(
        {"invoice": invoice.id, "amount": 1000, "refund_amount": 1000}
    )
    assert (note.type, note.post_payment_amount) == ("post_payment", 1000)
    assert client.v1.charges.retrieve(refund.charge).amount_refunded == 5000


def test_payment_events_arrive_signed_like_stripes(stripe_emulator, webhook_receiver):
    """A partial payment on the hosted page and a credit note are delivered to a webhook
    endpoint, each verifiable with the SDK and the endpoint's secret."""
    client = stripe_emulator.client()
    events = ["invoice_payment.paid", "invoice.updated", "credit_note.created"]
    endpoint = client.v1.webhook_endpoints.create(
        {"url": webhook_receiver.url, "enabled_events": events, "api_version": API_VERSION}
    )
    invoice = open_invoice(client, 10000)
    post_form(invoice.hosted_invoice_url + "/pay_part", amount="10")
    client.v1.credit_notes.create({"invoice": invoice.id, "amount": 1000})
    stripe_emulator.flush_webhooks()
    received = [
        stripe.Webhook.construct_event(d["body"], d["signature"], endpoint.secret)
        for d in webhook_receiver.received
    ]
    types = [e.type for e in received]
    assert set(types) == set(events)  # invoice.updated also for the draft's new item
    assert (types.count("invoice_payment.paid"), types.count("credit_note.created")) == (1, 1)
    paid = next(e for e in received if e.type == "invoice_payment.paid")
    assert isinstance(paid.data.object, stripe.InvoicePayment)
    assert paid.data.object.amount_paid == 1000
    note = next(e for e in received if e.type == "credit_note.created")
    assert isinstance(note.data.object, stripe.CreditNote)


def test_a_partly_paid_invoice_cannot_be_voided(stripe_emulator):
    client = stripe_emulator.client()
    invoice = open_invoice(client, 10000)
    post_form(invoice.hosted_invoice_url + "/pay_part", amount="10")
    with pytest.raises(stripe.InvalidRequestError, match="can't be voided"):
        client.v1.invoices.void_invoice(invoice.id)


def test_no_partial_payments_for_charged_subscription_invoices(stripe_emulator):
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    stripe_emulator.set_payment_behavior(customer.id, "fail")
    price = client.v1.prices.create(monthly(product.id, 5000))
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}]}
    )
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert invoice.status == "open"
    page = get_page(invoice.hosted_invoice_url)[1]
    assert "Pay in full" in page and "Pay part" not in page
    status, page = post_form(invoice.hosted_invoice_url + "/pay_part", amount="10")
    assert status == 400 and "not supported" in page
    assert post_form(invoice.hosted_invoice_url + "/pay")[0] == 200
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
