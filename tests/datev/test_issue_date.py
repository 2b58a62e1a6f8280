"""The Belegdatum of an invoice is its issue date: the local date (the MSP's zone) on which
Stripe finalized it, as BT-2 of its e-invoice, not the date its draft was created."""

from datetime import UTC, date, datetime

from billing.einvoice.source import einvoice_from_stripe
from tests.datev.conftest import at, make_invoice
from tests.datev.test_export import run

DECEMBER = (date(2026, 12, 1), date(2026, 12, 31))
JANUARY = (date(2027, 1, 1), date(2027, 1, 31))


def _invoice_days(result) -> list[str]:
    return [b.day for b in result.bookings if b.text.startswith("Rechnung ")]


def test_a_draft_finalized_two_days_later_is_dated_the_finalization(german_msp, muller):
    """Created on the 7th, finalized on the 9th: Belegdatum 09.12."""
    make_invoice(
        german_msp,
        muller,
        "in_late",
        "RE-0001",
        at("2026-12-07"),
        11900,
        1900,
        finalized_at=at("2026-12-09"),
    )
    assert _invoice_days(run(german_msp, *DECEMBER)) == [date(2026, 12, 9)]


def test_new_years_eve_late_in_utc_is_new_years_day_in_berlin(german_msp, muller):
    """Finalized 31.12. 23:30 UTC = 01.01. 00:30 CET: the invoice belongs to January."""
    invoice = make_invoice(
        german_msp,
        muller,
        "in_nye",
        "RE-0002",
        datetime(2026, 12, 31, 22, 0, tzinfo=UTC),
        11900,
        1900,
        finalized_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    )
    assert _invoice_days(run(german_msp, *DECEMBER)) == []
    assert _invoice_days(run(german_msp, *JANUARY)) == [date(2027, 1, 1)]
    assert invoice.issued_on == date(2027, 1, 1)


def test_the_e_invoice_and_datev_agree_on_the_date(german_msp, muller):
    """BT-2 and the Belegdatum are the same day."""
    from quotes.models import Quote

    quote = Quote.objects.create(workspace=german_msp, number="Q-1", customer=muller)
    invoice = make_invoice(
        german_msp,
        muller,
        "in_same",
        "RE-0003",
        at("2026-12-07"),
        11900,
        1900,
        finalized_at=at("2026-12-09"),
        quote=quote,
        amount_due=11900,
        lines=[
            {
                "id": "il_1",
                "description": "Support",
                "quantity": "1",
                "amount": 10000,
                "discount": 0,
                "period_start": 1796112000,
                "period_end": 1798790400,
                "taxes": [
                    {
                        "amount": 1900,
                        "taxable_amount": 10000,
                        "tax_rate": "",
                        "behavior": "exclusive",
                    }
                ],
            }
        ],
    )
    [day] = _invoice_days(run(german_msp, *DECEMBER))
    assert einvoice_from_stripe(invoice).issue_date == day == date(2026, 12, 9)
