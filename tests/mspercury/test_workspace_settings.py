import pytest

from mspercury.models import AuditEvent, Workspace

URL = "/settings/workspace/"
TYPE_URL = "/settings/workspace/tax-id-type/"


def form_data(workspace, **changes):
    data = {
        "name": workspace.name,
        "street": workspace.street,
        "postal_code": workspace.postal_code,
        "city": workspace.city,
        "region": workspace.region,
        "country": workspace.country.code or "",
        "country_was": workspace.country.code or "",
        "tax_id_type": workspace.tax_id_type,
        "tax_id": workspace.tax_id,
        "default_currency": workspace.default_currency,
        "default_language": workspace.default_language,
    }
    if workspace.require_2fa_for_admins:
        data["require_2fa_for_admins"] = "on"
    data.update(changes)
    return data


def test_it_forbids_members_to_view(client_for, bob):
    """A member gets 403 on GET."""
    assert client_for(bob).get(URL).status_code == 403


def test_it_forbids_members_to_save(client_for, bob, alpha):
    """A member gets 403 on POST and nothing changes."""
    r = client_for(bob).post(URL, form_data(alpha, name="Hijacked"))
    assert r.status_code == 403
    alpha.refresh_from_db()
    assert alpha.name == "Alpha IT"


def test_it_forbids_members_the_tax_id_type_endpoint(client_for, bob):
    """A member gets 403 from the htmx endpoint too."""
    r = client_for(bob).get(TYPE_URL, {"country": "US"}, headers={"HX-Request": "true"})
    assert r.status_code == 403


def test_it_requires_login(client, alpha):
    """Anonymous visitors are sent to the login page."""
    r = client.get(URL)
    assert r.status_code == 302
    assert r["Location"].startswith("/login/")


def test_it_shows_the_form_to_admins(client_for, dana, alpha):
    """An admin sees the form with the current values and the format hint."""
    r = client_for(dana).get(URL)
    assert r.status_code == 200
    html = r.content.decode()
    assert 'name="name"' in html
    assert 'value="Alpha IT"' in html
    assert '<option value="DE" selected>' in html
    assert 'name="_refresh"' in html
    assert "DE + 9 digits" not in html  # the type is still "none"


def test_it_lets_an_admin_save(client_for, dana, alpha):
    """An admin saves address, tax ID, currency and language; the tax ID is stored normalized."""
    r = client_for(dana).post(
        URL,
        form_data(
            alpha,
            name="Alpha IT GmbH",
            street="Hauptstraße 1",
            postal_code="10115",
            city="Berlin",
            region="Berlin",
            tax_id_type="eu_vat",
            tax_id="de 136 695 976",
            default_currency="EUR",
            default_language="de",
        ),
    )
    assert r.status_code == 302
    assert r["Location"] == URL
    alpha.refresh_from_db()
    assert alpha.name == "Alpha IT GmbH"
    assert (alpha.street, alpha.postal_code, alpha.city) == ("Hauptstraße 1", "10115", "Berlin")
    assert alpha.tax_id_type == "eu_vat"
    assert alpha.tax_id == "DE136695976"
    assert alpha.default_language == "de"
    page = client_for(dana).get(URL).content.decode()
    assert "Workspace settings saved." in page


def test_it_audits_the_changed_fields(client_for, alice, alpha):
    """A save writes one audit event naming exactly the changed fields."""
    client_for(alice).post(URL, form_data(alpha, city="Köln", default_currency="USD"))
    event = AuditEvent.objects.get(workspace=alpha, action="workspace.settings_changed")
    assert event.actor == alice
    assert event.details["changed"] == ["city", "default_currency"]
    assert "city" in event.summary
    assert "default_currency" in event.summary


def test_it_does_not_audit_a_save_without_changes(client_for, alice, alpha):
    """Saving unchanged values succeeds and writes no settings event."""
    r = client_for(alice).post(URL, form_data(alpha))
    assert r.status_code == 302
    assert not AuditEvent.objects.filter(action="workspace.settings_changed").exists()


def test_it_lets_owners_require_2fa(client_for, alice, alpha):
    """The owner can switch on the two-factor requirement."""
    client_for(alice).post(URL, form_data(alpha, require_2fa_for_admins="on"))
    alpha.refresh_from_db()
    assert alpha.require_2fa_for_admins is True


