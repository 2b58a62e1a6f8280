"""The shared Stripe throttle: evenly spaced slots at the account's limit, across workers."""

import itertools
import threading
import time

from integrations.stripe import throttle
from integrations.stripe.client import call, make_client


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_it_spaces_slots_at_the_mode_s_limit():
    """Test mode: 25 per second (aimed at 98 %); live mode: 100."""
    assert throttle.limit_for("test") == 25 and throttle.limit_for("live") == 100
    assert abs(throttle.interval_for("test") - 1 / 24.5) < 1e-9
    assert abs(throttle.interval_for("live") - 1 / 98) < 1e-9


def test_it_takes_its_limits_from_the_setting(settings):
    settings.MSPERCURY_STRIPE_RATE_LIMITS = {"live": 50}
    assert throttle.limit_for("live") == 50 and throttle.limit_for("test") == 25


def test_the_local_schedule_hands_out_consecutive_slots():
    """Without Redis (the demo), callers in one process share the schedule the same way."""
    schedule = throttle._LocalSchedule()
    clock = FakeClock()
    waits = [schedule.reserve("k", 0.04, 0.0, clock) for _ in range(5)]
    assert [round(w, 6) for w in waits] == [0.0, 0.04, 0.08, 0.12, 0.16]
    clock.now += 1  # idle for a second: no burst is saved up
    assert schedule.reserve("k", 0.04, 0.0, clock) == 0.0
    assert round(schedule.reserve("k", 0.04, 0.0, clock), 6) == 0.04
    schedule.reserve("k", 0.04, 0.5, clock)  # a 429 pushes the next slot back
    assert round(schedule.reserve("k", 0.04, 0.0, clock), 6) == 0.58


def test_redis_hands_out_one_schedule_for_every_caller(settings):
    """Reservations in Redis (the test settings use it) follow each other by one interval, and
    a 429 moves every caller's next slot back by one more."""
    settings.MSPERCURY_STRIPE_RATE_LIMITS = {"test": 10}
    account = f"acct_sched_{time.time_ns()}"
    waits = [throttle._reserve(account, "test", 0.0, time.time) for _ in range(20)]
    steps = [b - a for a, b in itertools.pairwise(waits)]
    interval = throttle.interval_for("test")
    assert all(abs(step - interval) < 0.01 for step in steps), steps
    throttle.rate_limited(account, "test")
    after = throttle._reserve(account, "test", 0.0, time.time)
    assert abs(after - (waits[-1] + 2 * interval)) < 0.02


def test_several_workers_stay_under_the_limit_without_429s(stripe_api, settings):
    """Six workers hammering one account never outrun its limit: every request arrives, the
    emulator, which enforces the limit, never answers 429, and the requests span at least the
    time their slots take. How close they come to the limit depends on the machine; that is
    measured by bench/throttle.py, not asserted here."""
    limit = 100
    settings.MSPERCURY_STRIPE_RATE_LIMITS = {"test": limit}
    stripe_api.config(rate_limit_enabled=True, rate_limit_test=limit)
    account = f"acct_workers_{time.time_ns()}"
    stripe_api.clear_requests()
    per_worker, workers = 40, 6
    errors = []

    def worker():
        client = make_client("sk_test_emulator", max_network_retries=0)
        for _ in range(per_worker):
            throttle.wait_for_slot(account, "test")
            try:
                call(lambda: client.v1.customers.list({"limit": 1}))
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        stripe_api.config(rate_limit_enabled=False)
    requests = stripe_api.requests(path="/v1/customers")
    assert errors == []
    assert len(requests) == per_worker * workers
    assert [r for r in requests if r["status"] == 429] == []
    received = sorted(r["received"] for r in requests)
    span = received[-1] - received[0]
    slots = (len(received) - 1) * throttle.interval_for("test")
    assert span >= 0.99 * slots, (span, slots)


def test_waiting_sleeps_until_the_reserved_slot(monkeypatch):
    """A caller whose slot lies ahead sleeps exactly that long; one whose slot is now does not
    sleep at all."""
    clock = FakeClock()
    slept = []
    account = f"acct_sleep_{time.time_ns()}"

    def sleep(seconds):
        slept.append(seconds)
        clock.sleep(seconds)

    monkeypatch.setattr(throttle, "_redis", lambda: None)  # the in-process schedule
    first = throttle.wait_for_slot(account, "live", sleep=sleep, clock=clock)
    second = throttle.wait_for_slot(account, "live", sleep=sleep, clock=clock)
    interval = throttle.interval_for("live")
    assert first == 0.0 and abs(second - interval) < 1e-9
    assert len(slept) == 1 and abs(slept[0] - interval) < 1e-9
