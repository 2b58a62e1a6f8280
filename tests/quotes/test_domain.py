"""Quote arithmetic (quotes/domain.py): totals, first invoice, MRR, margins, tax lines, packages."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quotes import domain
from quotes.domain import (
    FIXED,
    MONTHLY,
    ONE_TIME,
    PER_SERVER,
    PER_USER,
    PER_WORKSTATION,
    YEARLY,
    LineInput,
    PackageItemInput,
    ProjectCounts,
)
from quotes.models import BillingPeriod, QuantityRule
from quotes.templatetags.quote_money import amount
from rules.tax import Party, TaxDecision, TaxTreatment, decide_tax

D = Decimal
DE_19 = TaxDecision(TaxTreatment.DOMESTIC, D("19"), "DE")


def line(qty, price, period=MONTHLY, discount=None, cost=None):
    return LineInput(
        D(qty), D(price), period, D(discount) if discount else None, D(cost) if cost else None
    )


def test_it_uses_the_model_choice_values():
    """The domain's period and rule names are exactly the models' choice values."""
    assert set(domain.PERIODS) == set(BillingPeriod.values)
    assert set(domain.RULES) == set(QuantityRule.values)


@pytest.mark.parametrize(
    ("year", "sequence", "expected"),
    [(2026, 1, "Q-2026-0001"), (2026, 42, "Q-2026-0042"), (2027, 12345, "Q-2027-12345")],
)
def test_it_formats_quote_numbers(year, sequence, expected):
    """Q-<year>-<four digits>, growing past 9999 instead of wrapping."""
    assert domain.quote_number(year, sequence) == expected


def test_it_rounds_each_line_once_and_sums_rounded_lines():
    """3 × 0.335 = 1.005 → 1.01 per line; the total is the sum of the rounded lines."""
    totals = domain.quote_totals([line("3", "0.335"), line("3", "0.335")], "EUR")
    assert [a.net for a in totals.lines] == [D("1.01"), D("1.01")]
    assert totals.monthly.net == D("2.02")


def test_it_applies_the_discount_before_rounding():
    """2 × 9.99 − 12.5 % = 17.4825 → 17.48."""
    totals = domain.quote_totals([line("2", "9.99", discount="12.5")], "EUR")
    assert totals.lines[0].net == D("17.48")


def test_it_totals_each_billing_period_separately():
    """One-time, monthly and yearly lines go to their own totals."""
    totals = domain.quote_totals(
        [
            line("4", "120", ONE_TIME),
            line("12", "5", MONTHLY),
            line("2", "25", MONTHLY),
            line("1", "300", YEARLY),
        ],
        "EUR",
    )
    assert totals.one_time.net == D("480.00")
    assert totals.monthly.net == D("110.00")
    assert totals.yearly.net == D("300.00")


def test_it_makes_the_first_invoice_one_time_plus_monthly_plus_yearly():
    """The first invoice carries the setup fees and the first period of each subscription."""
    totals = domain.quote_totals(
        [line("1", "480", ONE_TIME), line("1", "110", MONTHLY), line("1", "300", YEARLY)], "EUR"
    )
    assert totals.first_invoice.net == D("890.00")


def test_it_keeps_mrr_exact_and_rounds_only_for_display():
    """MRR = monthly + yearly / 12: 10 + 100/12 = 18.333…, shown as 18.33."""
    totals = domain.quote_totals([line("1", "10", MONTHLY), line("1", "100", YEARLY)], "EUR")
    assert totals.mrr == D("10") + D("100") / 12
    assert totals.mrr_display == D("18.33")


def test_it_lets_exact_mrr_add_up_across_quotes():
    """Three quotes of 1.00 a year: exact MRRs sum to 0.25, rounded ones would give 0.24."""
    mrrs = [domain.quote_totals([line("1", "1", YEARLY)], "EUR").mrr for _ in range(3)]
    assert (sum(mrrs) * 1).quantize(D("0.01")) == D("0.25")
    assert sum(m.quantize(D("0.01")) for m in mrrs) == D("0.24")


def test_it_gives_zero_totals_with_the_currency_digits_for_an_empty_quote():
    """No lines: every total is 0.00 (0 for JPY), no margin."""
    eur = domain.quote_totals([], "EUR")
    assert str(eur.first_invoice.net) == "0.00"
    assert not eur.has_cost
    assert str(domain.quote_totals([], "JPY").monthly.net) == "0"


def test_it_rounds_to_the_currency_minor_unit():
    """JPY has no minor unit: 3 × 33.5 = 100.5 → 101."""
    totals = domain.quote_totals([line("3", "33.5")], "JPY")
    assert totals.monthly.net == D("101")


def test_it_refuses_an_unknown_billing_period():
    with pytest.raises(ValueError, match="billing period"):
        domain.quote_totals([line("1", "1", "weekly")], "EUR")


def test_it_computes_line_margin_as_net_minus_cost_times_quantity():
    """12 × 5.00 with cost 2.00 → cost 24.00, margin 36.00; 10 % off → net 54.00, margin 30."""
    amounts = domain.quote_totals(
        [line("12", "5", cost="2"), line("12", "5", discount="10", cost="2")], "EUR"
    ).lines
    assert (amounts[0].cost, amounts[0].margin) == (D("24.00"), D("36.00"))
    assert (amounts[1].net, amounts[1].margin) == (D("54.00"), D("30.00"))


def test_it_totals_margin_over_costed_lines_only():
    """A line without a cost price has no margin and stays out of the margin totals."""
    totals = domain.quote_totals(
        [line("12", "5", cost="2"), line("1", "100"), line("1", "50", ONE_TIME, cost="30")],
        "EUR",
    )
    assert totals.has_cost
    assert totals.lines[1].cost is None and totals.lines[1].margin is None
    assert totals.monthly.net == D("160.00")
    assert totals.monthly.costed_net == D("60.00")
    assert totals.monthly.cost == D("24.00")
    assert totals.monthly.margin == D("36.00")
    assert totals.monthly.margin_percent == D("60.0")
    first = totals.first_invoice
    assert (first.costed_net, first.cost, first.margin) == (D("110.00"), D("54.00"), D("56.00"))
    assert totals.yearly.margin_percent is None


def test_it_has_no_margin_without_cost_prices():
    totals = domain.quote_totals([line("1", "10")], "EUR")
    assert not totals.has_cost
    assert totals.first_invoice.margin == 0


def test_it_taxes_each_invoice_on_its_rounded_net_total():
    """19 % on 890.00 = 169.10, gross 1,059.10; per period on that period's net."""
    totals = domain.quote_totals(
        [line("1", "480", ONE_TIME), line("1", "110", MONTHLY), line("1", "300", YEARLY)], "EUR"
    )
    tax = domain.tax_summary(totals, DE_19)
    assert tax.first_invoice == domain.TaxedTotal(D("890.00"), D("169.10"), D("1059.10"))
    assert tax.monthly == domain.TaxedTotal(D("110.00"), D("20.90"), D("130.90"))
    assert tax.yearly.tax == D("57.00")
    assert tax.one_time.tax == D("91.20")


