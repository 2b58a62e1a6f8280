"""Payment intents, charges, invoice payments and refunds: just enough to record payments.

A payment attempt succeeds or fails according to the customer's payment behaviour (set through
`POST /_emulator/customers/{id}/payment_behavior`, default from the `default_payment_behavior`
setting). There are no cards, payment methods or 3-D Secure.
"""

from __future__ import annotations

import copy

from stripe.params._charge_retrieve_params import ChargeRetrieveParams
from stripe.params._invoice_payment_list_params import InvoicePaymentListParams
from stripe.params._invoice_payment_retrieve_params import InvoicePaymentRetrieveParams
from stripe.params._payment_intent_create_params import PaymentIntentCreateParams
from stripe.params._payment_intent_retrieve_params import PaymentIntentRetrieveParams
from stripe.params._refund_create_params import RefundCreateParams
from stripe.params._refund_retrieve_params import RefundRetrieveParams

from ..errors import StripeError, invalid, no_such
from ..router import route
from .common import merge_metadata, paginate, reject_unsupported

DECLINE = {
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
    "type": "card_error",
}


def new_payment_intent(
    ctx,
    *,
    amount: int,
    currency: str,
    customer: str | None,
    description: str | None = None,
    metadata: dict | None = None,
) -> dict:
    now = ctx.now()
    payment_intent = {
        "id": ctx.new_id("pi"),
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": None,
        "confirmation_method": "automatic",
        "created": now,
        "currency": currency,
        "customer": customer,
        "description": description,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": ctx.livemode,
        "metadata": dict(metadata or {}),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "setup_future_usage": None,
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }
    payment_intent["client_secret"] = f"{payment_intent['id']}_secret_{ctx.store.token(24)}"
    ctx.add("payment_intent", payment_intent)
    ctx.emit("payment_intent.created", payment_intent)
    return payment_intent


def charge(
    ctx,
    *,
    amount: int,
    currency: str,
    customer: str | None,
    succeed: bool,
    description: str | None = None,
    metadata: dict | None = None,
    payment_intent: dict | None = None,
    method: str = "card",
) -> tuple[dict, dict]:
    """Create (or reuse) a payment intent and one charge attempt on it (by card, or the debit
    of a SEPA mandate); emit the events."""
    now = ctx.now()
    if payment_intent is None:
        payment_intent = new_payment_intent(
            ctx,
            amount=amount,
            currency=currency,
            customer=customer,
            description=description,
            metadata=metadata,
        )
    payment_method = ctx.new_id("pm")
    charge_obj = {
        "id": ctx.new_id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeed else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": ctx.new_id("txn") if succeed else None,
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "calculated_statement_descriptor": "EMULATOR",
        "captured": succeed,
        "created": now,
        "currency": currency,
        "customer": customer,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if succeed else DECLINE["code"],
        "failure_message": None if succeed else DECLINE["message"],
        "fraud_details": {},
        "livemode": ctx.livemode,
        "metadata": dict(metadata or {}),
        "on_behalf_of": None,
        "outcome": {
            "network_status": "approved_by_network" if succeed else "declined_by_network",
            "reason": None if succeed else "generic_decline",
            "risk_level": "normal",
            "seller_message": "Payment complete." if succeed else "The bank declined.",
            "type": "authorized" if succeed else "issuer_declined",
        },
        "paid": succeed,
        "payment_intent": payment_intent["id"],
        "payment_method": payment_method,
        "payment_method_details": _method_details(method, succeed),
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": ctx.emu.url(f"/receipts/{payment_intent['id']}"),
        "refunded": False,
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if succeed else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }
    ctx.add("charge", charge_obj)
    payment_intent["latest_charge"] = charge_obj["id"]
    payment_intent["payment_method"] = payment_method
    if succeed:
        payment_intent["status"] = "succeeded"
        payment_intent["amount_received"] = amount
        payment_intent["last_payment_error"] = None
        ctx.emit("charge.succeeded", charge_obj)
        ctx.emit("payment_intent.succeeded", payment_intent)
    else:
        payment_intent["status"] = "requires_payment_method"
        payment_intent["last_payment_error"] = {**DECLINE, "charge": charge_obj["id"]}
        ctx.emit("charge.failed", charge_obj)
        ctx.emit("payment_intent.payment_failed", payment_intent)
    return payment_intent, charge_obj


def _method_details(method: str, succeed: bool) -> dict:
    if method == "sepa_debit":
        details = {"bank_code": "37040044", "branch_code": None, "country": "DE"}
        return {"type": "sepa_debit", "sepa_debit": details | {"last4": "3000"}}
    return {
        "type": "card",
        "card": {"brand": "visa", "country": "US", "last4": "4242" if succeed else "0002"},
    }


def card_declined(charge_id: str | None = None) -> StripeError:
    extra = {"decline_code": DECLINE["decline_code"]}
    if charge_id:
        extra["charge"] = charge_id
    return StripeError(
        DECLINE["message"], status=402, type="card_error", code=DECLINE["code"], extra=extra
    )


