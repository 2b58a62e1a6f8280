"""Invoices and invoice items: lifecycle, payments, errors and shapes of the pinned version."""

import urllib.request

import pytest
import stripe

from .helpers import customer_and_product, event_types, one_time


def test_it_runs_a_send_invoice_invoice_through_its_lifecycle(stripe_emulator):
    """Draft with footer, custom fields, metadata and pending items included -> finalize
    (number, hosted URL, due date) -> send -> paid out of band, with the events in order."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    pending = client.v1.invoice_items.create(
        {"customer": customer.id, "price_data": one_time(product.id, 2500), "quantity": 2}
    )
    assert pending.invoice is None
    invoice = client.v1.invoices.create(
        {
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 14,
            "footer": "Reverse charge",
            "custom_fields": [{"name": "Quote", "value": "Q-2024-001"}],
            "metadata": {"quote_id": "q1"},
            "pending_invoice_items_behavior": "include",
        }
    )
    assert (invoice.status, invoice.auto_advance, invoice.billing_reason) == (
        "draft",
        False,
        "manual",
    )
    assert invoice.number is None and invoice.hosted_invoice_url is None
    assert invoice.due_date == invoice.created + 14 * 86400
    assert invoice.total == 5000
    assert invoice.lines.data[0].parent.invoice_item_details.invoice_item == pending.id
    assert invoice.lines.data[0].pricing.price_details.product == product.id
    assert client.v1.invoice_items.retrieve(pending.id).invoice == invoice.id
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert finalized.status == "open"
    assert finalized.number.endswith("-0001")
    assert finalized.hosted_invoice_url.startswith(stripe_emulator.base_url)
    assert finalized.status_transitions.finalized_at is not None
    with urllib.request.urlopen(finalized.hosted_invoice_url) as page:
        assert finalized.number in page.read().decode()
    with urllib.request.urlopen(finalized.invoice_pdf) as pdf:
        assert pdf.read().startswith(b"%PDF")
    client.v1.invoices.send_invoice(invoice.id)
    paid = client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 5000, 0)
    assert (
        client.v1.invoices.retrieve(
            invoice.id, {"expand": ["amount_paid_off_stripe"]}
        ).amount_paid_off_stripe
        == 5000
    )
    assert event_types(client)[-5:] == [
        "invoiceitem.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.sent",
        "invoice.paid",
    ]
    second = client.v1.invoices.create(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 7}
    )
    client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": second.id, "amount": 100, "currency": "eur"}
    )
    assert client.v1.invoices.finalize_invoice(second.id).number.endswith("-0002")


def test_it_charges_automatically_and_records_failures(stripe_emulator):
    """pay() charges the customer: a failing customer gets a CardError (402) and
    invoice.payment_failed; after switching to succeed, the invoice is paid with a payment
    intent, charge and invoice payment, and a refund emits charge.refunded."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    stripe_emulator.set_payment_behavior(customer.id, "fail")
    invoice = client.v1.invoices.create({"customer": customer.id})
    client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "amount": 1999, "currency": "eur"}
    )
    with pytest.raises(stripe.CardError) as caught:
        client.v1.invoices.pay(invoice.id)
    assert (caught.value.http_status, caught.value.code) == (402, "card_declined")
    failed = client.v1.invoices.retrieve(invoice.id)
    assert (failed.status, failed.attempt_count, failed.attempted) == ("open", 1, True)
    stripe_emulator.set_payment_behavior(customer.id, "succeed")
    paid = client.v1.invoices.pay(invoice.id, {"expand": ["payments"]})
    assert (paid.status, paid.amount_paid, paid.attempt_count) == ("paid", 1999, 2)
    payment = paid.payments.data[0]
    assert (payment.status, payment.amount_paid) == ("paid", 1999)
    intent = client.v1.payment_intents.retrieve(payment.payment.payment_intent)
    assert intent.status == "succeeded"
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.paid and charge.amount == 1999
    listed = client.v1.invoice_payments.list(
        {"payment": {"type": "payment_intent", "payment_intent": intent.id}}
    )
    assert listed.data[0].invoice == invoice.id
    refund = client.v1.refunds.create({"payment_intent": intent.id, "amount": 999})
    assert refund.status == "succeeded"
    assert client.v1.charges.retrieve(charge.id).amount_refunded == 999
    types = event_types(client)
    assert "invoice.payment_failed" in types
    assert types.index("invoice.payment_failed") < types.index("invoice.paid")
    assert types[-1] == "charge.refunded"
    with pytest.raises(stripe.InvalidRequestError, match="already paid"):
        client.v1.invoices.pay(invoice.id)


