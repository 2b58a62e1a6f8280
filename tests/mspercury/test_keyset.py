"""Keyset pagination (mspercury.keyset): signed cursors, and walks that show every row once in
both directions, through ties and NULLs."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing

from billing.models import StripeInvoice
from customers.models import Customer
from mspercury.keyset import AFTER, BEFORE, Keyset, decode, encode

NAME_FIELDS = [Customer._meta.get_field("company_name"), Customer._meta.get_field("id")]
TIME_FIELDS = [StripeInvoice._meta.get_field("created"), StripeInvoice._meta.get_field("id")]


def test_a_cursor_reads_back_its_direction_and_values():
    """Values come back typed by their fields: a datetime stays an aware datetime."""
    when = datetime(2026, 11, 5, 9, 30, 15, 123456, tzinfo=UTC)
    assert decode(encode(AFTER, [when, 42], "s"), "s", TIME_FIELDS) == (AFTER, [when, 42])
    assert decode(encode(BEFORE, [None, 7], "s"), "s", TIME_FIELDS) == (BEFORE, [None, 7])
    assert decode(encode(AFTER, ["Ä & Co", 3], "s"), "s", NAME_FIELDS) == (AFTER, ["Ä & Co", 3])


@pytest.mark.parametrize(
    "cursor",
    [
        None,
        "",
        "garbage",
        encode(AFTER, ["Acme", 1], "another workspace"),
        encode(AFTER, ["Acme", 1], "s")[:-1] + "x",
        signing.dumps(["sideways", ["Acme", 1]], salt="mspercury.keyset:s"),
        signing.dumps([AFTER, ["Acme"]], salt="mspercury.keyset:s"),
        signing.dumps([AFTER, "Acme"], salt="mspercury.keyset:s"),
        signing.dumps([AFTER, ["Acme", "one"]], salt="mspercury.keyset:s"),
        signing.dumps([AFTER, [None, 1]], salt="mspercury.keyset:s"),
        signing.dumps(AFTER, salt="mspercury.keyset:s"),
    ],
)
def test_a_cursor_not_made_for_this_list_reads_as_none(cursor):
    """Forged, altered, foreign-scoped or malformed cursors all mean "the first page"."""
    assert decode(cursor, "s", NAME_FIELDS) == (None, None)


def test_a_cursor_with_a_value_its_field_cannot_read_reads_as_none():
    forged = signing.dumps([AFTER, ["yesterday", 1]], salt="mspercury.keyset:s")
    assert decode(forged, "s", TIME_FIELDS) == (None, None)


def _walk(pages: Keyset, queryset, scope="s"):
    """Every page forward from the first, then every page back from the last."""
    forward = [pages.page(queryset, None, scope=scope)]
    while forward[-1].has_next:
        forward.append(pages.page(queryset, forward[-1].next_cursor, scope=scope))
    backward = [forward[-1]]
    while backward[-1].has_previous:
        backward.append(pages.page(queryset, backward[-1].previous_cursor, scope=scope))
    return [list(p) for p in forward], [list(p) for p in reversed(backward)]


def test_a_walk_through_ties_shows_each_row_once_both_ways(alpha):
    """Eleven customers, four names: pages of three break the ties by id, and the way back
    shows the very same pages."""
    Customer.objects.bulk_create(
        Customer(workspace=alpha, company_name=name)
        for name in ["Beta"] * 4 + ["Alpha"] * 3 + ["Gamma"] * 2 + ["Delta"] * 2
    )
    queryset = Customer.objects.filter(workspace=alpha)
    expected = list(queryset.order_by("company_name", "id"))
    forward, backward = _walk(Keyset("company_name", "id", size=3), queryset)
    assert [c for page in forward for c in page] == expected
    assert [len(page) for page in forward] == [3, 3, 3, 2]
    assert backward == forward


@pytest.mark.parametrize("ordering", [("-created", "-id"), ("created", "id")])
def test_rows_without_a_value_sort_as_the_largest_and_are_not_lost(alpha, ordering):
    """NULL counts as larger than any time, newest-first and oldest-first, on every page."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    StripeInvoice.objects.bulk_create(
        StripeInvoice(
            workspace=alpha,
            account_ref="acct_1",
            stripe_id=f"in_{n}",
            status="open",
            currency="EUR",
            created=None if n % 4 == 0 else start + timedelta(days=n // 3),
        )
        for n in range(14)
    )
    queryset = StripeInvoice.objects.filter(workspace=alpha)
    forward, backward = _walk(Keyset(*ordering, size=4), queryset)
    shown = [invoice for page in forward for invoice in page]
    descending = ordering[0].startswith("-")
    nulls = sorted((i for i in shown if i.created is None), key=lambda i: i.pk, reverse=descending)
    dated = sorted(
        (i for i in shown if i.created is not None),
        key=lambda i: (i.created, i.pk),
        reverse=descending,
    )
    assert shown == (nulls + dated if descending else dated + nulls)
    assert len(shown) == 14
    assert backward == forward


def test_a_page_past_the_end_is_empty_and_leads_back(alpha):
    """A cursor whose rows were deleted meanwhile gives an empty page with a Newer link."""
    customers = Customer.objects.bulk_create(
        Customer(workspace=alpha, company_name=f"C{n}") for n in range(4)
    )
    pages = Keyset("company_name", "id", size=2)
    queryset = Customer.objects.filter(workspace=alpha)
    second = pages.page(queryset, pages.page(queryset, None, scope="s").next_cursor, scope="s")
    Customer.objects.filter(pk__in=[c.pk for c in customers[2:]]).delete()
    stale = pages.page(queryset, second.previous_cursor, scope="s")
    assert list(stale) == customers[:2]
    gone = pages.page(queryset, encode(AFTER, ["C3", customers[3].pk], "s"), scope="s")
    assert list(gone) == [] and not gone.has_next
    assert list(pages.page(queryset, gone.previous_cursor, scope="s")) == customers[:2]


def test_pages_cost_one_query_each(alpha, django_assert_num_queries):
    Customer.objects.bulk_create(Customer(workspace=alpha, company_name=f"C{n}") for n in range(9))
    pages = Keyset("company_name", "id", size=4)
    queryset = Customer.objects.filter(workspace=alpha)
    with django_assert_num_queries(1):
        first = pages.page(queryset, None, scope="s")
    with django_assert_num_queries(1):
        pages.page(queryset, first.next_cursor, scope="s")
