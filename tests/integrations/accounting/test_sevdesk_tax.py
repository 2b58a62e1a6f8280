"""MSPercury's VAT decision as sevDesk's taxRule per invoice and taxRate per position."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from integrations.accounting.tax import InvoiceTax, LineTax, TaxRefused
from integrations.sevdesk.tax import sevdesk_tax
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
    ("treatment", "rate", "supply", "rule", "tax_text"),
    [
        (TaxTreatment.DOMESTIC, "19", Supply.SERVICES, "1", "Umsatzsteuer 19 %"),
        (TaxTreatment.DOMESTIC, "7", Supply.GOODS, "1", "Umsatzsteuer 7 %"),
        (TaxTreatment.DOMESTIC, "0", Supply.SERVICES, "1", "Umsatzsteuer 0 %"),
        (TaxTreatment.EU_NO_VAT_ID, "19", Supply.SERVICES, "1", "Umsatzsteuer 19 %"),
        (
            TaxTreatment.REVERSE_CHARGE,
            "0",
            Supply.SERVICES,
            "21",
            "Steuerschuldnerschaft des Leistungsempfängers (reverse charge)",
        ),
        (
            TaxTreatment.INTRA_EU_GOODS,
            "0",
            Supply.GOODS,
            "3",
            "Steuerfreie innergemeinschaftliche Lieferung",
        ),
        (
            TaxTreatment.EXPORT,
            "0",
            Supply.SERVICES,
            "17",
            "Nicht steuerbar im Land des Leistenden",
        ),
        (TaxTreatment.EXPORT, "0", Supply.GOODS, "2", "Steuerfreie Ausfuhr (Art. 146 MwStSystRL)"),
    ],
)
def test_each_treatment_has_its_tax_rule_rates_and_text(treatment, rate, supply, rule, tax_text):
    mapped = sevdesk_tax(invoice(treatment, rate, supply=supply, language="de"))
    assert mapped.tax_rule == rule
    assert mapped.line_rates == (D(rate), D(rate))
    assert mapped.tax_text == tax_text
    assert mapped.invoice_fields() == {
        "taxRule": {"id": rule, "objectName": "TaxRule"},
        "taxText": tax_text,
        "taxRate": 0,
    }


def test_a_taxed_invoice_has_no_foot_text_and_names_each_rate():
    lines = (LineTax(TaxTreatment.DOMESTIC, D(19)), LineTax(TaxTreatment.DOMESTIC, D(7)))
    mapped = sevdesk_tax(InvoiceTax("EUR", "de", "DE", lines))
    assert (mapped.tax_rule, mapped.line_rates) == ("1", (D(19), D(7)))
    assert mapped.tax_text == "Umsatzsteuer 7 % / 19 %"
    assert mapped.foot_text == ""


def test_reverse_charge_foot_text_is_the_whole_mention_in_the_customer_s_language():
    mapped = sevdesk_tax(invoice(TaxTreatment.REVERSE_CHARGE, "0", language="it"))
    assert mapped.tax_text == "Inversione contabile (reverse charge)"
    assert mapped.foot_text == (
        "Inversione contabile (reverse charge). L'IVA è dovuta dal committente (Art. 196 della "
        "direttiva IVA 2006/112/CE). Il presente documento non comprende l'IVA. "
        "§13b UStG: Steuerschuldnerschaft des Leistungsempfängers. "
        "P.IVA del prestatore: DE136695976 P.IVA del committente: FR40303265045"
    )


def test_a_language_without_wording_falls_back_to_english():
    mapped = sevdesk_tax(invoice(TaxTreatment.EXPORT, "0", language="ja"))
    assert mapped.tax_text == "Outside the scope of VAT"
    assert mapped.foot_text.endswith("Nicht im Inland steuerbare Leistung (§ 3a Abs. 2 UStG).")


def test_sevdesk_takes_other_currencies():
    mapped = sevdesk_tax(invoice(TaxTreatment.EXPORT, "0", currency="CHF", language="de"))
    assert mapped.tax_rule == "17"


@pytest.mark.parametrize(
    ("tax", "invoice_type", "code", "message"),
    [
        (
            invoice(TaxTreatment.DOMESTIC, "19", currency="euro"),
            "RE",
            "currency",
            "EURO is not an ISO 4217 currency code.",
        ),
        (
            invoice(TaxTreatment.DOMESTIC, "16"),
            "RE",
            "rate_not_allowed",
            "sevDesk accepts the VAT rates 0, 7, 19 %, not 16 %.",
        ),
        (
            invoice(TaxTreatment.REVERSE_CHARGE, "19"),
            "RE",
            "rate_not_allowed",
            "sevDesk accepts the VAT rates 0 %, not 19 %.",
        ),
        (
            invoice(TaxTreatment.INTRA_EU_GOODS, "19", supply=Supply.GOODS),
            "RE",
            "rate_not_allowed",
            "sevDesk accepts the VAT rates 0 %, not 19 %.",
        ),
        (
            invoice(TaxTreatment.EU_NO_VAT_ID, "21", rate_country="BE"),
            "RE",
            "foreign_rate",
            "sevDesk cannot take the 21 % VAT of BE (a One-Stop-Shop sale).",
        ),
        (
            InvoiceTax(
                "EUR",
                "de",
                "DE",
                (
                    LineTax(TaxTreatment.DOMESTIC, D(19)),
                    LineTax(TaxTreatment.REVERSE_CHARGE, D(0), "AT"),
                ),
            ),
            "RE",
            "mixed_treatments",
            "sevDesk takes one taxRule per invoice, but these lines need 1, 21: invoice them "
            "separately.",
        ),
        (
            InvoiceTax(
                "EUR",
                "en",
                "DE",
                (
                    LineTax(TaxTreatment.EXPORT, D(0), "US", Supply.GOODS),
                    LineTax(TaxTreatment.EXPORT, D(0), "US", Supply.SERVICES),
                ),
            ),
            "RE",
            "mixed_treatments",
            "sevDesk takes one taxRule per invoice, but these lines need 17, 2: invoice them "
            "separately.",
        ),
        (
            invoice(TaxTreatment.REVERSE_CHARGE, "0"),
            "AR",
            "rule_not_for_invoice_type",
            "sevDesk does not allow tax rule 21 on invoices of type AR.",
        ),
        (
            invoice(TaxTreatment.EXPORT, "0"),
            "TR",
            "rule_not_for_invoice_type",
            "sevDesk does not allow tax rule 17 on invoices of type TR.",
        ),
        (
            invoice(TaxTreatment.NOT_CALCULATED, "0"),
            "RE",
            "not_calculated",
            "MSPercury calculated no VAT for this invoice, so it cannot be booked.",
        ),
        (
            invoice(TaxTreatment.DOMESTIC, "20", supplier_country="AT", rate_country="AT"),
            "RE",
            "supplier_not_german",
            "sevDesk books German VAT only; this workspace's country is AT.",
        ),
        (
            invoice(TaxTreatment.DOMESTIC, "19", lines=0),
            "RE",
            "no_lines",
            "An invoice needs at least one line.",
        ),
    ],
)
def test_what_sevdesk_cannot_represent_is_refused_with_the_reason(tax, invoice_type, code, message):
    with pytest.raises(TaxRefused) as refused:
        sevdesk_tax(tax, invoice_type)
    assert refused.value.code == code
    assert str(refused.value) == message


def test_an_export_of_goods_may_be_an_advance_invoice():
    """Only 17 and 21 are barred from AR/TR/ER; rule 2 is not."""
    assert sevdesk_tax(invoice(TaxTreatment.EXPORT, "0", supply=Supply.GOODS), "AR").tax_rule == "2"


def test_the_reason_is_translated_when_read():
    with pytest.raises(TaxRefused) as refused:
        sevdesk_tax(invoice(TaxTreatment.EXPORT, "0"), "ER")
    with translation.override("de"):
        assert refused.value.message == (
            "sevDesk erlaubt die Steuerregel 17 nicht für Rechnungen vom Typ ER."
        )


def party(country, vat_id=""):
    kind = TaxIdType.EU_VAT if vat_id else TaxIdType.NONE
    return Party(country, kind, vat_id)


@pytest.mark.parametrize(
    ("customer", "supply", "rule", "rate"),
    [
        (party("DE", "DE811115368"), Supply.SERVICES, "1", D(19)),
        (party("FR", FR_VAT_ID), Supply.SERVICES, "21", D(0)),
        (party("FR", FR_VAT_ID), Supply.GOODS, "3", D(0)),
        (party("FR"), Supply.SERVICES, "1", D(19)),  # EU B2C: the German rate
        (party("CH"), Supply.SERVICES, "17", D(0)),
        (party("US"), Supply.GOODS, "2", D(0)),
    ],
)
def test_what_decide_tax_decides_maps_end_to_end(customer, supply, rule, rate):
    decision = decide_tax(party("DE", MSP_VAT_ID), customer, date(2027, 1, 1), supply)
    tax = invoice(
        decision.treatment, decision.rate, rate_country=decision.rate_country, supply=supply
    )
    mapped = sevdesk_tax(tax)
    assert (mapped.tax_rule, mapped.line_rates) == (rule, (rate, rate))
