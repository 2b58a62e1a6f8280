"""Property: for random quotes (lines, quantities, discounts, currencies, treatments), the
emulator's Stripe invoices, carrying MSPercury's tax rates, come to the quote's totals: 0 cents
apart, in total and in tax, and each invoice's tax is the per-line rounding of its lines."""

from decimal import Decimal

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotes.summary import summarize
from rules.money import exponent, tax_amount
from tests.integrations.push.test_vat_push import (
    customer,
    push,
    quote_for,
    stripe_invoices,
)

D = Decimal
SUPPLIERS = {
    "DE": ("eu_vat", "DE136695976"),
    "FI": ("eu_vat", "FI20774740"),
    "CH": ("ch_vat", "CHE-116.281.710 MWST"),
}
# (customer country, VAT ID): domestic, reverse charge, EU without VAT ID, export, Monaco
# (French VAT), Northern Ireland (UK for services), Liechtenstein (Swiss VAT area).
CUSTOMERS = [
    ("DE", "DE811569869"),
    ("FI", "FI09853608"),
    ("FR", "FR40303265045"),
    ("FR", ""),
    ("US", ""),
    ("MC", "FR40303265045"),
    ("XI", ""),
    ("LI", ""),
    ("AT", "ATU13585627"),
]


def line(currency):
    places = 0 if currency == "JPY" else 2
    return st.tuples(
        st.text(alphabet="abcdefgh", min_size=1, max_size=8),
        st.sampled_from(["monthly", "yearly", "one_time"]),
        st.decimals(min_value=D("0.01"), max_value=40, places=2).map(str),
        st.decimals(min_value=D("0.01"), max_value=900, places=places).map(str),
        st.none() | st.decimals(min_value=0, max_value=100, places=1).map(str),
    )


quotes = st.sampled_from(["EUR", "USD", "CHF", "JPY"]).flatmap(
    lambda currency: st.tuples(
        st.just(currency),
        st.lists(line(currency), min_size=1, max_size=5),
        st.sampled_from(sorted(SUPPLIERS)),
        st.sampled_from(CUSTOMERS),
    )
)


def minor(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(exponent(currency)))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=quotes)
def test_stripe_invoices_equal_the_quote_to_the_cent(example, vat_workspace, alice, stripe_api):
    """Sum of invoice totals and taxes = the quote's first-invoice gross and tax, exactly."""
    currency, lines, supplier, (country, vat_id) = example
    ws = vat_workspace
    ws.country, (ws.tax_id_type, ws.tax_id) = supplier, SUPPLIERS[supplier]
    ws.save()
    cust = customer(ws, country, vat_id)
    quote = quote_for(ws, cust, lines, currency, user=alice)
    outcome, row = push(quote, alice)
    assert outcome == "succeeded", row.error

    summary = summarize(
        quote, list(quote.lines.order_by("position", "id")), ws, timezone.localdate()
    )
    first, rate = summary.tax.first_invoice, summary.decision.rate
    invoices = stripe_invoices(stripe_api, row)
    assert sum(i.total for i in invoices) == minor(first.gross, currency)
    assert sum(i.subtotal for i in invoices) == minor(first.net, currency)
    taxes = sum(t.amount for i in invoices for t in i.total_taxes)
    assert taxes == minor(first.tax, currency)
    for invoice in invoices:
        per_line = sum(
            minor(tax_amount(D(x.amount).scaleb(-exponent(currency)), rate, currency), currency)
            for x in invoice.lines.data
        )
        assert sum(t.amount for t in invoice.total_taxes) == per_line
