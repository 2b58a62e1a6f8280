"""Invoices, invoice line items and invoice items.

Lifecycle as on Stripe: `draft` -> finalize -> `open` -> pay / void / mark_uncollectible; drafts
can be deleted. Totals and taxes come from `money.py`. Invoices created by a subscription
carry `parent.subscription_details` (there is no `invoice.subscription` in this API version).
"""

from __future__ import annotations

import copy
from decimal import Decimal

from stripe.params._invoice_attach_payment_params import InvoiceAttachPaymentParams
from stripe.params._invoice_create_params import InvoiceCreateParams
from stripe.params._invoice_delete_params import InvoiceDeleteParams
from stripe.params._invoice_finalize_invoice_params import InvoiceFinalizeInvoiceParams
from stripe.params._invoice_item_create_params import InvoiceItemCreateParams
from stripe.params._invoice_item_delete_params import InvoiceItemDeleteParams
from stripe.params._invoice_item_list_params import InvoiceItemListParams
from stripe.params._invoice_item_retrieve_params import InvoiceItemRetrieveParams
from stripe.params._invoice_item_update_params import InvoiceItemUpdateParams
from stripe.params._invoice_line_item_list_params import InvoiceLineItemListParams
from stripe.params._invoice_line_item_update_params import InvoiceLineItemUpdateParams
from stripe.params._invoice_list_params import InvoiceListParams
from stripe.params._invoice_mark_uncollectible_params import InvoiceMarkUncollectibleParams
from stripe.params._invoice_pay_params import InvoicePayParams
from stripe.params._invoice_retrieve_params import InvoiceRetrieveParams
from stripe.params._invoice_send_invoice_params import InvoiceSendInvoiceParams
from stripe.params._invoice_update_params import InvoiceUpdateParams
from stripe.params._invoice_void_invoice_params import InvoiceVoidInvoiceParams

from .. import money
from ..errors import StripeError, invalid, no_such
from ..router import route
from .catalog import price_from
from .common import (
    custom_fields,
    diff,
    list_object,
    match_range,
    merge_metadata,
    paginate,
    reject_unsupported,
    tax_rate_objects,
    unset,
)
from .customers import customer_tax_ids, live_customer, payment_behavior
from .payments import card_declined, charge

MAX_LINES = 250
EMBEDDED_LINES = 10
FINALIZE_DELAY = 3600


def not_editable(message: str, param: str | None = None) -> StripeError:
    return StripeError(message, code="invoice_not_editable", param=param)


# -- building ----------------------------------------------------------------------------------
def _customer_snapshot(emu, invoice: dict) -> None:
    customer = emu.store.objects[invoice["customer"]]
    invoice["customer_address"] = copy.deepcopy(customer["address"])
    invoice["customer_email"] = customer["email"]
    invoice["customer_name"] = customer["name"]
    invoice["customer_phone"] = customer["phone"]
    invoice["customer_shipping"] = copy.deepcopy(customer["shipping"])
    invoice["customer_tax_exempt"] = customer["tax_exempt"]
    invoice["customer_tax_ids"] = [
        {"type": t["type"], "value": t["value"]} for t in customer_tax_ids(emu, customer["id"])
    ]


def new_invoice(
    ctx,
    customer: dict,
    *,
    collection_method: str = "charge_automatically",
    days_until_due: int | None = None,
    due_date: int | None = None,
    auto_advance: bool = False,
    currency: str | None = None,
    custom_fields_value=None,
    footer: str | None = None,
    description: str | None = None,
    metadata: dict | None = None,
    default_tax_rates: list | None = None,
    automatic_tax: dict | None = None,
    billing_reason: str = "manual",
    subscription: dict | None = None,
    period: tuple[int, int] | None = None,
    created: int | None = None,
) -> dict:
    created = ctx.now() if created is None else created
    account = ctx.emu.keys.accounts.get(ctx.owner[0], {})
    currency = (currency or customer["currency"] or account.get("default_currency", "eur")).lower()
    if collection_method == "send_invoice" and due_date is None and days_until_due is not None:
        due_date = created + days_until_due * 86400
    settings = customer["invoice_settings"]
    invoice = {
        "id": ctx.new_id("in"),
        "object": "invoice",
        "account_country": account.get("country"),
        "account_name": account.get("settings", {}).get("dashboard", {}).get("display_name"),
        "account_tax_ids": None,
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": auto_advance,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": bool((automatic_tax or {}).get("enabled")),
            "liability": {"type": "self"} if (automatic_tax or {}).get("enabled") else None,
            "provider": "stripe" if (automatic_tax or {}).get("enabled") else None,
            "status": None,
        },
        "automatically_finalizes_at": created + FINALIZE_DELAY if auto_advance else None,
        "billing_reason": billing_reason,
        "collection_method": collection_method,
        "confirmation_secret": None,
        "created": created,
        "currency": currency,
        "custom_fields": custom_fields(custom_fields_value)
        if custom_fields_value is not None
        else copy.deepcopy(settings.get("custom_fields")),
        "customer": customer["id"],
        "customer_account": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": default_tax_rates or [],
        "description": description,
        "discounts": [],
        "due_date": due_date if collection_method == "send_invoice" else None,
        "effective_at": None,
        "ending_balance": None,
        "footer": footer if footer is not None else settings.get("footer"),
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "livemode": ctx.livemode,
        "metadata": dict(metadata or {}),
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period[1] if period else created,
        "period_start": period[0] if period else created,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": None,
        "threshold_reason": None,
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }
    if subscription is not None:
        invoice["parent"] = {
            "quote_details": None,
            "subscription_details": {
                "metadata": copy.deepcopy(subscription["metadata"]),
                "subscription": subscription["id"],
            },
            "type": "subscription_details",
        }
    if customer["currency"] is None:
        customer["currency"] = currency
    _customer_snapshot(ctx.emu, invoice)
    ctx.add("invoice", invoice, {"lines": [], "payments": [], "paid_off_stripe": 0})
    return invoice


