"""Tax-ID labels by country and the reverse-charge notice by language (pure)."""

import pytest
from django.conf import settings

from integrations.push.tax_rates import invoice_wording
from mspercury.models import DOCUMENT_LANGUAGES
from rules.wording import (
    NOTICE_LANGUAGES,
    exemption_text,
    export_notice,
    reverse_charge_notice,
    tax_id_label,
    tax_id_line,
)


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
        ("MC", "eu_vat", "N° TVA"),
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


# The mention Art. 226(11a) VAT Directive prescribes in each language version
# (vat-and-tax-id-facts.md §3.3; sl and ga: see rules/wording.py).
TERMS = {
    "bg": "Обратно начисляване",
    "cs": "Daň odvede zákazník",
    "da": "Omvendt betalingspligt",
    "de": "Steuerschuldnerschaft des Leistungsempfängers",
    "el": "Αντίστροφη επιβάρυνση",
    "en": "Reverse charge",
    "es": "Inversión del sujeto pasivo",
    "et": "Pöördmaksustamine",
    "fi": "Käännetty verovelvollisuus",
    "fr": "Autoliquidation",
    "ga": "Aisiompú muirir",
    "hr": "Prijenos porezne obveze",
    "hu": "Fordított adózás",
    "it": "Inversione contabile",
    "lt": "Atvirkštinis apmokestinimas",
    "lv": "Nodokļa apgrieztā maksāšana",
    "mt": "Inverżjoni tal-ħlas",
    "nl": "Btw verlegd",
    "pl": "Odwrotne obciążenie",
    "pt": "Autoliquidação",
    "ro": "Taxare inversă",
    "sk": "Prenesenie daňovej povinnosti",
    "sl": "Obrnjena davčna obveznost",
    "sv": "Omvänd betalningsskyldighet",
}
DOCUMENT_CODES = [code for code, _name in DOCUMENT_LANGUAGES]


def test_it_words_every_document_language():
    """Each of the 24 document languages has its own notice (and nothing else has one)."""
    assert sorted(NOTICE_LANGUAGES) == sorted(DOCUMENT_CODES) == sorted(TERMS)
    assert sorted(settings.MSPERCURY_DOCUMENT_LANGUAGES) == sorted(TERMS)


@pytest.mark.parametrize("language", sorted(TERMS))
def test_it_words_the_notice_in_the_customers_language(language):
    """Title: the official term of the language; body: Art. 196 and both VAT IDs."""
    notice = reverse_charge_notice(language, "FR", "FR40303265045", "DE136695976")
    assert notice["title"].startswith(TERMS[language])
    assert notice["mention"] == TERMS[language]
    assert "196" in notice["body"] and "2006/112/" in notice["body"]
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


@pytest.mark.parametrize("language", DOCUMENT_CODES)
def test_it_words_the_export_notice_in_every_language(language):
    """Every language has its own export title and sentence citing Art. 44, not the English."""
    notice = export_notice(language, "FR")
    assert "44" in notice["body"] and notice["title"] == notice["mention"]
    if language != "en":
        english = export_notice("en", "FR")
        assert (notice["title"], notice["body"]) != (english["title"], english["body"])
    assert "3a Abs. 2 UStG" in export_notice(language, "DE")["body"]


@pytest.mark.parametrize("language", DOCUMENT_CODES)
def test_it_gives_the_e_invoice_exemption_reason_in_every_language(language):
    """BT-120: AE the official mention, O the export title, G the Art. 146 export; nothing for
    standard-rated lines."""
    assert exemption_text("AE", language) == TERMS[language]
    assert exemption_text("O", language) == export_notice(language, "DE")["title"]
    assert "146" in exemption_text("G", language)
    assert exemption_text("S", language) == ""


def test_it_falls_back_to_english_exemption_reasons():
    assert exemption_text("AE", "xx") == "Reverse charge"
    assert exemption_text("O", "") == "Outside the scope of VAT"
    assert exemption_text("AE", "el-GR") == "Αντίστροφη επιβάρυνση"


def test_it_writes_the_greek_notice_on_the_stripe_invoice():
    """A Greek customer of a German MSP: the Stripe invoice's footer and first custom field
    carry the Greek mention and sentence, both VAT IDs in Greek words."""
    found = invoice_wording("reverse_charge", "el", "DE", "DE136695976", "EL094259216")
    assert found.footer.startswith("Αντίστροφη επιβάρυνση (reverse charge). Ο ΦΠΑ οφείλεται")
    assert "§13b UStG: Steuerschuldnerschaft des Leistungsempfängers." in found.footer
    names = [field["name"] for field in found.custom_fields]
    assert names == [
        "Αντίστροφη επιβάρυνση (reverse charge)",
        "Αριθμός ΦΠΑ του παρόχου",
        "Αριθμός ΦΠΑ του λήπτη",
    ]
    assert [field["value"] for field in found.custom_fields][1:] == [
        "DE136695976",
        "EL094259216",
    ]
