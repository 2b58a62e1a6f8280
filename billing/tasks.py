"""Celery tasks of billing. Ids in, reload, safe to run twice."""

from celery import shared_task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mspercury.mail import customer_mail
from mspercury.tenancy import workspace_context


@shared_task(acks_late=True, max_retries=5, autoretry_for=(OSError,), retry_backoff=True)
def send_payment_confirmation(workspace_pk: int, payment_pk: int) -> str:
    """Tell the customer, in their language, that a payment arrived (once per payment)."""
    from billing.models import Payment, PaymentSettings

    with workspace_context(workspace_pk):
        payment = (
            Payment.objects.select_related("invoice__customer", "workspace")
            .filter(pk=payment_pk, voided_at__isnull=True)
            .first()
        )
        if payment is None or payment.confirmation_sent_at is not None:
            return "skipped"
        if not PaymentSettings.for_workspace(workspace_pk).send_confirmations:
            return "off"
        customer = payment.invoice.customer
        if customer is None or not customer.email:
            return "no recipient"
        # Claim it first: a redelivered task finds it sent and sends nothing.
        claimed = Payment.objects.filter(pk=payment.pk, confirmation_sent_at__isnull=True).update(
            confirmation_sent_at=timezone.now()
        )
        if not claimed:
            return "skipped"
        message = confirmation_mail(payment, customer)
        try:
            message.send()
        except OSError:
            Payment.objects.filter(pk=payment.pk).update(confirmation_sent_at=None)
            raise
        return "sent"


def confirmation_mail(payment, customer):
    from mspercury.languages import document_language

    subject, body = confirmation_text(payment, customer.language)
    with translation.override(document_language(customer.language)):
        return customer_mail(payment.workspace, [customer.email], subject, body)


def confirmation_text(payment, language: str) -> tuple[str, str]:
    from mspercury.languages import document_language
    from quotes.templatetags.quote_money import minor

    invoice = payment.invoice
    with translation.override(document_language(language)):
        values = {
            "amount": f"{minor(payment.amount, payment.currency)} {payment.currency}",
            "number": invoice.number or invoice.stripe_id,
            "workspace": payment.workspace.name,
            "due": f"{minor(invoice.balance_due, invoice.currency)} {invoice.currency}",
        }
        subject = _("Payment received for invoice %(number)s") % values
        lines = [
            _("Thank you: we received your payment of %(amount)s for invoice %(number)s.") % values
        ]
        if invoice.balance_due > 0:
            lines.append(_("Still to pay on this invoice: %(due)s.") % values)
        else:
            lines.append(_("The invoice is now paid in full.") % values)
        lines.append(_("Kind regards,\n%(workspace)s") % values)
        return subject, "\n\n".join(lines)
