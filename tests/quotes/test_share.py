"""Staff side of sharing: creating a link (shown once, stored hashed), expiry, revoking."""

import re
from datetime import timedelta

import time_machine
from django.utils import timezone

from customers.models import Customer
from mspercury.localtime import today_in
from mspercury.models import AuditEvent, hash_token
from quotes import actions
from quotes.models import QuoteStatus, ShareLink
from tests.quotes.share_helpers import page_url, share


def _create(client, quote, expires_in="30"):
    return client.post(f"/quotes/{quote.public_id}/share/", {"expires_in": expires_in})


def _shown_token(html: str) -> str:
    match = re.search(r'id="share-url" value="http://testserver/q/([A-Za-z0-9_\-]+)/"', html)
    assert match, "the new link is not on the page"
    return match[1]


def test_it_creates_a_link_and_shows_it_once(client_for, alice, alpha, quote):
    """The token (≥128 bits) appears once; only its SHA-256 is stored; the draft becomes sent."""
    client = client_for(alice)
    response = _create(client, quote)
    assert response.status_code == 200
    html = response.content.decode()
    token = _shown_token(html)
    assert len(token) >= 22  # url-safe base64: 22 characters carry 128 bits
    assert "shown only this once" in html
    assert response["Referrer-Policy"] == "same-origin"

    link = ShareLink.objects.get(quote=quote)
    assert link.token_hash == hash_token(token)
    assert token not in link.token_hash
    assert link.created_by == alice
    assert timedelta(days=29, hours=23) < link.expires_at - timezone.now() <= timedelta(days=30)

    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and quote.sent_at is not None
    assert quote.revision == 1  # a status change, not a content change

    detail = client.get(f"/quotes/{quote.public_id}/").content.decode()
    assert token not in detail
    event = AuditEvent.objects.get(workspace=alpha, action="quote.shared")
    assert event.actor == alice
    assert token not in str(event.details) and token not in event.summary
    assert client.get(page_url(token)).status_code == 200


def test_it_makes_a_new_token_every_time(client_for, alice, quote):
    """Two links to one quote have different tokens; the old one keeps working."""
    client = client_for(alice)
    first = _shown_token(_create(client, quote).content.decode())
    second = _shown_token(_create(client, quote).content.decode())
    assert first != second
    assert ShareLink.objects.filter(quote=quote).count() == 2
    assert client.get(page_url(first)).status_code == 200


def test_it_creates_links_that_never_expire(client_for, alice, quote):
    """ "Never" leaves the expiry empty."""
    _create(client_for(alice), quote, expires_in="")
    assert ShareLink.objects.get(quote=quote).expires_at is None


def test_it_refuses_an_unknown_expiry(client_for, alice, quote):
    """Only the offered choices are accepted; nothing is created."""
    response = _create(client_for(alice), quote, expires_in="3650")
    assert response.status_code == 302
    assert not ShareLink.objects.exists()


def test_it_refuses_to_share_a_closed_quote(client_for, alice, quote):
    """A declined quote cannot get new links."""
    actions.do_set_status(quote, QuoteStatus.DECLINED)
    response = _create(client_for(alice), quote)
    assert response.status_code == 302
    assert not ShareLink.objects.exists()


def test_it_refuses_to_share_a_quote_past_its_validity(client_for, alice, quote):
    """No link for a quote whose validity date has passed: the customer's first view would
    expire it for good (expired quotes are read-only). The page says what to do instead."""
    quote.valid_until = today_in(quote.workspace) - timedelta(days=1)
    quote.save(update_fields=["valid_until"])
    client = client_for(alice)
    detail = client.get(f"/quotes/{quote.public_id}/").content.decode()
    assert "The validity date" in detail and "has passed" in detail
    response = _create(client, quote)
    assert response.status_code == 302
    assert not ShareLink.objects.exists()
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
    page = client.get(response["Location"]).content.decode()
    assert "has passed. Extend it in the quote details, then share the quote." in page

    actions.do_update_quote(quote, valid_until=today_in(quote.workspace))
    assert _create(client, quote).status_code == 200
    assert ShareLink.objects.filter(quote=quote).count() == 1