def test_it_voids_marks_uncollectible_and_deletes_drafts(stripe_emulator):
    """void and mark_uncollectible work on open invoices only; delete on drafts only."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)

    def open_invoice():
        invoice = client.v1.invoices.create(
            {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30}
        )
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": 500, "currency": "eur"}
        )
        return client.v1.invoices.finalize_invoice(invoice.id)

    voided = client.v1.invoices.void_invoice(open_invoice().id)
    assert voided.status == "void" and voided.status_transitions.voided_at
    uncollectible = client.v1.invoices.mark_uncollectible(open_invoice().id)
    assert uncollectible.status == "uncollectible"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.mark_uncollectible(voided.id)
    with pytest.raises(stripe.InvalidRequestError, match="only delete draft"):
        client.v1.invoices.delete(voided.id)
    draft = client.v1.invoices.create({"customer": customer.id})
    item = client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": draft.id, "amount": 500, "currency": "eur"}
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.void_invoice(draft.id)
    assert client.v1.invoices.delete(draft.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError, match="No such invoice"):
        client.v1.invoices.retrieve(draft.id)
    with pytest.raises(stripe.InvalidRequestError, match="No such invoiceitem"):
        client.v1.invoice_items.retrieve(item.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": voided.id, "amount": 1, "currency": "eur"}
        )
    assert caught.value.code == "invoice_not_editable"
    types = event_types(client)
    for expected in ("invoice.voided", "invoice.marked_uncollectible", "invoice.deleted"):
        assert expected in types


def test_it_validates_collection_settings(stripe_emulator):
    """send_invoice needs days_until_due or due_date; charge_automatically can't have them."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice"})
    assert caught.value.param == "days_until_due"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoices.create({"customer": customer.id, "days_until_due": 3})
    assert caught.value.param == "days_until_due"


def test_it_advances_auto_advance_invoices_with_the_clock(stripe_emulator):
    """A draft with auto_advance finalizes and is charged an hour after creation; one
    finalized by hand with auto_advance is charged an hour after finalization; drafts without
    auto_advance stay drafts."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    manual = client.v1.invoices.create({"customer": customer.id})
    auto = client.v1.invoices.create({"customer": customer.id, "auto_advance": True})
    by_hand = client.v1.invoices.create({"customer": customer.id})
    assert auto.automatically_finalizes_at == auto.created + 3600
    assert manual.automatically_finalizes_at is None
    for invoice in (manual, auto, by_hand):
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": 700, "currency": "eur"}
        )
    finalized = client.v1.invoices.finalize_invoice(by_hand.id, {"auto_advance": True})
    assert finalized.next_payment_attempt == finalized.status_transitions.finalized_at + 3600
    stripe_emulator.advance(59 * 60)
    assert client.v1.invoices.retrieve(auto.id).status == "draft"
    assert client.v1.invoices.retrieve(by_hand.id).status == "open"
    stripe_emulator.advance(61)
    assert client.v1.invoices.retrieve(manual.id).status == "draft"
    assert client.v1.invoices.retrieve(auto.id).status == "paid"
    assert client.v1.invoices.retrieve(by_hand.id).status == "paid"


def test_it_pages_invoice_lines(stripe_emulator):
    """The invoice embeds the first 10 lines (has_more, total_count); invoices.line_items
    lists all of them in order."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    invoice = client.v1.invoices.create({"customer": customer.id})
    for amount in range(1, 13):
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": amount, "currency": "eur"}
        )
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert len(invoice.lines.data) == 10
    assert invoice.lines.has_more is True
    lines = list(client.v1.invoices.line_items.list(invoice.id, {"limit": 5}).auto_paging_iter())
    assert [line.amount for line in lines] == list(range(1, 13))
    assert invoice.total == sum(range(1, 13))


