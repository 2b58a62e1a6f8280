"""Subscriptions: create (with the first invoice per Stripe's rules), update, cancel, list,
and renewals when the emulator clock passes a period end.

First invoice: `charge_automatically` is finalized at once and paid (or fails) according to the
customer's payment behaviour; `send_invoice` stays a draft and is finalized one hour later (when
the emulator clock passes `created + 3600`). Renewal invoices are created at the period end and
finalized an hour later, then charged (charge_automatically) or left open (send_invoice).
Periods are on the items (`items.data[].current_period_start/end`), as in this API version.
"""

from __future__ import annotations

import copy

from stripe.params._invoice_create_preview_params import InvoiceCreatePreviewParams
from stripe.params._subscription_cancel_params import SubscriptionCancelParams
from stripe.params._subscription_create_params import SubscriptionCreateParams
from stripe.params._subscription_list_params import SubscriptionListParams
from stripe.params._subscription_retrieve_params import SubscriptionRetrieveParams
from stripe.params._subscription_update_params import SubscriptionUpdateParams

from ..errors import StripeError, invalid
from ..router import route
from .catalog import price_from
from .common import (
    add_interval,
    custom_fields,
    diff,
    list_object,
    match_range,
    merge_metadata,
    paginate,
    reject_unsupported,
    reject_unsupported_in_list,
    tax_rate_objects,
    unset,
)
from .customers import live_customer, payment_behavior
from .invoices import (
    FINALIZE_DELAY,
    attempt_payment,
    check_automatic_tax_item,
    finalize,
    new_invoice,
    new_invoice_item,
    recompute,
    subscription_line,
)
from .payments import card_declined
from .prorations import ITEM_SUPPORTED as UPDATE_ITEM_SUPPORTED
from .prorations import (
    Plan,
    apply_plan,
    attach_pending,
    current_period,
    pending_items,
    plan_update,
    proration_item,
    record_debits,
)

CREATE_SUPPORTED = {
    "customer",
    "items",
    "add_invoice_items",
    "metadata",
    "description",
    "collection_method",
    "days_until_due",
    "automatic_tax",
    "invoice_settings",
    "default_tax_rates",
    "payment_behavior",
    "cancel_at_period_end",
    "currency",
    "off_session",
    "proration_behavior",
    "billing_mode",
    "payment_settings",
}
# Per entry of `items` and `add_invoice_items`: discounts, trials, billing thresholds and
# invoice-item periods are not emulated (they would change amounts and periods).
ITEM_SUPPORTED = {"price", "price_data", "quantity", "metadata", "tax_rates"}
UPDATE_SUPPORTED = {
    "cancel_at_period_end",
    "metadata",
    "description",
    "default_tax_rates",
    "days_until_due",
    "invoice_settings",
    "cancellation_details",
    "proration_behavior",
    "automatic_tax",
    "items",
    "proration_date",
    "cancel_at",
    "payment_behavior",
}
UPDATE_PAYMENT_BEHAVIORS = ("allow_incomplete", "error_if_incomplete")
PREVIEW_SUPPORTED = {"subscription", "subscription_details", "customer"}
PREVIEW_DETAILS_SUPPORTED = {"items", "proration_behavior", "proration_date"}
ENDED = ("canceled", "incomplete_expired")
INCOMPLETE_EXPIRY = 23 * 3600


def _period_end(subscription: dict) -> int:
    return subscription["items"]["data"][0]["current_period_end"]


def _invoice_settings(value: dict | None) -> dict:
    value = value or {}
    return {
        "account_tax_ids": value.get("account_tax_ids") or None,
        "custom_fields": custom_fields(unset(value.get("custom_fields"))),
        "description": value.get("description"),
        "footer": value.get("footer"),
        "issuer": {"type": (value.get("issuer") or {}).get("type", "self")},
    }


def _payment_settings(value: dict | None) -> dict:
    value = value or {}
    if value.get("payment_method_options"):
        raise invalid(
            "The Stripe emulator does not emulate `payment_settings[payment_method_options]`.",
            param="payment_settings[payment_method_options]",
        )
    return {
        "payment_method_options": None,
        "payment_method_types": unset(value.get("payment_method_types")),
        "save_default_payment_method": value.get("save_default_payment_method", "off"),
    }


