"""The e-invoices issue 22 asks to validate, as pure data (no database): each case in both the
Factur-X EN 16931 and the XRechnung 3.0 profile, and the findings per rule set. Used by
test_rule_sets.py and bench/einvoice.py."""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from billing.einvoice.cii import to_cii
from billing.einvoice.compose import (
    CreditNoteFigures,
    StripeFigures,
    compose,
    compose_credit_note,
)
from billing.einvoice.means import PaymentFacts, decide_means
from billing.einvoice.model import EInvoice, PrecedingInvoice, Profile
from billing.einvoice.validate import (
    EN16931_XSLT,
    XRECHNUNG_XSLT,
    Finding,
    schematron_findings,
    xsd_findings,
)
from tests.einvoice.samples import BUYERS, SELLER, mirror_line, prorated_lines, totals_of

LEITWEG = "04011000-12345-67"
ISSUED = date(2026, 12, 1)
TRANSFER = PaymentFacts(
    "send_invoice",
    reference="RE-2026-0001",
    iban="DE89370400440532013000",
    bic="COBADEFFXXX",
    account_holder="Alpha IT GmbH",
)
DIRECT_DEBIT = PaymentFacts(
    "charge_automatically",
    "sepa_debit",
    "RE-2026-0001",
    creditor_id="DE98ZZZ09999999999",
    mandate_reference="MNDT-2026-0042",
    debited_account="DE******************3000",
)
CARD = PaymentFacts("charge_automatically", "card", "RE-2026-0001", card_number="4242")
RULE_SETS = ("XSD", "EN 16931", "XRechnung")


def _facts(lines):
    from billing.einvoice.source import stripe_line_facts

    return [stripe_line_facts(line, {}, {}) for line in lines]


def invoice(
    treatment="domestic", lines=None, facts=TRANSFER, issued=ISSUED, number="RE-2026-0001"
) -> EInvoice:
    """A finalized invoice from Stripe's lines (a month of 12 seats by default)."""
    zero = treatment != "domestic"
    lines = lines or [
        mirror_line("Managed workstation", 47880, 12, tax=0 if zero else None),
        *prorated_lines(zero=zero),
    ]
    totals = totals_of(lines)
    figures = StripeFigures(number, issued, "EUR", amount_due=totals["total"], **totals)
    means = decide_means(replace(facts, reference=number))
    return compose(
        figures,
        seller=SELLER,
        buyer=BUYERS[treatment],
        treatment=treatment,
        rate=Decimal(19),
        stripe_lines=_facts(lines),
        payment_terms=f"Zahlbar bis {issued:%d.%m.%Y}.",
        means=means,
        buyer_reference=LEITWEG,
    )


def credit_note() -> EInvoice:
    """A 19 % credit note of 3 of the 12 seats (119.70 + 22.74), citing its invoice."""
    lines = [mirror_line("Managed workstation", 11970, 3)]
    totals = totals_of(lines)
    figures = CreditNoteFigures(
        "RE-2026-0001-CN-01",
        date(2026, 12, 10),
        "EUR",
        totals["total"],
        totals["tax"],
        PrecedingInvoice("RE-2026-0001", ISSUED),
    )
    return compose_credit_note(
        figures,
        seller=SELLER,
        buyer=BUYERS["domestic"],
        treatment="domestic",
        rate=Decimal(19),
        stripe_lines=_facts(lines),
        payment_terms="Vom offenen Betrag der Rechnung RE-2026-0001 abgezogen.",
        buyer_reference=LEITWEG,
    )


def many_lines(count=250) -> EInvoice:
    """Stripe's maximum: 250 lines of seats at 0.01 to 2.50 (tax rounded per line)."""
    lines = [mirror_line(f"Seat {n + 1}", n + 1, line_id=f"il_{n}") for n in range(count)]
    return invoice(lines=lines)


def finalized_later() -> EInvoice:
    """A draft made on 7 December and finalized on the 9th: BT-2 is the 9th."""
    return invoice(issued=date(2026, 12, 9), number="RE-2026-0002")


def cases() -> dict[str, EInvoice]:
    return {
        "domestic 19 % (58)": invoice("domestic"),
        "reverse charge (58)": invoice("reverse_charge"),
        "export (58)": invoice("export"),
        "SEPA credit transfer (58)": invoice(facts=TRANSFER),
        "SEPA direct debit (59)": invoice(facts=DIRECT_DEBIT),
        "card (48)": invoice(facts=CARD),
        "19 % credit note (381)": credit_note(),
        "250 lines": many_lines(),
        "finalized 2 days after created": finalized_later(),
    }


@dataclass(frozen=True)
class Counts:
    errors: int
    warnings: int

    def __str__(self) -> str:
        return f"{self.errors}/{self.warnings}"


def _count(found: list[Finding]) -> Counts:
    errors = sum(1 for f in found if f.is_error)
    return Counts(errors, len(found) - errors)


def rule_set_findings(einvoice: EInvoice) -> dict[str, list[Finding]]:
    """XSD and CEN EN 16931 on the Factur-X XML; KoSIT on the XRechnung XML (the KoSIT rules
    apply to documents that claim XRechnung)."""
    facturx = to_cii(einvoice, Profile.EN16931)
    xrechnung = to_cii(einvoice, Profile.XRECHNUNG)
    return {
        "XSD": xsd_findings(facturx) + xsd_findings(xrechnung),
        "EN 16931": schematron_findings(facturx, EN16931_XSLT),
        "XRechnung": schematron_findings(xrechnung, EN16931_XSLT)
        + schematron_findings(xrechnung, XRECHNUNG_XSLT),
    }


def counts(einvoice: EInvoice) -> dict[str, Counts]:
    return {name: _count(found) for name, found in rule_set_findings(einvoice).items()}
