"""Throttle benchmark: how close several workers sharing one Stripe account come to its limit.

Starts the Stripe emulator with its rate limit on, lets worker threads call it through the shared
throttle (`integrations/stripe/throttle.py`; in Redis when REDIS_URL is set, else in-process) and
prints requests per second, their ratio to the limit and the 429 answers. The test suite checks
the behaviour (spacing, no 429, back-off); the speed depends on the machine and is measured here.

    .venv/bin/python bench/throttle.py [--limit 100] [--workers 6] [--per-worker 40] [--runs 3]
"""

import argparse
import threading
import time

from _setup import setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=100, help="requests per second")
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--per-worker", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    teardown = setup_django()
    try:
        run(args.limit, args.workers, args.per_worker, args.runs)
    finally:
        teardown()


def _drive(account: str, workers: int, per_worker: int) -> tuple[float, list]:
    from integrations.stripe import throttle
    from integrations.stripe.client import call, make_client

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
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, errors


def run(limit: int, workers: int, per_worker: int, runs: int):
    from django.conf import settings

    from emulators.stripe import ControlClient, EmulatorServer
    from integrations.stripe import throttle

    server = EmulatorServer(port=0, config={"rate_limit_enabled": True, "rate_limit_test": limit})
    base = server.start()
    settings.MSPERCURY_STRIPE_API_BASE = base
    settings.MSPERCURY_STRIPE_RATE_LIMITS = {"test": limit}
    emulator = ControlClient(base)
    where = "Redis" if throttle._redis() is not None else "in-process"
    print(f"Throttle benchmark: limit {limit}/s, {workers} workers × {per_worker}, {where}")
    try:
        for number in range(1, runs + 1):
            emulator.clear_requests()
            elapsed, errors = _drive(f"acct_bench_{time.time_ns()}", workers, per_worker)
            requests = emulator.requests(path="/v1/customers")
            limited = sum(1 for r in requests if r.get("status") == 429)
            rate = len(requests) / elapsed
            print(
                f"  run {number}: {len(requests)} requests in {elapsed:.2f} s, "
                f"{rate:.1f}/s ({rate / limit:.1%} of the limit), {limited} × 429, "
                f"{len(errors)} errors"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