def render_subscription(emu, subscription: dict) -> dict:
    out = copy.deepcopy(subscription)
    items = out["items"]["data"]
    out["items"] = list_object(
        items,
        f"/v1/subscription_items?subscription={subscription['id']}",
        total_count=len(items),
    )
    return out


def _new_item(ctx, subscription_id: str, price: dict, data: dict, param: str, period) -> dict:
    return {
        "id": ctx.new_id("si"),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": ctx.now(),
        "current_period_end": period[1],
        "current_period_start": period[0],
        "discounts": [],
        "metadata": merge_metadata({}, data.get("metadata")),
        "plan": _plan(price),
        "price": copy.deepcopy(price),
        "quantity": data.get("quantity", 1),
        "subscription": subscription_id,
        "tax_rates": tax_rate_objects(ctx, unset(data.get("tax_rates")), f"{param}[tax_rates]"),
    }


def _plan(price: dict) -> dict:
    recurring = price["recurring"]
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": price["livemode"],
        "metadata": copy.deepcopy(price["metadata"]),
        "meter": None,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


@route("POST", "/v1/subscriptions", SubscriptionCreateParams, perm=("subscriptions", "write"))
def create_subscription(ctx):
    reject_unsupported(ctx, CREATE_SUPPORTED, "subscriptions")
    reject_unsupported_in_list(ctx, "items", ITEM_SUPPORTED, "subscriptions")
    reject_unsupported_in_list(ctx, "add_invoice_items", ITEM_SUPPORTED, "subscriptions")
    p = ctx.params
    if "customer" not in p:
        raise StripeError(
            "Missing required param: customer.", code="parameter_missing", param="customer"
        )
    customer = live_customer(ctx, p["customer"])
    items = p.get("items") or []
    if not items:
        raise StripeError("Missing required param: items.", code="parameter_missing", param="items")
    collection_method = p.get("collection_method", "charge_automatically")
    if collection_method == "send_invoice" and "days_until_due" not in p:
        raise StripeError(
            "Missing required param: days_until_due.",
            code="parameter_missing",
            param="days_until_due",
        )
    if collection_method != "send_invoice" and "days_until_due" in p:
        raise invalid(
            "`days_until_due` is valid only for subscriptions with "
            "`collection_method=send_invoice`.",
            param="days_until_due",
        )
    automatic_tax = bool((p.get("automatic_tax") or {}).get("enabled"))
    default_rates = tax_rate_objects(ctx, unset(p.get("default_tax_rates")), "default_tax_rates")
    if automatic_tax and (
        default_rates
        or any(i.get("tax_rates") for i in items)
        or any(i.get("tax_rates") for i in p.get("add_invoice_items") or [])
    ):
        raise invalid(
            "Tax rates cannot be used together with automatic tax.", param="default_tax_rates"
        )

    # Resolve and check every price before anything is created.
    prices = []
    for index, item in enumerate(items):
        price = price_from(ctx, item, f"items[{index}]", recurring=True)
        if any(price["id"] == other["id"] for other in prices):
            raise invalid(
                "Cannot add multiple subscription items with the same price.",
                param=f"items[{index}][price]",
            )
        prices.append(price)
    first = prices[0]
    for index, price in enumerate(prices[1:], start=1):
        if price["currency"] != first["currency"]:
            raise invalid(
                "All prices on a subscription must have the same `currency`.",
                param=f"items[{index}][price]",
            )
        if (price["recurring"]["interval"], price["recurring"]["interval_count"]) != (
            first["recurring"]["interval"],
            first["recurring"]["interval_count"],
        ):
            raise invalid(
                "All prices on a subscription must have the same `recurring.interval` and "
                "`recurring.interval_count`.",
                param=f"items[{index}][price]",
            )
    if automatic_tax:
        for index, price in enumerate(prices):
            check_automatic_tax_item(price["tax_behavior"], 0, f"items[{index}]")
    currency = first["currency"]
    if p.get("currency") and p["currency"].lower() != currency:
        raise invalid("The currency does not match the prices' currency.", param="currency")
    extra_prices = [
        price_from(ctx, item, f"add_invoice_items[{index}]", recurring=False)
        for index, item in enumerate(p.get("add_invoice_items") or [])
    ]
    for index, price in enumerate(extra_prices):
        if automatic_tax:
            check_automatic_tax_item(price["tax_behavior"], 0, f"add_invoice_items[{index}]")
        if price["currency"] != currency:
            raise invalid(
                "The currency of add_invoice_items must match the subscription's currency.",
                param=f"add_invoice_items[{index}]",
            )

    behavior = p.get("payment_behavior", "allow_incomplete")
    charges_money = any(
        (price["unit_amount"] or 0) * item.get("quantity", 1) > 0
        for price, item in zip(
            prices + extra_prices, items + (p.get("add_invoice_items") or []), strict=True
        )
    )
    will_succeed = payment_behavior(ctx.emu, customer["id"]) == "succeed" or not charges_money
    if collection_method == "charge_automatically":
        if behavior == "error_if_incomplete" and not will_succeed:
            raise card_declined()
        status = "active" if will_succeed and behavior != "default_incomplete" else "incomplete"
        if behavior == "default_incomplete" and not charges_money:
            status = "active"
    else:
        status = "active"

    now = ctx.now()
    recurring = first["recurring"]
    period = (now, add_interval(now, recurring["interval"], recurring["interval_count"], now))
    subscription_id = ctx.new_id("sub")
    settings = _invoice_settings(p.get("invoice_settings"))
    subscription = {
        "id": subscription_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": automatic_tax,
            "liability": {"type": "self"} if automatic_tax else None,
        },
        "billing_cycle_anchor": now,
        "billing_cycle_anchor_config": None,
        "billing_mode": {
            "flexible": {"proration_discounts": "included"},
            "type": (p.get("billing_mode") or {}).get("type", "flexible"),
            "updated_at": now,
        },
        "billing_thresholds": None,
        "cancel_at": period[1] if p.get("cancel_at_period_end") else None,
        "cancel_at_period_end": p.get("cancel_at_period_end", False),
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": collection_method,
        "created": now,
        "currency": currency,
        "customer": customer["id"],
        "customer_account": None,
        "days_until_due": p.get("days_until_due"),
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": default_rates,
        "description": p.get("description"),
        "discounts": [],
        "ended_at": None,
        "invoice_settings": settings,
        "items": {"data": []},
        "latest_invoice": None,
        "livemode": ctx.livemode,
        "metadata": merge_metadata({}, p.get("metadata")),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": _payment_settings(p.get("payment_settings")),
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": now,
        "status": status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }
    subscription["items"]["data"] = [
        _new_item(ctx, subscription_id, price, item, f"items[{index}]", period)
        for index, (price, item) in enumerate(zip(prices, items, strict=True))
    ]
    ctx.add("subscription", subscription, {"anchor": now, "cycles": 0})
    if customer["currency"] is None:
        customer["currency"] = currency
    ctx.emit("customer.subscription.created", subscription)

    invoice = _subscription_invoice(
        ctx, subscription, "subscription_create", period, (now, now), created=now
    )
    for index, (price, item) in enumerate(
        zip(extra_prices, p.get("add_invoice_items") or [], strict=True)
    ):
        data = {
            "pricing": {"price": price["id"]},
            "quantity": item.get("quantity", 1),
            "metadata": item.get("metadata"),
        }
        if "tax_rates" in item:
            data["tax_rates"] = item["tax_rates"]
        new_invoice_item(
            ctx,
            customer,
            data,
            invoice=invoice,
            param=f"add_invoice_items[{index}]",
            subscription=subscription,
        )
    recompute(ctx.emu, invoice)
    ctx.emit("invoice.created", invoice)
    if collection_method == "charge_automatically":
        finalize(ctx, invoice)
        if invoice["status"] == "open" and behavior != "default_incomplete":
            attempt_payment(ctx, invoice)
    return ctx.render(subscription)