def _line_base(ctx, invoice: dict, amount: int, currency: str) -> dict:
    return {
        "id": ctx.new_id("il"),
        "object": "line_item",
        "amount": amount,
        "currency": currency,
        "description": None,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice["id"],
        "livemode": ctx.livemode,
        "metadata": {},
        "parent": None,
        "period": {"end": invoice["created"], "start": invoice["created"]},
        "pretax_credit_amounts": [],
        "pricing": None,
        "quantity": 1,
        "quantity_decimal": "1",
        "subscription": None,
        "subtotal": amount,
        "taxes": [],
    }


def _check_room(ctx, invoice: dict, adding: int = 1) -> None:
    if len(ctx.internal(invoice["id"])["lines"]) + adding > MAX_LINES:
        raise invalid(
            f"An invoice can have at most {MAX_LINES} line items.",
            param="invoice",
        )


def check_automatic_tax_item(tax_behavior: str, amount: int, param: str) -> None:
    """Stripe Tax refuses items without a tax behaviour (the emulated account sets no default
    in its Stripe Tax settings) and negative amounts."""
    if tax_behavior not in ("inclusive", "exclusive"):
        raise invalid(
            "Automatic tax needs a tax_behavior of inclusive or exclusive on every price or "
            "invoice item (this account has no default tax behavior in its Stripe Tax "
            "settings).",
            param=param,
        )
    if amount < 0:
        raise invalid("Invoice items with negative amounts cannot use automatic tax.", param=param)


def attach_item(ctx, invoice: dict, item: dict) -> dict:
    """Put an invoice item on a draft invoice as a line."""
    _check_room(ctx, invoice)
    if invoice["automatic_tax"]["enabled"]:
        check_automatic_tax_item(
            ctx.internal(item["id"]).get("tax_behavior", "unspecified"), item["amount"], "invoice"
        )
    item["invoice"] = invoice["id"]
    line = _line_base(ctx, invoice, item["amount"], item["currency"])
    subscription_id = ((item.get("parent") or {}).get("subscription_details") or {}).get(
        "subscription"
    )
    line.update(
        {
            "description": item["description"],
            "discountable": item["discountable"],
            "metadata": copy.deepcopy(item["metadata"]),
            "parent": {
                "invoice_item_details": {
                    "invoice_item": item["id"],
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": subscription_id,
                },
                "subscription_item_details": None,
                "type": "invoice_item_details",
            },
            "period": copy.deepcopy(item["period"]),
            "pricing": copy.deepcopy(item["pricing"]),
            "quantity": item["quantity"],
            "quantity_decimal": item.get("quantity_decimal") or str(item["quantity"]),
            "subscription": subscription_id,
            "_tax_rates": [r["id"] for r in item["tax_rates"]],
            "_item": item["id"],
        }
    )
    ctx.internal(invoice["id"])["lines"].append(line)
    recompute(ctx.emu, invoice)
    return line


def subscription_line(ctx, invoice, subscription, item, period) -> dict:
    price = item["price"]
    amount = money.line_amount(Decimal(price["unit_amount_decimal"]), item["quantity"])
    product = ctx.emu.store.objects.get(price["product"]) or {}
    line = _line_base(ctx, invoice, amount, price["currency"])
    interval = price["recurring"]["interval"]
    count = price["recurring"]["interval_count"]
    every = interval if count == 1 else f"every {count} {interval}s"
    from .common import format_money

    line.update(
        {
            "description": f"{item['quantity']} × {product.get('name', price['product'])} "
            f"(at {format_money(price['unit_amount'] or 0, price['currency'])} / {every})",
            "metadata": copy.deepcopy(subscription["metadata"]),
            "parent": {
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": subscription["id"],
                    "subscription_item": item["id"],
                },
                "type": "subscription_item_details",
            },
            "period": {"end": period[1], "start": period[0]},
            "pricing": {
                "price_details": {"price": price["id"], "product": price["product"]},
                "type": "price_details",
                "unit_amount_decimal": price["unit_amount_decimal"],
            },
            "quantity": item["quantity"],
            "quantity_decimal": str(item["quantity"]),
            "subscription": subscription["id"],
            "_tax_rates": [r["id"] for r in item["tax_rates"]],
        }
    )
    ctx.internal(invoice["id"])["lines"].append(line)
    return line


def recompute(emu, invoice: dict) -> None:
    """Recompute line taxes and invoice totals (drafts only change)."""
    store = emu.store
    lines = store.internal[invoice["id"]]["lines"]
    default_rates = invoice["default_tax_rates"]
    for line in lines:
        rate_ids = line.get("_tax_rates") or []
        rates = (
            [store.objects[r] for r in rate_ids if r in store.objects]
            if rate_ids
            else default_rates
        )
        line["taxes"] = money.line_taxes(line["amount"], rates)
    totals = money.totals(lines)
    invoice.update(totals)
    invoice["amount_remaining"] = max(invoice["amount_due"] - invoice["amount_paid"], 0)


# -- rendering ---------------------------------------------------------------------------------
def render_line(line: dict) -> dict:
    return {k: copy.deepcopy(v) for k, v in line.items() if not k.startswith("_")}


def render_invoice(emu, invoice: dict) -> dict:
    out = copy.deepcopy(invoice)
    lines = emu.store.internal.get(invoice["id"], {}).get("lines", [])
    out["lines"] = list_object(
        [render_line(line) for line in lines[:EMBEDDED_LINES]],
        f"/v1/invoices/{invoice['id']}/lines",
        has_more=len(lines) > EMBEDDED_LINES,
        total_count=len(lines),
    )
    return out


def include_payments(emu, invoice: dict) -> dict:
    ids = emu.store.internal[invoice["id"]]["payments"]
    owner = emu.store.owner_of(invoice["id"])
    data = [emu.render(emu.store.objects[i], owner) for i in reversed(ids)]
    return list_object(data, f"/v1/invoice_payments?invoice={invoice['id']}", total_count=len(data))


def include_paid_off_stripe(emu, invoice: dict) -> int:
    return emu.store.internal[invoice["id"]]["paid_off_stripe"]


