"""MSPercury's VAT decision as Lexware Office's taxType per invoice and rate per line."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from integrations.accounting.tax import InvoiceTax, LineTax, TaxRefused
from integrations.lexware.tax import lexware_tax
from rules.tax import Party, Supply, TaxTreatment, decide_tax
from rules.taxids import TaxIdType

MSP_VAT_ID = "DE136695976"
FR_VAT_ID = "FR40303265045"
D = Decimal


def invoice(treatment, rate, lines=2, **options):
    options.setdefault("supplier_vat_id", MSP_VAT_ID)
    options.setdefault("customer_vat_id", FR_VAT_ID)
    return InvoiceTax.uniform(treatment, D(rate), lines=lines, **options)


@pytest.mark.parametrize(
    ("treatment", "rate", "supply", "tax_type", "rates"),
    [
        (TaxTreatment.DOMESTIC, "19", Supply.SERVICES, "net", (D(19), D(19))),
        (TaxTreatment.DOMESTIC, "7", Supply.GOODS, "net", (D(7), D(7))),
        (TaxTreatment.EU_NO_VAT_ID, "19", Supply.SERVICES, "net", (D(19), D(19))),
        (TaxTreatment.REVERSE_CHARGE, "0", Supply.SERVICES, "externalService13b", (D(0), D(0))),
        (TaxTreatment.INTRA_EU_GOODS, "0", Supply.GOODS, "intraCommunitySupply", (D(0), D(0))),
        (TaxTreatment.EXPORT, "0", Supply.SERVICES, "thirdPartyCountryService", (D(0), D(0))),
        (TaxTreatment.EXPORT, "0", Supply.GOODS, "thirdPartyCountryDelivery", (D(0), D(0))),
    ],
)
def test_each_treatment_has_its_tax_type_and_line_rates(treatment, rate, supply, tax_type, rates):
    mapped = lexware_tax(invoice(treatment, rate, supply=supply))
    assert mapped.tax_type == tax_type
    assert mapped.line_rates == rates
    assert mapped.tax_conditions()["taxType"] == tax_type
    assert mapped.needs_contact is (tax_type != "net")


def test_a_taxed_invoice_carries_no_note():
    mapped = lexware_tax(invoice(TaxTreatment.DOMESTIC, "19"))
    assert mapped.tax_type_note == ""
    assert mapped.tax_conditions() == {"taxType": "net"}


def test_domestic_lines_may_mix_7_and_19_percent():
    lines = (LineTax(TaxTreatment.DOMESTIC, D(7)), LineTax(TaxTreatment.DOMESTIC, D("19.00")))
    mapped = lexware_tax(InvoiceTax("EUR", "de", "DE", lines))
    assert mapped.tax_type == "net"
    assert mapped.line_rates == (D(7), D(19))


def test_reverse_charge_note_is_in_the_customer_s_language_with_both_vat_ids():
    """French customer: the French mention, the German §13b citation, both VAT IDs; Lexware
    prints only German or English, so the document is English."""
    mapped = lexware_tax(invoice(TaxTreatment.REVERSE_CHARGE, "0", language="fr"))
    assert mapped.tax_type_note == (
        "Autoliquidation (reverse charge). La TVA est due par le preneur (Art. 196 de la "
        "directive TVA 2006/112/CE). Aucune TVA n'est facturée sur ce document. "
        "§13b UStG: Steuerschuldnerschaft des Leistungsempfängers. "
        "N° TVA du prestataire: DE136695976 N° TVA du preneur: FR40303265045"
    )
    assert mapped.language == "en"
    assert mapped.tax_conditions() == {
        "taxType": "externalService13b",
        "taxTypeNote": mapped.tax_type_note,
    }


def test_export_of_services_note_in_english_cites_section_3a():
    mapped = lexware_tax(invoice(TaxTreatment.EXPORT, "0", language="en-GB"))
    assert mapped.tax_type_note == (
        "Outside the scope of VAT. The place of supply is the customer's country (Art. 44 VAT "
        "Directive); no VAT is charged on this document. Any tax due there is payable by the "
        "customer. Nicht im Inland steuerbare Leistung (§ 3a Abs. 2 UStG)."
    )
    assert mapped.language == "en"


def test_export_of_goods_note_in_german():
    mapped = lexware_tax(invoice(TaxTreatment.EXPORT, "0", supply=Supply.GOODS, language="de"))
    assert mapped.tax_type_note == (
        "Steuerfreie Ausfuhr (Art. 146 MwStSystRL). "
        "Steuerfreie Ausfuhrlieferung (§ 4 Nr. 1 Buchst. a i. V. m. § 6 UStG)."
    )
    assert mapped.language == "de"


def test_intra_community_supply_note_names_both_vat_ids():
    mapped = lexware_tax(invoice(TaxTreatment.INTRA_EU_GOODS, "0", supply=Supply.GOODS))
    assert mapped.tax_type_note == (
        "Steuerfreie innergemeinschaftliche Lieferung. Steuerfrei nach § 4 Nr. 1 Buchst. b "
        "i. V. m. § 6a UStG. USt-IdNr. des Lieferers: DE136695976 "
        "USt-IdNr. des Abnehmers: FR40303265045"
    )


@pytest.mark.parametrize(
    ("tax", "code", "message"),
    [
        (
            invoice(TaxTreatment.DOMESTIC, "19", currency="CHF"),
            "currency",
            "Lexware Office invoices only in EUR, not in CHF.",
        ),
        (
            invoice(TaxTreatment.DOMESTIC, "16"),
            "rate_not_allowed",
            "Lexware Office accepts the VAT rates 0, 7, 19 %, not 16 %.",
        ),
        (
            invoice(TaxTreatment.EU_NO_VAT_ID, "20", rate_country="FR"),
            "foreign_rate",
            "Lexware Office cannot take the 20 % VAT of FR (a One-Stop-Shop sale).",
        ),
        (
            InvoiceTax(
                "EUR",
                "en",
                "DE",
                (
                    LineTax(TaxTreatment.EXPORT, D(0), "CH", Supply.SERVICES),
                    LineTax(TaxTreatment.EXPORT, D(0), "CH", Supply.GOODS),
                ),
            ),
            "mixed_treatments",
            "Lexware Office takes one taxType per invoice, but these lines need "
            "thirdPartyCountryDelivery, thirdPartyCountryService: invoice them separately.",
        ),
        (
            InvoiceTax(
                "EUR",
                "fr",
                "DE",
                (
                    LineTax(TaxTreatment.REVERSE_CHARGE, D(0), "FR", Supply.SERVICES),
                    LineTax(TaxTreatment.INTRA_EU_GOODS, D(0), "FR", Supply.GOODS),
                ),
            ),
            "mixed_treatments",
            "Lexware Office takes one taxType per invoice, but these lines need "
            "externalService13b, intraCommunitySupply: invoice them separately.",
        ),
        (
            invoice(TaxTreatment.REVERSE_CHARGE, "19"),
            "rate_not_allowed",
            "Lexware Office accepts the VAT rates 0 %, not 19 %.",
        ),
        (
            invoice(TaxTreatment.NOT_CALCULATED, "0"),
            "not_calculated",
            "MSPercury calculated no VAT for this invoice, so it cannot be booked.",
        ),
        (
            invoice(TaxTreatment.DOMESTIC, "20", supplier_country="AT", rate_country="AT"),
            "supplier_not_german",
            "Lexware Office books German VAT only; this workspace's country is AT.",
        ),
        (invoice(TaxTreatment.DOMESTIC, "19", lines=0), "no_lines", None),
    ],
)
def test_what_lexware_cannot_represent_is_refused_with_the_reason(tax, code, message):
    with pytest.raises(TaxRefused) as refused:
        lexware_tax(tax)
    assert refused.value.code == code
    if message:
        assert str(refused.value) == message


def test_the_reason_is_translated_when_read():
    with pytest.raises(TaxRefused) as refused:
        lexware_tax(invoice(TaxTreatment.DOMESTIC, "19", currency="USD"))
    with translation.override("de"):
        assert refused.value.message == (
            "Lexware Office stellt Rechnungen nur in EUR aus, nicht in USD."
        )
    with translation.override("en"):
        assert refused.value.message == "Lexware Office invoices only in EUR, not in USD."


def party(country, vat_id=""):
    kind = TaxIdType.EU_VAT if vat_id else TaxIdType.NONE
    return Party(country, kind, vat_id)


@pytest.mark.parametrize(
    ("customer", "supply", "tax_type", "rate"),
    [
        (party("DE", "DE811115368"), Supply.SERVICES, "net", D(19)),
        (party("FR", FR_VAT_ID), Supply.SERVICES, "externalService13b", D(0)),
        (party("FR", FR_VAT_ID), Supply.GOODS, "intraCommunitySupply", D(0)),
        (party("FR"), Supply.SERVICES, "net", D(19)),  # EU B2C: the German rate
        (party("CH"), Supply.SERVICES, "thirdPartyCountryService", D(0)),
        (party("US"), Supply.GOODS, "thirdPartyCountryDelivery", D(0)),
    ],
)
def test_what_decide_tax_decides_maps_end_to_end(customer, supply, tax_type, rate):
    """From the rule's decision for a German MSP to Lexware's fields."""
    decision = decide_tax(party("DE", MSP_VAT_ID), customer, date(2027, 1, 1), supply)
    tax = invoice(
        decision.treatment, decision.rate, rate_country=decision.rate_country, supply=supply
    )
    mapped = lexware_tax(tax)
    assert (mapped.tax_type, mapped.line_rates) == (tax_type, (rate, rate))


def test_a_us_workspace_s_uncalculated_tax_is_refused():
    decision = decide_tax(party("US"), party("DE"), date(2027, 1, 1))
    tax = invoice(decision.treatment, decision.rate, supplier_country="US", rate_country="")
    with pytest.raises(TaxRefused) as refused:
        lexware_tax(tax)
    assert refused.value.code == "supplier_not_german"