def test_it_keeps_admins_from_changing_the_2fa_policy(client_for, dana, alpha):
    """An admin sees the checkbox disabled, and a posted value is ignored."""
    client = client_for(dana)
    html = client.get(URL).content.decode()
    assert 'name="require_2fa_for_admins"' in html
    assert "disabled" in html.split('name="require_2fa_for_admins"')[1].split(">")[0]
    client.post(URL, form_data(alpha, name="Alpha 2", require_2fa_for_admins="on"))
    alpha.refresh_from_db()
    assert alpha.name == "Alpha 2"
    assert alpha.require_2fa_for_admins is False


def test_it_keeps_admins_from_switching_the_2fa_policy_off(client_for, alice, dana, alpha):
    """An admin's save leaves an owner's requirement switched on."""
    alpha.require_2fa_for_admins = True
    alpha.save()
    from mspercury.models import TOTPDevice

    device = TOTPDevice(user=dana, name="phone", confirmed=True)
    device.secret = "00" * 20
    device.save()
    data = form_data(alpha, name="Alpha 3")
    del data["require_2fa_for_admins"]
    client_for(dana).post(URL, data)
    alpha.refresh_from_db()
    assert alpha.name == "Alpha 3"
    assert alpha.require_2fa_for_admins is True


def test_it_edits_only_the_active_workspace(client_for, alice, alpha, charlie_ws):
    """A save changes the user's own workspace and never another one."""
    client_for(alice).post(URL, form_data(alpha, name="Renamed"))
    charlie_ws.refresh_from_db()
    assert charlie_ws.name == "Charlie Systems"
    assert Workspace.objects.get(pk=alpha.pk).name == "Renamed"


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("DE", "eu_vat"),
        ("US", "us_ein"),
        ("CA", "ca_gst_hst"),
        ("CH", "ch_vat"),
        ("GB", "gb_vat"),
        ("AT", "eu_vat"),
        ("JP", "none"),
    ],
)
def test_it_returns_the_default_type_for_a_new_country(client_for, dana, country, expected):
    """The htmx endpoint swaps in the type field with the country's default selected."""
    r = client_for(dana).get(
        TYPE_URL,
        {"country": country, "country_was": "FR", "tax_id_type": "none"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="tax-id-type-field"' in html
    assert f'<option value="{expected}" selected>' in html
    assert f'name="country_was" value="{country}"' in html
    assert "<html" not in html


def test_it_shows_the_expected_format_for_the_new_country(client_for, dana):
    """The swapped field carries the format hint for the country's type."""
    html = (
        client_for(dana)
        .get(TYPE_URL, {"country": "DE", "country_was": "US", "tax_id_type": "us_ein"})
        .content.decode()
    )
    assert "DE + 9 digits, e.g. DE136695976" in html
    html = (
        client_for(dana)
        .get(TYPE_URL, {"country": "US", "country_was": "DE", "tax_id_type": "eu_vat"})
        .content.decode()
    )
    assert "9 digits written 12-3456789" in html


def test_it_keeps_a_manually_chosen_type_while_the_country_stays(client_for, dana):
    """Choosing a type by hand for the same country keeps it (and updates the hint)."""
    r = client_for(dana).get(
        TYPE_URL, {"country": "CH", "country_was": "CH", "tax_id_type": "ch_uid"}
    )
    html = r.content.decode()
    assert '<option value="ch_uid" selected>' in html
    assert "CHE-123.456.789" in html


def test_it_refreshes_the_type_without_javascript(client_for, alice, alpha):
    """The _refresh button re-renders with the new country's type, keeps values, saves nothing."""
    data = form_data(alpha, country="US", name="Not saved yet", city="Austin", tax_id_type="none")
    data["_refresh"] = "1"
    r = client_for(alice).post(URL, data)
    assert r.status_code == 200
    html = r.content.decode()
    assert '<option value="us_ein" selected>' in html
    assert '<option value="US" selected>' in html
    assert 'value="Not saved yet"' in html
    assert 'value="Austin"' in html
    assert 'name="country_was" value="US"' in html
    assert "errorlist" not in html
    alpha.refresh_from_db()
    assert alpha.name == "Alpha IT"
    assert alpha.country == "DE"
    assert not AuditEvent.objects.filter(action="workspace.settings_changed").exists()


def test_it_keeps_a_manual_type_on_refresh_when_the_country_is_unchanged(client_for, alice, alpha):
    """Without a country change the refresh leaves the user's type alone."""
    data = form_data(alpha, tax_id_type="none", _refresh="1")
    html = client_for(alice).post(URL, data).content.decode()
    assert '<option value="none" selected>' in html


@pytest.mark.parametrize(
    ("country", "tax_id", "message"),
    [
        ("DE", "DE136695975", "The check digit of this DE VAT ID is wrong"),
        ("DE", "FR40303265045", "This VAT ID starts with FR, but the country is DE"),
        ("GR", "GR094259216", "Greek VAT IDs start with EL, not GR"),
        ("DE", "DE1366959", "This DE VAT ID has the wrong length"),
        ("DE", "GB980780684", "not EU VAT IDs since Brexit"),
        ("DE", "XX123", "country code of an EU member state"),
    ],
)
def test_it_rejects_invalid_eu_vat_ids(client_for, alice, alpha, country, tax_id, message):
    """An invalid VAT ID shows the specific reason on the tax-ID field and is not saved."""
    r = client_for(alice).post(
        URL,
        form_data(alpha, country=country, country_was=country, tax_id_type="eu_vat", tax_id=tax_id),
    )
    assert r.status_code == 200
    form = r.context["form"]
    assert any(message in e for e in form.errors["tax_id"])
    assert message in r.content.decode()
    alpha.refresh_from_db()
    assert alpha.tax_id == ""


def test_it_rejects_a_number_without_a_type(client_for, alice, alpha):
    """A number with the type "none" asks for a type."""
    r = client_for(alice).post(URL, form_data(alpha, tax_id_type="none", tax_id="DE136695976"))
    assert "Choose a tax-ID type" in r.content.decode()


@pytest.mark.parametrize(
    ("country", "tax_id_type", "tax_id", "stored"),
    [
        ("DE", "eu_vat", "DE136695976", "DE136695976"),
        ("DE", "eu_vat", "de 136.695.976", "DE136695976"),
        ("AT", "eu_vat", "ATU13585627", "ATU13585627"),
        ("FR", "eu_vat", "FR 40 303 265 045", "FR40303265045"),
        ("GR", "eu_vat", "EL094259216", "EL094259216"),
        ("US", "us_ein", "12-3456789", "12-3456789"),
        ("US", "us_ein", "123456789", "12-3456789"),
        ("CA", "ca_gst_hst", "123456782RT0001", "123456782RT0001"),
        ("CA", "ca_gst_hst", "123 456 782 RT 0001", "123456782RT0001"),
        ("CH", "ch_vat", "CHE-116.281.710 MWST", "CHE-116.281.710 MWST"),
        ("CH", "ch_vat", "che116281710mwst", "CHE-116.281.710 MWST"),
        ("GB", "gb_vat", "GB980780684", "GB980780684"),
        ("GB", "gb_vat", "980 7806 84", "GB980780684"),
    ],
)
def test_it_accepts_and_normalizes_valid_ids(
    client_for, alice, alpha, country, tax_id_type, tax_id, stored
):
    """Valid numbers are saved in their canonical form."""
    r = client_for(alice).post(
        URL,
        form_data(
            alpha, country=country, country_was=country, tax_id_type=tax_id_type, tax_id=tax_id
        ),
    )
    assert r.status_code == 302, r.context["form"].errors
    alpha.refresh_from_db()
    assert (alpha.country, alpha.tax_id_type, alpha.tax_id) == (country, tax_id_type, stored)


def test_it_refuses_a_tax_id_type_of_another_country(client_for, alice, alpha):
    """A German workspace can't save a valid UK VAT number as its tax ID: the type must belong
    to the country (as for customers), with an error on the type."""
    data = form_data(alpha, country="DE", tax_id_type="gb_vat", tax_id="GB980780684")
    r = client_for(alice).post(URL, data)
    assert r.status_code == 200
    assert r.context["form"].errors["tax_id_type"] == [
        "A gb_vat number does not belong to Germany; choose the type that does."
    ]
    assert 'value="GB980780684"' in r.content.decode()  # nothing typed is lost
    alpha.refresh_from_db()
    assert (alpha.tax_id_type, alpha.tax_id) == ("none", "")


def test_it_fits_the_type_when_the_country_changes_without_a_refresh(client_for, alice, alpha):
    """Without JavaScript, changing the country and saving at once (no refresh) stores the new
    country's type, not the type chosen for the old country."""
    data = form_data(alpha, country="US", tax_id_type="eu_vat", tax_id="")
    assert data["country_was"] == "DE"
    r = client_for(alice).post(URL, data)
    assert r.status_code == 302, r.context["form"].errors
    alpha.refresh_from_db()
    assert (alpha.country, alpha.tax_id_type) == ("US", "us_ein")


def test_it_escapes_the_workspace_name(client_for, alice, alpha):
    """Stored values are escaped in the page."""
    alpha.name = "<script>x</script>"
    alpha.save()
    html = client_for(alice).get(URL).content.decode()
    assert "<script>x</script>" not in html