def test_it_pages_a_250_line_invoice_like_stripe(stripe_emulator):
    """Stripe's largest invoice: 10 lines embedded (has_more, url), then pages of at most 100
    by starting_after or ending_before; limit outside 1..100 and unknown cursors are refused."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    invoice = client.v1.invoices.create({"customer": customer.id})
    for amount in range(1, 251):
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": amount, "currency": "eur"}
        )
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert [line.amount for line in invoice.lines.data] == list(range(1, 11))
    assert invoice.lines.has_more is True
    assert invoice.lines.url == f"/v1/invoices/{invoice.id}/lines"

    pages, after = [], invoice.lines.data[-1].id
    while True:
        page = client.v1.invoices.line_items.list(
            invoice.id, {"limit": 100, "starting_after": after}
        )
        pages.append([line.amount for line in page.data])
        if not page.has_more:
            break
        after = page.data[-1].id
    assert [len(p) for p in pages] == [100, 100, 40]
    assert [amount for page in pages for amount in page] == list(range(11, 251))
    before = client.v1.invoices.line_items.list(
        invoice.id, {"limit": 3, "ending_before": invoice.lines.data[5].id}
    )
    assert [line.amount for line in before.data] == [3, 4, 5]

    for limit in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.invoices.line_items.list(invoice.id, {"limit": limit})
        assert caught.value.param == "limit"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoices.line_items.list(invoice.id, {"starting_after": "il_unknown"})
    assert (caught.value.code, caught.value.param) == ("resource_missing", "starting_after")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": 1, "currency": "eur"}
        )
    assert "at most 250 line items" in caught.value.user_message


def test_it_updates_and_deletes_invoice_items_on_drafts(stripe_emulator):
    """Invoice items on drafts can be updated and deleted (the invoice total follows);
    finalized invoices lock their items."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    rate = client.v1.tax_rates.create({"display_name": "VAT", "inclusive": False, "percentage": 19})
    invoice = client.v1.invoices.create({"customer": customer.id})
    keep = client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "amount": 1000, "currency": "eur"}
    )
    drop = client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "amount": 500, "currency": "eur"}
    )
    client.v1.invoice_items.update(keep.id, {"description": "Setup", "tax_rates": [rate.id]})
    client.v1.invoice_items.delete(drop.id)
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert [line.description for line in invoice.lines.data] == ["Setup"]
    assert invoice.total == 1190
    listed = client.v1.invoice_items.list({"invoice": invoice.id})
    assert [item.id for item in listed.data] == [keep.id]
    client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoice_items.update(keep.id, {"description": "Late"})
    assert caught.value.code == "invoice_not_editable"


def test_invoice_shapes_follow_the_pinned_api_version(stripe_emulator):
    """No invoice.subscription / paid / payment_intent / charge (removed in basil);
    payments and amount_paid_off_stripe only when expanded."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    invoice = client.v1.invoices.create({"customer": customer.id})
    for removed in ("subscription", "paid", "payment_intent", "charge", "paid_out_of_band"):
        assert removed not in invoice
    assert "payments" not in invoice
    assert "amount_paid_off_stripe" not in invoice
    assert invoice.parent is None
    assert invoice.object == "invoice"
    assert invoice.id.startswith("in_")
