"""Evidence is written after the mirror or the settle path commits: an invoice saved as issued
(finalized, ours) gets its supplies; a payment completes their evidence, a refund or credit
note is shared over them. Each runs after commit in the workspace, idempotently; a failure is
logged and never undoes the save (the VAT report lists issued invoices without supplies)."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from billing.models import Payment, StripeInvoice
from mspercury import tenancy


def after_payment(workspace_id: int, payment_pk: int) -> None:
    from billing.evidence import services

    with tenancy.workspace_context(workspace_id):
        payment = Payment.objects.select_related("invoice").filter(pk=payment_pk).first()
        if payment is None:
            return
        if payment.source in services.REDUCING:
            services.apply_reduction(payment)
        else:
            services.record_supplies(payment.invoice)


def after_issued_invoice(workspace_id: int, invoice_pk: int) -> None:
    from billing.evidence import services

    with tenancy.workspace_context(workspace_id):
        invoice = StripeInvoice.objects.filter(pk=invoice_pk).first()
        if invoice is not None:
            services.record_supplies(invoice)


@receiver(post_save, sender=Payment, dispatch_uid="evidence_payment_recorded")
def payment_recorded(sender, instance: Payment, created: bool, raw=False, **kwargs):
    if created and not raw:
        workspace_id, pk = instance.workspace_id, instance.pk
        transaction.on_commit(lambda: after_payment(workspace_id, pk), robust=True)


@receiver(post_save, sender=StripeInvoice, dispatch_uid="evidence_invoice_issued")
def invoice_saved(sender, instance: StripeInvoice, raw=False, **kwargs):
    from billing.evidence.services import issued

    if issued(instance) and instance.lines and not raw:
        workspace_id, pk = instance.workspace_id, instance.pk
        transaction.on_commit(lambda: after_issued_invoice(workspace_id, pk), robust=True)
