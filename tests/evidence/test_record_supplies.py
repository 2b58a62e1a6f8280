"""Issued invoices write their evidence records once, from Stripe's lines, with each line's
service period; payment facts (card country, IP) complete the evidence once; refunds and credit
notes are shared over them to the cent. Real HTTP with signed webhooks."""

import io

import pytest

from billing.evidence import rules
from billing.evidence.models import Evidence, ImmutableRecord, Reduction, Supply
from billing.evidence.services import apply_reduction, record_supplies
from billing.models import Payment, StripeInvoice
from integrations.models import PushSettings, StripeEvent
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from integrations.webhooks.dispatch import process_event

pytestmark = pytest.mark.django_db(transaction=True)


def _no_failed_events():
    failed = StripeEvent.objects.filter(status=StripeEvent.Status.FAILED)
    assert not failed.exists(), list(failed.values_list("event_type", "error"))


def test_it_records_one_supply_per_paid_line_with_its_evidence(vies_emulator, open_invoice, pay):
    invoice = pay(open_invoice)
    _no_failed_events()
    assert invoice.payment_status == "paid"
    supplies = list(Supply.objects.filter(invoice=invoice).order_by("id"))
    assert [s.line_id for s in supplies] == [line["id"] for line in invoice.lines]
    assert sum(s.net + s.tax for s in supplies) == invoice.total
    for supply, line in zip(supplies, invoice.lines, strict=True):
        assert supply.net == line["amount"] - line["discount"]
        assert (supply.treatment, supply.rate_source) == ("reverse_charge", "tax_rate")
        assert (supply.rate, supply.tax, supply.currency) == (0, 0, "EUR")
        assert supply.place_of_supply == "FR" and supply.customer_vat_id == "FR40303265045"
        assert supply.vat_validation.status == "valid" and not supply.unconfirmed_vat_id
        assert supply.vat_validation.consultation_number
        evidence = supply.evidence
        assert (evidence.billing_country, evidence.bank_country) == ("FR", "US")
        assert evidence.bank_source.startswith("card:pi_")
        assert (evidence.ip_country, evidence.decided_country) == ("", "FR")
        assert evidence.completed_at is not None
        # The card is American, the address French: a conflict, but the valid VAT ID places
        # the reverse-charge supply, so there is nothing for the MSP to look at.
        assert supply.conflict and not supply.flagged


def test_it_writes_them_once_however_often_events_come(vies_emulator, open_invoice, pay):
    invoice = pay(open_invoice)
    count = Supply.objects.filter(invoice=invoice).count()
    assert count == len(invoice.lines) > 0
    for event in StripeEvent.objects.all():
        StripeEvent.objects.filter(pk=event.pk).update(status=StripeEvent.Status.RECEIVED)
        process_event(event.pk)
    assert record_supplies(invoice) == []
    assert Supply.objects.filter(invoice=invoice).count() == count
    assert Evidence.objects.filter(supply__invoice=invoice).count() == count


def test_an_issued_invoice_has_its_supplies_before_it_is_paid(vies_emulator, open_invoice):
    """Recorded at finalization with the billing country; the payment items wait."""
    supplies = list(Supply.objects.filter(invoice=open_invoice).order_by("id"))
    assert [s.line_id for s in supplies] == [line["id"] for line in open_invoice.lines]
    assert record_supplies(open_invoice) == []  # once
    for supply, line in zip(supplies, open_invoice.lines, strict=True):
        assert supply.supplied_on == open_invoice.issued_on
        assert supply.service_start <= supply.service_end == supply.performed_on
        if line["period_end"] and line["period_end"] > line["period_start"]:
            assert supply.performed_on >= supply.supplied_on
        assert supply.evidence.billing_country == "FR" and supply.evidence.completed_at is None
        assert supply.evidence.bank_country == "" and not supply.conflict
        assert supply.vat_validation.status == "valid" and not supply.flagged


def test_a_draft_has_no_supplies(vies_emulator, open_invoice):
    StripeInvoice.objects.filter(pk=open_invoice.pk).update(status="draft")
    Supply.objects.all().delete()
    assert record_supplies(open_invoice) == []
    assert not Supply.objects.exists()


def test_payment_evidence_is_completed_once(vies_emulator, open_invoice, pay):
    invoice = pay(open_invoice)
    evidence = Evidence.objects.filter(supply__invoice=invoice).first()
    assert evidence.completed_at is not None and evidence.bank_country == "US"
    evidence.bank_country = "FR"
    with pytest.raises(ImmutableRecord):
        evidence.save(update_fields=["bank_country", "completed_at"])


