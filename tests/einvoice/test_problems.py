"""What the MSP is told when an invoice has no e-invoice: every gap the XRechnung rules find
is named in the MSP's words, and said where to fill it in."""

from dataclasses import replace
from types import SimpleNamespace

from billing.einvoice.compose import (
    EInvoiceIncomplete,
    NotAnEInvoice,
    TotalsMismatch,
    missing_for_xrechnung,
)
from billing.einvoice.model import Address, Party
from billing.einvoice.problems import MISSING, explain, explain_to_customer
from tests.einvoice.samples import sample

INVOICE = SimpleNamespace(
    number="RE-1",
    stripe_id="in_1",
    status="open",
    quote_id=1,
    customer=SimpleNamespace(company_name="Kunde AG"),
    workspace=SimpleNamespace(name="Alpha IT GmbH"),
)


def test_every_gap_the_rules_find_has_words():
    blank = Party("", Address("DE"))
    everything_missing = missing_for_xrechnung(replace(sample(), seller=blank, buyer=blank))
    assert set(everything_missing) == set(MISSING)


def test_it_says_whose_data_is_missing():
    error = EInvoiceIncomplete(
        "…",
        ["seller contact phone", "seller contact email", "seller email address", "customer city"],
    )
    assert explain(INVOICE, error) == (
        "The XRechnung of invoice RE-1 cannot be made yet. Missing in Settings → Workspace: an "
        "invoice phone number, an invoice email address; for the customer Kunde AG: the city."
    )


def test_it_explains_mismatched_totals_with_the_figures():
    error = TotalsMismatch(
        "invoice RE-1: Stripe's net total is 1.00 EUR; the quote's lines give 2.00"
    )
    message = explain(INVOICE, error)
    assert "do not match the lines of its quote" in message and "2.00" in message


def test_it_explains_a_draft_and_a_missing_quote():
    draft = SimpleNamespace(**{**vars(INVOICE), "status": "draft"})
    assert "only finalized invoices" in explain(draft, NotAnEInvoice("x"))
    no_quote = SimpleNamespace(**{**vars(INVOICE), "quote_id": None})
    assert "not made from a quote in MSPercury" in explain(no_quote, NotAnEInvoice("x"))
    assert explain(INVOICE, NotAnEInvoice("no category")) == (
        "Invoice RE-1 has no e-invoice: no category"
    )


def test_the_customer_hears_no_details():
    assert explain_to_customer(INVOICE) == (
        "The e-invoice of invoice RE-1 is not available at the moment; Alpha IT GmbH has been told."
    )
