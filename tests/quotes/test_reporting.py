"""Revenue figures: MRR, ARR, one-time revenue of the month, top customers, quotes by status."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import reporting
from customers.models import Customer
from quotes import actions, sharing
from quotes.models import QuoteStatus

D = Decimal


@pytest.fixture
def make_accepted(alpha):
    """An accepted quote with lines given as (quantity, unit price, period[, discount %])."""

    def _make(customer, lines, *, currency="EUR", accept=True):
        quote = actions.do_create_quote(alpha, customer, currency=currency)
        for quantity, price, period, *discount in lines:
            actions.do_add_line(
                quote,
                description=f"{period} {price}",
                quantity=D(quantity),
                unit="unit",
                unit_price=D(price),
                billing_period=period,
                discount_percent=D(discount[0]) if discount else None,
            )
        quote.refresh_from_db()
        if accept:
            sharing.do_accept_quote(
                quote, via="manual", name="Staff", revision=quote.revision, sha256=None
            )
        return quote

    return _make


@pytest.fixture
def customer(alpha):
    def _customer(name):
        return Customer.objects.create(workspace=alpha, company_name=name)

    return _customer


def _figures(workspace):
    return {f.currency: f for f in reporting.workspace_report(workspace).figures}


def test_it_counts_monthly_plus_a_twelfth_of_yearly_of_accepted_quotes(alpha, acme, make_accepted):
    """MRR = monthly + yearly / 12, net; one-time lines and unaccepted quotes don't count."""
    make_accepted(
        acme, [("12", "5.00", "monthly"), ("1", "240.00", "yearly"), ("4", "120", "one_time")]
    )
    make_accepted(acme, [("1", "1000.00", "monthly")], accept=False)
    declined = make_accepted(acme, [("1", "500.00", "monthly")], accept=False)
    actions.do_set_status(declined, QuoteStatus.DECLINED)

    eur = _figures(alpha)["EUR"]
    assert eur.mrr == D("80.00")
    assert eur.arr == D("960.00")


def test_it_rounds_only_the_sum(alpha, acme, make_accepted):
    """Two yearly 100.00 quotes: 200 / 12 = 16.67 (not 8.33 + 8.33); ARR exactly 200.00."""
    make_accepted(acme, [("1", "100.00", "yearly")])
    make_accepted(acme, [("1", "100.00", "yearly")])
    eur = _figures(alpha)["EUR"]
    assert eur.mrr == D("16.67")
    assert eur.arr == D("200.00")


def test_it_uses_the_line_rounding_rule(alpha, acme, make_accepted):
    """Each line's net is rounded once, half up (1.5 × 19.99 = 29.985 → 29.99), then summed."""
    make_accepted(acme, [("1.5", "19.99", "monthly"), ("1.5", "19.99", "monthly")])
    make_accepted(acme, [("3", "9.99", "monthly", "12.5")])  # 26.22375 → 26.22
    assert _figures(alpha)["EUR"].mrr == D("59.98") + D("26.22")


def test_it_keeps_currencies_apart(alpha, acme, make_accepted):
    """EUR and USD quotes give one figure each; nothing is added across currencies."""
    make_accepted(acme, [("1", "100.00", "monthly")])
    make_accepted(acme, [("1", "30.00", "monthly")], currency="USD")
    figures = _figures(alpha)
    assert (figures["EUR"].mrr, figures["USD"].mrr) == (D("100.00"), D("30.00"))


def test_it_counts_one_time_revenue_of_quotes_accepted_this_month(alpha, acme, make_accepted):
    """One-time lines of quotes accepted this month; last month's acceptance does not count."""
    now = timezone.now()
    start = timezone.localtime(now).replace(day=1, hour=12)
    with time_machine.travel(start - timedelta(days=3)):
        make_accepted(acme, [("1", "999.00", "one_time")])
    with time_machine.travel(start):
        make_accepted(acme, [("2", "150.00", "one_time"), ("1", "10.00", "monthly")])
        make_accepted(acme, [("1", "75.50", "one_time")], accept=False)
        eur = reporting.workspace_report(alpha).figures[0]
    assert eur.one_time_this_month == D("300.00")


def test_it_knows_the_month_in_december():
    """December's month ends on 1 January of the next year."""
    start, end = reporting.month_bounds(timezone.make_aware(datetime(2026, 12, 31, 23, 0)))
    assert (start.year, start.month, start.day) == (2026, 12, 1)
    assert (end.year, end.month, end.day) == (2027, 1, 1)


def test_it_ranks_the_top_five_customers_by_mrr(alpha, customer, make_accepted):
    """Highest MRR first, five at most; a customer's quotes add up."""
    for i, price in enumerate(["10", "60", "30", "50", "20", "40"]):
        make_accepted(customer(f"Customer {i}"), [("1", price, "monthly")])
    top_customer = Customer.objects.get(company_name="Customer 0")
    make_accepted(top_customer, [("1", "1200.00", "yearly")])  # + 100 a month → 110

    ((currency, top),) = reporting.workspace_report(alpha).top_customers
    assert currency == "EUR"
    assert [(c.name, c.mrr) for c in top] == [
        ("Customer 0", D("110.00")),
        ("Customer 1", D("60.00")),
        ("Customer 3", D("50.00")),
        ("Customer 5", D("40.00")),
        ("Customer 2", D("30.00")),
    ]


def test_it_counts_quotes_by_status(alpha, acme, make_accepted):
    """Every status is listed, zeros included, in lifecycle order."""
    make_accepted(acme, [("1", "1", "monthly")])
    make_accepted(acme, [("1", "1", "monthly")], accept=False)
    make_accepted(acme, [("1", "1", "monthly")], accept=False)
    statuses = reporting.workspace_report(alpha).statuses
    assert [(s.status, s.count) for s in statuses] == [
        ("draft", 2),
        ("sent", 0),
        ("accepted", 1),
        ("declined", 0),
        ("expired", 0),
    ]


def test_it_reports_one_customer(alpha, acme, customer, make_accepted):
    """The customer's quotes with totals, newest first, and its MRR; other customers excluded."""
    make_accepted(acme, [("1", "50.00", "monthly"), ("1", "120.00", "yearly")])
    draft = make_accepted(acme, [("2", "10.00", "one_time")], accept=False)
    make_accepted(customer("Other"), [("1", "999.00", "monthly")])

    report = reporting.customer_report(acme)
    assert report.mrr == [("EUR", D("60.00"))]
    assert report.quote_count == 2 and not report.has_more
    assert report.quotes[0].quote == draft
    assert report.quotes[0].totals.first_invoice.net == D("20.00")
    assert report.quotes[1].totals.mrr_display == D("60.00")
    assert reporting.customer_report(acme, limit=1).has_more


def _queries(func):
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


def test_it_runs_a_fixed_number_of_queries(alpha, acme, customer, make_accepted):
    """The query count does not grow with quotes, lines or customers."""
    make_accepted(acme, [("1", "10", "monthly")])
    few = _queries(lambda: reporting.workspace_report(alpha))
    few_customer = _queries(lambda: reporting.customer_report(acme))
    for i in range(8):
        make_accepted(customer(f"C{i}"), [("1", "10", "monthly"), ("2", "5", "yearly")])
        make_accepted(acme, [("1", "10", "one_time"), ("1", "3", "monthly")])
    # the revenue sums (lines and mirrored Stripe subscriptions in one), statuses, MRR movements
    assert _queries(lambda: reporting.workspace_report(alpha)) == few == 3
    assert _queries(lambda: reporting.customer_report(acme)) == few_customer == 5
