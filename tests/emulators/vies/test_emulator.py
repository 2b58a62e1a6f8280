"""The VIES emulator over real HTTP: VIES's request and response shapes, and its faults."""

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from emulators.vies import ERROR_CODES, EmulatorServer

REQUESTER = {"requesterMemberStateCode": "DE", "requesterNumber": "136695976"}
DUPONT = {"countryCode": "FR", "vatNumber": "40303265045"}


def _post(base, path, body, timeout=5):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _get(base, path):
    with urllib.request.urlopen(base + path, timeout=5) as answer:
        return answer.status, json.loads(answer.read())


def test_a_valid_number_with_the_requester_gets_a_consultation_number(vies_emulator):
    status, body = _post(vies_emulator.base_url, "/check-vat-number", {**DUPONT, **REQUESTER})
    assert status == 200
    assert body["valid"] is True
    assert body["countryCode"] == "FR" and body["vatNumber"] == "40303265045"
    assert re.fullmatch(r"WAPI[A-Z2-7]{12}", body["requestIdentifier"])
    assert body["name"] == "DUPONT CONSEIL SARL"
    assert body["address"] == "12 RUE DE LA PAIX\n75002 PARIS"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["requestDate"])
    # The approximate-match fields are there, not processed without trader data.
    assert body["traderName"] == "" and body["traderNameMatch"] == "NOT_PROCESSED"
    assert {"traderStreetMatch", "traderPostalCodeMatch", "traderCityMatch"} <= set(body)


def test_without_the_requester_there_is_no_consultation_number(vies_emulator):
    _status, body = _post(vies_emulator.base_url, "/check-vat-number", DUPONT)
    assert body["valid"] is True
    assert body["requestIdentifier"] == ""


def test_consultation_numbers_are_deterministic_after_a_reset(vies_emulator):
    def run():
        return [
            _post(vies_emulator.base_url, "/check-vat-number", {**DUPONT, **REQUESTER})[1][
                "requestIdentifier"
            ]
            for _ in range(3)
        ]

    first = run()
    vies_emulator.reset()
    assert run() == first
    assert len(set(first)) == 3  # each consultation has its own number
    assert vies_emulator.state()["consultations"] == 3


def test_an_invalid_number_says_so_and_discloses_nothing(vies_emulator):
    vies_emulator.set_number("ATU99999999", "invalid")
    _status, body = _post(
        vies_emulator.base_url,
        "/check-vat-number",
        {"countryCode": "AT", "vatNumber": "U99999999", **REQUESTER},
    )
    assert body["valid"] is False
    assert body["name"] == "---" and body["address"] == "---"
    assert body["requestIdentifier"].startswith("WAPI")  # the invalid answer is evidence too


def test_the_prefix_may_be_part_of_the_number(vies_emulator):
    _status, body = _post(
        vies_emulator.base_url,
        "/check-vat-number",
        {"countryCode": "FR", "vatNumber": "FR 403 032 650 45"},
    )
    assert body["valid"] is True and body["vatNumber"] == "40303265045"


def test_unknown_numbers_follow_the_configuration(vies_emulator):
    body = {"countryCode": "BE", "vatNumber": "0411905847"}
    assert _post(vies_emulator.base_url, "/check-vat-number", body)[1]["valid"] is True
    vies_emulator.config(unknown_numbers="invalid")
    assert _post(vies_emulator.base_url, "/check-vat-number", body)[1]["valid"] is False


@pytest.mark.parametrize("code", ERROR_CODES)
def test_a_number_can_answer_every_vies_error(vies_emulator, code):
    vies_emulator.set_number("FR40303265045", code)
    status, body = _post(vies_emulator.base_url, "/check-vat-number", DUPONT)
    assert status == 200
    assert body == {"actionSucceed": False, "errorWrappers": [{"error": code}]}


