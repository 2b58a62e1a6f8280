"""The credit notes of an invoice and their e-invoices: listed on the MSP's invoice page and in
the portal, downloaded by the MSP's members and by the invoice's own customer only."""

import pytest
from django.template.loader import render_to_string

from billing.einvoice import build_credit_note_pdf, build_credit_note_xml
from billing.einvoice.models import StripeCreditNote
from billing.models import StripeInvoice
from customers.models import Customer
from mspercury.models import Notification
from tests.einvoice.delivery import embedded_xml, facts
from tests.einvoice.test_credit_notes import credit_note  # noqa: F401
from tests.einvoice.test_portal_download import signed_in


def url(note, query=""):
    return f"/billing/credit-notes/{note.public_id}/einvoice/{query}"


def portal_url(note):
    return f"/portal/credit-notes/{note.public_id}/einvoice/"


@pytest.fixture
def note(credit_note):  # noqa: F811
    return credit_note()


def test_it_downloads_the_credit_notes_zugferd(client_for, alice, note):
    r = client_for(alice).get(url(note))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == 'attachment; filename="RE-2026-0001-CN-01.pdf"'
    assert r.content == build_credit_note_pdf(note)
    assert facts(embedded_xml(r.content))["grand"] == "89.21"


def test_members_download_the_bare_xml(client_for, bob, note):
    r = client_for(bob).get(url(note, "?format=xml"))
    assert r.status_code == 200 and r["Content-Type"] == "application/xml"
    assert r.content == build_credit_note_xml(note)


def test_it_checks_ownership(client_for, charlie, note):
    """Another workspace's credit note is a 404, as an unknown id is."""
    assert client_for(charlie).get(url(note)).status_code == 404
    assert client_for(charlie).get(portal_url(note)).status_code == 404


def test_a_voided_one_goes_back_to_the_invoice_saying_why(client_for, alice, note):
    StripeCreditNote.objects.filter(pk=note.pk).update(status="void")
    r = client_for(alice).get(url(note), follow=True)
    assert r.redirect_chain[-1][0] == f"/billing/invoices/{note.invoice.public_id}/"
    assert "was voided in Stripe" in r.content.decode()


def test_the_invoice_page_lists_them_in_one_query(note, django_assert_max_num_queries):
    StripeCreditNote.objects.create(
        workspace=note.workspace,
        invoice=note.invoice,
        stripe_id="cn_2",
        number="RE-2026-0001-CN-02",
        status="void",
        currency="EUR",
        total=100,
        created=note.created,
    )
    with django_assert_max_num_queries(1):
        html = render_to_string("einvoice/_credit_notes.html", {"invoice": note.invoice})
    assert html.count("data-credit-note=") == 2
    assert f'href="{url(note)}"' in html and f'href="{url(note)}?format=xml"' in html
    assert 'data-status="void"' in html
    assert html.index("CN-01") < html.index("CN-02")


def _portal_list(invoice):
    return render_to_string("einvoice/_portal_credit_notes.html", {"invoice": invoice})


def test_the_portal_lists_those_it_can_deliver(note, django_assert_max_num_queries):
    """Issued ones whose e-invoice can be made (no dead links), in bounded queries."""
    invoice = StripeInvoice.objects.select_related("customer", "quote", "workspace").get(
        pk=note.invoice_id
    )
    with django_assert_max_num_queries(8):
        html = _portal_list(invoice)
    assert f'href="{portal_url(note)}"' in html and "−89.21 EUR" in html
    StripeCreditNote.objects.filter(pk=note.pk).update(total=note.total + 1)  # cannot be made
    assert "data-credit-note" not in _portal_list(invoice)
    StripeCreditNote.objects.filter(pk=note.pk).update(total=note.total, status="void")
    assert "data-credit-note" not in _portal_list(invoice)


def test_the_customer_downloads_it_in_the_portal(note):
    r = signed_in(note.invoice.customer).get(portal_url(note))
    assert r.status_code == 200 and r.content == build_credit_note_pdf(note)


def test_another_customer_gets_a_404_in_the_portal(note, msp):
    other = Customer.objects.create(
        workspace=msp, company_name="Other GmbH", email="ap@other.example", country="DE"
    )
    assert signed_in(other).get(portal_url(note)).status_code == 404


def test_a_voided_one_is_not_in_the_portal(note):
    StripeCreditNote.objects.filter(pk=note.pk).update(status="void")
    assert signed_in(note.invoice.customer).get(portal_url(note)).status_code == 404


def test_one_that_cannot_be_made_tells_the_msp_once(note):
    """The customer sees a plain page; owners and admins get one notification."""
    StripeCreditNote.objects.filter(pk=note.pk).update(total=note.total + 1)
    client = signed_in(note.invoice.customer)
    for _ in range(2):
        r = client.get(portal_url(note))
        assert r.status_code == 404 and 'data-message="einvoice_unavailable"' in r.content.decode()
    (notification,) = Notification.objects.filter(kind=Notification.Kind.EINVOICE_FAILED)
    assert "RE-2026-0001-CN-01" in notification.title
