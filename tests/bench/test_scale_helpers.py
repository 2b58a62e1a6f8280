"""bench/scale.py's own helpers: the webhook load it generates is what intake accepts, and the
list's "next" link is found the way the pages part follows it."""

import time
from datetime import date
from types import SimpleNamespace

from bench import scale, scale_data
from integrations.models import StripeEvent
from integrations.webhooks.intake import signature_is_valid
from tests import factories

SECRET = "whsec_scale_test_0123456789abcdef"


def test_its_signature_is_the_one_intake_verifies():
    body = b'{"id":"evt_1","object":"event"}'
    now = int(time.time())
    header = scale.stripe_signature(SECRET, body, now)
    assert signature_is_valid(body, header, SECRET, now)
    assert not signature_is_valid(body, header, "whsec_another_secret", now)
    assert not signature_is_valid(body + b" ", header, SECRET, now)


def test_its_webhook_events_are_stored_by_the_intake(client, alpha):
    connection = factories.stripe_connection(alpha, webhook_secret=SECRET)
    built = SimpleNamespace(workspace=alpha, customers=[object()])
    now = int(time.time())
    for i in range(2):
        body = scale.webhook_event(i, "t1", built, now)
        answer = client.post(
            f"/webhooks/stripe/{connection.webhook_token}/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=scale.stripe_signature(SECRET, body, now),
        )
        assert answer.status_code == 200, answer.content
    stored = StripeEvent.objects.filter(workspace=alpha).order_by("event_id")
    assert [e.event_id for e in stored] == ["evt_scale_t1_0", "evt_scale_t1_1"]
    assert not any(e.not_ours for e in stored)


def test_it_finds_the_next_link_of_numbered_and_keyset_lists():
    numbered = (
        '<a href="?status=open&amp;page=1">← Previous</a> <a href="?q=x&amp;page=3">Next →</a>'
    )
    assert scale.next_link(numbered, "/billing/invoices/") == "/billing/invoices/?q=x&page=3"
    assert scale.with_page("/billing/invoices/?q=x&page=3", 2000).endswith("page=2000")
    keyset = '<a href="/help/">Help</a><a class="btn" rel="next" href="?cursor=abc%3D">Older</a>'
    assert scale.next_link(keyset, "/billing/invoices/") == "/billing/invoices/?cursor=abc%3D"
    assert scale.next_link('<a href="?page=2">2</a>', "/x/") is None


def test_its_lua_strings_and_wrk_figures_round_trip():
    assert scale.lua_long_string('{"a":"]]"}') == '[=[{"a":"]]"}]=]'
    stats = scale.parse_wrk_stats(
        'Running 5s test\nSCALE {"requests": 10, "statuses": {"200": 10}}\n'
    )
    assert stats == {"requests": 10, "statuses": {"200": 10}}


def test_its_shape_puts_the_quarter_where_the_issue_asks():
    shape = scale_data.default_shape(small=False)
    start, end = scale_data.measured_quarter(date(2026, 12, 8))
    assert (start, end) == (date(2026, 7, 1), date(2026, 10, 1))
    plan = scale_data.month_plan(shape, start, twin=False)
    assert sum(per for _month, per in plan) * shape.customers == shape.invoices
    quarter = 6 * shape.customers
    lines = [
        scale_data.lines_per_invoice(shape.quarter_supplies, quarter, i) for i in range(quarter)
    ]
    assert sum(lines) == shape.quarter_supplies
    assert scale_data.month_plan(shape, start, twin=True) == [(date(2026, 9, 1), 1)]
