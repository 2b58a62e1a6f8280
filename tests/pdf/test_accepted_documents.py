"""The customer accepts the PDF: the share page offers it, the acceptance records its hash,
the agreement PDF follows with the acceptance record, and both are served byte-identical
forever, whatever changes afterwards."""

import hashlib

import pytest
from django.test import Client, override_settings
from django.utils import timezone, translation

from mspercury.localtime import stamp
from quotes import actions
from quotes.models import DocumentKind, QuoteAcceptance, QuoteDocument, QuoteLine
from quotes.stored_documents import INLINE_MAX_LINES
from tests.pdf.helpers import pages_text, pdf_text
from tests.quotes.share_helpers import accept_data, page_url, share, shown_document


@pytest.fixture
def shared(alpha, make_customer, make_quote):
    alpha.street, alpha.postal_code, alpha.city = "Hauptstraße 1", "10115", "Berlin"
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    quote = make_quote(alpha, make_customer(alpha, "FR", language="fr"))
    _, token = share(quote)
    return quote, token


def _accept(client, token, capture, name="Carla Customer"):
    html = client.get(page_url(token)).content.decode()
    with capture(execute=True):
        response = client.post(page_url(token, "accept"), accept_data(html, name=name))
    assert response.status_code == 302
    return html


def test_it_offers_the_pdf_the_customer_accepts(shared):
    """The share page links the PDF of the current revision; the accept form carries its hash."""
    quote, token = shared
    client = Client()
    html = client.get(page_url(token)).content.decode()
    assert page_url(token, "pdf") in html
    revision, sha256 = shown_document(html)
    response = client.get(page_url(token, "pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == sha256
    assert revision == quote.revision
    text = pdf_text(response.content)
    assert quote.number in text
    assert "USt-IdNr.: DE136695976" in text
    assert "Autoliquidation" in text  # DE → FR business customer, French reader


def test_it_records_the_hash_of_the_accepted_pdf(shared, django_capture_on_commit_callbacks):
    """document_sha256 is the SHA-256 of the PDF served for the accepted revision."""
    quote, token = shared
    client = Client()
    _accept(client, token, django_capture_on_commit_callbacks)
    acceptance = QuoteAcceptance.objects.get(quote=quote)
    served = client.get(page_url(token, "pdf")).content
    assert hashlib.sha256(served).hexdigest() == acceptance.document_sha256
    stored = QuoteDocument.objects.get(quote=quote, kind=DocumentKind.QUOTE)
    assert stored.sha256 == acceptance.document_sha256
    assert stored.revision == acceptance.revision


def test_it_generates_the_agreement_with_the_acceptance_record(
    shared, django_capture_on_commit_callbacks
):
    """On acceptance the agreement PDF is made in the customer's language (French here):
    parties, services, and a last page certifying name, time, address, browser and the hash
    of the exact PDF bytes the customer was served and accepted."""
    quote, token = shared
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (Macintosh) Safari/605.1.15")
    _accept(client, token, django_capture_on_commit_callbacks, name="Carla Customer")
    acceptance = QuoteAcceptance.objects.get(quote=quote)
    accepted_pdf = client.get(page_url(token, "pdf")).content
    agreement = QuoteDocument.objects.get(quote=quote, kind=DocumentKind.AGREEMENT)
    assert agreement.is_ready
    page = client.get(page_url(token, "accepted")).content.decode()
    assert page_url(token, "agreement") in page
    content = client.get(page_url(token, "agreement")).content
    assert content == bytes(agreement.pdf)
    text = pdf_text(content)
    assert "Contrat de services" in text
    assert "Onboarding" in text and "RMM agent" in text
    assert "USt-IdNr.: DE136695976" in text
    assert "Autoliquidation" in text
    certificate = pages_text(content)[-1]
    assert "Certificat d'acceptation" in certificate
    assert "Accepté par Carla Customer" in certificate
    zone = quote.workspace.zone  # the MSP's local time
    with translation.override("fr"), timezone.override(zone):
        when = stamp(acceptance.accepted_at, "DATETIME_FORMAT")
    when = " ".join(when.split())  # pages_text collapses no-break spaces
    assert f"Accepté le {when}" in certificate and when.endswith(("CET", "CEST"))
    assert f"Adresse IP {acceptance.ip_address}" in certificate
    assert "Safari/605.1.15" in certificate
    assert "Accepté via Page de partage" in certificate
    assert hashlib.sha256(accepted_pdf).hexdigest() in certificate.replace(" ", "")


def test_it_certifies_a_staff_acceptance_with_the_staff_member(
    client_for, alice, alpha, make_customer, make_quote, django_capture_on_commit_callbacks
):
    """Marked accepted by staff: the certificate names that staff member and their email."""
    quote = make_quote(alpha, make_customer(alpha, "PL", language="pl"))
    staff = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/quotes/{quote.public_id}/accept/", {"revision": quote.revision})
    assert response.status_code == 302
    acceptance = QuoteAcceptance.objects.get(quote=quote)
    agreement = QuoteDocument.objects.get(quote=quote, kind=DocumentKind.AGREEMENT)
    certificate = pages_text(bytes(agreement.pdf))[-1]
    assert "Certyfikat akceptacji" in certificate
    assert "Oznaczone jako zaakceptowane przez pracownika" in certificate
    assert alice.email in certificate
    assert acceptance.document_sha256 in certificate.replace(" ", "")


def test_it_serves_the_accepted_documents_byte_identical_forever(
    client_for, alice, alpha, shared, tmp_path, django_capture_on_commit_callbacks
):
    """After a post-accept line edit, a new workspace address and changed templates, the
    accepted quote PDF and the agreement are served unchanged; the quote PDF's hash is still
    the acceptance record's."""
    quote, token = shared
    customer = Client()
    _accept(customer, token, django_capture_on_commit_callbacks)
    acceptance = QuoteAcceptance.objects.get(quote=quote)
    accepted = customer.get(page_url(token, "pdf")).content
    agreement = customer.get(page_url(token, "agreement")).content
    staff = client_for(alice)
    documents = {d.kind: d for d in QuoteDocument.objects.filter(quote=quote)}

    actions.do_update_line(QuoteLine.objects.filter(quote=quote).first(), quantity=7)
    alpha.street, alpha.city = "Neue Allee 5", "Hamburg"
    alpha.save()
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "quote.html").write_text("<p>Template v2</p>")
    (tmp_path / "pdf" / "agreement.html").write_text("<p>Agreement template v2</p>")
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [tmp_path, *_template_dirs()],
            "APP_DIRS": True,
        }
    ]
    with override_settings(TEMPLATES=templates):
        assert customer.get(page_url(token, "pdf")).content == accepted
        assert customer.get(page_url(token, "agreement")).content == agreement
        for kind, original in ((DocumentKind.QUOTE, accepted), (DocumentKind.AGREEMENT, agreement)):
            document = documents[kind]
            url = f"/quotes/{quote.public_id}/documents/{document.public_id}/"
            assert staff.get(url).content == original
        # Staff asking for the PDF of the edited quote get a new revision in the new template.
        quote.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            staff.post(f"/quotes/{quote.public_id}/pdf/")
    assert hashlib.sha256(accepted).hexdigest() == acceptance.document_sha256
    newest = QuoteDocument.objects.get(
        quote=quote, kind=DocumentKind.QUOTE, revision=quote.revision
    )
    assert "Template v2" in pdf_text(bytes(newest.pdf))
    assert newest.revision > acceptance.revision