def _subscription_invoice(
    ctx,
    subscription,
    reason,
    period,
    invoice_period,
    created,
    *,
    items=None,
    pending=None,
    preview=False,
) -> dict:
    """A subscription invoice with `pending` invoice items first, then one line per item
    (`items`, default the subscription's) for `period`. A preview changes nothing else."""
    customer = ctx.emu.store.objects[subscription["customer"]]
    settings = subscription["invoice_settings"]
    invoice = new_invoice(
        ctx,
        customer,
        collection_method=subscription["collection_method"],
        days_until_due=subscription["days_until_due"],
        auto_advance=True,
        currency=subscription["currency"],
        custom_fields_value=settings["custom_fields"],
        footer=settings["footer"],
        description=settings["description"],
        default_tax_rates=copy.deepcopy(subscription["default_tax_rates"]),
        automatic_tax={"enabled": subscription["automatic_tax"]["enabled"]},
        billing_reason=reason,
        subscription=subscription,
        period=invoice_period,
        created=created,
    )
    at_once = reason == "subscription_update" or (
        subscription["collection_method"] == "charge_automatically"
        and reason == "subscription_create"
    )
    invoice["automatically_finalizes_at"] = None if at_once else created + FINALIZE_DELAY
    if pending:
        attach_pending(ctx, invoice, subscription, pending, preview=preview)
    for item in subscription["items"]["data"] if items is None else items:
        subscription_line(ctx, invoice, subscription, item, period)
    recompute(ctx.emu, invoice)
    if not preview:
        subscription["latest_invoice"] = invoice["id"]
        record_debits(ctx, subscription, invoice)
    return invoice


