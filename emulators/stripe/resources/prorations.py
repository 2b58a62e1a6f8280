"""Subscription item changes and their prorations.

`plan_update` checks an update's `items` (or a preview's `subscription_details[items]`) against
the subscription and computes the prorations without changing anything; `apply_plan` then
changes the items and creates the proration invoice items.

Proration arithmetic (Stripe prorates to the second): for a change at `t` (`proration_date`,
default now) in the current period `[start, end)`, each changed item gets

- a credit for the unused time of what it was: `-round(unit_amount_decimal * old_quantity *
  (end - t) / (end - start))`, and
- a debit for the remaining time of what it becomes: `+round(unit_amount_decimal *
  new_quantity * (end - t) / (end - start))`,

computed exactly (rational numbers) and rounded per line, half up (a half minor unit rounds away
from zero), to a whole minor unit. Removed items get only the credit, added items only the
debit. Prorations that round to 0 are not created.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from ..errors import StripeError, invalid
from .catalog import price_from
from .common import add_interval, merge_metadata, tax_rate_objects, unset
from .invoices import _line_base, attach_item

ITEM_SUPPORTED = {"id", "price", "price_data", "quantity", "deleted", "metadata", "tax_rates"}
MAX_ITEMS = 20
MISMATCH = (
    "Currency and interval fields must match across all plans on this subscription. "
    "Found mismatch in {} field."
)
BEHAVIORS = ("create_prorations", "always_invoice", "none")


@dataclass
class Plan:
    """What an update does to the items: the resulting entries, the removed items and the
    proration specs (amounts already computed)."""

    t: int
    behavior: str
    entries: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    prorations: list[dict] = field(default_factory=list)
    items_given: bool = False


# -- arithmetic --------------------------------------------------------------------------------
def prorated(unit_amount_decimal: str, quantity: int, t: int, start: int, end: int) -> int:
    """round(unit * quantity * (end - t) / (end - start)), exact, half up, as a magnitude."""
    if end <= start:
        return 0
    value = Fraction(Decimal(unit_amount_decimal)) * quantity * (end - t) / (end - start)
    return math.floor(value + Fraction(1, 2))


def current_period(ctx, subscription: dict) -> tuple[int, int]:
    """The subscription's billing period (an item added during it starts later, but is
    prorated against the whole period, as on Stripe)."""
    internal = ctx.internal(subscription["id"])
    first = subscription["items"]["data"][0]
    interval, count = _interval(first["price"])
    anchor = internal["anchor"]
    start = add_interval(anchor, interval, count * internal["cycles"], anchor)
    return start, first["current_period_end"]


# -- planning ----------------------------------------------------------------------------------
def plan_update(ctx, subscription: dict, source: dict, prefix: str = "") -> Plan:
    """Validate `source` (update params or `subscription_details`) and compute the plan."""

    def name(key):
        return f"{prefix}[{key}]" if prefix else key

    behavior = source.get("proration_behavior", "create_prorations")
    start, end = current_period(ctx, subscription)
    t = source.get("proration_date", ctx.now())
    if "proration_date" in source and not start <= t <= end:
        raise invalid(
            "`proration_date` must be within the subscription's current period "
            f"({start} to {end}).",
            param=name("proration_date"),
        )
    plan = Plan(t=t, behavior=behavior, items_given="items" in source)
    if not plan.items_given:
        plan.entries = [_unchanged(item) for item in subscription["items"]["data"]]
        return plan
    plan.entries, plan.removed = _resolve(ctx, subscription, source["items"], name("items"))
    _check_entries(subscription, plan.entries, name("items"))
    if behavior != "none":
        plan.prorations = _prorations(ctx, subscription, plan, (start, end))
    return plan


def _unchanged(item: dict) -> dict:
    return {
        "id": item["id"],
        "item": item,
        "price": item["price"],
        "quantity": item["quantity"],
        "metadata": item["metadata"],
        "tax_rates": item["tax_rates"],
        "param": None,
    }


def _unknown_item(item_id: str, param: str) -> StripeError:
    return StripeError(
        f"No such subscription item: '{item_id}'", code="resource_missing", param=param
    )


def _resolve(ctx, subscription: dict, items: list, param: str) -> tuple[list, list]:
    current = {item["id"]: item for item in subscription["items"]["data"]}
    updates: dict[str, tuple[int, dict]] = {}
    added = []
    for index, entry in enumerate(items):
        where = f"{param}[{index}]"
        if "id" not in entry:
            if entry.get("deleted"):
                raise StripeError(
                    f"Missing required param: {where}[id].",
                    code="parameter_missing",
                    param=f"{where}[id]",
                )
            added.append(_new_entry(ctx, entry, where))
            continue
        if entry["id"] not in current:
            raise _unknown_item(entry["id"], f"{where}[id]")
        if entry["id"] in updates:
            raise invalid(
                f"The subscription item {entry['id']} is given twice in `items`.",
                param=f"{where}[id]",
            )
        updates[entry["id"]] = (index, entry)
    entries, removed = [], []
    for item_id, item in current.items():
        if item_id not in updates:
            entries.append(_unchanged(item))
            continue
        index, entry = updates[item_id]
        if entry.get("deleted"):
            _check_delete(entry, f"{param}[{index}]")
            removed.append(item)
        else:
            entries.append(_changed_entry(ctx, item, entry, f"{param}[{index}]"))
    return entries + added, removed


def _check_delete(entry: dict, where: str) -> None:
    for key in ("price", "price_data", "quantity"):
        if key in entry:
            raise invalid(
                f"You cannot change `{key}` of a subscription item you are deleting.",
                param=f"{where}[{key}]",
            )


def _new_entry(ctx, entry: dict, where: str) -> dict:
    price = price_from(ctx, entry, where, recurring=True)
    return {
        "id": ctx.new_id("si"),
        "item": None,
        "price": price,
        "quantity": entry.get("quantity", 1),
        "metadata": merge_metadata({}, entry.get("metadata")),
        "tax_rates": tax_rate_objects(ctx, unset(entry.get("tax_rates")), f"{where}[tax_rates]"),
        "param": where,
    }


def _changed_entry(ctx, item: dict, entry: dict, where: str) -> dict:
    price = item["price"]
    if "price" in entry or "price_data" in entry:
        price = price_from(ctx, entry, where, recurring=True)
    same_price = price["id"] == item["price"]["id"]
    quantity = entry.get("quantity", item["quantity"] if same_price else 1)
    tax_rates = item["tax_rates"]
    if "tax_rates" in entry:
        tax_rates = tax_rate_objects(ctx, unset(entry["tax_rates"]), f"{where}[tax_rates]")
    return {
        "id": item["id"],
        "item": item,
        "price": price,
        "quantity": quantity,
        "metadata": merge_metadata(item["metadata"], entry.get("metadata")),
        "tax_rates": tax_rates,
        "param": where,
    }


def _interval(price: dict) -> tuple[str, int]:
    return price["recurring"]["interval"], price["recurring"]["interval_count"]


def _check_entries(subscription: dict, entries: list, param: str) -> None:
    if not entries:
        raise invalid(
            "A subscription needs at least one item; to end it, cancel the subscription.",
            param=param,
        )
    if len(entries) > MAX_ITEMS:
        raise invalid(
            f"A subscription can have at most {MAX_ITEMS} items; this update would leave "
            f"{len(entries)}.",
            param=param,
        )
    seen: set[str] = set()
    current = _interval(subscription["items"]["data"][0]["price"])
    for entry in entries:
        where = entry["param"] or param
        if entry["quantity"] < 0:
            raise invalid("Quantity must be a non-negative integer.", param=f"{where}[quantity]")
        if entry["price"]["id"] in seen:
            raise invalid(
                "Cannot add multiple subscription items with the same price.",
                param=f"{where}[price]",
            )
        seen.add(entry["price"]["id"])
        if entry["price"]["currency"] != subscription["currency"]:
            raise invalid(MISMATCH.format("currency"), param=where)
    intervals = {_interval(entry["price"]) for entry in entries}
    if len(intervals) > 1:
        raise invalid(MISMATCH.format("interval"), param=param)
    if intervals != {current}:
        raise invalid(
            "The Stripe emulator does not emulate changing a subscription's billing interval "
            "(Stripe resets the billing cycle anchor); see emulators/README.md.",
            param=param,
        )


def _prorations(ctx, subscription: dict, plan: Plan, period: tuple[int, int]) -> list[dict]:
    debits = ctx.internal(subscription["id"]).get("debits", {})
    specs = []
    for entry in plan.entries:
        item = entry["item"]
        if item is None:
            specs.append(_spec(entry, "debit", plan.t, period, None))
        elif (entry["price"]["id"], entry["quantity"]) != (item["price"]["id"], item["quantity"]):
            specs.append(_spec(_unchanged(item), "credit", plan.t, period, debits.get(item["id"])))
            specs.append(_spec(entry, "debit", plan.t, period, None))
    for item in plan.removed:
        specs.append(_spec(_unchanged(item), "credit", plan.t, period, debits.get(item["id"])))
    return [spec for spec in specs if spec["amount"] != 0]


def _spec(entry: dict, kind: str, t: int, period: tuple[int, int], credited) -> dict:
    price, quantity = entry["price"], entry["quantity"]
    magnitude = prorated(price["unit_amount_decimal"], quantity, t, *period)
    return {
        "kind": kind,
        "subscription_item": entry["id"],
        "price": price,
        "quantity": quantity,
        "tax_rates": entry["tax_rates"],
        "amount": -magnitude if kind == "credit" else magnitude,
        "period": {"start": t, "end": period[1]},
        "credited": copy.deepcopy(credited) if kind == "credit" else None,
    }


# -- applying ----------------------------------------------------------------------------------
def apply_plan(ctx, subscription: dict, plan: Plan) -> list[dict]:
    """Change the items as planned and create the proration invoice items (pending)."""
    from .subscriptions import _new_item, _plan

    if not plan.items_given:
        return []
    end = subscription["items"]["data"][0]["current_period_end"]
    items = []
    for entry in plan.entries:
        item = entry["item"]
        if item is None:
            item = _new_item(ctx, subscription["id"], entry["price"], {}, "", (ctx.now(), end))
            item["id"] = entry["id"]
        item.update(
            {
                "metadata": entry["metadata"],
                "plan": _plan(entry["price"]),
                "price": copy.deepcopy(entry["price"]),
                "quantity": entry["quantity"],
                "tax_rates": copy.deepcopy(entry["tax_rates"]),
            }
        )
        items.append(item)
    subscription["items"]["data"] = items
    debits = ctx.internal(subscription["id"]).setdefault("debits", {})
    for item in plan.removed:
        debits.pop(item["id"], None)
    created = []
    for spec in plan.prorations:
        invoice_item = proration_item(ctx, subscription, spec)
        ctx.add("invoiceitem", invoice_item, {"tax_behavior": spec["price"]["tax_behavior"]})
        ctx.emit("invoiceitem.created", invoice_item)
        if spec["kind"] == "debit":
            debits[spec["subscription_item"]] = _debit_item(invoice_item["id"])
        created.append(invoice_item)
    return created


def _debit_item(invoice_item_id: str) -> dict:
    return {
        "invoice_item": invoice_item_id,
        "invoice_line_item_details": None,
        "type": "invoice_item",
    }


def _description(spec: dict, product_name: str) -> str:
    day = dt.datetime.fromtimestamp(spec["period"]["start"], dt.UTC)
    what = "Unused time" if spec["kind"] == "credit" else "Remaining time"
    return f"{what} on {spec['quantity']} × {product_name} after {day.day} {day:%b %Y}"


def _unit_decimal(amount: int, quantity: int) -> str:
    if not quantity:
        return str(amount)
    unit = (Decimal(amount) / quantity).quantize(Decimal("1e-12")).normalize()
    return format(unit, "f")


def proration_item(ctx, subscription: dict, spec: dict, stored: bool = True) -> dict:
    """The invoice item of a proration spec (`stored=False`: for a preview, no id)."""
    price = spec["price"]
    product = ctx.store.objects.get(price["product"]) or {}
    return {
        "id": ctx.new_id("ii") if stored else None,
        "object": "invoiceitem",
        "amount": spec["amount"],
        "currency": subscription["currency"],
        "customer": subscription["customer"],
        "customer_account": None,
        "date": ctx.now(),
        "description": _description(spec, product.get("name", price["product"])),
        "discountable": False,
        "discounts": [],
        "invoice": None,
        "livemode": ctx.livemode,
        "metadata": {},
        "net_amount": spec["amount"],
        "parent": {
            "subscription_details": {
                "subscription": subscription["id"],
                "subscription_item": spec["subscription_item"],
            },
            "type": "subscription_details",
        },
        "period": dict(spec["period"]),
        "pricing": {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": _unit_decimal(spec["amount"], spec["quantity"]),
        },
        "proration": True,
        "proration_details": {"credited_items": spec["credited"], "discount_amounts": []},
        "quantity": spec["quantity"],
        "quantity_decimal": str(spec["quantity"]),
        "tax_rates": copy.deepcopy(spec["tax_rates"]),
        "test_clock": None,
    }


# -- invoicing ---------------------------------------------------------------------------------
def pending_items(ctx, subscription: dict) -> list[dict]:
    """The subscription's pending invoice items (oldest first)."""
    return [
        item
        for item in ctx.store.all("invoiceitem", ctx.owner)
        if item["invoice"] is None
        and ((item.get("parent") or {}).get("subscription_details") or {}).get("subscription")
        == subscription["id"]
    ]


