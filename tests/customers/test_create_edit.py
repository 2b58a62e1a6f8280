import pytest

from customers.models import Customer
from mspercury.models import AuditEvent
from tests.customers.conftest import customer_data

NEW = "/customers/new/"
TYPE_URL = "/customers/tax-id-type/"


def edit_url(customer):
    return f"/customers/{customer.public_id}/edit/"


def errors(response, field):
    return response.context["form"].errors.get(field, [])


def test_it_shows_the_new_form_with_workspace_defaults(client_for, alice, alpha):
    """A new customer starts in the workspace's country, its default type and language."""
    alpha.default_language = "fr"
    alpha.save()
    r = client_for(alice).get(NEW)
    assert r.status_code == 200
    html = r.content.decode()
    assert '<option value="DE" selected>' in html
    assert '<option value="eu_vat" selected>' in html
    assert '<option value="fr" selected>' in html
    assert '<option value="send_invoice" selected>' in html
    assert 'name="days_until_due" value="14"' in html
    assert "DE + 9 digits" in html
    assert 'hx-get="/customers/tax-id-type/"' in html
    assert 'name="_refresh"' in html
    assert "Stripe needs an email address before this customer" in html


@pytest.mark.parametrize("user", ["alice", "bob", "dana"])
def test_it_creates_a_customer(client_for, alpha, user, request):
    """Owners, admins and members create customers; the VAT ID is stored normalized."""
    r = client_for(request.getfixturevalue(user)).post(
        NEW,
        customer_data(
            company_name="Beta AG",
            contact_name="Bernd",
            email="bernd@beta.example",
            street="Ring 2",
            postal_code="1010",
            city="Wien",
            country="AT",
            country_was="AT",
            tax_id="atu 1358 5627",
            language="de",
            collection_method="charge_automatically",
        ),
    )
    customer = Customer.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/customers/{customer.public_id}/"
    assert customer.workspace == alpha
    assert customer.tax_id == "ATU13585627"
    assert (customer.country.code, customer.city, customer.language) == ("AT", "Wien", "de")
    assert customer.collection_method == "charge_automatically"
    event = AuditEvent.objects.get(action="customer.created")
    assert event.workspace == alpha
    assert event.details["customer"] == str(customer.public_id)


def test_it_requires_a_company_name(client_for, alice):
    """Without a company name nothing is saved."""
    r = client_for(alice).post(NEW, customer_data())
    assert r.status_code == 200
    assert errors(r, "company_name")
    assert not Customer.objects.exists()


def test_it_accepts_a_customer_without_email(client_for, alice):
    """Email is optional; the customer page then warns that Stripe needs one."""
    r = client_for(alice).post(NEW, customer_data(company_name="No Mail KG"))
    assert r.status_code == 302
    page = client_for(alice).get(r["Location"]).content.decode()
    assert 'id="email-warning"' in page
    assert "Stripe needs an email address." in page


def test_it_rejects_an_invalid_email(client_for, alice):
    """A malformed email address is refused."""
    r = client_for(alice).post(NEW, customer_data(company_name="X", email="not-an-email"))
    assert errors(r, "email")