def after_invoice_payment(ctx, invoice: dict, succeeded: bool) -> None:
    """Move the invoice's subscription along after a payment attempt."""
    parent = invoice.get("parent") or {}
    subscription_id = (parent.get("subscription_details") or {}).get("subscription")
    subscription = ctx.find("subscription", subscription_id) if subscription_id else None
    if subscription is None or subscription["status"] in ENDED:
        return
    before = copy.deepcopy(subscription)
    if succeeded and subscription["status"] in ("incomplete", "past_due", "unpaid"):
        subscription["status"] = "active"
    elif (
        not succeeded
        and subscription["status"] == "active"
        and invoice["billing_reason"] != "subscription_create"
    ):
        subscription["status"] = "past_due"
    previous = diff(before, subscription)
    if previous:
        ctx.emit("customer.subscription.updated", subscription, previous)


@route("GET", "/v1/subscriptions/{id}", SubscriptionRetrieveParams, perm=("subscriptions", "read"))
def retrieve_subscription(ctx):
    return ctx.render(ctx.get("subscription", ctx.path["id"]))


@route("POST", "/v1/subscriptions/{id}", SubscriptionUpdateParams, perm=("subscriptions", "write"))
def update_subscription(ctx):
    """Everything is checked (and the prorations computed) before anything changes."""
    subscription = ctx.get("subscription", ctx.path["id"])
    reject_unsupported(ctx, UPDATE_SUPPORTED, "subscription updates")
    reject_unsupported_in_list(ctx, "items", UPDATE_ITEM_SUPPORTED, "subscription updates")
    p = ctx.params
    if subscription["status"] in ENDED and set(p) - {"metadata", "cancellation_details", "expand"}:
        raise invalid(
            "A canceled subscription can only update its cancellation_details and metadata."
        )
    _check_update(subscription, p)
    plan = plan_update(ctx, subscription, p)
    cancel_at = _cancel_at(ctx, subscription, p, plan)
    _check_payment(ctx, subscription, p, plan)
    before = copy.deepcopy(subscription)
    _apply_cancellation(ctx, subscription, p, cancel_at)
    _apply_fields(ctx, subscription, p)
    created = apply_plan(ctx, subscription, plan)
    invoice = None
    if plan.behavior == "always_invoice" and created:
        now = ctx.now()
        invoice = _subscription_invoice(
            ctx,
            subscription,
            "subscription_update",
            (now, now),
            (now, now),
            created=now,
            items=[],
            pending=pending_items(ctx, subscription),
        )
    previous = diff(before, subscription)
    if "items" in previous:
        previous["items"] = render_subscription(ctx.emu, before)["items"]
    if previous:
        ctx.emit("customer.subscription.updated", subscription, previous)
    if invoice is not None:
        _settle(ctx, invoice)
    return ctx.render(subscription)


def _check_update(subscription: dict, p: dict) -> None:
    if "days_until_due" in p and subscription["collection_method"] != "send_invoice":
        raise invalid(
            "`days_until_due` is valid only for subscriptions with "
            "`collection_method=send_invoice`.",
            param="days_until_due",
        )
    if p.get("payment_behavior", "allow_incomplete") not in UPDATE_PAYMENT_BEHAVIORS:
        raise invalid(
            f"The Stripe emulator does not emulate `payment_behavior={p['payment_behavior']}` "
            "on subscription updates; see emulators/README.md.",
            param="payment_behavior",
        )
    if p.get("cancel_at_period_end") and p.get("cancel_at") not in (None, ""):
        raise invalid(
            "You may only specify one of these parameters: cancel_at, cancel_at_period_end.",
            param="cancel_at",
            code="parameters_exclusive",
        )


