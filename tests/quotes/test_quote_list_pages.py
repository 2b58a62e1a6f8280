"""The quotes list pages by keyset: every quote once, newest first, filters kept in the links,
a later page costs what the first costs, another workspace's cursor leads to the first page."""

import html
import re
from datetime import UTC, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from quotes import actions
from quotes.models import Quote
from tests import factories

URL = "/quotes/"


def _shown(response) -> list[str]:
    return [quote.number for quote in response.context["page"]]


def _link(response, rel):
    found = re.search(rf'<a href="\?([^"]*)" rel="{rel}"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_it_walks_every_quote_once_through_equal_times(client_for, alice, alpha, acme):
    """60 quotes made in the same second: three pages of 25, 25, 10, each quote once, newest
    (highest id) first; the Previous link walks back the same pages."""
    for _ in range(60):
        actions.do_create_quote(alpha, acme)
    Quote.objects.filter(workspace=alpha).update(created_at=datetime(2026, 11, 5, tzinfo=UTC))
    expected = list(
        Quote.objects.filter(workspace=alpha).order_by("-id").values_list("number", flat=True)
    )
    client = client_for(alice)
    pages = [client.get(URL, {"status": "draft"})]
    while following := _link(pages[-1], "next"):
        assert following.startswith("status=draft&cursor=")
        pages.append(client.get(f"{URL}?{following}"))
    assert [len(_shown(p)) for p in pages] == [25, 25, 10]
    assert [n for p in pages for n in _shown(p)] == expected
    back = client.get(f"{URL}?{_link(pages[-1], 'prev')}")
    assert _shown(back) == _shown(pages[1])
    assert _queries(client, f"{URL}?{_link(pages[0], 'next')}") == _queries(client, URL)


def test_another_workspaces_cursor_opens_the_first_page(client_for, alice, charlie, alpha):
    """Charlie never sees Alpha's quotes; Alpha's cursor or a forged one is just ignored."""
    theirs = factories.customer(alpha, "DE")
    for _ in range(30):
        actions.do_create_quote(alpha, theirs)
    cursor = _link(client_for(alice).get(URL), "next").split("cursor=")[1]
    client = client_for(charlie)
    for bad in (cursor, "not-a-cursor"):
        response = client.get(URL, {"cursor": bad})
        assert response.status_code == 200 and _shown(response) == []