def test_reverse_charge_without_a_vies_confirmation_is_flagged(open_invoice, pay):
    """VIES offline: the push could not confirm the VAT ID, so no validation is in force."""
    invoice = pay(open_invoice)
    supplies = Supply.objects.filter(invoice=invoice)
    assert supplies.exists()
    assert all(s.unconfirmed_vat_id and s.vat_validation is None for s in supplies)
    assert all(s.treatment == "reverse_charge" for s in supplies)


def test_a_refund_lowers_the_supplies_pro_rata_to_the_cent(
    vies_emulator, open_invoice, pay, stripe_api
):
    invoice = pay(open_invoice)
    intent = Payment.objects.get(invoice=invoice, source="stripe").payment_intent
    supplies = list(Supply.objects.filter(invoice=invoice).order_by("id"))
    expected = rules.split(1001, [s.gross for s in supplies])
    stripe_api.client().v1.refunds.create({"payment_intent": intent, "amount": 1001})
    stripe_api.flush_webhooks()
    _no_failed_events()
    refund = Payment.objects.get(invoice=invoice, source="refund")
    reductions = list(Reduction.objects.filter(payment=refund).order_by("supply_id"))
    assert [r.net + r.tax for r in reductions] == expected
    assert sum(r.net for r in reductions) == 1001  # 0 % VAT: all of it is net
    for supply, reduction in zip(supplies, reductions, strict=True):
        supply.refresh_from_db()
        assert (supply.refunded_net, supply.refunded_tax) == (reduction.net, reduction.tax)
    assert apply_reduction(refund) == []  # once per payment
    assert Reduction.objects.filter(payment=refund).count() == len(supplies)


def test_a_credit_note_with_its_refund_lowers_them_once(
    vies_emulator, open_invoice, pay, stripe_api
):
    """The credit note and the refund it made are the same money back: counted once."""
    invoice = pay(open_invoice)
    stripe_api.client().v1.credit_notes.create(
        {"invoice": invoice.stripe_id, "amount": 1500, "refund_amount": 1500}
    )
    stripe_api.flush_webhooks()
    _no_failed_events()
    supplies = Supply.objects.filter(invoice=invoice)
    assert sum(s.refunded_net + s.refunded_tax for s in supplies) == 1500
    note = Payment.objects.get(invoice=invoice, source="credit_note")
    refund = Payment.objects.get(invoice=invoice, source="refund")
    assert not Reduction.objects.filter(payment=note, superseded=True).exists()
    assert not Reduction.objects.filter(payment=refund, superseded=False).exists()
    assert all(refund.provider_id in r.covers for r in Reduction.objects.filter(payment=note))


def test_a_credit_note_before_payment_lowers_the_supplies_once_paid(
    vies_emulator, open_invoice, stripe_api, pay
):
    stripe_api.client().v1.credit_notes.create({"invoice": open_invoice.stripe_id, "amount": 2000})
    stripe_api.flush_webhooks()
    note = Payment.objects.get(invoice=open_invoice, source="credit_note")
    assert sum(r.net + r.tax for r in Reduction.objects.filter(payment=note)) == 2000
    invoice = pay(open_invoice)
    assert invoice.payment_status == "paid"
    supplies = Supply.objects.filter(invoice=invoice)
    assert sum(s.gross for s in supplies) == invoice.total
    assert sum(s.refunded_net + s.refunded_tax for s in supplies) == 2000


def test_evidence_records_are_written_once(vies_emulator, open_invoice, pay):
    invoice = pay(open_invoice)
    supply = Supply.objects.filter(invoice=invoice).first()
    supply.net += 1
    with pytest.raises(ImmutableRecord):
        supply.save()
    with pytest.raises(ImmutableRecord):
        supply.evidence.save()
    supply.refunded_net = 5
    supply.save(update_fields=["refunded_net"])  # the refunded amounts may move


def test_an_ip_country_in_the_customers_metadata_is_evidence(
    vies_emulator, open_invoice, pay, stripe_api
):
    """Billing address FR, IP FR, card US: the majority places it in France."""
    sk = stripe_api.client()
    sk.v1.customers.update(open_invoice.stripe_customer_id, {"metadata": {"ip_country": "fr"}})
    invoice = pay(open_invoice)
    evidence = Evidence.objects.filter(supply__invoice=invoice).first()
    assert (evidence.ip_country, evidence.ip_source) == ("FR", "customer metadata")
    assert (evidence.billing_country, evidence.bank_country, evidence.decided_country) == (
        "FR",
        "US",
        "FR",
    )


