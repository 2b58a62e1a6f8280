"""The invoices list at any size: keyset pages (no OFFSET, no COUNT), the same queries at one
invoice as at many, search and filters through indexes, nothing of another workspace."""

import html
import os
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Ownership, StripeInvoice
from customers.models import Customer
from mspercury import dbroles, keyset, tenancy

URL = "/billing/invoices/"
DAY = datetime(2026, 11, 5, 9, tzinfo=UTC)


def _invoices(workspace, count, *, start=0, customers=(), same_time=1, **fields):
    """``count`` invoices, ``same_time`` of them created in the same second (ties for the
    keyset to break by id), spread round-robin over ``customers``."""
    rows = [
        StripeInvoice(
            **{
                "workspace": workspace,
                "account_ref": "acct_1",
                "stripe_id": f"in_{workspace.pk}_{n}",
                "number": f"INV-{n:05d}",
                "status": "paid" if n % 3 else "open",
                "payment_status": "paid" if n % 3 else "open",
                "currency": "EUR",
                "total": 10000,
                "customer": customers[n % len(customers)] if customers else None,
                "created": DAY - timedelta(hours=n // same_time),
                **fields,
            }
        )
        for n in range(start, start + count)
    ]
    return StripeInvoice.objects.bulk_create(rows)


def _shown(response) -> list[str]:
    return re.findall(r'<tr data-invoice="([^"]+)">', response.content.decode())


def _link(response, rel):
    found = re.search(rf'<a href="\?([^"]*)" rel="{rel}"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.fixture
def acme(alpha):
    return Customer.objects.create(workspace=alpha, company_name="ACME Maschinenbau")


def test_it_walks_every_invoice_once_through_equal_timestamps(client_for, alice, alpha):
    """130 invoices, seven at a time created in the same second: Older links show each exactly
    once, newest first; Newer links from the last page walk the same pages back."""
    _invoices(alpha, 130, same_time=7)
    expected = list(
        StripeInvoice.objects.filter(workspace=alpha)
        .order_by("-created", "-id")
        .values_list("stripe_id", flat=True)
    )
    client = client_for(alice)
    pages, url = [], URL
    while url:
        response = client.get(url)
        pages.append(_shown(response))
        following = _link(response, "next")
        url = f"{URL}?{following}" if following else None
    assert [len(page) for page in pages] == [50, 50, 30]
    assert [s for page in pages for s in page] == expected
    assert _link(response, "next") is None
    back = []
    while (previous := _link(response, "prev")) is not None:
        response = client.get(f"{URL}?{previous}")
        back.append(_shown(response))
    assert back == pages[-2::-1]
    assert _link(response, "prev") is None  # the first page again: nothing newer


def test_invoices_without_a_creation_time_are_listed_once_first(client_for, alice, alpha):
    """A row Stripe gave no ``created`` sorts as the newest, and the walk still misses none."""
    _invoices(alpha, 60, same_time=3)
    StripeInvoice.objects.filter(workspace=alpha, number__in=["INV-00007", "INV-00042"]).update(
        created=None
    )
    client = client_for(alice)
    first = client.get(URL)
    assert _shown(first)[:2] == [f"in_{alpha.pk}_42", f"in_{alpha.pk}_7"]
    second = client.get(f"{URL}?{_link(first, 'next')}")
    assert len(set(_shown(first) + _shown(second))) == 60
    assert _shown(client.get(f"{URL}?{_link(second, 'prev')}")) == _shown(first)


def test_links_keep_the_filters(client_for, alice, alpha, acme):
    """Older/Newer links carry status, customer, month and search; a new filter starts over."""
    _invoices(alpha, 120, customers=[acme])
    client = client_for(alice)
    response = client.get(URL, {"status": "paid", "customer": acme.public_id, "q": "INV"})
    following = _link(response, "next")
    assert following.startswith(f"status=paid&customer={acme.public_id}&q=INV&cursor=")
    older = client.get(f"{URL}?{following}")
    assert all(number % 3 for number in (int(s.rsplit("_", 1)[1]) for s in _shown(older)))
    assert 'name="cursor"' not in older.content.decode()  # filtering again starts at the top


def test_query_counts_are_the_same_at_one_invoice_and_at_many(
    client_for, alice, alpha, acme, settings
):
    """Every variant of the page (first page, a later page, each filter, a search by number
    and by customer name) makes as many queries over 150 invoices as over one."""
    others = Customer.objects.bulk_create(
        Customer(workspace=alpha, company_name=f"Kunde {n:03d}") for n in range(40)
    )
    _invoices(alpha, 1, customers=[acme])
    client = client_for(alice)
    variants = [
        "",
        "status=paid",
        f"customer={acme.public_id}",
        "period=2026-11",
        "q=INV-0",
        "q=acme",
        "q=in_1_1",
    ]
    at_one = {v: _queries(client, f"{URL}?{v}") for v in variants}
    _invoices(alpha, 150, start=1, customers=[acme, *others], same_time=4)
    at_many = {v: _queries(client, f"{URL}?{v}") for v in variants}
    assert at_many == at_one
    later = _link(client.get(URL), "next")
    assert _queries(client, f"{URL}?{later}") == at_one[""]
    assert at_one[""] <= 9


def test_another_workspace_never_sees_our_invoices_nor_reads_our_cursors(
    client_for, alice, charlie, alpha, charlie_ws
):
    """Charlie's list holds only Charlie's invoices; Alpha's cursor, a tampered one and
    garbage all open Charlie's first page, never a 500."""
    _invoices(alpha, 80)
    _invoices(charlie_ws, 60)
    alpha_next = _link(client_for(alice).get(URL), "next")
    client = client_for(charlie)
    first = client.get(URL)
    assert all(s.startswith(f"in_{charlie_ws.pk}_") for s in _shown(first))
    cursor = alpha_next.split("cursor=")[1]
    for bad in (cursor, cursor[:-2] + "xx", "x", "a:b:c", "WyJhIl0:bad"):
        response = client.get(URL, {"cursor": bad})
        assert response.status_code == 200
        assert _shown(response) == _shown(first)
    forged = keyset.encode(keyset.AFTER, ["not a date", 1], f"invoices:{charlie_ws.pk}")
    assert _shown(client.get(URL, {"cursor": forged})) == _shown(first)


def test_unlinked_invoices_are_neither_listed_nor_counted_whole(client_for, alice, alpha):
    """Invoices kept apart as unlinked stay off the list; the notice counts at most 99+1."""
    _invoices(alpha, 3)
    _invoices(alpha, 120, start=3, ownership=Ownership.UNLINKED)
    html_text = client_for(alice).get(URL).content.decode()
    assert len(re.findall(r"<tr data-invoice=", html_text)) == 3
    assert "More than 99 invoices in your Stripe account were not made by MSPercury" in html_text


def test_search_finds_by_number_and_by_customer_name(client_for, alice, alpha, acme):
    """The search box matches part of a number or of a customer's name, in any case; the
    customers it matched are offered as one-click filters."""
    globex = Customer.objects.create(workspace=alpha, company_name="Globex GmbH")
    _invoices(alpha, 6, customers=[acme, globex])
    client = client_for(alice)
    by_number = client.get(URL, {"q": "inv-00003"})
    assert _shown(by_number) == [f"in_{alpha.pk}_3"]
    by_name = client.get(URL, {"q": "maschinen"})
    assert sorted(_shown(by_name)) == [f"in_{alpha.pk}_{n}" for n in (0, 2, 4)]
    page = by_name.content.decode()
    assert f'data-matching="{acme.public_id}"' in page and "Globex" not in page
    assert _shown(client.get(URL, {"q": f"in_{alpha.pk}_5"})) == [f"in_{alpha.pk}_5"]


def test_the_customer_filter_is_a_chip_not_a_list_of_every_customer(client_for, alice, alpha, acme):
    """With 300 customers the page is as long as with one: no select of customers; a chosen
    customer shows as a chip whose × keeps the other filters and drops the customer."""
    _invoices(alpha, 3, customers=[acme])
    client = client_for(alice)
    small = len(client.get(URL).content)
    Customer.objects.bulk_create(
        Customer(workspace=alpha, company_name=f"Kunde {n:03d} mit langem Namen")
        for n in range(300)
    )
    page = client.get(URL)
    assert len(page.content) == small
    assert 'name="customer"' not in page.content.decode()
    chosen = client.get(URL, {"customer": acme.public_id, "status": "paid"}).content.decode()
    chip = re.search(r'<span class="chip" data-customer="[^"]+">(.*?)</span>', chosen).group(1)
    assert "ACME Maschinenbau" in chip
    assert 'href="?status=paid"' in chip
    assert f'<input type="hidden" name="customer" value="{acme.public_id}">' in chosen


def _plans(client, url, tenant) -> dict[str, str]:
    """EXPLAIN of every query the page ran on the invoices or customers table, planned in the
    ``tenant`` context the page ran it in, with sequential scans ruled out (small tables)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    statements = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT")
        and ('FROM "billing_stripeinvoice"' in q["sql"] or 'FROM "customers_customer"' in q["sql"])
    ]
    plans = {}
    with tenant, connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        for sql in statements:
            kind = "month" if "MIN(" in sql else "page" if "LIMIT 51" in sql else sql[:60]
            cursor.execute(f"EXPLAIN {sql}")
            plans[kind] = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    return plans


def _analyze(*tables: str) -> None:
    """Statistics and flushed GIN pending lists, as autovacuum keeps them (only the owner may). The
    flush after a transactional test runs as the system role: it may truncate, as the app may."""
    import psycopg

    params = connection.get_connection_params()
    params["user"] = urlsplit(os.environ["DATABASE_URL"]).username  # the migrating owner
    with psycopg.connect(**params, autocommit=True) as owner:
        for table in tables:
            owner.execute(f'VACUUM ANALYZE "{table}"')
        system = dbroles.role_names()[1]
        owner.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{system}"')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_the_page_queries_go_through_their_indexes(
    client_for, alice, alpha, acme, transactional_db
):
    """At 10,000 invoices of 2,000 customers: the page, a later page, the month list, the
    status and customer filters read an index in the list's order (no sort of the workspace's
    invoices); a search by number or by customer name goes through the trigram indexes."""
    customers = [
        acme,
        *Customer.objects.bulk_create(
            Customer(workspace=alpha, company_name=f"Kunde {n:04d}") for n in range(2000)
        ),
    ]
    _invoices(alpha, 10000, customers=customers, same_time=5)
    _invoices(alpha, 5, start=10000, status="uncollectible", payment_status="")
    zeppelin = Customer.objects.create(workspace=alpha, company_name="Zeppelin Werke")
    _invoices(alpha, 3, start=10005, customers=[zeppelin])
    _analyze("billing_stripeinvoice", "customers_customer")
    client = client_for(alice)
    later = _link(client.get(URL), "next")
    cases = {  # the query string, the index, whether rows come in the index's order
        "": ("invoice_list", True),
        later: ("invoice_list", True),
        "status=open": ("invoice_list", True),
        f"customer={acme.public_id}": ("invoice_list_customer", True),
        # Five rows of 10,008: the index finds them, the planner may well sort those five.
        "status=uncollectible": ("invoice_list_status", False),
    }
    for query, (index, ordered) in cases.items():
        plans = _plans(client, f"{URL}?{query}", tenancy.workspace_context(alpha))
        assert f"using {index}" in plans["page"], (query, plans["page"])
        assert not ordered or "Sort" not in plans["page"], (query, plans["page"])
        assert "using invoice_list " in plans["month"], plans["month"]
    # The search reads keys as the system role (upper() and LIKE are not leakproof: below
    # row-level security PostgreSQL could not use a trigram index for them).
    by_number = _plans(client, f"{URL}?q=00123", tenancy.system_context())
    assert "invoice_number_trgm" in by_number["page"], by_number["page"]
    by_name = _plans(client, f"{URL}?q=zeppelin", tenancy.system_context())
    assert any("customer_name_trgm" in plan for plan in by_name.values()), by_name
    response = client.get(URL, {"q": "zeppelin"})
    assert sorted(_shown(response)) == [f"in_{alpha.pk}_{n}" for n in (10005, 10006, 10007)]
