"""The VIES client seam: every answer becomes VALID, INVALID or UNCONFIRMED(code); an error
is never "invalid"."""

import json

import pytest

from emulators.vies import ERROR_CODES
from integrations.vies.client import (
    PERMANENT,
    TRANSIENT,
    Verdict,
    check_vat,
    interpret,
    split_vat_id,
)

REQUESTER = ("DE", "136695976")


def test_a_valid_answer_carries_the_consultation_number_name_and_address(vies_emulator):
    result = check_vat("FR", "40303265045", requester=REQUESTER)
    assert result.verdict == Verdict.VALID and result.confirmed and not result.retryable
    assert result.consultation_number.startswith("WAPI")
    assert result.name == "DUPONT CONSEIL SARL"
    assert result.address == "12 RUE DE LA PAIX\n75002 PARIS"
    assert result.request_date is not None and result.request_date.tzinfo is not None
    assert result.raw["requestIdentifier"] == result.consultation_number
    sent = vies_emulator.requests(path="/check-vat-number")[-1]["body"]
    assert sent == {
        "countryCode": "FR",
        "vatNumber": "40303265045",
        "requesterMemberStateCode": "DE",
        "requesterNumber": "136695976",
    }


def test_without_a_requester_nothing_is_sent_for_it(vies_emulator):
    result = check_vat("FR", "40303265045", requester=None)
    assert result.verdict == Verdict.VALID and result.consultation_number == ""
    assert "requesterNumber" not in vies_emulator.requests()[-1]["body"]


def test_an_invalid_answer(vies_emulator):
    vies_emulator.set_number("FR40303265045", "invalid")
    result = check_vat("FR", "40303265045", requester=REQUESTER)
    assert result.verdict == Verdict.INVALID and result.confirmed
    assert result.name == "" and result.address == ""  # VIES's "---"


def test_undisclosed_name_and_address_are_empty(vies_emulator):
    result = check_vat("DE", "136695976", requester=REQUESTER)
    assert result.verdict == Verdict.VALID
    assert (result.name, result.address) == ("", "")


@pytest.mark.parametrize("code", ERROR_CODES)
def test_every_vies_error_is_unconfirmed_never_invalid(vies_emulator, code):
    vies_emulator.set_number("FR40303265045", code)
    result = check_vat("FR", "40303265045", requester=REQUESTER)
    assert result.verdict == Verdict.UNCONFIRMED
    assert not result.confirmed
    assert result.error_code == code
    assert result.retryable == (code not in PERMANENT)
    assert result.consultation_number == ""


@pytest.mark.parametrize("code", ["MS_UNAVAILABLE", "INVALID_INPUT"])
def test_errors_with_an_http_error_status_are_read_the_same(vies_emulator, code):
    vies_emulator.config(error_status=500 if code == "MS_UNAVAILABLE" else 400)
    vies_emulator.set_number("FR40303265045", code)
    result = check_vat("FR", "40303265045", requester=REQUESTER)
    assert (result.verdict, result.error_code) == (Verdict.UNCONFIRMED, code)


@pytest.mark.parametrize(
    "code",
    ["MS_UNAVAILABLE", "MS_MAX_CONCURRENT_REQ", "GLOBAL_MAX_CONCURRENT_REQ", "TIMEOUT"],
)
def test_transient_codes_are_retryable(code):
    assert code in TRANSIENT


def test_an_unavailable_member_state(vies_emulator):
    vies_emulator.set_availability("FR")
    result = check_vat("FR", "40303265045", requester=REQUESTER)
    assert (result.verdict, result.error_code) == (Verdict.UNCONFIRMED, "MS_UNAVAILABLE")


def test_a_real_concurrency_fault_then_success(vies_emulator):
    vies_emulator.fault("MS_MAX_CONCURRENT_REQ", times=1)
    first = check_vat("FR", "40303265045", requester=REQUESTER)
    second = check_vat("FR", "40303265045", requester=REQUESTER)
    assert first.error_code == "MS_MAX_CONCURRENT_REQ" and first.retryable
    assert second.verdict == Verdict.VALID


def test_a_slow_vies_is_a_timeout(vies_emulator, settings):
    settings.MSPERCURY_VIES_TIMEOUT = 0.3
    vies_emulator.set_number("FR40303265045", "valid", delay=1.5)
    result = check_vat("FR", "40303265045", requester=REQUESTER)
    assert (result.verdict, result.error_code) == (Verdict.UNCONFIRMED, "TIMEOUT")
    assert result.retryable


def test_a_dropped_connection_is_a_network_error(vies_emulator):
    vies_emulator.fault(action="drop")
    result = check_vat("FR", "40303265045", requester=REQUESTER)
    assert (result.verdict, result.error_code) == (Verdict.UNCONFIRMED, "NETWORK_ERROR")


def test_a_gateway_page_is_a_bad_response(vies_emulator):
    vies_emulator.fault(action="http", status=502)
    result = check_vat("FR", "40303265045", requester=REQUESTER)
    assert (result.verdict, result.error_code) == (Verdict.UNCONFIRMED, "BAD_RESPONSE")
    assert "502" in result.error_message


def test_nothing_listening_is_a_network_error():
    # The suite's default MSPERCURY_VIES_URL: a closed local port.
    result = check_vat("FR", "40303265045", requester=REQUESTER)
    assert (result.verdict, result.error_code) == (Verdict.UNCONFIRMED, "NETWORK_ERROR")
    assert result.retryable


def _answer(payload, status=200):
    return interpret("FR", "40303265045", status, json.dumps(payload).encode())


def test_the_get_shape_with_an_error_in_user_error_is_not_invalid():
    result = _answer({"isValid": False, "userError": "MS_MAX_CONCURRENT_REQ", "name": "---"})
    assert (result.verdict, result.error_code) == (Verdict.UNCONFIRMED, "MS_MAX_CONCURRENT_REQ")
    assert _answer({"isValid": False, "userError": "INVALID"}).verdict == Verdict.INVALID
    assert _answer({"isValid": True, "userError": "VALID"}).verdict == Verdict.VALID


def test_answers_without_a_verdict_are_bad_responses():
    assert _answer({"countryCode": "FR"}).error_code == "BAD_RESPONSE"
    assert _answer({"valid": "yes"}).error_code == "BAD_RESPONSE"
    assert _answer({"valid": True}, status=503).error_code == "BAD_RESPONSE"
    assert interpret("FR", "1", 200, b"[]").error_code == "BAD_RESPONSE"
    assert interpret("FR", "1", 200, b"").error_code == "BAD_RESPONSE"


def test_action_failed_without_wrappers_is_service_unavailable():
    result = _answer({"actionSucceed": False})
    assert (result.verdict, result.error_code) == (Verdict.UNCONFIRMED, "SERVICE_UNAVAILABLE")


def test_an_unknown_error_code_is_kept_and_retried():
    result = _answer({"actionSucceed": False, "errorWrappers": [{"error": "NEW_THING"}]})
    assert result.error_code == "NEW_THING" and result.retryable


def test_split_vat_id():
    assert split_vat_id("DE 136 695 976") == ("DE", "136695976")
    assert split_vat_id("EL094259216") == ("EL", "094259216")
    assert split_vat_id("GR094259216") == ("EL", "094259216")
    assert split_vat_id("") == ("", "")
