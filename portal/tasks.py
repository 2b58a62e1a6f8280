"""Celery tasks of the client portal (ids in, reload, run inside the workspace)."""

from celery import shared_task

from mspercury.tenancy import workspace_context


@shared_task(acks_late=True)
def send_invoice_email(workspace_pk: int, invoice_pk: int, reminder: bool = False) -> bool:
    from billing.models import StripeInvoice
    from portal.emails import send_invoice_email as send

    with workspace_context(workspace_pk):
        invoice = (
            StripeInvoice.objects.select_related("customer", "workspace")
            .filter(pk=invoice_pk)
            .first()
        )
        return bool(invoice) and send(invoice, reminder=reminder)