@route("POST", "/v1/payment_intents", PaymentIntentCreateParams, perm=("payment_intents", "write"))
def create_payment_intent(ctx):
    """A payment intent; with `confirm=true` it is charged at once (the customer's payment
    behaviour decides the outcome; a decline answers 402 and keeps the failed attempt)."""
    reject_unsupported(
        ctx, {"amount", "currency", "customer", "description", "metadata", "confirm"}, "payments"
    )
    from .customers import payment_behavior

    p = ctx.params
    fields = {
        "amount": p["amount"],
        "currency": p["currency"].lower(),
        "customer": p.get("customer"),
        "description": p.get("description"),
        "metadata": merge_metadata({}, p.get("metadata")),
    }
    if fields["customer"]:
        ctx.get("customer", fields["customer"], "customer")
    payment_intent = new_payment_intent(ctx, **fields)
    if p.get("confirm"):
        succeed = payment_behavior(ctx.emu, fields["customer"]) == "succeed"
        _, charge_obj = charge(ctx, **fields, succeed=succeed, payment_intent=payment_intent)
        if not succeed:
            error = card_declined(charge_obj["id"])
            error.keep_effects = True
            raise error
    return ctx.render(payment_intent)


@route(
    "GET", "/v1/payment_intents/{id}", PaymentIntentRetrieveParams, perm=("payment_intents", "read")
)
def retrieve_payment_intent(ctx):
    return ctx.render(ctx.get("payment_intent", ctx.path["id"], label="payment_intent"))


@route("GET", "/v1/charges/{id}", ChargeRetrieveParams, perm=("charges", "read"))
def retrieve_charge(ctx):
    return ctx.render(ctx.get("charge", ctx.path["id"]))


@route("GET", "/v1/invoice_payments/{id}", InvoicePaymentRetrieveParams, perm=("invoices", "read"))
def retrieve_invoice_payment(ctx):
    return ctx.render(ctx.get("invoice_payment", ctx.path["id"], label="invoice_payment"))


@route("GET", "/v1/invoice_payments", InvoicePaymentListParams, perm=("invoices", "read"))
def list_invoice_payments(ctx):
    p = ctx.params
    payment = p.get("payment") or {}
    payments = [
        record
        for record in ctx.store.all("invoice_payment", ctx.owner)
        if ("invoice" not in p or record["invoice"] == p["invoice"])
        and ("status" not in p or record["status"] == p["status"])
        and (
            "payment_intent" not in payment
            or record["payment"].get("payment_intent") == payment["payment_intent"]
        )
    ]
    return paginate(ctx, payments, "/v1/invoice_payments")


@route("POST", "/v1/refunds", RefundCreateParams, perm=("refunds", "write"))
def create_refund(ctx):
    p = ctx.params
    if "charge" in p:
        charge_obj = ctx.get("charge", p["charge"], "charge")
    elif "payment_intent" in p:
        payment_intent = ctx.get("payment_intent", p["payment_intent"], "payment_intent")
        charge_obj = ctx.find("charge", payment_intent["latest_charge"])
        if charge_obj is None:
            raise invalid("This PaymentIntent has no charge to refund.", param="payment_intent")
    else:
        raise StripeError(
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
            code="parameter_missing",
        )
    if not charge_obj["paid"]:
        raise invalid(f"Charge {charge_obj['id']} has not been captured or has failed.")
    refundable = charge_obj["amount"] - charge_obj["amount_refunded"]
    amount = p.get("amount", refundable)
    if amount <= 0 or amount > refundable:
        raise invalid(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({refundable})",
            param="amount",
            code="charge_already_refunded" if refundable == 0 else None,
        )
    refund = create_refund_for(ctx, charge_obj, amount, p.get("metadata"), p.get("reason"))
    return ctx.render(refund)


def create_refund_for(ctx, charge_obj: dict, amount: int, metadata=None, reason=None) -> dict:
    """A succeeded refund of `amount` on the charge: refund.created and charge.refunded."""
    refund = {
        "id": ctx.new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": ctx.new_id("txn"),
        "charge": charge_obj["id"],
        "created": ctx.now(),
        "currency": charge_obj["currency"],
        "destination_details": {"type": "card", "card": {"type": "refund"}},
        "metadata": merge_metadata({}, metadata),
        "payment_intent": charge_obj["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    ctx.add("refund", refund)
    previous = {
        "amount_refunded": charge_obj["amount_refunded"],
        "refunded": charge_obj["refunded"],
    }
    charge_obj["amount_refunded"] += amount
    charge_obj["refunded"] = charge_obj["amount_refunded"] == charge_obj["amount"]
    ctx.emit("refund.created", refund)
    ctx.emit("charge.refunded", charge_obj, previous)
    return refund


@route("GET", "/v1/refunds/{id}", RefundRetrieveParams, perm=("refunds", "read"))
def retrieve_refund(ctx):
    refund = ctx.store.get("refund", ctx.path["id"], ctx.owner)
    if refund is None:
        raise no_such("refund", ctx.path["id"])
    return ctx.render(copy.deepcopy(refund))
