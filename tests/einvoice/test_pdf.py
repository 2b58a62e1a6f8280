"""The Factur-X PDF: real WeasyPrint PDF/A-3b, read back with pypdf. PDF/A conformance itself
needs veraPDF (Java, not here); what can be checked offline is checked."""

import io

import pytest
from lxml import etree
from pypdf import PdfReader

from billing.einvoice import build_facturx_pdf, build_facturx_xml
from billing.einvoice.model import Profile
from billing.einvoice.validate import check

RENEWAL = {"total": 60201, "tax": 9612}
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
FX = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"


@pytest.fixture
def invoice(make_invoice, monthly):
    return make_invoice(subscription="sub_m", **RENEWAL)


@pytest.fixture
def pdf(invoice):
    return build_facturx_pdf(invoice)


def _catalog(pdf):
    return PdfReader(io.BytesIO(pdf)).trailer["/Root"]


def _filespec(pdf):
    names = _catalog(pdf)["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == "factur-x.xml" and len(names) == 2
    return names[1].get_object()


def _xmp(pdf):
    return etree.fromstring(_catalog(pdf)["/Metadata"].get_object().get_data())


def test_it_embeds_the_xml_as_factur_x_xml(pdf, invoice):
    """The one attachment is factur-x.xml, the same XML, and it passes every rule."""
    spec = _filespec(pdf)
    assert spec["/F"] == spec["/UF"] == "factur-x.xml"
    embedded = spec["/EF"]["/F"].get_object()
    xml = embedded.get_data()
    assert xml == build_facturx_xml(invoice)
    check(xml, Profile.EN16931)


def test_the_attachment_is_the_alternative_text_xml(pdf):
    spec = _filespec(pdf)
    assert spec["/AFRelationship"] == "/Alternative"
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"


def test_the_catalog_lists_the_attachment_once_in_af(pdf):
    entries = [entry.idnum for entry in _catalog(pdf)["/AF"]]
    assert entries == [_catalog(pdf)["/Names"]["/EmbeddedFiles"]["/Names"][1].idnum]


def test_the_xmp_says_pdf_a_3b_and_factur_x_en_16931(pdf):
    xmp = _xmp(pdf)
    descriptions = list(xmp.iter(f"{{{RDF}}}Description"))
    values = {}
    for description in descriptions:
        values.update({k: v for k, v in description.attrib.items()})
        values.update({child.tag: child.text for child in description})
    assert values[f"{{{PDFAID}}}part"] == "3"
    assert values[f"{{{PDFAID}}}conformance"] == "B"
    assert values[f"{{{FX}}}ConformanceLevel"] == "EN 16931"
    assert values[f"{{{FX}}}DocumentFileName"] == "factur-x.xml"
    assert values[f"{{{FX}}}DocumentType"] == "INVOICE"
    assert values[f"{{{FX}}}Version"] == "1.0"


def test_the_xmp_describes_the_fx_schema_for_pdf_a(pdf):
    """PDF/A needs the pdfaExtension description of every non-standard XMP namespace."""
    xmp = etree.tostring(_xmp(pdf)).decode()
    assert f"<pdfaSchema:namespaceURI>{FX}</pdfaSchema:namespaceURI>" in xmp
    assert "<pdfaSchema:prefix>fx</pdfaSchema:prefix>" in xmp
    for name in ("DocumentFileName", "DocumentType", "Version", "ConformanceLevel"):
        assert f"<pdfaProperty:name>{name}</pdfaProperty:name>" in xmp


def test_it_has_an_output_intent_and_is_pdf_1_7(pdf):
    catalog = _catalog(pdf)
    intent = catalog["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    assert pdf.startswith(b"%PDF-1.7")


def test_the_page_shows_the_invoice(pdf):
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "RE-2026-0001" in text
    assert "602,01" in text or "602.01" in text


def test_the_same_invoice_renders_to_the_same_bytes(invoice, pdf):
    assert build_facturx_pdf(invoice) == pdf
