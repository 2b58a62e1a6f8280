"""Pure sample e-invoices: a German MSP billing a German, a French and a US customer."""

import hashlib
from datetime import date
from decimal import Decimal

from billing.einvoice.compose import LineFacts, StripeFigures, compose
from billing.einvoice.model import Address, Contact, Party
from rules.money import line_net, tax_amount, to_minor_units

SELLER = Party(
    name="Alpha IT GmbH",
    address=Address("DE", "Hauptstraße 1", "", "10115", "Berlin"),
    vat_id="DE136695976",
    contact=Contact("Alice Owner", "+49 30 1234567", "billing@alpha.example"),
    email="billing@alpha.example",
)
BUYERS = {
    "domestic": Party(
        "Kunde AG",
        Address("DE", "Ring 2", "", "80331", "München"),
        "DE811907980",
        email="ap@kunde.example",
    ),
    "reverse_charge": Party(
        "Client SARL",
        Address("FR", "1 rue de Rivoli", "", "75001", "Paris"),
        "FR40303265045",
        email="ap@client.example",
    ),
    "export": Party(
        "Client Inc.",
        Address("US", "1 Main St", "", "10001", "New York", "NY"),
        email="ap@client.example",
    ),
}
LINES = [
    LineFacts("Managed workstation", Decimal("12"), "workstation", Decimal("39.90"), Decimal("10")),
    LineFacts("Onboarding", Decimal("3.5"), "hour", Decimal("95.00")),
    LineFacts("Backup per server", Decimal("3"), "server", Decimal("24.99")),
]
ISSUED = date(2026, 12, 1)


def stripe_figures(treatment: str, lines=LINES, number="RE-2026-0001") -> StripeFigures:
    """What Stripe would have billed for these lines (19 % at home, nothing abroad)."""
    net = sum(line_net(x.quantity, x.unit_price, x.discount_percent, "EUR") for x in lines)
    tax = tax_amount(net, Decimal(19), "EUR") if treatment == "domestic" else Decimal(0)
    total = to_minor_units(net + tax, "EUR")
    return StripeFigures(
        number, ISSUED, "EUR", total, to_minor_units(tax, "EUR"), total, date(2026, 12, 15)
    )


def sample(treatment: str = "domestic", **overrides):
    figures = overrides.pop("figures", None) or stripe_figures(treatment)
    arguments = {
        "seller": SELLER,
        "buyer": BUYERS[treatment],
        "treatment": treatment,
        "rate": Decimal(19),
        "candidates": [LINES],
        "payment_terms": "Payable by 2026-12-15.",
        "pay_link": "https://pay.example/in_1",
        "order_reference": "Q-2026-0001",
        **overrides,
    }
    return compose(figures, **arguments)


# Stripe's lines as the mirror keeps them (billing.mirror.line_facts), amounts in cents.
DEC_1, JAN_1, DEC_16 = 1796112000, 1798790400, 1797408000  # 2026-12-01, 2027-01-01, 12-16


def mirror_line(
    description,
    amount,
    quantity=1,
    *,
    tax=None,
    rate="txr_vat19",
    period=(DEC_1, JAN_1),
    proration=False,
    discount=0,
    line_id="",
    **metadata,
) -> dict:
    """One mirrored Stripe line; ``tax`` defaults to 19 % of the net, rounded half up per line
    as Stripe does (None for a line Stripe put no tax on: pass ``rate=None``)."""
    net = amount - discount
    if tax is None and rate:
        tax = int(to_minor_units(tax_amount(Decimal(net) / 100, Decimal(19), "EUR"), "EUR"))
    taxes = (
        [{"amount": tax, "taxable_amount": net, "tax_rate": rate, "behavior": "exclusive"}]
        if rate
        else []
    )
    return {
        "id": line_id or "il_" + hashlib.sha256(f"{description}{amount}".encode()).hexdigest()[:12],
        "description": description,
        "quantity": str(quantity),
        "amount": amount,
        "discount": discount,
        "currency": "EUR",
        "period_start": period[0] if period else DEC_16,
        "period_end": period[1] if period else DEC_16,
        "proration": proration,
        "price": "price_1",
        "taxes": taxes,
        "metadata": metadata,
    }


def prorated_lines(rate="txr_vat19", zero=False) -> list[dict]:
    """An amendment on 16 December: 12 → 15 RMM agents at 4.50 a month, prorated (credit for
    the unused time at 12, charge for the remaining time at 15), with the next month's line."""
    tax = 0 if zero else None
    return [
        mirror_line(
            "Unused time on 12 × RMM agent after 16 Dec 2026",
            -2787,
            12,
            tax=tax,
            rate=rate,
            period=(DEC_16, JAN_1),
            proration=True,
        ),
        mirror_line(
            "Remaining time on 15 × RMM agent after 16 Dec 2026",
            3484,
            15,
            tax=tax,
            rate=rate,
            period=(DEC_16, JAN_1),
            proration=True,
        ),
        mirror_line("15 × RMM agent (at €4.50 / month)", 6750, 15, tax=tax, rate=rate),
    ]


def totals_of(lines) -> dict:
    net = sum(x["amount"] - x["discount"] for x in lines)
    tax = sum(t["amount"] for x in lines for t in x["taxes"])
    return {"total": net + tax, "tax": tax}
