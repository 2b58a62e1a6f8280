"""The amendment planner (pure): what an accepted revision changes in running subscriptions."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.push.amend_planner import (
    AT_RENEWAL,
    NEXT_INVOICE,
    PRORATE_NOW,
    RunningItem,
    RunningSubscription,
    items_param,
    plan_amendment,
    prorate,
)
from integrations.push.planner import StripeLine

START, END = 1_700_000_000, 1_700_000_000 + 30 * 86400  # a 30-day period
HALF = START + 15 * 86400


def _line(ref, quantity, unit, period="monthly", key=None):
    return StripeLine(ref, key or f"service:{ref}", f"Line {ref}", quantity, unit, period)


def _sub(*items, interval="month", status="active", sub_id="sub_1"):
    return RunningSubscription(
        sub_id,
        status,
        interval,
        "eur",
        START,
        END,
        tuple(RunningItem(f"si_{ref}", ref, f"prod_{ref}", unit, qty) for ref, qty, unit in items),
    )


def _plan(running, lines, timing=PRORATE_NOW, at=HALF, **kwargs):
    return plan_amendment(
        running, lines, currency="EUR", timing=timing, proration_date=at, **kwargs
    )


def test_nothing_changes_when_the_revision_bills_the_same():
    plan = _plan([_sub(("a", 12, 900))], [_line("a", 12, 900)])
    assert not plan.has_changes and not plan.problems
    assert plan.charged_now == 0 and plan.subscriptions[0].new_period_amount == 10800


def test_three_more_seats_prorate_the_remaining_half_period():
    """12 → 15 seats at 9.00 half-way: credit 54.00 for 12, charge 67.50 for 15: 13.50 now."""
    plan = _plan([_sub(("a", 12, 900))], [_line("a", 15, 900)])
    (change,) = plan.subscriptions
    (item,) = change.changes
    assert (item.kind, item.old_quantity, item.new_quantity) == ("quantity", 12, 15)
    assert [p.amount for p in change.prorations] == [-5400, 6750]
    assert plan.charged_now == 1350 and plan.on_next_invoice == 0
    assert change.new_period_amount == 13500
    assert items_param(change, {}, "EUR") == [{"id": "si_a", "quantity": 15}]


def test_next_invoice_timing_moves_the_proration_to_the_next_invoice():
    plan = _plan([_sub(("a", 12, 900))], [_line("a", 15, 900)], timing=NEXT_INVOICE)
    assert plan.charged_now == 0 and plan.on_next_invoice == 1350


def test_at_renewal_nothing_is_prorated():
    plan = _plan([_sub(("a", 12, 900))], [_line("a", 15, 900)], timing=AT_RENEWAL)
    assert plan.subscriptions[0].prorations == []
    assert plan.charged_now == plan.on_next_invoice == 0
    assert plan.subscriptions[0].new_period_amount == 13500


def test_a_price_change_is_a_new_price_on_the_same_item_and_product():
    plan = _plan([_sub(("a", 10, 1000))], [_line("a", 10, 1100)])
    (change,) = plan.subscriptions
    assert change.changes[0].kind == "price"
    assert items_param(change, {}, "EUR") == [
        {
            "id": "si_a",
            "price_data": {
                "currency": "eur",
                "product": "prod_a",
                "unit_amount": 1100,
                "recurring": {"interval": "month"},
            },
            "quantity": 10,
        }
    ]
    assert [p.amount for p in change.prorations] == [-5000, 5500]


def test_a_removed_line_deletes_its_item_and_credits_the_unused_time():
    plan = _plan([_sub(("a", 12, 900), ("b", 1, 4000))], [_line("a", 12, 900)])
    (change,) = plan.subscriptions
    assert [(c.kind, c.line_ref) for c in change.changes] == [("remove", "b")]
    assert [p.amount for p in change.prorations] == [-2000]
    assert plan.charged_now == -2000  # a credit
    assert items_param(change, {}, "EUR") == [{"id": "si_b", "deleted": True}]


def test_quantity_zero_counts_as_removed():
    plan = _plan([_sub(("a", 12, 900), ("b", 1, 4000))], [_line("a", 12, 900), _line("b", 0, 4000)])
    assert [c.kind for c in plan.subscriptions[0].changes] == ["remove"]


def test_an_added_line_becomes_an_item_with_its_line_id_and_product():
    plan = _plan([_sub(("a", 12, 900))], [_line("a", 12, 900), _line("c", 2, 1500)])
    (change,) = plan.subscriptions
    assert [(c.kind, c.line_ref) for c in change.changes] == [("add", "c")]
    assert [p.amount for p in change.prorations] == [1500]
    (param,) = items_param(change, {"service:c": "prod_new"}, "EUR")
    assert param["metadata"] == {"mspercury_line_id": "c"} and "id" not in param
    assert param["price_data"]["product"] == "prod_new" and param["quantity"] == 2


def test_removing_every_line_ends_the_subscription_at_period_end():
    plan = _plan([_sub(("a", 12, 900))], [_line("x", 1, 100, "yearly")])
    month, year = plan.subscriptions
    assert month.ends and month.prorations == [] and month.new_period_amount == 0
    assert year.subscription is None and year.interval == "year"
    assert [c.line_ref for c in year.changes] == ["x"]


def test_a_line_moving_from_monthly_to_yearly_leaves_one_subscription_for_another():
    running = [
        _sub(("a", 1, 1000), ("b", 1, 500)),
        _sub(("y", 1, 12000), interval="year", sub_id="sub_y"),
    ]
    plan = _plan(
        running,
        [_line("a", 1, 1000), _line("b", 1, 6000, "yearly"), _line("y", 1, 12000, "yearly")],
    )
    month, year = plan.subscriptions
    assert [(c.kind, c.line_ref) for c in month.changes] == [("remove", "b")]
    assert [(c.kind, c.line_ref) for c in year.changes] == [("add", "b")]
    assert len(plan.subscriptions) == 2  # no new subscription: the yearly one takes it


def test_new_one_time_lines_are_invoiced_once():
    lines = [
        _line("a", 12, 900),
        _line("o", 1, 25000, "one_time"),
        _line("old", 1, 100, "one_time"),
    ]
    plan = _plan([_sub(("a", 12, 900))], lines, known_one_time=frozenset({"old"}))
    assert [x.line_ref for x in plan.one_time] == ["o"]
    assert plan.on_next_invoice == 25000 and plan.has_changes


def test_a_cancelled_subscription_is_not_amended_and_its_lines_get_a_new_one():
    plan = _plan([_sub(("a", 12, 900), status="canceled")], [_line("a", 15, 900)])
    (change,) = plan.subscriptions
    assert change.subscription is None and change.changes[0].kind == "add"


def test_a_change_made_in_the_stripe_dashboard_is_refused():
    running = [_sub(("a", 14, 900))]
    billed = {"sub_1": {"a": (900, 12)}}
    plan = _plan(running, [_line("a", 15, 900)], billed=billed)
    assert plan.blocked
    (problem,) = plan.problems
    assert problem.code == "changed_in_stripe"
    assert "now 14 × 900; MSPercury wrote 12 × 900" in problem.message


def test_an_item_added_in_the_dashboard_is_refused_too():
    running = [
        RunningSubscription(
            "sub_1",
            "active",
            "month",
            "eur",
            START,
            END,
            (
                RunningItem("si_a", "a", "prod_a", 900, 12),
                RunningItem("si_x", "", "prod_x", 500, 1),
            ),
        )
    ]
    plan = _plan(running, [_line("a", 12, 900)], billed={"sub_1": {"a": (900, 12)}})
    assert [p.code for p in plan.problems] == ["changed_in_stripe"]
    assert "did not create" in plan.problems[0].message


def test_unchanged_since_the_last_write_is_not_drift():
    plan = _plan([_sub(("a", 12, 900))], [_line("a", 15, 900)], billed={"sub_1": {"a": (900, 12)}})
    assert not plan.problems


def test_more_than_twenty_items_is_refused():
    running = [_sub(*[(str(n), 1, 100) for n in range(19)])]
    lines = [_line(str(n), 1, 100) for n in range(21)]
    plan = _plan(running, lines)
    assert [p.code for p in plan.problems] == ["too_many_items"]


def test_another_currency_needs_a_new_push():
    plan = plan_amendment(
        [_sub(("a", 1, 1))],
        [_line("a", 2, 1)],
        currency="USD",
        timing=PRORATE_NOW,
        proration_date=HALF,
    )
    assert [p.code for p in plan.problems] == ["currency_changed"]


def test_an_unknown_timing_is_refused():
    assert _plan([_sub(("a", 1, 1))], [], timing="later").blocked


@pytest.mark.parametrize(
    ("at", "expected"),
    [(START, 1000), (END, 0), (END + 5, 0), (START - 5, 1000), (START + 3 * 86400, 900)],
)
def test_prorate_covers_the_time_left_in_the_period(at, expected):
    assert prorate(1000, _sub(("a", 1, 1000)), at) == expected


def test_prorate_rounds_half_up_per_line():
    sub = _sub(("a", 1, 1))
    # 1 cent for a third of the period: 0.333 → 0; 5 cents for half: 2.5 → 3.
    assert prorate(1, sub, END - 10 * 86400) == 0
    assert prorate(5, sub, HALF) == 3


@given(
    old=st.integers(min_value=1, max_value=200),
    new=st.integers(min_value=1, max_value=200),
    unit=st.integers(min_value=1, max_value=100_000),
    elapsed=st.integers(min_value=0, max_value=END - START),
)
def test_proration_is_the_difference_of_two_rounded_lines(old, new, unit, elapsed):
    """Whatever the change and moment: credit + charge, each within half a cent of the exact
    share, and the new period amount is new × unit."""
    at = START + elapsed
    plan = _plan([_sub(("a", old, unit))], [_line("a", new, unit)], at=at)
    (change,) = plan.subscriptions
    moment = min(at, END - 1)  # Stripe takes no proration moment outside [start, end)
    share = Decimal(END - moment) / Decimal(END - START)
    if old == new:
        assert change.changes == [] and change.prorations == []
        return
    credit, charge = (p.amount for p in change.prorations)
    assert abs(Decimal(-credit) - old * unit * share) <= Decimal("0.5")
    assert abs(Decimal(charge) - new * unit * share) <= Decimal("0.5")
    assert plan.charged_now == credit + charge
    assert change.new_period_amount == new * unit