def test_it_taxes_each_line_as_stripe_tax_rates_do():
    """0.03 per period: 0.0057 → 0.01 tax per line, so the first invoice has 0.03 (Stripe's
    invoices, one per subscription, add up to the same), not 19 % of 0.09 = 0.02."""
    totals = domain.quote_totals(
        [line("1", "0.03", ONE_TIME), line("1", "0.03", MONTHLY), line("1", "0.03", YEARLY)],
        "EUR",
    )
    tax = domain.tax_summary(totals, DE_19)
    assert tax.monthly.tax == D("0.01")
    assert tax.first_invoice.tax == D("0.03")
    assert tax.first_invoice.gross == D("0.12")


def test_it_shows_zero_tax_under_reverse_charge():
    """Reverse charge: 0 %, gross equals net."""
    decision = decide_tax(
        Party("DE", "eu_vat", "DE136695976"), Party("AT", "eu_vat", "ATU13585627"), date(2026, 5, 1)
    )
    assert decision.treatment == TaxTreatment.REVERSE_CHARGE
    totals = domain.quote_totals([line("1", "100")], "EUR")
    tax = domain.tax_summary(totals, decision)
    assert tax.first_invoice == domain.TaxedTotal(D("100.00"), D("0.00"), D("100.00"))


@pytest.mark.parametrize(
    ("rule", "quantity", "expected"),
    [
        (FIXED, "3", "3.00"),
        (FIXED, "0.5", "0.50"),
        (PER_WORKSTATION, "1", "12.00"),
        (PER_WORKSTATION, "2", "24.00"),
        (PER_SERVER, "1", "2.00"),
        (PER_SERVER, "0.5", "1.00"),
        (PER_USER, "1", "15.00"),
        (PER_USER, "0.25", "3.75"),
    ],
)
def test_it_derives_item_quantities_from_rules(rule, quantity, expected):
    """Fixed uses the quantity; per_* multiplies the project's count by it (12 ws, 2 srv, 15 u)."""
    counts = ProjectCounts(workstations=12, servers=2, users=15)
    assert domain.item_quantity(rule, D(quantity), counts) == D(expected)


