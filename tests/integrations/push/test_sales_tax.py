"""A US or Canadian MSP with Stripe Tax off: "Sales tax: not calculated", and a warning on the
quote, the push preview and the integrations page until Stripe Tax is on or the MSP confirms."""

import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.utils import translation

from customers.models import Customer
from integrations.models import PushSettings
from integrations.push.sales_tax import sales_tax_uncalculated
from quotes import actions
from rules.indirect_taxes import indirect_tax_name, not_calculated_note, not_calculated_warning
from tests.factories import accept
from tests.quotes.share_helpers import page_url, share

D = Decimal
TODAY = date(2026, 12, 3)
WARNING = 'data-warning="sales-tax"'


@pytest.mark.parametrize(
    ("country", "stripe_tax", "expected"),
    [
        ("US", False, True),
        ("CA", False, True),
        ("US", True, False),
        ("CA", True, False),
        ("DE", False, False),
        ("FR", True, False),
        ("GB", False, False),
        ("CH", False, False),
        ("", False, False),  # no country: the "set your country" hint says what to do
    ],
)
def test_it_decides_when_sales_tax_goes_uncalculated(country, stripe_tax, expected):
    """Only a country without national VAT and Stripe Tax off bills without any tax."""
    assert sales_tax_uncalculated(country, stripe_tax, TODAY) is expected


@pytest.fixture
def us(alpha, stripe_api):
    alpha.country = "US"
    alpha.region = "MA"
    alpha.save()
    return alpha


@pytest.fixture
def us_quote(us, alice):
    customer = Customer.objects.create(
        workspace=us,
        company_name="Boston Dental LLC",
        email="office@bostondental.example",
        country="US",
        state="MA",
        city="Cambridge",
    )
    quote = actions.do_create_quote(us, customer, user=alice, currency="USD")
    actions.do_add_line(
        quote,
        description="Managed workstation",
        quantity=D("10"),
        unit="workstation",
        unit_price=D("45.00"),
        billing_period="monthly",
    )
    quote.refresh_from_db()
    return quote


def _quote_page(client, quote):
    return client.get(f"/quotes/{quote.public_id}/").content.decode()


def test_the_quote_says_sales_tax_not_calculated(client_for, alice, us_quote):
    """No "VAT 0 %" row and no "left to Stripe Tax" while Stripe Tax is off; a warning instead."""
    html = _quote_page(client_for(alice), us_quote)
    totals = html[html.index('id="totals"') :]
    totals = totals[: totals.index("</section>")]
    assert "Sales tax: not calculated" in totals
    assert "VAT 0 %" not in totals and "VAT not calculated" not in totals
    assert "left to Stripe Tax" not in totals
    assert WARNING in totals


def test_the_share_page_does_not_say_vat(us_quote):
    _, token = share(us_quote)
    html = Client().get(page_url(token)).content.decode()
    assert "Sales tax: not calculated" in html
    assert "VAT 0 %" not in html and "VAT not calculated" not in html


def test_the_preview_and_the_integrations_page_warn(client_for, alice, us_quote, connection):
    """The push preview and Settings → Integrations warn too."""
    accept(us_quote, alice)
    client = client_for(alice)
    preview = client.get(f"/quotes/{us_quote.public_id}/stripe/").content.decode()
    assert WARNING in preview
    settings_page = client.get("/settings/integrations/").content.decode()
    assert WARNING in settings_page


def test_it_stops_warning_once_stripe_tax_is_on(client_for, alice, us_quote, connection):
    PushSettings.objects.update_or_create(
        workspace=us_quote.workspace, defaults={"stripe_tax": True}
    )
    client = client_for(alice)
    assert WARNING not in _quote_page(client, us_quote)
    assert WARNING not in client.get("/settings/integrations/").content.decode()


def test_it_stops_warning_once_the_msp_confirms(client_for, alice, us_quote, connection):
    """The confirmation is stored on the push settings and returns to the page it came from."""
    client = client_for(alice)
    back = f"/quotes/{us_quote.public_id}/"
    r = client.post("/settings/integrations/push/no-sales-tax/", {"next": back})
    assert r.status_code == 302 and r.url == back
    prefs = PushSettings.objects.get(workspace=us_quote.workspace)
    assert prefs.no_sales_tax_confirmed_at is not None and not prefs.stripe_tax
    assert WARNING not in _quote_page(client, us_quote)
    assert "Sales tax: not calculated" in _quote_page(client, us_quote)