# -- transitions -------------------------------------------------------------------------------
def finalize(ctx, invoice: dict, auto_advance: bool | None = None, at: int | None = None) -> None:
    if invoice["status"] != "draft":
        raise invalid(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice."
        )
    customer = ctx.emu.store.objects[invoice["customer"]]
    if invoice["automatic_tax"]["enabled"] and not (customer.get("address") or {}).get("country"):
        invoice["automatic_tax"]["status"] = "requires_location_inputs"
        invoice["last_finalization_error"] = {
            "code": "customer_tax_location_invalid",
            "message": "The customer's location isn't recognized.",
            "type": "invalid_request_error",
        }
        ctx.emit("invoice.finalization_failed", invoice)
        raise StripeError(
            "The customer's location isn't recognized. Provide a valid address (at least the "
            "country) to calculate tax.",
            code="customer_tax_location_invalid",
            param="customer",
        )
    now = ctx.now() if at is None else at
    if auto_advance is not None:
        invoice["auto_advance"] = auto_advance
    recompute(ctx.emu, invoice)
    if invoice["automatic_tax"]["enabled"]:
        invoice["automatic_tax"]["status"] = "complete"
    sequence = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] = sequence + 1
    _customer_snapshot(ctx.emu, invoice)
    invoice.update(
        {
            "status": "open",
            "number": f"{customer['invoice_prefix']}-{sequence:04d}",
            # "Same as finalized_at unless overwritten" (create/update `effective_at`).
            "effective_at": invoice["effective_at"] or now,
            "ending_balance": 0,
            "automatically_finalizes_at": None,
            "hosted_invoice_url": ctx.emu.url(f"/i/{invoice['id']}"),
            "invoice_pdf": ctx.emu.url(f"/i/{invoice['id']}/pdf"),
            "last_finalization_error": None,
            "webhooks_delivered_at": invoice["webhooks_delivered_at"] or invoice["created"],
        }
    )
    invoice["status_transitions"]["finalized_at"] = now
    invoice["amount_remaining"] = invoice["amount_due"] - invoice["amount_paid"]
    if (
        invoice["collection_method"] == "charge_automatically"
        and invoice["auto_advance"]
        and invoice["amount_due"] > 0
    ):
        invoice["next_payment_attempt"] = now + FINALIZE_DELAY
    ctx.emit("invoice.finalized", invoice)
    if invoice["amount_due"] == 0:
        _mark_paid(ctx, invoice, now)


def _mark_paid(ctx, invoice: dict, now: int) -> None:
    invoice["status"] = "paid"
    invoice["amount_paid"] = invoice["amount_due"]
    invoice["amount_remaining"] = 0
    invoice["next_payment_attempt"] = None
    invoice["status_transitions"]["paid_at"] = now
    ctx.emit("invoice.paid", invoice)


def new_invoice_payment(ctx, invoice: dict, amount: int, payment: dict) -> dict:
    """An `invoice_payment` (status open) attached to the invoice; the first is the default."""
    internal = ctx.internal(invoice["id"])
    record = {
        "id": ctx.new_id("inpay"),
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": amount,
        "created": ctx.now(),
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": not internal["payments"],
        "livemode": ctx.livemode,
        "payment": payment,
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }
    ctx.add("invoice_payment", record)
    internal["payments"].append(record["id"])
    return record


def _open_intent(ctx, invoice: dict) -> tuple[dict | None, dict | None]:
    """The invoice's unpaid payment intent (a failed attempt) and its invoice payment."""
    for payment_id in ctx.internal(invoice["id"])["payments"]:
        record = ctx.store.objects[payment_id]
        pi = ctx.store.objects.get(record["payment"].get("payment_intent"))
        if pi is not None and pi["status"] != "succeeded" and record["status"] == "open":
            return pi, record
    return None, None


def check_payable(invoice: dict, amount: int, param: str = "amount") -> None:
    if invoice["status"] != "open":
        raise invalid(f"You can only pay an open invoice. This invoice is {invoice['status']}.")
    if amount <= 0 or amount > invoice["amount_remaining"]:
        raise invalid(
            f"The payment amount ({amount}) must be greater than 0 and at most the invoice's "
            f"amount_remaining ({invoice['amount_remaining']}).",
            param=param,
        )


def record_paid(ctx, invoice: dict, record: dict, amount: int) -> None:
    """An invoice payment succeeded: move the invoice's amounts, pay it off when nothing is
    left (invoice.paid, invoice.payment_succeeded), else emit invoice.updated."""
    now = ctx.now()
    before = copy.deepcopy(invoice)
    record["status"] = "paid"
    record["amount_paid"] = amount
    record["status_transitions"]["paid_at"] = now
    ctx.emit("invoice_payment.paid", record)
    invoice["amount_paid"] += amount
    invoice["amount_remaining"] = max(invoice["amount_due"] - invoice["amount_paid"], 0)
    if invoice["amount_remaining"] > 0:
        ctx.emit("invoice.updated", invoice, diff(before, invoice))
        return
    _mark_paid(ctx, invoice, now)
    ctx.emit("invoice.payment_succeeded", invoice)
    from .subscriptions import after_invoice_payment

    after_invoice_payment(ctx, invoice, True)


def attempt_payment(
    ctx, invoice: dict, amount: int | None = None, succeed: bool | None = None
) -> bool:
    """Charge the customer `amount` (default: the invoice's remaining amount); True when paid.
    `succeed` overrides the customer's payment behaviour (the hosted page's buttons)."""
    amount = invoice["amount_remaining"] if amount is None else amount
    check_payable(invoice, amount)
    if succeed is None:
        succeed = payment_behavior(ctx.emu, invoice["customer"]) == "succeed"
    existing, record = _open_intent(ctx, invoice)
    if existing is not None:
        existing["amount"] = amount
        record["amount_requested"] = amount
    payment_intent, charge_obj = charge(
        ctx,
        amount=amount,
        currency=invoice["currency"],
        customer=invoice["customer"],
        succeed=succeed,
        description=f"Payment for Invoice {invoice['number']}",
        payment_intent=existing,
    )
    if record is None:
        payment = {"payment_intent": payment_intent["id"], "type": "payment_intent"}
        record = new_invoice_payment(ctx, invoice, amount, payment)
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    if succeed:
        record_paid(ctx, invoice, record, charge_obj["amount"])
        return True
    invoice["next_payment_attempt"] = None
    ctx.emit("invoice.payment_failed", invoice)
    from .subscriptions import after_invoice_payment

    after_invoice_payment(ctx, invoice, False)
    return False


