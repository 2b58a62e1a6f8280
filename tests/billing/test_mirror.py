from decimal import Decimal

import pytest

from billing.mirror import brings_revenue, external_status, monthly_amount


@pytest.mark.parametrize(
    ("status", "attempts", "remaining", "expected"),
    [
        ("draft", 0, 1000, ""),
        ("open", 0, 1000, "FINALIZED"),
        ("open", 1, 1000, "PAYMENT_FAILED"),
        ("open", 2, 0, "FINALIZED"),
        ("paid", 1, 0, "PAID"),
        ("void", 0, 1000, "VOID"),
        ("uncollectible", 3, 1000, "UNCOLLECTIBLE"),
        ("deleted", 0, 0, "DELETED"),
    ],
)
def test_external_status_follows_metronomes_mapping(status, attempts, remaining, expected):
    assert external_status(status, attempts, remaining) == expected


@pytest.mark.parametrize(
    ("interval", "count", "amount", "expected"),
    [
        ("month", 1, 12000, Decimal(12000)),
        ("month", 3, 12000, Decimal(4000)),
        ("year", 1, 48000, Decimal(4000)),
        ("year", 1, 100, Decimal(100) / 12),
        ("week", 1, 1200, Decimal(5200)),
        ("fortnight", 1, 100, Decimal(0)),
    ],
)
def test_monthly_amount(interval, count, amount, expected):
    assert monthly_amount(interval, count, amount) == expected


@pytest.mark.parametrize(
    ("status", "ended", "expected"),
    [
        ("active", False, True),
        ("past_due", False, True),
        ("canceled", True, False),
        ("active", True, False),
        ("incomplete", False, False),
        ("unpaid", False, False),
    ],
)
def test_only_running_subscriptions_bring_revenue(status, ended, expected):
    assert brings_revenue(status, ended) is expected
