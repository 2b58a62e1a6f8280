"""Invoice payments: the hosted invoice page (full, partial, failed payments and expiry),
paid out of band, payment records, credit notes and refunds."""

from .helpers import event_types, events_of, get_page, open_invoice, post_form


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