def test_errors_can_come_with_another_http_status(vies_emulator):
    vies_emulator.config(error_status=500)
    vies_emulator.set_number("FR40303265045", "MS_UNAVAILABLE")
    status, body = _post(vies_emulator.base_url, "/check-vat-number", DUPONT)
    assert status == 500
    assert body["errorWrappers"] == [{"error": "MS_UNAVAILABLE"}]


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("100", "valid"),
        ("200", "invalid"),
        ("201", "INVALID_INPUT"),
        ("202", "INVALID_REQUESTER_INFO"),
        ("300", "SERVICE_UNAVAILABLE"),
        ("301", "MS_UNAVAILABLE"),
        ("302", "TIMEOUT"),
        ("400", "VAT_BLOCKED"),
        ("401", "IP_BLOCKED"),
        ("500", "GLOBAL_MAX_CONCURRENT_REQ"),
        ("501", "GLOBAL_MAX_CONCURRENT_REQ_TIME"),
        ("600", "MS_MAX_CONCURRENT_REQ"),
        ("601", "MS_MAX_CONCURRENT_REQ_TIME"),
        ("999", "SERVICE_UNAVAILABLE"),
    ],
)
def test_the_test_service_answers_vies_magic_numbers(vies_emulator, number, expected):
    _status, body = _post(
        vies_emulator.base_url,
        "/check-vat-test-service",
        {"countryCode": "DE", "vatNumber": number, **REQUESTER},
    )
    if expected in ("valid", "invalid"):
        assert body["valid"] is (expected == "valid")
        assert body["requestIdentifier"]
    else:
        assert body["errorWrappers"][0]["error"] == expected


def test_the_get_lookup_uses_is_valid_and_hides_errors_in_user_error(vies_emulator):
    status, body = _get(vies_emulator.base_url, "/ms/FR/vat/40303265045")
    assert status == 200
    assert body["isValid"] is True and body["userError"] == "VALID"
    assert "valid" not in body
    vies_emulator.set_number("FR40303265045", "MS_MAX_CONCURRENT_REQ")
    status, body = _get(vies_emulator.base_url, "/ms/FR/vat/40303265045")
    assert status == 200
    assert body["isValid"] is False and body["userError"] == "MS_MAX_CONCURRENT_REQ"


def test_check_status_and_an_unavailable_member_state(vies_emulator):
    _status, body = _get(vies_emulator.base_url, "/check-status")
    assert body["vow"] == {"available": True}
    availability = {c["countryCode"]: c["availability"] for c in body["countries"]}
    assert len(availability) == 28 and set(availability.values()) == {"Available"}
    assert "EL" in availability and "GR" not in availability

    vies_emulator.set_availability("FR", "Unavailable")
    _status, body = _get(vies_emulator.base_url, "/check-status")
    assert {"countryCode": "FR", "availability": "Unavailable"} in body["countries"]
    _status, body = _post(vies_emulator.base_url, "/check-vat-number", DUPONT)
    assert body["errorWrappers"] == [{"error": "MS_UNAVAILABLE"}]


def test_faults_hit_the_next_matching_requests_then_stop(vies_emulator):
    vies_emulator.fault("MS_MAX_CONCURRENT_REQ", times=2, countryCode="FR")
    other = {"countryCode": "DE", "vatNumber": "136695976"}
    assert _post(vies_emulator.base_url, "/check-vat-number", other)[1]["valid"] is True
    answers = [_post(vies_emulator.base_url, "/check-vat-number", DUPONT)[1] for _ in range(3)]
    assert [a.get("errorWrappers", [{}])[0].get("error") for a in answers] == [
        "MS_MAX_CONCURRENT_REQ",
        "MS_MAX_CONCURRENT_REQ",
        None,
    ]
    assert answers[2]["valid"] is True
    assert vies_emulator.faults() == []


