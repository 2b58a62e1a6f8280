"""Browser journey per accounting tool (issue 26, "shown working"): a workspace billing from
Lexware Office or sevDesk (the doubles, real HTTP) pushes an accepted quote with a one-time and
a monthly line; the first invoice is issued in the tool and listed here; a month later staff
issue the due invoices by the contracts page's button; a bank transfer in the tool pays the
second invoice, which MSPercury reads back (Lexware's signed callback to the live server,
sevDesk's poll) and shows paid, also in the client portal with the tool's PDF.

The month passes with time_machine: the live server and both doubles run in this process, so
MSPercury's clock and the doubles' clocks (real time plus their offset) move together."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from billing.models import Contract, ContractInvoice
from billing.schedule import add_months
from integrations.lexware.readback import register_callbacks
from integrations.models import AccountingEvent
from mspercury.localtime import today_in
from mspercury.tenancy import workspace_context
from portal import links
from tests import factories
from tests.browser.conftest import TIMEOUT_MS
from tests.integrations.accounting.schedule_setup import bill_from, invoices_in
from tests.provider_emulator_fixtures import point_at_doubles

pytestmark = pytest.mark.browser

BERLIN = ZoneInfo("Europe/Berlin")
LINES = (("RMM agent", "10"), ("Onboarding", "1"))


@pytest.fixture
def doubles(settings, live_server, lexware_emulator, sevdesk_emulator):
    point_at_doubles(settings, lexware_emulator, sevdesk_emulator)
    # Lexware calls MSPercury back at its public address: here the live server.
    settings.MSPERCURY_PUBLIC_URL = live_server.url
    return {"lexware": lexware_emulator, "sevdesk": sevdesk_emulator}


def _connect(workspace, provider):
    connection = bill_from(workspace, provider)
    if provider == "lexware":
        assert register_callbacks(connection)  # what connecting does (HEAD-probed by the double)
    return connection


def _accepted_quote(workspace, user):
    customer = factories.customer(
        workspace,
        "DE",
        company_name="Acme Kunde GmbH",
        street="Hauptstr. 5",
        postal_code="12345",
        city="Musterort",
        email="buchhaltung@acme.example",
    )
    quote = factories.quote(workspace, customer, LINES, user=user, currency="EUR")
    factories.accept(quote, user)
    quote.refresh_from_db()
    return quote


def _service_period(provider, invoice) -> tuple[str, str]:
    if provider == "lexware":
        shipping = invoice["shippingConditions"]
        return shipping["shippingDate"][:10], shipping["shippingEndDate"][:10]
    return _iso(invoice["deliveryDate"]), _iso(invoice["deliveryDateUntil"])


def _iso(day: str) -> str:
    if "." in day[:3]:  # sevDesk's dd.mm.yyyy
        d, m, y = day[:10].split(".")
        return f"{y}-{m}-{d}"
    return day[:10]


def _day(day) -> str:
    return f"{day.day} {day:%b %Y}"  # SHORT_DATE_FORMAT in English: 8 Jan 2027


def _external_id(provider, invoice) -> str:
    return str(invoice["id"])


def _gross(provider, invoice) -> str:
    if provider == "lexware":
        return str(invoice["totalPrice"]["totalGrossAmount"])
    return str(invoice["sumGross"])


def _push(page, quote, provider):
    page.goto(f"/quotes/{quote.public_id}/")
    expect(page.locator("#billing-block")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Connect your Stripe account")
    page.locator("#billing-block").screenshot(path=f"/tmp/journey-{provider}-1-quote.png")
    page.get_by_test_id("bill-in-provider").click()
    page.get_by_test_id("push").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Contract created; the first invoice is being issued."
    )
    page.screenshot(path=f"/tmp/journey-{provider}-2-pushed.png", full_page=True)


def _see_contract(page, quote, provider):
    contract = Contract.objects.get(quote=quote)
    page.goto("/billing/contracts/")
    row = page.locator(f"tr[data-contract='{contract.public_id}']")
    expect(row).to_contain_text("Acme Kunde GmbH")
    page.screenshot(path=f"/tmp/journey-{provider}-3-contracts.png", full_page=True)
    row.get_by_role("link", name="Acme Kunde GmbH").click()
    expect(page.locator(f"tr[data-period='{contract.starts_on:%Y-%m-%d}']")).to_contain_text(
        "Issued"
    )
    page.screenshot(path=f"/tmp/journey-{provider}-4-contract.png", full_page=True)
    return contract


def _listed(page, number, provider, step):
    page.goto("/billing/invoices/")
    expect(page.locator("main")).to_contain_text(number)
    page.screenshot(path=f"/tmp/journey-{provider}-{step}-invoices.png", full_page=True)


def _issue_now(page, provider):
    page.goto("/billing/contracts/")
    page.get_by_role("button", name="Issue due invoices now").click()
    page.wait_for_url("**/billing-runs/**")
    expect(page.get_by_test_id("run-status")).to_have_text("Done")
    expect(page.get_by_test_id("run-counts")).to_have_text("1 of 1 issued, 0 failed")
    page.screenshot(path=f"/tmp/journey-{provider}-6-run.png", full_page=True)


def _portal(browser, live_server, customer, invoice, provider, open_invoice=None):
    with workspace_context(customer.workspace):
        token = links.issue_login(customer, customer.email)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"/portal/login/{token}/")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(f"/portal/invoices/{invoice.public_id}/")
        expect(page.locator("[data-status='paid']").first).to_be_visible()
        pdf = page.locator(f"a[href='/portal/invoices/{invoice.public_id}/pdf/']").first
        expect(pdf).to_be_visible()
        suffix = f"-{customer.language}" if customer.language else ""
        page.screenshot(path=f"/tmp/journey-{provider}-9-portal{suffix}.png", full_page=True)
        response = page.request.get(pdf.get_attribute("href"))
        assert response.ok and response.body().startswith(b"%PDF")
        if open_invoice is not None:  # still due: the bank details and the GiroCode
            page.goto(f"/portal/invoices/{open_invoice.public_id}/")
            expect(page.locator("[data-field='iban']")).to_be_visible()
            expect(page.get_by_test_id("girocode")).to_be_visible()
            page.screenshot(
                path=f"/tmp/journey-{provider}-10-portal-open{suffix}.png", full_page=True
            )
    finally:
        context.close()


@pytest.mark.parametrize("provider", ["lexware", "sevdesk"])
def test_an_accounting_tool_bills_a_quote_month_by_month_and_reads_the_payment_back(
    page, browser, live_server, alice, doubles, sign_in, provider
):
    double = doubles[provider]
    workspace = alice.last_workspace
    connection = _connect(workspace, provider)
    factories.german_msp(workspace, **factories.BANK_ACCOUNT)  # paid to by bank transfer
    quote = _accepted_quote(workspace, alice)

    sign_in(page, alice.email)
    _push(page, quote, provider)
    contract = _see_contract(page, quote, provider)
    (first,) = invoices_in(provider, double)
    first_row = ContractInvoice.objects.get(contract=contract)
    assert first_row.external_id == _external_id(provider, first)
    _listed(page, first_row.number, provider, 5)

    second_start = add_months(contract.starts_on, 1)
    with time_machine.travel(datetime.combine(second_start, time(10), BERLIN), tick=True):
        assert today_in(workspace) == second_start
        sign_in(page, alice.email)  # a month on, the session has expired
        _issue_now(page, provider)
        first, second = invoices_in(provider, double)
        second_row = ContractInvoice.objects.get(contract=contract, period_start=second_start)
        assert second_row.external_id == _external_id(provider, second)
        period = (second_row.period_start.isoformat(), second_row.period_end.isoformat())
        assert _service_period(provider, second) == period
        _listed(page, second_row.number, provider, 7)
        ledger = second_row.invoice
        page.goto(f"/billing/invoices/{ledger.public_id}/")
        expect(page.get_by_test_id("service-period")).to_have_text(
            f"{_day(second_row.period_start)} – {_day(second_row.period_end)}"
        )

        double.pay(second_row.external_id, _gross(provider, second))
        if provider == "lexware":
            double.flush_webhooks()
        else:
            from integrations.tasks import poll_sevdesk

            poll_sevdesk.delay()
        ledger.refresh_from_db()
        assert (ledger.status, ledger.payment_status) == ("paid", "paid")
        page.goto(f"/billing/invoices/{ledger.public_id}/")
        expect(page.locator("main")).to_contain_text("Paid")
        page.screenshot(path=f"/tmp/journey-{provider}-8-paid.png", full_page=True)
        customer = quote.customer
        _portal(browser, live_server, customer, ledger, provider, first_row.invoice)
        if provider == "sevdesk":  # one screen in German: the customer's language
            customer.language = "de"
            customer.save(update_fields=["language"])
            _portal(browser, live_server, customer, ledger, provider, first_row.invoice)
        if provider == "sevdesk":
            _german_contract(page, live_server, alice, contract)
    connection.refresh_from_db()
    if provider == "lexware":  # the payment came as Lexware's signed callbacks, not a relay
        assert connection.last_event_at is not None
        assert AccountingEvent.objects.filter(status="processed").exists()


def _german_contract(page, live_server, user, contract):
    """The contract page in German, with both invoices."""
    from django.conf import settings

    user.language = "de"
    user.save(update_fields=["language"])
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "de", "url": live_server.url}]
    )
    page.goto(f"/billing/contracts/{contract.public_id}/")
    expect(page.locator("h1")).to_contain_text("Vertrag")
    expect(page.locator("main")).to_contain_text("Leistungszeitraum")
    page.screenshot(path="/tmp/journey-sevdesk-11-contract-de.png", full_page=True)
    page.goto("/billing/contracts/")
    expect(page.get_by_test_id("issue-now")).to_have_text("Fällige Rechnungen jetzt ausstellen")
    page.screenshot(path="/tmp/journey-sevdesk-12-contracts-de.png", full_page=True)
