"""The facts of how an invoice is paid, read from the mirror, and BT-82 in the reader's words.

Stripe tells what it charged in the charge's ``payment_method_details`` (card: last4; SEPA
debit: country, last4, mandate), which arrives in the stored ``charge.succeeded`` events. Stripe
never shows a debited IBAN in full: BT-91 is that IBAN masked but for its last four digits.
"""

from django.utils import translation
from django.utils.translation import pgettext

from billing.edge import edge
from billing.einvoice.means import (
    CHARGE_AUTOMATICALLY,
    SEND_INVOICE,
    PaymentFacts,
    PaymentMeans,
    decide_means,
    masked_iban,
)
from billing.models import Payment

STRIPE_SOURCES = (Payment.Source.STRIPE,)


def _last_stripe_payment(invoice, customer) -> Payment | None:
    """The invoice's latest Stripe payment, else the customer's (the method on file)."""
    payments = Payment.objects.filter(
        workspace_id=invoice.workspace_id, source__in=STRIPE_SOURCES, voided_at__isnull=True
    ).exclude(method="")
    own = payments.filter(invoice=invoice).order_by("-paid_at", "-id").first()
    if own is not None or customer is None:
        return own
    return payments.filter(invoice__customer=customer).order_by("-paid_at", "-id").first()


def _charge_details(payment: Payment | None) -> dict:
    """``payment_method_details`` of the charge behind ``payment``, as Stripe sent it."""
    if payment is None or not payment.payment_intent:
        return {}
    return edge().charge_details(payment.workspace_id, payment.payment_intent)


def payment_facts(invoice, customer) -> PaymentFacts:
    """Only what Stripe collects itself needs the method it charges (read from the mirror)."""
    workspace = invoice.workspace
    collection = customer.collection_method if customer else SEND_INVOICE
    automatic = collection == CHARGE_AUTOMATICALLY
    payment = _last_stripe_payment(invoice, customer) if automatic else None
    details = _charge_details(payment)
    card, sepa = details.get("card") or {}, details.get("sepa_debit") or {}
    return PaymentFacts(
        collection=collection,
        method=payment.method if payment else "",
        reference=invoice.number,
        iban=workspace.iban,
        bic=workspace.bic,
        account_holder=workspace.bank_account_holder or workspace.name,
        creditor_id=workspace.sepa_creditor_id,
        mandate_reference=str(sepa.get("mandate_reference") or sepa.get("mandate") or ""),
        debited_account=masked_iban(sepa.get("country") or "", sepa.get("last4") or ""),
        card_number=str(card.get("last4") or ""),
    )


def means_for(invoice, customer) -> PaymentMeans:
    return decide_means(payment_facts(invoice, customer))


def grouped_iban(iban: str) -> str:
    """DE89 3704 0044 0532 0130 00: how an IBAN is printed (ISO 13616 paper format)."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def means_text(means: PaymentMeans, pay_link: str, language: str) -> str:
    """BT-82, the payment means in the customer's language (also printed on the PDF)."""
    with translation.override(language):
        if means.is_credit_transfer:
            text = pgettext(
                "e-invoice",
                "SEPA credit transfer to %(holder)s, IBAN %(iban)s, BIC %(bic)s, reference "
                "%(reference)s",
            ) % {
                "holder": means.account_name,
                "iban": grouped_iban(means.iban),
                "bic": means.bic or "–",
                "reference": means.remittance,
            }
        elif means.is_direct_debit:
            text = pgettext(
                "e-invoice",
                "SEPA Direct Debit from account %(account)s, mandate reference %(mandate)s, "
                "creditor identifier %(creditor)s",
            ) % {
                "account": means.debited_account,
                "mandate": means.mandate_reference,
                "creditor": means.creditor_id,
            }
        elif means.is_card:
            text = pgettext("e-invoice", "Card payment, card ending in %(last4)s") % {
                "last4": means.card_number[-4:]
            }
        elif not pay_link:
            return pgettext("e-invoice", "As agreed")
        else:
            text = ""
        if pay_link:
            online = pgettext("e-invoice", "Pay online: %(link)s") % {"link": pay_link}
            text = f"{text}. {online}" if text else online
        return text