def _check_payment(ctx, subscription: dict, p: dict, plan: Plan) -> None:
    """`error_if_incomplete` refuses an always_invoice update whose charge would fail."""
    if (
        p.get("payment_behavior") == "error_if_incomplete"
        and plan.behavior == "always_invoice"
        and subscription["collection_method"] == "charge_automatically"
        and payment_behavior(ctx.emu, subscription["customer"]) != "succeed"
        and sum(s["amount"] for s in plan.prorations)
        + sum(i["amount"] for i in pending_items(ctx, subscription))
        > 0
    ):
        raise card_declined()


_KEEP = object()


def _cancel_at(ctx, subscription: dict, p: dict, plan: Plan):
    """The validated new `cancel_at` (None clears it), or _KEEP when not given."""
    if "cancel_at" not in p:
        return _KEEP
    value = p["cancel_at"]
    if value == "":
        return None
    end = _period_end(subscription)
    if value in ("max_period_end", "min_period_end"):
        return end
    if isinstance(value, str) and not value.isdigit():
        raise invalid(
            f"The Stripe emulator does not emulate `cancel_at={value}`; see emulators/README.md.",
            param="cancel_at",
        )
    value = int(value)
    if value <= ctx.now():
        raise invalid("`cancel_at` must be in the future.", param="cancel_at")
    if value > end:
        raise invalid(
            "The Stripe emulator does not emulate `cancel_at` after the current period ends "
            "(Stripe prorates the last period); see emulators/README.md.",
            param="cancel_at",
        )
    if value < end and plan.behavior != "none":
        raise invalid(
            "The Stripe emulator does not emulate the prorations of a `cancel_at` before the "
            "period ends; pass `proration_behavior=none`. See emulators/README.md.",
            param="cancel_at",
        )
    return value


def _apply_cancellation(ctx, subscription: dict, p: dict, cancel_at) -> None:
    requested = None
    if "cancel_at_period_end" in p:
        subscription["cancel_at_period_end"] = p["cancel_at_period_end"]
        subscription["cancel_at"] = _period_end(subscription) if p["cancel_at_period_end"] else None
        requested = p["cancel_at_period_end"]
    if cancel_at is not _KEEP:
        subscription["cancel_at"] = cancel_at
        subscription["cancel_at_period_end"] = False
        requested = cancel_at is not None
    if requested is True:
        subscription["canceled_at"] = ctx.now()
        subscription["cancellation_details"]["reason"] = "cancellation_requested"
    elif requested is False:
        subscription["canceled_at"] = None
        subscription["cancellation_details"]["reason"] = None
    if "cancellation_details" in p:
        details = p["cancellation_details"]
        for name in ("comment", "feedback"):
            if name in details:
                subscription["cancellation_details"][name] = unset(details[name])


def _apply_fields(ctx, subscription: dict, p: dict) -> None:
    if "metadata" in p:
        subscription["metadata"] = merge_metadata(subscription["metadata"], p["metadata"])
    if "description" in p:
        subscription["description"] = unset(p["description"])
    if "default_tax_rates" in p:
        subscription["default_tax_rates"] = tax_rate_objects(
            ctx, unset(p["default_tax_rates"]), "default_tax_rates"
        )
    if "days_until_due" in p:
        subscription["days_until_due"] = p["days_until_due"]
    if "invoice_settings" in p:
        merged = {**subscription["invoice_settings"], **p["invoice_settings"]}
        subscription["invoice_settings"] = _invoice_settings(merged)
    if "automatic_tax" in p:
        enabled = bool(p["automatic_tax"].get("enabled"))
        subscription["automatic_tax"].update(
            {"enabled": enabled, "liability": {"type": "self"} if enabled else None}
        )


def _settle(ctx, invoice: dict) -> None:
    """An always_invoice invoice: finalized at once, charged when charge_automatically."""
    ctx.emit("invoice.created", invoice)
    finalize(ctx, invoice)
    if invoice["status"] == "open" and invoice["collection_method"] == "charge_automatically":
        attempt_payment(ctx, invoice)


