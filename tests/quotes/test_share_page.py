"""The customer's share page: tokens, expiry, revocation, language, rate limits, privacy."""

import secrets
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from customers.models import Customer
from mspercury.models import AuditEvent
from quotes import actions
from quotes.models import QuoteAcceptance, QuoteStatus
from quotes.views import share as share_views
from tests.quotes.share_helpers import add_priced_lines, page_url, share

PRIVACY = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "same-origin"}


@pytest.fixture
def anonymous():
    return Client()


@pytest.fixture
def shared(quote, rmm, setup_fee):
    add_priced_lines(quote, rmm, setup_fee)
    link, token = share(quote)
    return link, token


def _assert_private(response):
    for header, value in PRIVACY.items():
        assert response[header] == value
    assert "no-store" in response["Cache-Control"]


def test_it_shows_the_quote_without_an_account(anonymous, quote, shared):
    """Number, customer, lines, totals, fingerprint and revision; no cost prices; no staff nav."""
    link, token = shared
    response = anonymous.get(page_url(token))
    assert response.status_code == 200
    _assert_private(response)
    html = response.content.decode()
    for text in (quote.number, "Acme GmbH", "Alpha IT", "RMM agent", "Onboarding", "Accept quote"):
        assert text in html
    assert "60.00 EUR" in html and "480.00 EUR" in html  # monthly and one-time nets
    assert "Margin" not in html and "Cost" not in html  # cost prices stay internal
    assert 'href="/customers/"' not in html
    assert f"revision {quote.revision}" in html
    link.refresh_from_db()
    assert link.last_viewed_at is not None


def test_it_answers_a_guessed_token_with_404(anonymous, shared):
    """A made-up token of the right shape opens nothing, by GET and by POST."""
    guess = secrets.token_urlsafe(32)
    for action in ("", "accept", "decline", "accepted"):
        response = anonymous.post(page_url(guess, action))
        assert response.status_code == 404
        _assert_private(response)
    response = anonymous.get(page_url(guess))
    assert response.status_code == 404
    assert "Link not found" in response.content.decode()


def test_it_shows_a_clear_page_for_an_expired_link(anonymous, quote):
    """An expired link: 410, says so, names no quote; accepting through it fails too."""
    _, token = share(quote, expires_at=timezone.now() + timedelta(days=7))
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = anonymous.get(page_url(token))
        assert response.status_code == 410
        html = response.content.decode()
        assert "Link expired" in html
        assert quote.number not in html and "Acme" not in html
        _assert_private(response)
        assert anonymous.post(page_url(token, "accept"), {}).status_code == 410
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT


def test_it_shows_a_clear_page_for_a_revoked_link(anonymous, quote):
    """A revoked link: 410 "withdrawn", nothing about the quote; decline is refused too."""
    link, token = share(quote)
    link.revoked_at = timezone.now()
    link.save()
    response = anonymous.get(page_url(token))
    assert response.status_code == 410
    html = response.content.decode()
    assert "Link withdrawn" in html
    assert quote.number not in html
    assert anonymous.post(page_url(token, "decline"), {"reason": "x"}).status_code == 410
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT


def test_it_says_nothing_about_other_quotes(anonymous, alpha, acme, quote, shared):
    """The page of one quote carries nothing of the customer's other quotes."""
    _, token = shared
    other = actions.do_create_quote(alpha, acme, title="Secret other project")
    actions.do_add_line(
        other,
        description="Other line",
        quantity=1,
        unit="unit",
        unit_price=9,
        billing_period="monthly",
    )
    html = anonymous.get(page_url(token)).content.decode()
    assert other.number not in html
    assert "Secret other project" not in html and "Other line" not in html
    assert str(quote.public_id) not in html and str(acme.public_id) not in html


def test_it_speaks_the_customers_language(anonymous, alpha, alice):
    """German customer → German page, French → French (the share page speaks more languages
    than the staff interface: the 24 EU languages, Swedish too); a language it lacks (Japanese)
    → English."""
    for language, expected in (("de", "de"), ("fr", "fr"), ("sv", "sv"), ("ja", "en")):
        customer = Customer.objects.create(
            workspace=alpha, company_name=f"Kunde {language}", language=language
        )
        _, token = share(actions.do_create_quote(alpha, customer))
        html = anonymous.get(page_url(token), HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert f'<html lang="{expected}">' in html


def test_it_expires_a_quote_past_its_validity(anonymous, alpha, quote):
    """Viewing after the validity date marks the quote expired and says it can't be accepted."""
    _, token = share(quote)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = anonymous.get(page_url(token))
        assert response.status_code == 200
        assert "Quote expired" in response.content.decode()
        assert "Accept quote" not in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED and quote.expired_at is not None
    assert AuditEvent.objects.filter(workspace=alpha, action="quote.expired").count() == 1


def test_it_accepts_until_the_end_of_the_validity_date(anonymous, quote):
    """On the validity date itself the quote is still open."""
    _, token = share(quote)
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert "Accept quote" in anonymous.get(page_url(token)).content.decode()
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT


def test_it_declines_with_a_reason(anonymous, alpha, quote):
    """Decline: status declined, time and reason kept, audited; the page then says declined."""
    _, token = share(quote)
    response = anonymous.post(page_url(token, "decline"), {"reason": "  Too expensive. "})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DECLINED
    assert quote.declined_at is not None and quote.decline_reason == "Too expensive."
    assert "Quote declined" in anonymous.get(page_url(token)).content.decode()
    event = AuditEvent.objects.get(workspace=alpha, action="quote.declined")
    assert event.details["reason"] == "Too expensive."
    # Once declined, it cannot be accepted.
    response = anonymous.post(page_url(token, "accept"), {"name": "Carla", "consent": "on"})
    assert "Quote declined" in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DECLINED
    assert not QuoteAcceptance.objects.filter(quote=quote).exists()


def test_it_declines_without_a_reason(anonymous, quote):
    """The reason is optional."""
    _, token = share(quote)
    anonymous.post(page_url(token, "decline"), {})
    quote.refresh_from_db()
    assert (quote.status, quote.decline_reason) == (QuoteStatus.DECLINED, "")


def test_it_limits_requests_per_link(anonymous, quote):
    """Past the per-link limit the page answers 429 with a clear message."""
    _, token = share(quote)
    limit, _ = share_views.RATE_PER_LINK
    for _ in range(limit):
        assert anonymous.get(page_url(token)).status_code == 200
    response = anonymous.get(page_url(token))
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    _assert_private(response)


def test_it_limits_guessing_per_ip(anonymous, shared):
    """Many guessed tokens from one address: 429 even for the real link afterwards."""
    _, token = shared
    limit, _ = share_views.RATE_PER_IP
    for _ in range(limit):
        assert anonymous.get(page_url(secrets.token_urlsafe(32))).status_code == 404
    assert anonymous.get(page_url(token)).status_code == 429
    other_address = anonymous.get(page_url(token), REMOTE_ADDR="192.0.2.7")
    assert other_address.status_code == 200
