"""Why an invoice has no e-invoice, in words the MSP (or the customer) can act on.

The builder's errors carry English, technical text; pages, notifications and the portal show
these translated messages instead, naming what to fill in and where."""

import hashlib

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from billing.einvoice.compose import EInvoiceIncomplete, NotAnEInvoice, TotalsMismatch
from billing.einvoice.source import FINALIZED
from mspercury.models import Notification
from mspercury.texts import Joined, Text

PROBLEMS = (NotAnEInvoice, TotalsMismatch, EInvoiceIncomplete)
EINVOICE_FAILED = Notification.Kind.EINVOICE_FAILED

# What missing_for_xrechnung names → (what to fill in, whose: "workspace" or "customer").
MISSING = {
    "customer's Leitweg-ID (buyer reference)": (gettext_noop("the Leitweg-ID"), "customer"),
    "seller contact name": (gettext_noop("an invoice contact"), "workspace"),
    "seller contact phone": (gettext_noop("an invoice phone number"), "workspace"),
    "seller contact email": (gettext_noop("an invoice email address"), "workspace"),
    "seller email address": (gettext_noop("an invoice email address"), "workspace"),
    "seller postal code": (gettext_noop("the postal code"), "workspace"),
    "seller city": (gettext_noop("the city"), "workspace"),
    "customer email address": (gettext_noop("the email address"), "customer"),
    "customer postal code": (gettext_noop("the postal code"), "customer"),
    "customer city": (gettext_noop("the city"), "customer"),
}


def _fields(missing, whose: str) -> Joined:
    names: list[str] = []
    for item in missing:
        label, owner = MISSING.get(item, (item, "workspace"))
        if owner == whose and label not in names:
            names.append(label)
    return Joined([Text(name) for name in names], ", ")


def _incomplete(invoice, error: EInvoiceIncomplete) -> Text:
    parts = []
    mine = _fields(error.missing, "workspace")
    if mine.items:
        parts.append(Text(gettext_noop("in Settings → Workspace: %(fields)s"), fields=mine))
    customer = invoice.customer
    theirs = _fields(error.missing, "customer")
    if theirs.items:
        who = customer.company_name if customer else Text(gettext_noop("the customer"))
        parts.append(
            Text(
                gettext_noop("for the customer %(customer)s: %(fields)s"),
                customer=who,
                fields=theirs,
            )
        )
    return Text(
        gettext_noop("The XRechnung of invoice %(number)s cannot be made yet. Missing %(what)s."),
        number=invoice.number,
        what=Joined(parts, "; ") if parts else str(error),
    )


def explain(invoice, error: Exception) -> str:
    """The message for the MSP: what stands in the way of this invoice's e-invoice."""
    return str(explanation(invoice, error))


def explanation(invoice, error: Exception) -> Text:
    """``explain`` as a text, for a reader in another language (a notification)."""
    number = invoice.number or invoice.stripe_id
    if isinstance(error, EInvoiceIncomplete):
        return _incomplete(invoice, error)
    if isinstance(error, TotalsMismatch) and getattr(invoice, "lines", None):
        message = gettext_noop(
            "The e-invoice of invoice %(number)s cannot be made: its lines in Stripe do not "
            "add up to its totals or do not fit its VAT rate (%(detail)s)."
        )
    elif isinstance(error, TotalsMismatch):
        message = gettext_noop(
            "The e-invoice of invoice %(number)s cannot be made: its amounts in Stripe do not "
            "match the lines of its quote (%(detail)s). Was the invoice changed in Stripe?"
        )
    elif invoice.status not in FINALIZED:
        message = gettext_noop(
            "Invoice %(number)s has no e-invoice: only finalized invoices (open, paid or "
            "uncollectible) have one."
        )
    elif invoice.quote_id is None:
        message = gettext_noop(
            "Invoice %(number)s has no e-invoice: it was not made from a quote in MSPercury, "
            "so its lines are unknown here."
        )
    else:
        message = gettext_noop("Invoice %(number)s has no e-invoice: %(detail)s")
    return Text(message, number=number, detail=str(error))


