"""The invoice is a business letter: the push writes the MSP's company particulars into the
Stripe invoice footer, in the customer's language, between our reference and the VAT wording,
within Stripe's 5,000 characters."""

from billing.recheck.rules import Wording, reword
from integrations.push.planner import (
    MAX_FOOTER_LENGTH,
    PlanSettings,
    _footer,
    footer_problems,
    plan_push,
)
from integrations.push.tax_rates import invoice_wording
from tests.integrations.push.test_planner import CUSTOMER, line, mixed_quote, quote
from tests.integrations.push.test_vat_push import customer, push, quote_for, stripe_invoices

PARTICULARS = {
    "legal_form": "GmbH",
    "registered_seat": "München",
    "register_court": "Amtsgericht München",
    "register_number": "HRB 123456",
    "managing_directors": "Anna Muster\nBernd Beispiel",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
}
LINES = ("Sitz: München", "Amtsgericht München, HRB 123456", "Geschäftsführer: Anna Muster")


def test_it_puts_the_particulars_into_every_footer_the_plan_sets():
    settings = PlanSettings(workspace_ref="ws-1", particulars=LINES)
    plan = plan_push(mixed_quote(), CUSTOMER, settings)
    for op in plan.of_kind("subscription"):
        assert op.params["invoice_settings"]["footer"] == (
            "MSPercury-Referenz: Q-2026-0007\n\n"
            "Sitz: München\nAmtsgericht München, HRB 123456\nGeschäftsführer: Anna Muster"
        )
    one_time = plan_push(quote(line("o1", "one_time", price="300")), CUSTOMER, settings)
    (invoice,) = one_time.of_kind("invoice")
    assert "\n\nSitz: München\n" in invoice.params["footer"]


def test_it_keeps_the_vat_wording_last_for_the_re_check():
    """billing.recheck.rules.reword finds the wording at the end and swaps it, particulars kept."""
    old = invoice_wording("reverse_charge", "fr", "DE", "DE136695976", "FR40303265045")
    new = invoice_wording("domestic", "fr", "DE", "DE136695976", "FR40303265045")
    text = _footer(quote(), "fr", old, LINES)
    assert text.endswith(old.footer)
    changed = reword(
        Wording(text, tuple(old.custom_fields)),
        Wording(old.footer, tuple(old.custom_fields)),
        Wording(new.footer, tuple(new.custom_fields)) if new else None,
    )
    assert changed is not None
    assert "Amtsgericht München, HRB 123456" in changed.footer
    assert old.footer not in changed.footer


def test_it_blocks_a_footer_stripe_would_refuse():
    short = PlanSettings(workspace_ref="ws-1", particulars=LINES)
    assert footer_problems(mixed_quote(), CUSTOMER, short) == []
    long = PlanSettings(workspace_ref="ws-1", particulars=("x" * MAX_FOOTER_LENGTH,))
    (problem,) = footer_problems(mixed_quote(), CUSTOMER, long)
    assert problem.code == "footer_too_long" and problem.blocking
    assert plan_push(mixed_quote(), CUSTOMER, long).blocked


def test_it_sets_the_particulars_in_stripe(vat_workspace, alice, stripe_api):
    """DE GmbH → French customer: the subscription's invoice and the one-time invoice carry the
    particulars in French, before the reverse-charge wording."""
    for field, value in PARTICULARS.items():
        setattr(vat_workspace, field, value)
    vat_workspace.save()
    cust = customer(vat_workspace, "FR", "FR40303265045", language="fr")
    lines = [("Support", "monthly", "1", "100", None)] + [
        (f"Setup {n}", "one_time", "1", "10", None) for n in range(21)
    ]
    outcome, row = push(quote_for(vat_workspace, cust, lines, user=alice), alice)
    assert outcome == "succeeded", row.error
    invoices = stripe_invoices(stripe_api, row)
    assert len(invoices) == 2
    for invoice in invoices:
        footer = invoice.footer
        assert "Alpha IT GmbH\nSiège social : München\nAmtsgericht München, HRB 123456\n" in footer
        assert "Gérants : Anna Muster, Bernd Beispiel" in footer
        assert "IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX" in footer
        assert footer.index("Gérants") < footer.index("Autoliquidation")
        assert len(footer) <= MAX_FOOTER_LENGTH


def test_it_sets_no_particulars_where_there_are_none(vat_workspace, alice, stripe_api):
    vat_workspace.tax_id = ""
    vat_workspace.tax_id_type = "none"
    vat_workspace.save()
    cust = customer(vat_workspace, "DE", language="de")
    outcome, row = push(quote_for(vat_workspace, cust, [("Support", "monthly", "1", "100", None)]))
    assert outcome == "succeeded", row.error
    (invoice,) = stripe_invoices(stripe_api, row)
    assert "Sitz" not in invoice.footer


def test_the_preview_warns_about_missing_particulars(client_for, alice, connection, mixed_quote):
    """A GmbH without register and directors: the preview names what is missing and links the
    settings; the push button stays."""
    connection.workspace.legal_form = "GmbH"
    connection.workspace.save()
    html = client_for(alice).get(f"/quotes/{mixed_quote.public_id}/stripe/").content.decode()
    assert 'id="particulars-warning"' in html
    assert "Missing: registered seat, register court, register number, managing directors." in (
        html
    )
    assert 'href="/settings/workspace/#particulars"' in html
    assert "Create in Stripe</button>" in html and "disabled>" not in html


def test_the_preview_is_quiet_with_complete_particulars(client_for, alice, connection, mixed_quote):
    for field, value in PARTICULARS.items():
        setattr(connection.workspace, field, value)
    connection.workspace.save()
    html = client_for(alice).get(f"/quotes/{mixed_quote.public_id}/stripe/").content.decode()
    assert 'id="particulars-warning"' not in html
