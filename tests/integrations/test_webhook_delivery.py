"""What one webhook delivery costs and what it promises (issue 25, point 1): one statement to
store it, a rate limit that counts in memory, last_event_at at most once a minute, nothing that
was answered 2xx lost and nothing stored processed twice."""

import json
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection as database
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import StripeInvoice
from integrations.models import StripeConnection, StripeEvent, WebhookStatus
from integrations.tasks import process_stripe_event
from integrations.webhooks import dispatch, endpoints
from integrations.webhooks import views as webhook_views
from mspercury import ratelimit
from tests import factories
from tests.integrations.test_webhook_bad_bodies import _event

SECRET = "whsec_test_delivery_secret_0123456789"


@pytest.fixture
def endpoint(alpha):
    return factories.stripe_connection(
        alpha,
        "rk_test_delivery_key_abcd",
        webhook_secret=SECRET,
        account_id="acct_1DeliveryTest",
        webhook_status=WebhookStatus.REGISTERED,
    )


@pytest.fixture
def queued(monkeypatch):
    """The processing tasks the view queued (workspace id, event id), instead of running them."""
    calls = []

    class Task:
        @staticmethod
        def delay(*args):
            calls.append(args)

    monkeypatch.setattr(webhook_views, "process_stripe_event", Task)
    return calls


def _body(event_id="evt_1", **changes) -> bytes:
    return json.dumps(_event(id=event_id, **changes)).encode()


