"""Issue 23's small things as a German MSP sees them in Debian's Chromium at 1366 px: one line
of navigation, the DATEV page's dates, a decimal comma, the new-quote projects, invoice lists.

Screenshots go to tmp_path, or to $MSPERCURY_SHOTS when set (the issue's close-out shots)."""

import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from billing.datev.models import DatevSettings
from billing.models import MrrMovement, StripeInvoice, StripeSubscription
from customers.models import Customer, Project
from quotes.models import Service

WIDE = {"width": 1366, "height": 768}


@pytest.fixture
def german(page, sign_in, alice, alpha):
    """Alice, in German, of a workspace with a long name, signed in at 1366 × 768."""
    alpha.name = "Demo IT Services GmbH"
    alpha.save()
    alice.language = "de"
    alice.full_name = "Demo Admin"
    alice.save()
    page.set_viewport_size(WIDE)
    sign_in(page, alice.email)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "de", "url": page.url}]
    )
    return page


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("MSPERCURY_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _rows(page):
    """The vertical centres of the top bar's links and controls, to the nearest 8 px."""
    visible = "header.topbar a:visible, header.topbar summary:visible, header.topbar button:visible"
    boxes = page.locator(visible).all()
    return {
        round((box["y"] + box["height"] / 2) / 8)
        for box in (element.bounding_box() for element in boxes)
        if box and box["height"]
    }


def test_the_german_navigation_stays_on_one_line_at_1366(german, alpha, shots):
    """Every link of the German top bar (and the switcher, bell, user) sits on one line."""
    german.goto("/")
    german.screenshot(path=str(shots / "01-dashboard-nav-1366-de.png"))
    rows = _rows(german)
    assert len(rows) == 1, rows
    assert german.locator("header.topbar").bounding_box()["height"] < 70


def test_datev_opens_with_dates_and_a_reason(german, alpha, shots):
    """The German DATEV page opens with last month's ISO dates in its date pickers and says
    why the period has nothing to export."""
    from playwright.sync_api import expect

    DatevSettings.objects.create(workspace=alpha, consultant_number=1234567, client_number=12345)
    german.goto("/billing/datev/")
    value = german.locator("#id_date_from").input_value()
    assert len(value) == 10 and value[4] == "-"
    expect(german.get_by_test_id("datev-nothing")).to_contain_text("Nichts zu exportieren vom")
    german.screenshot(path=str(shots / "02-datev-export-de.png"), full_page=True)


def test_a_decimal_comma_is_a_decimal_comma(german, alpha, shots):
    """12,50 typed into the German price field is saved as 12.50 (never 1250)."""
    from playwright.sync_api import expect

    german.goto("/catalog/services/new/")
    german.fill("#id_name", "Helpdesk-Stunde")
    german.select_option("#id_unit", "hour")
    german.select_option("#id_billing_period", "one_time")
    german.fill("#id_unit_price", "12,50")
    assert german.locator("#id_unit_price").get_attribute("inputmode") == "decimal"
    german.locator("main form button[type=submit]").click()
    expect(german.locator("main")).to_contain_text("12,50")
    assert Service.objects.get(workspace=alpha, name="Helpdesk-Stunde").unit_price == Decimal(
        "12.50"
    )
    german.goto("/catalog/services/new/")
    german.fill("#id_name", "Mehrdeutig")
    german.select_option("#id_unit", "hour")
    german.select_option("#id_billing_period", "one_time")
    german.fill("#id_unit_price", "1.250")
    german.locator("main form button[type=submit]").click()
    expect(german.locator("main")).to_contain_text("ist mehrdeutig")
    german.screenshot(path=str(shots / "03-ambiguous-amount-de.png"), full_page=True)


def test_the_new_quote_offers_only_the_chosen_customers_projects(german, alpha, shots):
    """Choosing a customer (htmx) lists its projects only; a past validity date is refused."""
    from playwright.sync_api import expect

    acme = Customer.objects.create(workspace=alpha, company_name="Acme GmbH", country="DE")
    other = Customer.objects.create(workspace=alpha, company_name="Andere AG", country="DE")
    Project.objects.create(workspace=alpha, customer=acme, name="Zentrale")
    Project.objects.create(workspace=alpha, customer=other, name="Fremdes Projekt")
    german.goto("/quotes/new/")
    german.select_option("#id_customer", label="Acme GmbH")
    expect(german.locator("#id_project option", has_text="Zentrale")).to_have_count(1)
    expect(german.locator("#id_project option", has_text="Fremdes Projekt")).to_have_count(0)
    german.fill("#id_valid_until", "2020-01-01")
    german.locator("main form button[type=submit]").click()
    expect(german.locator("main")).to_contain_text("mindestens bis heute gültig")
    german.screenshot(path=str(shots / "04-new-quote-de.png"), full_page=True)


def _invoice(workspace, n, status):
    return StripeInvoice.objects.create(
        workspace=workspace,
        account_ref="acct_1",
        stripe_id=f"in_{n}",
        number=f"INV-{n:04d}" if status != "draft" else "",
        status=status,
        currency="EUR",
        total=11900,
        tax=1900,
        amount_due=11900,
        amount_remaining=11900 if status == "open" else 0,
        created=datetime.now(UTC),
    )


def test_invoice_lists_and_mrr_in_german(german, alpha, shots):
    """Amounts with their currency, a draft that is not due yet, the empty stuck list in
    words, MRR movements with expansion and contraction."""
    from playwright.sync_api import expect

    _invoice(alpha, 1, "open")
    _invoice(alpha, 2, "draft")
    german.goto("/billing/invoices/")
    expect(german.locator("tr[data-invoice=in_1]")).to_contain_text("119,00 EUR")
    expect(german.locator("tr[data-invoice=in_2]")).to_contain_text("noch nicht fällig")
    german.screenshot(path=str(shots / "05-invoices-de.png"), full_page=True)
    german.goto("/billing/invoices/stuck/")
    expect(german.locator("main")).to_contain_text("Keine Rechnung hängt unbezahlt fest")
    german.screenshot(path=str(shots / "06-stuck-empty-de.png"), full_page=True)
    german.goto(f"/billing/invoices/{StripeInvoice.objects.get(stripe_id='in_2').public_id}/")
    expect(german.get_by_test_id("draft-due")).to_contain_text("Entwurf")
    german.screenshot(path=str(shots / "07-draft-invoice-de.png"), full_page=True)

    subscription = StripeSubscription.objects.create(
        workspace=alpha, account_ref="acct_1", stripe_id="sub_1", status="active"
    )
    for kind, month, amount in (
        ("new", date(2026, 10, 1), "120"),
        ("expansion", date(2026, 11, 1), "34.50"),
        ("contraction", date(2026, 12, 1), "-10"),
    ):
        MrrMovement.objects.create(
            workspace=alpha,
            subscription=subscription,
            kind=kind,
            month=month,
            currency="EUR",
            amount=Decimal(amount),
            happened_at=datetime.combine(month, datetime.min.time(), UTC),
        )
    Customer.objects.create(workspace=alpha, company_name="Kunde", country="DE")
    from quotes import actions

    actions.do_create_quote(alpha, Customer.objects.get(company_name="Kunde"))
    german.goto("/")
    expect(german.locator("table.mrr-history")).to_contain_text("Erweiterung")
    expect(german.locator("table.mrr-history")).to_contain_text("34,50 EUR")
    german.locator("table.mrr-history").scroll_into_view_if_needed()
    german.screenshot(path=str(shots / "08-mrr-movements-de.png"), full_page=True)