# -- previews ----------------------------------------------------------------------------------
@route("POST", "/v1/invoices/create_preview", InvoiceCreatePreviewParams, perm=("invoices", "read"))
def create_preview(ctx):
    """The invoice an update would produce (always_invoice) or the next renewal invoice with
    the update's prorations; nothing is saved."""
    reject_unsupported(ctx, PREVIEW_SUPPORTED, "invoice previews")
    p = ctx.params
    if "subscription" not in p:
        raise invalid(
            "The Stripe emulator only previews invoices of an existing `subscription`; see "
            "emulators/README.md.",
            param="subscription",
        )
    subscription = ctx.get("subscription", p["subscription"], "subscription")
    if p.get("customer", subscription["customer"]) != subscription["customer"]:
        raise invalid("The subscription belongs to a different customer.", param="customer")
    details = p.get("subscription_details") or {}
    _check_preview_details(details)
    if subscription["status"] in ENDED:
        raise invalid(
            f"No upcoming invoices for subscription {subscription['id']}.",
            code="invoice_upcoming_none",
        )
    plan = plan_update(ctx, subscription, details, "subscription_details")
    invoice = _preview_invoice(ctx, subscription, plan)
    out = ctx.render(invoice)
    ctx.store.remove(invoice["id"])
    for object_id in list(ctx.store.journal or []):
        if ctx.store.kind_of(object_id) == "price":  # inline price_data of the preview
            ctx.store.remove(object_id)
    return _as_preview(out)


def _check_preview_details(details: dict) -> None:
    for key in details:
        if key not in PREVIEW_DETAILS_SUPPORTED:
            raise invalid(
                f"The Stripe emulator does not emulate `subscription_details[{key}]` on invoice "
                "previews; see emulators/README.md.",
                param=f"subscription_details[{key}]",
            )
    for index, entry in enumerate(details.get("items") or []):
        for key in entry:
            if key not in UPDATE_ITEM_SUPPORTED:
                raise invalid(
                    f"The Stripe emulator does not emulate `subscription_details[items][].{key}` "
                    "on invoice previews; see emulators/README.md.",
                    param=f"subscription_details[items][{index}][{key}]",
                )


def _preview_invoice(ctx, subscription: dict, plan: Plan) -> dict:
    unsaved = [proration_item(ctx, subscription, spec, stored=False) for spec in plan.prorations]
    pending = pending_items(ctx, subscription) + unsaved
    if plan.behavior == "always_invoice" and unsaved:
        now = ctx.now()
        return _subscription_invoice(
            ctx,
            subscription,
            "subscription_update",
            (now, now),
            (now, now),
            created=now,
            items=[],
            pending=pending,
            preview=True,
        )
    end = _period_end(subscription)
    if subscription["cancel_at"] is not None and subscription["cancel_at"] <= end:
        raise invalid(
            f"No upcoming invoices for subscription {subscription['id']}: it is canceled at "
            "the end of its period.",
            code="invoice_upcoming_none",
        )
    return _subscription_invoice(
        ctx,
        subscription,
        "upcoming",
        _next_period(ctx, subscription),
        current_period(ctx, subscription),
        created=end,
        items=plan.entries,
        pending=pending,
        preview=True,
    )


def _as_preview(out: dict) -> dict:
    """Stripe gives preview invoices an `upcoming_in_...` id; lines point at it."""
    saved_id, preview_id = out["id"], f"upcoming_{out['id']}"
    out["id"] = preview_id
    out["lines"]["url"] = f"/v1/invoices/{preview_id}/lines"
    for line in out["lines"]["data"]:
        line["invoice"] = preview_id
        details = line["parent"].get("subscription_item_details") or {}
        credited = (details.get("proration_details") or {}).get("credited_items")
        if credited and credited["invoice"] == saved_id:
            credited["invoice"] = preview_id
    return out


def cancel(ctx, subscription: dict, reason: str = "cancellation_requested", at: int | None = None):
    now = ctx.now() if at is None else at
    subscription["status"] = "canceled"
    subscription["canceled_at"] = subscription["canceled_at"] or now
    subscription["ended_at"] = now
    subscription["cancellation_details"]["reason"] = (
        subscription["cancellation_details"]["reason"] or reason
    )
    ctx.emit("customer.subscription.deleted", subscription)


