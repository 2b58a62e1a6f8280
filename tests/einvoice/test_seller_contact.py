"""The e-invoice names the invoice contact and tax number from Settings → Workspace; without
them, the owner's name and email."""

from lxml import etree

from billing.einvoice import build_facturx_xml, build_xrechnung_xml
from billing.einvoice.cii import RAM
from billing.einvoice.model import Profile
from billing.einvoice.validate import check

RENEWAL = {"total": 60201, "tax": 9612}


def _seller(xml):
    return etree.fromstring(xml).find(f".//{{{RAM}}}SellerTradeParty")


def _text(node, path):
    return node.findtext(path, namespaces={"ram": RAM})


def test_it_takes_the_contact_from_the_workspace_settings(make_invoice, monthly, msp):
    msp.invoice_contact_name, msp.invoice_phone = "Erika Buchhaltung", "+49 30 1234567"
    msp.invoice_email, msp.tax_number = "rechnung@alpha.example", "21/815/08150"
    msp.save()
    invoice = make_invoice(subscription="sub_m", **RENEWAL)
    invoice.customer.leitweg_id = "991-03730-19"
    invoice.customer.save()
    xml = build_xrechnung_xml(invoice)
    seller = _seller(xml)
    contact = seller.find(f"{{{RAM}}}DefinedTradeContact")
    assert _text(contact, "ram:PersonName") == "Erika Buchhaltung"
    assert _text(contact, "ram:TelephoneUniversalCommunication/ram:CompleteNumber") == (
        "+49 30 1234567"
    )
    assert _text(contact, "ram:EmailURIUniversalCommunication/ram:URIID") == (
        "rechnung@alpha.example"
    )
    registrations = {
        node.find(f"{{{RAM}}}ID").get("schemeID"): node.findtext(f"{{{RAM}}}ID")
        for node in seller.findall(f"{{{RAM}}}SpecifiedTaxRegistration")
    }
    assert registrations == {"FC": "21/815/08150", "VA": "DE136695976"}
    check(xml, Profile.XRECHNUNG)


def test_without_settings_the_owner_is_the_contact(make_invoice, monthly, msp):
    invoice = make_invoice(subscription="sub_m", **RENEWAL)
    contact = _seller(build_facturx_xml(invoice)).find(f"{{{RAM}}}DefinedTradeContact")
    assert _text(contact, "ram:PersonName") == "Alice Owner"
    assert _text(contact, "ram:EmailURIUniversalCommunication/ram:URIID") == "alice@example.org"
