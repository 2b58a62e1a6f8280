"""Acceptance on the share page: what is recorded, the document hash, changes, double accepts."""

import hashlib
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from mspercury.models import AuditEvent
from quotes import actions
from quotes.documents import render_snapshot
from quotes.models import QuoteAcceptance, QuoteLine, QuoteStatus
from quotes.stored_documents import accepted_quote_document, render_document
from tests.quotes.share_helpers import (
    accept_data,
    add_priced_lines,
    page_url,
    share,
    shown_document,
)

D = Decimal
CHANGED = "The quote changed while you were viewing it — please review it again."
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


@pytest.fixture
def anonymous():
    return Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.9")


@pytest.fixture
def shared(quote, rmm, setup_fee):
    add_priced_lines(quote, rmm, setup_fee)
    return share(quote)


def test_it_accepts_with_name_and_consent(anonymous, alpha, quote, shared):
    """Name, time, IP, user agent, revision and document are recorded; the quote is accepted."""
    link, token = shared
    html = anonymous.get(page_url(token)).content.decode()
    before = timezone.now()
    response = anonymous.post(
        page_url(token, "accept"), accept_data(html, name="  Carla   Customer ")
    )
    assert response.status_code == 302
    assert response["Location"] == page_url(token, "accepted")

    acceptance = QuoteAcceptance.objects.get(quote=quote)
    assert acceptance.via == QuoteAcceptance.Via.SHARE_PAGE
    assert acceptance.name == "Carla Customer"
    assert acceptance.accepted_by_user is None
    assert before <= acceptance.accepted_at <= timezone.now()
    assert acceptance.ip_address == "203.0.113.9"
    assert acceptance.user_agent == BROWSER
    assert acceptance.revision == quote.revision
    assert acceptance.workspace == alpha
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    assert quote.accepted_at == acceptance.accepted_at

    event = AuditEvent.objects.get(workspace=alpha, action="quote.accepted")
    assert event.details["via"] == "share_page" and event.details["link"] == str(link.public_id)
    assert event.ip_address == "203.0.113.9"

    page = anonymous.get(response["Location"])
    assert page.status_code == 200
    assert "Thank you — the quote is accepted" in page.content.decode()
    assert "Carla Customer" in page.content.decode()


def test_it_stores_the_hash_of_the_document_shown(anonymous, quote, shared):
    """The stored SHA-256 is the one the page showed: the hash of the stored quote PDF, which
    the snapshot re-renders to byte for byte."""
    _, token = shared
    html = anonymous.get(page_url(token)).content.decode()
    data = accept_data(html)
    assert data["document"][:16] in html  # the fingerprint the customer sees
    anonymous.post(page_url(token, "accept"), data)

    acceptance = QuoteAcceptance.objects.get(quote=quote)
    assert acceptance.document_sha256 == data["document"]
    stored = accepted_quote_document(acceptance)
    assert bytes(stored.pdf).startswith(b"%PDF-")
    assert hashlib.sha256(bytes(stored.pdf)).hexdigest() == acceptance.document_sha256
    assert render_snapshot(acceptance.snapshot).sha256 == acceptance.document_sha256
    assert render_document(quote).sha256 == acceptance.document_sha256
    snapshot = acceptance.snapshot
    assert snapshot["number"] == quote.number and snapshot["revision"] == quote.revision
    assert [line["description"] for line in snapshot["lines"]] == [
        "RMM agent",
        "Onboarding",
        "Firewall licence",
    ]
    assert snapshot["totals"]["mrr"] == "80.00"
    assert "cost_price" not in str(snapshot)


def test_it_requires_a_name_and_the_consent(anonymous, quote, shared):
    """Without the ticked box or a name: 400, the form says why, nothing is accepted."""
    _, token = shared
    html = anonymous.get(page_url(token)).content.decode()
    no_consent = anonymous.post(page_url(token, "accept"), accept_data(html, consent=None))
    assert no_consent.status_code == 400
    assert "Tick the box to accept the quote." in no_consent.content.decode()
    no_name = anonymous.post(page_url(token, "accept"), accept_data(html, name=" "))
    assert no_name.status_code == 400
    assert not QuoteAcceptance.objects.exists()
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT


def test_it_keeps_the_form_on_the_version_it_shows(anonymous, quote, shared):
    """A form sent back for a missing tick carries the version the page now shows."""
    _, token = shared
    html = anonymous.get(page_url(token)).content.decode()
    actions.do_update_line(QuoteLine.objects.filter(quote=quote).first(), quantity=D("15"))
    response = anonymous.post(page_url(token, "accept"), accept_data(html, consent=None))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="Carla Customer"' in page
    quote.refresh_from_db()
    assert shown_document(page) == (quote.revision, render_document(quote).sha256)
    assert anonymous.post(page_url(token, "accept"), accept_data(page)).status_code == 302


