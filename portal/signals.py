"""The invoice email with its pay link goes out once an invoice is finalized in Stripe (the
mirror sees it open), once per invoice, when the workspace includes pay links."""

from datetime import timedelta

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from billing.models import Ownership, StripeInvoice

RECENT = timedelta(days=7)  # older open invoices are the reminders' business, not a new email


def wants_invoice_email(invoice: StripeInvoice, now=None) -> bool:
    now = now or timezone.now()
    return (
        invoice.status == StripeInvoice.Status.OPEN
        and invoice.ownership == Ownership.OURS
        and invoice.customer_id is not None
        and invoice.amount_remaining > 0
        and invoice.created is not None
        and invoice.created > now - RECENT
        and not invoice.pay_links.filter(purpose="email").exists()
    )


@receiver(post_save, sender=StripeInvoice, dispatch_uid="portal-invoice-email")
def _invoice_saved(sender, instance: StripeInvoice, **kwargs):
    if not wants_invoice_email(instance):
        return
    from portal.tasks import send_invoice_email

    transaction.on_commit(lambda: send_invoice_email.delay(instance.workspace_id, instance.pk))