@route(
    "DELETE",
    "/v1/subscriptions/{id}",
    SubscriptionCancelParams,
    perm=("subscriptions", "write"),
)
def cancel_subscription(ctx):
    subscription = ctx.get("subscription", ctx.path["id"])
    if subscription["status"] in ENDED:
        raise invalid(
            f"This subscription has already been canceled ({subscription['id']}).",
            code="resource_missing",
        )
    reject_unsupported(ctx, {"cancellation_details", "prorate", "invoice_now"}, "cancellation")
    details = ctx.params.get("cancellation_details") or {}
    for name in ("comment", "feedback"):
        if name in details:
            subscription["cancellation_details"][name] = unset(details[name])
    subscription["canceled_at"] = ctx.now()
    cancel(ctx, subscription)
    return ctx.render(subscription)


@route("GET", "/v1/subscriptions", SubscriptionListParams, perm=("subscriptions", "read"))
def list_subscriptions(ctx):
    p = ctx.params
    status = p.get("status")

    def status_ok(sub):
        if status in (None,):
            return sub["status"] not in ENDED
        if status == "all":
            return True
        if status == "ended":
            return sub["status"] in ENDED
        return sub["status"] == status

    subscriptions = [
        sub
        for sub in ctx.store.all("subscription", ctx.owner)
        if status_ok(sub)
        and ("customer" not in p or sub["customer"] == p["customer"])
        and ("collection_method" not in p or sub["collection_method"] == p["collection_method"])
        and ("price" not in p or any(i["price"]["id"] == p["price"] for i in sub["items"]["data"]))
        and match_range(sub["created"], p.get("created"))
    ]
    return paginate(ctx, subscriptions, "/v1/subscriptions")


# -- time-driven work --------------------------------------------------------------------------
def due(emu) -> list:
    """(moment, action maker) of every subscription the clock will act on (the dashboard's
    stops on its way forward)."""
    entries = (due_entry(subscription) for subscription in emu.store.all("subscription"))
    return [entry for entry in entries if entry is not None]


def due_entry(subscription: dict) -> tuple | None:
    """When the clock next acts on this subscription, and how: (moment, action maker) or None.
    It reads only the subscription's own fields (see invoices.due_entry)."""
    status = subscription["status"]
    if status in ENDED:
        return None
    if status == "incomplete":
        return subscription["created"] + INCOMPLETE_EXPIRY, _expire
    cancel_at = subscription["cancel_at"]
    if cancel_at is not None and cancel_at < _period_end(subscription):
        return cancel_at, _cancel_at_time
    return _period_end(subscription), _period_over


def _cancel_at_time(ctx, subscription):
    def run():
        cancel(ctx, subscription, at=subscription["cancel_at"])

    return run


def _expire(ctx, subscription):
    def run():
        subscription["status"] = "incomplete_expired"
        subscription["ended_at"] = subscription["created"] + INCOMPLETE_EXPIRY
        invoice = ctx.find("invoice", subscription["latest_invoice"])
        if invoice is not None and invoice["status"] == "open":
            invoice["status"] = "void"
            invoice["status_transitions"]["voided_at"] = subscription["ended_at"]
            ctx.emit("invoice.voided", invoice)
        ctx.emit("customer.subscription.deleted", subscription)

    return run


def _next_period(ctx, subscription) -> tuple[int, int]:
    """The period after the current one (periods count from the anchor, keeping its day)."""
    internal = ctx.internal(subscription["id"])
    recurring = subscription["items"]["data"][0]["price"]["recurring"]
    new_end = add_interval(
        internal["anchor"],
        recurring["interval"],
        recurring["interval_count"] * (internal["cycles"] + 2),
        internal["anchor"],
    )
    return _period_end(subscription), new_end


def _period_over(ctx, subscription):
    def run():
        end = _period_end(subscription)
        cancel_at = subscription["cancel_at"]
        if subscription["cancel_at_period_end"] or (cancel_at is not None and cancel_at <= end):
            cancel(ctx, subscription, at=end)
            return
        before = copy.deepcopy(subscription)
        old_period = current_period(ctx, subscription)
        new_period = _next_period(ctx, subscription)
        ctx.internal(subscription["id"])["cycles"] += 1
        for item in subscription["items"]["data"]:
            item["current_period_start"], item["current_period_end"] = new_period
        invoice = _subscription_invoice(
            ctx,
            subscription,
            "subscription_cycle",
            new_period,
            old_period,
            created=end,
            pending=pending_items(ctx, subscription),
        )
        ctx.emit("customer.subscription.updated", subscription, diff(before, subscription))
        ctx.emit("invoice.created", invoice)

    return run
