"""The MSP's invoice page offers the e-invoice: the ZUGFeRD PDF (XRechnung for a customer with
a Leitweg-ID) or the bare CII XML; when it cannot be made, the page says exactly why."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.einvoice import build_facturx_pdf, build_facturx_xml
from billing.einvoice.model import Profile
from billing.einvoice.validate import check
from tests.einvoice.delivery import embedded_xml, facts

RENEWAL = {"total": 60201, "tax": 9612}
LEITWEG = "991-03730-19"


def url(invoice, query=""):
    return f"/billing/invoices/{invoice.public_id}/einvoice/{query}"


def detail(invoice):
    return f"/billing/invoices/{invoice.public_id}/"


@pytest.fixture
def invoice(make_invoice, monthly):
    return make_invoice(subscription="sub_m", **RENEWAL)


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_it_downloads_the_zugferd_pdf(client_for, alice, invoice):
    r = client_for(alice).get(url(invoice))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == 'attachment; filename="RE-2026-0001.pdf"'
    assert r.content == build_facturx_pdf(invoice)
    xml = embedded_xml(r.content)
    assert facts(xml)["number"] == "RE-2026-0001" and facts(xml)["grand"] == "602.01"
    check(xml, Profile.EN16931)


def test_members_download_it_too(client_for, bob, invoice):
    assert client_for(bob).get(url(invoice)).status_code == 200


def test_it_downloads_the_bare_xml(client_for, alice, invoice):
    r = client_for(alice).get(url(invoice, "?format=xml"))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/xml"
    assert r["Content-Disposition"] == 'attachment; filename="RE-2026-0001-factur-x.xml"'
    assert r.content == build_facturx_xml(invoice)
    assert facts(r.content)["profile"] == "urn:cen.eu:en16931:2017"


def test_a_public_buyer_gets_the_xrechnung(client_for, alice, invoice, msp):
    invoice.customer.leitweg_id = LEITWEG
    invoice.customer.save()
    msp.invoice_phone = "+49 30 1234567"
    msp.save()
    r = client_for(alice).get(url(invoice))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/xml"
    assert r["Content-Disposition"] == 'attachment; filename="RE-2026-0001-xrechnung.xml"'
    assert facts(r.content)["buyer_reference"] == LEITWEG
    assert "xrechnung" in facts(r.content)["profile"]
    check(r.content, Profile.XRECHNUNG)


def test_a_public_buyers_invoice_is_also_there_as_zugferd_pdf(client_for, alice, invoice):
    invoice.customer.leitweg_id = LEITWEG
    invoice.customer.save()
    r = client_for(alice).get(url(invoice, "?format=pdf"))
    assert r["Content-Disposition"] == 'attachment; filename="RE-2026-0001.pdf"'
    assert facts(embedded_xml(r.content))["buyer_reference"] == LEITWEG


def test_an_unknown_format_gets_what_the_customer_gets(client_for, alice, invoice):
    r = client_for(alice).get(url(invoice, "?format=docx"))
    assert r["Content-Type"] == "application/pdf"


def test_a_missing_invoice_phone_is_named_on_the_invoice_page(client_for, alice, invoice):
    invoice.customer.leitweg_id = LEITWEG
    invoice.customer.email = ""
    invoice.customer.save()
    r = client_for(alice).get(url(invoice), follow=True)
    assert r.redirect_chain == [(detail(invoice), 302)]
    assert _messages(r) == [
        "The XRechnung of invoice RE-2026-0001 cannot be made yet. Missing in Settings → "
        "Workspace: an invoice phone number; for the customer Kunde AG: the email address."
    ]


def test_totals_that_do_not_fit_the_quote_are_explained(client_for, alice, make_invoice, monthly):
    invoice = make_invoice(subscription="sub_m", total=60301, tax=9612)
    r = client_for(alice).get(url(invoice), follow=True)
    assert r.redirect_chain == [(detail(invoice), 302)]
    (message,) = _messages(r)
    assert message.startswith(
        "The e-invoice of invoice RE-2026-0001 cannot be made: its amounts in Stripe do not "
        "match the lines of its quote"
    )
    assert "505.89" in message


@pytest.mark.parametrize("status", ["draft", "void"])
def test_unfinalized_invoices_have_none(client_for, alice, make_invoice, monthly, status):
    invoice = make_invoice(subscription="sub_m", status=status, **RENEWAL)
    r = client_for(alice).get(url(invoice), follow=True)
    assert r.redirect_chain == [(detail(invoice), 302)]
    assert _messages(r) == [
        "Invoice RE-2026-0001 has no e-invoice: only finalized invoices (open, paid or "
        "uncollectible) have one."
    ]
    assert 'id="einvoice-links"' not in r.content.decode()


def test_an_invoice_not_made_from_a_quote_has_none(client_for, alice, invoice):
    invoice.quote = None
    invoice.save()
    r = client_for(alice).get(url(invoice), follow=True)
    assert "it was not made from a quote in MSPercury" in _messages(r)[0]


def test_the_invoice_page_links_the_zugferd(client_for, alice, invoice):
    html = client_for(alice).get(detail(invoice)).content.decode()
    assert 'data-einvoice="zugferd"' in html
    assert f'href="{url(invoice)}">E-invoice (ZUGFeRD)</a>' in html
    assert f'href="{url(invoice, "?format=xml")}">XML only</a>' in html


def test_the_invoice_page_links_the_xrechnung(client_for, alice, invoice):
    invoice.customer.leitweg_id = LEITWEG
    invoice.customer.save()
    html = client_for(alice).get(detail(invoice)).content.decode()
    assert 'data-einvoice="xrechnung"' in html
    assert f'href="{url(invoice)}">XRechnung</a>' in html
    assert f'href="{url(invoice, "?format=pdf")}">ZUGFeRD PDF</a>' in html


def test_the_links_cost_the_invoice_page_no_query(client_for, alice, make_invoice, monthly):
    """The block reads only the invoice and its customer, which the page has loaded."""
    shown = make_invoice(subscription="sub_m", **RENEWAL)
    hidden = make_invoice(subscription="sub_m", status="draft", n=2, **RENEWAL)
    client = client_for(alice)
    client.get(detail(hidden))  # warm the session
    counts = {}
    for invoice in (shown, hidden):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(detail(invoice)).content.decode()
        counts[invoice.status] = len(queries)
        assert ('id="einvoice-links"' in html) == (invoice is shown)
    assert counts["open"] == counts["draft"]


def test_the_download_takes_a_bounded_number_of_queries(
    client_for, alice, invoice, django_assert_max_num_queries
):
    """Session, user, membership, invoice with its customer, quote and workspace, the owner,
    the VAT-ID checks, the quote's lines, the subscription: none per line."""
    client = client_for(alice)
    client.get(url(invoice))
    with django_assert_max_num_queries(12):
        assert client.get(url(invoice)).status_code == 200


