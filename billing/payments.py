"""The one settle path: every payment, from any source, is recorded here once and the invoice's
Paid / Partially paid / Open state is derived from the sum (see DESIGN.md, "Money in").

`payment_status` is the pure rule; `record_payment` locks the invoice row, inserts the payment
by its provider id (unique per workspace, so a redelivered event or a second click records
nothing) and settles.

What follows a payment, after commit and once per new payment, is called here by name: its VAT
evidence (`evidence.on_payment_recorded`), then the customer's confirmation when the workspace
sends them and money came in. Voiding a payment settles again and triggers neither.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.evidence import services as evidence
from billing.models import Payment, PaymentSettings, PaymentStatus, StripeInvoice
from mspercury import audit
from mspercury.texts import Text

# Stripe's own states that say more than any sum of payments.
KEPT_AS_STRIPE_SAYS = {
    StripeInvoice.Status.DRAFT: PaymentStatus.DRAFT,
    StripeInvoice.Status.VOID: PaymentStatus.VOID,
    StripeInvoice.Status.UNCOLLECTIBLE: PaymentStatus.UNCOLLECTIBLE,
    StripeInvoice.Status.DELETED: PaymentStatus.DELETED,
}

# Said of a manual payment Stripe does not know about.
ONLY_HERE = gettext_noop("Recorded in MSPercury only (not in Stripe)")
# Said of a manual payment on a Lexware Office invoice: Lexware's API takes no payments.
NOT_IN_LEXWARE = gettext_noop("Not recorded in Lexware Office — record it there too")
NOT_IN_SEVDESK = gettext_noop("Recorded in MSPercury only (not in sevDesk)")


def only_here(invoice) -> str:
    """The label of a manual payment the invoice's provider does not hold, in its words."""
    words = {"lexware": NOT_IN_LEXWARE, "sevdesk": NOT_IN_SEVDESK}
    return _(words.get(invoice.provider, ONLY_HERE))


class PaymentError(ValueError):
    """A payment that cannot be recorded as asked; the message is for the person asking."""


def payment_status(total: int, settled: int, stripe_status: str) -> str:
    """Paid when what was settled covers what is owed (total less credit notes), partially paid
    when some but not all is, open otherwise; Stripe's draft, void, uncollectible and deleted
    are kept. Pure: minor units in, a PaymentStatus value out."""
    if stripe_status in KEPT_AS_STRIPE_SAYS:
        return KEPT_AS_STRIPE_SAYS[stripe_status]
    if settled >= total:
        return PaymentStatus.PAID
    if settled > 0:
        return PaymentStatus.PARTIALLY_PAID
    return PaymentStatus.OPEN


def _counted(invoice: StripeInvoice):
    return Payment.objects.filter(invoice=invoice, voided_at__isnull=True)


def settle(invoice: StripeInvoice) -> StripeInvoice:
    """Re-derive the invoice's settled and credited amounts and its payment status from its
    payments (call with the invoice row locked, as record_payment does)."""
    sums = _counted(invoice).aggregate(
        settled=Sum("amount", filter=~Q(source=Payment.Source.CREDIT_NOTE), default=0),
        credited=Sum("amount", filter=Q(source=Payment.Source.CREDIT_NOTE), default=0),
    )
    invoice.amount_settled = sums["settled"]
    invoice.amount_credited = -sums["credited"]
    invoice.payment_status = payment_status(
        invoice.total - invoice.amount_credited, invoice.amount_settled, invoice.status
    )
    StripeInvoice.objects.filter(pk=invoice.pk).update(
        amount_settled=invoice.amount_settled,
        amount_credited=invoice.amount_credited,
        payment_status=invoice.payment_status,
    )
    return invoice


def lock(invoice: StripeInvoice) -> StripeInvoice:
    """The invoice row, re-read under a row lock (inside the caller's transaction)."""
    return StripeInvoice.objects.select_for_update().get(pk=invoice.pk)