@pytest.mark.parametrize(
    ("country", "tax_id_type", "tax_id", "message"),
    [
        ("DE", "eu_vat", "DE136695978", "The check digit of this DE VAT ID is wrong"),
        ("DE", "eu_vat", "DE13669597", "This DE VAT ID has the wrong length"),
        ("FR", "eu_vat", "DE136695976", "This VAT ID starts with DE, but the country is FR"),
        ("DE", "eu_vat", "XX123456789", "starts with the country code of an EU member state"),
        ("GR", "eu_vat", "GR094259216", "Greek VAT IDs start with EL, not GR"),
        ("DE", "eu_vat", "GB980780684", "GB numbers are not EU VAT IDs since Brexit"),
        ("CH", "eu_vat", "DE136695976", "EU VAT IDs belong to EU countries; CH is not one"),
        ("DE", "none", "DE136695976", "Choose a tax-ID type for this number, or clear"),
        ("US", "us_ein", "12-345678", "This is not a valid EIN"),
        ("CA", "ca_gst_hst", "123456782", "followed by RT and 4 digits"),
        ("CH", "ch_vat", "CHE-116.281.710", "This Swiss VAT number has the wrong length"),
        ("GB", "gb_vat", "GB980780685", "The check digit of this UK VAT number is wrong"),
    ],
)
def test_it_rejects_invalid_tax_ids_with_specific_messages(
    client_for, alice, country, tax_id_type, tax_id, message
):
    """Each kind of mistake gets its own message under the tax-ID field; nothing is saved."""
    state = "ON" if country == "CA" else ""
    r = client_for(alice).post(
        NEW,
        customer_data(
            company_name="Taxing Ltd",
            country=country,
            country_was=country,
            state=state,
            tax_id_type=tax_id_type,
            tax_id=tax_id,
        ),
    )
    assert r.status_code == 200
    assert any(message in e for e in errors(r, "tax_id")), errors(r, "tax_id")
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("country", "tax_id_type", "tax_id", "stored"),
    [
        ("GR", "eu_vat", "el 094 259 216", "EL094259216"),
        ("FR", "eu_vat", "FR 40 303 265 045", "FR40303265045"),
        ("US", "us_ein", "123456789", "12-3456789"),
        ("CA", "ca_gst_hst", "123456782 RT 0001", "123456782RT0001"),
        ("CH", "ch_vat", "CHE116281710MWST", "CHE-116.281.710 MWST"),
        ("LI", "ch_uid", "CHE-116.281.710", "CHE-116.281.710"),
        ("GB", "gb_vat", "980780684", "GB980780684"),
        ("DE", "none", "", ""),
        ("DE", "eu_vat", "", ""),
    ],
)
def test_it_stores_valid_tax_ids_normalized(
    client_for, alice, country, tax_id_type, tax_id, stored
):
    """Valid numbers (Greece with EL) are saved in their canonical form."""
    r = client_for(alice).post(
        NEW,
        customer_data(
            company_name="Fine Ltd",
            country=country,
            country_was=country,
            tax_id_type=tax_id_type,
            tax_id=tax_id,
        ),
    )
    assert r.status_code == 302, r.context["form"].errors
    customer = Customer.objects.get()
    assert (customer.tax_id_type, customer.tax_id) == (tax_id_type, stored)


def test_it_rejects_a_tax_id_type_of_another_country(client_for, alice):
    """A valid EIN on a German customer is refused: the type belongs to the United States."""
    r = client_for(alice).post(
        NEW, customer_data(company_name="X", tax_id_type="us_ein", tax_id="12-3456789")
    )
    assert any("does not belong to Germany" in e for e in errors(r, "tax_id_type"))
    assert not Customer.objects.exists()


def test_it_says_the_type_does_not_fit_the_country_before_the_format(client_for, alice):
    """ch_vat with a French VAT number on a French customer: the complaint is the type's
    country, not that the number does not look Swiss."""
    data = customer_data(
        company_name="Dupont", country="FR", tax_id_type="ch_vat", tax_id="FR40303265045"
    )
    r = client_for(alice).post(NEW, data)
    assert any("ch_vat number does not belong to France" in e for e in errors(r, "tax_id_type"))
    assert errors(r, "tax_id") == []
    assert not Customer.objects.exists()


def test_it_lets_a_private_person_have_no_tax_id(client_for, alice):
    """'none' overrides the country's default type for a private person."""
    r = client_for(alice).post(NEW, customer_data(company_name="Erika Muster", tax_id_type="none"))
    assert r.status_code == 302
    assert Customer.objects.get().tax_id_type == "none"


def test_it_uses_the_new_countrys_type_when_the_country_changed_unrefreshed(client_for, alice):
    """Country changed without refreshing and no number given: the new country's type is saved."""
    r = client_for(alice).post(
        NEW,
        customer_data(
            company_name="Yankee Inc",
            country="US",
            country_was="DE",
            tax_id_type="eu_vat",
        ),
    )
    assert r.status_code == 302
    assert Customer.objects.get().tax_id_type == "us_ein"


