"""Pure sample e-invoices: a German MSP billing a German, a French and a US customer."""

from datetime import date
from decimal import Decimal

from billing.einvoice.compose import LineFacts, StripeFigures, compose
from billing.einvoice.model import Address, Contact, Party
from billing.money import line_net, tax_amount, to_minor_units

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
