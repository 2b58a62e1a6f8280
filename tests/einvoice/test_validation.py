"""The XML against the Factur-X EN 16931 XSD and the EN 16931 and KoSIT XRechnung Schematron
rules, offline; broken invoices fail naming the rule."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from billing.einvoice.cii import RAM, to_cii
from billing.einvoice.compose import credit_note
from billing.einvoice.model import Category, Profile
from billing.einvoice.validate import EInvoiceInvalid, check, findings
from tests.einvoice.samples import sample

LEITWEG = "04011000-12345-67"


def _errors(xml, profile=Profile.EN16931):
    return [f.rule for f in findings(xml, profile) if f.is_error]


@pytest.mark.parametrize("treatment", ["domestic", "reverse_charge", "export"])
def test_it_is_valid_factur_x(treatment):
    """XSD-valid and no EN 16931 rule fails, for each tax case."""
    xml = to_cii(sample(treatment))
    assert check(xml) == []


@pytest.mark.parametrize("treatment", ["domestic", "reverse_charge", "export"])
def test_it_is_valid_xrechnung(treatment):
    """With a Leitweg-ID the XRechnung CII passes EN 16931 and the KoSIT rules."""
    xml = to_cii(sample(treatment, buyer_reference=LEITWEG), Profile.XRECHNUNG)
    warnings = check(xml, Profile.XRECHNUNG)
    assert not [w for w in warnings if w.flag == "warning"]


@pytest.mark.parametrize("profile", [Profile.EN16931, Profile.XRECHNUNG])
@pytest.mark.parametrize("treatment", ["domestic", "reverse_charge"])
def test_a_credit_note_is_valid(treatment, profile):
    """Type 381 citing the invoice it corrects (BG-3), in both syntaxes' rule sets."""
    invoice = sample(treatment, buyer_reference=LEITWEG)
    note = credit_note(invoice, "GS-2026-0001", date(2026, 12, 10))
    xml = to_cii(note, profile)
    check(xml, profile)
    root = etree.fromstring(xml)
    assert root.findtext(f".//{{{RAM}}}TypeCode") == "381"
    reference = root.find(f".//{{{RAM}}}InvoiceReferencedDocument")
    assert reference.findtext(f"{{{RAM}}}IssuerAssignedID") == "RE-2026-0001"


def test_a_wrong_grand_total_fails_br_co_15():
    invoice = sample()
    broken = replace(invoice, totals=replace(invoice.totals, grand=invoice.totals.grand + 1))
    with pytest.raises(EInvoiceInvalid) as caught:
        check(to_cii(broken))
    assert "BR-CO-15" in caught.value.rules
    assert "BR-CO-15" in str(caught.value)


def test_reverse_charge_without_the_buyers_vat_id_fails_br_ae():
    invoice = sample("reverse_charge")
    broken = replace(invoice, buyer=replace(invoice.buyer, vat_id=""))
    assert "BR-AE-02" in _errors(to_cii(broken))


def test_a_wrong_vat_amount_fails_br_s_09():
    invoice = sample("domestic")
    subtotal = replace(invoice.subtotals[0], tax=invoice.subtotals[0].tax + Decimal("5.00"))
    broken = replace(invoice, subtotals=(subtotal,))
    assert "BR-S-09" in _errors(to_cii(broken))


def test_xrechnung_without_a_leitweg_id_fails_br_de_15():
    xml = to_cii(sample("domestic"), Profile.XRECHNUNG)
    assert "BR-DE-15" in _errors(xml, Profile.XRECHNUNG)


def test_xrechnung_without_a_seller_contact_fails_br_de_2():
    invoice = sample("domestic", buyer_reference=LEITWEG)
    broken = replace(
        invoice,
        seller=replace(
            invoice.seller, contact=replace(invoice.seller.contact, name="", phone="", email="")
        ),
    )
    assert "BR-DE-2" in _errors(to_cii(broken, Profile.XRECHNUNG), Profile.XRECHNUNG)


def test_a_schema_error_is_named_xsd():
    xml = to_cii(sample()).replace(b"<ram:TypeCode>380", b"<ram:Bogus/><ram:TypeCode>380")
    assert _errors(xml) == ["XSD"]


def test_the_xml_carries_what_the_issue_asks_for():
    """Both VAT IDs, AE with VATEX-EU-AE per line and in the breakdown, terms, pay link."""
    root = etree.fromstring(to_cii(sample("reverse_charge")))
    ids = [e.text for e in root.iter(f"{{{RAM}}}ID") if e.get("schemeID") == "VA"]
    assert ids == ["DE136695976", "FR40303265045"]
    categories = [e.text for e in root.iter(f"{{{RAM}}}CategoryCode")]
    assert categories == ["AE"] * 4
    assert root.findtext(f".//{{{RAM}}}ExemptionReasonCode") == "VATEX-EU-AE"
    terms = root.findtext(f".//{{{RAM}}}SpecifiedTradePaymentTerms/{{{RAM}}}Description")
    assert "https://pay.example/in_1" in terms


def test_export_services_are_outside_the_scope():
    """B2B services to a third country: O (VATEX-EU-O), no VAT IDs (BR-O-02), the seller
    still identified (BR-CO-26)."""
    invoice = sample("export")
    assert {line.category for line in invoice.lines} == {Category.OUTSIDE_SCOPE}
    root = etree.fromstring(to_cii(invoice))
    assert not [e for e in root.iter(f"{{{RAM}}}ID") if e.get("schemeID") == "VA"]
    assert root.findtext(f".//{{{RAM}}}ExemptionReasonCode") == "VATEX-EU-O"
    assert root.findtext(f".//{{{RAM}}}SellerTradeParty/{{{RAM}}}ID") == "DE136695976"


@pytest.mark.parametrize(
    ("treatment", "language", "reason"),
    [
        ("reverse_charge", "el", "Αντίστροφη επιβάρυνση"),
        ("reverse_charge", "fr", "Autoliquidation"),
        ("reverse_charge", "en", "Reverse charge"),
        ("export", "pt", "Fora do âmbito do IVA"),
    ],
)
def test_the_exemption_reason_is_in_the_invoices_language(treatment, language, reason):
    """BT-120 is the wording of the customer's language (a Greek buyer reads the Greek
    mention), BT-121 stays the code, and the invoice stays valid."""
    xml = to_cii(replace(sample(treatment), language=language))
    root = etree.fromstring(xml)
    assert root.findtext(f".//{{{RAM}}}ApplicableTradeTax/{{{RAM}}}ExemptionReason") == reason
    assert root.findtext(f".//{{{RAM}}}ExemptionReasonCode").startswith("VATEX-EU-")
    assert check(xml) == []
