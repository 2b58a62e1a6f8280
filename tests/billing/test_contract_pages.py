"""The push button when the workspace bills from Lexware Office, the contracts pages and the
billing run's page with its pause and resume."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import BillingRun, Contract, ContractInvoice, ContractLine
from tests import factories
from tests.integrations.accounting.schedule_setup import (
    bill_from,
    doubles,  # noqa: F401 (a fixture)
    german_quote,
)


@pytest.fixture
def quote(alpha, alice, doubles):  # noqa: F811
    bill_from(alpha, "lexware")
    return german_quote(alpha, alice)


def push_url(quote):
    return reverse("integrations:push_start", kwargs={"quote_id": quote.public_id})


def page_url(quote):
    return reverse("integrations:push_page", kwargs={"quote_id": quote.public_id})


def test_it_pushes_an_accepted_quote_into_a_contract_once(client_for, alice, quote):
    client = client_for(alice)
    page = client.get(page_url(quote)).content.decode()
    assert 'data-testid="push"' in page and "Lexware Office" in page
    assert client.post(push_url(quote)).status_code == 302
    client.post(push_url(quote))
    contract = Contract.objects.get()
    assert (contract.quote, contract.provider) == (quote, "lexware")
    page = client.get(page_url(quote)).content.decode()
    assert reverse("billing:contract_detail", args=[contract.public_id]) in page


def test_it_shows_why_lexware_cannot_bill_dollars(client_for, alice, alpha, doubles):  # noqa: F811
    bill_from(alpha, "lexware")
    dollars = german_quote(alpha, alice, currency="USD")
    client = client_for(alice)
    assert "Lexware Office invoices only in EUR" in client.get(page_url(dollars)).content.decode()
    followed = client.post(push_url(dollars), follow=True).content.decode()
    assert "Lexware Office invoices only in EUR, not in USD." in followed
    assert not Contract.objects.exists()


def test_members_cannot_push(client_for, bob, quote):
    assert client_for(bob).post(push_url(quote)).status_code == 403
    assert not Contract.objects.exists()


@pytest.fixture
def contract(client_for, alice, quote):
    client_for(alice).post(push_url(quote))
    return Contract.objects.get()


def test_the_contracts_page_lists_the_contract_and_its_next_period(client_for, alice, contract):
    client = client_for(alice)
    listed = client.get(reverse("billing:contracts")).content.decode()
    assert str(contract.public_id) in listed
    detail = client.get(reverse("billing:contract_detail", args=[contract.public_id]))
    body = detail.content.decode()
    assert "Backup licence (annual)" in body and 'id="next-period"' in body


def test_an_issued_invoice_links_to_its_ledger_page(client_for, alice, alpha, contract):
    from integrations.accounting.runs import run_workspace
    from mspercury.tenancy import workspace_context

    with workspace_context(alpha):
        run_workspace(alpha, contract.starts_on)
    row = ContractInvoice.objects.get()
    body = client_for(alice).get(reverse("billing:contract_detail", args=[contract.public_id]))
    assert reverse("billing:invoice_detail", args=[row.invoice.public_id]) in body.content.decode()
    # The ledger's page states the service period the invoice in the provider states.
    page = client_for(alice).get(reverse("billing:invoice_detail", args=[row.invoice.public_id]))
    period = f"{row.period_start:%-d %b %Y} – {row.period_end:%-d %b %Y}"
    assert f'data-testid="service-period">{period}<' in page.content.decode()


def test_contract_lines_show_prices_to_the_cent_and_quantities_as_they_are(
    client_for, alice, contract
):
    ContractLine.objects.filter(contract=contract).update(unit_price="4.5000", quantity="2.5000")
    body = client_for(alice).get(reverse("billing:contract_detail", args=[contract.public_id]))
    text = body.content.decode()
    assert "4.50 EUR" in text and ">2.5<" in text and "4.5000" not in text


def test_it_checks_ownership(client_for, charlie, contract, alpha):
    run = BillingRun.objects.create(workspace=alpha, month=contract.starts_on.replace(day=1))
    client = client_for(charlie)
    assert str(contract.public_id) not in client.get(reverse("billing:contracts")).content.decode()
    for url in (
        reverse("billing:contract_detail", args=[contract.public_id]),
        reverse("billing:billing_run", args=[run.public_id]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("billing:pause_run", args=[run.public_id])).status_code == 404
    assert BillingRun.objects.get().status == "running"


def test_admins_pause_and_resume_a_run_and_members_cannot(client_for, alice, bob, alpha):
    run = BillingRun.objects.create(workspace=alpha, month="2027-01-01")
    pause = reverse("billing:pause_run", args=[run.public_id])
    resume = reverse("billing:resume_run", args=[run.public_id])
    assert client_for(bob).post(pause).status_code == 403
    client = client_for(alice)
    page = client.post(pause, follow=True).content.decode()
    assert BillingRun.objects.get().status == "paused" and 'data-testid="resume-run"' in page
    client.post(resume)
    assert BillingRun.objects.get().status == "running"


def test_the_run_page_speaks_german(client_for, alice, alpha, settings):
    alice.language = "de"
    alice.save()
    run = BillingRun.objects.create(workspace=alpha, month="2027-01-01", total=4, done=1)
    client = client_for(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    body = client.get(reverse("billing:billing_run", args=[run.public_id]))
    text = body.content.decode()
    assert "Abrechnungslauf" in text and "1 von 4 ausgestellt, 0 fehlgeschlagen" in text
    assert "Pausieren" in text


def test_members_cannot_end_a_contract(client_for, bob, contract):
    response = client_for(bob).post(reverse("billing:end_contract", args=[contract.public_id]))
    assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.ends_on is None


def test_the_issued_invoice_s_ledger_page_and_the_run_poll_render(
    client_for, alice, alpha, contract
):
    from integrations.accounting.runs import run_workspace
    from mspercury.tenancy import workspace_context

    with workspace_context(alpha):
        run = run_workspace(alpha, contract.starts_on)
    row = ContractInvoice.objects.get()
    client = client_for(alice)
    page = client.get(reverse("billing:invoice_detail", args=[row.invoice.public_id]))
    assert page.status_code == 200 and row.number in page.content.decode()
    poll = client.get(reverse("billing:billing_run", args=[run.public_id]), HTTP_HX_REQUEST="true")
    body = poll.content.decode()
    assert body.startswith("<section") and 'data-status="done"' in body
    assert "1 of 1 issued, 0 failed" in body


def test_the_contracts_list_costs_what_one_contract_costs(client_for, alice, alpha, contract):
    client = client_for(alice)
    url = reverse("billing:contracts")
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(3):
        quote = factories.quote(alpha, contract.customer, factories.MIXED_LINES[:2])
        more = Contract.objects.create(
            workspace=alpha,
            customer=contract.customer,
            quote=quote,
            provider="lexware",
            currency="EUR",
            starts_on=contract.starts_on,
            tax_treatment="domestic",
            tax_rate=19,
        )
        ContractLine.objects.create(
            workspace=alpha,
            contract=more,
            description="RMM",
            quantity=1,
            unit_price=5,
            interval="month",
            tax_rate=19,
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).content.decode().count("data-contract=") == 4
    assert len(many.captured_queries) == len(one.captured_queries)


ISSUE_NOW = reverse("billing:issue_now")


def test_issue_now_issues_the_due_invoice_and_shows_the_run(
    client_for,
    alice,
    contract,
    doubles,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from tests.integrations.accounting.schedule_setup import invoices_in

    client = client_for(alice)
    assert 'data-testid="issue-now"' in client.get(reverse("billing:contracts")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ISSUE_NOW)
    run = BillingRun.objects.get()
    assert response.url == reverse("billing:billing_run", args=[run.public_id])
    assert (run.status, run.done, run.total) == ("done", 1, 1)
    assert ContractInvoice.objects.get().state == "issued"
    assert len(invoices_in("lexware", doubles["lexware"])) == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ISSUE_NOW)  # nothing more is due: the same run, no second invoice
    assert len(invoices_in("lexware", doubles["lexware"])) == 1
    assert BillingRun.objects.get().status == "done"


def test_members_and_other_workspaces_cannot_issue_now(
    client_for,
    bob,
    charlie,
    contract,
    doubles,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from tests.integrations.accounting.schedule_setup import invoices_in

    assert 'data-testid="issue-now"' not in (
        client_for(bob).get(reverse("billing:contracts")).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(bob).post(ISSUE_NOW).status_code == 403
        assert client_for(charlie).get(ISSUE_NOW).status_code == 405
        client_for(charlie).post(ISSUE_NOW)  # charlie's own workspace: nothing of Alpha's
    assert not ContractInvoice.objects.filter(state="issued").exists()
    assert invoices_in("lexware", doubles["lexware"]) == []
    assert not BillingRun.objects.filter(workspace=contract.workspace).exists()


def test_issue_now_leaves_a_paused_run_paused(
    client_for,
    alice,
    alpha,
    contract,
    doubles,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from mspercury.localtime import today_in

    month = today_in(alpha).replace(day=1)
    BillingRun.objects.create(workspace=alpha, month=month, status="paused")
    with django_capture_on_commit_callbacks(execute=True):
        page = client_for(alice).post(ISSUE_NOW, follow=True).content.decode()
    assert "resume it to issue invoices" in page
    assert BillingRun.objects.get().status == "paused"
    assert not ContractInvoice.objects.filter(state="issued").exists()


def test_the_ledger_and_portal_pages_state_the_service_period(client_for, alice, alpha, contract):
    """Found by the browser journey: the service period (§14 (4) Nr. 6 UStG) was on the
    contract only, "Service period" had a German entry only in the e-invoice context, the
    ledger's lower-case "eur" was shown as is, unit prices lost their cents and a line of the
    whole contract read "– –"."""
    from integrations.accounting.runs import run_workspace
    from mspercury.tenancy import workspace_context
    from tests.integrations.accounting.conftest import portal_client

    with workspace_context(alpha):
        run_workspace(alpha, contract.starts_on)
    ledger = ContractInvoice.objects.get().invoice
    client = client_for(alice)
    body = client.get(reverse("billing:invoice_detail", args=[ledger.public_id])).content.decode()
    assert 'data-testid="service-period"' in body
    assert " eur<" not in body and " EUR<" in body
    listed = client.get(reverse("billing:invoices")).content.decode()
    assert " eur<" not in listed and " EUR<" in listed
    detail = client.get(reverse("billing:contract_detail", args=[contract.public_id]))
    text = detail.content.decode()
    assert "299.00 EUR" in text and "– –" not in text
    assert "Whole contract" in text and "First invoice" in text
    customer = ledger.customer
    customer.language = "de"
    customer.save()
    portal = portal_client(customer).get(reverse("portal:invoice", args=[ledger.public_id]))
    text = portal.content.decode()
    assert "Leistungszeitraum" in text and 'data-testid="service-period"' in text
    assert " eur<" not in text


def test_the_quote_page_leads_to_the_accounting_push_not_to_stripe(client_for, alice, quote):
    """Found by the browser journey: a workspace billing from Lexware Office saw "Stripe: not
    connected" on its accepted quote and no way to the push."""
    client = client_for(alice)
    page = client.get(reverse("quotes:quote_detail", args=[quote.public_id])).content.decode()
    assert 'data-testid="bill-in-provider"' in page and page_url(quote) in page
    assert "Connect your Stripe account" not in page
    client.post(push_url(quote))
    contract = Contract.objects.get()
    page = client.get(reverse("quotes:quote_detail", args=[quote.public_id])).content.decode()
    assert reverse("billing:contract_detail", args=[contract.public_id]) in page
    assert 'data-testid="bill-in-provider"' not in page
