"""Pages and fragments run the same number of queries whatever the number of rows."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quotes import actions
from quotes.models import QuoteLine
from tests.quotes.helpers import HX, add_data, detail_url

D = Decimal


def _count(client, method, url, data=None, headers=None):
    with CaptureQueriesContext(connection) as ctx:
        r = getattr(client, method)(url, data or {}, headers=headers or {})
    assert r.status_code in (200, 302), (url, r.status_code)
    return len(ctx.captured_queries)


@pytest.fixture
def small_and_big(alpha, acme, add_lines, office, rmm, backup):
    """A 2-line and a 200-line quote of the same customer, both with cost prices."""
    small = actions.do_create_quote(alpha, acme, project=office)
    big = actions.do_create_quote(alpha, acme, project=office)
    add_lines(small, 2)
    add_lines(big, 200)
    return small, big


def test_it_renders_a_200_line_quote_with_as_many_queries_as_a_2_line_quote(
    client_for, alice, small_and_big
):
    small, big = small_and_big
    client = client_for(alice)
    client.get(detail_url(small))  # warm caches (session, content types)
    small_count = _count(client, "get", detail_url(small))
    big_count = _count(client, "get", detail_url(big))
    assert big_count == small_count
    html = client.get(detail_url(big)).content.decode()
    assert html.count('<tr id="line-') == 200


def test_it_answers_htmx_line_changes_with_constant_queries(client_for, alice, small_and_big):
    """Adding, moving and editing answer with the whole table: the query count stays flat."""
    small, big = small_and_big
    client = client_for(alice)
    data = add_data(
        description="Extra", quantity="1", unit="unit", unit_price="1", billing_period="monthly"
    )
    client.post(f"/quotes/{small.public_id}/lines/", data, headers=HX)  # warm up
    counts = [
        _count(client, "post", f"/quotes/{q.public_id}/lines/", data, HX) for q in (small, big)
    ]
    assert counts[0] == counts[1]

    def move(quote):
        line = QuoteLine.objects.filter(quote=quote).last()
        url = f"/quotes/{quote.public_id}/lines/{line.public_id}/move/"
        return _count(client, "post", url, {"direction": "up"}, HX)

    assert move(small) == move(big)

    def edit_row(quote):
        line = QuoteLine.objects.filter(quote=quote).first()
        return _count(
            client, "get", f"/quotes/{quote.public_id}/lines/{line.public_id}/edit/", None, HX
        )

    assert edit_row(small) == edit_row(big)


def test_it_lists_quotes_with_constant_queries(
    client_for, alice, alpha, acme, office, django_assert_max_num_queries
):
    client = client_for(alice)
    for _ in range(3):
        actions.do_create_quote(alpha, acme, project=office)
    client.get("/quotes/")
    few = _count(client, "get", "/quotes/")
    for _ in range(30):
        actions.do_create_quote(alpha, acme, project=office)
    assert _count(client, "get", "/quotes/") == few
    assert _count(client, "get", "/quotes/", {"q": "acme", "status": "draft"}) == few
    with django_assert_max_num_queries(12):
        client.get("/quotes/")


def test_it_lists_the_catalog_with_constant_queries(
    client_for, alice, alpha, make_service, django_assert_max_num_queries
):
    client = client_for(alice)

    def grow(n):
        for i in range(n):
            service = make_service(f"Service {i}", "1.00", cost_price=D("0.5"))
            package = actions.do_create_package(alpha, name=f"Package {i}")
            actions.do_add_package_item(package, service=service, rule="fixed", quantity=D("1"))

    grow(3)
    client.get("/catalog/")
    few = _count(client, "get", "/catalog/")
    grow(30)
    assert _count(client, "get", "/catalog/") == few
    with django_assert_max_num_queries(12):
        client.get("/catalog/")
