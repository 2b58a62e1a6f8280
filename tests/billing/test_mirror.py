from decimal import Decimal

import pytest

from billing.mirror import brings_revenue, external_status, monthly_amount
from tests import factories


@pytest.mark.parametrize(
    ("status", "attempts", "remaining", "expected"),
    [
        ("open", 2, 300, "FINALIZED"),  # partly paid (see the paid amount below)
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
    paid = 200 if (status, attempts, remaining) == ("open", 2, 300) else 0
    assert external_status(status, attempts, remaining, paid) == expected


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


@pytest.fixture
def live_connection(alpha):
    return factories.stripe_connection(
        alpha, "rk_live_0123456789abcd", key_prefix="rk_live_", mode="live"
    )


def _subscriptions(quote, connection, *, livemode, status):
    """What the mirror holds after pushing the quote in one mode: one subscription per interval."""
    from billing.models import StripeSubscription

    for interval, period in (("month", "monthly"), ("year", "yearly")):
        items = [
            {
                "quantity": int(Decimal(line["quantity"])),
                "unit_amount": int(Decimal(line["unit_price"]) * 100),
                "interval": interval,
                "interval_count": 1,
            }
            for line in quote.acceptance.snapshot["lines"]
            if line["billing_period"] == period
        ]
        StripeSubscription.objects.create(
            workspace=quote.workspace,
            account_ref=connection.account_ref,
            livemode=livemode,
            stripe_id=f"sub_{'live' if livemode else 'test'}_{interval}",
            quote=quote,
            status=status,
            interval=interval,
            currency="EUR",
            items=items,
        )


def test_dashboard_mrr_counts_only_subscriptions_of_the_connected_mode(
    live_connection, mixed_quote
):
    """After onboarding in test mode the workspace goes live: cancelled test subscriptions do not
    erase the quote's MRR, and a live push beside the test one does not count it twice."""
    from billing.reporting import customer_report, workspace_report

    def mrr():
        return {f.currency: f.mrr for f in workspace_report(mixed_quote.workspace).figures}

    by_lines = mrr()["EUR"]
    assert by_lines > 0
    _subscriptions(mixed_quote, live_connection, livemode=False, status="canceled")
    assert mrr()["EUR"] == by_lines
    _subscriptions(mixed_quote, live_connection, livemode=True, status="active")
    assert mrr()["EUR"] == by_lines
    assert dict(customer_report(mixed_quote.customer).mrr)["EUR"] == by_lines


def test_line_facts_keep_amounts_taxes_period_and_origin():
    from decimal import Decimal

    from billing.mirror import line_facts

    line = {
        "id": "il_1",
        "description": "Remaining time on 12 × RMM agent",
        "quantity": 12,
        "quantity_decimal": Decimal("12"),
        "amount": 5400,
        "discount_amounts": [{"amount": 300, "discount": "di_1"}],
        "currency": "eur",
        "period": {"start": 1764547200, "end": 1767225600},
        "parent": {
            "type": "subscription_item_details",
            "subscription_item_details": {"proration": True, "subscription_item": "si_1"},
        },
        "pricing": {"type": "price_details", "price_details": {"price": "price_1"}},
        "taxes": [
            {
                "amount": 969,
                "taxable_amount": 5100,
                "tax_behavior": "exclusive",
                "tax_rate_details": {"tax_rate": "txr_1"},
                "type": "tax_rate_details",
            }
        ],
        "metadata": {"mspercury_line": "42"},
    }
    assert line_facts(line) == {
        "id": "il_1",
        "description": "Remaining time on 12 × RMM agent",
        "quantity": "12",
        "amount": 5400,
        "discount": 300,
        "currency": "EUR",
        "period_start": 1764547200,
        "period_end": 1767225600,
        "proration": True,
        "price": "price_1",
        "taxes": [
            {"amount": 969, "taxable_amount": 5100, "tax_rate": "txr_1", "behavior": "exclusive"}
        ],
        "metadata": {"mspercury_line": "42"},
    }
    bare = line_facts({"id": "il_2", "amount": 100, "currency": "usd"})
    assert (bare["quantity"], bare["proration"], bare["taxes"], bare["price"]) == (
        "1",
        False,
        [],
        "",
    )
