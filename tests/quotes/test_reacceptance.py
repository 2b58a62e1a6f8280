"""An accepted quote edited afterwards goes out again for re-acceptance on a fresh link."""

import hashlib
from decimal import Decimal

import pytest
from django.test import Client

from quotes import actions, sharing
from quotes.models import QuoteAcceptance, QuoteLine, RevisionAcceptance
from tests.pdf.helpers import pages_text, pdf_text
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
    quote.first_token = token
    return quote


@pytest.fixture
def edited(accepted):
    """12 → 20 RMM agents and the onboarding removed, after acceptance."""
    actions.do_update_line(
        QuoteLine.objects.get(quote=accepted, description="RMM agent"), quantity=D("20")
    )
    actions.do_delete_line(QuoteLine.objects.get(quote=accepted, description="Onboarding"))
    accepted.refresh_from_db()
    return accepted


def _detail(client, quote):
    return client.get(f"/quotes/{quote.public_id}/").content.decode()


def test_it_offers_no_new_link_while_the_accepted_quote_is_unchanged(client_for, alice, accepted):
    """Accepted and unedited: nothing to re-accept, the links are listed, no share form."""
    html = _detail(client_for(alice), accepted)
    share_section = html[html.index('id="share"') :]
    assert "re-acceptance" not in share_section[: share_section.index("</section>")]
    assert "never shared" not in html
    with pytest.raises(sharing.ShareError):
        sharing.do_share_quote(accepted, user=None)


def test_it_offers_re_acceptance_once_edited(client_for, alice, edited):
    """The share section offers the edited revision for re-acceptance on a fresh link."""
    client = client_for(alice)
    html = _detail(client, edited)
    assert f"Send revision {edited.revision} for re-acceptance" in html
    assert "This quote was never shared" not in html
    r = client.post(f"/quotes/{edited.public_id}/share/", {"expires_in": "14"})
    assert r.status_code == 200
    link = edited.share_links.order_by("-created_at").first()
    assert link.reaccept_since == QuoteAcceptance.objects.get(quote=edited).revision
    assert "/q/" in r.content.decode()


def test_the_customer_sees_the_changes_since_the_accepted_version(edited):
    """The fresh link shows the live revision, the diff since acceptance, and an accept form."""
    _, token = share(edited)
    html = Client().get(page_url(token)).content.decode()
    reaccept = html[
        html.index('id="reaccept"') : html.index("</section>", html.index('id="reaccept"'))
    ]
    assert f"Revision {edited.revision}" in reaccept
    removed = reaccept[reaccept.index('data-diff="removed"') :]
    assert "Onboarding" in removed[: removed.index("</tr>")]
    changed = reaccept[reaccept.index('data-diff="changed"') :]
    assert "12</span> → 20" in changed[: changed.index("</tr>")]
    assert f'name="revision" value="{edited.revision}"' in html
    assert 'id="decline"' not in html  # declining an edit would not undo the acceptance


def test_it_records_the_re_acceptance_and_keeps_the_original(edited):
    """Accepting records the new revision's document; the original acceptance stays frozen."""
    original = QuoteAcceptance.objects.get(quote=edited)
    frozen = (original.revision, original.document_sha256, original.snapshot)
    _, token = share(edited)
    client = Client()
    html = client.get(page_url(token)).content.decode()
    r = client.post(page_url(token, "accept"), accept_data(html, name="Carla Again"))
    assert r.status_code == 302 and r.url == page_url(token, "accepted")

    record = RevisionAcceptance.objects.get(quote=edited)
    assert (record.revision, record.previous_revision) == (edited.revision, original.revision)
    assert record.name == "Carla Again"
    assert [line["description"] for line in record.snapshot["lines"]] == [
        "RMM agent",
        "Firewall licence",
    ]
    original.refresh_from_db()
    assert (original.revision, original.document_sha256, original.snapshot) == frozen

    done = client.get(page_url(token, "accepted")).content.decode()
    assert "Accepted by Carla Again" in done
    # The first link still shows the version accepted first.
    first = client.get(page_url(edited.first_token)).content.decode()
    assert "Onboarding" in first and "Carla Again" not in first


