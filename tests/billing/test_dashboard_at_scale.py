"""The dashboard's revenue summed in PostgreSQL: the same figures as the Python sums over every
line and subscription, to the cent, and the same queries with one customer as with many."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import count

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import reporting
from billing.models import StripeSubscription
from customers.models import Customer
from quotes.models import Quote, QuoteLine, QuoteStatus

D = Decimal
NOW = datetime(2026, 11, 17, 12, tzinfo=UTC)
_numbers = count(1)


@pytest.fixture
def acme(alpha):
    return Customer.objects.create(workspace=alpha, company_name="Acme GmbH")


def _quote(workspace, customer, lines, *, currency="EUR", accepted_at=NOW, status="accepted"):
    """A quote with ``lines`` given as (quantity, unit price, period, discount % or None)."""
    quote = Quote.objects.create(
        workspace=workspace,
        customer=customer,
        number=f"Q-2026-{next(_numbers):05d}",
        currency=currency,
        status=status,
        accepted_at=accepted_at if status == QuoteStatus.ACCEPTED else None,
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(
            workspace=workspace,
            quote=quote,
            position=n,
            description=f"line {n}",
            quantity=D(quantity),
            unit_price=D(price),
            billing_period=period,
            discount_percent=None if discount is None else D(discount),
        )
        for n, (quantity, price, period, discount) in enumerate(lines)
    )
    return quote


def _subscription(quote, items, *, status="active", currency="EUR", **fields):
    """A mirrored subscription of ``quote`` with ``items`` given as (quantity, unit amount,
    interval, interval count)."""
    return StripeSubscription.objects.create(
        workspace=quote.workspace,
        account_ref="acct_1",
        stripe_id=f"sub_{next(_numbers)}",
        livemode=True,  # without a Stripe connection only live ones count
        quote=quote,
        status=status,
        currency=currency,
        items=[
            {"quantity": q, "unit_amount": u, "interval": i, "interval_count": c}
            for q, u, i, c in items
        ],
        **fields,
    )


def _in_sql(workspace):
    start, end = reporting.month_bounds(NOW)
    return reporting._revenue_in_sql(workspace, start, end)


def _in_python(workspace):
    start, end = reporting.month_bounds(NOW)
    return reporting._revenue_in_python(workspace, start, end)


def _top(revenue):
    return [(cur, [(c.name, c.mrr) for c in customers]) for cur, customers in revenue[1]]


def _display(value: Fraction, exponent: int = 2) -> Decimal:
    """Half up (away from zero) to the minor unit, from the exact fraction."""
    scaled = value * 10**exponent
    whole = (abs(scaled.numerator) * 2 + scaled.denominator) // (2 * scaled.denominator)
    return D(whole if scaled >= 0 else -whole).scaleb(-exponent)


def test_it_sums_lines_and_subscriptions_as_a_hand_computation(alpha, acme):
    """Rounded line nets, pushed quotes as Stripe bills them (one-time lines still counting
    this month), cancellations scheduled, a month earlier's one-time lines left out."""
    other = Customer.objects.create(workspace=alpha, company_name="beta GmbH")
    _quote(alpha, acme, [("1.5", "19.99", "monthly", None), ("3", "9.99", "monthly", "12.5")])
    _quote(alpha, acme, [("1", "100.00", "yearly", None), ("2", "150.00", "one_time", None)])
    _quote(alpha, acme, [("1", "999", "one_time", None)], accepted_at=NOW - timedelta(days=40))
    _quote(alpha, acme, [("1", "1000", "monthly", None)], status="sent")
    pushed = _quote(alpha, other, [("4", "50", "monthly", None), ("1", "80", "one_time", None)])
    _subscription(pushed, [(4, 5000, "month", 1), (1, 5200, "week", 2)], cancel_at_period_end=True)
    _subscription(pushed, [(1, 99999, "month", 1)], status="canceled")

    figures, top = _in_sql(alpha)
    (eur,) = figures
    ((currency, customers),) = top
    # acme: 29.99 (29.985) + 26.22 (26.22375) monthly and 100 yearly; the other customer's
    # pushed quote as Stripe bills it: 200.00 a month and 52.00 every second week
    acme_mrr = Fraction("29.99") + Fraction("26.22") + Fraction(100, 12)
    other_mrr = Fraction(200) + Fraction(5200 * 52, 12 * 2) / 100
    assert eur.currency == currency == "EUR"
    assert eur.mrr == _display(acme_mrr + other_mrr) == D("377.21")
    assert eur.arr == _display((acme_mrr + other_mrr) * 12)
    assert eur.one_time_this_month == D("380.00")  # 300 + the pushed quote's 80
    assert eur.scheduled_churn == _display(other_mrr) == D("312.67")
    assert [(c.name, c.mrr) for c in customers] == [
        ("beta GmbH", D("312.67")),
        ("Acme GmbH", D("64.54")),
    ]
    assert _in_python(alpha) == _in_sql(alpha)


