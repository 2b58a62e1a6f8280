"""The VAT re-check of renewal drafts, over real HTTP with the emulator and signed webhooks:
invoice.created corrects the draft before Stripe finalizes it, logs and notifies; nothing
changed means no write call; a missed hook is reported once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import StripeInvoice
from billing.recheck.models import InvoiceTaxCheck
from customers.vatids.models import VatIdValidation
from integrations.mirror.recheck import KIND, report_unchecked, report_unchecked_all
from integrations.models import PushSettings, StripeEvent
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from mspercury.models import Notification
from quotes.actions import do_add_line, do_create_quote
from tests import factories
from tests.factories import accept
from tests.integrations.test_payment_sources import PERMISSIONS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def vat_wired(wire, alpha, alice):
    """Connected with a key that may create tax rates, and MSPercury's VAT on."""
    factories.german_msp(alpha)
    connection = wire(alice, PERMISSIONS | {"tax_rates": "write"})
    factories.with_mspercury_vat(alpha)
    return connection


@pytest.fixture
def fr_subscription(vat_wired, alpha, alice, stripe_api):
    """A French business customer with a VAT ID on a monthly 100 EUR subscription (reverse
    charge), its first invoice finalized and mirrored."""
    customer = factories.customer(alpha, "FR")
    quote = do_create_quote(alpha, customer, user=alice, currency="EUR")
    do_add_line(
        quote,
        service=None,
        description="Managed support",
        quantity=1,
        unit="unit",
        unit_price=100,
        billing_period="monthly",
    )
    accept(quote, alice)
    push, _ = do_start_push(None, quote, actor=alice)
    assert execute_push(push.pk) == "succeeded", push.error
    sk = stripe_api.client()
    (sub,) = sk.v1.subscriptions.list().data
    first = sk.v1.invoices.retrieve(sub.latest_invoice)
    if first.status == "draft":
        sk.v1.invoices.finalize_invoice(first.id)
    stripe_api.flush_webhooks()
    return customer, sub


def invalid_per_vies(customer):
    now = timezone.now()
    VatIdValidation.objects.create(
        workspace=customer.workspace,
        customer=customer,
        country="FR",
        number="40303265045",
        status="invalid",
        requested_at=now,
        checked_at=now,
        expires_at=now + timedelta(days=60),
    )


def renew(stripe_api, sub):
    """Move the clock just past the period end: Stripe makes the renewal draft."""
    sk = stripe_api.client()
    end = sk.v1.subscriptions.retrieve(sub.id)["items"].data[0].current_period_end
    stripe_api.advance(end - stripe_api.now() + 60)
    renewal = sk.v1.invoices.retrieve(sk.v1.subscriptions.retrieve(sub.id).latest_invoice)
    assert renewal.billing_reason == "subscription_cycle" and renewal.id != sub.latest_invoice
    return renewal


def no_failed_events():
    failed = StripeEvent.objects.filter(status=StripeEvent.Status.FAILED)
    assert not failed.exists(), list(failed.values_list("event_type", "error"))


def write_calls(stripe_api) -> list:
    return [(r["method"], r["path"]) for r in stripe_api.requests() if r["method"] != "GET"]


def test_a_vat_id_invalid_per_vies_is_corrected_on_the_draft_before_finalization(
    fr_subscription, stripe_api
):
    customer, sub = fr_subscription
    invalid_per_vies(customer)
    renewal = renew(stripe_api, sub)
    assert (renewal.status, renewal.total, renewal.total_taxes[0].amount) == ("draft", 10000, 0)
    assert "Autoliquidation" in renewal.footer and renewal.custom_fields
    stripe_api.flush_webhooks()
    no_failed_events()

    sk = stripe_api.client()
    draft = sk.v1.invoices.retrieve(renewal.id)
    assert draft.status == "draft"
    assert (draft.subtotal, sum(t.amount for t in draft.total_taxes), draft.total) == (
        10000,
        1900,
        11900,
    )
    assert "Autoliquidation" not in (draft.footer or "")
    assert not draft.custom_fields  # the reverse-charge mention and both VAT IDs are gone
    assert sk.v1.customers.retrieve(draft.customer).tax_exempt == "none"
    mirror = StripeInvoice.objects.get(stripe_id=renewal.id)
    check = InvoiceTaxCheck.objects.get(invoice=mirror)
    assert (check.status, check.rate_key) == ("corrected", "DE:19:exclusive:eu_no_vat_id")
    assert (check.changed["total_before"], check.changed["total_after"]) == (10000, 11900)
    assert any(
        "VIES reports the customer's VAT ID as invalid" in c for c in check.changed["changes"]
    )
    (note,) = Notification.objects.filter(kind=KIND)
    assert "Dupont SARL" in note.title and "19 % VAT (DE)" in note.body

    # Stripe finalizes it an hour later with the corrected VAT.
    stripe_api.advance(hours=1)
    stripe_api.flush_webhooks()
    final = sk.v1.invoices.retrieve(renewal.id)
    assert (final.status, final.total) == ("open", 11900)
    mirror.refresh_from_db()
    assert (mirror.status, mirror.total, mirror.tax) == ("open", 11900, 1900)
    assert report_unchecked(customer.workspace) == 0


