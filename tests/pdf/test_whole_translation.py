"""Quotes, agreements and their acceptance certificates read whole in the customer's language
(fr, it, es, nl, pl as well as de and en): no English template text left, local dates and
number formats; the certificate carries the acceptance facts and the accepted PDF's hash."""

import hashlib
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.formats import date_format, number_format

from quotes import pdf
from quotes.stored_documents import quote_pdf_snapshot
from tests.pdf.conftest import add_line
from tests.pdf.helpers import page_png, pages_text, pdf_text

# English text of templates/pdf and quotes/pdf.py that also differs in every language below
# (words such as "Date" or "Server" read the same in some of them and are left out).
ENGLISH = [
    "Quote no.",
    "Valid until",
    "Revision",
    "Description",
    "Unit price",
    "Discount",
    "Monthly services",
    "One-time services",
    "Subtotal per month",
    "Subtotal one-time",
    "Monthly, per month",
    "First invoice",
    "Gross",
    "All prices are net prices",
    "Acceptance",
    "Accept this quote online",
    "sign below",
    "By accepting, you order",
    "Place, date",
    "Page 1 of",
    "VAT 0 % (reverse charge)",
    "This quote is valid until",
    "Workstation",
    "Hour",
]
AGREEMENT_ENGLISH = [
    "Service agreement",
    "This agreement follows",
    "Provider",
    "Services and fees",
    "Term and billing",
    "The agreement starts on",
    "renew automatically",
    "Prices are net",
    "Changes to the services",
    "Acceptance certificate",
    "Accepted by",
    "Accepted at",
    "Accepted via",
    "IP address",
    "Document SHA-256",
    "fingerprint identifies",
    "To check a copy",
    "Share page",
]
EXPECTED = {
    "fr": ("Devis", "Prestations mensuelles", "Autoliquidation", "Certificat d'acceptation"),
    "it": ("Preventivo", "Servizi mensili", "Inversione contabile", "Certificato di accettazione"),
    "es": ("Presupuesto", "Servicios mensuales", "Inversión del sujeto pasivo", "Certificado"),
    "nl": ("Offerte", "Maandelijkse diensten", "Btw verlegd", "Acceptatiecertificaat"),
    "pl": ("Oferta", "Usługi miesięczne", "Odwrotne obciążenie", "Certyfikat akceptacji"),
}
ENGLISH_FORMS = ("1,234.50", "Dec.", "December", "12/31/2026")
COUNTRY = {"fr": "FR", "it": "IT", "es": "ES", "nl": "NL", "pl": "PL"}


def _acceptance(sha256: str, **fields) -> dict:
    return {
        "name": "Carla Customer",
        "email": "",
        "accepted_at": "2026-12-03T09:15:42+00:00",
        "via": "share_page",
        "staff": None,
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
        "revision": 1,
        "document_sha256": sha256,
        **fields,
    }


@pytest.fixture
def quote_in(alpha, make_customer, make_quote):
    alpha.street, alpha.postal_code, alpha.city = "Hauptstraße 1", "10115", "Berlin"
    alpha.country, alpha.tax_id_type, alpha.tax_id = "DE", "eu_vat", "DE136695976"
    alpha.save()

    def _make(language):
        customer = make_customer(
            alpha, COUNTRY[language], language=language, company_name="Dupont & Fils"
        )
        quote = make_quote(alpha, customer, lines=[("Onboarding", "1234.50", "one_time")])
        add_line(quote, "RMM agent", "5.00", "monthly", "3", unit="workstation")
        add_line(quote, "Support", "90.00", "monthly", "2", unit="hour")
        quote.refresh_from_db()
        quote.valid_until = datetime(2026, 12, 31).date()
        quote.save()
        snapshot = quote_pdf_snapshot(quote)
        snapshot["as_of"] = "2026-12-03T08:00:00+00:00"
        return snapshot

    return _make


def _english_left(text: str, strings) -> list[str]:
    """The English strings in ``text`` as words of their own ("Revision" is not "Revisione")."""
    return [s for s in strings if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)]


def _local(language: str, what: str, value=None) -> str:
    """1234.50 or 31 December 2026 as the language writes them (spaces collapsed like
    ``pages_text``, as fr and pl group thousands with no-break spaces)."""
    with translation.override(language):
        if what == "number":
            shown = number_format(Decimal("1234.50"), 2, force_grouping=True)
        elif what == "datetime":
            shown = date_format(value, "DATETIME_FORMAT")
        else:
            shown = date_format(value or date(2026, 12, 31), "DATE_FORMAT")
    return " ".join(shown.split())