def test_it_rounds_an_exact_half_cent_of_subscriptions_up(alpha, acme):
    """1/12 + 5/12 of a cent a month is half a cent exactly: 0.01, as the fractions say."""
    quote = _quote(alpha, acme, [("1", "1", "yearly", None)])
    _subscription(quote, [(1, 1, "year", 1)])
    _subscription(quote, [(5, 1, "year", 1)])
    (eur,) = _in_sql(alpha)[0]
    assert eur.mrr == _display(Fraction(6, 12) / 100) == D("0.01")
    assert eur.arr == D("0.06")


def test_it_keeps_currencies_and_their_minor_units_apart(alpha, acme):
    """JPY lines round to whole yen, EUR to cents; a subscription's currency is its own."""
    _quote(alpha, acme, [("1.5", "101", "monthly", None)], currency="JPY")  # 151.5 → 152
    quote = _quote(alpha, acme, [("1", "10", "monthly", None)], currency="USD")
    _subscription(quote, [(3, 1000, "month", 1)], currency="USD")
    figures = {f.currency: f.mrr for f in _in_sql(alpha)[0]}
    assert figures == {"JPY": D("152"), "USD": D("30.00")}
    assert _in_python(alpha) == _in_sql(alpha)


def test_it_ranks_equal_mrr_by_name_as_python_does(alpha):
    """Ties go to the lower-cased name, uppercase and lowercase mixed; five at most."""
    for name in ["delta", "Alpha", "charlie", "Bravo", "echo", "Foxtrot", "aardvark"]:
        customer = Customer.objects.create(workspace=alpha, company_name=name)
        _quote(alpha, customer, [("1", "10", "monthly", None)])
    ((_, top),) = _top(_in_sql(alpha))
    assert [name for name, _ in top] == ["aardvark", "Alpha", "Bravo", "charlie", "delta"]
    assert _top(_in_python(alpha)) == _top(_in_sql(alpha))