@pytest.mark.parametrize("country", ["US", "CA", "AU"])
def test_it_requires_a_state_for_addresses_that_need_one(client_for, alice, country):
    """US, Canadian and Australian addresses need a state or province."""
    data = customer_data(
        company_name="Stateless",
        street="1 Main St",
        city="Springfield",
        country=country,
        country_was=country,
        tax_id_type="none",
    )
    r = client_for(alice).post(NEW, data)
    assert any("need a state or province" in e for e in errors(r, "state"))
    assert not Customer.objects.exists()
    r = client_for(alice).post(NEW, {**data, "state": "NY"})
    assert r.status_code == 302


def test_it_does_not_require_a_state_without_an_address(client_for, alice):
    """A US customer without any address yet can be saved without a state."""
    data = customer_data(company_name="Remote Inc", country="US", country_was="US")
    assert client_for(alice).post(NEW, data).status_code == 302


def test_it_does_not_require_a_state_in_germany(client_for, alice):
    """Countries without states accept an address without one."""
    data = customer_data(company_name="Berlin GmbH", street="Weg 1", city="Berlin")
    assert client_for(alice).post(NEW, data).status_code == 302


def test_it_hints_the_state_for_countries_that_use_one(client_for, alice, acme):
    """The state field looks required for US customers and says why."""
    acme.country = "US"
    acme.tax_id_type = "none"
    acme.tax_id = ""
    acme.state = "NY"
    acme.save()
    html = client_for(alice).get(edit_url(acme)).content.decode()
    assert "Required for addresses in United States of America." in html
    assert 'aria-required="true"' in html


@pytest.mark.parametrize("days", ["0", "366", "", "-3"])
def test_it_needs_days_until_due_for_send_invoice(client_for, alice, days):
    """'Send invoice' needs 1–365 days until due."""
    r = client_for(alice).post(NEW, customer_data(company_name="Late Payer", days_until_due=days))
    assert any("between 1 and 365 days" in e for e in errors(r, "days_until_due"))
    assert not Customer.objects.exists()


def test_it_ignores_days_until_due_when_charging_automatically(client_for, alice):
    """With automatic charging an empty or odd days value is ignored, the default kept."""
    r = client_for(alice).post(
        NEW,
        customer_data(
            company_name="Card Payer", collection_method="charge_automatically", days_until_due=""
        ),
    )
    assert r.status_code == 302
    assert Customer.objects.get().days_until_due == 14


def test_it_saves_days_until_due(client_for, alice):
    """A valid number of days is saved."""
    client_for(alice).post(NEW, customer_data(company_name="Net 30", days_until_due="30"))
    assert Customer.objects.get().days_until_due == 30


def test_it_offers_all_document_languages(client_for, alice):
    """The language dropdown offers the 24 official EU languages, each named in itself."""
    form = client_for(alice).get(NEW).context["form"]
    choices = dict(form.fields["language"].choices)
    assert set(choices) == set(
        [
            "bg",
            "cs",
            "da",
            "de",
            "el",
            "en",
            "es",
            "et",
            "fi",
            "fr",
            "ga",
            "hr",
            "hu",
            "it",
            "lt",
            "lv",
            "mt",
            "nl",
            "pl",
            "pt",
            "ro",
            "sk",
            "sl",
            "sv",
        ]
    )
    assert (choices["el"], choices["mt"], choices["ga"]) == ("Ελληνικά", "Malti", "Gaeilge")


def test_it_shows_the_edit_form(client_for, bob, acme):
    """A member sees the customer's values in the edit form."""
    r = client_for(bob).get(edit_url(acme))
    html = r.content.decode()
    assert r.status_code == 200
    assert 'value="Acme GmbH"' in html
    assert 'value="DE136695976"' in html
    assert '<option value="eu_vat" selected>' in html


def test_it_edits_a_customer(client_for, bob, acme):
    """Saving changes stores them and audits the changed field names (not their values)."""
    r = client_for(bob).post(
        edit_url(acme),
        customer_data(acme, email="new@acme.example", city="Hamburg", tax_id="de136695976"),
    )
    assert r.status_code == 302
    assert r["Location"] == f"/customers/{acme.public_id}/"
    acme.refresh_from_db()
    assert (acme.email, acme.city, acme.tax_id) == ("new@acme.example", "Hamburg", "DE136695976")
    event = AuditEvent.objects.get(action="customer.updated")
    assert event.actor == acme.workspace.memberships.get(role="member").user
    assert event.details["changed"] == ["email", "city"]
    assert "new@acme.example" not in str(event.details)


