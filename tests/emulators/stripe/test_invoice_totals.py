"""Invoice amounts, taxes and totals against hand-computed cents.

The rule (emulators/README.md): tax per line and per rate, rounded half up (away from zero)
to the minor unit; inclusive tax carved out as amount - amount / (1 + rates); exclusive tax on
the taxable amount; invoice tax is the sum of the rounded line taxes.
"""

from decimal import Decimal

import pytest

RATES = {
    "VAT19": (19, False),
    "VAT7": (7, False),
    "TEN": (10, False),
    "INCL19": (19, True),
    "INCL7": (7, True),
    "INCL10": (10, True),
    "INCL5": (5, True),
    "GST5": (5, False),
    "QST": (9.975, False),
    "ZERO": (0, False),
    "JP8": (8, False),
}

# (name, currency, invoice default rates, lines, line taxes, subtotal,
#  subtotal/total excluding tax, total)
# A line is (amount or (unit_amount_decimal, quantity), [line rates]).
CASES = [
    ("one exclusive rate", "eur", [], [(1000, ["VAT19"])], [[190]], 1000, 1000, 1190),
    ("half rounds up", "eur", [], [(1250, ["VAT19"])], [[238]], 1250, 1250, 1488),
    (
        "rounded per line, not on the sum (3 x 0.5 -> 3, not 2)",
        "eur",
        ["TEN"],
        [(5, []), (5, []), (5, [])],
        [[1], [1], [1]],
        15,
        15,
        18,
    ),
    ("inclusive, exact", "eur", [], [(1190, ["INCL19"])], [[190]], 1190, 1000, 1190),
    ("inclusive, rounded", "eur", [], [(1000, ["INCL19"])], [[160]], 1000, 840, 1000),
    ("inclusive 7 percent", "eur", [], [(999, ["INCL7"])], [[65]], 999, 934, 999),
    (
        "two inclusive rates share one net",
        "eur",
        [],
        [(1150, ["INCL10", "INCL5"])],
        [[100, 50]],
        1150,
        1000,
        1150,
    ),
    (
        "two exclusive rates (GST + QST with three decimals)",
        "cad",
        [],
        [(10000, ["GST5", "QST"])],
        [[500, 998]],
        10000,
        10000,
        11498,
    ),
    (
        "quantity times unit amount",
        "eur",
        ["VAT19"],
        [((Decimal(333), 3), [])],
        [[190]],
        999,
        999,
        1189,
    ),
    (
        "decimal unit amount rounds the line half up",
        "eur",
        ["VAT19"],
        [((Decimal("12.5"), 3), [])],
        [[7]],
        38,
        38,
        45,
    ),
    (
        "line rates override the invoice default",
        "eur",
        ["VAT19"],
        [(1000, ["VAT7"]), (2000, [])],
        [[70], [380]],
        3000,
        3000,
        3450,
    ),
    (
        "negative lines round away from zero",
        "eur",
        ["TEN"],
        [(2000, []), (-505, [])],
        [[200], [-51]],
        1495,
        1495,
        1644,
    ),
    ("zero-decimal currency", "jpy", [], [(1005, ["JP8"])], [[80]], 1005, 1005, 1085),
    ("zero rate", "eur", [], [(1000, ["ZERO"])], [[0]], 1000, 1000, 1000),
    ("no tax at all", "eur", [], [(4321, [])], [[]], 4321, 4321, 4321),
]


@pytest.fixture
def rates(stripe_emulator):
    client = stripe_emulator.client()
    return {
        name: client.v1.tax_rates.create(
            {"display_name": name, "percentage": percentage, "inclusive": inclusive}
        ).id
        for name, (percentage, inclusive) in RATES.items()
    }


@pytest.mark.parametrize(
    ("name", "currency", "defaults", "lines", "taxes", "subtotal", "excluding", "total"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_invoice_totals_match_hand_computed_cents(
    stripe_emulator, rates, name, currency, defaults, lines, taxes, subtotal, excluding, total
):
    """Each line's tax amounts and the invoice totals equal the hand-computed cents, before
    and after finalization."""
    client = stripe_emulator.client()
    customer = client.v1.customers.create({"name": name})
    invoice = client.v1.invoices.create(
        {
            "customer": customer.id,
            "currency": currency,
            "default_tax_rates": [rates[r] for r in defaults],
        }
    )
    for amount, line_rates in lines:
        params = {"customer": customer.id, "invoice": invoice.id}
        if isinstance(amount, tuple):
            params.update(
                {"unit_amount_decimal": amount[0], "quantity": amount[1], "currency": currency}
            )
        else:
            params.update({"amount": amount, "currency": currency})
        if line_rates:
            params["tax_rates"] = [rates[r] for r in line_rates]
        client.v1.invoice_items.create(params)
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert [[t.amount for t in line.taxes] for line in invoice.lines.data] == taxes
    assert invoice.subtotal == subtotal
    assert invoice.subtotal_excluding_tax == excluding
    assert invoice.total_excluding_tax == excluding
    assert invoice.total == total
    assert invoice.amount_due == max(total, 0)
    assert sum(t.amount for t in invoice.total_taxes) == sum(map(sum, taxes))
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert (finalized.total, finalized.amount_due, finalized.amount_remaining) == (
        total,
        total,
        total,
    )


def test_total_taxes_aggregate_per_rate_with_taxable_amounts(stripe_emulator, rates):
    """invoice.total_taxes has one entry per rate with summed amounts and taxable amounts;
    line taxes name their rate and behaviour."""
    client = stripe_emulator.client()
    customer = client.v1.customers.create({"name": "Agg"})
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "default_tax_rates": [rates["VAT19"]]}
    )
    for amount in (1000, 2000):
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": amount, "currency": "eur"}
        )
    client.v1.invoice_items.create(
        {
            "customer": customer.id,
            "invoice": invoice.id,
            "amount": 1070,
            "currency": "eur",
            "tax_rates": [rates["INCL7"]],
        }
    )
    invoice = client.v1.invoices.retrieve(invoice.id)
    by_rate = {t.tax_rate_details.tax_rate: t for t in invoice.total_taxes}
    assert by_rate[rates["VAT19"]].amount == 570
    assert by_rate[rates["VAT19"]].taxable_amount == 3000
    assert by_rate[rates["VAT19"]].tax_behavior == "exclusive"
    assert by_rate[rates["INCL7"]].amount == 70
    assert by_rate[rates["INCL7"]].taxable_amount == 1000
    assert by_rate[rates["INCL7"]].tax_behavior == "inclusive"
    line_tax = invoice.lines.data[2].taxes[0]
    assert (line_tax.type, line_tax.taxability_reason) == ("tax_rate_details", "standard_rated")
    assert (invoice.subtotal, invoice.total_excluding_tax, invoice.total) == (4070, 4000, 4640)
