"""The billing schedule against the Lexware Office and sevDesk doubles over real HTTP: the push
makes one contact and one contract, each period's invoice is issued exactly once whatever
fails, a simulated year issues twelve invoices per contract, totals equal the quote's to the
cent, a paused run issues nothing, and two runs at once never issue twice."""

import itertools
import threading
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from billing.contracts import do_pause_run, do_resume_run
from billing.models import BillingRun, Contract, ContractInvoice, Invoice
from billing.schedule import add_months
from integrations.accounting.contracts import ContractRefused, client_for
from integrations.accounting.issue import LEASE, claim, period_invoice, plan_contract
from integrations.accounting.writers import writer_for
from mspercury.tenancy import workspace_context
from tests.integrations.accounting.schedule_setup import (
    MATRIX,
    START,
    bill_from,
    contacts_in,
    doubles,  # noqa: F401 (a fixture)
    german_quote,
    gross,
    invoices_in,
    issue_through_fault,
    outcome,
    push,
    references,
    run,
    start_on,
)

PROVIDERS = ["lexware", "sevdesk"]


@pytest.fixture
def setup(alpha, alice, doubles):  # noqa: F811
    def _setup(provider, **quote_fields):
        if not alpha.accounting_connections.exists():
            bill_from(alpha, provider)
        return german_quote(alpha, alice, **quote_fields)

    return _setup


@pytest.mark.parametrize("provider", PROVIDERS)
def test_pushing_twice_makes_one_contact_and_one_contract(setup, doubles, provider):  # noqa: F811
    quote = setup(provider)
    contract, created = push(quote)
    again, created_again = push(quote)
    assert (created, created_again, again.pk) == (True, False, contract.pk)
    assert len(contacts_in(doubles[provider])) == 1
    assert contract.contact_id
    assert [(line.interval, line.quantity) for line in contract.lines.all()][-2:] == [
        ("once", Decimal("1")),
        ("once", Decimal("1.5")),
    ]
    assert Counter(line.interval for line in contract.lines.all()) == {
        "month": 6,
        "year": 1,
        "once": 2,
    }


def test_lexware_refuses_a_quote_in_dollars_with_the_reason(setup, doubles):  # noqa: F811
    quote = setup("lexware", currency="USD")
    with pytest.raises(ContractRefused) as refused:
        push(quote)
    assert "EUR" in refused.value.message
    assert not Contract.objects.exists()
    assert contacts_in(doubles["lexware"]) == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_first_and_second_invoice_equal_the_quote_to_the_cent(setup, doubles, provider):  # noqa: F811
    quote = setup(provider)
    contract = start_on(push(quote)[0])
    tax = quote.acceptance.snapshot["tax"]
    run(quote.workspace, START)
    (first,) = invoices_in(provider, doubles[provider])
    assert gross(provider, first) == Decimal(tax["first_invoice"]["gross"])
    run(quote.workspace, add_months(START, 1))
    second = invoices_in(provider, doubles[provider])[1]
    assert gross(provider, second) == Decimal(tax["monthly"]["gross"])
    rows = list(ContractInvoice.objects.filter(contract=contract))
    assert [r.state for r in rows] == ["issued", "issued"]
    ledger = rows[0].invoice
    assert (ledger.provider, ledger.stripe_id, ledger.number) == (
        provider,
        rows[0].external_id,
        rows[0].number,
    )
    assert ledger.total == int(Decimal(tax["first_invoice"]["gross"]) * 100)
    assert (ledger.service_start, ledger.service_end) == (START, date(2027, 2, 27))
    assert ledger.quote == quote and ledger.customer == quote.customer


@pytest.mark.parametrize(("provider", "kind", "where"), MATRIX)
def test_a_fault_anywhere_ends_with_exactly_one_invoice_per_period(
    setup,
    doubles,  # noqa: F811
    provider,
    kind,
    where,
):
    emulator = doubles[provider]
    quote = setup(provider)
    contract = issue_through_fault(quote, emulator, provider, kind, where)
    found = outcome(quote, contract, emulator, provider)
    assert (found.per_period, found.duplicates, found.gaps) == ([1, 1], 0, 0)
    assert found.totals_equal and found.fired and found.contacts == 1
    rows = ContractInvoice.objects.filter(contract=contract)
    assert sorted(rows.values_list("state", flat=True)) == ["issued", "issued"]
    assert Invoice.objects.filter(workspace=quote.workspace, provider=provider).count() == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_year_forward_issues_twelve_invoices_per_contract(setup, doubles, alpha, provider):  # noqa: F811
    emulator = doubles[provider]
    contracts = [start_on(push(setup(provider))[0]) for _ in range(2)]
    for month in range(12):
        emulator.advance(0, days=31 if month else 0)
        run(alpha, add_months(START, month))
    found = references(provider, emulator)
    assert len(found) == 24 and set(found.values()) == {1}
    for contract in contracts:
        starts = sorted(
            ContractInvoice.objects.filter(contract=contract, state="issued").values_list(
                "period_start", "period_end"
            )
        )
        assert [s for s, _e in starts] == [add_months(START, k) for k in range(12)]
        for (_s, end), (following, _e) in itertools.pairwise(starts):
            assert following == end + timedelta(days=1)
    runs = BillingRun.objects.filter(workspace=alpha)
    assert runs.count() == 12 and {r.status for r in runs} == {"done"}