def pay_out_of_band(ctx, invoice: dict) -> None:
    internal = ctx.internal(invoice["id"])
    internal["paid_off_stripe"] += invoice["amount_remaining"]
    _mark_paid(ctx, invoice, ctx.now())
    from .subscriptions import after_invoice_payment

    after_invoice_payment(ctx, invoice, True)


def _invoice(ctx, param: str = "invoice") -> dict:
    return ctx.get("invoice", ctx.path["invoice"], param)


# -- invoice endpoints -------------------------------------------------------------------------
INVOICE_CREATE_SUPPORTED = {
    "customer",
    "auto_advance",
    "collection_method",
    "days_until_due",
    "due_date",
    "footer",
    "custom_fields",
    "description",
    "metadata",
    "currency",
    "default_tax_rates",
    "pending_invoice_items_behavior",
    "automatic_tax",
    "rendering",
    "statement_descriptor",
    "payment_settings",
    "effective_at",
}


def _presentation(invoice: dict, p: dict) -> None:
    """Fields the emulator stores and shows but does not act on."""
    if "rendering" in p:
        rendering = p["rendering"] or {}
        invoice["rendering"] = {
            "amount_tax_display": unset(rendering.get("amount_tax_display")),
            "pdf": {"page_size": (rendering.get("pdf") or {}).get("page_size", "auto")},
            "template": rendering.get("template"),
            "template_version": unset(rendering.get("template_version")),
        }
    if "statement_descriptor" in p:
        invoice["statement_descriptor"] = p["statement_descriptor"]
    if "effective_at" in p:  # drafts only (checked by the update)
        invoice["effective_at"] = unset(p["effective_at"])
    if "payment_settings" in p:
        settings = p["payment_settings"]
        invoice["payment_settings"] = {
            "default_mandate": unset(settings.get("default_mandate")),
            "payment_method_options": None,
            "payment_method_types": unset(settings.get("payment_method_types")),
        }
        if settings.get("payment_method_options"):
            raise invalid(
                "The Stripe emulator does not emulate `payment_settings[payment_method_options]`.",
                param="payment_settings[payment_method_options]",
            )


def _check_collection(p: dict, collection_method: str) -> None:
    if collection_method != "send_invoice":
        for name in ("days_until_due", "due_date"):
            if name in p and p[name] not in ("", None):
                raise invalid(
                    f"Invoices with `collection_method=charge_automatically` cannot have "
                    f"`{name}`. Set `collection_method=send_invoice` or remove `{name}`.",
                    param=name,
                )


@route("POST", "/v1/invoices", InvoiceCreateParams, perm=("invoices", "write"))
def create_invoice(ctx):
    reject_unsupported(ctx, INVOICE_CREATE_SUPPORTED, "invoices")
    p = ctx.params
    if "customer" not in p:
        raise StripeError(
            "Missing required param: customer.", code="parameter_missing", param="customer"
        )
    customer = live_customer(ctx, p["customer"])
    collection_method = p.get("collection_method", "charge_automatically")
    _check_collection(p, collection_method)
    if collection_method == "send_invoice" and "days_until_due" not in p and "due_date" not in p:
        raise invalid(
            "Invoices with `collection_method=send_invoice` need `days_until_due` or `due_date`.",
            param="days_until_due",
        )
    if "due_date" in p and p["due_date"] <= ctx.now():
        raise invalid("The `due_date` must be in the future.", param="due_date")
    invoice = new_invoice(
        ctx,
        customer,
        collection_method=collection_method,
        days_until_due=p.get("days_until_due"),
        due_date=p.get("due_date"),
        auto_advance=p.get("auto_advance", False),
        currency=p.get("currency"),
        custom_fields_value=(p["custom_fields"] or []) if "custom_fields" in p else None,
        footer=p.get("footer"),
        description=p.get("description"),
        metadata=merge_metadata({}, p.get("metadata")),
        default_tax_rates=tax_rate_objects(
            ctx, unset(p.get("default_tax_rates")), "default_tax_rates"
        ),
        automatic_tax=p.get("automatic_tax"),
    )
    _presentation(invoice, p)
    if invoice["automatic_tax"]["enabled"] and invoice["default_tax_rates"]:
        raise invalid(
            "Tax rates cannot be used together with automatic tax.", param="default_tax_rates"
        )
    if p.get("pending_invoice_items_behavior", "exclude") == "include":
        pending = [
            item
            for item in ctx.store.all("invoiceitem", ctx.owner)
            if item["customer"] == customer["id"]
            and item["invoice"] is None
            and item["currency"] == invoice["currency"]
        ]
        if len(pending) > MAX_LINES:
            ctx.store.remove(invoice["id"])
            raise invalid(
                f"An invoice can have at most {MAX_LINES} line items.",
                param="pending_invoice_items_behavior",
            )
        for item in pending:
            attach_item(ctx, invoice, item)
    recompute(ctx.emu, invoice)
    ctx.emit("invoice.created", invoice)
    return ctx.render(invoice)


@route("GET", "/v1/invoices/{invoice}", InvoiceRetrieveParams, perm=("invoices", "read"))
def retrieve_invoice(ctx):
    return ctx.render(_invoice(ctx, "invoice"))


