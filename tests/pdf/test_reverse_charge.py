"""The yellow reverse-charge banner: exactly for EU B2B reverse charge, in the customer's
language, citing Art. 196 (and §13b UStG for German MSPs) with both VAT IDs."""

import pytest

from tests.pdf.helpers import pdf_text

TERMS = {
    "de": "Steuerschuldnerschaft des Leistungsempfängers",
    "en": "Reverse charge",
    "fr": "Autoliquidation",
    "it": "Inversione contabile",
    "es": "Inversión del sujeto pasivo",
    "nl": "Btw verlegd",
    "pl": "Odwrotne obciążenie",
}
TAX_LINES = {
    "de": "MwSt. 0 % (Steuerschuldnerschaft",
    "en": "VAT 0 % (reverse charge)",
    "fr": "TVA 0 % (autoliquidation)",
    "it": "IVA 0 % (inversione contabile)",
    "es": "IVA 0 % (inversión del sujeto pasivo)",
    "nl": "Btw 0 % (btw verlegd)",
    "pl": "VAT 0 % (odwrotne obciążenie)",
}
ALL_TERMS = [*TERMS.values(), "Art. 196"]


@pytest.fixture
def render_case(make_workspace, make_customer, make_quote, render_quote_pdf):
    def _render(supplier, customer, *, language="en", supplier_tax_id=None, customer_tax_id=None):
        workspace = make_workspace(supplier, tax_id=supplier_tax_id)
        client = make_customer(workspace, customer, language=language, tax_id=customer_tax_id)
        return pdf_text(render_quote_pdf(make_quote(workspace, client)))

    return _render


@pytest.mark.parametrize("language", sorted(TERMS))
def test_it_shows_the_banner_in_the_customers_language(language, render_case):
    """DE → FR with VAT IDs: the notice in the customer's language, Art. 196, §13b UStG, both
    VAT IDs, above the line items."""
    text = render_case("DE", "FR", language=language)
    assert TERMS[language] in text
    assert "Art. 196" in text
    assert "§13b UStG: Steuerschuldnerschaft des Leistungsempfängers" in text
    banner_at = text.index(TERMS[language])
    assert "DE136695976" in text[banner_at:]
    assert "FR40303265045" in text[banner_at:]
    assert banner_at < text.index("Onboarding"), "the banner stands above the line items"
    # The whole document speaks the customer's language, the tax row included.
    tax_line = TAX_LINES[language]
    assert tax_line in text


def test_it_shows_the_greek_notice_to_a_greek_customer(render_case):
    """DE → GR, the customer reads Greek: the real PDF's banner has the Greek mention and the
    Greek sentence with Art. 196, then §13b UStG and both VAT IDs under their Greek labels."""
    text = " ".join(render_case("DE", "GR", language="el").split())
    assert "Αντίστροφη επιβάρυνση (reverse charge)" in text
    assert "Ο ΦΠΑ οφείλεται από τον λήπτη των υπηρεσιών (άρθρο 196 της οδηγίας ΦΠΑ" in text
    assert "§13b UStG: Steuerschuldnerschaft des Leistungsempfängers" in text
    assert "Αριθμός ΦΠΑ του παρόχου: DE136695976" in text
    assert "Αριθμός ΦΠΑ του λήπτη: EL094259216" in text
    assert "VAT is payable by the recipient" not in text


def test_it_shows_the_german_notice_without_13b_for_an_austrian_msp(render_case):
    """AT → DE: German wording and Art. 196, both VAT IDs, but no §13b UStG (German law)."""
    text = render_case("AT", "DE", language="de")
    assert TERMS["de"] in text
    assert "Art. 196" in text
    assert "ATU13585627" in text
    assert "DE136695976" in text
    assert "13b" not in text


def test_it_shows_the_banner_for_a_french_msp_too(render_case):
    """FR → DE in English: "Reverse charge", Art. 196, no §13b."""
    text = render_case("FR", "DE", language="en")
    assert "Reverse charge" in text
    assert "Art. 196" in text
    assert "FR40303265045" in text
    assert "13b" not in text


@pytest.mark.parametrize(
    ("supplier", "customer", "options"),
    [
        ("DE", "DE", {}),
        ("DE", "CH", {}),
        ("DE", "GB", {}),
        ("DE", "US", {}),
        ("DE", "FR", {"customer_tax_id": ""}),
        ("DE", "FR", {"supplier_tax_id": ""}),
    ],
    ids=["domestic", "CH", "GB", "US", "customer-without-vat-id", "msp-without-vat-id"],
)
def test_it_shows_no_banner_outside_reverse_charge(supplier, customer, options, render_case):
    """Domestic, non-EU (CH, GB, US) and customers or MSPs without VAT ID: no notice."""
    text = render_case(supplier, customer, language="fr", **options)
    for term in ALL_TERMS:
        assert term not in text
    assert "reverse charge" not in text.lower()