def test_without_our_tax_rate_the_treatment_is_decided_for_the_invoice_date(
    vies_emulator, wired, mixed_quote, alice, stripe_api
):
    PushSettings.objects.filter(workspace=wired.workspace).update(mspercury_vat=False)
    push, _ = do_start_push(None, mixed_quote, actor=alice)
    assert execute_push(push.pk) == "succeeded"
    sk = stripe_api.client()
    draft = next(i for i in sk.v1.invoices.list().data if i.total > 0)
    if draft.status == "draft":
        sk.v1.invoices.finalize_invoice(draft.id)
    sk.v1.invoices.pay(draft.id)
    stripe_api.flush_webhooks()
    supplies = Supply.objects.filter(invoice__stripe_id=draft.id)
    assert supplies.exists()
    assert {(s.rate_source, s.treatment, s.rate) for s in supplies} == {
        ("decided", "reverse_charge", 0)
    }


def test_the_command_writes_what_is_missing(vies_emulator, open_invoice, pay):
    """Paid before the evidence app existed (or its attempt failed): written afterwards."""
    from django.core.management import call_command

    invoice = pay(open_invoice)
    Supply.objects.filter(invoice=invoice).delete()
    out = io.StringIO()
    call_command("record_evidence", stdout=out)
    assert out.getvalue().strip() == f"{len(invoice.lines)} supplies written."
    assert Supply.objects.filter(invoice=invoice).count() == len(invoice.lines)
    call_command("record_evidence", stdout=out)
    assert Supply.objects.filter(invoice=invoice).count() == len(invoice.lines)


@pytest.fixture
def de_invoice(wired, alpha, alice, stripe_api):
    """An open invoice to a German business: domestic, 19 % VAT on MSPercury's tax rate."""
    from customers.models import Customer
    from quotes.actions import do_create_quote
    from tests.factories import accept, add_line, service

    customer = Customer.objects.create(
        workspace=alpha,
        company_name="Müller GmbH",
        email="buchhaltung@mueller.example",
        street="Hauptstr. 5",
        postal_code="80331",
        city="München",
        country="DE",
        collection_method="send_invoice",
    )
    quote = do_create_quote(alpha, customer, user=alice, currency="EUR")
    add_line(quote, service(alpha, "Onboarding", "one_time", "299.00", "unit"), "1")
    add_line(quote, service(alpha, "On-site work", "one_time", "95.00", "hour"), "1.5")
    accept(quote, alice)
    push, _ = do_start_push(None, quote, actor=alice)
    assert execute_push(push.pk) == "succeeded"
    sk = stripe_api.client()
    draft = next(i for i in sk.v1.invoices.list().data if i.total > 0)
    if draft.status == "draft":
        sk.v1.invoices.finalize_invoice(draft.id)
    stripe_api.flush_webhooks()
    return StripeInvoice.objects.get(stripe_id=draft.id)


def test_a_domestic_refund_splits_into_net_and_vat_to_the_cent(de_invoice, pay, stripe_api):
    invoice = pay(de_invoice)
    supplies = list(Supply.objects.filter(invoice=invoice).order_by("id"))
    assert {(s.treatment, s.rate, s.place_of_supply) for s in supplies} == {("domestic", 19, "DE")}
    assert sum(s.tax for s in supplies) == invoice.tax > 0
    assert not any(s.unconfirmed_vat_id for s in supplies)  # no reverse charge, no VIES needed
    intent = Payment.objects.get(invoice=invoice, source="stripe").payment_intent
    stripe_api.client().v1.refunds.create({"payment_intent": intent, "amount": 10001})
    stripe_api.flush_webhooks()
    _no_failed_events()
    reductions = Reduction.objects.filter(supply__invoice=invoice)
    assert sum(r.net + r.tax for r in reductions) == 10001
    for r in reductions:
        assert abs(r.tax - (r.net + r.tax) * r.supply.tax / r.supply.gross) < 1


def test_a_credit_note_for_one_line_lowers_only_that_supply(
    vies_emulator, open_invoice, pay, stripe_api
):
    invoice = pay(open_invoice)
    line = invoice.lines[-1]
    stripe_api.client().v1.credit_notes.create(
        {
            "invoice": invoice.stripe_id,
            "lines": [
                {"type": "invoice_line_item", "invoice_line_item": line["id"], "amount": 700}
            ],
            "out_of_band_amount": 700,
        }
    )
    stripe_api.flush_webhooks()
    _no_failed_events()
    refunded = dict(Supply.objects.filter(invoice=invoice).values_list("line_id", "refunded_net"))
    assert refunded == {other["id"]: (700 if other is line else 0) for other in invoice.lines}