@route("POST", "/v1/invoices/{invoice}", InvoiceUpdateParams, perm=("invoices", "write"))
def update_invoice(ctx):
    invoice = _invoice(ctx)
    p = ctx.params
    draft_only = {
        "collection_method",
        "days_until_due",
        "due_date",
        "default_tax_rates",
        "automatic_tax",
        "effective_at",
    }
    reject_unsupported(
        ctx,
        draft_only
        | {
            "auto_advance",
            "custom_fields",
            "description",
            "footer",
            "metadata",
            "rendering",
            "statement_descriptor",
            "payment_settings",
        },
        "invoices",
    )
    if invoice["status"] != "draft":
        for name in draft_only:
            if name in p:
                raise not_editable(
                    f"You can only update `{name}` on draft invoices; this invoice is "
                    f"{invoice['status']}.",
                    param=name,
                )
        if invoice["status"] in ("paid", "void") and set(p) - {"metadata", "expand"}:
            raise not_editable(
                f"This invoice is {invoice['status']}; only its metadata can be updated."
            )
    before = copy.deepcopy(invoice)
    collection_method = p.get("collection_method", invoice["collection_method"])
    _check_collection(p, collection_method)
    invoice["collection_method"] = collection_method
    if "days_until_due" in p:
        invoice["due_date"] = invoice["created"] + p["days_until_due"] * 86400
    if "due_date" in p:
        invoice["due_date"] = unset(p["due_date"])
    if collection_method == "charge_automatically":
        invoice["due_date"] = None
    if "auto_advance" in p:
        invoice["auto_advance"] = p["auto_advance"]
        if invoice["status"] == "draft":
            invoice["automatically_finalizes_at"] = (
                invoice["created"] + FINALIZE_DELAY if p["auto_advance"] else None
            )
    if "custom_fields" in p:
        invoice["custom_fields"] = custom_fields(unset(p["custom_fields"]))
    for name in ("description", "footer"):
        if name in p:
            invoice[name] = unset(p[name])
    if "metadata" in p:
        invoice["metadata"] = merge_metadata(invoice["metadata"], p["metadata"])
    _presentation(invoice, p)
    if "default_tax_rates" in p:
        invoice["default_tax_rates"] = tax_rate_objects(
            ctx, unset(p["default_tax_rates"]), "default_tax_rates"
        )
    if "automatic_tax" in p:
        enabled = bool(p["automatic_tax"].get("enabled"))
        invoice["automatic_tax"].update(
            {
                "enabled": enabled,
                "liability": {"type": "self"} if enabled else None,
                "provider": "stripe" if enabled else None,
            }
        )
    if invoice["status"] == "draft":
        recompute(ctx.emu, invoice)
    previous = diff(before, invoice)
    if previous:
        ctx.emit("invoice.updated", invoice, previous)
    return ctx.render(invoice)


@route("DELETE", "/v1/invoices/{invoice}", InvoiceDeleteParams, perm=("invoices", "write"))
def delete_invoice(ctx):
    invoice = _invoice(ctx)
    if invoice["status"] != "draft":
        raise invalid(
            "You can only delete draft invoices. Void or mark the invoice uncollectible instead."
        )
    if (invoice.get("parent") or {}).get("type") == "subscription_details":
        raise invalid("Invoices created by a subscription cannot be deleted.")
    for line in ctx.internal(invoice["id"])["lines"]:
        item_id = line.get("_item")
        if item_id and ctx.store.objects.get(item_id):
            item = ctx.store.objects[item_id]
            ctx.store.remove(item_id)
            ctx.emit("invoiceitem.deleted", item)
    rendered = ctx.render(invoice)
    ctx.store.remove(invoice["id"])
    ctx.emu.emit(ctx.owner, "invoice.deleted", rendered, request=(ctx.request_id, None))
    return {"id": invoice["id"], "object": "invoice", "deleted": True}


@route(
    "POST",
    "/v1/invoices/{invoice}/finalize",
    InvoiceFinalizeInvoiceParams,
    perm=("invoices", "write"),
)
def finalize_invoice(ctx):
    invoice = _invoice(ctx)
    try:
        finalize(ctx, invoice, ctx.params.get("auto_advance"))
    except StripeError as error:
        error.keep_effects = True  # last_finalization_error and the event stay
        raise
    return ctx.render(invoice)


@route("POST", "/v1/invoices/{invoice}/pay", InvoicePayParams, perm=("invoices", "write"))
def pay_invoice(ctx):
    invoice = _invoice(ctx)
    p = ctx.params
    reject_unsupported(ctx, {"paid_out_of_band", "forgive", "off_session"}, "invoice payments")
    if invoice["status"] == "paid":
        raise invalid("Invoice is already paid", code="invoice_already_paid")
    if invoice["status"] in ("void",):
        raise invalid("You cannot pay a void invoice.")
    if invoice["status"] == "draft":
        finalize(ctx, invoice)
        if invoice["status"] == "paid":
            return ctx.render(invoice)
    if p.get("paid_out_of_band"):
        pay_out_of_band(ctx, invoice)
        return ctx.render(invoice)
    if not attempt_payment(ctx, invoice):
        payment_intent = None
        for payment_id in ctx.internal(invoice["id"])["payments"]:
            payment_intent = ctx.store.objects.get(
                ctx.store.objects[payment_id]["payment"].get("payment_intent")
            )
        error = card_declined(payment_intent["latest_charge"] if payment_intent else None)
        error.keep_effects = True  # the failed attempt and its events stay, as on Stripe
        raise error
    return ctx.render(invoice)


@route(
    "POST",
    "/v1/invoices/{invoice}/attach_payment",
    InvoiceAttachPaymentParams,
    perm=("invoices", "write"),
)
def attach_payment(ctx):
    """Attach a guaranteed payment record (a manual payment) or a succeeded payment intent:
    an invoice payment for its amount, credited to the invoice at once."""
    invoice = _invoice(ctx)
    p = ctx.params
    if ("payment_record" in p) == ("payment_intent" in p):
        raise invalid(
            "You must specify exactly one of these parameters: payment_intent, payment_record.",
            param="payment_record",
        )
    kind = "payment_record" if "payment_record" in p else "payment_intent"
    payment = ctx.get(kind, p[kind], kind)
    amount, currency = _attachable(ctx, payment, kind)
    if currency != invoice["currency"]:
        raise invalid(
            f"The {kind} currency ({currency}) must match the invoice currency "
            f"({invoice['currency']}).",
            param=kind,
        )
    check_payable(invoice, amount, param=kind)
    record = new_invoice_payment(ctx, invoice, amount, {kind: payment["id"], "type": kind})
    if kind == "payment_record":
        ctx.internal(invoice["id"])["paid_off_stripe"] += amount
    record_paid(ctx, invoice, record, amount)
    return ctx.render(invoice)


