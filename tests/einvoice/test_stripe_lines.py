"""E-invoices from Stripe's own lines: prorations and amendments get one, each line with its
Stripe tax (category, rate, per-line rounding), totals Stripe's to the cent, valid."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from billing.einvoice import build_facturx_xml
from billing.einvoice.cii import RAM, to_cii
from billing.einvoice.compose import (
    StripeFigures,
    StripeLineFacts,
    TotalsMismatch,
    breakdown,
    compose,
    lines_from_stripe,
)
from billing.einvoice.model import Category, Profile
from billing.einvoice.source import einvoice_from_stripe
from billing.einvoice.validate import check
from integrations.models import StripeObjectMap
from rules.money import from_minor_units, tax_amount, to_minor_units
from tests.einvoice.samples import (
    BUYERS,
    ISSUED,
    SELLER,
    mirror_line,
    prorated_lines,
    totals_of,
)

LEITWEG = "04011000-12345-67"
CASES = {"domestic": False, "reverse_charge": True, "export": True}


def _pure(treatment, lines, **overrides):
    """compose() over mirrored lines, as source.py hands them over (no quote, no tax map)."""
    from billing.einvoice.source import stripe_line_facts

    facts = [stripe_line_facts(line, {}, {}) for line in lines]
    figures = StripeFigures("RE-2026-0009", ISSUED, "EUR", amount_due=0, **totals_of(lines))
    figures = StripeFigures(**{**figures.__dict__, "amount_due": figures.total})
    return compose(
        figures,
        seller=SELLER,
        buyer=BUYERS[treatment],
        treatment=treatment,
        rate=Decimal(19),
        stripe_lines=facts,
        payment_terms="Payable by 2026-12-30.",
        pay_link="https://pay.example/in_9",
        **overrides,
    )


def _xml_lines(xml):
    root = etree.fromstring(xml)
    return root, root.findall(f".//{{{RAM}}}IncludedSupplyChainTradeLineItem")


@pytest.mark.parametrize("treatment", CASES)
def test_a_prorated_invoice_is_valid_factur_x_and_xrechnung(treatment):
    invoice = _pure(treatment, prorated_lines(zero=CASES[treatment]))
    assert check(to_cii(invoice)) == []
    xrechnung = _pure(treatment, prorated_lines(zero=CASES[treatment]), buyer_reference=LEITWEG)
    warnings = check(to_cii(xrechnung, Profile.XRECHNUNG), Profile.XRECHNUNG)
    assert not [w for w in warnings if w.flag == "warning"]


def test_the_credit_line_of_a_proration_has_a_negative_quantity_not_price():
    """BR-27: prices are never negative; the unused time is −12 at a price for 12 (BT-149)."""
    _root, lines = _xml_lines(to_cii(_pure("domestic", prorated_lines())))
    unused = lines[0]
    quantity = unused.find(f".//{{{RAM}}}BilledQuantity")
    price = unused.find(f".//{{{RAM}}}NetPriceProductTradePrice")
    assert (quantity.text, quantity.get("unitCode")) == ("-12", "C62")
    assert price.findtext(f"{{{RAM}}}ChargeAmount") == "27.87"
    assert price.findtext(f"{{{RAM}}}BasisQuantity") == "12"
    assert unused.findtext(f".//{{{RAM}}}LineTotalAmount") == "-27.87"
    plain = lines[2].find(f".//{{{RAM}}}NetPriceProductTradePrice")
    assert plain.findtext(f"{{{RAM}}}ChargeAmount") == "4.50"  # 67.50 / 15: exact
    assert plain.find(f"{{{RAM}}}BasisQuantity") is None


def test_each_line_carries_its_billing_period():
    """BT-134/135 from Stripe's line period; the amendment's lines from the 16th."""
    _root, lines = _xml_lines(to_cii(_pure("domestic", prorated_lines())))
    periods = [
        [
            line.findtext(f".//{{{RAM}}}BillingSpecifiedPeriod/{{{RAM}}}StartDateTime/*"),
            line.findtext(f".//{{{RAM}}}BillingSpecifiedPeriod/{{{RAM}}}EndDateTime/*"),
        ]
        for line in lines
    ]
    assert periods == [
        ["20261216", "20270101"],
        ["20261216", "20270101"],
        ["20261201", "20270101"],
    ]


def test_a_one_time_item_is_dated_its_day():
    """Stripe dates a one-time item (period start = end): BT-134 = BT-135 = that day, so
    §14 Abs. 4 Nr. 6 UStG holds per line."""
    lines = [mirror_line("Onboarding", 29900, period=None)]
    _root, (line,) = _xml_lines(to_cii(_pure("domestic", lines)))
    period = line.find(f".//{{{RAM}}}BillingSpecifiedPeriod")
    assert period.findtext(f"{{{RAM}}}StartDateTime/*") == "20261216"
    assert period.findtext(f"{{{RAM}}}EndDateTime/*") == "20261216"


def test_the_totals_are_stripes_to_the_cent():
    lines = prorated_lines()
    invoice = _pure("domestic", lines)
    stripe = totals_of(lines)
    assert invoice.totals.grand == from_minor_units(stripe["total"], "EUR")
    assert invoice.totals.tax == from_minor_units(stripe["tax"], "EUR")
    assert sum(line.net for line in invoice.lines) == invoice.totals.lines


def test_vat_rounded_per_line_keeps_br_co_17():
    """60 lines of 0.03 at 19 %: Stripe charges 0.01 on each (0.60), 19 % of the 1.80 basis
    is 0.34; BR-CO-17 allows the difference of per-line rounding (up to 1.00), so the
    e-invoice keeps Stripe's 0.60."""
    lines = [mirror_line(f"Seat {n}", 3) for n in range(60)]
    invoice = _pure("domestic", lines)
    assert invoice.subtotals[0].tax == Decimal("0.60")
    assert invoice.subtotals[0].basis == Decimal("1.80")
    assert check(to_cii(invoice)) == []


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-50_000, 500_000), st.integers(1, 40)), min_size=1, max_size=25)
)
def test_br_co_17_holds_for_stripes_rounding(amounts):
    """Random lines (credits too): the breakdown's VAT is the sum of Stripe's per-line VAT,
    and the EN 16931 rules accept it."""
    lines = [mirror_line(f"Line {n}", a, q) for n, (a, q) in enumerate(amounts)]
    invoice = _pure("domestic", lines)
    per_line = sum(tax_amount(from_minor_units(a, "EUR"), Decimal(19), "EUR") for a, _q in amounts)
    assert sum(s.tax for s in invoice.subtotals) == per_line == invoice.totals.tax
    errors = [f.rule for f in check(to_cii(invoice)) if f.is_error]
    assert errors == []


