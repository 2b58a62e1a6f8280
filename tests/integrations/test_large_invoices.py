"""Every invoice mirrors whatever its size (issue 22, point 2): Stripe embeds an invoice's
first 10 lines and lists the rest at `GET /v1/invoices/{id}/lines`; the mirror reads all of
them, up to Stripe's 250, with as few calls as the page size allows."""

import pytest

from billing.models import StripeInvoice
from integrations.mirror.sync import sync_invoice
from integrations.models import StripeEvent
from tests.integrations.test_webhook_processing import wired  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

LINES = 250
PERIOD = (1_798_761_600, 1_801_440_000)  # 2027-01-01 .. 2027-02-01 UTC


def make_invoice(sk, workspace, lines=LINES):
    """A draft invoice of `lines` invoice items (one cent more each), all at 19 % VAT with the
    same service period, for a customer the workspace's pushes would have marked as its own."""
    rate = sk.v1.tax_rates.create({"display_name": "VAT", "inclusive": False, "percentage": 19})
    customer = sk.v1.customers.create(
        {
            "name": "Muster GmbH",
            "email": "billing@muster.test",
            "address": {"country": "DE"},
            "metadata": {"mspercury_workspace": str(workspace.public_id)},
        }
    )
    invoice = sk.v1.invoices.create(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 14}
    )
    for n in range(1, lines + 1):
        sk.v1.invoice_items.create(
            {
                "customer": customer.id,
                "invoice": invoice.id,
                "amount": 1000 + n,
                "currency": "eur",
                "description": f"Seat {n}",
                "period": {"start": PERIOD[0], "end": PERIOD[1]},
                "tax_rates": [rate.id],
            }
        )
    return invoice.id


@pytest.fixture
def big_invoice(stripe_api, alpha):
    """The 250-line draft, made before the webhook endpoint exists (its 250 updates are not
    the subject here)."""
    return make_invoice(stripe_api.client(), alpha)


@pytest.fixture
def big_and_wired(big_invoice, wired):  # noqa: F811 - big_invoice first: no endpoint yet
    return big_invoice, wired


def _assert_all_lines(mirror: StripeInvoice):
    assert len(mirror.lines) == LINES
    assert [line["description"] for line in mirror.lines] == [
        f"Seat {n}" for n in range(1, LINES + 1)
    ]
    assert len({line["id"] for line in mirror.lines}) == LINES
    for n, line in enumerate(mirror.lines, start=1):
        assert line["amount"] == 1000 + n
        assert (line["period_start"], line["period_end"]) == PERIOD
        assert [tax["taxable_amount"] for tax in line["taxes"]] == [1000 + n]
        # 19 %, half up per line, as Stripe computes line taxes.
        assert [tax["amount"] for tax in line["taxes"]] == [int((1000 + n) * 19 / 100 + 0.5)]
    assert sum(tax["amount"] for line in mirror.lines for tax in line["taxes"]) == mirror.tax


def test_it_mirrors_all_250_lines_with_four_calls(big_and_wired, stripe_api):
    """A re-read of a 250-line invoice gets every line with its taxes and period: the retrieve
    (10 embedded) and three pages of at most 100 after the last line seen."""
    invoice_id, connection = big_and_wired
    stripe_api.clear_requests()

    mirror = sync_invoice(connection, invoice_id)

    _assert_all_lines(mirror)
    calls = [(r["method"], r["path"], r["params"]) for r in stripe_api.requests()]
    assert [path for _method, path, _params in calls] == [
        f"/v1/invoices/{invoice_id}",
        f"/v1/invoices/{invoice_id}/lines",
        f"/v1/invoices/{invoice_id}/lines",
        f"/v1/invoices/{invoice_id}/lines",
    ]
    assert [str(params.get("limit")) for _m, _p, params in calls[1:]] == ["100"] * 3
    assert mirror.total == sum(1000 + n for n in range(1, LINES + 1)) + mirror.tax


def test_an_event_about_a_250_line_invoice_is_processed(big_and_wired, stripe_api):
    """Finalizing the invoice in Stripe sends invoice.finalized; the webhook stores it and its
    processing mirrors the open invoice with all its lines."""
    invoice_id, _connection = big_and_wired
    stripe_api.client().v1.invoices.finalize_invoice(invoice_id)
    stripe_api.flush_webhooks()

    finalized = StripeEvent.objects.get(event_type="invoice.finalized")
    assert (finalized.status, finalized.error) == (StripeEvent.Status.PROCESSED, "")
    assert not StripeEvent.objects.exclude(
        status__in=[StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED]
    ).exists()
    mirror = StripeInvoice.objects.get(stripe_id=invoice_id)
    assert mirror.status == "open" and mirror.number
    _assert_all_lines(mirror)
