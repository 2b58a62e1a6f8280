"""A failed push that billed nothing can be discarded and pushed afresh, reusing what it
created; once it tried a subscription or invoice, only a retry (which finds it) is offered."""

from integrations.models import Push
from integrations.push.executor import execute_push
from mspercury.models import AuditEvent


def _failed_at(stripe_api, client, quote, path):
    stripe_api.fault("error", method="POST", path=path, count=None, status=500, should_retry=False)
    client.post(f"/quotes/{quote.public_id}/stripe/push/", {})
    push = Push.objects.get(quote=quote)  # the task runs on commit: here, by hand
    assert execute_push(push.pk) == "failed"
    stripe_api.clear_faults()
    return push


def test_it_discards_a_push_that_billed_nothing_and_reuses_its_customer(
    client_for, connection, mixed_quote, alice, stripe_api, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    _failed_at(stripe_api, client, mixed_quote, "/v1/products")
    page = client.get(f"/quotes/{mixed_quote.public_id}/stripe/").content.decode()
    assert 'id="push-discard"' in page and "Re-plan and retry" in page
    r = client.post(f"/quotes/{mixed_quote.public_id}/stripe/discard/")
    assert r.status_code == 302 and not Push.objects.filter(quote=mixed_quote).exists()
    assert AuditEvent.objects.filter(action="stripe.push_discarded").exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/quotes/{mixed_quote.public_id}/stripe/push/", {})
    push = Push.objects.get(quote=mixed_quote)
    if push.status != Push.Status.SUCCEEDED:
        assert execute_push(push.pk) == "succeeded", push.error
    sk = stripe_api.client()
    assert len(sk.v1.customers.list().data) == 1  # the discarded push's customer, reused
    assert len(sk.v1.subscriptions.list().data) == 2


def test_it_refuses_to_discard_once_a_subscription_was_tried(
    client_for, connection, mixed_quote, alice, bob, stripe_api
):
    client = client_for(alice)
    _failed_at(stripe_api, client, mixed_quote, "/v1/subscriptions")
    r = client.post(f"/quotes/{mixed_quote.public_id}/stripe/discard/", follow=True)
    assert "retry it, so that nothing is billed twice" in r.content.decode()
    assert Push.objects.get(quote=mixed_quote).status == Push.Status.FAILED
    client_for(bob).post(f"/quotes/{mixed_quote.public_id}/stripe/discard/")
    assert Push.objects.filter(quote=mixed_quote).exists()
