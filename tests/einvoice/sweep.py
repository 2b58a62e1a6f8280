"""The tenancy sweep's factory for credit-note routes (tests/test_tenancy_sweep.py FACTORIES
"credit_note_id"): an issued credit note on an invoice of ``workspace``."""

from django.utils import timezone


def credit_note_factory(workspace, owner):
    from billing.einvoice.models import StripeCreditNote
    from billing.models import StripeInvoice
    from customers.models import Customer

    customer = Customer.objects.create(workspace=workspace, company_name="Sweep credit notes")
    invoice = StripeInvoice.objects.create(
        workspace=workspace,
        account_ref=f"acct_{workspace.pk}",
        stripe_id=f"in_sweep_cn_{workspace.pk}_{customer.pk}",
        number="SWEEP-CN",
        status="open",
        currency="EUR",
        total=100,
        customer=customer,
    )
    return StripeCreditNote.objects.create(
        workspace=workspace,
        invoice=invoice,
        stripe_id=f"cn_sweep_{invoice.pk}",
        number="SWEEP-CN-01",
        status="issued",
        currency="EUR",
        total=50,
        created=timezone.now(),
    ).public_id
