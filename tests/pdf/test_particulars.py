"""Quotes and agreements carry the company particulars of a business letter (§35a GmbHG) on every
page, in the customer's language, frozen with the document."""

import pytest
from django.test import Client

from quotes import pdf
from quotes.models import DocumentKind, QuoteDocument
from quotes.stored_documents import quote_pdf_snapshot
from tests.factories import BANK_ACCOUNT, GMBH_PARTICULARS
from tests.pdf.helpers import pages_text, pdf_text
from tests.quotes.share_helpers import accept_data, page_url, share

PARTICULARS = {**GMBH_PARTICULARS, **BANK_ACCOUNT}
GERMAN_LINES = [
    "Muster IT GmbH",
    "Sitz: München",
    "Amtsgericht München, HRB 123456",
    "Geschäftsführer: Anna Muster, Bernd Beispiel",
    "USt-IdNr.: DE136695976",
    "Bankverbindung: Muster IT GmbH, Commerzbank, IBAN DE89 3704 0044 0532 0130 00, BIC "
    "COBADEFFXXX",
]


@pytest.fixture
def gmbh(make_workspace):
    return make_workspace("DE", name="Muster IT", **PARTICULARS)


def test_it_prints_the_particulars_on_every_page(gmbh, make_customer, make_quote):
    """A German customer's long quote: each page's footer names seat, register, directors and
    the bank account."""
    lines = [(f"Service line {i}", "10.00", "monthly") for i in range(60)]
    quote = make_quote(gmbh, make_customer(gmbh, "DE", language="de"), lines=lines)
    pages = pages_text(pdf.render_quote(quote_pdf_snapshot(quote)))
    assert len(pages) >= 2
    for text in pages:
        for line in GERMAN_LINES:
            assert line in text


def test_it_prints_them_in_the_customers_language(gmbh, make_customer, make_quote):
    quote = make_quote(gmbh, make_customer(gmbh, "FR", language="fr"))
    text = pdf_text(pdf.render_quote(quote_pdf_snapshot(quote)))
    assert "Siège social : München" in text
    assert "Gérants : Anna Muster, Bernd Beispiel" in text
    assert "Coordonnées bancaires : Muster IT GmbH" in text
    assert "Geschäftsführer" not in text and "Managing directors" not in text


def test_it_names_the_ag_board(make_workspace, make_customer, make_quote):
    workspace = make_workspace(
        "DE",
        name="Muster AG",
        **{**PARTICULARS, "legal_form": "AG"},
        supervisory_board_chair="Clara Aufsicht",
    )
    quote = make_quote(workspace, make_customer(workspace, "DE", language="de"))
    text = pdf_text(pdf.render_quote(quote_pdf_snapshot(quote)))
    assert "Vorstand: Anna Muster, Bernd Beispiel" in text
    assert "Aufsichtsratsvorsitz: Clara Aufsicht" in text


def test_it_keeps_the_plain_footer_without_particulars(make_workspace, make_customer, make_quote):
    """No particulars set: name, address and tax ID, as before."""
    workspace = make_workspace("DE")
    quote = make_quote(workspace, make_customer(workspace, "DE"))
    text = pages_text(pdf.render_quote(quote_pdf_snapshot(quote)))[0]
    assert "MSP DE · Main Street 1" in text and "USt-IdNr.: DE136695976" in text
    assert "Registered office" not in text


def test_it_freezes_the_particulars_in_the_snapshot(gmbh, make_customer, make_quote):
    """The snapshot holds the particulars: changing the settings later does not change a
    document rendered from it."""
    quote = make_quote(gmbh, make_customer(gmbh, "DE", language="de"))
    snapshot = quote_pdf_snapshot(quote)
    assert snapshot["workspace"]["managing_directors"] == ["Anna Muster", "Bernd Beispiel"]
    assert snapshot["workspace"]["iban"] == "DE89370400440532013000"
    before = pdf.render_quote(snapshot)
    gmbh.managing_directors = "Dora Neu"
    gmbh.save()
    assert pdf.render_quote(snapshot) == before
    quote.workspace.refresh_from_db()
    assert "Geschäftsführer: Dora Neu" in pdf_text(pdf.render_quote(quote_pdf_snapshot(quote)))


def test_it_prints_them_on_the_agreement_and_keeps_them(
    gmbh, make_customer, make_quote, django_capture_on_commit_callbacks
):
    """The agreement made on acceptance carries the particulars of the accepted snapshot and
    is served unchanged after the settings change."""
    quote = make_quote(gmbh, make_customer(gmbh, "DE", language="de"))
    _, token = share(quote)
    client = Client()
    html = client.get(page_url(token)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page_url(token, "accept"), accept_data(html, name="Carla Kundin"))
    agreement = client.get(page_url(token, "agreement")).content
    text = pdf_text(agreement)
    for line in GERMAN_LINES:
        assert line in text
    gmbh.register_number = "HRB 999999"
    gmbh.save()
    assert client.get(page_url(token, "agreement")).content == agreement
    stored = QuoteDocument.objects.get(quote=quote, kind=DocumentKind.AGREEMENT)
    assert "HRB 999999" not in pdf_text(bytes(stored.pdf))
