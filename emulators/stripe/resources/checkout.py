"""Checkout Sessions in payment mode, paid or declined on the emulator's hosted page."""

from __future__ import annotations

import copy

from stripe.params.checkout._session_create_params import SessionCreateParams
from stripe.params.checkout._session_expire_params import SessionExpireParams
from stripe.params.checkout._session_line_item_list_params import SessionLineItemListParams
from stripe.params.checkout._session_list_params import SessionListParams
from stripe.params.checkout._session_retrieve_params import SessionRetrieveParams

from ..errors import StripeError, invalid
from ..router import route
from .catalog import price_from
from .common import (
    match_range,
    merge_metadata,
    paginate,
    reject_unsupported,
    reject_unsupported_in_list,
)
from .customers import live_customer
from .payments import charge, new_payment_intent

MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 3600
SUPPORTED = {
    "mode",
    "line_items",
    "success_url",
    "cancel_url",
    "expires_at",
    "metadata",
    "customer",
    "customer_email",
    "client_reference_id",
    "payment_intent_data",
    "locale",
    "ui_mode",
    "allowed_payment_method_types",
}

# Card pays at once; SEPA Direct Debit is asynchronous: the session completes unpaid and a later
# checkout.session.async_payment_succeeded (or _failed) says how the debit went.
METHOD_TYPES = {"card", "sepa_debit"}