def _attachable(ctx, payment: dict, kind: str) -> tuple[int, str]:
    if any(
        record["payment"].get(kind) == payment["id"]
        for record in ctx.store.all("invoice_payment", ctx.owner)
    ):
        raise invalid(f"This {kind} is already attached to an invoice.", param=kind)
    if kind == "payment_record":
        if ctx.internal(payment["id"]).get("outcome") != "guaranteed":
            raise invalid(
                "Only payment records reported with outcome=guaranteed can be attached in the "
                "emulator (not emulated: initialized, failed or canceled records).",
                param=kind,
            )
        return payment["amount_guaranteed"]["value"], payment["amount_guaranteed"]["currency"]
    if payment["status"] != "succeeded":
        raise invalid(
            "Only succeeded payment intents can be attached in the emulator (not emulated: "
            "attaching one that succeeds later).",
            param=kind,
        )
    return payment["amount_received"], payment["currency"]


@route("POST", "/v1/invoices/{invoice}/send", InvoiceSendInvoiceParams, perm=("invoices", "write"))
def send_invoice(ctx):
    invoice = _invoice(ctx)
    if invoice["collection_method"] != "send_invoice":
        raise invalid(
            "You can only manually send an invoice if its collection method is 'send_invoice'."
        )
    if invoice["status"] == "draft":
        raise invalid("You can only send a finalized invoice. Finalize this draft first.")
    if invoice["status"] in ("void", "uncollectible"):
        raise invalid(f"You cannot send an invoice that is {invoice['status']}.")
    ctx.emit("invoice.sent", invoice)
    return ctx.render(invoice)


@route("POST", "/v1/invoices/{invoice}/void", InvoiceVoidInvoiceParams, perm=("invoices", "write"))
def void_invoice(ctx):
    invoice = _invoice(ctx)
    if invoice["status"] not in ("open", "uncollectible"):
        raise invalid(
            f"You can only void an open or uncollectible invoice; this one is {invoice['status']}."
        )
    if invoice["amount_paid"] > 0:
        raise invalid(
            "This invoice has paid invoice payments and can't be voided; issue a credit note "
            "instead."
        )
    invoice["status"] = "void"
    invoice["next_payment_attempt"] = None
    invoice["status_transitions"]["voided_at"] = ctx.now()
    ctx.emit("invoice.voided", invoice)
    return ctx.render(invoice)


@route(
    "POST",
    "/v1/invoices/{invoice}/mark_uncollectible",
    InvoiceMarkUncollectibleParams,
    perm=("invoices", "write"),
)
def mark_uncollectible(ctx):
    invoice = _invoice(ctx)
    if invoice["status"] != "open":
        raise invalid(
            f"You can only mark an open invoice uncollectible; this one is {invoice['status']}."
        )
    invoice["status"] = "uncollectible"
    invoice["next_payment_attempt"] = None
    invoice["status_transitions"]["marked_uncollectible_at"] = ctx.now()
    ctx.emit("invoice.marked_uncollectible", invoice)
    return ctx.render(invoice)


@route("GET", "/v1/invoices", InvoiceListParams, perm=("invoices", "read"))
def list_invoices(ctx):
    p = ctx.params
    invoices = [
        invoice
        for invoice in ctx.store.all("invoice", ctx.owner)
        if ("customer" not in p or invoice["customer"] == p["customer"])
        and ("status" not in p or invoice["status"] == p["status"])
        and ("collection_method" not in p or invoice["collection_method"] == p["collection_method"])
        and (
            "subscription" not in p
            or ((invoice["parent"] or {}).get("subscription_details") or {}).get("subscription")
            == p["subscription"]
        )
        and match_range(invoice["created"], p.get("created"))
        and match_range(invoice["due_date"], p.get("due_date"))
    ]
    return paginate(ctx, invoices, "/v1/invoices")


@route("GET", "/v1/invoices/{invoice}/lines", InvoiceLineItemListParams, perm=("invoices", "read"))
def list_lines(ctx):
    invoice = _invoice(ctx)
    lines = list(reversed(ctx.internal(invoice["id"])["lines"]))
    # Lines come out in invoice order (the paginator reverses "oldest first" lists).
    return paginate(ctx, lines, f"/v1/invoices/{invoice['id']}/lines", render=render_line)


@route(
    "POST",
    "/v1/invoices/{invoice}/lines/{line_item_id}",
    InvoiceLineItemUpdateParams,
    perm=("invoices", "write"),
)
def update_line(ctx):
    """A draft's line: its tax rates, description and metadata (an invoice item's line passes
    the change on to the item, as on Stripe)."""
    invoice = _invoice(ctx)
    reject_unsupported(ctx, {"tax_rates", "description", "metadata"}, "invoice line items")
    if invoice["status"] != "draft":
        raise not_editable(
            f"Updating an invoice's line item is only possible before the invoice is "
            f"finalized; this invoice is {invoice['status']}."
        )
    lines = ctx.internal(invoice["id"])["lines"]
    line = next((x for x in lines if x["id"] == ctx.path["line_item_id"]), None)
    if line is None:
        raise no_such("line_item", ctx.path["line_item_id"], param="line_item_id")
    p = ctx.params
    before = copy.deepcopy(invoice)
    if "tax_rates" in p:
        rates = tax_rate_objects(ctx, unset(p["tax_rates"]), "tax_rates")
        line["_tax_rates"] = [r["id"] for r in rates]
    if "description" in p:
        line["description"] = p["description"]
    if "metadata" in p:
        line["metadata"] = merge_metadata(line["metadata"], p["metadata"])
    item = ctx.store.objects.get(line.get("_item") or "")
    if item is not None:
        if "tax_rates" in p:
            item["tax_rates"] = copy.deepcopy(rates)
        item["description"], item["metadata"] = line["description"], copy.deepcopy(line["metadata"])
    recompute(ctx.emu, invoice)
    previous = diff(before, invoice)
    if previous:
        ctx.emit("invoice.updated", invoice, previous)
    return render_line(line)