def _template_dirs():
    from django.conf import settings

    return settings.TEMPLATES[0]["DIRS"]


def test_it_links_the_accepted_documents_for_staff(
    client_for, alice, shared, django_capture_on_commit_callbacks
):
    """The quote page's acceptance panel links the accepted PDF and the agreement."""
    quote, token = shared
    _accept(Client(), token, django_capture_on_commit_callbacks)
    html = client_for(alice).get(f"/quotes/{quote.public_id}/").content.decode()
    assert 'id="accepted-pdf"' in html
    assert 'id="agreement-pdf"' in html


def test_it_prepares_large_quotes_in_the_background(
    alpha, make_customer, make_quote, django_capture_on_commit_callbacks
):
    """A long quote's share page says "being prepared" and polls until the task is done."""
    lines = [(f"Line {i}", "1.00", "monthly") for i in range(INLINE_MAX_LINES + 1)]
    quote = make_quote(alpha, make_customer(alpha, "DE"), lines=lines)
    _, token = share(quote)
    client = Client()
    with django_capture_on_commit_callbacks() as callbacks:
        html = client.get(page_url(token)).content.decode()
    assert 'data-pdf-state="pending"' in html
    assert 'hx-trigger="every 1s"' in html
    assert 'name="consent"' not in html
    assert client.get(page_url(token, "pdf"))["Location"] == page_url(token)
    with django_capture_on_commit_callbacks() as again:
        client.get(page_url(token))
    assert len(callbacks) == 1 and not again, "one task, not one per poll"

    callbacks[0]()
    html = client.get(page_url(token)).content.decode()
    assert 'name="consent"' in html
    _, sha256 = shown_document(html)
    assert hashlib.sha256(client.get(page_url(token, "pdf")).content).hexdigest() == sha256
