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