def _queries(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


def test_it_costs_the_same_queries_with_one_customer_as_with_many(alpha, acme):
    """Three queries for the report, whatever the quotes, lines, subscriptions and customers."""
    _quote(alpha, acme, [("1", "10", "monthly", None)])
    few = _queries(lambda: reporting.workspace_report(alpha, now=NOW))
    for n in range(30):
        customer = Customer.objects.create(workspace=alpha, company_name=f"C{n}")
        quote = _quote(alpha, customer, [("2", "5", "monthly", None), ("1", "7", "one_time", None)])
        _subscription(quote, [(2, 500, "month", 1), (1, 1200, "year", 1)])
        _quote(alpha, customer, [("1", "3", "yearly", "10")], status="draft")
    assert _queries(lambda: reporting.workspace_report(alpha, now=NOW)) == few == 3


def test_the_dashboard_page_costs_the_same_with_many_customers(client_for, alice, alpha, acme):
    """The page's query count does not grow with customers, quotes and subscriptions."""
    client = client_for(alice)
    _quote(alpha, acme, [("1", "10", "monthly", None)])
    with CaptureQueriesContext(connection) as few:
        assert client.get("/").status_code == 200
    for n in range(25):
        customer = Customer.objects.create(workspace=alpha, company_name=f"C{n}")
        quote = _quote(alpha, customer, [("1", "20", "monthly", None)])
        _subscription(quote, [(1, 2000, "month", 1)])
    with CaptureQueriesContext(connection) as many:
        response = client.get("/")
    assert len(many) == len(few)
    assert 'data-figure="mrr">510.00 EUR<' in response.content.decode()


# The property: the SQL sums equal the Python sums over random workspaces. Subscription items
# bill monthly (any count) or yearly in twelfths, where Python's Decimal sums are exact too.

_line = st.tuples(
    st.decimals("0.01", "999.99", places=2).map(str),
    st.decimals("0.00", "9999.99", places=2).map(str),
    st.sampled_from(["monthly", "yearly", "one_time"]),
    st.one_of(st.none(), st.decimals("0.00", "100.00", places=2).map(str)),
)
_item = st.one_of(
    st.tuples(st.integers(1, 50), st.integers(0, 100_000), st.just("month"), st.just(1)),
    st.tuples(
        st.integers(1, 50),
        st.integers(0, 10_000).map(lambda a: a * 12),
        st.just("year"),
        st.just(1),
    ),
)
_subscription_spec = st.tuples(
    st.lists(_item, max_size=3),
    st.sampled_from(["active", "past_due", "trialing", "canceled", "incomplete"]),
    st.booleans(),  # ended
    st.booleans(),  # set to cancel at period end
)
_quote_spec = st.tuples(
    st.integers(0, 5),  # customer
    st.sampled_from(["EUR", "USD", "JPY"]),
    st.sampled_from(["accepted", "accepted", "sent", "draft"]),
    st.booleans(),  # accepted this month
    st.lists(_line, min_size=1, max_size=4),
    st.lists(_subscription_spec, max_size=2),
)
NAMES = ["acme", "Beta", "beta 2", "Zeta", "ÄRA", "alpha"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(quotes=st.lists(_quote_spec, min_size=1, max_size=8))
def test_sql_and_python_sums_agree(alpha, quotes):
    """Figures and top customers to the cent, whatever the lines, discounts, periods,
    currencies, pushes, statuses and cancellations."""
    with transaction.atomic():
        customers = [Customer.objects.create(workspace=alpha, company_name=name) for name in NAMES]
        for who, currency, status, this_month, lines, subscriptions in quotes:
            accepted_at = NOW if this_month else NOW - timedelta(days=45)
            quote = _quote(
                alpha,
                customers[who],
                lines,
                currency=currency,
                status=status,
                accepted_at=accepted_at,
            )
            for items, sub_status, ended, cancel in subscriptions:
                _subscription(
                    quote,
                    items,
                    status=sub_status,
                    currency=currency,
                    ended_at=NOW if ended else None,
                    cancel_at_period_end=cancel,
                )
        in_sql, in_python = _in_sql(alpha), _in_python(alpha)
        transaction.set_rollback(True)
    assert in_sql[0] == in_python[0]
    assert _top(in_sql) == _top(in_python)


def _contract(quote, status):
    from billing.models import Contract

    return Contract.objects.create(
        workspace=quote.workspace,
        customer=quote.customer,
        quote=quote,
        provider="lexware",
        currency="EUR",
        starts_on=NOW.date(),
        status=status,
        tax_treatment="domestic",
        tax_rate=D("19"),
    )


@pytest.mark.parametrize("summed", [_in_sql, _in_python])
def test_a_contract_billed_from_lexware_counts_while_active_and_not_once_ended(alpha, acme, summed):
    """MSPercury's own schedule bills the quote's lines: they are its MRR (12 × 10.00 + 120.00
    / 12 = 130.00) until the contract ends, then nothing, as a cancelled Stripe subscription."""
    quote = _quote(alpha, acme, [("12", "10", "monthly", None), ("1", "120", "yearly", None)])
    contract = _contract(quote, "active")
    (figures,), _top_customers = summed(alpha)
    assert figures.mrr == D("130.00")
    type(contract).objects.filter(pk=contract.pk).update(status="ended")
    figures = summed(alpha)[0]
    assert figures == [] or figures[0].mrr == D("0.00")


def test_a_customers_mrr_drops_its_ended_contract(alpha, acme):
    quote = _quote(alpha, acme, [("2", "50", "monthly", None)])
    contract = _contract(quote, "active")
    assert reporting.customer_report(acme).mrr == [("EUR", D("100.00"))]
    type(contract).objects.filter(pk=contract.pk).update(status="ended")
    assert reporting.customer_report(acme).mrr in ([], [("EUR", D("0.00"))])