def test_it_never_redirects_off_site(client_for, alice, us):
    r = client_for(alice).post(
        "/settings/integrations/push/no-sales-tax/", {"next": "https://evil.example/"}
    )
    assert r.url == "/settings/integrations/"


def test_a_member_cannot_confirm(client_for, bob, us):
    """Only owners and admins decide how the workspace bills."""
    r = client_for(bob).post("/settings/integrations/push/no-sales-tax/")
    assert r.status_code == 403
    assert not PushSettings.objects.filter(no_sales_tax_confirmed_at__isnull=False).exists()


def test_it_checks_ownership(client_for, charlie, us):
    """Charlie confirms for his own workspace only."""
    client_for(charlie).post("/settings/integrations/push/no-sales-tax/")
    assert not PushSettings.objects.filter(
        workspace=us, no_sales_tax_confirmed_at__isnull=False
    ).exists()


def test_a_german_msp_sees_vat_as_before(client_for, alice, alpha, fr_customer):
    """Elsewhere the VAT rows stay."""
    alpha.country = "DE"
    alpha.save()
    quote = actions.do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    html = _quote_page(client_for(alice), quote)
    assert re.search(r"VAT \d+ %", html)
    assert "Sales tax" not in html and WARNING not in html


# Named by the country's own tax


@pytest.mark.parametrize(
    ("country", "name"),
    [
        ("CA", "Canada's GST/HST"),
        ("AU", "Australia's GST"),
        ("NZ", "New Zealand's GST"),
        ("SG", "Singapore's GST"),
        ("IN", "India's GST"),
        ("JP", "Japan's consumption tax"),
        ("US", "US sales tax"),
        ("BR", "the taxes of Brazil"),
    ],
)
def test_it_names_the_tax_it_does_not_calculate(country, name):
    """Each country's indirect tax by its name; never a claim that the country has no VAT."""
    assert indirect_tax_name(country) == name
    note, warning = not_calculated_note(country), not_calculated_warning(country)
    assert note.startswith(f"MSPercury does not calculate {name};")
    assert warning.startswith(f"MSPercury does not calculate {name} and Stripe Tax is off")
    assert "no national VAT" not in note + warning and "no VAT" not in note + warning
    with translation.override("de"):
        assert "MSPercury berechnet" in not_calculated_note(country)


@pytest.fixture
def canadian(alpha, stripe_api):
    alpha.country, alpha.tax_id_type, alpha.tax_id = "CA", "ca_gst_hst", "123456782RT0001"
    alpha.default_currency = "CAD"
    alpha.save()
    return alpha


def test_a_canadian_msp_is_told_gst_hst_goes_uncalculated(client_for, alice, canadian, connection):
    """Quote, push preview, integrations page and workspace settings name Canada's GST/HST and
    never say Canada has no national VAT."""
    customer = Customer.objects.create(
        workspace=canadian, company_name="Maple Ltd", country="CA", email="a@maple.example"
    )
    quote = actions.do_create_quote(canadian, customer, user=alice, currency="CAD")
    actions.do_add_line(
        quote,
        description="Managed workstation",
        quantity=D("2"),
        unit="workstation",
        unit_price=D("45.00"),
        billing_period="monthly",
    )
    accept(quote, alice)
    client = client_for(alice)
    pages = {
        "quote": _quote_page(client, quote),
        "preview": client.get(f"/quotes/{quote.public_id}/stripe/").content.decode(),
        "integrations": client.get("/settings/integrations/").content.decode(),
        "workspace": client.get("/settings/workspace/").content.decode(),
    }
    for where, html in pages.items():
        html = unescape(html)
        assert "MSPercury does not calculate Canada's GST/HST" in html, where
        assert "national VAT" not in html, where
    assert "Canada's GST/HST; only Stripe Tax" in unescape(pages["quote"])
    assert 'data-note="indirect-tax"' in pages["workspace"]


def test_a_german_msp_gets_no_indirect_tax_note(client_for, alice, alpha):
    html = client_for(alice).get("/settings/workspace/").content.decode()
    assert 'data-note="indirect-tax"' not in html
