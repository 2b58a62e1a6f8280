"""Staff marking a quote accepted: who and when, the frozen version, refusals, ownership."""

import pytest
from django.utils import timezone

from mspercury.models import AuditEvent
from quotes import actions, sharing
from quotes.documents import render_snapshot
from quotes.models import QuoteAcceptance, QuoteStatus
from tests.quotes.share_helpers import add_priced_lines


@pytest.fixture
def priced(quote, rmm, setup_fee):
    return add_priced_lines(quote, rmm, setup_fee)


def _accept(client, quote, revision=None):
    revision = quote.revision if revision is None else revision
    return client.post(f"/quotes/{quote.public_id}/accept/", {"revision": revision})


def test_it_marks_a_quote_accepted(client_for, alice, alpha, priced):
    """Records the staff user, their name and the time, via "manual", with the frozen document."""
    quote = priced
    before = timezone.now()
    response = _accept(client_for(alice), quote)
    assert response.status_code == 302
    assert response["Location"] == f"/quotes/{quote.public_id}/#acceptance"

    acceptance = QuoteAcceptance.objects.get(quote=quote)
    assert acceptance.via == QuoteAcceptance.Via.MANUAL
    assert acceptance.accepted_by_user == alice
    assert acceptance.name == "Alice Owner"
    assert before <= acceptance.accepted_at <= timezone.now()
    assert acceptance.revision == quote.revision
    assert render_snapshot(acceptance.snapshot).sha256 == acceptance.document_sha256
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED and quote.accepted_at == acceptance.accepted_at
    event = AuditEvent.objects.get(workspace=alpha, action="quote.accepted")
    assert (event.actor, event.details["via"]) == (alice, "manual")

    page = client_for(alice).get(f"/quotes/{quote.public_id}/").content.decode()
    assert "Alice Owner" in page and "marked accepted by staff" in page
    assert "View the accepted version" in page


def test_it_offers_the_button_only_on_open_quotes(client_for, alice, priced):
    """Draft and sent quotes show "Mark as accepted…"; accepted ones do not."""
    client = client_for(alice)
    url = f"/quotes/{priced.public_id}/"
    assert "Mark as accepted…" in client.get(url).content.decode()
    _accept(client, priced)
    assert "Mark as accepted…" not in client.get(url).content.decode()


def test_it_lets_members_mark_accepted(client_for, bob, priced):
    """Members run the day-to-day sales work, acceptance included."""
    assert _accept(client_for(bob), priced).status_code == 302
    assert QuoteAcceptance.objects.get().accepted_by_user == bob


def test_it_refuses_a_stale_revision(client_for, alice, priced):
    """A page showing an older revision cannot accept the newer quote."""
    from quotes.stored_documents import do_request_quote_pdf

    do_request_quote_pdf(priced, queue=False)  # revision 1 was shown
    actions.do_update_quote(priced, title="Changed after it was shown")
    assert priced.revision == 2
    response = _accept(client_for(alice), priced, revision=1)
    assert response.status_code == 302
    assert not QuoteAcceptance.objects.exists()
    messages = client_for(alice).get(response["Location"]).content.decode()
    assert "The quote changed while you were viewing it" in messages


def test_it_refuses_declined_and_already_accepted_quotes(client_for, alice, alpha, acme, priced):
    """One acceptance per quote; a declined quote cannot be accepted."""
    client = client_for(alice)
    _accept(client, priced)
    _accept(client, priced)
    assert QuoteAcceptance.objects.filter(quote=priced).count() == 1

    declined = actions.do_create_quote(alpha, acme)
    actions.do_set_status(declined, QuoteStatus.DECLINED)
    _accept(client, declined)
    assert not QuoteAcceptance.objects.filter(quote=declined).exists()
    declined.refresh_from_db()
    assert declined.status == QuoteStatus.DECLINED


def test_it_accepts_only_by_post(client_for, alice, priced):
    """GET changes nothing."""
    assert client_for(alice).get(f"/quotes/{priced.public_id}/accept/").status_code == 405
    assert not QuoteAcceptance.objects.exists()


def test_it_checks_ownership(client_for, charlie, priced):
    """Charlie cannot accept Alpha's quote nor see its accepted version: 404."""
    client = client_for(charlie)
    assert _accept(client, priced).status_code == 404
    assert not QuoteAcceptance.objects.exists()
    sharing.do_accept_quote(
        priced, via="manual", name="Alice Owner", revision=priced.revision, sha256=None
    )
    assert client.get(f"/quotes/{priced.public_id}/accepted/").status_code == 404
