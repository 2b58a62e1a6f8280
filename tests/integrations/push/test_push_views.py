"""The violet Stripe block, the preview and the push page."""

from django.conf import settings

from integrations.models import Push


def _page(quote):
    return f"/quotes/{quote.public_id}/stripe/"


def test_the_preview_shows_what_will_be_created(
    client_for, alice, connection, mixed_quote, stripe_api
):
    stripe_api.clear_requests()
    html = client_for(alice).get(_page(mixed_quote)).content.decode()
    assert "Will be created in Stripe" in html
    assert "├─ [Subscription]  6× monthly recurring + 2× one-time on first invoice" in html
    assert "└─ [Subscription]  1× yearly recurring" in html
    assert "billed as 1 × 142.50 EUR (1.5 × hour à 95.00 EUR)" in html
    assert "TEST" in html
    assert stripe_api.requests(method="POST") == []  # previewing sends nothing


def test_the_quote_page_offers_the_push_and_shows_test_mode(
    client_for, alice, connection, mixed_quote
):
    html = client_for(alice).get(f"/quotes/{mixed_quote.public_id}/").content.decode()
    assert "Create Stripe invoice" in html and "TEST" in html


def test_pushing_from_the_page_runs_and_shows_the_ids(
    client_for, alice, connection, mixed_quote, stripe_api, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/quotes/{mixed_quote.public_id}/stripe/push/")
    assert r.status_code == 302
    push = Push.objects.get()
    assert push.status == "succeeded", push.error
    sub_ids = [s.stripe_id for s in push.steps.filter(kind="subscription")]
    html = client.get(f"/quotes/{mixed_quote.public_id}/").content.decode()
    assert "Already pushed to Stripe" in html
    for sub_id in sub_ids:
        assert sub_id in html
        assert f"https://dashboard.stripe.com/test/subscriptions/{sub_id}" in html
    # A second click creates nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(f"/quotes/{mixed_quote.public_id}/stripe/push/")
    assert callbacks == []
    assert Push.objects.count() == 1


def test_edits_after_the_push_are_not_pushed_silently(
    client_for, alice, connection, mixed_quote, django_capture_on_commit_callbacks
):
    from quotes.actions import do_update_line

    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/quotes/{mixed_quote.public_id}/stripe/push/")
    line = mixed_quote.lines.first()
    do_update_line(line, quantity=line.quantity + 1)
    html = client.get(f"/quotes/{mixed_quote.public_id}/").content.decode()
    assert "edited after the push" in html
    assert "Once the customer accepts the new revision, apply it" in html
    assert f"/quotes/{mixed_quote.public_id}/stripe/amend/" in html


def test_blocking_problems_disable_the_push(client_for, alice, connection, mixed_quote, stripe_api):
    stripe_api.clear_requests()  # connecting asked the key's write permissions (no writes)
    mixed_quote.customer.email = ""
    mixed_quote.customer.save()
    client = client_for(alice)
    html = client.get(_page(mixed_quote)).content.decode()
    assert "Customer has no email address" in html
    assert f"/customers/{mixed_quote.customer.public_id}/edit/" in html
    client.post(f"/quotes/{mixed_quote.public_id}/stripe/push/")
    assert not Push.objects.exists()
    assert stripe_api.requests(method="POST") == []


def test_a_member_sees_the_preview_but_cannot_push(client_for, bob, connection, mixed_quote):
    client = client_for(bob)
    assert "Only owners and admins can push" in client.get(_page(mixed_quote)).content.decode()
    assert client.post(f"/quotes/{mixed_quote.public_id}/stripe/push/").status_code == 403
    assert not Push.objects.exists()


def test_an_outsider_gets_404(client_for, charlie, connection, mixed_quote):
    client = client_for(charlie)
    assert client.get(_page(mixed_quote)).status_code == 404
    assert client.post(f"/quotes/{mixed_quote.public_id}/stripe/push/").status_code == 404


def test_admins_choose_how_fractional_quantities_are_pushed(
    client_for, alice, bob, connection, mixed_quote
):
    from integrations.models import PushSettings

    client = client_for(alice)
    r = client.post("/settings/integrations/push/", {"quantity_mode": "round"})
    assert r.status_code == 302
    assert PushSettings.objects.get(workspace=mixed_quote.workspace).quantity_mode == "round"
    html = client.get(_page(mixed_quote)).content.decode()
    assert "quantity 1.5 rounded to 2; amount 142.50 EUR → 190.00 EUR" in html
    assert (
        client_for(bob).post("/settings/integrations/push/", {"quantity_mode": "exact"}).status_code
        == 403
    )


def test_the_steps_a_worker_wrote_read_in_the_viewers_language(
    client_for, alice, connection, mixed_quote, stripe_api, django_capture_on_commit_callbacks
):
    """The push runs in English (as a Celery worker does); its steps read in German for a
    German user, and in English again for an English one."""
    client = client_for(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/quotes/{mixed_quote.public_id}/stripe/push/")
    step = Push.objects.get().steps.filter(kind="subscription").first()
    assert step.label == "6× monthly recurring + 2× one-time on first invoice"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    german = client.get(_page(mixed_quote)).content.decode()
    assert "6× monatlich wiederkehrend + 2× einmalig auf der ersten Rechnung" in german
    assert "monthly recurring" not in german
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert step.label in client.get(_page(mixed_quote)).content.decode()
