"""The customer page's VIES block and its "Check now" button."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from customers.vatids import services
from customers.vatids.models import VatIdValidation
from mspercury.models import AuditEvent

T0 = datetime(2027, 1, 4, 9, 30, tzinfo=UTC)


def _check_url(customer):
    return reverse("vatids:check_now", args=[customer.public_id])


def _block(customer) -> str:
    return render_to_string(
        "vatids/_customer_vies.html", {"customer": customer, "csrf_token": "token"}
    )


def test_check_now_asks_vies_and_records_it(vies_emulator, client_for, bob, dupont):
    client = client_for(bob)  # any member of the workspace may check
    response = client.post(_check_url(dupont), follow=True)
    assert response.redirect_chain[-1][0] == reverse("customers:detail", args=[dupont.public_id])
    row = VatIdValidation.objects.get(customer=dupont)
    assert row.status == "valid" and row.reason == "manual"
    assert "VIES confirmed the VAT ID FR40303265045." in response.content.decode()
    event = AuditEvent.objects.get(action="vatid.checked")
    assert event.details["consultation_number"] == row.consultation_number
    assert event.actor == bob


def test_check_now_always_asks_again(vies_emulator, client_for, alice, dupont):
    client = client_for(alice)
    client.post(_check_url(dupont))
    client.post(_check_url(dupont))
    assert VatIdValidation.objects.filter(customer=dupont).count() == 2


def test_check_now_when_vies_cannot_answer(vies_emulator, client_for, alice, dupont):
    vies_emulator.set_availability("FR")
    response = client_for(alice).post(_check_url(dupont), follow=True)
    page = response.content.decode()
    assert "VIES could not confirm the VAT ID yet (VIES member state unavailable)" in page
    assert VatIdValidation.objects.get(customer=dupont).status == "unconfirmed"


def test_check_now_without_an_eu_vat_id(vies_emulator, client_for, alice, private):
    response = client_for(alice).post(_check_url(private), follow=True)
    assert "This customer has no EU VAT ID to check." in response.content.decode()
    assert not VatIdValidation.objects.exists()


def test_check_now_is_post_only(client_for, alice, dupont):
    assert client_for(alice).get(_check_url(dupont)).status_code == 405


def test_check_now_needs_a_sign_in(client, dupont):
    response = client.post(_check_url(dupont))
    assert response.status_code == 302 and settings.LOGIN_URL in response.url


def test_another_workspace_gets_404(vies_emulator, client_for, charlie, dupont):
    assert client_for(charlie).post(_check_url(dupont)).status_code == 404
    assert not VatIdValidation.objects.exists()
    assert vies_emulator.requests() == []


def test_the_block_shows_a_valid_answer(vies_emulator, dupont):
    with time_machine.travel(T0, tick=False):
        row = services.validate(dupont)
        html = _block(dupont)
    assert 'data-vies-status="valid"' in html
    assert "Valid" in html
    assert f"consultation number <code>{row.consultation_number}</code>" in html
    assert "checked at 4 Jan 2027, 09:30" in html
    assert "in force until 1 Feb 2027, 09:30" in html
    assert "DUPONT CONSEIL SARL" in html and "12 RUE DE LA PAIX<br>75002 PARIS" in html
    assert _check_url(dupont) in html and "Check now" in html


def test_the_block_shows_not_confirmed_yet(vies_emulator, dupont):
    vies_emulator.set_availability("FR")
    with time_machine.travel(T0, tick=False):
        services.validate(dupont)
        html = _block(dupont)
    assert 'data-vies-status="unconfirmed"' in html
    assert "Not confirmed yet" in html
    assert "VIES member state unavailable, retrying" in html
    assert "1 attempt so far" in html


def test_the_block_keeps_the_answer_in_force_while_a_recheck_fails(vies_emulator, dupont):
    with time_machine.travel(T0, tick=False):
        services.validate(dupont)
        vies_emulator.fault("MS_MAX_CONCURRENT_REQ")
        services.validate(dupont, force=True)
        html = _block(dupont)
    assert 'data-vies-status="valid"' in html
    assert "A newer check is not confirmed yet (too many concurrent requests" in html


def test_the_block_shows_invalid(vies_emulator, dupont):
    vies_emulator.set_number("FR40303265045", "invalid")
    with time_machine.travel(T0, tick=False):
        services.validate(dupont)
        html = _block(dupont)
    assert 'data-vies-status="invalid"' in html
    assert "Invalid per VIES" in html
    assert "Reverse charge is blocked for this VAT ID." in html


def test_the_block_before_any_check_and_after_expiry(vies_emulator, dupont):
    assert "Not checked with VIES yet." in _block(dupont)
    with time_machine.travel(T0, tick=False):
        services.validate(dupont)
    with time_machine.travel(T0 + timedelta(days=40), tick=False):
        html = _block(dupont)
    assert "Expired" in html and "no validation in force" in html


def test_the_block_says_why_there_is_no_consultation_number(vies_emulator, dupont, msp):
    msp.tax_id_type, msp.tax_id = "none", ""
    msp.save()
    dupont.refresh_from_db()
    assert "VIES issues no consultation number" in _block(dupont)


def test_no_block_without_an_eu_vat_id(private):
    assert _block(private).strip() == ""


_DETAIL = Path(settings.BASE_DIR) / "templates" / "customers" / "detail.html"


@pytest.mark.skipif(
    "vatids/_customer_vies.html" not in _DETAIL.read_text(),
    reason="the customer page does not include templates/vatids/_customer_vies.html yet",
)
def test_the_customer_page_shows_the_block(vies_emulator, client_for, alice, dupont):
    services.validate(dupont)
    page = client_for(alice).get(reverse("customers:detail", args=[dupont.public_id]))
    html = page.content.decode()
    assert 'id="vies-status"' in html and 'data-vies-status="valid"' in html
    assert _check_url(dupont) in html


def test_the_customer_page_shows_the_check_in_the_msp_s_local_time(
    vies_emulator, client_for, alice, dupont
):
    """Checked at 23:30 UTC: Alpha (Berlin) reads the next day, 00:30 CET, with its zone."""
    with time_machine.travel(datetime(2027, 1, 4, 23, 30, tzinfo=UTC), tick=False):
        services.validate(dupont)
        page = client_for(alice).get(reverse("customers:detail", args=[dupont.public_id]))
    html = page.content.decode()
    assert "checked at 5 Jan 2027, 00:30 CET" in html
    assert "in force until 2 Feb 2027, 00:30 CET" in html