def test_a_line_taxed_at_another_rate_gets_its_own_breakdown():
    facts = [
        StripeLineFacts("Service", Decimal(1), 10000, tax=1900, taxed=True),
        StripeLineFacts(
            "Book", Decimal(1), 2000, tax=140, taxed=True, treatment="domestic", rate=Decimal(7)
        ),
    ]
    lines = lines_from_stripe(facts, "EUR", "domestic", Decimal(19))
    assert [(s.category, s.rate, s.basis, s.tax) for s in breakdown(lines, "EUR")] == [
        (Category.STANDARD, Decimal(19), Decimal("100.00"), Decimal("19.00")),
        (Category.STANDARD, Decimal(7), Decimal("20.00"), Decimal("1.40")),
    ]


def test_a_standard_rated_line_without_vat_in_stripe_is_refused():
    facts = [StripeLineFacts("Service", Decimal(1), 10000)]
    with pytest.raises(TotalsMismatch, match="carries no VAT"):
        lines_from_stripe(facts, "EUR", "domestic", Decimal(19))


def test_a_line_tax_that_does_not_fit_its_rate_is_refused():
    facts = [StripeLineFacts("Service", Decimal(1), 10000, tax=1700, taxed=True)]
    with pytest.raises(TotalsMismatch, match="does not fit 19"):
        lines_from_stripe(facts, "EUR", "domestic", Decimal(19))


def test_lines_that_do_not_add_up_to_stripes_total_are_refused():
    lines = prorated_lines()
    figures = StripeFigures("RE-1", date(2026, 12, 16), "EUR", 1, 0, 1)
    from billing.einvoice.source import stripe_line_facts

    with pytest.raises(TotalsMismatch, match="Stripe's lines give"):
        compose(
            figures,
            seller=SELLER,
            buyer=BUYERS["domestic"],
            treatment="domestic",
            rate=Decimal(19),
            stripe_lines=[stripe_line_facts(x, {}, {}) for x in lines],
            payment_terms="",
        )


# From the mirror (PostgreSQL): the lines sync.py keeps.


def _amended(make_invoice, lines, case="domestic", **extra):
    return make_invoice(
        case, lines=lines, billing_reason="subscription_update", **extra, **totals_of(lines)
    )


def test_an_amendment_invoice_gets_its_e_invoice(make_invoice):
    """The quote's lines cannot explain a proration; Stripe's lines do."""
    invoice = _amended(make_invoice, prorated_lines())
    einvoice = einvoice_from_stripe(invoice)
    assert einvoice.lines[0].description.startswith("Unused time")
    assert einvoice.totals.grand == from_minor_units(invoice.total, "EUR")
    assert einvoice.order_reference == "Q-2026-0001"
    check(build_facturx_xml(invoice))


def test_reverse_charge_lines_are_ae_with_the_exemption(make_invoice):
    invoice = _amended(make_invoice, prorated_lines(zero=True), "reverse_charge")
    einvoice = einvoice_from_stripe(invoice)
    assert {line.category for line in einvoice.lines} == {Category.REVERSE_CHARGE}
    assert einvoice.subtotals[0].exemption == ("VATEX-EU-AE", "Reverse charge")
    check(build_facturx_xml(invoice))


