"""An invoice MSPercury issued in Lexware Office or sevDesk is booked in that tool, the MSP's
book of record for it (its UStVA and DATEV export come from there): MSPercury's VAT report and
DATEV export leave it and its payments out, and say so, instead of counting it twice or
listing it as "not recorded"."""

from datetime import UTC, date, datetime

import pytest

from billing.datev.export import gather
from billing.evidence.models import Supply
from billing.ledger import ProviderInvoice, record_provider_invoice
from billing.models import Payment
from billing.payments import record_payment

pytestmark = pytest.mark.django_db(transaction=True)

ISSUED = datetime(2027, 1, 1, 9, tzinfo=UTC)


@pytest.fixture
def booked_in_lexware(alpha, acme):
    invoice = record_provider_invoice(
        alpha,
        ProviderInvoice(
            provider="lexware",
            account_ref="org-1",
            external_id="inv-1",
            currency="EUR",
            status="open",
            number="RE1001",
            issued_at=ISSUED,
            service_start=date(2027, 1, 1),
            service_end=date(2027, 1, 31),
            net=10000,
            tax=1900,
            total=11900,
            lines=[
                {
                    "id": "line-1",
                    "description": "Managed Workplace",
                    "quantity": "10",
                    "amount": 10000,
                    "currency": "EUR",
                    "period_start": int(ISSUED.timestamp()),
                    "period_end": int(datetime(2027, 2, 1, tzinfo=UTC).timestamp()),
                    "taxes": [],
                    "vat_percent": "19",
                }
            ],
        ),
        customer=acme,
    )
    record_payment(
        invoice,
        provider_id="lexware:inv-1:1",
        source=Payment.Source.ACCOUNTING,
        amount=11900,
        currency="EUR",
        paid_at=datetime(2027, 1, 10, 9, tzinfo=UTC),
        method=Payment.Method.BANK_TRANSFER,
    )
    return invoice


def test_it_records_no_supply_and_stays_out_of_the_vat_report(
    client_for, alice, alpha, booked_in_lexware
):
    assert not Supply.objects.filter(invoice=booked_in_lexware).exists()
    page = client_for(alice).get("/billing/vat-report/?period=2027-01").content.decode()
    assert 'data-testid="booked-elsewhere"' in page and "Lexware Office" in page
    assert "RE1001" not in page  # not "issued without evidence", not in any figure
    datev = client_for(alice).get("/billing/datev/").content.decode()
    assert 'data-testid="booked-elsewhere"' in datev and "Lexware Office" in datev


def test_the_datev_export_leaves_it_and_its_payment_out(alpha, booked_in_lexware):
    gathered = gather(alpha, date(2027, 1, 1), date(2027, 1, 31))
    assert gathered.invoices == [] and gathered.money == []


def test_a_workspace_with_only_stripe_invoices_sees_no_note(client_for, alice, alpha):
    page = client_for(alice).get("/billing/vat-report/?period=2027-01").content.decode()
    assert 'data-testid="booked-elsewhere"' not in page
    datev = client_for(alice).get("/billing/datev/").content.decode()
    assert 'data-testid="booked-elsewhere"' not in datev
