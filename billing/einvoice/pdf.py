"""Factur-X / ZUGFeRD: a PDF/A-3b made by WeasyPrint with the CII XML embedded.

The XML is attached as ``factur-x.xml`` (MIME text/xml, /AFRelationship /Alternative, the
ZUGFeRD convention), and the XMP carries the fx: properties with their pdfaExtension schema
description. Deterministic: the dates come from the invoice, not the clock.
"""

import base64
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

import segno
import segno.helpers
import weasyprint
from django.utils import formats, translation
from django.utils.translation import pgettext
from django_countries import countries
from weasyprint.urls import URLFetcher

from billing.einvoice.model import Category, EInvoice, Party, Profile
from billing.einvoice.paying import grouped_iban
from customers.addresses import address_lines
from quotes.pdf import _font_config, _stylesheet, html_document, stylesheet_source
from rules import wording
from rules.taxids import TaxIdType

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
    tax_number = (
        pgettext("e-invoice", "Tax number: %(number)s") % {"number": party.tax_number}
        if party.tax_number
        else ""
    )
    return {
        "name": party.name,
        "lines": lines,
        "tax_id": tax_id,
        "tax_number": tax_number,
        "contact": party.contact,
    }


def _rate(rate: Decimal) -> str:
    return formats.number_format(rate.normalize() if rate else Decimal(0), use_l10n=True)


def category_name(category: Category, rate: Decimal) -> str:
    """The VAT category in words in the active language: "19 % MwSt.", "TVA 19 %"."""
    if category == Category.STANDARD:
        return pgettext("e-invoice", "%(rate)s %% VAT") % {"rate": _rate(rate)}
    if category == Category.REVERSE_CHARGE:
        return pgettext("e-invoice", "0 %% VAT, reverse charge") % {}
    if category == Category.EXPORT:
        return pgettext("e-invoice", "0 %% VAT, export") % {}
    return pgettext("e-invoice", "Not subject to VAT")


def service_text(start: date | None, end: date | None) -> str:
    """§14 Abs. 4 Nr. 6 UStG: "Leistungszeitraum 01.11.2026–30.11.2026" or a service date."""
    if not start:
        return ""
    if end and end != start:
        return pgettext("e-invoice", "Service period %(start)s–%(end)s") % {
            "start": formats.date_format(start, "SHORT_DATE_FORMAT"),
            "end": formats.date_format(end, "SHORT_DATE_FORMAT"),
        }
    return pgettext("e-invoice", "Service date %(date)s") % {
        "date": formats.date_format(start, "SHORT_DATE_FORMAT")
    }


def service_header(start: date | None, end: date | None) -> tuple[str, str]:
    """The header's (label, dates) of the whole invoice's time of service."""
    if not start:
        return "", ""
    first = formats.date_format(start, "SHORT_DATE_FORMAT")
    if end and end != start:
        last = formats.date_format(end, "SHORT_DATE_FORMAT")
        return pgettext("e-invoice", "Service period"), f"{first}–{last}"
    return pgettext("e-invoice", "Service date"), first


def unit_name(code: str) -> str:
    if code == "HUR":
        return pgettext("e-invoice unit", "h")
    return pgettext("e-invoice unit", "pcs.")


def girocode(invoice: EInvoice) -> str:
    """The GiroCode (EPC069-12 QR) of what is left to transfer, as an SVG data URI; "" when
    nothing is to be transferred or the payee's data does not fit the EPC's limits."""
    payment, means = invoice.payment, invoice.payment.means
    if payment.to_transfer is None or invoice.currency != "EUR":
        return ""
    try:
        code = segno.helpers.make_epc_qr(
            name=(means.account_name or invoice.seller.name)[:70],
            iban=means.iban,
            amount=payment.to_transfer,
            text=means.remittance[:140] or invoice.number,
            bic=means.bic or None,
        )
    except ValueError:
        return ""
    return code.svg_data_uri(scale=3, border=0)


def _lines(invoice: EInvoice) -> list[dict]:
    return [
        {
            "line": line,
            "unit": unit_name(line.unit_code),
            "service": service_text(line.period_start, line.period_end),
            "category": category_name(line.category, line.rate),
        }
        for line in invoice.lines
    ]


def _subtotals(invoice: EInvoice) -> list[dict]:
    return [{"subtotal": s, "name": category_name(s.category, s.rate)} for s in invoice.subtotals]


def invoice_html(invoice: EInvoice, particulars: Sequence[str] = ()) -> str:
    """The human-readable side of the hybrid invoice, entirely in the invoice's language, with
    every particular §14 Abs. 4 UStG asks for. ``particulars`` are the company particulars
    (§35a GmbHG) printed in the footer."""
    with translation.override(invoice.language):  # labels, dates, numbers, country names
        period = invoice.period or (invoice.delivery_date, invoice.delivery_date)
        context = {
            "invoice": invoice,
            "supplier": _party(invoice.seller, TaxIdType.EU_VAT),
            "customer": _party(invoice.buyer, TaxIdType.EU_VAT),
            "created": invoice.issue_date.isoformat(),
            "service": service_header(*period),
            "lines": _lines(invoice),
            "subtotals": _subtotals(invoice),
            "means": invoice.payment.means,
            "iban": grouped_iban(invoice.payment.means.iban),
            "girocode": girocode(invoice),
            "particulars": list(particulars),
        }
    return html_document("einvoice/invoice.html", context, language=invoice.language)
