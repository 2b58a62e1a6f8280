"""sevDesk faults on demand, the configurable limits, the clock, the request log, and
`python -m emulators.sevdesk`."""

import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.error
from datetime import datetime
from pathlib import Path

import pytest

from emulators.sevdesk import DEFAULT_TOKEN, EmulatorServer
from tests.emulators.sevdesk.helpers import create_contact, create_invoice, invoice_payload, sd
from tests.emulators.wire import call

SAVE = "/Invoice/Factory/saveInvoice"
NOTE = "customerIntenalNote=MSP-t1-Q-2027-0001-2027-01"


def test_a_504_after_the_invoice_was_saved(sevdesk_emulator):
    contact_id = create_contact(sevdesk_emulator)
    sevdesk_emulator.fault("timeout_after_write", "/api/v1/Invoice/Factory/saveInvoice")
    answer = sd(sevdesk_emulator, "POST", SAVE, invoice_payload(contact_id))
    assert answer.status == 504
    assert answer.headers["Content-Type"] == "text/html"
    # The client finds what it may have created by the reference it wrote.
    found = sd(sevdesk_emulator, "GET", f"/Invoice?{NOTE}").json["objects"]
    assert len(found) == 1


def test_an_error_before_the_write_and_a_lost_answer_after_it(sevdesk_emulator):
    contact_id = create_contact(sevdesk_emulator)
    sevdesk_emulator.fault("error", "/api/v1/Invoice/*", method="POST", status=500)
    failed = sd(sevdesk_emulator, "POST", SAVE, invoice_payload(contact_id))
    assert failed.status == 500 and set(failed.json["error"]) == {"message", "exceptionUUID"}
    assert sd(sevdesk_emulator, "GET", f"/Invoice?{NOTE}").json["objects"] == []

    sevdesk_emulator.fault("drop_after_write", "/api/v1/Invoice/Factory/saveInvoice")
    with pytest.raises((http.client.RemoteDisconnected, urllib.error.URLError, ConnectionError)):
        sd(sevdesk_emulator, "POST", SAVE, invoice_payload(contact_id))
    assert len(sd(sevdesk_emulator, "GET", f"/Invoice?{NOTE}").json["objects"]) == 1
    assert [f["fired"] for f in sevdesk_emulator.faults()] == [1, 1]


def test_a_configured_rate_limit_answers_429_without_executing(sevdesk_emulator):
    sevdesk_emulator.config(rate_limit=2.0, rate_limit_burst=2.0)
    answers = [
        sd(sevdesk_emulator, "POST", "/Contact",
           {"name": f"K{i}", "category": {"id": 3, "objectName": "Category"}})
        for i in range(8)
    ]  # fmt: skip
    statuses = [a.status for a in answers]
    assert statuses[:2] == [201, 201] and 429 in statuses
    sevdesk_emulator.config(rate_limit=0)
    created = sd(sevdesk_emulator, "GET", "/Contact?countAll=true").json["total"]
    assert int(created) == statuses.count(201)


def test_a_token_is_blocked_after_repeated_errors(sevdesk_emulator):
    sevdesk_emulator.config(error_block_threshold=3, error_block_seconds=60)
    for _ in range(3):
        assert sd(sevdesk_emulator, "POST", "/Contact", {"name": "ohne"}).status == 400
    blocked = sd(sevdesk_emulator, "GET", "/Contact")
    assert blocked.status == 429 and "blocked" in blocked.json["error"]["message"]
    sevdesk_emulator.advance(61)
    assert sd(sevdesk_emulator, "GET", "/Contact").status == 200


def test_the_clock_stamps_create_and_update(sevdesk_emulator):
    contact_id = create_contact(sevdesk_emulator)
    sevdesk_emulator.advance(days=31)
    invoice = create_invoice(sevdesk_emulator, contact_id)
    created = datetime.fromisoformat(invoice["create"]).timestamp()
    assert created >= time.time() + 30 * 86400
    assert sevdesk_emulator.state()["clock"]["offset"] >= 31 * 86400


def test_the_request_log_counts_calls(sevdesk_emulator):
    contact_id = create_contact(sevdesk_emulator)
    create_invoice(sevdesk_emulator, contact_id)
    sd(sevdesk_emulator, "GET", "/Invoice")
    saves = sevdesk_emulator.requests(method="POST", path="/api/v1/Invoice/*")
    assert [(r["path"], r["status"]) for r in saves] == [
        ("/api/v1/Invoice/Factory/saveInvoice", 201)
    ]
    assert len(sevdesk_emulator.requests()) == 3


def test_python_m_emulators_sevdesk_serves_until_sigterm():
    with EmulatorServer(port=0) as probe:
        port = probe.port
    root = Path(__file__).resolve().parents[3]
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.sevdesk", "--port", str(port)],
        cwd=root,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert f"http://127.0.0.1:{port}" in process.stdout.readline()
        answer = call(f"http://127.0.0.1:{port}/api/v1", "GET", "/SevUser",
                      headers={"Authorization": DEFAULT_TOKEN})  # fmt: skip
        assert answer.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert process.returncode == 0
