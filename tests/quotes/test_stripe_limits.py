"""Stripe's hard limits at entry: the editor and the share page warn before acceptance."""

from decimal import Decimal

from django.test import Client

from integrations.push.planner import PlanLine, PlanQuote, stripe_limit_problems
from quotes import actions
from tests.quotes.share_helpers import page_url, share

D = Decimal


def _line(ref, price, period="one_time", quantity="1"):
    return PlanLine(
        ref=ref,
        description=f"Line {ref}",
        quantity=D(quantity),
        unit="unit",
        unit_price=D(price),
        billing_period=period,
    )


def _quote(*lines, currency="EUR"):
    return PlanQuote(ref="q", number="Q-1", currency=currency, customer_name="", lines=lines)


def test_it_finds_no_problem_within_the_limits():
    """999,999.99 on one invoice is the most Stripe takes; no limit problem."""
    assert stripe_limit_problems(_quote(_line("a", "999999.99"))) == []


def test_it_flags_a_line_above_the_maximum():
    """One amount above 999,999.99 EUR is flagged, by line."""
    (problem,) = stripe_limit_problems(_quote(_line("a", "10000000.00")))
    assert problem.code == "amount_too_large" and "Line a" in problem.message


def test_it_flags_an_invoice_total_above_the_maximum():
    """Lines each within the limit, together on one first invoice above it."""
    problems = stripe_limit_problems(
        _quote(_line("a", "600000.00", "monthly"), _line("b", "500000.00", "one_time"))
    )
    assert [p.code for p in problems] == ["amount_too_large"]
    assert "invoice totals" in problems[0].message


def test_it_applies_the_limit_in_minor_units_per_currency():
    """Zero-decimal currencies: the limit is 99,999,999 yen, not 999,999.99."""
    assert stripe_limit_problems(_quote(_line("a", "99999999"), currency="JPY")) == []
    assert stripe_limit_problems(_quote(_line("a", "100000000"), currency="JPY"))


def test_it_flags_too_many_lines_on_one_invoice():
    """More one-time lines than a Stripe invoice can hold."""
    lines = [_line(str(i), "1.00") for i in range(251)]
    assert [p.code for p in stripe_limit_problems(_quote(*lines))] == ["too_many_lines"]


def test_it_ignores_problems_the_quote_cannot_fix():
    """Missing email, acceptance or lines are the preview's business, not the editor's."""
    assert stripe_limit_problems(_quote()) == []


def _oversized(quote):
    return actions.do_add_line(
        quote,
        description="Data centre build",
        quantity=D("1"),
        unit="unit",
        unit_price=D("10000000.00"),
        billing_period="one_time",
    )


def test_the_editor_warns_about_an_amount_stripe_refuses(client_for, alice, quote):
    """The totals panel warns as soon as the line is added (also in the htmx answer)."""
    client = client_for(alice)
    assert 'id="stripe-limits"' not in client.get(f"/quotes/{quote.public_id}/").content.decode()
    r = client.post(
        f"/quotes/{quote.public_id}/lines/",
        {
            "add-description": "Data centre build",
            "add-quantity": "1",
            "add-unit": "unit",
            "add-unit_price": "10000000.00",
            "add-billing_period": "one_time",
        },
        HTTP_HX_REQUEST="true",
    )
    fragment = r.content.decode()
    assert 'id="stripe-limits"' in fragment and "Data centre build" in fragment
    assert "10000000.00 EUR is above Stripe&#x27;s maximum of 999999.99 EUR" in fragment


def test_the_share_page_warns_before_acceptance(quote):
    """The customer is told before accepting that the quote cannot be billed as it stands."""
    _oversized(quote)
    _, token = share(quote)
    html = Client().get(page_url(token)).content.decode()
    warning = html[html.index('id="share-limits"') :]
    assert warning.index("Data centre build") < warning.index("</div>")
    assert html.index('id="share-limits"') < html.index('id="accept"')


def test_the_share_page_has_no_warning_within_the_limits(quote, rmm):
    actions.do_add_line(quote, quantity=D("12"), **actions.line_fields_from_service(rmm))
    _, token = share(quote)
    assert 'id="share-limits"' not in Client().get(page_url(token)).content.decode()


def test_it_counts_the_vat_our_tax_rates_add_to_an_invoice():
    """900,000.00 net is within the limit; with 19 % VAT the invoice is 1,071,000.00."""
    quote = _quote(_line("a", "900000.00", "monthly"))
    assert stripe_limit_problems(quote) == []
    (problem,) = stripe_limit_problems(quote, tax_rate_percent=D("19"))
    assert problem.code == "amount_too_large"
    assert "the invoice totals 1071000.00 EUR" in problem.message
    # 840,336.13 + 19 % = 999,999.99 (tax rounded per line, as Stripe's tax rates do)
    assert stripe_limit_problems(_quote(_line("a", "840336.13")), tax_rate_percent=D("19")) == []
    assert stripe_limit_problems(_quote(_line("a", "840336.14")), tax_rate_percent=D("19"))


def test_the_editor_counts_domestic_vat_towards_the_limit(client_for, alice, quote):
    """A German customer of a German MSP pays 19 % VAT: 900,000.00 net cannot be charged."""
    actions.do_add_line(
        quote,
        description="Managed data centre",
        quantity=D("1"),
        unit="month",
        unit_price=D("900000.00"),
        billing_period="monthly",
    )
    html = client_for(alice).get(f"/quotes/{quote.public_id}/").content.decode()
    assert 'id="stripe-limits"' in html and "1071000.00 EUR" in html
    quote.customer.tax_id_type, quote.customer.country, quote.customer.tax_id = "none", "US", ""
    quote.customer.save()
    # An export: no VAT on the invoice, so the same line is within the limit.
    html = client_for(alice).get(f"/quotes/{quote.public_id}/").content.decode()
    assert 'id="stripe-limits"' not in html


def test_a_french_customer_reads_the_warning_in_french(quote):
    quote.customer.language = "fr"
    quote.customer.save()
    actions.do_add_line(
        quote,
        description="Onboarding",
        quantity=D("1"),
        unit="unit",
        unit_price=D("500000.00"),
        billing_period="one_time",
    )
    actions.do_add_line(
        quote,
        description="Supervision",
        quantity=D("1"),
        unit="month",
        unit_price=D("600000.00"),
        billing_period="monthly",
    )
    _, token = share(quote)
    html = Client().get(page_url(token)).content.decode()
    warning = html[html.index('id="share-limits"') : html.index('id="accept"')]
    assert "au-delà du maximum de Stripe de 999999.99 EUR par paiement" in warning
    assert "1× récurrent mensuel + 1× unique sur la première facture : la facture" in warning
    assert "Stripe&#x27;s maximum" not in warning and "recurring" not in warning
