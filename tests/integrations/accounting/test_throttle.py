"""Lexware's 2 requests per second per key, kept by every worker through one Redis schedule."""

import itertools
import os
import subprocess
import sys
import threading
import time

import pytest

from integrations.accounting.http import RateLimited, retry_after
from integrations.accounting.throttle import SHARE, Throttle, key_ref
from integrations.lexware.client import LexwareClient
from integrations.sevdesk.client import SevdeskClient

KEY = "lexware-emulator-key"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def hammer(base_url, rate, calls, failures):
    """What one worker does: its own client (its own Throttle), ``calls`` requests."""
    client = LexwareClient(KEY, base_url=base_url, rate=rate)
    for _ in range(calls):
        try:
            client.profile()
        except RateLimited as limited:
            failures.append(limited)


def run_two_workers(base_url, rate, calls=4):
    failures: list[RateLimited] = []
    threads = [
        threading.Thread(target=hammer, args=(base_url, rate, calls, failures)) for _ in range(2)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures, time.monotonic() - started


@pytest.fixture
def lexware_at_its_limit(lexware_emulator):
    lexware_emulator.config(rate_limit=2, rate_limit_burst=2)
    lexware_emulator.clear_requests()
    return lexware_emulator


def test_two_workers_stay_within_2_requests_per_second(lexware_at_its_limit):
    """8 requests from two threads, each with its own client: no 429 from Lexware's token
    bucket, 7 intervals of ≥ 0.5 s, never three requests within a second."""
    cache_key = Throttle("lexware", KEY, 2).key
    failures, elapsed = run_two_workers(lexware_at_its_limit.base_url, rate=2)
    assert failures == []
    log = lexware_at_its_limit.requests(path="/v1/profile")
    assert [entry["outcome"] for entry in log] == ["executed"] * 8
    arrivals = sorted(entry["at"] for entry in log)
    assert arrivals[-1] - arrivals[0] >= 7 * 0.5 - 0.05
    assert all(b - a >= 0.9 for a, b in zip(arrivals, arrivals[2:], strict=False))
    assert elapsed >= 3.4
    assert KEY not in cache_key and key_ref(KEY) in cache_key


WORKER = """
import django, sys
django.setup()
from integrations.accounting.http import RateLimited
from integrations.lexware.client import LexwareClient
client = LexwareClient(sys.argv[1], base_url=sys.argv[2], rate=2)
for _ in range(4):
    try:
        client.profile()
    except RateLimited:
        print("429")
"""


def test_two_processes_share_one_schedule_through_redis(lexware_at_its_limit):
    """Two worker processes (each its own interpreter, the schedule only in Redis)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mspercury.settings"}
    args = [sys.executable, "-c", WORKER, KEY, lexware_at_its_limit.base_url]
    workers = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE) for _ in range(2)]
    outputs = [worker.communicate(timeout=60)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0]
    assert b"429" not in b"".join(outputs)
    log = lexware_at_its_limit.requests(path="/v1/profile")
    assert [entry["outcome"] for entry in log] == ["executed"] * 8
    arrivals = sorted(entry["at"] for entry in log)
    assert all(b - a >= 0.9 for a, b in zip(arrivals, arrivals[2:], strict=False))


def test_without_the_throttle_the_same_workers_are_refused(lexware_at_its_limit):
    """The control: the same two workers unthrottled run into Lexware's 429."""
    failures, _elapsed = run_two_workers(lexware_at_its_limit.base_url, rate=0)
    assert failures and all(f.status == 429 for f in failures)


def test_a_429_moves_everyone_s_next_slot_back():
    throttle = Throttle("lexware", f"key-{time.time_ns()}", 2)
    waits = [throttle._reserve(0.0) for _ in range(3)]
    interval = 1 / (2 * SHARE)
    assert all(abs((b - a) - interval) < 0.02 for a, b in itertools.pairwise(waits))
    throttle.rate_limited(1.0)
    assert abs(throttle._reserve(0.0) - (waits[-1] + interval + 1.0)) < 0.05


def test_the_clients_keep_the_configured_pace(settings):
    """Lexware: 2 per second by default (aimed at 98 %); sevDesk: our own 5; 0 turns it off."""
    lexware = LexwareClient(KEY).http.throttle
    assert abs(lexware.interval - 1 / (2 * SHARE)) < 1e-9
    assert abs(SevdeskClient("t" * 32).http.throttle.interval - 1 / (5 * SHARE)) < 1e-9
    settings.MSPERCURY_LEXWARE_RATE_LIMIT = 0
    assert LexwareClient(KEY).http.throttle is None


def test_without_redis_the_schedule_lives_in_the_process(monkeypatch):
    monkeypatch.setattr("integrations.accounting.throttle._redis", lambda: None)
    clock = FakeClock()
    slept = []
    throttle = Throttle("lexware", f"local-{time.time_ns()}", 2, sleep=slept.append, clock=clock)
    waits = [round(throttle.wait(), 4) for _ in range(3)]
    assert waits == [0.0, 0.5102, 1.0204]
    assert [round(s, 4) for s in slept] == [0.5102, 1.0204]
    clock.now += 5  # idle: no burst is saved up
    assert throttle.wait() == 0.0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [({"Retry-After": "3"}, 3.0), ({}, 1.0), ({"Retry-After": "soon"}, 1.0)],
)
def test_retry_after_is_read_from_the_header_or_one_second(headers, seconds):
    assert retry_after(headers) == seconds
