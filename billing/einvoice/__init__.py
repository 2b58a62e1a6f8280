"""E-invoices of our Stripe invoices: ZUGFeRD / Factur-X EN 16931 (PDF/A-3b with the CII XML
inside) and XRechnung 3.0 CII for public buyers with a Leitweg-ID.

model.py (data) and compose.py (totals equal to Stripe's) and cii.py (XML) are pure;
source.py reads the invoice mirror, credit_notes.py mirrors Stripe's credit notes (models.py)
for their corrective e-invoices (type 381); pdf.py renders; validate.py checks offline.
Imports happen inside the functions so that the pure modules load without Django.
"""

XRECHNUNG_CONTENT_TYPE = "application/xml"
PDF_CONTENT_TYPE = "application/pdf"


def build_facturx_xml(invoice, pay_link: str | None = None) -> bytes:
    from billing.einvoice.cii import to_cii
    from billing.einvoice.model import Profile
    from billing.einvoice.source import einvoice_from_stripe

    return to_cii(einvoice_from_stripe(invoice, pay_link=pay_link), Profile.EN16931)


def build_facturx_pdf(invoice, pay_link: str | None = None) -> bytes:
    """The ZUGFeRD / Factur-X EN 16931 PDF of a finalized Stripe invoice of ours."""
    from billing.einvoice.cii import to_cii
    from billing.einvoice.model import Profile
    from billing.einvoice.pdf import facturx_pdf, invoice_html
    from billing.einvoice.source import einvoice_from_stripe

    einvoice = einvoice_from_stripe(invoice, pay_link=pay_link)
    xml = to_cii(einvoice, Profile.EN16931)
    html = invoice_html(einvoice, particulars_of(invoice.workspace, einvoice.language))
    return facturx_pdf(einvoice, xml, html, Profile.EN16931)


def particulars_of(workspace, language: str) -> list[str]:
    """The company particulars the PDF's footer prints (§35a GmbHG, §37a HGB: an invoice is a
    business letter), in the invoice's language; none when the workspace has set none."""
    from django.utils import translation

    from mspercury.particulars import has_particulars, particulars_lines

    if not has_particulars(workspace):
        return []
    with translation.override(language):
        return particulars_lines(workspace)


def build_xrechnung_xml(invoice, pay_link: str | None = None) -> bytes:
    """XRechnung 3.0 CII; raises EInvoiceIncomplete naming what the MSP must fill in."""
    from billing.einvoice.cii import to_cii
    from billing.einvoice.compose import EInvoiceIncomplete, missing_for_xrechnung
    from billing.einvoice.model import Profile
    from billing.einvoice.source import einvoice_from_stripe

    einvoice = einvoice_from_stripe(invoice, pay_link=pay_link)
    missing = missing_for_xrechnung(einvoice)
    if missing:
        raise EInvoiceIncomplete(
            f"XRechnung {einvoice.number} needs: {', '.join(missing)}", missing
        )
    return to_cii(einvoice, Profile.XRECHNUNG)


def einvoice_for(invoice, pay_link: str | None = None) -> tuple[str, str, bytes]:
    """(filename, content type, bytes): XRechnung when the customer has a Leitweg-ID, else
    the Factur-X PDF."""
    from billing.einvoice.source import leitweg_id

    customer = invoice.customer or (invoice.quote.customer if invoice.quote else None)
    if customer is not None and leitweg_id(customer):
        xml = build_xrechnung_xml(invoice, pay_link)
        return f"{invoice.number}-xrechnung.xml", XRECHNUNG_CONTENT_TYPE, xml
    return f"{invoice.number}.pdf", PDF_CONTENT_TYPE, build_facturx_pdf(invoice, pay_link)


def build_credit_note_xml(note, profile=None) -> bytes:
    """The CII XML (type 381) of a mirrored Stripe credit note (billing.einvoice.models)."""
    from billing.einvoice.cii import to_cii
    from billing.einvoice.credit_notes import einvoice_from_credit_note
    from billing.einvoice.model import Profile

    return to_cii(einvoice_from_credit_note(note), profile or Profile.EN16931)


def build_credit_note_pdf(note) -> bytes:
    """The ZUGFeRD / Factur-X EN 16931 PDF of a Stripe credit note ("Rechnungskorrektur")."""
    from billing.einvoice.cii import to_cii
    from billing.einvoice.credit_notes import einvoice_from_credit_note
    from billing.einvoice.model import Profile
    from billing.einvoice.pdf import facturx_pdf, invoice_html

    einvoice = einvoice_from_credit_note(note)
    xml = to_cii(einvoice, Profile.EN16931)
    html = invoice_html(einvoice, particulars_of(note.invoice.workspace, einvoice.language))
    return facturx_pdf(einvoice, xml, html, Profile.EN16931)


def build_credit_note_xrechnung(note) -> bytes:
    """XRechnung 3.0 CII of a credit note; raises EInvoiceIncomplete like an invoice's."""
    from billing.einvoice.cii import to_cii
    from billing.einvoice.compose import EInvoiceIncomplete, missing_for_xrechnung
    from billing.einvoice.credit_notes import einvoice_from_credit_note
    from billing.einvoice.model import Profile

    einvoice = einvoice_from_credit_note(note)
    missing = missing_for_xrechnung(einvoice)
    if missing:
        raise EInvoiceIncomplete(
            f"XRechnung {einvoice.number} needs: {', '.join(missing)}", missing
        )
    return to_cii(einvoice, Profile.XRECHNUNG)


def credit_note_einvoice_for(note) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of a credit note's e-invoice, chosen as an invoice's."""
    from billing.einvoice.source import leitweg_id

    invoice = note.invoice
    customer = invoice.customer or (invoice.quote.customer if invoice.quote else None)
    if customer is not None and leitweg_id(customer):
        xml = build_credit_note_xrechnung(note)
        return f"{note.number}-xrechnung.xml", XRECHNUNG_CONTENT_TYPE, xml
    return f"{note.number}.pdf", PDF_CONTENT_TYPE, build_credit_note_pdf(note)
