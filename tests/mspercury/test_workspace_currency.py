"""A workspace's default currency follows its country unless the MSP chose one."""

import pytest

from mspercury.forms_workspace import currency_after_country_change, currency_for_country
from mspercury.models import Workspace
from tests.mspercury.test_workspace_settings import URL, form_data


@pytest.mark.parametrize(
    "country, currency",
    [("US", "USD"), ("CA", "CAD"), ("GB", "GBP"), ("CH", "CHF"), ("LI", "CHF"), ("AU", "AUD"),
     ("SE", "SEK"), ("DK", "DKK"), ("NO", "NOK"), ("PL", "PLN"), ("CZ", "CZK"), ("DE", "EUR"),
     ("fr", "EUR"), ("JP", "EUR"), ("", "EUR")],
)  # fmt: skip
def test_it_knows_each_countrys_currency(country, currency):
    assert currency_for_country(country) == currency


def test_it_follows_the_country_only_when_nobody_chose_a_currency():
    assert currency_after_country_change("", "US", "EUR", "EUR") == "USD"  # new workspace
    assert currency_after_country_change("DE", "US", "EUR", "EUR") == "USD"
    assert currency_after_country_change("US", "GB", "USD", "USD") == "GBP"
    assert currency_after_country_change("DE", "US", "EUR", "CHF") == "CHF"  # chosen now
    assert currency_after_country_change("DE", "US", "CHF", "CHF") == "CHF"  # chosen before
    assert currency_after_country_change("US", "US", "USD", "EUR") == "EUR"  # no move
    assert currency_after_country_change("DE", "AT", "EUR", "EUR") == "EUR"


def test_it_gives_a_us_workspace_usd(client_for, alice):
    """A new workspace (no country, EUR by default) set to the US bills in USD."""
    workspace = Workspace.objects.create(name="Boston IT")
    alice.memberships.update(workspace=workspace)
    data = form_data(workspace, country="US", country_was="", city="Cambridge", region="MA")
    data["tax_id_type"] = "us_ein"
    r = client_for(alice).post(URL, data)
    assert r.status_code == 302
    workspace.refresh_from_db()
    assert (workspace.country.code, workspace.default_currency) == ("US", "USD")


def test_it_keeps_the_currency_the_msp_chose(client_for, alice, alpha):
    client = client_for(alice)
    client.post(URL, form_data(alpha, default_currency="CHF"))
    alpha.refresh_from_db()
    assert alpha.default_currency == "CHF"
    data = form_data(alpha, country="US", tax_id_type="us_ein")
    assert client.post(URL, data).status_code == 302
    alpha.refresh_from_db()
    assert (alpha.country.code, alpha.default_currency) == ("US", "CHF")
