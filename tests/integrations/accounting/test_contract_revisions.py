"""A re-accepted revision of a billed quote: it applies from the next period, or with a one-off
prorated invoice for the rest of the current period, issued once in Lexware Office at the
previewed cents."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from billing.models import ContractInvoice
from integrations.accounting.contracts import do_push_contract
from integrations.accounting.revisions import do_revise_contract, preview
from integrations.accounting.runs import run_workspace
from mspercury.tenancy import workspace_context
from quotes.actions import do_delete_line, do_update_line
from quotes.models import QuoteLine
from quotes.sharing import latest_acceptance
from tests.integrations.accounting.schedule_setup import (
    bill_from,
    doubles,  # noqa: F401 (a fixture)
    german_quote,
    invoices_in,
)
from tests.quotes.share_helpers import accept_data, page_url, share

START = date(2027, 1, 1)
CHANGE_DAY = date(2027, 2, 10)


def reaccept(quote):
    """3 more RMM agents, patch management removed; the customer accepts on the share page."""
    do_update_line(QuoteLine.objects.get(quote=quote, description="RMM agent"), quantity=15)
    do_delete_line(QuoteLine.objects.get(quote=quote, description="Patch management"))
    _, token = share(quote)
    client = Client()
    html = client.get(page_url(token)).content.decode()
    assert client.post(page_url(token, "accept"), accept_data(html)).status_code == 302
    quote.refresh_from_db()


@pytest.fixture
def billed(alpha, alice, doubles):  # noqa: F811
    bill_from(alpha, "lexware")
    quote = german_quote(alpha, alice)
    with workspace_context(alpha):
        contract, _created = do_push_contract(quote)
        contract.starts_on = START
        contract.save()
        run_workspace(alpha, START)
        run_workspace(alpha, date(2027, 2, 1))
    reaccept(quote)
    contract.refresh_from_db()
    return contract


def gross_of(invoice) -> Decimal:
    return Decimal(str(invoice["totalPrice"]["totalGrossAmount"]))


def test_a_revision_applies_from_the_next_period(billed, alpha, doubles):  # noqa: F811
    with workspace_context(alpha):
        change = do_revise_contract(billed, CHANGE_DAY, prorate=False)
        assert do_revise_contract(billed, CHANGE_DAY, prorate=False) is None  # once
        run_workspace(alpha, date(2027, 3, 1))
    assert change.one_off is not None  # shown, not issued: the change waits for March
    assert not ContractInvoice.objects.filter(kind="prorated").exists()
    _first, second, third = invoices_in("lexware", doubles["lexware"])
    assert gross_of(third) != gross_of(second)
    # The accepted revision's monthly total, to the cent.
    accepted = latest_acceptance(billed.quote).snapshot["tax"]["monthly"]["gross"]
    assert gross_of(third) == Decimal(accepted)


def test_the_one_off_invoice_is_issued_once_at_the_previewed_cents(billed, alpha, doubles):  # noqa: F811
    with workspace_context(alpha):
        shown, _lines = preview(billed, CHANGE_DAY)
        do_revise_contract(billed, CHANGE_DAY, prorate=True)
        run_workspace(alpha, CHANGE_DAY)
        run_workspace(alpha, CHANGE_DAY)
    row = ContractInvoice.objects.get(kind="prorated")
    assert row.state == "issued"
    # 3 agents × 4.50 = 13.50 a month; 10–28 Feb is 19 of 28 days: 9.16 (9.1607…).
    assert shown.one_off.net == Decimal("9.16")
    found = [i for i in invoices_in("lexware", doubles["lexware"]) if row.reference in i["remark"]]
    assert len(found) == 1
    assert gross_of(found[0]) == shown.one_off.gross == Decimal("10.90")


def test_the_page_previews_the_revision_and_applies_it_once(
    client_for,
    alice,
    alpha,
    doubles,  # noqa: F811
):
    bill_from(alpha, "lexware")
    quote = german_quote(alpha, alice)
    client = client_for(alice)
    client.post(f"/quotes/{quote.public_id}/stripe/push/")
    reaccept(quote)
    page = client.get(f"/quotes/{quote.public_id}/stripe/").content.decode()
    assert 'data-testid="one-off"' in page and 'data-testid="revise-now"' in page
    revise = f"/quotes/{quote.public_id}/contract/revise/"
    assert client.post(revise, {"timing": "now"}).status_code == 302
    client.post(revise, {"timing": "now"})
    assert ContractInvoice.objects.filter(kind="prorated").count() == 1
    contract = quote.contracts.get()
    assert contract.quote_revision == quote.revision
    assert (
        'data-testid="one-off"'
        not in client.get(f"/quotes/{quote.public_id}/stripe/").content.decode()
    )


def test_members_cannot_apply_a_revision(client_for, bob, alice, alpha, doubles):  # noqa: F811
    bill_from(alpha, "lexware")
    quote = german_quote(alpha, alice)
    with workspace_context(alpha):
        do_push_contract(quote)
    response = client_for(bob).post(f"/quotes/{quote.public_id}/contract/revise/")
    assert response.status_code == 403
