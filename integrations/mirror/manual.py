"""Manual payments entered by owners and admins (bank transfer, cheque, cash, other): reported
to Stripe, then recorded on the one settle path (billing.payments)."""

import uuid
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import Payment, StripeInvoice
from billing.payments import PaymentError, check_manual, lock, record_payment, shown_amount
from integrations.accounting.manual import write_back
from integrations.mirror.manual_payments import mark_paid_out_of_band, report_partial
from integrations.models import StripeConnection
from mspercury import audit
from mspercury.texts import Text


def do_record_manual_payment(
    request,
    invoice: StripeInvoice,
    *,
    amount: int,
    paid_at: datetime,
    method: str,
    reference: str = "",
    note: str = "",
    actor=None,
) -> Payment:
    """Record a manual payment and report it to Stripe (paid out of band when it pays the
    invoice in full, a payment record when partial and supported). Atomic: a Stripe refusal
    records nothing. An invoice of an accounting tool is written back there where its API allows
    (integrations.accounting.manual). Raises PaymentError (for the form) or StripeFailure."""
    connection = None
    if invoice.from_stripe:
        connection = StripeConnection.objects.for_workspace(invoice.workspace_id)
        if connection is None:
            raise PaymentError(_("Connect Stripe first: the invoice lives in your Stripe account."))
    key = f"manual:{uuid.uuid4()}"
    with transaction.atomic():
        invoice = lock(invoice)
        check_manual(invoice, amount, invoice.currency)
        if connection is None:
            in_stripe, record_id = write_back(invoice, amount, paid_at), ""
        else:
            in_stripe, record_id = _report_to_stripe(
                connection, invoice, amount, paid_at, method, reference, key
            )
        payment, _created = record_payment(
            invoice,
            provider_id=key,
            source=Payment.Source.MANUAL,
            amount=amount,
            currency=invoice.currency,
            paid_at=paid_at,
            method=method,
            reference=reference,
            note=note,
            created_by=actor,
            recorded_in_stripe=in_stripe,
            payment_intent=record_id or "",
        )
        audit.record(
            request,
            invoice.workspace,
            "payment.recorded",
            Text(
                gettext_noop("Recorded a manual payment of %(amount)s %(currency)s on %(invoice)s"),
                amount=shown_amount(amount, invoice.currency),
                currency=invoice.currency,
                invoice=invoice.number or invoice.stripe_id,
            ),
            actor=actor,
            payment=str(payment.public_id),
            invoice=invoice.stripe_id,
            amount=amount,
            method=method,
            recorded_in_stripe=in_stripe,
        )
    return payment


def _report_to_stripe(connection, invoice, amount, paid_at, method, reference, key):
    """(whether Stripe holds it, the payment record's id): in full → paid out of band;
    partial → a payment record where the account allows it."""
    if amount == invoice.balance_due:
        mark_paid_out_of_band(connection, invoice.stripe_id, key)
        return True, ""
    record_id = report_partial(
        connection,
        invoice_id=invoice.stripe_id,
        customer_id=invoice.stripe_customer_id,
        amount=amount,
        currency=invoice.currency,
        paid_at=paid_at,
        method_label=str(Payment.Method(method).label),
        reference=reference,
        key=key,
    )
    return record_id is not None, record_id or ""