def test_it_refuses_a_stale_revision(edited):
    """Edited again while the customer looked: nothing is recorded, the page asks to review."""
    _, token = share(edited)
    client = Client()
    html = client.get(page_url(token)).content.decode()
    actions.do_update_line(
        QuoteLine.objects.get(quote=edited, description="RMM agent"), quantity=D("21")
    )
    r = client.post(page_url(token, "accept"), accept_data(html))
    assert r.status_code == 409
    assert not RevisionAcceptance.objects.exists()


def test_the_quote_page_lists_re_accepted_revisions(client_for, alice, edited):
    """After re-acceptance the quote is no longer "edited since acceptance"."""
    _, token = share(edited)
    client = Client()
    html = client.get(page_url(token)).content.decode()
    client.post(page_url(token, "accept"), accept_data(html, name="Carla Again"))
    page = _detail(client_for(alice), edited)
    assert f'data-reaccepted="{edited.revision}"' in page
    assert 'id="edited-since-acceptance"' not in page
    assert "for re-acceptance" not in page


def test_it_checks_ownership(client_for, charlie, edited):
    """Another workspace's member cannot send a quote for re-acceptance."""
    r = client_for(charlie).post(f"/quotes/{edited.public_id}/share/", {"expires_in": ""})
    assert r.status_code == 404
    assert not edited.share_links.filter(reaccept_since__isnull=False).exists()


def test_the_re_accepted_revision_keeps_its_pdf_and_gets_its_own_certificate(
    edited, django_capture_on_commit_callbacks
):
    """The exact PDF shown for the new revision is served for good (its hash is the record's),
    and an agreement for that revision certifies who accepted it, when and the hash."""
    original = QuoteAcceptance.objects.get(quote=edited)
    _, token = share(edited)
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11) Firefox/140.0")
    html = client.get(page_url(token)).content.decode()
    shown_pdf = client.get(page_url(token, "pdf")).content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page_url(token, "accept"), accept_data(html, name="Carla Again"))
    record = RevisionAcceptance.objects.get(quote=edited)

    served = client.get(page_url(token, "pdf")).content
    assert served == shown_pdf
    assert hashlib.sha256(served).hexdigest() == record.document_sha256
    assert "Onboarding" not in pdf_text(served)

    done = client.get(page_url(token, "accepted")).content.decode()
    assert page_url(token, "agreement") in done
    agreement = client.get(page_url(token, "agreement")).content
    assert agreement[:5] == b"%PDF-"
    certificate = pages_text(agreement)[-1]
    assert "Accepted by Carla Again" in certificate
    assert f"revision {record.revision}" in certificate
    assert record.document_sha256 in certificate.replace(" ", "")
    assert "Firefox/140.0" in certificate
    # The first link's documents are still the first acceptance's.
    first_pdf = client.get(page_url(edited.first_token, "pdf")).content
    assert hashlib.sha256(first_pdf).hexdigest() == original.document_sha256
    first_certificate = pages_text(client.get(page_url(edited.first_token, "agreement")).content)
    assert original.document_sha256 in first_certificate[-1].replace(" ", "")


def test_the_revision_of_a_running_contract_says_how_the_change_is_billed(edited):
    """No first invoice as if it were due again: the page says the contract keeps running,
    when the new amounts apply, and that a one-time line the revision adds is invoiced once
    with the next invoice."""
    from quotes.models import BillingPeriod, Unit

    actions.do_add_line(
        edited,
        description="Migration",
        quantity=D("1"),
        unit_price=D("150.00"),
        billing_period=BillingPeriod.ONE_TIME,
        unit=Unit.UNIT,
    )
    edited.refresh_from_db()
    _, token = share(edited)
    html = Client().get(page_url(token)).content.decode()
    billing = html[
        html.index('id="change-billing"') : html.index(
            "</table>", html.index('id="change-billing"')
        )
    ]
    assert "How this change is billed" in billing
    assert "Your contract keeps running; nothing already invoiced is invoiced again." in billing
    assert 'data-doc="added_one_time">150.00' in billing or "150.00" in billing
    assert "First invoice" not in html and 'data-doc="first_invoice_gross"' not in html
    assert 'data-total-change="first_invoice"' not in html
    assert 'data-total-change="monthly"' in html