# -- invoice items -----------------------------------------------------------------------------
ITEM_SUPPORTED = {
    "customer",
    "invoice",
    "amount",
    "currency",
    "description",
    "quantity",
    "quantity_decimal",
    "unit_amount_decimal",
    "price_data",
    "pricing",
    "period",
    "tax_rates",
    "tax_behavior",
    "discountable",
    "metadata",
    "subscription",
}


def new_invoice_item(
    ctx,
    customer: dict,
    data: dict,
    *,
    invoice: dict | None,
    param: str = "",
    subscription: dict | None = None,
) -> dict:
    """Create an invoice item from invoiceitems.create params or an `add_invoice_items` entry."""

    def sub(name):
        return f"{param}[{name}]" if param else name

    if "quantity" in data and "quantity_decimal" in data:
        raise invalid(
            "You may only specify one of these parameters: quantity, quantity_decimal.",
            param=sub("quantity_decimal"),
            code="parameters_exclusive",
        )
    quantity = Decimal(data.get("quantity_decimal", data.get("quantity", 1)))
    sources = [
        k for k in ("amount", "unit_amount_decimal", "price_data", "pricing", "price") if k in data
    ]
    if len(sources) > 1:
        raise invalid(
            f"You may only specify one of these parameters: {', '.join(sources)}.",
            param=sub(sources[1]),
            code="parameters_exclusive",
        )
    price = None
    if "price_data" in data or "price" in data:
        price = price_from(ctx, data, param, recurring=False)
    elif "pricing" in data:
        price = ctx.find("price", data["pricing"].get("price"))
        if price is None:
            raise no_such("price", data["pricing"].get("price"), sub("pricing") + "[price]")
    if price is not None:
        currency = price["currency"]
        unit_decimal = Decimal(price["unit_amount_decimal"])
        amount = money.line_amount(unit_decimal, quantity)
    elif "amount" in data or "unit_amount_decimal" in data:
        if "currency" not in data and invoice is None:
            raise StripeError(
                f"Missing required param: {sub('currency')}.",
                code="parameter_missing",
                param=sub("currency"),
            )
        currency = (data.get("currency") or invoice["currency"]).lower()
        if "amount" in data:
            amount = data["amount"]
            unit_decimal = Decimal(amount) / quantity if quantity else Decimal(0)
        else:
            unit_decimal = data["unit_amount_decimal"]
            amount = money.line_amount(unit_decimal, quantity)
    else:
        raise StripeError(
            f"Missing required param: {sub('amount')}.",
            code="parameter_missing",
            param=sub("amount"),
        )
    if abs(amount) > 99_999_999:
        raise StripeError(
            "The invoice item amount must be no more than 99999999 in minor units.",
            code="amount_too_large",
            param=sub("amount"),
        )
    if invoice is not None and currency != invoice["currency"]:
        raise invalid(
            f"The currency of the invoice item ({currency}) must match the invoice's currency "
            f"({invoice['currency']}).",
            param=sub("currency"),
        )
    tax_rates = tax_rate_objects(ctx, unset(data.get("tax_rates")), sub("tax_rates"))
    if invoice is not None and invoice["automatic_tax"]["enabled"] and tax_rates:
        raise invalid(
            "Invoice items with tax rates cannot be added to an invoice with automatic tax.",
            param=sub("tax_rates"),
        )
    product = ctx.emu.store.objects.get(price["product"]) if price else None
    now = ctx.now()
    period = data.get("period") or {}
    whole = int(quantity) if quantity == quantity.to_integral_value() else None
    item = {
        "id": ctx.new_id("ii"),
        "object": "invoiceitem",
        "amount": amount,
        "currency": currency,
        "customer": customer["id"],
        "customer_account": None,
        "date": now,
        "description": data.get("description") or (product or {}).get("name"),
        "discountable": data.get("discountable", True),
        "discounts": [],
        "invoice": None,
        "livemode": ctx.livemode,
        "metadata": merge_metadata({}, data.get("metadata")),
        "net_amount": amount,
        "parent": {
            "subscription_details": {"subscription": subscription["id"], "subscription_item": None},
            "type": "subscription_details",
        }
        if subscription
        else None,
        "period": {"end": period.get("end", now), "start": period.get("start", now)},
        "pricing": {
            "price_details": {"price": price["id"], "product": price["product"]} if price else None,
            "type": "price_details",
            "unit_amount_decimal": format(unit_decimal.normalize(), "f")
            if unit_decimal == unit_decimal.to_integral_value()
            else format(unit_decimal, "f"),
        },
        "proration": False,
        "proration_details": {"credited_items": None},
        "quantity": whole if whole is not None else 1,
        "quantity_decimal": format(quantity, "f"),
        "tax_rates": tax_rates,
        "test_clock": None,
    }
    if item["pricing"]["unit_amount_decimal"].endswith(".0"):
        item["pricing"]["unit_amount_decimal"] = item["pricing"]["unit_amount_decimal"][:-2]
    tax_behavior = data.get("tax_behavior") or (price or {}).get("tax_behavior", "unspecified")
    ctx.add("invoiceitem", item, {"tax_behavior": tax_behavior})
    if customer["currency"] is None:
        customer["currency"] = currency
    if invoice is not None:
        attach_item(ctx, invoice, item)
    ctx.emit("invoiceitem.created", item)
    return item