def test_it_refuses_an_unknown_rule():
    with pytest.raises(ValueError, match="rule"):
        domain.item_quantity("per_site", D("1"), ProjectCounts())


def test_it_expands_a_package_in_order_and_skips_zero_quantities():
    """A project without servers gets no server line; the other items keep their order."""
    items = [
        PackageItemInput(PER_WORKSTATION, D("1"), ref="rmm"),
        PackageItemInput(PER_SERVER, D("1"), ref="backup"),
        PackageItemInput(FIXED, D("2"), ref="onboarding"),
        PackageItemInput(PER_USER, D("1"), ref="m365"),
    ]
    expanded, skipped = domain.expand_package(items, ProjectCounts(5, 0, 7))
    assert [(e.item.ref, e.quantity) for e in expanded] == [
        ("rmm", D("5.00")),
        ("onboarding", D("2.00")),
        ("m365", D("7.00")),
    ]
    assert [s.ref for s in skipped] == ["backup"]


def test_it_knows_when_a_package_needs_a_project():
    """Only per_* rules read project counts."""
    assert not domain.needs_project([PackageItemInput(FIXED, D("1"))])
    assert domain.needs_project([PackageItemInput(FIXED, D("1")), PackageItemInput(PER_USER, D(1))])


# Properties: whatever the lines, what is displayed adds up to the cent.

two_places = st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False)
lines_strategy = st.lists(
    st.builds(
        LineInput,
        quantity=st.decimals(min_value=D("0.01"), max_value=9999, places=2),
        unit_price=two_places,
        billing_period=st.sampled_from([ONE_TIME, MONTHLY, YEARLY]),
        discount_percent=st.none() | st.decimals(min_value=0, max_value=100, places=2),
        cost_price=st.none() | two_places,
    ),
    max_size=40,
)
rates = st.sampled_from([D("0"), D("7.7"), D("8.1"), D("19"), D("21"), D("25.5"), D("27")])


def shown(value, currency):
    """The number as the editor displays it, read back (grouping separators removed)."""
    return D(amount(value, currency).replace(",", ""))


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, currency=st.sampled_from(["EUR", "JPY", "BHD"]), rate=rates)
def test_it_displays_totals_that_equal_the_sum_of_the_displayed_lines(lines, currency, rate):
    """Per period, on the first invoice, in the margins and in the tax lines, to the cent."""
    totals = domain.quote_totals(lines, currency)
    tax = domain.tax_summary(totals, TaxDecision(TaxTreatment.DOMESTIC, rate, "XX"))
    quantum = D(1).scaleb(-{"EUR": 2, "JPY": 0, "BHD": 3}[currency])

    for a in totals.lines:
        assert a.net == a.net.quantize(quantum)
        assert shown(a.net, currency) == a.net
    for period in domain.PERIODS:
        displayed = [shown(a.net, currency) for a in totals.lines if a.billing_period == period]
        assert shown(totals.period(period).net, currency) == sum(displayed, D(0))
        costed = [a for a in totals.lines if a.billing_period == period and a.cost is not None]
        assert totals.period(period).cost == sum((a.cost for a in costed), D(0))
        assert totals.period(period).margin == sum((a.margin for a in costed), D(0))

    first = shown(totals.first_invoice.net, currency)
    assert first == sum(shown(totals.period(p).net, currency) for p in domain.PERIODS)
    assert shown(tax.first_invoice.net, currency) == first
    for taxed in (tax.one_time, tax.monthly, tax.yearly, tax.first_invoice):
        assert shown(taxed.gross, currency) == shown(taxed.net, currency) + shown(
            taxed.tax, currency
        )
    assert totals.first_invoice.margin == sum(totals.period(p).margin for p in domain.PERIODS)
