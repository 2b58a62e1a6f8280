"""Acceptance records in the MSP's local time with its zone: the quote page, the customer's
share page (labelled with the zone) and the agreement's certificate. Accepted at 23:30 UTC on
7 December 2026: 8 December 00:30 CET in Berlin, 7 December 18:30 EST in New York."""

from datetime import UTC, datetime

import time_machine
from django.test import Client

from quotes import documents, pdf
from quotes.models import QuoteAcceptance
from tests.pdf.helpers import pages_text
from tests.quotes.share_helpers import accept_data, add_priced_lines, page_url, share

LATE = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)


def _accepted(quote, rmm, setup_fee):
    add_priced_lines(quote, rmm, setup_fee)
    _, token = share(quote)
    client = Client()
    with time_machine.travel(LATE, tick=False):
        page = client.get(page_url(token)).content.decode()
        client.post(page_url(token, "accept"), accept_data(page))
    assert QuoteAcceptance.objects.get(quote=quote).accepted_at == LATE
    return client, token


def test_the_quote_page_shows_the_acceptance_in_local_time(
    client_for, alice, quote, rmm, setup_fee
):
    _accepted(quote, rmm, setup_fee)
    html = client_for(alice).get(f"/quotes/{quote.public_id}/").content.decode()
    assert "8 Dec 2026, 00:30 CET" in html
    assert "23:30" not in html


def test_the_share_page_shows_the_msp_s_time_and_names_the_zone(quote, rmm, setup_fee):
    client, token = _accepted(quote, rmm, setup_fee)
    html = client.get(page_url(token, "accepted")).content.decode()
    assert "8 Dec 2026, 00:30 CET" in html and "(UTC)" not in html
    assert "Times in Europe/Berlin" in html


def test_a_new_york_msp_s_share_page_shows_new_york_time(alpha, quote, rmm, setup_fee):
    alpha.time_zone = "America/New_York"
    alpha.save(update_fields=["time_zone"])
    client, token = _accepted(quote, rmm, setup_fee)
    html = client.get(page_url(token, "accepted")).content.decode()
    assert "7 Dec 2026, 18:30 EST" in html
    assert "Times in America/New_York" in html


def _certificate(quote, accepted_at: str) -> str:
    snapshot = documents.quote_snapshot(quote)
    acceptance = {
        "name": "Carla Customer",
        "email": "",
        "accepted_at": accepted_at,
        "via": "share_page",
        "staff": None,
        "ip_address": "203.0.113.7",
        "user_agent": "Firefox/133.0",
        "revision": 1,
        "document_sha256": "ab" * 32,
    }
    return " ".join(pages_text(pdf.render_agreement(snapshot, acceptance)))


def test_the_agreement_dates_the_acceptance_in_the_msp_s_zone(alpha, quote, rmm, setup_fee):
    """The certificate's time and the agreement's start date are local; the snapshot keeps
    the zone, so the document stays the same when the workspace later picks another."""
    add_priced_lines(quote, rmm, setup_fee)
    text = _certificate(quote, LATE.isoformat())
    assert "8 Dec 2026, 00:30 CET" in text
    assert "starts on 8 Dec 2026" in text
    assert "2026-12-07T23:30:00Z" in text  # the exact moment, machine-readable, stays UTC
    alpha.time_zone = "America/New_York"
    alpha.save(update_fields=["time_zone"])
    quote.refresh_from_db()
    text = _certificate(quote, LATE.isoformat())
    assert "7 Dec 2026, 18:30 EST" in text and "starts on 7 Dec 2026" in text


def test_an_old_snapshot_without_a_zone_renders_as_before(quote, rmm, setup_fee):
    """Documents made before the zone was frozen into snapshots keep rendering in UTC."""
    add_priced_lines(quote, rmm, setup_fee)
    snapshot = documents.quote_snapshot(quote)
    del snapshot["workspace"]["time_zone"]
    assert pdf.document_zone(snapshot["workspace"]).key == "UTC"
