"""The Stripe events page pages by keyset: every event once, the status filter kept in the
links, the same queries for one event as for many, nothing of another workspace."""

import html
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import StripeEvent

URL = "/settings/integrations/events/"


def _events(workspace, count, *, start=0, status=StripeEvent.Status.PROCESSED):
    StripeEvent.objects.bulk_create(
        StripeEvent(
            workspace=workspace,
            stripe_account="acct_1",
            event_id=f"evt_{workspace.pk}_{n}",
            event_type="invoice.paid",
            payload={"id": f"evt_{workspace.pk}_{n}"},
            status=StripeEvent.Status.FAILED if n % 10 == 0 else status,
        )
        for n in range(start, start + count)
    )


def _shown(response) -> list[str]:
    return [event.event_id for event in response.context["page"]]


def _link(response, rel):
    found = re.search(rf'<a href="\?([^"]*)" rel="{rel}"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_it_walks_every_event_once_newest_first(client_for, alice, alpha):
    """120 events received in the same instant: pages of 50, 50, 20, each event once."""
    _events(alpha, 120)
    StripeEvent.objects.filter(workspace=alpha).update(
        received_at=StripeEvent.objects.first().received_at
    )
    expected = list(
        StripeEvent.objects.filter(workspace=alpha)
        .order_by("-id")
        .values_list("event_id", flat=True)
    )
    client = client_for(alice)
    pages = [client.get(URL)]
    while following := _link(pages[-1], "next"):
        pages.append(client.get(f"{URL}?{following}"))
    assert [len(_shown(p)) for p in pages] == [50, 50, 20]
    assert [e for p in pages for e in _shown(p)] == expected
    assert _shown(client.get(f"{URL}?{_link(pages[-1], 'prev')}")) == _shown(pages[1])


def test_the_status_filter_stays_in_the_links(client_for, alice, alpha):
    _events(alpha, 600)
    response = client_for(alice).get(URL, {"status": "failed"})
    following = _link(response, "next")
    assert following.startswith("status=failed&cursor=")
    older = client_for(alice).get(f"{URL}?{following}")
    assert len(_shown(older)) == 10
    assert {e.status for e in older.context["page"]} == {"failed"}


def test_queries_are_the_same_for_one_event_and_for_many(client_for, alice, alpha):
    _events(alpha, 1)
    client = client_for(alice)
    variants = ["", "status=failed", "status=unprocessed", "whose=ours"]
    at_one = {v: _queries(client, f"{URL}?{v}") for v in variants}
    _events(alpha, 300, start=1)
    at_many = {v: _queries(client, f"{URL}?{v}") for v in variants}
    assert at_many == at_one
    assert _queries(client, f"{URL}?{_link(client.get(URL), 'next')}") == at_one[""]


def test_another_workspace_sees_none_of_our_events_nor_reads_our_cursors(
    client_for, alice, charlie, alpha, charlie_ws
):
    _events(alpha, 80)
    _events(charlie_ws, 3)
    cursor = _link(client_for(alice).get(URL), "next").split("cursor=")[1]
    client = client_for(charlie)
    for bad in (cursor, "nonsense"):
        response = client.get(URL, {"cursor": bad})
        assert response.status_code == 200
        assert sorted(_shown(response)) == sorted(f"evt_{charlie_ws.pk}_{n}" for n in range(3))
