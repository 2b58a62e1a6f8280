"""Every PDF page's footer: the MSP's name, address and tax ID with the customary label of the
workspace's country, and "Page x of y"."""

import pytest

from tests.pdf.helpers import pages_text

FOOTERS = [
    ("DE", "USt-IdNr.: DE136695976"),
    ("AT", "VAT ID: ATU13585627"),
    ("US", "EIN: 12-3456789"),
    ("CA", "GST/HST: 123456789RT0001"),
    ("CH", "MWST-Nr.: CHE-116.281.710 MWST"),
    ("GB", "VAT Reg. No.: GB980780684"),
    ("FR", "N° TVA: FR40303265045"),
    ("IT", "P.IVA: IT00743110157"),
    ("ES", "NIF-IVA: ESX1234567L"),
    ("NL", "Btw-id: NL004495445B01"),
    ("PT", "VAT ID: PT501964843"),
]


@pytest.mark.parametrize(("country", "footer"), FOOTERS, ids=[c for c, _ in FOOTERS])
def test_it_prints_the_tax_id_with_the_local_label(
    country, footer, make_workspace, make_customer, make_quote, render_quote_pdf
):
    """The extracted text shows exactly "<label>: <tax ID>" for the workspace's country."""
    workspace = make_workspace(country, name="Footer MSP Ltd", city="Capital City")
    quote = make_quote(workspace, make_customer(workspace, country))
    text = pages_text(render_quote_pdf(quote))[0]
    assert footer in text
    assert "Footer MSP Ltd" in text
    assert "Main Street 1" in text
    # The address in its country's order (customers.addresses).
    town_first = country in {"US", "CA", "GB"}
    assert ("Capital City 12345" if town_first else "12345 Capital City") in text


def test_it_never_hardcodes_the_german_label(
    make_workspace, make_customer, make_quote, render_quote_pdf
):
    """A US workspace's document has no "USt-IdNr." anywhere."""
    workspace = make_workspace("US")
    quote = make_quote(workspace, make_customer(workspace, "US"))
    assert "USt-IdNr" not in " ".join(pages_text(render_quote_pdf(quote)))


def test_it_leaves_out_the_tax_line_without_a_tax_id(
    make_workspace, make_customer, make_quote, render_quote_pdf
):
    """No number, no label: the footer shows name and address only."""
    workspace = make_workspace("DE", tax_id="")
    quote = make_quote(workspace, make_customer(workspace, "DE", tax_id=""))
    text = pages_text(render_quote_pdf(quote))[0]
    assert "MSP DE" in text
    assert "USt-IdNr" not in text


def test_it_numbers_the_pages_on_every_page(
    make_workspace, make_customer, make_quote, render_quote_pdf
):
    """A long quote: each page says "Page i of N" and repeats the footer."""
    workspace = make_workspace("DE")
    lines = [
        (f"Service line {i}", "10.00", ["one_time", "monthly", "yearly"][i % 3]) for i in range(60)
    ]
    quote = make_quote(workspace, make_customer(workspace, "DE"), lines=lines)
    pages = pages_text(render_quote_pdf(quote))
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "USt-IdNr.: DE136695976" in text
