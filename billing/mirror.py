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


def _field(obj, key: str, default=None):
    """A field of a Stripe object or of its dict form."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    try:
        return obj[key]
    except (KeyError, TypeError):
        return default


def line_facts(line) -> dict:
    """What the mirror keeps of one Stripe invoice line: amounts in minor units before tax, the
    tax per rate, the period, and where it came from (subscription item, proration, price)."""
    parent = _field(line, "parent") or {}
    item = _field(parent, "subscription_item_details") or {}
    pricing = _field(_field(line, "pricing") or {}, "price_details") or {}
    period = _field(line, "period") or {}
    return {
        "id": _field(line, "id", ""),
        "description": _field(line, "description") or "",
        "quantity": str(_field(line, "quantity_decimal") or _field(line, "quantity") or 1),
        "amount": int(_field(line, "amount", 0)),
        "discount": sum(int(_field(d, "amount", 0)) for d in _field(line, "discount_amounts", [])),
        "currency": str(_field(line, "currency", "")).upper(),
        "period_start": _field(period, "start"),
        "period_end": _field(period, "end"),
        "proration": bool(_field(item, "proration", False)),
        "price": _field(pricing, "price") or "",
        "taxes": [
            {
                "amount": int(_field(tax, "amount", 0)),
                "taxable_amount": int(_field(tax, "taxable_amount", 0)),
                "tax_rate": _field(_field(tax, "tax_rate_details") or {}, "tax_rate") or "",
                "behavior": _field(tax, "tax_behavior") or "",
            }
            for tax in _field(line, "taxes") or []
        ],
        "metadata": _plain(_field(line, "metadata") or {}),
    }


def _plain(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
