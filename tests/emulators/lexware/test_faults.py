"""Lexware's rate limit, faults on demand (the write that lands before a 504), the request log,
and `python -m emulators.lexware`."""

import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

import pytest

from emulators.lexware import EmulatorServer
from tests.emulators.lexware.helpers import contact_body, create_contact, invoice_body, lx

VOUCHERS = "/v1/voucherlist?voucherType=invoice&voucherStatus=any"


def test_two_requests_per_second_then_429_without_executing(lexware_emulator):
    lexware_emulator.config(rate_limit=2.0, rate_limit_burst=2.0)
    answers = [lx(lexware_emulator, "POST", "/v1/contacts", contact_body()) for _ in range(6)]
    statuses = [a.status for a in answers]
    assert statuses[:2] == [201, 201]
    assert 429 in statuses
    limited = next(a for a in answers if a.status == 429)
    assert limited.json == {"message": "Too Many Requests"}
    created = statuses.count(201)
    lexware_emulator.config(rate_limit=0)
    listed = lx(lexware_emulator, "GET", "/v1/contacts?customer=true").json
    assert listed["totalElements"] == created  # a 429 performed nothing
    # The log says which were limited.
    outcomes = [r.get("outcome") for r in lexware_emulator.requests(method="POST")]
    assert outcomes.count("rate_limited") == statuses.count(429)


def test_the_bucket_is_per_key_and_refills_at_the_rate(lexware_emulator):
    # A slow rate, so a loaded machine can't refill the bucket between the calls.
    lexware_emulator.config(rate_limit=0.5, rate_limit_burst=2.0)
    lexware_emulator.add_key("other-key")
    for _ in range(2):
        assert lx(lexware_emulator, "GET", "/v1/profile").status == 200
    assert lx(lexware_emulator, "GET", "/v1/profile").status == 429
    assert lx(lexware_emulator, "GET", "/v1/profile", key="other-key").status == 200
    time.sleep(2.1)
    assert lx(lexware_emulator, "GET", "/v1/profile").status == 200


def test_a_504_after_the_write_landed(lexware_emulator):
    contact_id = create_contact(lexware_emulator)
    fault = lexware_emulator.fault("timeout_after_write", "/v1/invoices", method="POST")
    assert fault["kind"] == "timeout_after_write" and fault["count"] == 1
    answer = lx(lexware_emulator, "POST", "/v1/invoices?finalize=true", invoice_body(contact_id))
    assert answer.status == 504
    assert answer.json == {"message": "Endpoint request timed out"}
    # "It is possible that your request has been processed successfully": it was.
    found = lx(lexware_emulator, "GET", f"{VOUCHERS}&contactId={contact_id}").json["content"]
    assert len(found) == 1 and found[0]["voucherNumber"] == "RE1001"
    # The fault fired once; the next create answers normally.
    again = lx(lexware_emulator, "POST", "/v1/invoices?finalize=true", invoice_body(contact_id))
    assert again.status == 201
    assert lexware_emulator.faults()[0]["fired"] == 1


def test_an_error_before_the_write_creates_nothing(lexware_emulator):
    contact_id = create_contact(lexware_emulator)
    lexware_emulator.fault("error", "/v1/invoices", count=2, status=503)
    for _ in range(2):
        answer = lx(
            lexware_emulator, "POST", "/v1/invoices?finalize=true", invoice_body(contact_id)
        )
        assert answer.status == 503
    assert lx(lexware_emulator, "GET", VOUCHERS).json["totalElements"] == 0
    assert lx(lexware_emulator, "POST", "/v1/invoices", invoice_body(contact_id)).status == 201


def test_a_lost_answer_after_the_write(lexware_emulator):
    contact_id = create_contact(lexware_emulator)
    lexware_emulator.fault("drop_after_write", "/v1/invoices")
    with pytest.raises((http.client.RemoteDisconnected, urllib.error.URLError, ConnectionError)):
        lx(lexware_emulator, "POST", "/v1/invoices?finalize=true", invoice_body(contact_id))
    assert lx(lexware_emulator, "GET", VOUCHERS).json["totalElements"] == 1


def test_faults_match_endpoint_pattern_and_method(lexware_emulator):
    invoice_id = None
    contact_id = create_contact(lexware_emulator)
    lexware_emulator.fault("error", "/v1/invoices/*", method="GET", count=None)
    created = lx(lexware_emulator, "POST", "/v1/invoices?finalize=true", invoice_body(contact_id))
    invoice_id = created.json["id"]
    for _ in range(3):
        assert lx(lexware_emulator, "GET", f"/v1/invoices/{invoice_id}").status == 500
    lexware_emulator.clear_faults()
    assert lx(lexware_emulator, "GET", f"/v1/invoices/{invoice_id}").status == 200


def test_the_request_log_counts_calls(lexware_emulator):
    contact_id = create_contact(lexware_emulator)
    lx(lexware_emulator, "POST", "/v1/invoices", invoice_body(contact_id))
    lx(lexware_emulator, "GET", "/v1/contacts?customer=true")
    assert len(lexware_emulator.requests()) == 3
    posts = lexware_emulator.requests(method="POST", path="/v1/invoices*")
    assert [(r["method"], r["path"], r["status"]) for r in posts] == [("POST", "/v1/invoices", 201)]
    assert posts[0]["outcome"] == "executed"
    lexware_emulator.clear_requests()
    assert lexware_emulator.requests() == []


def test_python_m_emulators_lexware_serves_until_sigterm():
    with EmulatorServer(port=0, config={"signing_key_bits": 1024}) as probe:
        port = probe.port
    root = Path(__file__).resolve().parents[3]
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.lexware", "--port", str(port), "--rate-limit", "0"],
        cwd=root,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in banner
        base = f"http://127.0.0.1:{port}"
        from tests.emulators.wire import call

        answer = call(base, "POST", "/v1/contacts", contact_body(),
                      {"Authorization": "Bearer lexware-emulator-key"})  # fmt: skip
        assert answer.status == 201
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert process.returncode == 0
