"""The main journey in a real browser: customer, project, quote from a package, share link,
acceptance by the customer in a second browser, the quote accepted and the MRR on the dashboard."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from customers.models import Project
from mspercury.models import Workspace
from quotes import actions
from quotes.models import QuoteAcceptance, Service

pytestmark = pytest.mark.browser

D = Decimal
SCREENSHOT = "/tmp/share_page.png"


def _catalog(workspace):
    """Services and a package, made directly: the catalog UI has its own browser test."""
    services = {
        name: Service.objects.create(
            workspace=workspace, name=name, unit=unit, billing_period=period, unit_price=D(price)
        )
        for name, unit, period, price in (
            ("RMM agent", "workstation", "monthly", "5.00"),
            ("Server backup", "server", "monthly", "25.00"),
            ("Onboarding", "hour", "one_time", "120.00"),
            ("Firewall licence", "unit", "yearly", "240.00"),
        )
    }
    package = actions.do_create_package(workspace, name="Managed Basic")
    for name, rule, quantity in (
        ("RMM agent", "per_workstation", "1"),
        ("Server backup", "per_server", "1"),
        ("Onboarding", "fixed", "4"),
        ("Firewall licence", "fixed", "1"),
    ):
        actions.do_add_package_item(
            package, service=services[name], rule=rule, quantity=D(quantity)
        )


def test_it_takes_a_quote_from_customer_to_accepted_mrr(page, browser, live_server, sign_up):
    # The MSP signs up and adds a customer with a project, through the UI.
    sign_up(page)
    workspace = Workspace.objects.get(name="Erin IT")
    _catalog(workspace)

    page.goto("/customers/new/")
    page.fill("#id_company_name", "Globex GmbH")
    page.fill("#id_contact_name", "Carla Customer")
    page.fill("#id_street", "Hauptstraße 1")
    page.fill("#id_postal_code", "10115")
    page.fill("#id_city", "Berlin")
    page.select_option("#id_country", "DE")
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator(".message.success")).to_contain_text("Customer created.")

    page.get_by_role("link", name="New project").click()
    page.fill("#id_name", "Head office")
    page.fill("#id_workstations", "10")
    page.fill("#id_servers", "2")
    page.fill("#id_users", "12")
    page.get_by_role("button", name="Add project").click()
    expect(page.locator("#projects")).to_contain_text("Head office")

    # A quote for the customer, built by applying the package to the project.
    page.get_by_role("link", name="New quote").click()
    page.select_option("#id_customer", label="Globex GmbH")
    page.get_by_role("button", name="Create quote").click()
    expect(page.locator(".message.success")).to_contain_text("created")
    page.select_option("#id_pkg-package", label="Managed Basic")
    project = Project.objects.get(name="Head office")
    page.select_option("#id_pkg-project", str(project.public_id))
    page.get_by_role("button", name="Add the package's lines").click()
    expect(page.locator("#lines tbody tr")).to_have_count(4)
    # 10 × 5 + 2 × 25 = 100 a month, 240 a year → MRR 100 + 20 = 120.
    expect(page.locator('[data-total="mrr"]')).to_have_text("120.00 EUR")
    quote_url = page.url.split("#")[0]

    # Share: the link is shown once.
    page.reload()
    page.locator("#share").get_by_role("button", name="Share", exact=True).click()
    expect(page.get_by_role("heading", name="Share link created")).to_be_visible()
    share_url = page.locator("#share-url").input_value()
    page.screenshot(path="/tmp/share_created.png", full_page=True)
    assert re.fullmatch(rf"{re.escape(live_server.url)}/q/[A-Za-z0-9_\-]{{43}}/", share_url)

    # The customer opens it in a browser of their own, without an account.
    customer_context = browser.new_context(base_url=live_server.url, locale="de-DE")
    try:
        customer = customer_context.new_page()
        customer.goto(urlsplit(share_url).path)
        expect(customer.locator("#doc-title")).to_contain_text("Q-")
        expect(customer.locator(".doc-lines tbody tr")).to_have_count(4)
        expect(customer.locator('[data-doc="monthly"]')).to_have_text("100.00 EUR")
        expect(customer.locator('[data-doc="yearly"]')).to_have_text("240.00 EUR")
        fingerprint = customer.locator('[data-doc="fingerprint"]').inner_text()
        assert re.fullmatch(r"[0-9a-f]{16}", fingerprint)
        assert customer.get_by_role("link", name="Customers").count() == 0
        customer.screenshot(path=SCREENSHOT, full_page=True)

        customer.fill("#id_name", "Carla Customer")
        customer.get_by_label(re.compile("I accept this quote")).check()
        customer.get_by_role("button", name="Accept quote").click()
        expect(customer.locator("#accepted-banner")).to_contain_text(
            "Thank you — the quote is accepted"
        )
        expect(customer.locator("#accepted-banner")).to_contain_text("Carla Customer")
    finally:
        customer_context.close()

    acceptance = QuoteAcceptance.objects.get()
    assert acceptance.name == "Carla Customer" and acceptance.document_sha256[:16] == fingerprint

    # The MSP sees the quote accepted and the MRR on the dashboard.
    page.goto(quote_url)
    expect(page.locator("h1 .pill")).to_have_text("Accepted")
    expect(page.locator("#acceptance")).to_contain_text("Carla Customer")
    expect(page.locator("#acceptance")).to_contain_text(fingerprint)
    page.screenshot(path="/tmp/quote_accepted.png", full_page=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.locator('[data-figure="mrr"]')).to_have_text("120.00 EUR")
    expect(page.locator('[data-figure="arr"]')).to_have_text("1,440.00 EUR")
    expect(page.locator('[data-figure="one_time"]')).to_have_text("480.00 EUR")
    page.screenshot(path="/tmp/dashboard.png", full_page=True)
