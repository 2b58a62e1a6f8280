"""The "send pay link reminder" action on an unpaid invoice: checks what would stop the email,
then queues it (a fresh pay link, in the customer's language) through Celery."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import StripeInvoice
from mspercury import audit
from mspercury.texts import Text

# One reminder per invoice per hour: a double click or two colleagues send one email, not two.
PAUSE = timedelta(hours=1)


class ReminderRefused(Exception):
    """Why no reminder can go out, in words for the person who asked."""


def reminder_problem(invoice: StripeInvoice, now=None) -> str | None:
    from portal.links import include_pay_links

    now = now or timezone.now()
    if invoice.status != StripeInvoice.Status.OPEN or invoice.balance_due <= 0:
        return _("Invoice %(number)s has nothing left to pay.") % _names(invoice)
    if invoice.customer is None or not invoice.customer.email:
        return _("%(customer)s has no email address: add one on the customer first.") % _names(
            invoice
        )
    if invoice.from_stripe and not include_pay_links(invoice.workspace):
        return _("Pay links are turned off in Settings → Payments.")
    sent = invoice.reminder_sent_at
    if sent and now - sent < PAUSE:
        return _("A reminder for %(number)s went out less than an hour ago.") % _names(invoice)
    return None


def do_send_reminder(request, invoice: StripeInvoice) -> None:
    """Queue the reminder email, or raise ReminderRefused saying why not."""
    from billing.payments import lock

    with transaction.atomic():
        invoice = lock(invoice)
        problem = reminder_problem(invoice)
        if problem:
            raise ReminderRefused(problem)
        invoice.reminder_sent_at = timezone.now()
        invoice.save(update_fields=["reminder_sent_at"])
        _queue(request, invoice)


def _queue(request, invoice: StripeInvoice) -> None:
    from portal.tasks import send_invoice_email

    audit.record(
        request,
        invoice.workspace,
        "invoice.reminder_sent",
        Text(
            gettext_noop("Sent a pay link reminder for %(number)s to %(email)s"), **_names(invoice)
        ),
        invoice=invoice.stripe_id,
    )
    workspace_pk, invoice_pk = invoice.workspace_id, invoice.pk
    transaction.on_commit(lambda: send_invoice_email.delay(workspace_pk, invoice_pk, True))


def _names(invoice: StripeInvoice) -> dict:
    customer = invoice.customer
    return {
        "number": invoice.number or invoice.stripe_id,
        "customer": customer.company_name if customer else invoice.stripe_customer_id,
        "email": customer.email if customer else "",
    }