def test_a_redelivered_invoice_created_changes_nothing_the_second_time(fr_subscription, stripe_api):
    from integrations.webhooks.dispatch import process_event

    customer, sub = fr_subscription
    invalid_per_vies(customer)
    renewal = renew(stripe_api, sub)
    stripe_api.flush_webhooks()
    stripe_api.clear_requests()
    event = StripeEvent.objects.get(
        event_type="invoice.created", payload__data__object__id=renewal.id
    )
    StripeEvent.objects.filter(pk=event.pk).update(status=StripeEvent.Status.RECEIVED)
    assert process_event(event.pk) == StripeEvent.Status.PROCESSED
    assert write_calls(stripe_api) == []
    assert Notification.objects.filter(kind=KIND).count() == 1


def test_nothing_changed_means_no_stripe_write_and_a_checked_row(fr_subscription, stripe_api):
    _customer, sub = fr_subscription
    stripe_api.clear_requests()
    renewal = renew(stripe_api, sub)
    stripe_api.flush_webhooks()
    no_failed_events()
    writes = [c for c in write_calls(stripe_api) if not c[1].startswith("/_emulator")]
    assert writes == []
    check = InvoiceTaxCheck.objects.get(invoice__stripe_id=renewal.id)
    assert (check.status, check.changed["changes"]) == ("checked", [])
    assert not Notification.objects.filter(kind=KIND).exists()
    assert stripe_api.client().v1.invoices.retrieve(renewal.id).total == 10000


def test_a_hook_that_missed_the_finalization_is_reported_once(
    fr_subscription, stripe_api, vat_wired
):
    from integrations.webhooks.reconcile import reconcile

    customer, sub = fr_subscription
    invalid_per_vies(customer)
    stripe_api.pause_webhooks()
    renewal = renew(stripe_api, sub)
    stripe_api.advance(hours=2)  # Stripe finalizes the draft while our webhook is down
    sk = stripe_api.client()
    assert sk.v1.invoices.retrieve(renewal.id).status == "open"
    reconcile(vat_wired)  # the mirror learns about the invoice, but no hook ran
    assert report_unchecked_all() == {customer.workspace_id: 1}
    assert report_unchecked_all() == {customer.workspace_id: 0}
    (note,) = Notification.objects.filter(kind=KIND)
    mirror = StripeInvoice.objects.get(stripe_id=renewal.id)
    assert mirror.number and mirror.number in note.title
    assert InvoiceTaxCheck.objects.get(invoice=mirror).status == "missed"

    # The late invoice.created finds a finalized invoice: nothing written, no second notice.
    stripe_api.clear_requests()
    stripe_api.resume_webhooks()
    stripe_api.flush_webhooks()
    no_failed_events()
    assert [c for c in write_calls(stripe_api) if not c[1].startswith("/_emulator")] == []
    assert Notification.objects.filter(kind=KIND).count() == 1
    assert sk.v1.invoices.retrieve(renewal.id).total == 10000


def test_the_schedule_runs_the_sweep():
    from integrations.tasks import report_unchecked_invoices
    from mspercury.management.commands.run_schedule import schedule_entries

    assert report_unchecked_invoices.apply(throw=True).result == {}
    assert ("report-unchecked-invoices", "billing.taxcheck.tasks.report_unchecked_invoices") in [
        (name, task) for name, task, _seconds in schedule_entries()
    ]