def test_a_paused_run_issues_nothing_until_resumed(setup, doubles, alpha):  # noqa: F811
    start_on(push(setup("lexware"))[0])
    first = run(alpha, START)
    assert (first.status, first.done) == ("done", 1)
    later = add_months(START, 1)
    paused = BillingRun.objects.create(workspace=alpha, month=later.replace(day=1))
    assert do_pause_run(paused)
    again = run(alpha, later)
    assert (again.status, again.done) == ("paused", 0)
    assert len(invoices_in("lexware", doubles["lexware"])) == 1
    assert do_resume_run(paused)
    resumed = run(alpha, later)
    assert (resumed.status, resumed.total, resumed.done) == ("done", 1, 1)
    assert len(invoices_in("lexware", doubles["lexware"])) == 2


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_never_issue_twice(setup, doubles, alpha):  # noqa: F811
    for _ in range(3):
        start_on(push(setup("lexware"))[0])
    failures = []

    def one_run():
        try:
            run(alpha, add_months(START, 2))
        except Exception as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    found = references("lexware", doubles["lexware"])
    assert len(found) == 9 and set(found.values()) == {1}
    assert ContractInvoice.objects.filter(state="issued").count() == 9


def test_a_row_is_claimed_by_one_worker_only(setup, alpha):
    contract = start_on(push(setup("lexware"))[0])
    with workspace_context(alpha):
        plan_contract(contract, START)
        row = ContractInvoice.objects.get()
        assert claim(row.pk) is False  # taken; nothing was attempted before
        assert claim(row.pk) is None  # a second worker gets nothing
        row.refresh_from_db()
    assert (row.state, row.attempts, row.may_have_landed) == ("issuing", 1, True)


def test_a_worker_that_died_after_the_write_is_followed_by_a_look_not_a_second_create(
    setup,
    doubles,  # noqa: F811
    alpha,
):
    contract = start_on(push(setup("lexware"))[0])
    with workspace_context(alpha):
        plan_contract(contract, START)
        row = ContractInvoice.objects.select_related("contract__customer").get()
        claim(row.pk)
        # The worker wrote the invoice, then died before it could record anything.
        connection = contract.workspace.accounting_connections.get()
        writer = writer_for(client_for(connection), row.contract, {})
        writer.create(period_invoice(row), START, row.reference)
        ContractInvoice.objects.filter(pk=row.pk).update(
            claimed_at=timezone.now() - LEASE - timedelta(seconds=1)
        )
    run(alpha, START)
    assert references("lexware", doubles["lexware"]) == {row.reference: 1}
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("issued", 2)


def test_a_run_issues_only_its_own_workspace_s_contracts(
    setup,
    alpha,
    charlie_ws,
    doubles,  # noqa: F811
):
    start_on(push(setup("lexware"))[0])
    other = run(charlie_ws, START)
    assert (other.total, other.done) == (0, 0)
    assert invoices_in("lexware", doubles["lexware"]) == []
    with workspace_context(charlie_ws):
        assert not ContractInvoice.objects.exists() and not Contract.objects.exists()


def test_lexware_s_rate_limit_is_waited_out_not_failed(setup, doubles, alpha, settings):  # noqa: F811
    """Lexware's double at 2 requests per second and no throttle of ours: the 429s are waited
    out and each invoice is issued once."""
    doubles["lexware"].config(rate_limit=2, rate_limit_burst=2)
    for _ in range(2):
        start_on(push(setup("lexware"))[0])
    done = run(alpha, START)
    assert (done.status, done.done, done.failed) == ("done", 2, 0)
    assert set(references("lexware", doubles["lexware"]).values()) == {1}
    assert doubles["lexware"].requests(path="/v1/*") and any(
        r.get("outcome") == "rate_limited" for r in doubles["lexware"].requests()
    )


