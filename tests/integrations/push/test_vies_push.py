"""The push and VIES: the preview says "reverse charge pending VIES confirmation" until VIES
confirms the customer's VAT ID, and a reverse-charge push for an ID VIES called invalid is
refused with VIES's answer before anything is written to Stripe."""

import pytest

from customers.vatids import services
from integrations.models import Push
from integrations.push.actions import do_start_push
from integrations.push.executor import build_plan, execute_push
from quotes.actions import do_create_quote
from tests.factories import accept, add_line, service

FR_ID = "FR40303265045"


@pytest.fixture
def rc_quote(alpha, alice, connection, fr_customer):
    """An accepted reverse-charge quote (a German MSP, a French business customer)."""
    quote = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    add_line(quote, service(alpha, "RMM", "monthly", "10.00"), "10")
    accept(quote, alice)
    quote.refresh_from_db()
    assert quote.acceptance.snapshot["tax"]["treatment"] == "reverse_charge"
    return quote


def _preview(client, quote) -> str:
    return client.get(f"/quotes/{quote.public_id}/stripe/").content.decode()


def _writes(stripe_api) -> list:
    return list(stripe_api.requests(method="POST"))


def test_the_preview_says_reverse_charge_is_pending_until_vies_confirms(
    vies_emulator, client_for, alice, rc_quote, connection
):
    client = client_for(alice)
    html = _preview(client, rc_quote)
    assert "Reverse charge pending VIES confirmation" in html
    plan = build_plan(rc_quote, connection, send_now=False)
    assert not plan.blocked
    assert [p.code for p in plan.warnings] == ["vat_id_pending"]
    services.validate(rc_quote.customer)
    assert "Reverse charge pending VIES confirmation" not in _preview(client, rc_quote)


def test_a_reverse_charge_push_for_an_id_vies_called_invalid_is_refused(
    vies_emulator, client_for, alice, rc_quote, connection, stripe_api
):
    vies_emulator.set_number(FR_ID, "invalid")
    assert services.validate(rc_quote.customer).status == "invalid"
    plan = build_plan(rc_quote, connection, send_now=False)
    assert "vat_id_invalid" in [p.code for p in plan.problems if p.blocking]
    html = _preview(client_for(alice), rc_quote)
    assert "VAT ID FR40303265045 is invalid (checked" in html

    before = _writes(stripe_api)
    push, _created = do_start_push(None, rc_quote, actor=alice)
    assert execute_push(push.pk) == Push.Status.FAILED
    push.refresh_from_db()
    assert "VAT ID FR40303265045 is invalid" in push.error
    assert "Nothing was sent to Stripe." in push.error
    assert _writes(stripe_api) == before  # not even the customer


def test_the_start_button_refuses_it_too(
    vies_emulator, client_for, alice, rc_quote, connection, stripe_api
):
    vies_emulator.set_number(FR_ID, "invalid")
    services.validate(rc_quote.customer)
    client = client_for(alice)
    response = client.post(f"/quotes/{rc_quote.public_id}/stripe/push/", follow=True)
    assert "Fix the problems listed below first; nothing was sent." in response.content.decode()
    assert not Push.objects.filter(quote=rc_quote).exists()


def test_a_valid_answer_lets_the_push_run(vies_emulator, alice, rc_quote, connection):
    services.validate(rc_quote.customer)
    push, _created = do_start_push(None, rc_quote, actor=alice)
    assert execute_push(push.pk) == Push.Status.SUCCEEDED


def test_an_invalid_id_on_a_quote_accepted_with_vat_is_not_refused(
    vies_emulator, alpha, alice, connection, fr_customer
):
    """Accepted with VAT (the ID was already invalid): the push bills that VAT, nothing to stop."""
    vies_emulator.set_number(FR_ID, "invalid")
    services.validate(fr_customer)
    quote = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    add_line(quote, service(alpha, "Set-up", "one_time", "100.00", "unit"), "1")
    accept(quote, alice)
    quote.refresh_from_db()
    assert quote.acceptance.snapshot["tax"]["treatment"] != "reverse_charge"
    plan = build_plan(quote, connection, send_now=False)
    assert "vat_id_invalid" not in [p.code for p in plan.problems]
