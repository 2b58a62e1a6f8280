"""From Stripe to the VAT report: a paid and partly refunded reverse-charge invoice (real HTTP,
webhooks) shows in the period's Kz 21 and EC Sales List, reconciled with Stripe to 0 cents."""

import csv
import io

import pytest

from billing.evidence.models import Supply
from billing.evidence.rules import quarter_of
from billing.models import Payment
from tests.factories import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_report_shows_the_paid_invoice_reconciled_to_the_cent(
    vies_emulator, open_invoice, pay, stripe_api, client, alice
):
    invoice = pay(open_invoice)
    intent = Payment.objects.get(invoice=invoice, source="stripe").payment_intent
    stripe_api.client().v1.refunds.create({"payment_intent": intent, "amount": 2500})
    stripe_api.flush_webhooks()
    supplies = list(Supply.objects.filter(invoice=invoice))
    issued = quarter_of(supplies[0].supplied_on).code
    performed = quarter_of(min(s.performed_on for s in supplies)).code

    sign_in(client, alice)
    report = client.get("/billing/vat-report/", {"period": issued}).context["report"]
    assert [(r.evidence, r.stripe) for r in report.reconciliation] == [
        (invoice.total, invoice.total)
    ]
    assert report.reconciled
    response = client.get("/billing/vat-report/", {"period": performed})
    report = response.context["report"]
    # Reverse charge counts by performance: the lines performed in that quarter, less their
    # share of the refund (the rest of it lowers the later lines when they are performed).
    assert {t.treatment for t in report.totals} == {"reverse_charge"}
    assert [(f.code, f.base) for f in report.fields] == [("21", sum(t.net for t in report.totals))]
    # The French card is American, but the valid VAT ID places the supplies: nothing flagged.
    assert report.flagged == [] and all(s.conflict for s in supplies)

    response = client.get("/billing/vat-report/ec-sales-list.csv", {"period": performed})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert [(r["vat_id"], r["country"], r["currency"]) for r in rows] == [
        ("FR40303265045", "FR", "EUR")
    ]
    net = report.sales_list[0].net
    assert rows[0]["net"] == f"{net // 100},{net % 100:02d}"