def _post(client, conn, body: bytes, secret=SECRET, timestamp=None):
    from tests.integrations.test_webhook_signature import _header

    header = _header(body, secret, int(time.time()) if timestamp is None else timestamp)
    return client.post(
        f"/webhooks/stripe/{conn.webhook_token}/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )


def _statements(context) -> list[str]:
    return [query["sql"].split()[0] for query in context.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_a_delivery_costs_one_statement_and_commits_on_its_own(client, alpha, queued):
    """No BEGIN/COMMIT (the statement commits itself); the first delivery reads the connection,
    the next ones only store; a duplicate costs the same one statement and queues nothing."""
    conn = factories.stripe_connection(
        alpha, "rk_test_delivery_key_abcd", webhook_secret=SECRET, account_id="acct_1Count"
    )
    with CaptureQueriesContext(database) as first:
        assert _post(client, conn, _body("evt_1")).json() == {"received": True, "duplicate": False}
    assert _statements(first) == ["SELECT", "WITH"]
    with CaptureQueriesContext(database) as second:
        assert _post(client, conn, _body("evt_2")).status_code == 200
    assert _statements(second) == ["WITH"]
    with CaptureQueriesContext(database) as duplicate:
        assert _post(client, conn, _body("evt_2")).json() == {"received": True, "duplicate": True}
    assert _statements(duplicate) == ["WITH"]
    rows = dict(StripeEvent.objects.values_list("event_id", "pk"))
    assert queued == [(alpha.pk, rows["evt_1"]), (alpha.pk, rows["evt_2"])]


@pytest.mark.django_db(transaction=True)
def test_the_workspace_of_an_autocommit_delivery_does_not_leak(client, alpha, charlie, queued):
    """The delivery leaves its tenancy on the database session; the next request and any code
    without a workspace still see only their own rows."""
    from mspercury import tenancy

    conn = factories.stripe_connection(alpha, "rk_test_delivery_key_abcd", webhook_secret=SECRET)
    assert _post(client, conn, _body("evt_alphas_own")).status_code == 200
    factories.sign_in(client, charlie)
    page = client.get("/settings/integrations/events/")
    assert page.status_code == 200 and "evt_alphas_own" not in page.content.decode()
    with tenancy.no_workspace():
        assert not StripeEvent.objects.exists()
    with tenancy.workspace_context(alpha):
        assert StripeEvent.objects.get().event_id == "evt_alphas_own"


def test_the_stored_event_is_the_body_as_sent(client, endpoint, queued):
    body = _body("evt_raw", created=1_800_000_000, api_version="2026-10-28.endive")
    assert _post(client, endpoint, body).status_code == 200
    row = StripeEvent.objects.get()
    assert row.payload == json.loads(body)
    assert (row.workspace_id, row.stripe_account, row.event_type, row.livemode) == (
        endpoint.workspace_id,
        "acct_1DeliveryTest",
        "invoice.paid",
        False,
    )
    assert (row.api_version, int(row.created.timestamp())) == ("2026-10-28.endive", 1_800_000_000)
    assert (row.status, row.attempts, row.error, row.not_ours) == ("received", 0, "", False)


def test_refused_deliveries_store_nothing_and_record_the_failure(client, endpoint, queued):
    """A tampered body, another secret and an old timestamp answer 400; the settings card learns
    that a delivery failed."""
    from tests.integrations.test_webhook_signature import _header

    body = _body()
    tampered = client.post(
        f"/webhooks/stripe/{endpoint.webhook_token}/",
        data=body.replace(b"in_1", b"in_2"),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_header(body, SECRET, int(time.time())),
    )
    assert tampered.status_code == 400
    assert _post(client, endpoint, body, secret="whsec_not_ours_at_all").status_code == 400
    assert _post(client, endpoint, body, timestamp=int(time.time()) - 301).status_code == 400
    assert not StripeEvent.objects.exists() and queued == []
    endpoint.refresh_from_db()
    assert endpoint.last_delivery_error == "A delivery failed signature verification."
    assert endpoint.webhook_state == ("red", "Set up, but the last delivery failed")


def test_another_workspaces_event_is_answered_and_not_kept(
    client, endpoint, charlie_ws, django_capture_on_commit_callbacks
):
    """An object marked with another workspace (shared Stripe account) costs no statement."""
    theirs = {"id": "in_9", "metadata": {"mspercury_workspace": str(charlie_ws.public_id)}}
    assert _post(client, endpoint, _body("evt_warmup")).status_code == 200
    with (
        CaptureQueriesContext(database) as context,
        django_capture_on_commit_callbacks() as callbacks,
    ):
        response = _post(client, endpoint, _body("evt_theirs", data={"object": theirs}))
    assert response.json() == {"received": True, "duplicate": True}
    assert context.captured_queries == [] and callbacks == []
    assert list(StripeEvent.objects.values_list("event_id", flat=True)) == ["evt_warmup"]


def test_our_and_nobodys_events_are_stored_and_queued(
    client, endpoint, alpha, django_capture_on_commit_callbacks
):
    """Ours (our mark) and nobody's (no mark) are kept; the task tells them apart."""
    ours = {"id": "in_1", "metadata": {"mspercury_workspace": str(alpha.public_id)}}
    with django_capture_on_commit_callbacks() as callbacks:
        assert _post(client, endpoint, _body("evt_ours", data={"object": ours})).status_code == 200
        assert _post(client, endpoint, _body("evt_nobody")).status_code == 200
    assert StripeEvent.objects.count() == 2 and len(callbacks) == 2


def test_last_event_at_is_written_at_most_once_a_minute(client, endpoint, queued):
    assert _post(client, endpoint, _body("evt_1")).status_code == 200
    endpoint.refresh_from_db()
    first = endpoint.last_event_at
    assert first is not None
    a_moment_ago = first - timedelta(seconds=30)
    StripeConnection.objects.filter(pk=endpoint.pk).update(last_event_at=a_moment_ago)
    assert _post(client, endpoint, _body("evt_2")).status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.last_event_at == a_moment_ago  # written less than a minute ago: kept
    long_ago = first - timedelta(seconds=61)
    StripeConnection.objects.filter(pk=endpoint.pk).update(last_event_at=long_ago)
    assert _post(client, endpoint, _body("evt_3")).status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.last_event_at > long_ago


@pytest.mark.django_db(transaction=True)
def test_a_good_delivery_after_a_failed_one_turns_the_card_green_at_once(client, alpha, queued):
    """Within the minute, but after a failed delivery, last_event_at is written again."""
    conn = factories.stripe_connection(
        alpha, "rk_test_delivery_key_abcd", webhook_secret=SECRET, webhook_status="registered"
    )
    assert _post(client, conn, _body("evt_1")).status_code == 200
    assert _post(client, conn, _body("evt_2"), secret="whsec_forged_secret").status_code == 400
    conn.refresh_from_db()
    assert conn.webhook_state[0] == "red"
    assert _post(client, conn, _body("evt_3")).status_code == 200
    conn.refresh_from_db()
    assert conn.webhook_state == ("green", "Receiving events")


class TestTheKeptEndpoint:
    """The connection kept in memory never stores what the row as it is now would refuse."""

    def test_a_new_secret_works_at_once_and_the_old_one_stops(self, client, endpoint, queued):
        assert _post(client, endpoint, _body("evt_1")).status_code == 200  # now kept
        endpoint.webhook_secret = "whsec_rolled_secret_987654321"
        endpoint.save()
        new = _post(client, endpoint, _body("evt_2"), secret="whsec_rolled_secret_987654321")
        assert new.status_code == 200
        assert _post(client, endpoint, _body("evt_3")).status_code == 400
        assert set(StripeEvent.objects.values_list("event_id", flat=True)) == {"evt_1", "evt_2"}

    def test_a_re_encrypted_secret_costs_one_look_up(self, client, endpoint, queued):
        """Same secret, new ciphertext (key rotation): the guard notices, one SELECT, stored."""
        assert _post(client, endpoint, _body("evt_1")).status_code == 200
        endpoint.webhook_secret = SECRET
        endpoint.save()
        with CaptureQueriesContext(database) as context:
            assert _post(client, endpoint, _body("evt_2")).json()["duplicate"] is False
        assert _statements(context) == ["WITH", "SELECT", "WITH"]
        assert StripeEvent.objects.count() == 2

    def test_a_disconnected_endpoint_answers_404(self, client, endpoint, queued):
        assert _post(client, endpoint, _body("evt_1")).status_code == 200
        StripeConnection.objects.filter(pk=endpoint.pk).delete()
        assert _post(client, endpoint, _body("evt_2")).status_code == 404
        assert list(StripeEvent.objects.values_list("event_id", flat=True)) == ["evt_1"]

    def test_a_key_of_the_other_mode_refuses_the_old_modes_events(self, client, endpoint, queued):
        assert _post(client, endpoint, _body("evt_1")).status_code == 200
        StripeConnection.objects.filter(pk=endpoint.pk).update(mode="live")
        assert _post(client, endpoint, _body("evt_2")).status_code == 400
        assert _post(client, endpoint, _body("evt_3", livemode=True)).status_code == 200
        assert list(StripeEvent.objects.values_list("event_id", flat=True).order_by("id")) == [
            "evt_1",
            "evt_3",
        ]

    def test_a_kept_entry_never_shows_its_secret_or_token(self, endpoint):
        """Error mails and debug pages print local variables: the repr leaves both out."""
        shown = repr(endpoints.find(endpoint.webhook_token))
        assert SECRET not in shown and endpoint.webhook_token not in shown
        assert "acct_1DeliveryTest" in shown

    def test_entries_are_read_again_after_a_while(self, endpoint, monkeypatch):
        kept = endpoints.find(endpoint.webhook_token)
        assert endpoints.find(endpoint.webhook_token) is kept
        later = kept.read_at + endpoints.KEEP_SECONDS + 1
        monkeypatch.setattr(endpoints, "_clock", lambda: later)
        assert endpoints.find(endpoint.webhook_token) is not kept


class TestRateLimit:
    def test_deliveries_beyond_the_limit_answer_429(self, client, endpoint, settings, queued):
        settings.MSPERCURY_WEBHOOK_RATE = (5, 10**9)  # one window for the whole test
        answers = [_post(client, endpoint, _body(f"evt_{n}")).status_code for n in range(7)]
        assert answers == [200] * 5 + [429] * 2
        assert StripeEvent.objects.count() == 5

    def test_the_default_takes_a_month_end_burst(self, settings):
        """Ten times the old 600 a minute, per endpoint."""
        limit, window = settings.MSPERCURY_WEBHOOK_RATE
        assert (limit, window) == (6000, 60)

    def test_it_asks_the_cache_far_less_than_once_per_request(self, monkeypatch):
        """One share of 60 hits costs an add and an incr (three Redis round trips)."""
        trips = []
        for name in ("add", "incr", "get", "set"):
            real = getattr(cache, name)
            monkeypatch.setattr(
                cache,
                name,
                lambda *a, _real=real, _name=name, **k: trips.append(_name) or _real(*a, **k),
            )
        now = 1_800_000_000.0
        allowed = [ratelimit.hit_shared("t", "k", 6000, 60, now=now) for _ in range(6001)]
        assert allowed == [True] * 6000 + [False]
        assert len(trips) <= 6000 / 60 * 2 + 2  # add + incr once per share of 60
        ratelimit.forget_shares()
        assert ratelimit.hit_shared("t", "k", 6000, 60, now=now + 60)  # the next window

    def test_processes_together_never_pass_more_than_the_limit(self, monkeypatch):
        """Three processes (each its own shares) hitting in turn: exactly the limit passes."""
        now = 1_800_000_000.0
        processes = [{}, {}, {}]
        passed = 0
        for n in range(1000):
            monkeypatch.setattr(ratelimit, "_reserves", processes[n % 3])
            passed += ratelimit.hit_shared("t", "shared", 250, 60, now=now)
        assert passed == 250


class TestNothingLost:
    def test_an_event_whose_task_was_not_queued_is_processed_by_the_sweep(
        self, client, endpoint, monkeypatch, django_capture_on_commit_callbacks
    ):
        class Unreachable:
            @staticmethod
            def delay(*args):
                raise ConnectionError("broker down")

        monkeypatch.setattr(webhook_views, "process_stripe_event", Unreachable)
        body = _body("evt_lost", type="customer.created")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert _post(client, endpoint, body).status_code == 200  # stored, so answered
        assert len(callbacks) == 1  # the queueing was tried (and failed)
        row = StripeEvent.objects.get()
        assert row.status == StripeEvent.Status.RECEIVED
        later = timezone.now() + dispatch.LOST_AFTER + timedelta(seconds=1)
        assert dispatch.retry_all_due(now=later) == {"ignored": 1}
        assert dispatch.retry_all_due(now=later) == {}  # once
        row.refresh_from_db()
        assert (row.status, row.attempts) == (StripeEvent.Status.IGNORED, 1)

    def test_the_task_processes_a_stored_event_exactly_once(
        self, client, connection, alpha, stripe_api, django_capture_on_commit_callbacks
    ):
        """A real invoice event, delivered twice and its task run twice: one mirror, one
        attempt."""
        connection.webhook_secret = SECRET
        connection.save()
        sk = stripe_api.client()
        customer = sk.v1.customers.create({"name": "Once GmbH"})
        mark = {"mspercury_workspace": str(alpha.public_id)}
        invoice = sk.v1.invoices.create({"customer": customer.id, "metadata": mark})
        event = sk.v1.events.list({"type": "invoice.created"}).data[0]
        body = json.dumps(event.to_dict(), default=str).encode()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert _post(client, connection, body).json()["duplicate"] is False
            assert _post(client, connection, body).json()["duplicate"] is True
        assert len(callbacks) == 1
        row = StripeEvent.objects.get()
        assert (row.status, row.attempts) == (StripeEvent.Status.PROCESSED, 1)
        assert process_stripe_event.apply(args=(alpha.pk, row.pk)).get() == "processed"
        row.refresh_from_db()
        assert row.attempts == 1
        assert StripeInvoice.objects.filter(stripe_id=invoice.id).count() == 1


class TestTheDemosPath:
    """Without PostgreSQL (the SQLite demo) the same steps run one by one, with the same result."""

    @pytest.fixture(autouse=True)
    def _not_postgresql(self, monkeypatch):
        from types import SimpleNamespace

        from integrations.webhooks import store

        monkeypatch.setattr(store, "database", SimpleNamespace(vendor="sqlite"))

    def test_it_stores_once_and_keeps_last_event_at(self, client, endpoint, queued):
        first = _post(client, endpoint, _body("evt_1"))
        assert first.json() == {"received": True, "duplicate": False}
        assert _post(client, endpoint, _body("evt_1")).json()["duplicate"] is True
        row = StripeEvent.objects.get()
        assert (row.event_id, row.stripe_account, row.status) == (
            "evt_1",
            "acct_1DeliveryTest",
            "received",
        )
        endpoint.refresh_from_db()
        assert endpoint.last_event_at is not None
        a_moment_ago = endpoint.last_event_at - timedelta(seconds=30)
        StripeConnection.objects.filter(pk=endpoint.pk).update(last_event_at=a_moment_ago)
        assert _post(client, endpoint, _body("evt_2")).status_code == 200
        endpoint.refresh_from_db()
        assert endpoint.last_event_at == a_moment_ago

    def test_a_changed_connection_is_read_again(self, client, endpoint, queued):
        assert _post(client, endpoint, _body("evt_1")).status_code == 200
        endpoint.webhook_secret = "whsec_rolled_secret_987654321"
        endpoint.save()
        new = _post(client, endpoint, _body("evt_2"), secret="whsec_rolled_secret_987654321")
        assert new.status_code == 200
        assert StripeEvent.objects.count() == 2
