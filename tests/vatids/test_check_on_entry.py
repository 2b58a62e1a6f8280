"""VIES at the moment of entry: saving a customer asks VIES at once (a few seconds at most), and
until VIES confirms the VAT ID the quote editor and the share page say "reverse charge pending
VIES confirmation" (the push: tests/integrations/push/test_vies_push.py)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Customer
from customers.vatids import services
from customers.vatids.models import VatIdValidation
from quotes import actions
from tests.customers.conftest import customer_data
from tests.quotes.share_helpers import page_url, share

NEW = "/customers/new/"
FR_ID = "FR40303265045"


def _new_french_customer(client, tax_id=FR_ID):
    return client.post(
        NEW,
        customer_data(
            company_name="Dupont Conseil SARL",
            country="FR",
            country_was="FR",
            tax_id_type="eu_vat",
            tax_id=tax_id,
            language="fr",
        ),
        follow=True,
    )


def test_it_asks_vies_when_a_customer_is_created(vies_emulator, client_for, alice, msp):
    """A valid answer is stored with its consultation number and said in the flash."""
    page = _new_french_customer(client_for(alice)).content.decode()
    row = VatIdValidation.objects.get()
    assert (row.status, row.reason) == ("valid", "entry")
    assert row.consultation_number
    assert "VIES confirmed the VAT ID FR40303265045." in page
    assert len(vies_emulator.requests(path="/check-vat-number")) == 1


def test_it_says_at_once_when_vies_calls_the_id_invalid(vies_emulator, client_for, alice, msp):
    vies_emulator.set_number("FR44732829320", "invalid")
    page = _new_french_customer(client_for(alice), "FR44732829320").content.decode()
    assert VatIdValidation.objects.get().status == "invalid"
    assert "VIES says the VAT ID FR44732829320 is invalid" in page
    assert services.status_for(Customer.objects.get()) == "invalid"


def test_it_queues_the_check_when_vies_is_unavailable(vies_emulator, client_for, alice, msp):
    """The customer is saved; the open check carries its next retry, and the flash says so."""
    vies_emulator.set_availability("FR")
    page = _new_french_customer(client_for(alice)).content.decode()
    row = VatIdValidation.objects.get()
    assert row.status == "unconfirmed" and row.error_code == "MS_UNAVAILABLE"
    assert row.next_retry_at is not None and row.next_retry_at > timezone.now()
    assert "VIES did not confirm the VAT ID FR40303265045 yet" in page
    assert "The check is queued" in page
    # The retry machinery takes it from here: once VIES answers, the check is confirmed.
    vies_emulator.set_availability("FR", "Available")
    VatIdValidation.objects.filter(pk=row.pk).update(next_retry_at=timezone.now())
    assert services.retry(row.pk) == "valid"


def test_it_waits_only_a_few_seconds_for_vies(vies_emulator, client_for, alice, msp, settings):
    """A VIES that does not answer in time leaves the check open (TIMEOUT) and the save fast."""
    settings.MSPERCURY_VIES_ENTRY_TIMEOUT = 0.3
    vies_emulator.set_number(FR_ID, "valid", delay=2)
    started = timezone.now()
    page = _new_french_customer(client_for(alice)).content.decode()
    assert (timezone.now() - started).total_seconds() < 1.8
    row = VatIdValidation.objects.get()
    assert (row.status, row.error_code) == ("unconfirmed", "TIMEOUT")
    assert "The check is queued" in page


def test_an_edit_asks_again_only_when_the_vat_id_changes(vies_emulator, client_for, alice, dupont):
    client = client_for(alice)
    edit = f"/customers/{dupont.public_id}/edit/"
    client.post(edit, customer_data(dupont, contact_name="Jean"))  # never checked: asks
    client.post(edit, customer_data(dupont, contact_name="Marie"))  # answer in force: silent
    assert len(vies_emulator.requests(path="/check-vat-number")) == 1
    vies_emulator.set_number("FR44732829320", "invalid")
    client.post(edit, customer_data(dupont, tax_id="FR44732829320"))
    assert len(vies_emulator.requests(path="/check-vat-number")) == 2
    dupont.refresh_from_db()
    assert services.status_for(dupont) == "invalid"


def test_a_customer_without_an_eu_vat_id_is_not_checked(vies_emulator, client_for, alice, msp):
    client_for(alice).post(NEW, customer_data(company_name="Jane Doe", country="FR", tax_id=""))
    assert not vies_emulator.requests(path="/check-vat-number")
    assert not VatIdValidation.objects.exists()


# -- until VIES confirms ------------------------------------------------------------------------


@pytest.fixture
def rc_quote(msp, alice, dupont):
    """A reverse-charge quote to the French customer, whose VAT ID nobody checked yet."""
    dupont.language = "fr"
    dupont.save()
    quote = actions.do_create_quote(msp, dupont, user=alice, currency="EUR")
    actions.do_add_line(
        quote,
        description="RMM",
        quantity=Decimal("10"),
        unit="workstation",
        unit_price=Decimal("10.00"),
        billing_period="monthly",
    )
    quote.refresh_from_db()
    return quote


def _editor(client, quote):
    return client.get(f"/quotes/{quote.public_id}/").content.decode()


def test_the_editor_says_reverse_charge_is_pending_until_vies_confirms(
    vies_emulator, client_for, alice, rc_quote, dupont
):
    client = client_for(alice)
    html = _editor(client, rc_quote)
    assert "Reverse charge pending VIES confirmation" in html
    assert 'data-tax="vies-pending"' in html
    vies_emulator.set_availability("FR")
    services.validate(dupont)  # VIES cannot answer: still pending
    assert "Reverse charge pending VIES confirmation" in _editor(client, rc_quote)
    vies_emulator.set_availability("FR", "Available")
    services.validate(dupont, force=True)
    html = _editor(client, rc_quote)
    assert "Reverse charge pending VIES confirmation" not in html
    assert "EU reverse charge" in html


def test_the_share_page_says_it_in_the_customer_s_language(
    vies_emulator, client, alice, rc_quote, dupont
):
    _link, token = share(rc_quote, alice)
    html = client.get(page_url(token)).content.decode()
    assert 'data-doc="vies-pending"' in html
    assert "Autoliquidation en attente de la confirmation VIES" in html
    services.validate(dupont)
    html = client.get(page_url(token)).content.decode()
    assert 'data-doc="vies-pending"' not in html