def test_it_refuses_a_quote_changed_while_viewed(anonymous, quote, shared):
    """A line edited after the page was shown: 409 with a clear message and the new version."""
    _, token = shared
    html = anonymous.get(page_url(token)).content.decode()
    line = QuoteLine.objects.filter(quote=quote).first()
    actions.do_update_line(line, quantity=D("15"))

    response = anonymous.post(page_url(token, "accept"), accept_data(html))
    assert response.status_code == 409
    page = response.content.decode()
    assert CHANGED in page
    assert not QuoteAcceptance.objects.exists()
    quote.refresh_from_db()
    assert f"revision {quote.revision}" in page

    # Accepting the version now shown works.
    assert anonymous.post(page_url(token, "accept"), accept_data(page)).status_code == 302
    assert QuoteAcceptance.objects.get().revision == quote.revision


def test_it_refuses_a_document_that_differs_from_the_one_shown(anonymous, alpha, quote, shared):
    """Same revision, different document (the sender's address changed): refused."""
    _, token = shared
    html = anonymous.get(page_url(token)).content.decode()
    alpha.street = "New Street 1"
    alpha.save()
    response = anonymous.post(page_url(token, "accept"), accept_data(html))
    assert response.status_code == 409
    assert CHANGED in response.content.decode()
    assert not QuoteAcceptance.objects.exists()


def test_it_refuses_a_made_up_hash(anonymous, quote, shared):
    """A hash the server did not render is refused."""
    _, token = shared
    data = accept_data(anonymous.get(page_url(token)).content.decode())
    data["document"] = "0" * 64
    assert anonymous.post(page_url(token, "accept"), data).status_code == 409
    assert not QuoteAcceptance.objects.exists()


def test_it_accepts_only_once(anonymous, quote, shared):
    """A second submit (e.g. another tab) shows "already accepted"; one acceptance is kept."""
    _, token = shared
    html = anonymous.get(page_url(token)).content.decode()
    anonymous.post(page_url(token, "accept"), accept_data(html, name="First Person"))
    second = anonymous.post(page_url(token, "accept"), accept_data(html, name="Second Person"))
    assert second.status_code == 200
    assert "This quote has already been accepted" in second.content.decode()
    assert QuoteAcceptance.objects.get(quote=quote).name == "First Person"
    # The page itself now shows the accepted version without a form.
    page = anonymous.get(page_url(token)).content.decode()
    assert "already been accepted" in page and 'name="consent"' not in page


def test_it_refuses_acceptance_past_the_validity(anonymous, quote, shared):
    """A form shown in time but sent after the validity date: expired page, no acceptance."""
    _, token = shared
    html = anonymous.get(page_url(token)).content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = anonymous.post(page_url(token, "accept"), accept_data(html))
    assert "Quote expired" in response.content.decode()
    assert not QuoteAcceptance.objects.exists()
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED


def test_it_sends_the_thank_you_page_only_after_acceptance(anonymous, shared):
    """/accepted/ before acceptance goes back to the share page."""
    _, token = shared
    response = anonymous.get(page_url(token, "accepted"))
    assert response.status_code == 302 and response["Location"] == page_url(token)


@pytest.mark.django_db(transaction=True)
def test_it_accepts_once_under_simultaneous_submits(alpha, alice, acme, rmm, setup_fee):
    """Five submits at the same instant (own connections): one acceptance, the rest see it."""
    quote = actions.do_create_quote(alpha, acme, user=alice)
    add_priced_lines(quote, rmm, setup_fee)
    _, token = share(quote)
    html = Client().get(page_url(token)).content.decode()
    data = accept_data(html)
    barrier = threading.Barrier(5)
    results = []

    def submit(n):
        try:
            client = Client(REMOTE_ADDR=f"198.51.100.{n}")
            barrier.wait()
            response = client.post(page_url(token, "accept"), {**data, "name": f"Person {n}"})
            results.append((response.status_code, response.content.decode()))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert QuoteAcceptance.objects.filter(quote=quote).count() == 1
    assert sorted(status for status, _ in results) == [200, 200, 200, 200, 302]
    losers = [body for status, body in results if status == 200]
    assert all("This quote has already been accepted" in body for body in losers)
    assert AuditEvent.objects.filter(action="quote.accepted").count() == 1
