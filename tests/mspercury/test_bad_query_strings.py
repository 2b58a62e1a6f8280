"""No 500 from bad bytes: every query parameter a page reads gets NUL, invalid UTF-8 and huge
values, and answers a clean 400 (or, for odd but well-formed values, an ordinary page).

The parameters are discovered, not listed: each route of the URL configuration is opened once
while ``request.GET`` records which keys the view (and the forms it fills from the query) reads.
A new search box or filter is probed the day it is added.
"""

from decimal import Decimal
from urllib.parse import quote as urlquote

import django.core.handlers.wsgi as wsgi_handler
import pytest
from django.http import QueryDict
from django.test import Client

from mspercury import actions as workspace_actions
from mspercury.models import Membership
from mspercury.request_guard import MAX_QUERY_VALUE, query_string_problem
from quotes import actions as quote_actions
from quotes import sharing
from tests.test_tenancy_sweep import ALL_ROUTES, FACTORIES

_read_keys: list[str] = []


class RecordingQueryDict(QueryDict):
    """A QueryDict that notes every key a view asks for."""

    def __getitem__(self, key):
        _read_keys.append(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        _read_keys.append(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        _read_keys.append(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        _read_keys.append(key)
        return super().__contains__(key)


@pytest.fixture
def recording(monkeypatch):
    monkeypatch.setattr(wsgi_handler, "QueryDict", RecordingQueryDict)
    _read_keys.clear()
    return _read_keys


# Refused by the request guard before any view runs.
BAD_BYTES = {
    "nul": "%00",
    "nul inside": "abc%00def",
    "invalid utf-8": "%FF",
    "truncated utf-8": "%C3%28",
    "huge": "x" * 100_000,
}
# Well-formed but unusual: each view must cope (an empty result, its own 400, a redirect).
ODD_VALUES = [
    "",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "abc",
    "2026-13",
    "0000-00",
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "%25",
    "_",
    "'\"<>",
    urlquote("é☃\U0001f600"),
    "x" * MAX_QUERY_VALUE,
]


def _share_token(workspace, owner):
    customer = FACTORIES["customer_id"](workspace, owner)
    from customers.models import Customer

    quote = quote_actions.do_create_quote(
        workspace, Customer.objects.get(public_id=customer), user=owner
    )
    quote_actions.do_add_line(
        quote,
        description="Sweep line",
        quantity=Decimal("1"),
        unit="unit",
        unit_price=Decimal("10.00"),
        billing_period="monthly",
    )
    _link, token = sharing.do_share_quote(quote, user=owner)
    return token


def _invite_token(workspace, owner):
    inviter = Membership.objects.get(workspace=workspace, user=owner)
    _invite, token = workspace_actions.do_invite(inviter, "sweep-bytes@example.org", "member")
    return token


def _return_ticket(workspace, owner):
    """The signed ticket Checkout brings a payer back with (portal.links.return_ticket)."""
    from billing.models import StripeInvoice
    from portal.links import issue_pay_link, return_ticket
    from tests.test_tenancy_sweep import _stripe_invoice

    invoice = StripeInvoice.objects.get(public_id=_stripe_invoice(workspace, owner))
    return return_ticket(issue_pay_link(invoice)[0])


def _url(route, workspace, owner) -> str | None:
    if route.route.startswith("webhooks/"):
        return None  # POST only, bodies are tested in tests/integrations/test_webhook_bad_bodies
    values = {}
    for name in route.params:
        if name == "token":
            make = _invite_token if route.route.startswith("invite/") else _share_token
            values[name] = make(workspace, owner)
        elif name == "ticket":
            values[name] = _return_ticket(workspace, owner)
        else:
            values[name] = FACTORIES[name](workspace, owner)
    return route.url(values)


def _discover(client, url, recording, **headers) -> list[str]:
    recording.clear()
    client.get(url, **headers)
    return sorted(set(recording))


GET_ROUTES = [r for r in ALL_ROUTES if not r.route.startswith("webhooks/")]
# Views read different parameters for a signed-in page, its htmx fragment and a visitor.
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda r: r.route or "/")
def test_it_answers_bad_bytes_in_every_query_parameter(route, alpha, alice, client_for, recording):
    """Every parameter a page reads: NUL, invalid UTF-8 and 100 kB get 400, odd values no 500."""
    url = _url(route, alpha, alice)
    staff = client_for(alice)
    for client, headers in ((staff, {}), (staff, HTMX), (Client(), {})):
        for key in _discover(client, url, recording, **headers):
            for label, value in BAD_BYTES.items():
                response = client.get(f"{url}?{urlquote(key)}={value}", **headers)
                assert response.status_code == 400, f"{url} ?{key}= {label}"
            for value in ODD_VALUES:
                # The test client re-raises a view's exception: a 500 fails here with its cause.
                response = client.get(f"{url}?{urlquote(key)}={value}", **headers)
                assert response.status_code < 500, f"{url} ?{key}={value[:40]}"


def test_it_discovers_the_search_and_filter_parameters(alpha, alice, client_for, recording):
    """The recorder sees raw reads and form fields, so the sweep above is not vacuous."""
    client = client_for(alice)
    assert {"q", "cursor"} <= set(_discover(client, "/customers/", recording))
    assert {"status", "customer", "period", "q", "cursor"} <= set(
        _discover(client, "/billing/invoices/", recording)
    )
    assert {"status", "cursor"} <= set(
        _discover(client, "/settings/integrations/events/", recording)
    )
    assert {"cursor"} <= set(_discover(client, "/settings/audit/", recording))
    assert {"q", "status", "cursor"} <= set(_discover(client, "/quotes/", recording))
    assert "next" in _discover(Client(), "/login/", recording)


def test_it_refuses_a_nul_in_a_path_token(db, client):
    """A NUL inside a share-link, invite or webhook token answers 400, no lookup is made."""
    for path in ("/q/abc%00def/", "/invite/abc%00def/", "/q/%00/pdf/"):
        assert client.get(path).status_code == 400
    assert client.post("/webhooks/stripe/abc%00def/").status_code == 400


def test_it_refuses_bad_bytes_in_parameters_no_view_reads(db, client):
    """The guard looks at the whole query string, names too, not only what a view reads."""
    assert client.get("/login/?%00=1").status_code == 400
    assert client.get("/login/?x=%FF").status_code == 400
    assert client.get("/login/?" + "x" * (MAX_QUERY_VALUE + 1)).status_code == 400
    assert client.get("/login/?next=/customers/%3Fq%3D%C3%A9").status_code == 200


@pytest.mark.parametrize(
    "raw, problem",
    [
        (b"", None),
        (b"q=abc&page=2", None),
        (b"q=%C3%A9+%E2%98%83", None),
        (b"q=a+b&&x", None),
        (b"q=%00", "NUL"),
        (b"%00=1", "NUL"),
        (b"q=%FF", "UTF-8"),
        (b"q=\xff", "UTF-8"),
        (b"q=%ED%A0%80", "UTF-8"),  # an encoded surrogate is not UTF-8 either
        (b"q=" + b"x" * MAX_QUERY_VALUE, None),
        (b"q=" + b"x" * (MAX_QUERY_VALUE - 1), None),
        (b"q=" + b"x" * (MAX_QUERY_VALUE + 1), "too long"),
    ],
)
def test_query_string_problem(raw, problem):
    """The pure check: NUL, invalid UTF-8 and over-long parameters are named, the rest passes."""
    found = query_string_problem(raw)
    if problem is None:
        assert found is None
    else:
        assert found and problem in found
