"""Editing after acceptance: the live quote and MRR follow, the accepted version stays frozen."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from billing import reporting
from quotes import actions
from quotes.documents import canonical_json, diff_snapshots, render_snapshot
from quotes.models import QuoteAcceptance, QuoteLine
from quotes.stored_documents import render_document
from tests.quotes.share_helpers import accept_data, add_priced_lines, page_url, share

D = Decimal


@pytest.fixture
def accepted(quote, rmm, setup_fee):
    """The priced quote, shared and accepted by the customer on the share page."""
    add_priced_lines(quote, rmm, setup_fee)
    _, token = share(quote)
    client = Client()
    html = client.get(page_url(token)).content.decode()
    assert client.post(page_url(token, "accept"), accept_data(html)).status_code == 302
    quote.refresh_from_db()
    quote.share_token = token
    return quote


def _line(quote, description):
    return QuoteLine.objects.get(quote=quote, description=description)


def _mrr(workspace):
    (figures,) = reporting.workspace_report(workspace).figures
    return figures.mrr


def test_it_keeps_the_accepted_version_frozen(accepted, alpha):
    """Edits change the live quote and MRR; the stored snapshot and hash stay as accepted."""
    acceptance = QuoteAcceptance.objects.get(quote=accepted)
    frozen = (dict(acceptance.snapshot), acceptance.document_sha256, acceptance.revision)
    assert _mrr(alpha) == D("80.00")

    actions.do_update_line(_line(accepted, "RMM agent"), quantity=D("20"))  # 60 → 100 a month
    accepted.refresh_from_db()
    assert accepted.revision == acceptance.revision + 1
    assert accepted.status == "accepted"
    assert _mrr(alpha) == D("120.00")

    acceptance.refresh_from_db()
    assert (acceptance.snapshot, acceptance.document_sha256, acceptance.revision) == frozen
    assert render_document(accepted).sha256 != acceptance.document_sha256


def test_it_shows_what_changed_since_acceptance(client_for, alice, accepted):
    """The accepted-version page lists added, removed and changed lines and totals before→after."""
    actions.do_update_line(_line(accepted, "RMM agent"), quantity=D("20"))
    actions.do_delete_line(_line(accepted, "Onboarding"))
    actions.do_add_line(
        accepted,
        description="Backup storage",
        quantity=D("1"),
        unit="unit",
        unit_price=D("15.00"),
        billing_period="monthly",
    )
    html = client_for(alice).get(f"/quotes/{accepted.public_id}/accepted/").content.decode()
    changes = html[html.index('id="changes"') : html.index("The accepted document")]
    added = changes[changes.index('data-diff="added"') :]
    assert "Backup storage" in added[: added.index("</tr>")]
    removed = changes[changes.index('data-diff="removed"') :]
    assert "Onboarding" in removed[: removed.index("</tr>")]
    changed = changes[changes.index('data-diff="changed"') :]
    changed = changed[: changed.index("</tr>")]
    assert "RMM agent" in changed and "12</span> → 20" in changed
    mrr = changes[changes.index('data-total-change="mrr"') :]
    mrr = mrr[: mrr.index("</tr>")]
    assert "80.00 EUR" in mrr and "135.00 EUR" in mrr  # 100 + 15 + 240 / 12

    # Below the changes, the frozen document as accepted: the old quantity, no new line.
    document = html[html.index("The accepted document") :]
    assert "Onboarding" in document and "Backup storage" not in document


def test_it_flags_the_quote_page_when_edited_after_acceptance(client_for, alice, accepted):
    """The quote page says "Edited after acceptance (revision N, accepted revision M)"."""
    client = client_for(alice)
    url = f"/quotes/{accepted.public_id}/"
    assert "Edited after acceptance" not in client.get(url).content.decode()
    accepted_revision = accepted.revision
    actions.do_update_line(_line(accepted, "RMM agent"), quantity=D("20"))
    html = client.get(url).content.decode()
    assert (
        f"Edited after acceptance (revision {accepted_revision + 1}, accepted revision "
        f"{accepted_revision})"
    ) in html
    assert f"/quotes/{accepted.public_id}/accepted/#changes" in html


def test_it_says_nothing_changed_when_nothing_did(client_for, alice, accepted):
    """Without edits the accepted-version page says so."""
    html = client_for(alice).get(f"/quotes/{accepted.public_id}/accepted/").content.decode()
    assert 'id="no-changes"' in html


def test_it_keeps_showing_the_customer_the_accepted_version(accepted):
    """The share page shows what the customer accepted, not the later edits."""
    actions.do_update_line(_line(accepted, "RMM agent"), description="RMM agent premium")
    html = Client().get(page_url(accepted.share_token)).content.decode()
    assert "already been accepted" in html
    assert "RMM agent premium" not in html and "RMM agent" in html


def test_it_has_no_accepted_version_before_acceptance(client_for, alice, quote):
    """404 for a quote nobody accepted."""
    assert client_for(alice).get(f"/quotes/{quote.public_id}/accepted/").status_code == 404


def test_it_compares_amounts_as_numbers(accepted):
    """ "5.0" and "5.00" are no change; a changed description is, and names the field."""
    before = QuoteAcceptance.objects.get(quote=accepted).snapshot
    after = json.loads(json.dumps(before))
    after["lines"][0]["unit_price"] = "5.0"
    assert diff_snapshots(before, after).is_empty
    after["lines"][0]["description"] = "RMM agent plus"
    (change,) = diff_snapshots(before, after).changed
    assert change.fields == ("description",)


def test_it_renders_the_same_bytes_for_the_same_snapshot(accepted):
    """Key order and a JSON round trip do not change the document or its hash."""
    snapshot = QuoteAcceptance.objects.get(quote=accepted).snapshot
    shuffled = json.loads(json.dumps(snapshot, sort_keys=False))
    shuffled = dict(reversed(list(shuffled.items())))
    assert canonical_json(shuffled) == canonical_json(snapshot)
    assert render_snapshot(shuffled).sha256 == render_snapshot(snapshot).sha256
