"""The portal's emails, in the customer's language: the sign-in link (sent at once, it is what
the person is waiting for) and the invoice email with its pay link (through Celery), carrying
the e-invoice when the customer wants e-invoices. The mirror calls ``on_invoice_mirrored`` by
name: the invoice email goes out once an invoice is finalized in Stripe (the mirror sees it
open), once per invoice, when the workspace includes pay links."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.einvoice import XRECHNUNG_CONTENT_TYPE
from billing.models import Ownership, StripeInvoice
from mspercury.languages import document_language
from mspercury.mail import customer_mail
from portal import tasks

logger = logging.getLogger(__name__)

RECENT = timedelta(days=7)  # older open invoices are the reminders' business, not a new email


def _absolute(path: str) -> str:
    return f"{settings.MSPERCURY_PUBLIC_URL.rstrip('/')}{path}"


def send_login_email(customer, email: str, token: str, request=None) -> None:
    with translation.override(document_language(customer.language)):
        url = _absolute(reverse("portal:login", kwargs={"token": token}))
        customer_mail(
            customer.workspace,
            [email],
            _("Your sign-in link for %(msp)s") % {"msp": customer.workspace.name},
            _(
                "Open this link to see your invoices and quotes with %(msp)s:\n\n%(url)s\n\n"
                "It works once, for 20 minutes. If you did not ask for it, ignore this email."
            )
            % {"msp": customer.workspace.name, "url": url},
        ).send()


def pay_link_url(token: str) -> str:
    return _absolute(reverse("portal:pay_link", kwargs={"token": token}))


def invoice_email(
    invoice, token: str, until, *, reminder: bool, attached: str = ""
) -> tuple[str, str]:
    """Subject and body of the email that brings an invoice and its pay link, and says which
    e-invoice is attached (``attached``: its content type) if one is."""
    from mspercury.localtime import workspace_stamp
    from quotes.templatetags.quote_money import minor

    values = {
        "number": invoice.number or invoice.stripe_id,
        "msp": invoice.workspace.name,
        "amount": f"{minor(invoice.due_shown, invoice.currency)} {invoice.currency}",
        "url": pay_link_url(token),
        "until": workspace_stamp(invoice.workspace, until, "DATETIME_FORMAT"),
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
    if attached == XRECHNUNG_CONTENT_TYPE:
        body += "\n\n" + _("Attached: the invoice as XRechnung.")
    elif attached:
        body += "\n\n" + _(
            "Attached: the invoice as an e-invoice (ZUGFeRD): a PDF with the invoice data inside."
        )
    return subject, body


def einvoice_attachment(invoice, pay_link: str):
    """(filename, content, content type) of the e-invoice for the email, or None when the
    customer does not want one or it cannot be built (then the MSP is notified why)."""
    from billing.einvoice import einvoice_for
    from billing.einvoice.problems import PROBLEMS, notify_problem
    from billing.einvoice.source import wants_einvoice

    if not wants_einvoice(invoice.customer):
        return None
    try:
        with transaction.atomic():  # a failure here must not spoil the email's transaction
            filename, content_type, content = einvoice_for(invoice, pay_link=pay_link)
    except PROBLEMS as error:
        notify_problem(invoice, error, "email")
        return None
    except Exception as error:  # a bug must not hold back the invoice email itself
        logger.exception("e-invoice of %s failed", invoice.number)
        notify_problem(invoice, error, "email")
        return None
    return filename, content, content_type


@transaction.atomic
def send_invoice_email(invoice, *, reminder: bool = False) -> bool:
    """Send the invoice's pay link to the customer, if the workspace includes pay links and the
    customer has an address. The first (non-reminder) email goes once per invoice."""
    from portal import links
    from portal.models import PayLink

    customer = invoice.customer
    if customer is not None and customer.email and not invoice.from_stripe:
        return send_transfer_email(invoice, reminder=reminder)
    if customer is None or not customer.email or not links.include_pay_links(invoice.workspace):
        return False
    purpose = "reminder" if reminder else "email"
    # One at a time per invoice: a second task for the same invoice waits and finds the link.
    type(invoice).objects.select_for_update().filter(pk=invoice.pk).first()
    if not reminder and PayLink.objects.filter(invoice=invoice, purpose="email").exists():
        return False
    link, token = links.issue_pay_link(invoice, purpose)
    einvoice = einvoice_attachment(invoice, pay_link_url(token))
    with translation.override(document_language(customer.language)):
        subject, body = invoice_email(
            invoice,
            token,
            link.expires_at,
            reminder=reminder,
            attached=einvoice[2] if einvoice else "",
        )
        message = customer_mail(invoice.workspace, [customer.email], subject, body)
    if einvoice:
        message.attach(*einvoice)
    message.send()
    return True


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


def on_invoice_mirrored(invoice: StripeInvoice) -> None:
    """After commit, the invoice email of a freshly finalized invoice not emailed yet."""
    if not wants_invoice_email(invoice):
        return
    transaction.on_commit(lambda: tasks.send_invoice_email.delay(invoice.workspace_id, invoice.pk))


def transfer_email(invoice, *, reminder: bool) -> tuple[str, str]:
    """Subject and body of the email about an accounting tool's invoice: what is due, the MSP's
    bank account and the reference to quote (there is no pay link: it is paid by transfer)."""
    from quotes.templatetags.quote_money import minor

    workspace = invoice.workspace
    values = {
        "number": invoice.number or invoice.stripe_id,
        "msp": workspace.name,
        "amount": f"{minor(invoice.due_shown, invoice.currency)} {invoice.currency}",
        "holder": workspace.bank_account_holder or workspace.name,
        "iban": workspace.iban,
        "bic": workspace.bic,
        "portal": _absolute(reverse("portal:entry", kwargs={"workspace_id": workspace.public_id})),
    }
    if reminder:
        subject = _("Reminder: invoice %(number)s from %(msp)s") % values
    else:
        subject = _("Invoice %(number)s from %(msp)s") % values
    lines = [_("Invoice %(number)s from %(msp)s: %(amount)s due.") % values]
    if workspace.iban:
        transfer = _("Please transfer it to:\nAccount holder: %(holder)s\nIBAN: %(iban)s") % values
        if workspace.bic:
            transfer += "\nBIC: {bic}".format(**values)
        lines.append(transfer + "\n" + _("Reference: %(number)s") % values)
    lines.append(_("The invoice and its PDF are in your client portal:\n%(portal)s") % values)
    return subject, "\n\n".join(lines)


def send_transfer_email(invoice, *, reminder: bool) -> bool:
    """The invoice email (or reminder) of an accounting tool's invoice, with the tool's PDF
    attached when it can be read (Lexware Office has no endpoint that sends it, notes §1.7).
    The first email goes once per invoice, however often it is asked for."""
    from billing.edge import edge

    if not reminder:
        claimed = type(invoice).objects.filter(pk=invoice.pk, emailed_at__isnull=True)
        if not claimed.update(emailed_at=timezone.now()):
            return False
    customer = invoice.customer
    with translation.override(document_language(customer.language)):
        subject, body = transfer_email(invoice, reminder=reminder)
        message = customer_mail(invoice.workspace, [customer.email], subject, body)
    document = edge().invoice_file(invoice)
    if document is not None:
        filename, content_type, content = document
        message.attach(filename, content, content_type)
    message.send()
    return True


def on_provider_invoice_issued(invoice) -> None:
    """After commit, the invoice email of an invoice just issued in Lexware Office or sevDesk
    (the billing schedule calls it by name once the invoice is in the ledger); once per
    invoice, and only for an open invoice of a customer with an address."""
    if invoice.from_stripe or invoice.status != StripeInvoice.Status.OPEN:
        return
    if invoice.customer_id is None or invoice.emailed_at is not None:
        return
    transaction.on_commit(lambda: tasks.send_invoice_email.delay(invoice.workspace_id, invoice.pk))