def test_it_answers_post_with_405(client_for, alice, invoice):
    assert client_for(alice).post(url(invoice)).status_code == 405


def test_it_checks_ownership(client_for, charlie, alice, invoice, charlie_ws):
    """Another workspace's invoice is 404, as is an invoice that is not ours."""
    assert client_for(charlie).get(url(invoice)).status_code == 404
    invoice.ownership = "unlinked"
    invoice.save()
    assert client_for(alice).get(url(invoice)).status_code == 404


def test_the_invoice_page_says_when_the_e_invoice_names_no_bank_account(client_for, alice, invoice):
    """A transfer invoice without an IBAN in the settings: the MSP is told before the buyer
    gets an e-invoice that names no way to pay; entering the account makes it go away."""
    page = client_for(alice).get(detail(invoice)).content.decode()
    assert 'id="einvoice-payment-warning"' in page and "IBAN" in page
    invoice.workspace.iban, invoice.workspace.bic = "DE89370400440532013000", "COBADEFFXXX"
    invoice.workspace.bank_account_holder = "Alpha IT GmbH"
    invoice.workspace.save()
    page = client_for(alice).get(detail(invoice)).content.decode()
    assert 'id="einvoice-payment-warning"' not in page


def test_the_invoice_page_shows_the_issue_date_in_the_msps_zone(client_for, alice, invoice):
    """Finalized at 23:30 UTC on 31 December: issued on 1 January in Berlin, as BT-2 says."""
    from datetime import UTC, datetime

    invoice.finalized_at = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    invoice.save()
    page = client_for(alice).get(detail(invoice)).content.decode()
    found = re.search(r'<dd id="issue-date">([^<]+)<small', page)
    assert found and "2027" in found.group(1) and "2026" not in found.group(1), found