def test_a_dropped_connection_and_a_gateway_error_page(vies_emulator):
    vies_emulator.fault(action="drop")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        _post(vies_emulator.base_url, "/check-vat-number", DUPONT)
    vies_emulator.fault(action="http", status=502)
    request = urllib.request.Request(
        vies_emulator.base_url + "/check-vat-number",
        data=json.dumps(DUPONT).encode(),
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 502
    assert caught.value.headers["Content-Type"].startswith("text/html")


def test_a_slow_number_outlasts_a_short_client_timeout(vies_emulator):
    vies_emulator.set_number("FR40303265045", "valid", delay=1.0)
    started = time.monotonic()
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        _post(vies_emulator.base_url, "/check-vat-number", DUPONT, timeout=0.2)
    assert time.monotonic() - started < 0.9
    # A patient client gets the answer.
    assert _post(vies_emulator.base_url, "/check-vat-number", DUPONT)[1]["valid"] is True


def test_concurrent_requests_over_the_member_state_limit_are_refused(vies_emulator):
    vies_emulator.config(max_concurrent_per_ms=1, latency=0.4)
    answers = []

    def ask():
        answers.append(_post(vies_emulator.base_url, "/check-vat-number", DUPONT)[1])

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    codes = sorted(
        a["errorWrappers"][0]["error"] if "errorWrappers" in a else "ok" for a in answers
    )
    assert codes == ["MS_MAX_CONCURRENT_REQ", "MS_MAX_CONCURRENT_REQ", "ok"]
    time.sleep(0.5)  # the slot is free again
    vies_emulator.config(latency=0)
    assert _post(vies_emulator.base_url, "/check-vat-number", DUPONT)[1]["valid"] is True


def test_bad_input_and_bad_requesters(vies_emulator):
    base = vies_emulator.base_url
    assert _post(base, "/check-vat-number", {"countryCode": "GR", "vatNumber": "094259216"})[1][
        "errorWrappers"
    ] == [{"error": "INVALID_INPUT"}]
    assert _post(base, "/check-vat-number", {"countryCode": "FR", "vatNumber": ""})[1][
        "errorWrappers"
    ] == [{"error": "INVALID_INPUT"}]
    status, body = _post(base, "/check-vat-number", b"{not json")
    assert status == 400 and body["errorWrappers"] == [{"error": "INVALID_INPUT"}]
    half = {**DUPONT, "requesterMemberStateCode": "DE"}
    assert _post(base, "/check-vat-number", half)[1]["errorWrappers"] == [
        {"error": "INVALID_REQUESTER_INFO"}
    ]
    vies_emulator.set_number("DE136695976", "invalid")
    assert _post(base, "/check-vat-number", {**DUPONT, **REQUESTER})[1]["errorWrappers"] == [
        {"error": "INVALID_REQUESTER_INFO"}
    ]


def test_the_real_base_path_works_too(vies_emulator):
    path = "/taxation_customs/vies/rest-api/check-vat-number"
    assert _post(vies_emulator.base_url, path, DUPONT)[1]["valid"] is True


def test_the_request_log_and_reset(vies_emulator):
    _post(vies_emulator.base_url, "/check-vat-number", {**DUPONT, **REQUESTER})
    logged = vies_emulator.requests(path="/check-vat-number")
    assert logged[-1]["body"] == {**DUPONT, **REQUESTER}
    assert logged[-1]["response"]["valid"] is True
    vies_emulator.set_number("FR40303265045", "invalid")
    vies_emulator.reset()
    assert vies_emulator.requests() == []
    assert _post(vies_emulator.base_url, "/check-vat-number", DUPONT)[1]["valid"] is True


def test_control_endpoints_refuse_nonsense(vies_emulator):
    with pytest.raises(RuntimeError, match="unknown config keys"):
        vies_emulator.config(nonsense=1)
    with pytest.raises(RuntimeError, match="behavior must be one of"):
        vies_emulator.set_number("FR40303265045", "maybe")
    with pytest.raises(RuntimeError, match="error must be one of"):
        vies_emulator.fault("NOT_A_CODE")


def test_the_dashboard_shows_and_changes_the_registry(vies_emulator):
    with urllib.request.urlopen(vies_emulator.base_url + "/_emulator/", timeout=5) as page:
        html = page.read().decode()
    assert "VIES emulator" in html and "FR40303265045" in html
    form = b"form=number&vat_id=IT00743110157&behavior=MS_UNAVAILABLE&name=&address="
    request = urllib.request.Request(
        vies_emulator.base_url + "/_emulator/dashboard", data=form, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as page:  # follows the 303
        assert "IT00743110157 now answers MS_UNAVAILABLE" in page.read().decode()
    body = {"countryCode": "IT", "vatNumber": "00743110157"}
    assert _post(vies_emulator.base_url, "/check-vat-number", body)[1]["errorWrappers"] == [
        {"error": "MS_UNAVAILABLE"}
    ]


def test_it_imports_nothing_of_django_or_the_product():
    code = (
        "import sys; import emulators.vies as e; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'stripe', 'mspercury',"
        " 'billing', 'customers', 'quotes', 'portal') or m == 'integrations.vies.client']; "
        "print(bad)"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_python_m_emulators_vies_serves_until_sigterm(tmp_path):
    numbers = tmp_path / "numbers.json"
    numbers.write_text(
        json.dumps([{"countryCode": "NL", "vatNumber": "004495445B01", "behavior": "invalid"}])
    )
    with EmulatorServer(port=0) as probe:  # a free port, released again
        port = probe.port
    root = Path(__file__).resolve().parents[3]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulators.vies",
            *("--port", str(port), "--numbers", str(numbers)),
        ],
        cwd=root,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        assert f"VIES emulator listening on http://127.0.0.1:{port}" in first
        base = f"http://127.0.0.1:{port}"
        body = {"countryCode": "NL", "vatNumber": "004495445B01"}
        assert _post(base, "/check-vat-number", body)[1]["valid"] is False
        assert _post(base, "/check-vat-number", DUPONT)[1]["valid"] is True  # the defaults stay
    finally:
        process.terminate()
        out, _err = process.communicate(timeout=10)
    assert "VIES emulator stopped." in out
