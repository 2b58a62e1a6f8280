"""Manual payments reported to Stripe: a full one marks the invoice paid out of band; a partial
one is reported as a payment record and attached to the invoice where the API allows it, and is
otherwise kept in MSPercury only (labelled so)."""

from datetime import datetime

from integrations.models import StripeConnection
from integrations.push.executor import throttled_call
from integrations.stripe.client import make_client
from integrations.stripe.errors import StripeFailure


def mark_paid_out_of_band(connection: StripeConnection, invoice_id: str, key: str) -> None:
    client = make_client(connection.api_key)
    throttled_call(
        connection,
        lambda: client.v1.invoices.pay(
            invoice_id, {"paid_out_of_band": True}, {"idempotency_key": f"{key}:pay"}
        ),
    )


def report_partial(
    connection: StripeConnection,
    *,
    invoice_id: str,
    customer_id: str,
    amount: int,
    currency: str,
    paid_at: datetime,
    method_label: str,
    reference: str,
    key: str,
) -> str | None:
    """The payment record's id when Stripe holds the payment (attached to the invoice); None
    when the account or API cannot take it (retryable failures raise: nothing is half done)."""
    client = make_client(connection.api_key)
    when = int(paid_at.timestamp())
    params = {
        "amount_requested": {"currency": currency.lower(), "value": amount},
        "initiated_at": when,
        "outcome": "guaranteed",
        "guaranteed": {"guaranteed_at": when},
        "customer_details": {"customer": customer_id},
        "payment_method_details": {"type": "custom", "custom": {"display_name": method_label}},
        "processor_details": {
            "type": "custom",
            "custom": {"payment_reference": reference or key},
        },
        "metadata": {"mspercury_payment": key},
    }
    try:
        record = throttled_call(
            connection,
            lambda: client.v1.payment_records.report_payment(
                params, {"idempotency_key": f"{key}:record"}
            ),
        )
        throttled_call(
            connection,
            lambda: client.v1.invoices.attach_payment(
                invoice_id, {"payment_record": record.id}, {"idempotency_key": f"{key}:attach"}
            ),
        )
    except StripeFailure as failure:
        if failure.retryable:
            raise
        return None
    return record.id
