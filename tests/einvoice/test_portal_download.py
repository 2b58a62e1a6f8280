"""In the client portal a customer downloads the e-invoice of their own finalized invoices; the
link shows only where one can be made, and a failed one tells the MSP why."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from billing.einvoice import build_facturx_pdf
from billing.einvoice.model import Profile
from billing.einvoice.validate import check
from customers.models import Customer
from mspercury.models import Notification
from tests.einvoice.delivery import embedded_xml, facts
from tests.portal.helpers import signed_in

RENEWAL = {"total": 60201, "tax": 9612}


def url(invoice):
    return f"/portal/invoices/{invoice.public_id}/einvoice/"


def page(invoice):
    return f"/portal/invoices/{invoice.public_id}/"


@pytest.fixture
def invoice(make_invoice, monthly):
    return make_invoice(subscription="sub_m", **RENEWAL)


def test_the_customer_downloads_the_zugferd(invoice):
    r = signed_in(invoice.customer).get(url(invoice))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == 'attachment; filename="RE-2026-0001.pdf"'
    assert r.content == build_facturx_pdf(invoice)
    assert facts(embedded_xml(r.content))["buyer"] == "Kunde AG"
    assert r["X-Robots-Tag"] == "noindex, nofollow"  # a private portal answer


def test_a_public_buyer_downloads_the_xrechnung(invoice, msp):
    msp.invoice_phone = "+49 30 1234567"
    msp.save()
    invoice.customer.leitweg_id = "991-03730-19"
    invoice.customer.save()
    client = signed_in(invoice.customer)
    assert 'data-einvoice="xrechnung"' in client.get(page(invoice)).content.decode()
    r = client.get(url(invoice))
    assert r["Content-Disposition"] == 'attachment; filename="RE-2026-0001-xrechnung.xml"'
    check(r.content, Profile.XRECHNUNG)


def test_the_invoice_page_links_it(invoice):
    html = signed_in(invoice.customer).get(page(invoice)).content.decode()
    assert f'<a href="{url(invoice)}">E-Rechnung (ZUGFeRD)</a>' in html  # a German customer


def test_no_link_where_none_can_be_made(make_invoice, monthly):
    mismatch = make_invoice(subscription="sub_m", total=60301, tax=9612)
    html = signed_in(mismatch.customer).get(page(mismatch)).content.decode()
    assert "portal-einvoice" not in html


def test_no_link_while_the_xrechnung_lacks_data(invoice):
    invoice.customer.leitweg_id = "991-03730-19"  # and the MSP has no invoice phone yet
    invoice.customer.save()
    html = signed_in(invoice.customer).get(page(invoice)).content.decode()
    assert "portal-einvoice" not in html


def test_a_failed_download_tells_the_customer_little_and_the_msp_why(
    make_invoice, monthly, django_capture_on_commit_callbacks, mailoutbox
):
    invoice = make_invoice(subscription="sub_m", total=60301, tax=9612)
    invoice.customer.language = "de"
    invoice.customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        r = signed_in(invoice.customer).get(url(invoice))
    assert r.status_code == 404
    html = r.content.decode()
    assert 'data-message="einvoice_unavailable"' in html
    assert "505.89" not in html  # the details are the MSP's
    notification = Notification.objects.get(workspace=invoice.workspace)
    assert notification.kind == "einvoice_failed"
    assert notification.title == "No e-invoice for invoice RE-2026-0001"
    assert notification.body.startswith("Kunde AG asked for it in the client portal.")
    assert "do not match the lines of its quote" in notification.body  # English, not German
    assert notification.url == f"/billing/invoices/{invoice.public_id}/"
    (sent,) = mailoutbox
    assert sent.to == ["alice@example.org"]
    # Asking again does not notify again.
    signed_in(invoice.customer).get(url(invoice))
    assert Notification.objects.count() == 1


@pytest.mark.parametrize("status", ["draft", "void"])
def test_unfinalized_invoices_are_404(make_invoice, monthly, status):
    invoice = make_invoice(subscription="sub_m", status=status, **RENEWAL)
    assert signed_in(invoice.customer).get(url(invoice)).status_code == 404
    assert not Notification.objects.exists()


def test_the_portal_invoice_page_checks_it_in_bounded_queries(invoice):
    """The link's check builds the e-invoice's data (not the PDF): a fixed number of queries."""
    client = signed_in(invoice.customer)
    client.get(page(invoice))
    with CaptureQueriesContext(connection) as with_link:
        assert "portal-einvoice" in client.get(page(invoice)).content.decode()
    invoice.status = "void"
    invoice.save()
    with CaptureQueriesContext(connection) as without_link:
        assert "portal-einvoice" not in client.get(page(invoice)).content.decode()
    # The owner, the VAT-ID checks, the quote's lines, the subscription.
    assert len(with_link) - len(without_link) <= 7


def test_it_checks_ownership(invoice, alpha, charlie_ws):
    """Another customer's invoice, in the same workspace or another, is 404; so without a
    portal session."""
    other = Customer.objects.create(workspace=alpha, company_name="Other", email="o@x.example")
    assert signed_in(other).get(url(invoice)).status_code == 404
    stranger = Customer.objects.create(workspace=charlie_ws, company_name="S", email="s@x.example")
    assert signed_in(stranger).get(url(invoice)).status_code == 404
    assert Client().get(url(invoice)).status_code == 404
    assert signed_in(invoice.customer).post(url(invoice)).status_code == 405