def test_it_does_not_audit_an_unchanged_save(client_for, alice, acme):
    """Saving without changes writes no customer.updated event."""
    r = client_for(alice).post(edit_url(acme), customer_data(acme))
    assert r.status_code == 302
    assert not AuditEvent.objects.filter(action="customer.updated").exists()


def test_it_rejects_an_invalid_edit(client_for, alice, acme):
    """An invalid tax ID on edit leaves the stored customer untouched."""
    r = client_for(alice).post(
        edit_url(acme), customer_data(acme, city="Hamburg", tax_id="DE136695978")
    )
    assert r.status_code == 200
    assert errors(r, "tax_id")
    acme.refresh_from_db()
    assert (acme.city, acme.tax_id) == ("Berlin", "DE136695976")


def test_it_fills_in_the_tax_id_type_for_the_country(client_for, bob):
    """The htmx endpoint returns the country's default type, its format and the state hint."""
    r = client_for(bob).get(
        TYPE_URL,
        {"country": "US", "country_was": "DE", "tax_id_type": "eu_vat", "state": ""},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="tax-id-type-field"' in html
    assert '<option value="us_ein" selected>' in html
    assert "9 digits written 12-3456789" in html
    assert 'name="country_was" value="US"' in html
    assert 'id="field-state" hx-swap-oob="true"' in html
    assert "Required for addresses in United States of America." in html


@pytest.mark.parametrize(
    ("country", "expected", "hint"),
    [
        ("DE", "eu_vat", "DE + 9 digits"),
        ("GR", "eu_vat", "EL + 9 digits"),
        ("CA", "ca_gst_hst", "RT + 4 digits"),
        ("CH", "ch_vat", "CHE-123.456.789 MWST"),
        ("GB", "gb_vat", "GB + 9 digits"),
        ("LI", "none", "No tax ID needed"),
        ("", "none", "No tax ID needed"),
    ],
)
def test_it_picks_the_default_type_per_country(client_for, alice, country, expected, hint):
    """Each country gets its usual type (DE→eu_vat, CA→ca_gst_hst, CH→ch_vat, GB→gb_vat…)."""
    r = client_for(alice).get(
        TYPE_URL, {"country": country, "country_was": "US", "tax_id_type": "us_ein"}
    )
    html = r.content.decode()
    assert f'<option value="{expected}" selected>' in html
    assert hint in html


def test_it_keeps_an_overridden_type_while_the_country_stays(client_for, alice):
    """Choosing 'none' for a German private person sticks when the country did not change."""
    r = client_for(alice).get(
        TYPE_URL, {"country": "DE", "country_was": "DE", "tax_id_type": "none"}
    )
    html = r.content.decode()
    assert '<option value="none" selected>' in html
    assert "No tax ID needed for this type." in html


def test_it_refreshes_the_new_form_without_javascript(client_for, alice):
    """_refresh re-renders with the new country's type and keeps the input; nothing is saved."""
    r = client_for(alice).post(
        NEW,
        customer_data(
            company_name="Swiss Cheese AG",
            city="Bern",
            country="CH",
            country_was="DE",
            tax_id_type="eu_vat",
            _refresh="1",
        ),
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert '<option value="ch_vat" selected>' in html
    assert '<option value="CH" selected>' in html
    assert 'value="Swiss Cheese AG"' in html
    assert 'value="Bern"' in html
    assert "CHE-123.456.789 MWST" in html
    assert 'class="errorlist"' not in html
    assert not Customer.objects.exists()
    assert not AuditEvent.objects.filter(action="customer.created").exists()


def test_it_refreshes_the_edit_form_without_saving(client_for, alice, acme):
    """_refresh on the edit page shows the US type and state hint but changes nothing."""
    r = client_for(alice).post(
        edit_url(acme), customer_data(acme, country="US", company_name="Renamed", _refresh="1")
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert '<option value="us_ein" selected>' in html
    assert "Required for addresses in United States of America." in html
    acme.refresh_from_db()
    assert (acme.company_name, acme.country.code) == ("Acme GmbH", "DE")