@route("POST", "/v1/checkout/sessions", SessionCreateParams, perm=("checkout_sessions", "write"))
def create_session(ctx):
    reject_unsupported(ctx, SUPPORTED, "checkout sessions")
    # Line-item tax rates would change the amounts, which the emulator computes without them.
    reject_unsupported_in_list(
        ctx, "line_items", {"price", "price_data", "quantity", "metadata"}, "checkout sessions"
    )
    p = ctx.params
    mode = p.get("mode")
    if mode is None:
        raise StripeError("Missing required param: mode.", code="parameter_missing", param="mode")
    if mode != "payment":
        raise invalid("The Stripe emulator only emulates Checkout in `mode=payment`.", param="mode")
    ui_mode = p.get("ui_mode", "hosted_page")
    if ui_mode != "hosted_page":
        raise invalid("The Stripe emulator only emulates `ui_mode=hosted_page`.", param="ui_mode")
    lines = p.get("line_items") or []
    if not lines:
        raise StripeError(
            "Missing required param: line_items.", code="parameter_missing", param="line_items"
        )
    now = ctx.now()
    expires_at = p.get("expires_at", now + MAX_EXPIRY)
    if expires_at < now + MIN_EXPIRY:
        raise invalid(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
            param="expires_at",
        )
    if expires_at > now + MAX_EXPIRY:
        raise invalid(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    customer = live_customer(ctx, p["customer"]) if "customer" in p else None
    if customer and "customer_email" in p:
        raise invalid(
            "You may only specify one of these parameters: customer, customer_email.",
            param="customer_email",
            code="parameters_exclusive",
        )
    items = []
    for index, line in enumerate(lines):
        if "quantity" not in line:
            raise StripeError(
                f"Missing required param: line_items[{index}][quantity].",
                code="parameter_missing",
                param=f"line_items[{index}][quantity]",
            )
        price = price_from(ctx, line, f"line_items[{index}]", recurring=False)
        product = ctx.store.objects.get(price["product"]) or {}
        amount = (price["unit_amount"] or 0) * line["quantity"]
        items.append(
            {
                "id": ctx.new_id("li"),
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": price["currency"],
                "description": product.get("name"),
                "metadata": dict(line.get("metadata") or {}),
                "price": copy.deepcopy(price),
                "quantity": line["quantity"],
            }
        )
    currencies = {item["currency"] for item in items}
    if len(currencies) > 1:
        raise invalid("All line items must use the same currency.", param="line_items")
    total = sum(item["amount_total"] for item in items)
    if total > 99_999_999:
        raise StripeError(
            "The Checkout Session's total amount must be no more than 99999999.",
            code="amount_too_large",
            param="line_items",
        )
    session_id = ctx.new_id("cs")
    session = {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": None,
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": p.get("cancel_url"),
        "client_reference_id": p.get("client_reference_id"),
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": now,
        "currency": currencies.pop(),
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": customer["id"] if customer else None,
        "customer_creation": None if customer else "if_required",
        "customer_details": None,
        "customer_email": p.get("customer_email"),
        "discounts": [],
        "expires_at": expires_at,
        "invoice": None,
        "invoice_creation": {"enabled": False, "invoice_data": None},
        "livemode": ctx.livemode,
        "locale": p.get("locale"),
        "metadata": merge_metadata({}, p.get("metadata")),
        "mode": "payment",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_options": {},
        "allowed_payment_method_types": p.get("allowed_payment_method_types"),
        "payment_method_types": _method_types(p),
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": p.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": ui_mode,
        "url": ctx.emu.url(f"/c/pay/{session_id}"),
    }
    ctx.add(
        "checkout.session",
        session,
        {"items": items, "payment_intent_data": p.get("payment_intent_data") or {}},
    )
    return ctx.render(session)


@route(
    "GET",
    "/v1/checkout/sessions/{session}",
    SessionRetrieveParams,
    perm=("checkout_sessions", "read"),
)
def retrieve_session(ctx):
    return ctx.render(_session(ctx))


def _session(ctx) -> dict:
    return ctx.get("checkout.session", ctx.path["session"], "session", label="checkout.session")


@route(
    "POST",
    "/v1/checkout/sessions/{session}/expire",
    SessionExpireParams,
    perm=("checkout_sessions", "write"),
)
def expire_session(ctx):
    session = _session(ctx)
    if session["status"] != "open":
        raise invalid(
            f'Only Checkout Sessions with a status in ["open"] can be expired. This session '
            f'has status "{session["status"]}".'
        )
    expire(ctx, session)
    return ctx.render(session)


@route(
    "GET",
    "/v1/checkout/sessions/{session}/line_items",
    SessionLineItemListParams,
    perm=("checkout_sessions", "read"),
)
def list_line_items(ctx):
    session = _session(ctx)
    items = list(reversed(ctx.internal(session["id"])["items"]))
    return paginate(
        ctx,
        items,
        f"/v1/checkout/sessions/{session['id']}/line_items",
        render=copy.deepcopy,
    )


@route("GET", "/v1/checkout/sessions", SessionListParams, perm=("checkout_sessions", "read"))
def list_sessions(ctx):
    p = ctx.params
    sessions = [
        session
        for session in ctx.store.all("checkout.session", ctx.owner)
        if ("customer" not in p or session["customer"] == p["customer"])
        and ("status" not in p or session["status"] == p["status"])
        and ("payment_intent" not in p or session["payment_intent"] == p["payment_intent"])
        and match_range(session["created"], p.get("created"))
    ]
    return paginate(ctx, sessions, "/v1/checkout/sessions")


def _method_types(p: dict) -> list[str]:
    types = list(p.get("allowed_payment_method_types") or ["card"])
    unknown = [t for t in types if t not in METHOD_TYPES]
    if unknown:
        raise invalid(
            f"The Stripe emulator emulates only the card and sepa_debit payment method types, "
            f"not {', '.join(unknown)}.",
            param="allowed_payment_method_types",
        )
    if "sepa_debit" in types and _currency(p) != "eur":
        raise invalid(
            "The payment method `sepa_debit` cannot be used with the currency "
            f"`{_currency(p)}`; it supports only `eur`.",
            param="allowed_payment_method_types",
        )
    return types


def _currency(p: dict) -> str:
    items = p.get("line_items") or [{}]
    return str((items[0].get("price_data") or {}).get("currency", "eur")).lower()


def expire(ctx, session: dict) -> None:
    session["status"] = "expired"
    session["url"] = None
    ctx.emit("checkout.session.expired", session)


def pay(ctx, session: dict, succeed: bool, email: str | None = None) -> None:
    """What the hosted page's Pay (succeed) and Decline buttons do."""
    internal = ctx.internal(session["id"])
    existing = ctx.find("payment_intent", session["payment_intent"])
    pi_data = internal["payment_intent_data"]
    payment_intent, _ = charge(
        ctx,
        amount=session["amount_total"],
        currency=session["currency"],
        customer=session["customer"],
        succeed=succeed,
        description=pi_data.get("description"),
        metadata=pi_data.get("metadata"),
        payment_intent=existing,
    )
    session["payment_intent"] = payment_intent["id"]
    if not succeed:
        return
    customer = ctx.find("customer", session["customer"]) if session["customer"] else None
    session["customer_details"] = {
        "address": copy.deepcopy(customer["address"]) if customer else None,
        "business_name": None,
        "email": (customer or {}).get("email") or session["customer_email"] or email,
        "individual_name": None,
        "name": (customer or {}).get("name"),
        "phone": None,
        "tax_exempt": (customer or {}).get("tax_exempt", "none"),
        "tax_ids": [],
    }
    session["status"] = "complete"
    session["payment_status"] = "paid"
    session["url"] = None
    ctx.emit("checkout.session.completed", session)


def debit(ctx, session: dict) -> None:
    """The hosted page's SEPA button: the mandate is accepted and the session completes, but
    the money is not there yet (payment intent processing, payment_status unpaid)."""
    pi_data = ctx.internal(session["id"])["payment_intent_data"]
    intent = new_payment_intent(
        ctx,
        amount=session["amount_total"],
        currency=session["currency"],
        customer=session["customer"],
        description=pi_data.get("description"),
        metadata=pi_data.get("metadata"),
    )
    intent["payment_method_types"] = ["sepa_debit"]
    intent["status"] = "processing"
    ctx.emit("payment_intent.processing", intent)
    session["payment_intent"] = intent["id"]
    session["status"] = "complete"
    session["url"] = None
    ctx.emit("checkout.session.completed", session)


def settle_debit(ctx, session: dict, succeed: bool) -> None:
    """The bank's answer, days later on Stripe; a tester's button here."""
    intent = ctx.find("payment_intent", session["payment_intent"])
    charge(
        ctx,
        amount=session["amount_total"],
        currency=session["currency"],
        customer=session["customer"],
        succeed=succeed,
        payment_intent=intent,
        method="sepa_debit",
    )
    if succeed:
        session["payment_status"] = "paid"
        ctx.emit("checkout.session.async_payment_succeeded", session)
    else:
        ctx.emit("checkout.session.async_payment_failed", session)


def due_entry(session: dict) -> tuple | None:
    """When the clock expires this session: (moment, action maker) or None (see
    invoices.due_entry)."""
    if session["status"] == "open":
        return session["expires_at"], _expire_later
    return None


def _expire_later(ctx, session):
    def run():
        expire(ctx, session)

    return run