def record_payment(
    invoice: StripeInvoice,
    *,
    provider_id: str,
    source: str,
    amount: int,
    currency: str,
    paid_at: datetime,
    method: str = "",
    reference: str = "",
    note: str = "",
    created_by=None,
    recorded_in_stripe: bool = True,
    payment_intent: str = "",
) -> tuple[Payment, bool]:
    """Record one payment once (by provider id) and settle the invoice. Returns the payment and
    whether it was new. Raises PaymentError for a currency that is not the invoice's."""
    if currency.upper() != invoice.currency.upper():
        raise PaymentError(
            _("This invoice is in %(invoice)s; a payment in %(payment)s cannot settle it.")
            % {"invoice": invoice.currency.upper(), "payment": currency.upper()}
        )
    with transaction.atomic():
        invoice = lock(invoice)
        payment, created = _insert(
            invoice,
            provider_id=provider_id,
            defaults={
                "source": source,
                "amount": int(amount),
                "currency": currency.upper(),
                "paid_at": paid_at,
                "method": method,
                "reference": reference[:120],
                "note": note,
                "created_by": created_by,
                "recorded_in_stripe": recorded_in_stripe,
                "payment_intent": payment_intent,
            },
        )
        if created:
            evidence.on_payment_recorded(payment)
        settle(invoice)
        if created and payment.amount > 0:
            _confirm_on_commit(invoice, payment)
    return payment, created


def _insert(invoice, *, provider_id: str, defaults: dict) -> tuple[Payment, bool]:
    existing = Payment.objects.filter(workspace_id=invoice.workspace_id, provider_id=provider_id)
    found = existing.first() or _same_money(invoice, defaults)
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            return Payment.objects.create(
                workspace_id=invoice.workspace_id,
                invoice=invoice,
                provider_id=provider_id,
                **defaults,
            ), True
    except IntegrityError:  # the same provider id for another invoice of ours, recorded meanwhile
        return existing.get(), False


def _same_money(invoice, defaults: dict) -> Payment | None:
    """The same money seen twice: a card payment as an invoice payment (inpay_) and by its
    payment intent (a Checkout session), or a manual payment of ours and the invoice payment
    Stripe made of its payment record. Recorded under whichever id came first."""
    intent = defaults.get("payment_intent")
    if not intent or defaults["source"] not in (Payment.Source.STRIPE, Payment.Source.MANUAL):
        return None
    return Payment.objects.filter(
        invoice=invoice,
        payment_intent=intent,
        source__in=[Payment.Source.STRIPE, Payment.Source.MANUAL],
    ).first()


def resettle(invoice: StripeInvoice) -> StripeInvoice:
    """Settle again after Stripe's own status changed (the mirror was re-read)."""
    with transaction.atomic():
        return settle(lock(invoice))


def _confirm_on_commit(invoice: StripeInvoice, payment: Payment) -> None:
    if not PaymentSettings.for_workspace(invoice.workspace_id).send_confirmations:
        return
    from billing.tasks import send_payment_confirmation

    workspace_pk, payment_pk = invoice.workspace_id, payment.pk
    transaction.on_commit(lambda: send_payment_confirmation.delay(workspace_pk, payment_pk))


def manual_limit(invoice: StripeInvoice) -> int:
    """The largest manual payment the invoice takes now: what is still owed."""
    return invoice.balance_due


def check_manual(invoice: StripeInvoice, amount: int, currency: str) -> None:
    """A manual payment needs a finalized open invoice and 0 < amount ≤ what is owed."""
    if invoice.status != StripeInvoice.Status.OPEN:
        raise PaymentError(_("Only finalized open invoices take manual payments."))
    if currency.upper() != invoice.currency.upper():
        raise PaymentError(
            _("This invoice is in %(invoice)s.") % {"invoice": invoice.currency.upper()}
        )
    if amount <= 0:
        raise PaymentError(_("The amount must be more than zero."))
    if amount > manual_limit(invoice):
        raise PaymentError(_("The amount is more than what is still owed on this invoice."))


def void_manual_payment(request, payment: Payment, *, actor) -> Payment:
    """Void a manual payment (audited); the invoice is settled again without it."""
    if payment.source != Payment.Source.MANUAL:
        raise PaymentError(_("Only manual payments can be voided here."))
    with transaction.atomic():
        invoice = lock(payment.invoice)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.voided_at is not None:
            return payment
        payment.voided_at = timezone.now()
        payment.voided_by = actor
        payment.save(update_fields=["voided_at", "voided_by"])
        settle(invoice)
        audit.record(
            request,
            invoice.workspace,
            "payment.voided",
            Text(
                gettext_noop("Voided manual payment of %(amount)s %(currency)s on %(invoice)s"),
                amount=shown_amount(payment.amount, payment.currency),
                currency=payment.currency,
                invoice=invoice.number or invoice.stripe_id,
            ),
            actor=actor,
            payment=str(payment.public_id),
            invoice=invoice.stripe_id,
            amount=payment.amount,
            recorded_in_stripe=payment.recorded_in_stripe,
        )
    return payment


def shown_amount(amount: int, currency: str) -> str:
    """Minor units as people read them in an audit line: 5000 EUR → "50.00"."""
    from quotes.templatetags.quote_money import minor

    return minor(amount, currency)
