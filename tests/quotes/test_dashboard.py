"""The dashboard (MRR, ARR, one-time revenue, top customers, quotes by status) and the
customer page's quotes and MRR."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from quotes import actions, sharing

D = Decimal


@pytest.fixture
def accepted_quote(alpha):
    def _make(customer, monthly="0", yearly="0", one_time="0", *, currency="EUR", accept=True):
        quote = actions.do_create_quote(alpha, customer, currency=currency)
        for period, price in (("monthly", monthly), ("yearly", yearly), ("one_time", one_time)):
            if D(price):
                actions.do_add_line(
                    quote,
                    description=f"{period} service",
                    quantity=D("1"),
                    unit="unit",
                    unit_price=D(price),
                    billing_period=period,
                )
        quote.refresh_from_db()
        if accept:
            sharing.do_accept_quote(
                quote, via="manual", name="Staff", revision=quote.revision, sha256=None
            )
        return quote

    return _make


def _section(html, marker):
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def test_it_shows_onboarding_steps_in_an_empty_workspace(client_for, alice):
    """No quotes yet: the welcome steps, with a link to add the first customer."""
    html = client_for(alice).get("/").content.decode()
    assert "Welcome to Alpha IT" in html
    assert 'href="/customers/new/"' in html
    assert 'data-figure="mrr"' not in html


def test_it_shows_the_revenue_figures(client_for, alice, acme, accepted_quote):
    """MRR, ARR and this month's one-time revenue of accepted quotes, net."""
    accepted_quote(acme, monthly="60.00", yearly="240.00", one_time="480.00")
    accepted_quote(acme, monthly="500.00", accept=False)
    html = client_for(alice).get("/").content.decode()
    assert 'data-figure="mrr">80.00 EUR<' in html
    assert 'data-figure="arr">960.00 EUR<' in html
    assert 'data-figure="one_time">480.00 EUR<' in html


def test_it_shows_one_figure_per_currency(client_for, alice, acme, accepted_quote):
    """EUR and USD are shown apart, never added up."""
    accepted_quote(acme, monthly="100.00")
    accepted_quote(acme, monthly="30.00", currency="USD")
    html = client_for(alice).get("/").content.decode()
    assert 'data-figure="mrr">100.00 EUR<' in html
    assert 'data-figure="mrr">30.00 USD<' in html
    assert "130.00" not in html


def test_it_lists_top_customers_and_quotes_by_status(client_for, alice, alpha, accepted_quote):
    """Top customers link to their pages; each status links to the filtered quote list."""
    big = Customer.objects.create(workspace=alpha, company_name="Big Corp")
    small = Customer.objects.create(workspace=alpha, company_name="Small Shop")
    accepted_quote(small, monthly="10.00")
    accepted_quote(big, monthly="90.00")
    accepted_quote(small, monthly="5.00", accept=False)
    html = client_for(alice).get("/").content.decode()
    top = _section(html, 'id="top-h"')
    assert top.index("Big Corp") < top.index("Small Shop")
    assert f'href="/customers/{big.public_id}/"' in top and "90.00 EUR" in top
    statuses = _section(html, 'id="status-h"')
    assert 'href="/quotes/?status=accepted"' in statuses
    accepted_row = statuses[statuses.index('data-status="accepted"') :]
    assert '<td class="num">2</td>' in accepted_row[: accepted_row.index("</tr>")]
    draft_row = statuses[statuses.index('data-status="draft"') :]
    assert '<td class="num">1</td>' in draft_row[: draft_row.index("</tr>")]


def test_it_follows_an_acceptance_on_the_share_page(client_for, alice, acme, accepted_quote):
    """Accepting a shared quote raises the dashboard MRR."""
    quote = accepted_quote(acme, monthly="25.00", accept=False)
    accepted_quote(acme, monthly="10.00")
    client = client_for(alice)
    assert 'data-figure="mrr">10.00 EUR<' in client.get("/").content.decode()
    sharing.do_accept_quote(
        quote, via="share_page", name="Carla", revision=quote.revision, sha256=None
    )
    assert 'data-figure="mrr">35.00 EUR<' in client.get("/").content.decode()


def _count(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_it_keeps_the_dashboard_query_count_flat(
    client_for, alice, alpha, accepted_quote, django_assert_max_num_queries
):
    """The number of queries does not grow with quotes, lines or customers."""
    client = client_for(alice)
    first = Customer.objects.create(workspace=alpha, company_name="C0")
    accepted_quote(first, monthly="1.00", one_time="2.00")
    few = _count(client, "/")
    for i in range(10):
        customer = Customer.objects.create(workspace=alpha, company_name=f"C{i + 1}")
        accepted_quote(customer, monthly="3.00", yearly="12.00", one_time="1.00")
        accepted_quote(customer, monthly="4.00", accept=False)
    assert _count(client, "/") == few
    with django_assert_max_num_queries(11):
        client.get("/")


def test_it_shows_the_customers_quotes_and_mrr(client_for, alice, alpha, acme, accepted_quote):
    """The customer page lists its quotes with status and totals, and the customer's MRR."""
    accepted = accepted_quote(acme, monthly="50.00", yearly="120.00", one_time="100.00")
    draft = accepted_quote(acme, monthly="7.00", accept=False)
    other = Customer.objects.create(workspace=alpha, company_name="Other")
    foreign = accepted_quote(other, monthly="999.00")
    html = client_for(alice).get(f"/customers/{acme.public_id}/").content.decode()
    panel = _section(html, 'id="customer-quotes"')
    assert 'data-mrr="EUR">60.00 EUR<' in panel
    row = panel[panel.index(f'id="customer-quote-{accepted.public_id}"') :]
    row = row[: row.index("</tr>")]
    assert accepted.number in row and "Accepted" in row
    assert "270.00 EUR" in row and "60.00 EUR" in row  # first invoice net, MRR
    assert draft.number in panel and foreign.number not in panel


def test_it_keeps_the_customer_page_query_count_flat(
    client_for, alice, acme, accepted_quote, django_assert_max_num_queries
):
    """The customer page's quotes panel costs the same with 1 or 12 quotes."""
    client = client_for(alice)
    accepted_quote(acme, monthly="1.00")
    few = _count(client, f"/customers/{acme.public_id}/")
    for _ in range(11):
        accepted_quote(acme, monthly="2.00", yearly="24.00")
    assert _count(client, f"/customers/{acme.public_id}/") == few
    # + Stripe connection, customer ids, mirrored invoices and subscriptions, notifications
    with django_assert_max_num_queries(17):
        client.get(f"/customers/{acme.public_id}/")


def test_it_checks_ownership(client_for, charlie, acme, accepted_quote):
    """Charlie's dashboard shows none of Alpha's revenue or customers."""
    accepted_quote(acme, monthly="80.00")
    html = client_for(charlie).get("/").content.decode()
    assert "80.00" not in html and "Acme" not in html
    assert "Welcome to Charlie Systems" in html
