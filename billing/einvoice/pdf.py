"""Factur-X / ZUGFeRD: a PDF/A-3b made by WeasyPrint with the CII XML embedded.

The XML is attached as ``factur-x.xml`` (MIME text/xml, /AFRelationship /Alternative, the
ZUGFeRD convention), and the XMP carries the fx: properties with their pdfaExtension schema
description. Deterministic: the dates come from the invoice, not the clock.
"""

import base64
from datetime import UTC, datetime, time

import weasyprint
from django.utils import translation
from django_countries import countries
from weasyprint.urls import URLFetcher

from billing import wording
from billing.einvoice.model import EInvoice, Party, Profile
from billing.taxids import TaxIdType
from customers.addresses import address_lines
from quotes.pdf import _font_config, _stylesheet, html_document, stylesheet_source

FILENAME = "factur-x.xml"
FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
CONFORMANCE = {Profile.EN16931: "EN 16931", Profile.XRECHNUNG: "XRECHNUNG"}
_FX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)


def fx_xmp(profile: Profile) -> bytes:
    """The RDF that WeasyPrint adds to the XMP packet: the fx: values and their schema."""
    properties = "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{text}</pdfaProperty:description></rdf:li>"
        for name, text in _FX_PROPERTIES
    )
    return (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:fx="{FX_NS}">'
        "<fx:DocumentType>INVOICE</fx:DocumentType>"
        f"<fx:DocumentFileName>{FILENAME}</fx:DocumentFileName>"
        "<fx:Version>1.0</fx:Version>"
        f"<fx:ConformanceLevel>{CONFORMANCE[profile]}</fx:ConformanceLevel>"
        "</rdf:Description>"
        '<rdf:Description rdf:about="" '
        'xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
        'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" '
        'xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
        '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
        "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{FX_NS}</pdfaSchema:namespaceURI>"
        "<pdfaSchema:prefix>fx</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description></rdf:RDF>"
    ).encode()


def _attachment(xml: bytes, moment: datetime) -> weasyprint.Attachment:
    # A data: URL carries the MIME type (text/xml) that Factur-X asks for; a name alone would
    # be guessed as application/xml.
    url = "data:text/xml;base64," + base64.b64encode(xml).decode()
    return weasyprint.Attachment(
        url=url,
        url_fetcher=URLFetcher(allowed_protocols={"data"}, fail_on_errors=True),
        name=FILENAME,
        description="Factur-X / ZUGFeRD invoice",
        created=moment,
        modified=moment,
        relationship="Alternative",
    )


def _one_af_entry_each(_document, pdf) -> None:
    """WeasyPrint 70 lists each attachment twice in the catalog's /AF; keep one of each."""
    entries = pdf.catalog.get("AF")
    if entries:
        unique = list(dict.fromkeys(entries))
        entries.clear()
        entries.extend(unique)


def facturx_pdf(invoice: EInvoice, xml: bytes, html: str, profile: Profile) -> bytes:
    moment = datetime.combine(invoice.issue_date, time(), tzinfo=UTC)
    html_source = weasyprint.HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"}))
    document = html_source.render(
        stylesheets=[_stylesheet(stylesheet_source())], font_config=_font_config()
    )
    document.metadata.attachments.append(_attachment(xml, moment))
    document.metadata.xmp_metadata.append(fx_xmp(profile))
    return document.write_pdf(pdf_variant="pdf/a-3b", finisher=_one_af_entry_each)


def _party(party: Party, tax_id_type: str = "") -> dict:
    address = party.address
    lines = address_lines(
        street=address.street,
        street2=address.street2,
        postal_code=address.postal_code,
        city=address.city,
        region=address.region,
        country=address.country,
        country_name=str(countries.name(address.country)) if address.country else "",
    )
    tax_id = wording.tax_id_line(address.country, tax_id_type, party.vat_id)
    return {"name": party.name, "lines": lines, "tax_id": tax_id, "contact": party.contact}


def invoice_html(invoice: EInvoice) -> str:
    """The human-readable side of the hybrid invoice, in the invoice's language."""
    with translation.override(invoice.language):  # country names in the reader's language
        context = {
            "invoice": invoice,
            "supplier": _party(invoice.seller, TaxIdType.EU_VAT),
            "customer": _party(invoice.buyer, TaxIdType.EU_VAT),
            "created": invoice.issue_date.isoformat(),
        }
    return html_document("einvoice/invoice.html", context, language=invoice.language)