def test_the_rate_comes_from_the_stripe_tax_rate_mspercury_made(make_invoice, msp):
    """A line under MSPercury's 7 % rate is S 7 %, whatever the invoice-level decision says."""
    StripeObjectMap.objects.create(
        workspace=msp,
        account_ref="acct_1",
        mode="test",
        kind=StripeObjectMap.Kind.TAX_RATE,
        local_ref="DE:7:exclusive:domestic",
        stripe_id="txr_vat7",
    )
    seven = mirror_line("Printed manual", 2000, period=None, tax=140, rate="txr_vat7")
    invoice = _amended(make_invoice, [*prorated_lines(), seven])
    rates = [(s.category, s.rate) for s in einvoice_from_stripe(invoice).subtotals]
    assert rates == [(Category.STANDARD, Decimal(19)), (Category.STANDARD, Decimal(7))]
    check(build_facturx_xml(invoice))


def test_another_workspaces_tax_rate_map_is_not_read(make_invoice, charlie_ws):
    StripeObjectMap.objects.create(
        workspace=charlie_ws,
        account_ref="acct_1",
        mode="test",
        kind=StripeObjectMap.Kind.TAX_RATE,
        local_ref="DE:7:exclusive:domestic",
        stripe_id="txr_vat7",
    )
    seven = mirror_line("Printed manual", 2000, period=None, tax=140, rate="txr_vat7")
    invoice = _amended(make_invoice, [seven])
    with pytest.raises(TotalsMismatch, match="does not fit 19"):
        einvoice_from_stripe(invoice)


def test_an_unchanged_quote_line_keeps_its_unit_and_true_quantity(make_invoice):
    """Stripe bills 1.5 hours as 1 × 142.50 (a one-time item naming its quote line); the
    e-invoice says 1.5 HUR at 95.00, the net still Stripe's."""
    invoice = make_invoice(total=0, tax=0)
    onboarding = invoice.quote.lines.get(description="Onboarding")
    hours = mirror_line(
        "Onboarding (3.5 × hour à 95.00 EUR)",
        33250,
        period=None,
        mspercury_line_id=str(onboarding.public_id),
    )
    invoice.lines = [hours]
    invoice.total, invoice.tax = totals_of([hours])["total"], totals_of([hours])["tax"]
    invoice.amount_due = invoice.total
    (line,) = einvoice_from_stripe(invoice).lines
    assert (line.quantity, line.unit_code, line.unit_price) == (
        Decimal("3.5"),
        "HUR",
        Decimal("95.00"),
    )
    assert line.net == Decimal("332.50") and line.description.startswith("Onboarding (3.5")


def test_stripes_discount_is_a_line_allowance(make_invoice):
    line = mirror_line("Managed workstation", 47880, 12, discount=4788, period=None)
    invoice = _amended(make_invoice, [line])
    (einvoice_line,) = einvoice_from_stripe(invoice).lines
    assert (einvoice_line.unit_price, einvoice_line.discount, einvoice_line.net) == (
        Decimal("39.90"),
        Decimal("47.88"),
        Decimal("430.92"),
    )
    assert to_minor_units(einvoice_line.net, "EUR") == 47880 - 4788
    check(build_facturx_xml(invoice))


def test_the_msp_is_told_when_stripes_lines_do_not_add_up(make_invoice):
    from billing.einvoice.problems import explain

    lines = prorated_lines()
    invoice = make_invoice(lines=lines, total=totals_of(lines)["total"] + 1, tax=0)
    with pytest.raises(TotalsMismatch) as caught:
        einvoice_from_stripe(invoice)
    message = explain(invoice, caught.value)
    assert "its lines in Stripe do not add up" in message and "RE-2026-0001" in message


def test_a_tax_inclusive_line_is_net_of_its_tax():
    fact = StripeLineFacts("Service", Decimal(2), 11900, tax=1900, taxed=True, taxable=10000)
    (line,) = lines_from_stripe([fact], "EUR", "domestic", Decimal(19))
    assert (line.net, line.unit_price, line.discount, line.tax) == (
        Decimal("100.00"),
        Decimal("50.00"),
        Decimal(0),
        Decimal("19.00"),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-1_000_000, 1_000_000),
    st.integers(1, 500),
    st.integers(0, 100_000),
)
def test_quantity_times_price_is_stripes_net_exactly(amount, quantity, discount):
    """BT-131 = BT-129 × BT-146 / BT-149 − allowance, to the cent, for any Stripe line."""
    discount = min(discount, amount) if amount > 0 else 0
    fact = StripeLineFacts("x", Decimal(quantity), amount, discount=discount, taxed=True)
    facts = [
        replace(
            fact,
            tax=int(
                to_minor_units(
                    tax_amount(from_minor_units(amount - discount, "EUR"), Decimal(19), "EUR"),
                    "EUR",
                )
            ),
        )
    ]
    (line,) = lines_from_stripe(facts, "EUR", "domestic", Decimal(19))
    assert line.unit_price >= 0
    gross = line.quantity * line.unit_price / (line.base_quantity or 1)
    assert gross - (line.discount if line.quantity > 0 else 0) == line.net
    assert to_minor_units(line.net, "EUR") == amount - discount