@pytest.mark.parametrize("language", ["fr", "it", "es", "nl", "pl"])
def test_it_renders_the_whole_quote_in_the_customers_language(quote_in, language):
    """No English template text on the quote, the language's own words, dates and numbers."""
    content = pdf.render_quote(quote_in(language))
    text = pdf_text(content)
    assert _english_left(text, ENGLISH) == []
    for word in EXPECTED[language][:3]:
        assert word in text
    assert all(form not in text for form in ENGLISH_FORMS)
    assert _local(language, "number") in text
    assert _local(language, "date") in text


@pytest.mark.parametrize("language", ["fr", "it", "es", "nl", "pl"])
def test_it_renders_the_whole_agreement_and_certificate_in_the_customers_language(
    quote_in, language
):
    """The agreement and its certificate page have no English left either."""
    snapshot = quote_in(language)
    accepted = pdf.render_quote(snapshot)
    sha256 = hashlib.sha256(accepted).hexdigest()
    content = pdf.render_agreement(snapshot, _acceptance(sha256))
    text = pdf_text(content)
    assert _english_left(text, ENGLISH + AGREEMENT_ENGLISH) == []
    assert EXPECTED[language][3] in text
    assert sha256 in text.replace(" ", "")


def test_it_puts_the_acceptance_facts_on_the_certificate_page(quote_in):
    """The last page: who, when (with its time zone), from where, how, the document hash."""
    snapshot = quote_in("fr")
    accepted = pdf.render_quote(snapshot)
    sha256 = hashlib.sha256(accepted).hexdigest()
    pages = pages_text(pdf.render_agreement(snapshot, _acceptance(sha256)))
    last = pages[-1]
    assert "Certificat d'acceptation" in last
    assert "Carla Customer" in last
    # The MSP's local time (Alpha is in Berlin: 09:15 UTC is 10:15 CET), with its zone.
    accepted_at = datetime(2026, 12, 3, 10, 15, 42, tzinfo=ZoneInfo("Europe/Berlin"))
    assert f"{_local('fr', 'datetime', accepted_at)} CET" in last
    assert "2026-12-03T09:15:42Z" in last
    assert "203.0.113.7" in last
    assert "Firefox/133.0" in last
    assert "Page de partage" in last
    assert "révision 1" in last
    assert sha256 in last.replace(" ", "")
    assert all("Certificat d'acceptation" not in page for page in pages[:1])


def test_it_names_the_staff_member_who_marked_it_accepted(quote_in):
    """Marked accepted by staff: the certificate names that staff member and their email."""
    snapshot = quote_in("pl")
    acceptance = _acceptance(
        "ab" * 32,
        via="manual",
        email="alice@example.org",
        staff={"name": "Alice Owner", "email": "alice@example.org"},
        ip_address="",
        user_agent="",
    )
    last = pages_text(pdf.render_agreement(snapshot, acceptance))[-1]
    assert "Oznaczone jako zaakceptowane przez pracownika: Alice Owner <alice@example.org>" in last
    assert "Carla Customer <alice@example.org>" in last


@pytest.mark.parametrize("language", ["fr", "pl"])
def test_it_draws_the_translated_pages(quote_in, language, tmp_path):
    """Rendered pages are not blank (PNG via pdftoppm, kept in tmp_path for a look)."""
    from tests.pdf.helpers import non_white_share

    snapshot = quote_in(language)
    agreement = pdf.render_agreement(snapshot, _acceptance("cd" * 32))
    for page in (1, len(pages_text(agreement))):
        image = page_png(agreement, tmp_path, page=page)
        assert non_white_share(image) > 0.005


def test_it_keeps_german_and_english_documents(quote_in, alpha, make_customer, make_quote):
    """de and en stay whole documents too (the fallback for a language outside the 24 is
    English)."""
    customer = make_customer(alpha, "AT", language="de")
    snapshot = quote_pdf_snapshot(make_quote(alpha, customer))
    text = pdf_text(pdf.render_quote(snapshot))
    assert "Angebot" in text
    with translation.override("fr"):
        customer = make_customer(alpha, "SE", language="ja")
        snapshot = quote_pdf_snapshot(make_quote(alpha, customer))
    assert "Quote no." in pdf_text(pdf.render_quote(snapshot))