def test_the_emulator_updates_only_draft_lines_and_only_what_it_emulates(
    fr_subscription, stripe_api
):
    import stripe

    _customer, sub = fr_subscription
    renewal = renew(stripe_api, sub)
    sk = stripe_api.client()
    line = renewal.lines.data[0]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sk.v1.invoices.line_items.update(renewal.id, line.id, {"amount": 5})
    assert refused.value.param == "amount"
    rate = sk.v1.tax_rates.create({"display_name": "VAT", "percentage": 7, "inclusive": False})
    sk.v1.invoices.line_items.update(renewal.id, line.id, {"tax_rates": [rate.id]})
    assert sk.v1.invoices.retrieve(renewal.id).total == 10700
    sk.v1.invoices.line_items.update(renewal.id, line.id, {"tax_rates": ""})
    assert sk.v1.invoices.retrieve(renewal.id).total == 10000  # the defaults (0 %) again
    sk.v1.invoices.finalize_invoice(renewal.id)
    with pytest.raises(stripe.InvalidRequestError) as closed:
        sk.v1.invoices.line_items.update(renewal.id, line.id, {"tax_rates": [rate.id]})
    assert closed.value.code == "invoice_not_editable"
    stripe_api.flush_webhooks()


def test_a_check_stripe_refuses_is_reported_at_once_and_again_when_it_went_out(
    fr_subscription, stripe_api, vat_wired
):
    """The key lost Tax Rates: Write, so the 19 % rate cannot be made: the draft is left as it
    is, the MSP is told while it is still a draft, and once more when Stripe finalized it."""
    customer, sub = fr_subscription
    invalid_per_vies(customer)
    read_only = stripe_api.add_key(
        permissions={**PERMISSIONS, "tax_rates": "read"}, account="acct_1EmulatorSeedAcct"
    )
    vat_wired.api_key = read_only["key"]
    vat_wired.save()
    renewal = renew(stripe_api, sub)
    stripe_api.flush_webhooks()
    check = InvoiceTaxCheck.objects.get(invoice__stripe_id=renewal.id)
    assert check.status == "failed" and "Tax Rates" in check.error
    (failed,) = Notification.objects.filter(kind=KIND)
    assert renewal.id in failed.title
    assert stripe_api.client().v1.invoices.retrieve(renewal.id).total == 10000

    stripe_api.advance(hours=1)
    stripe_api.flush_webhooks()
    assert report_unchecked(customer.workspace) == 1
    assert report_unchecked(customer.workspace) == 0
    assert Notification.objects.filter(kind=KIND).count() == 2
    assert InvoiceTaxCheck.objects.get(pk=check.pk).status == "failed"


def test_a_workspace_without_mspercurys_vat_is_not_checked(fr_subscription, stripe_api, alpha):
    customer, sub = fr_subscription
    invalid_per_vies(customer)
    PushSettings.objects.filter(workspace=alpha).update(mspercury_vat=False)
    stripe_api.clear_requests()
    renewal = renew(stripe_api, sub)
    stripe_api.flush_webhooks()
    stripe_api.advance(hours=1)
    stripe_api.flush_webhooks()
    assert not InvoiceTaxCheck.objects.exists()
    assert report_unchecked_all() == {}
    assert not Notification.objects.filter(kind=KIND).exists()
    assert stripe_api.client().v1.invoices.retrieve(renewal.id).total == 10000


def test_the_invoice_page_shows_what_the_re_check_did(client_for, alice, alpha):
    from django.utils import timezone

    from billing.models import StripeInvoice
    from billing.recheck.models import InvoiceTaxCheck

    invoice = StripeInvoice.objects.create(
        workspace=alpha,
        account_ref="acct_1",
        stripe_id="in_rc",
        number="RC-1",
        status="open",
        currency="EUR",
        total=11900,
    )
    client = client_for(alice)
    assert (
        'id="tax-check"'
        not in client.get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    )
    InvoiceTaxCheck.objects.create(
        workspace=alpha,
        invoice=invoice,
        status="corrected",
        checked_at=timezone.now(),
        changed={"changes": ["Invoice default: FR 0 % reverse charge → DE 19 % domestic"]},
    )
    html = client.get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    assert 'data-status="corrected"' in html and "Corrected before finalization" in html
    assert "FR 0 % reverse charge → DE 19 % domestic" in html