def test_the_shared_throttle_keeps_lexware_below_its_limit(setup, doubles, alpha, settings):  # noqa: F811
    doubles["lexware"].config(rate_limit=2, rate_limit_burst=2)
    settings.MSPERCURY_LEXWARE_RATE_LIMIT = 2
    start_on(push(setup("lexware"))[0])
    done = run(alpha, add_months(START, 1))
    assert (done.done, done.failed) == (1, 0)
    assert not [r for r in doubles["lexware"].requests() if r.get("outcome") == "rate_limited"]


def test_a_contract_ended_on_a_date_bills_its_last_days_and_then_nothing(
    setup,
    doubles,  # noqa: F811
    alpha,
    client_for,
    alice,
):
    contract = start_on(push(setup("lexware"))[0], date(2027, 1, 1))
    run(alpha, date(2027, 1, 1))
    client = client_for(alice)
    end = f"/billing/contracts/{contract.public_id}/end/"
    refused = client.post(end, {"ends_on": "2027-01-20"}, follow=True).content.decode()
    assert "is invoiced already" in refused
    client.post(end, {"ends_on": "2027-02-10"})
    for month in (2, 3, 4):
        run(alpha, date(2027, month, 1))
    issued = invoices_in("lexware", doubles["lexware"])
    assert len(issued) == 2
    last = ContractInvoice.objects.filter(contract=contract).last()
    assert (last.period_start, last.period_end) == (date(2027, 2, 1), date(2027, 2, 10))
    # The monthly lines for 10 of February's 28 days, each rounded once.
    monthly = sum((line.net for line in period_invoice(last).lines), Decimal(0))
    assert gross("lexware", issued[1]) == monthly + (monthly * Decimal("0.19")).quantize(
        Decimal("0.01"), "ROUND_HALF_UP"
    )
    contract.refresh_from_db()
    assert contract.status == "ended"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_contact_carries_address_vat_id_and_leitweg_id(setup, doubles, provider):  # noqa: F811
    quote = setup(provider)
    quote.customer.leitweg_id = "991-03730-19"
    quote.customer.supplier_number = "70123456"
    quote.customer.save()
    push(quote)
    (contact,) = contacts_in(doubles[provider])
    if provider == "lexware":
        assert contact["company"]["name"] == "Acme GmbH"
        assert contact["company"]["vatRegistrationId"] == "DE136695976"
        assert contact["xRechnung"] == {
            "buyerReference": "991-03730-19",
            "vendorNumberAtCustomer": "70123456",
        }
        billing = contact["addresses"]["billing"][0]
        assert (billing["zip"], billing["countryCode"]) == ("12345", "DE")
    else:
        assert (contact["name"], contact["vatNumber"]) == ("Acme GmbH", "DE136695976")
        assert contact["buyerReference"] == "991-03730-19"


def test_a_refused_invoice_is_retried_with_backoff_not_every_run(setup, doubles, alpha):  # noqa: F811
    from integrations.accounting.runs import retry_due

    contract = start_on(push(setup("sevdesk"))[0])
    doubles["sevdesk"].fault("error", "/api/v1/Invoice/Factory/saveInvoice", "POST", None)
    for _ in range(5):
        run(alpha, START)
    row = ContractInvoice.objects.get(contract=contract)
    assert (row.state, row.attempts) == ("failed", 3)
    now = timezone.now()
    assert retry_due(3, now - timedelta(minutes=2), now)
    assert not retry_due(4, now - timedelta(minutes=3), now)
    assert retry_due(30, now - timedelta(days=1), now)