def explain_to_customer(invoice) -> str:
    """What the portal says instead (the details are the MSP's business)."""
    return _(
        "The e-invoice of invoice %(number)s is not available at the moment; %(msp)s has been told."
    ) % {"number": invoice.number, "msp": invoice.workspace.name}


def _missed(invoice, missed_in: str) -> Text:
    customer = invoice.customer
    if missed_in == "email":
        return Text(
            gettext_noop("The invoice email to %(email)s went out without its e-invoice."),
            email=customer.email if customer else "",
        )
    return Text(
        gettext_noop("%(customer)s asked for it in the client portal."),
        customer=customer.company_name if customer else Text(gettext_noop("The customer")),
    )


def _notify(invoice, key: str, title: Text, missed: Text, message: Text):
    from mspercury.notify import notify

    with translation.override(settings.LANGUAGE_CODE):
        digest = hashlib.sha256(f"{missed}:{message}".encode()).hexdigest()[:16]
    return notify(
        invoice.workspace,
        EINVOICE_FAILED,
        f"einvoice_failed:{key}:{digest}",
        title,
        Text(gettext_noop("%(missed)s %(message)s"), missed=missed, message=message),
        reverse("billing:invoice_detail", kwargs={"invoice_id": invoice.public_id}),
    )


def notify_problem(invoice, error: Exception, missed_in: str):
    """Tell owners and admins, once per invoice and reason, why an e-invoice was not delivered
    (``missed_in``: "email" or "portal"), in each reader's language."""
    return _notify(
        invoice,
        f"{invoice.public_id}",
        Text(gettext_noop("No e-invoice for invoice %(number)s"), number=invoice.number),
        _missed(invoice, missed_in),
        explanation(invoice, error),
    )


def explain_credit_note(note, error: Exception) -> str:
    """The message for the MSP: why this credit note has no corrective e-invoice."""
    return str(_credit_note_explanation(note, error))


def _credit_note_explanation(note, error: Exception) -> Text:
    if isinstance(error, EInvoiceIncomplete):
        return _incomplete(note.invoice, error)
    if note.status != "issued":
        return Text(
            gettext_noop("Credit note %(number)s was voided in Stripe: it has no e-invoice."),
            number=note.number,
        )
    return Text(
        gettext_noop("The e-invoice of credit note %(number)s cannot be made: %(detail)s"),
        number=note.number,
        detail=str(error),
    )


def notify_credit_note_problem(note, error: Exception):
    """Tell owners and admins, once per credit note and reason, that a customer asked in the
    portal for a credit note's e-invoice that cannot be made."""
    return _notify(
        note.invoice,
        f"{note.public_id}",
        Text(gettext_noop("No e-invoice for credit note %(number)s"), number=note.number),
        _missed(note.invoice, "portal"),
        _credit_note_explanation(note, error),
    )


# What decide_means names as missing → what the MSP fills in, in Settings → Workspace.
MISSING_FOR_PAYMENT = {
    "seller bank account (IBAN)": gettext_lazy("the bank account (IBAN)"),
    "seller SEPA creditor identifier": gettext_lazy("the SEPA creditor identifier"),
    "customer's SEPA mandate reference": gettext_lazy("the customer's SEPA mandate reference"),
    "customer's debited account": gettext_lazy("the customer's debited account"),
}


def payment_warning(invoice, einvoice) -> str:
    """What the e-invoice cannot say about paying ("" when nothing): the buyer of a transfer
    invoice sees no bank account without an IBAN in the workspace's settings."""
    missing = [str(MISSING_FOR_PAYMENT.get(m, m)) for m in einvoice.payment.means.missing]
    if not missing:
        return ""
    return _(
        "The e-invoice of invoice %(number)s names no way to pay it by bank: missing "
        "%(fields)s (Settings → Workspace)."
    ) % {"number": invoice.number, "fields": ", ".join(missing)}
