"""Pure rules for the Stripe mirror: external invoice status, MRR of a subscription. No ORM."""

from decimal import Decimal

from billing.models import ExternalStatus

# Subscription states that still bring revenue in.
REVENUE_STATUSES = frozenset({"active", "past_due", "trialing"})

_PER_MONTH = {
    "day": Decimal(365) / Decimal(12),
    "week": Decimal(52) / Decimal(12),
    "month": Decimal(1),
    "year": Decimal(1) / Decimal(12),
}


def external_status(
    status: str, attempt_count: int, amount_remaining: int, amount_paid: int = 0
) -> str:
    """Metronome's view of a Stripe invoice (FINALIZED, PAID, PAYMENT_FAILED, VOID, ...). An
    open invoice that was attempted and got nothing failed; one partly paid did not."""
    if status == "open":
        if attempt_count > 0 and amount_remaining > 0 and amount_paid == 0:
            return ExternalStatus.PAYMENT_FAILED
        return ExternalStatus.FINALIZED
    return {
        "paid": ExternalStatus.PAID,
        "void": ExternalStatus.VOID,
        "uncollectible": ExternalStatus.UNCOLLECTIBLE,
        "deleted": ExternalStatus.DELETED,
    }.get(status, ExternalStatus.NONE)


def monthly_amount(interval: str, interval_count: int, amount: int) -> Decimal:
    """The monthly equivalent (minor units, exact) of ``amount`` billed every interval."""
    per_month = _PER_MONTH.get(interval)
    if per_month is None or interval_count <= 0:
        return Decimal(0)
    return Decimal(amount) * per_month / Decimal(interval_count)


def brings_revenue(status: str, ended: bool) -> bool:
    return status in REVENUE_STATUSES and not ended


def stripe_field(obj, name: str, default=None):
    """A field of a Stripe object or of its dict form (an event's signed copy); ``default`` when
    it is missing or null. The one getter the mirror, payments and evidence read Stripe with."""
    try:
        value = obj[name]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


def line_facts(line) -> dict:
    """What the mirror keeps of one Stripe invoice line: amounts in minor units before tax, the
    tax per rate, the period, and where it came from (subscription item, proration, price)."""
    parent = stripe_field(line, "parent") or {}
    item = stripe_field(parent, "subscription_item_details") or {}
    pricing = stripe_field(stripe_field(line, "pricing") or {}, "price_details") or {}
    period = stripe_field(line, "period") or {}
    return {
        "id": stripe_field(line, "id", ""),
        "description": stripe_field(line, "description") or "",
        "quantity": str(
            stripe_field(line, "quantity_decimal") or stripe_field(line, "quantity") or 1
        ),
        "amount": int(stripe_field(line, "amount", 0)),
        "discount": sum(
            int(stripe_field(d, "amount", 0)) for d in stripe_field(line, "discount_amounts", [])
        ),
        "currency": str(stripe_field(line, "currency", "")).upper(),
        "period_start": stripe_field(period, "start"),
        "period_end": stripe_field(period, "end"),
        "proration": bool(stripe_field(item, "proration", False)),
        "price": stripe_field(pricing, "price") or "",
        "taxes": [
            {
                "amount": int(stripe_field(tax, "amount", 0)),
                "taxable_amount": int(stripe_field(tax, "taxable_amount", 0)),
                "tax_rate": stripe_field(stripe_field(tax, "tax_rate_details") or {}, "tax_rate")
                or "",
                "behavior": stripe_field(tax, "tax_behavior") or "",
            }
            for tax in stripe_field(line, "taxes") or []
        ],
        "metadata": plain_dict(stripe_field(line, "metadata") or {}),
    }


def plain_dict(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