def attach_pending(ctx, invoice: dict, subscription: dict, items=None, preview=False) -> None:
    """Put the subscription's pending items (or `items`) on `invoice`; a preview leaves the
    items themselves untouched."""
    for item in pending_items(ctx, subscription) if items is None else items:
        if preview:
            item = copy.deepcopy(item)
        if item["proration"]:
            proration_line(ctx, invoice, subscription, item)
        else:
            attach_item(ctx, invoice, item)


def proration_line(ctx, invoice: dict, subscription: dict, item: dict) -> dict:
    line = _line_base(ctx, invoice, item["amount"], item["currency"])
    line.update(
        {
            "description": item["description"],
            "discountable": False,
            "parent": {
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": item["id"],
                    "proration": True,
                    "proration_details": {"credited_items": _line_credit(ctx, invoice, item)},
                    "subscription": subscription["id"],
                    "subscription_item": item["parent"]["subscription_details"][
                        "subscription_item"
                    ],
                },
                "type": "subscription_item_details",
            },
            "period": dict(item["period"]),
            "pricing": copy.deepcopy(item["pricing"]),
            "quantity": item["quantity"],
            "quantity_decimal": item["quantity_decimal"],
            "subscription": subscription["id"],
            "_tax_rates": [r["id"] for r in item["tax_rates"]],
            "_item": item["id"],
        }
    )
    if item["id"] is not None:
        item["invoice"] = invoice["id"]
    ctx.internal(invoice["id"])["lines"].append(line)
    return line


def _line_credit(ctx, invoice: dict, item: dict) -> dict | None:
    credited = item["proration_details"]["credited_items"]
    if credited is None:
        return None
    if credited["type"] == "invoice_line_items":
        return copy.deepcopy(credited["invoice_line_item_details"])
    for line in ctx.internal(invoice["id"])["lines"]:
        if line.get("_item") and line["_item"] == credited["invoice_item"]:
            return {"invoice": invoice["id"], "invoice_line_items": [line["id"]]}
    return None


def record_debits(ctx, subscription: dict, invoice: dict) -> None:
    """Remember which invoice lines charged each item's period (what a credit refers to)."""
    debits = ctx.internal(subscription["id"]).setdefault("debits", {})
    for line in ctx.internal(invoice["id"])["lines"]:
        details = (line.get("parent") or {}).get("subscription_item_details")
        if details and not details["proration"]:
            debits[details["subscription_item"]] = {
                "invoice_item": None,
                "invoice_line_item_details": {
                    "invoice": invoice["id"],
                    "invoice_line_items": [line["id"]],
                },
                "type": "invoice_line_items",
            }