def _header(quote, customer, **changes):
    return {
        "customer": str(customer.public_id),
        "project": "",
        "title": quote.title,
        "currency": quote.currency,
        "valid_until": str(quote.valid_until),
        "intro": quote.intro,
        "closing": quote.closing,
        **changes,
    }


def test_it_revokes_the_links_when_the_customer_changes(client_for, alice, alpha, acme, quote):
    """A link went to the quote's customer: once the quote is readdressed to another customer,
    that link stops working instead of showing the new customer's name and prices."""
    _link, token = share(quote)
    other = Customer.objects.create(workspace=alpha, company_name="Initech Ltd", country="DE")
    client = client_for(alice)
    url = f"/quotes/{quote.public_id}/details/"

    client.post(url, _header(quote, acme, title="Still Acme"))
    assert client.get(page_url(token)).status_code == 200  # other header edits keep the link

    quote.refresh_from_db()
    response = client.post(url, _header(quote, other), follow=True)
    assert "share links were revoked" in response.content.decode()
    page = client.get(page_url(token))
    assert page.status_code == 410
    assert "Initech" not in page.content.decode()
    assert ShareLink.objects.get(quote=quote).revoked_at is not None
    event = AuditEvent.objects.get(workspace=alpha, action="quote.share_revoked")
    assert event.actor == alice and event.details["count"] == 1


def test_it_lets_members_share(client_for, bob, quote):
    """Sharing is day-to-day work: members may do it."""
    assert _create(client_for(bob), quote).status_code == 200


def test_it_lists_links_on_the_quote_page(client_for, alice, quote):
    """The share panel lists each link with its state, expiry and last view."""
    client = client_for(alice)
    active, token = share(quote, user=alice)
    revoked, _ = share(quote, user=alice)
    revoked.revoked_at = timezone.now()
    revoked.save()
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        expired, _ = share(quote, expires_at=timezone.now() + timedelta(days=7))
    client.get(page_url(token))

    html = client.get(f"/quotes/{quote.public_id}/").content.decode()
    panel = html[html.index('id="share"') :]
    for link, state in ((active, "active"), (revoked, "revoked"), (expired, "expired")):
        row = panel[panel.index(f'id="link-{link.public_id}"') :]
        row = row[: row.index("</tr>")]
        assert state in row
        assert ("/revoke/" in row) == (state != "revoked")
    active.refresh_from_db()
    assert active.last_viewed_at is not None


def test_it_revokes_a_link(client_for, alice, alpha, quote):
    """After revoking, the link shows the withdrawn page (410); revoking twice is harmless."""
    client = client_for(alice)
    link, token = share(quote, user=alice)
    url = f"/quotes/{quote.public_id}/share/{link.public_id}/revoke/"
    response = client.post(url)
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(page_url(token)).status_code == 410
    assert client.post(url).status_code == 302
    assert AuditEvent.objects.filter(workspace=alpha, action="quote.share_revoked").count() == 1


def test_it_revokes_only_links_of_the_quote_in_the_url(client_for, alice, alpha, acme, quote):
    """A link id under another quote's URL is a 404."""
    other = actions.do_create_quote(alpha, acme)
    link, _ = share(other)
    response = client_for(alice).post(f"/quotes/{quote.public_id}/share/{link.public_id}/revoke/")
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_it_checks_ownership(client_for, charlie, quote):
    """Charlie can neither share nor revoke Alpha's links: 404, nothing changes."""
    link, _ = share(quote)
    client = client_for(charlie)
    assert _create(client, quote).status_code == 404
    url = f"/quotes/{quote.public_id}/share/{link.public_id}/revoke/"
    assert client.post(url).status_code == 404
    assert ShareLink.objects.filter(quote=quote).count() == 1
    link.refresh_from_db()
    assert link.revoked_at is None


def test_it_revokes_the_links_when_the_quote_goes_back_to_draft(client_for, alice, quote):
    """A quote taken back for rework can't be accepted through the link sent earlier."""
    _link, token = share(quote)
    quote.refresh_from_db()
    assert quote.status == "sent"
    actions.do_set_status(quote, "draft", user=alice)
    assert client_for(alice).get(page_url(token)).status_code == 410
