"""A failed push or contract change notifies the quote's owner (bell and mail, with a link);
the notification is marked resolved, no longer unread, once the retry succeeds."""

import time

from integrations.push.actions import do_retry_push, do_start_amendment, do_start_push
from integrations.push.amend_executor import execute_amendment
from integrations.push.executor import execute_push
from mspercury.models import Notification
from tests.integrations.push.test_amendments import _amend_and_reaccept, _monthly, _pushed


def _unread(client) -> int:
    return int(str(client.get("/billing/notifications/").context["unread_notifications"]))


def test_a_failed_push_tells_its_owner_and_is_resolved_by_the_retry(
    connection,
    mixed_quote,
    alice,
    dana,
    stripe_api,
    smtp_server,
    client_for,
    django_capture_on_commit_callbacks,
):
    stripe_api.fault("error", method="POST", path="/v1/subscriptions", status=500, count=100)
    push, _ = do_start_push(None, mixed_quote, actor=alice)
    with django_capture_on_commit_callbacks(execute=True):  # its mail waits for the commit
        assert execute_push(push.pk) == "failed"
    notice = Notification.objects.get(kind=Notification.Kind.PUSH_FAILED)
    assert notice.recipient == alice
    assert notice.url == f"/quotes/{mixed_quote.public_id}/stripe/"
    mails = [m for m in smtp_server.wait(2, timeout=2) if "Push of" in m["Subject"]]
    assert [m["To"] for m in mails] == ["alice@example.org"]  # the owner, not the admin
    assert f"/quotes/{mixed_quote.public_id}/stripe/" in smtp_server.text(mails[0])
    client = client_for(alice)
    assert _unread(client) == 1
    stripe_api.clear_faults()
    push.refresh_from_db()
    assert do_retry_push(None, push)
    assert execute_push(push.pk) == "succeeded"
    notice.refresh_from_db()
    assert notice.resolved_at is not None
    assert _unread(client) == 0
    assert "data-resolved" in client.get("/billing/notifications/").content.decode()


def test_a_failed_contract_change_tells_its_owner_until_it_goes_through(
    connection,
    mixed_quote,
    alice,
    stripe_api,
    smtp_server,
    client_for,
    django_capture_on_commit_callbacks,
):
    push = _pushed(mixed_quote, alice)
    _amend_and_reaccept(mixed_quote)
    monthly = _monthly(stripe_api)
    amendment, _ = do_start_amendment(
        None, push, timing="always_invoice", proration_date=int(time.time()), actor=alice
    )
    stripe_api.fault("error", method="POST", path=f"/v1/subscriptions/{monthly.id}", count=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert execute_amendment(amendment.pk) == "failed"
    notice = Notification.objects.get(kind=Notification.Kind.AMENDMENT_FAILED)
    assert notice.recipient == alice and notice.resolved_at is None
    assert notice.url == f"/quotes/{mixed_quote.public_id}/stripe/amend/"
    mails = [m for m in smtp_server.wait(3, timeout=2) if "in Stripe failed" in m["Subject"]]
    assert [m["To"] for m in mails] == ["alice@example.org"]
    before = _unread(client_for(alice))  # the re-acceptance and the failure
    stripe_api.clear_faults()
    push.refresh_from_db()
    do_start_amendment(None, push, timing="always_invoice", proration_date=int(time.time()))
    assert execute_amendment(amendment.pk) == "succeeded"
    notice.refresh_from_db()
    assert notice.resolved_at is not None
    assert _unread(client_for(alice)) == before - 1


def test_the_owner_who_turned_mail_off_gets_the_bell_only(
    connection,
    mixed_quote,
    alice,
    stripe_api,
    smtp_server,
    client_for,
    django_capture_on_commit_callbacks,
):
    alice.mail_muted_kinds = [Notification.Kind.PUSH_FAILED]
    alice.save()
    stripe_api.fault("error", method="POST", path="/v1/subscriptions", status=500, count=100)
    push, _ = do_start_push(None, mixed_quote, actor=alice)
    with django_capture_on_commit_callbacks(execute=True):  # its mail waits for the commit
        assert execute_push(push.pk) == "failed"
    assert Notification.objects.filter(kind="push_failed", recipient=alice).exists()
    assert [m for m in smtp_server.wait(1, timeout=1) if "Push of" in m["Subject"]] == []
    assert _unread(client_for(alice)) == 1
