"""Tax-ID labels by country and the reverse-charge notice by language (pure)."""

import pytest

from billing.wording import reverse_charge_notice, tax_id_label, tax_id_line


@pytest.mark.parametrize(
    ("country", "tax_id_type", "label"),
    [
        ("DE", "eu_vat", "USt-IdNr."),
        ("AT", "eu_vat", "VAT ID"),
        ("US", "us_ein", "EIN"),
        ("CA", "ca_gst_hst", "GST/HST"),
        ("CH", "ch_vat", "MWST-Nr."),
        ("GB", "gb_vat", "VAT Reg. No."),
        ("FR", "eu_vat", "N° TVA"),
        ("IT", "eu_vat", "P.IVA"),
        ("ES", "eu_vat", "NIF-IVA"),
        ("NL", "eu_vat", "Btw-id"),
        ("PT", "eu_vat", "VAT ID"),
        ("", "none", "VAT ID"),
        ("de", "eu_vat", "USt-IdNr."),
    ],
)
def test_it_labels_tax_ids_as_customary_in_the_country(country, tax_id_type, label):
    """Each country gets its customary label; countries without an entry get "VAT ID"."""
    assert tax_id_label(country, tax_id_type) == label


def test_it_writes_the_tax_id_line_only_with_a_number():
    """ "Label: number", or nothing when the workspace has no number."""
    assert tax_id_line("US", "us_ein", "12-3456789") == "EIN: 12-3456789"
    assert tax_id_line("DE", "eu_vat", "") == ""


TERMS = {
    "de": "Steuerschuldnerschaft des Leistungsempfängers",
    "en": "Reverse charge",
    "fr": "Autoliquidation",
    "it": "Inversione contabile",
    "es": "Inversión del sujeto pasivo",
    "nl": "Btw verlegd",
    "pl": "Odwrotne obciążenie",
}


@pytest.mark.parametrize("language", sorted(TERMS))
def test_it_words_the_notice_in_the_customers_language(language):
    """Title: the official term of the language; body: Art. 196 and both VAT IDs."""
    notice = reverse_charge_notice(language, "FR", "FR40303265045", "DE136695976")
    assert notice["title"].startswith(TERMS[language])
    assert "Art. 196" in notice["body"]
    assert "FR40303265045" in notice["body"]
    assert "DE136695976" in notice["body"]
    assert "13b" not in notice["body"]


def test_it_cites_13b_ustg_for_german_suppliers_only():
    """A German MSP adds §13b UStG with the German wording, whatever the language."""
    german = reverse_charge_notice("fr", "DE", "DE136695976", "FR40303265045")
    austrian = reverse_charge_notice("fr", "AT", "ATU13585627", "FR40303265045")
    assert "§13b UStG: Steuerschuldnerschaft des Leistungsempfängers" in german["body"]
    assert "13b" not in austrian["body"]


def test_it_falls_back_to_english_for_other_languages():
    """An unknown language gets the English notice."""
    assert reverse_charge_notice("xx", "FR", "FR1", "DE1")["title"] == "Reverse charge"
