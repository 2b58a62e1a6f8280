"""From Stripe to the VAT report: a paid and partly refunded invoice (real HTTP, webhooks)
shows in the period's totals and EC Sales List, reconciled with Stripe to 0 cents."""

import csv
import io

import pytest

from billing.evidence.models import Supply
from billing.evidence.rules import quarter_of
from billing.models import Payment
from tests.evidence.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_report_shows_the_paid_invoice_reconciled_to_the_cent(
    vies_emulator, open_invoice, pay, stripe_api, client, alice
):
    invoice = pay(open_invoice)
    intent = Payment.objects.get(invoice=invoice, source="stripe").payment_intent
    stripe_api.client().v1.refunds.create({"payment_intent": intent, "amount": 2500})
    stripe_api.flush_webhooks()
    supplies = list(Supply.objects.filter(invoice=invoice))
    period = quarter_of(supplies[0].supplied_on).code

    response = login(client, alice).get("/billing/vat-report/", {"period": period})
    report = response.context["report"]
    assert [(t.treatment, t.country, t.rate, t.net, t.tax) for t in report.totals] == [
        ("reverse_charge", "FR", "0", invoice.total - 2500, 0)
    ]
    assert [(r.vat_id, r.net) for r in report.sales_list] == [
        ("FR40303265045", invoice.total - 2500)
    ]
    assert [(r.evidence, r.stripe, r.difference) for r in report.invoices] == [
        (invoice.total, invoice.total, 0)
    ]
    assert [(r.evidence, r.stripe, r.difference) for r in report.corrections] == [(2500, 2500, 0)]
    assert report.reconciled
    # The French card is American: every line is flagged for the advisor to look at.
    assert len(report.flagged) == len(supplies)

    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    "/billing/vat-report/ec-sales-list.csv", {"period": period}
                ).content.decode()
            )
        )
    )
    assert [(r["vat_id"], r["country"], r["currency"]) for r in rows] == [
        ("FR40303265045", "FR", "EUR")
    ]
    assert rows[0]["net"] == f"{(invoice.total - 2500) / 100:.2f}"
