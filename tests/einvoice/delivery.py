"""Helpers for the delivery tests: read back what was downloaded or mailed."""

import io

from lxml import etree
from pypdf import PdfReader

from billing.einvoice.cii import RAM, RSM


def embedded_xml(pdf: bytes) -> bytes:
    """The factur-x.xml inside a ZUGFeRD PDF."""
    names = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == "factur-x.xml"
    return names[1].get_object()["/EF"]["/F"].get_object().get_data()


def facts(xml: bytes) -> dict[str, str]:
    """What identifies the invoice in a CII XML: number, buyer, grand total, payment terms."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"ram": RAM, "rsm": RSM}
    return {
        "number": root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=ns),
        "buyer": root.findtext(".//ram:BuyerTradeParty/ram:Name", namespaces=ns),
        "buyer_reference": root.findtext(".//ram:BuyerReference", namespaces=ns) or "",
        "grand": root.findtext(".//ram:GrandTotalAmount", namespaces=ns),
        "terms": root.findtext(".//ram:SpecifiedTradePaymentTerms/ram:Description", namespaces=ns),
        "profile": root.findtext(
            ".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", namespaces=ns
        ),
    }
