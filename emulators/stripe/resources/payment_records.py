"""Payment records (`pr_...`): payments made off Stripe (cheque, wire, cash) reported through
`POST /v1/payment_records/report_payment`, to attach to an invoice with
`POST /v1/invoices/{id}/attach_payment` (partial manual payments).

Emulated: a record reported in one go with `outcome` `guaranteed` (or `failed` / `canceled`,
or no outcome: initialized). The `report_payment_attempt*` and `report_refund` calls are not.
"""

from __future__ import annotations

from stripe.params._payment_record_report_payment_params import PaymentRecordReportPaymentParams
from stripe.params._payment_record_retrieve_params import PaymentRecordRetrieveParams

from ..errors import StripeError, invalid
from ..router import route
from .common import merge_metadata, reject_unsupported

SUPPORTED = {
    "amount_requested",
    "initiated_at",
    "payment_method_details",
    "outcome",
    "guaranteed",
    "failed",
    "canceled",
    "customer_details",
    "customer_presence",
    "description",
    "metadata",
    "processor_details",
    "shipping_details",
}


def _amount(currency: str, value: int = 0) -> dict:
    return {"currency": currency, "value": value}


def _outcome_amounts(p: dict, currency: str, value: int) -> dict:
    outcome = p.get("outcome")
    if outcome is not None and outcome not in ("guaranteed", "failed", "canceled"):
        raise invalid(f"Invalid outcome: {outcome}.", param="outcome")
    if outcome is not None and outcome not in p:
        raise StripeError(
            f"Missing required param: {outcome}.", code="parameter_missing", param=outcome
        )
    return {
        f"amount_{name}": _amount(currency, value if outcome == name else 0)
        for name in ("authorized", "canceled", "failed", "guaranteed", "refunded")
    } | {"amount": _amount(currency, value if outcome == "guaranteed" else 0)}


def _payment_method_details(p: dict) -> dict:
    details = p.get("payment_method_details") or {}
    custom = details.get("custom") or {}
    return {
        "billing_details": details.get("billing_details"),
        "custom": {"display_name": custom.get("display_name", ""), "type": custom.get("type")},
        "payment_method": details.get("payment_method"),
        "type": details.get("type", "custom"),
    }


def _processor_details(p: dict) -> dict:
    custom = (p.get("processor_details") or {}).get("custom") or {}
    return {
        "custom": {"payment_reference": custom.get("payment_reference")},
        "type": "custom",
    }


@route(
    "POST",
    "/v1/payment_records/report_payment",
    PaymentRecordReportPaymentParams,
    perm=("payment_records", "write"),
)
def report_payment(ctx):
    reject_unsupported(ctx, SUPPORTED, "payment records")
    p = ctx.params
    requested = p["amount_requested"]
    currency, value = requested["currency"].lower(), requested["value"]
    if value <= 0:
        raise invalid("amount_requested[value] must be positive.", param="amount_requested[value]")
    record = {
        "id": ctx.new_id("pr"),
        "object": "payment_record",
        **_outcome_amounts(p, currency, value),
        "amount_requested": _amount(currency, value),
        "application": None,
        "created": ctx.now(),
        "customer_details": p.get("customer_details"),
        "customer_presence": p.get("customer_presence"),
        "description": p.get("description"),
        "latest_payment_attempt_record": ctx.new_id("par"),
        "livemode": ctx.livemode,
        "metadata": merge_metadata({}, p.get("metadata")),
        "payment_method_details": _payment_method_details(p),
        "processor_details": _processor_details(p),
        "reported_by": "self",
        "shipping_details": p.get("shipping_details"),
    }
    ctx.add("payment_record", record, {"outcome": p.get("outcome"), "invoice": None})
    return ctx.render(record)


@route(
    "GET",
    "/v1/payment_records/{id}",
    PaymentRecordRetrieveParams,
    perm=("payment_records", "read"),
)
def retrieve_payment_record(ctx):
    return ctx.render(ctx.get("payment_record", ctx.path["id"], label="payment_record"))