def test_an_invoice_that_keeps_failing_notifies_once_and_is_resolved_when_it_issues(
    setup,
    doubles,  # noqa: F811
    alpha,
):
    """Owners and admins hear, once, after the third failed attempt, with sevDesk's words; the
    notification is resolved once a later attempt issues the invoice."""
    from integrations.accounting.issue import issue_row
    from mspercury.models import Notification

    contract = start_on(push(setup("sevdesk"))[0])
    doubles["sevdesk"].fault("error", "/api/v1/Invoice/Factory/saveInvoice", "POST", 4)
    run(alpha, START)
    assert not Notification.objects.filter(kind="invoice_not_issued").exists()  # quiet at first
    run(alpha, START)
    run(alpha, START)
    row = ContractInvoice.objects.get(contract=contract)
    assert row.attempts == 3 and row.state == "failed"
    (note,) = Notification.objects.filter(workspace=alpha, kind="invoice_not_issued")
    assert contract.quote.number in note.title and "sevDesk" in note.title
    assert note.resolved_at is None
    ContractInvoice.objects.filter(pk=row.pk).update(attempts=3)
    issue_row(row.pk, START)  # the fourth attempt fails too: still one notification
    assert Notification.objects.filter(workspace=alpha, kind="invoice_not_issued").count() == 1
    issue_row(row.pk, START)
    row.refresh_from_db()
    assert row.state == "issued"
    note.refresh_from_db()
    assert note.resolved_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_pause_during_a_run_stops_it_between_invoices(setup, doubles, alpha, settings):  # noqa: F811
    """At Lexware's pace (2 requests per second: one invoice a second) the run is paused after
    its first invoice: it stops before the next one, and resuming finishes the rest once."""
    settings.MSPERCURY_LEXWARE_RATE_LIMIT = 2
    for _ in range(4):
        start_on(push(setup("lexware"))[0])
    lexware = doubles["lexware"]

    def one_run():
        try:
            run(alpha, START)
        finally:
            connections.close_all()

    worker = threading.Thread(target=one_run)
    worker.start()
    while not invoices_in("lexware", lexware) and worker.is_alive():
        time.sleep(0.05)
    assert do_pause_run(BillingRun.objects.get(workspace=alpha))
    worker.join()
    paused = BillingRun.objects.get(workspace=alpha)
    assert paused.status == "paused" and 1 <= paused.done < 4
    assert len(invoices_in("lexware", lexware)) == paused.done
    do_resume_run(paused)
    finished = run(alpha, START)
    assert (finished.status, finished.done) == ("done", 4)
    assert set(references("lexware", lexware).values()) == {1}


def test_a_quote_is_billed_by_one_provider_only(setup, doubles, alpha, connection):  # noqa: F811
    """After the workspace switched from Lexware Office to sevDesk or Stripe, the quote with
    a contract is refused by both, with the reason."""
    from integrations.models import BillingProviderChoice
    from integrations.push.actions import PushRefused, do_start_push

    quote = setup("lexware")
    push(quote)
    with pytest.raises(PushRefused) as stripe_refused:
        do_start_push(None, quote)
    assert "already bills this quote in Lexware Office" in stripe_refused.value.message
    bill_from(alpha, "sevdesk")
    with pytest.raises(ContractRefused) as refused:
        push(quote)
    assert "already bills this quote in Lexware Office" in refused.value.message
    BillingProviderChoice.objects.filter(workspace=alpha).update(provider="lexware")
    assert push(quote)[1] is False


def test_a_quote_pushed_to_stripe_gets_no_contract(setup, doubles, alpha):  # noqa: F811
    from integrations.models import Push

    quote = setup("sevdesk")
    Push.objects.create(workspace=alpha, quote=quote, account_ref="acct_x", mode="test")
    with pytest.raises(ContractRefused) as refused:
        push(quote)
    assert "pushed to Stripe" in refused.value.message
    assert contacts_in(doubles["sevdesk"]) == []


def test_sevdesk_s_user_and_countries_are_read_once_per_run_not_per_invoice(
    setup,
    doubles,  # noqa: F811
    alpha,
):
    """Three invoices in one run: one read of the account's user and none of the country table
    (remembered from the push), instead of one of each per invoice."""
    sevdesk = doubles["sevdesk"]
    for _ in range(3):
        start_on(push(setup("sevdesk"))[0])
    sevdesk.clear_requests()
    done = run(alpha, START)
    assert (done.done, done.failed) == (3, 0)
    paths = Counter(r["path"] for r in sevdesk.requests(method="GET"))
    assert paths["/api/v1/SevUser"] == 1
    assert paths["/api/v1/StaticCountry"] == 0
    # Per invoice: its create, the read-back, the PUT that marks it sent and the read after it.
    assert len(sevdesk.requests()) == 3 * 4 + 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_leitweg_id_without_our_supplier_number_is_refused_by_lexware_only(
    setup,
    doubles,  # noqa: F811
    provider,
):
    """Lexware Office rejects a Leitweg-ID without vendorNumberAtCustomer, so the push refuses
    it first, saying what to add; sevDesk's contact has no such field and pushes."""
    quote = setup(provider)
    quote.customer.leitweg_id = "991-03730-19"
    quote.customer.save()
    if provider == "sevdesk":
        assert push(quote)[1] is True
        return
    with pytest.raises(ContractRefused) as refused:
        push(quote)
    assert "Acme GmbH has a Leitweg-ID" in refused.value.message
    assert "supplier number at the customer" in refused.value.message
    assert not Contract.objects.exists() and contacts_in(doubles["lexware"]) == []