@route("POST", "/v1/invoiceitems", InvoiceItemCreateParams, perm=("invoices", "write"))
def create_invoice_item(ctx):
    reject_unsupported(ctx, ITEM_SUPPORTED, "invoice items")
    p = ctx.params
    if "customer" not in p:
        raise StripeError(
            "Missing required param: customer.", code="parameter_missing", param="customer"
        )
    customer = live_customer(ctx, p["customer"])
    subscription = _item_subscription(ctx, p, customer)
    invoice = None
    if "invoice" in p:
        invoice = ctx.get("invoice", p["invoice"], "invoice")
        if invoice["customer"] != customer["id"]:
            raise invalid(
                "The invoice belongs to a different customer than the invoice item.",
                param="invoice",
            )
        if invoice["status"] != "draft":
            raise not_editable(
                "You can only add invoice items to draft invoices; this invoice is "
                f"{invoice['status']}.",
                param="invoice",
            )
        _check_room(ctx, invoice)
        before = copy.deepcopy(invoice)
    item = new_invoice_item(ctx, customer, p, invoice=invoice, subscription=subscription)
    if invoice is not None:
        ctx.emit("invoice.updated", invoice, diff(before, invoice))
    return ctx.render(item)


def _item_subscription(ctx, p: dict, customer: dict) -> dict | None:
    """`subscription`: the item waits for that subscription's next invoice (Stripe refuses it
    together with `invoice`, for another customer's or an ended subscription)."""
    if "subscription" not in p:
        return None
    if "invoice" in p:
        raise invalid(
            "You may only specify one of these parameters: invoice, subscription.",
            param="subscription",
        )
    subscription = ctx.get("subscription", p["subscription"], "subscription")
    if subscription["customer"] != customer["id"]:
        raise invalid(
            "The subscription belongs to a different customer than the invoice item.",
            param="subscription",
        )
    if subscription["status"] in ("canceled", "incomplete_expired"):
        raise invalid(
            "Invoice items cannot be added to a canceled subscription.", param="subscription"
        )
    return subscription


def _editable_item(ctx, item: dict) -> dict | None:
    invoice = ctx.find("invoice", item["invoice"]) if item["invoice"] else None
    if invoice is not None and invoice["status"] != "draft":
        raise not_editable(
            f"The invoice item is on a {invoice['status']} invoice and cannot be changed."
        )
    return invoice


@route("GET", "/v1/invoiceitems/{id}", InvoiceItemRetrieveParams, perm=("invoices", "read"))
def retrieve_invoice_item(ctx):
    return ctx.render(ctx.get("invoiceitem", ctx.path["id"], label="invoiceitem"))


@route("POST", "/v1/invoiceitems/{id}", InvoiceItemUpdateParams, perm=("invoices", "write"))
def update_invoice_item(ctx):
    item = ctx.get("invoiceitem", ctx.path["id"], label="invoiceitem")
    reject_unsupported(
        ctx, {"description", "metadata", "discountable", "tax_rates"}, "invoice items"
    )
    invoice = _editable_item(ctx, item)
    before = copy.deepcopy(item)
    p = ctx.params
    if "description" in p:
        item["description"] = p["description"]
    if "discountable" in p:
        item["discountable"] = p["discountable"]
    if "metadata" in p:
        item["metadata"] = merge_metadata(item["metadata"], p["metadata"])
    if "tax_rates" in p:
        item["tax_rates"] = tax_rate_objects(ctx, unset(p["tax_rates"]), "tax_rates")
    if invoice is not None:
        for line in ctx.internal(invoice["id"])["lines"]:
            if line.get("_item") == item["id"]:
                line["description"] = item["description"]
                line["metadata"] = copy.deepcopy(item["metadata"])
                line["_tax_rates"] = [r["id"] for r in item["tax_rates"]]
        recompute(ctx.emu, invoice)
    previous = diff(before, item)
    if previous:
        ctx.emit("invoiceitem.updated", item, previous)
    return ctx.render(item)


@route("DELETE", "/v1/invoiceitems/{id}", InvoiceItemDeleteParams, perm=("invoices", "write"))
def delete_invoice_item(ctx):
    item = ctx.get("invoiceitem", ctx.path["id"], label="invoiceitem")
    invoice = _editable_item(ctx, item)
    if invoice is not None:
        lines = ctx.internal(invoice["id"])["lines"]
        lines[:] = [line for line in lines if line.get("_item") != item["id"]]
        recompute(ctx.emu, invoice)
    ctx.store.remove(item["id"])
    ctx.emit("invoiceitem.deleted", item)
    return {"id": item["id"], "object": "invoiceitem", "deleted": True}


@route("GET", "/v1/invoiceitems", InvoiceItemListParams, perm=("invoices", "read"))
def list_invoice_items(ctx):
    p = ctx.params
    items = [
        item
        for item in ctx.store.all("invoiceitem", ctx.owner)
        if ("customer" not in p or item["customer"] == p["customer"])
        and ("invoice" not in p or item["invoice"] == p["invoice"])
        and ("pending" not in p or (item["invoice"] is None) == p["pending"])
        and match_range(item["created"] if "created" in item else item["date"], p.get("created"))
    ]
    return paginate(ctx, items, "/v1/invoiceitems")


# -- time-driven work --------------------------------------------------------------------------
def due_entry(invoice: dict) -> tuple | None:
    """When the clock next acts on this invoice, and how: (moment, action maker) or None. It
    reads only the invoice's own fields, so the due-time index (due.py) can keep it current."""
    if invoice["status"] == "draft" and invoice["automatically_finalizes_at"]:
        return invoice["automatically_finalizes_at"], _auto_finalize
    if (
        invoice["status"] == "open"
        and invoice["collection_method"] == "charge_automatically"
        and invoice["next_payment_attempt"]
    ):
        return invoice["next_payment_attempt"], _auto_pay
    return None


def _auto_finalize(ctx, invoice):
    def run():
        at = invoice["automatically_finalizes_at"]
        try:
            finalize(ctx, invoice, at=at)
        except StripeError:
            invoice["automatically_finalizes_at"] = None
            return
        if invoice["status"] == "open" and invoice["collection_method"] == "charge_automatically":
            invoice["next_payment_attempt"] = at
        elif invoice["status"] == "open" and invoice["collection_method"] == "send_invoice":
            ctx.emit("invoice.sent", invoice)

    return run


def _auto_pay(ctx, invoice):
    def run():
        invoice["next_payment_attempt"] = None
        attempt_payment(ctx, invoice)

    return run
