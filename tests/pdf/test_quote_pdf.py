"""The quote PDF: lines grouped by billing period with subtotals, totals with the tax line of
the treatment, validity, the acceptance block; the customer's language; deterministic bytes;
a page that is not blank."""

import hashlib
import io
from datetime import date

from django.test import override_settings
from django.utils import translation
from django.utils.formats import date_format
from pypdf import PdfReader

from quotes import actions, pdf
from quotes.stored_documents import quote_pdf_snapshot
from tests.pdf.conftest import add_line
from tests.pdf.helpers import non_white_share, page_png, pdf_text


def _german_quote(make_workspace, make_customer, make_quote, language="en"):
    workspace = make_workspace("DE")
    customer = make_customer(workspace, "DE", language=language)
    quote = make_quote(
        workspace,
        customer,
        lines=[
            ("Onboarding", "300.00", "one_time"),
            ("Firewall setup", "150.00", "one_time"),
            ("RMM agent", "5.00", "monthly", "10"),
            ("Backup seat", "12.50", "monthly", "2"),
            ("Domain", "20.00", "yearly"),
        ],
    )
    actions.do_update_quote(quote, valid_until=date(2031, 3, 15))
    quote.refresh_from_db()
    return quote


def test_it_groups_lines_by_billing_period_with_subtotals(
    make_workspace, make_customer, make_quote, render_quote_pdf
):
    """One-time, monthly and yearly groups in that order, each with its subtotal."""
    quote = _german_quote(make_workspace, make_customer, make_quote)
    text = pdf_text(render_quote_pdf(quote))
    one_time = text.index("One-time services")
    monthly = text.index("Monthly services")
    yearly = text.index("Yearly services")
    assert one_time < text.index("Onboarding") < text.index("Firewall setup") < monthly
    assert monthly < text.index("RMM agent") < text.index("Backup seat") < yearly
    assert yearly < text.index("Domain")
    assert "Subtotal one-time 450.00" in text
    assert "Subtotal per month 75.00" in text
    assert "Subtotal per year 20.00" in text


def test_it_shows_net_totals_and_the_tax_line_of_the_treatment(
    make_workspace, make_customer, make_quote, render_quote_pdf
):
    """Domestic DE: VAT 19 % on each period and on the first invoice (545.00 → 103.55)."""
    quote = _german_quote(make_workspace, make_customer, make_quote)
    text = pdf_text(render_quote_pdf(quote))
    assert "VAT 19 %" in text
    assert "One-time 450.00 EUR 85.50 EUR 535.50 EUR" in text
    assert "Monthly, per month 75.00 EUR 14.25 EUR 89.25 EUR" in text
    assert "First invoice 545.00 EUR 103.55 EUR 648.55 EUR" in text


def test_it_names_the_tax_treatment_for_exports(
    make_workspace, make_customer, make_quote, render_quote_pdf
):
    """DE → US: no VAT, the tax line says why."""
    workspace = make_workspace("DE")
    quote = make_quote(workspace, make_customer(workspace, "US"))
    text = pdf_text(render_quote_pdf(quote))
    assert "VAT 0 % (not taxable here: place of supply abroad)" in text


def test_it_shows_validity_and_the_acceptance_block(
    make_workspace, make_customer, make_quote, render_quote_pdf
):
    """Valid-until date in the header and in the acceptance block, with sign lines."""
    quote = _german_quote(make_workspace, make_customer, make_quote)
    text = pdf_text(render_quote_pdf(quote))
    valid_until = _shown_date(date(2031, 3, 15), "en")
    assert f"Valid until {valid_until}" in text
    assert "Acceptance" in text
    assert f"This quote is valid until {valid_until}." in text
    assert f"quote {quote.number} (revision {quote.revision})" in text
    assert "Name Place, date Signature" in text


def test_it_renders_in_the_customers_language(
    make_workspace, make_customer, make_quote, render_quote_pdf
):
    """A German customer's quote is rendered with German activated (dates, numbers)."""
    quote = _german_quote(make_workspace, make_customer, make_quote, language="de")
    text = pdf_text(render_quote_pdf(quote))
    assert _shown_date(date(2031, 3, 15), "de") in text
    assert "545,00 EUR" in text


def test_it_speaks_the_customers_language_whatever_language_is_active(
    make_workspace, make_customer, make_quote
):
    """A German customer's quote and agreement, rendered while a staff member's English (or
    German) is active: the tax line and the country names are German, the bytes the same."""
    quote = _german_quote(make_workspace, make_customer, make_quote, language="de")
    snapshot = quote_pdf_snapshot(quote)
    acceptance = {
        "name": "Carla Kundin",
        "accepted_at": "2031-03-01T10:00:00+00:00",
        "via": "share_page",
        "revision": quote.revision,
        "document_sha256": "0" * 64,
    }
    rendered = {}
    for active in ("en", "de"):
        with translation.override(active):
            rendered[active] = (
                pdf.render_quote(snapshot),
                pdf.render_agreement(snapshot, acceptance),
            )
    assert rendered["en"] == rendered["de"]
    for content in rendered["en"]:
        text = pdf_text(content)
        assert "MwSt. 19 %" in text
        assert "Deutschland" in text
        assert "Germany" not in text
        assert "VAT 19 %" not in text


def test_it_renders_the_same_snapshot_to_the_same_bytes(make_workspace, make_customer, make_quote):
    """Deterministic: no clock, no random ids; the PDF's date comes from the snapshot."""
    quote = _german_quote(make_workspace, make_customer, make_quote)
    snapshot = quote_pdf_snapshot(quote)
    first, second = pdf.render_quote(snapshot), pdf.render_quote(snapshot)
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    metadata = PdfReader(io.BytesIO(first)).metadata
    assert metadata.creation_date == quote.updated_at.replace(microsecond=0)


def test_it_uses_the_stylesheet_template(make_workspace, make_customer, make_quote, tmp_path):
    """The CSS is a template: overriding it changes the output (so templates do matter)."""
    quote = _german_quote(make_workspace, make_customer, make_quote)
    snapshot = quote_pdf_snapshot(quote)
    before = pdf.render_quote(snapshot)
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "pdf.css").write_text("@page { size: A5; }")
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [tmp_path, *_default_dirs()],
            "APP_DIRS": True,
        }
    ]
    with override_settings(TEMPLATES=templates):
        after = pdf.render_quote(snapshot)
    assert after != before


def _default_dirs():
    from django.conf import settings

    return settings.TEMPLATES[0]["DIRS"]


def test_it_draws_a_page_that_is_not_blank(
    make_workspace, make_customer, make_quote, render_quote_pdf, tmp_path
):
    """pdftoppm renders page 1 to PNG: a real share of it is ink, not an empty page."""
    quote = _german_quote(make_workspace, make_customer, make_quote)
    image = page_png(render_quote_pdf(quote), tmp_path)
    assert image.width > 300
    assert image.height > 400
    assert non_white_share(image) > 0.02


def test_it_escapes_what_users_typed(make_workspace, make_customer, make_quote, render_quote_pdf):
    """Markup in a line description is text in the PDF, never HTML."""
    workspace = make_workspace("DE")
    quote = make_quote(workspace, make_customer(workspace, "DE"), lines=[])
    add_line(quote, '<img src="http://example.org/x.png"> <b>Bold</b>', "1.00")
    text = pdf_text(render_quote_pdf(quote))
    assert '<img src="http://example.org/x.png">' in text


def _shown_date(value, language):
    """The date as the language's DATE_FORMAT writes it (spaces collapsed like pdf_text)."""
    with translation.override(language):
        return " ".join(date_format(value, "DATE_FORMAT").split())
