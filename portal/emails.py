"""The portal's emails, in the customer's language: the sign-in link (sent at once, it is what
the person is waiting for) and the invoice email with its pay link (through Celery)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from quotes.documents import document_language


def _absolute(path: str) -> str:
    return f"{settings.MSPERCURY_PUBLIC_URL.rstrip('/')}{path}"


def send_login_email(customer, email: str, token: str, request=None) -> None:
    with translation.override(document_language(customer.language)):
        url = _absolute(reverse("portal:login", kwargs={"token": token}))
        send_mail(
            _("Your sign-in link for %(msp)s") % {"msp": customer.workspace.name},
            _(
                "Open this link to see your invoices and quotes with %(msp)s:\n\n%(url)s\n\n"
                "It works once, for 20 minutes. If you did not ask for it, ignore this email."
            )
            % {"msp": customer.workspace.name, "url": url},
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )


def invoice_email(invoice, token: str, until, *, reminder: bool) -> tuple[str, str]:
    """Subject and body of the email that brings an invoice and its pay link."""
    from django.utils.formats import date_format

    from quotes.templatetags.quote_money import minor

    values = {
        "number": invoice.number or invoice.stripe_id,
        "msp": invoice.workspace.name,
        "amount": f"{minor(invoice.amount_remaining, invoice.currency)} {invoice.currency}",
        "url": _absolute(reverse("portal:pay_link", kwargs={"token": token})),
        "until": date_format(until, "DATETIME_FORMAT"),
    }
    if reminder:
        subject = _("Reminder: invoice %(number)s from %(msp)s") % values
    else:
        subject = _("Invoice %(number)s from %(msp)s") % values
    body = (
        _(
            "Invoice %(number)s from %(msp)s: %(amount)s due.\n\nPay it here:\n%(url)s\n\n"
            "The link works until %(until)s; each time it opens Stripe's payment page for what "
            "is still due."
        )
        % values
    )
    return subject, body


@transaction.atomic
def send_invoice_email(invoice, *, reminder: bool = False) -> bool:
    """Send the invoice's pay link to the customer, if the workspace includes pay links and the
    customer has an address. The first (non-reminder) email goes once per invoice."""
    from portal import links
    from portal.models import PayLink

    customer = invoice.customer
    if customer is None or not customer.email or not links.include_pay_links(invoice.workspace):
        return False
    purpose = "reminder" if reminder else "email"
    # One at a time per invoice: a second task for the same invoice waits and finds the link.
    type(invoice).objects.select_for_update().filter(pk=invoice.pk).first()
    if not reminder and PayLink.objects.filter(invoice=invoice, purpose="email").exists():
        return False
    link, token = links.issue_pay_link(invoice, purpose)
    with translation.override(document_language(customer.language)):
        subject, body = invoice_email(invoice, token, link.expires_at, reminder=reminder)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [customer.email])
    return True
