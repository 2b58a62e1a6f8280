"""Push benchmark against the Stripe emulator with added latency per call.

Reports Stripe calls per push (first push for a customer, and a repeat customer), the overhead per
push beyond calls × latency, and a bulk run of many quotes drained by several worker processes
under test mode's rate limit (25 requests per second, enforced by the emulator): calls per second,
their ratio to the limit, 429 answers and failed pushes. Every run checks that the preview counted
exactly what the push created or reused (customers, products, prices, subscriptions, invoices).

With REDIS_URL the workers are processes sharing the throttle in Redis (like Celery workers);
without it, threads in one process.

    .venv/bin/python bench/push.py [--latency-ms 50] [--bulk 200] [--workers 8]
"""

import argparse
import time

from _setup import setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--bulk", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8, help="worker processes for the bulk")
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="test-mode rate limit for the emulator and the throttle (default: Stripe's 25/s); "
        "a high value shows what the machine itself can drive",
    )
    args = parser.parse_args()
    teardown = setup_django()
    try:
        if args.limit:
            from django.conf import settings

            settings.MSPERCURY_STRIPE_RATE_LIMITS = {"test": args.limit}
        run(args.latency_ms, args.bulk, args.workers)
    finally:
        teardown()


def _fixtures():
    from tests import factories

    workspace = factories.german_msp(factories.workspace("Bench IT"))
    factories.stripe_connection(workspace)
    services = factories.catalog(workspace)

    def customer(i):
        return factories.customer(
            workspace, "FR", company_name=f"Customer {i} SARL", email=f"c{i}@example.org"
        )

    return workspace, services, customer


def _accepted_quote(workspace, services, customer):
    """The seed's mixed quote (tests.factories.MIXED_LINES), accepted."""
    from tests import factories

    quote = factories.quote(
        workspace, customer, factories.MIXED_LINES, services=services, currency="EUR"
    )
    factories.accept(quote, name="Bench")
    quote.refresh_from_db()
    return quote


def _push(quote):
    from integrations.push.actions import do_start_push
    from integrations.push.executor import execute_push

    started = time.perf_counter()
    push, _ = do_start_push(None, quote)  # with in-process Celery this already runs the push
    result = execute_push(push.pk)
    elapsed = time.perf_counter() - started
    assert result == "succeeded", push.error
    push.refresh_from_db()
    return push, elapsed


KINDS = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "subscriptions": "subscription",
    "invoices": "invoice",
}


def _preview(quote, connection) -> dict:
    from integrations.push.executor import build_plan

    plan = build_plan(quote, connection, send_now=False)
    assert not plan.blocked, plan.problems
    return {name: (c.create, c.reuse) for name, c in plan.counts.items()}


def _actual(before: dict, after: dict, pushes) -> dict:
    """What the pushes made at Stripe (new objects per kind) and which customers and products
    they used that existed before."""
    from integrations.models import PushStep

    steps = list(PushStep.objects.filter(push__in=pushes).values_list("key", "stripe_id"))
    reused_customers = sum(
        1 for key, sid in steps if key == "customer" and sid in before.get("customer", ())
    )
    reused_products = sum(
        1 for key, sid in steps if key.startswith("product:") and sid in before.get("product", ())
    )
    reused = {"customers": reused_customers, "products": reused_products}
    return {
        name: (len(after.get(kind, set()) - before.get(kind, set())), reused.get(name, 0))
        for name, kind in KINDS.items()
    }


def _sum(counts: list[dict]) -> dict:
    return {name: tuple(sum(c[name][i] for c in counts) for i in (0, 1)) for name in KINDS}


def _fmt(counts: dict) -> str:
    return ", ".join(f"{name} {new} new/{old} reused" for name, (new, old) in counts.items())


def _check(label: str, preview: dict, actual: dict) -> None:
    same = preview == actual
    print(f"    {label} preview: {_fmt(preview)}")
    print(f"    {label} actual:  {_fmt(actual)}  -> preview == actual: {same}")
    assert same, (preview, actual)


def _sustained_rate(requests) -> float:
    """Calls per second while every worker is busy: the middle 80 % of the calls, leaving out
    the start (workers plan their first push) and the tail (the last pushes run alone)."""
    times = sorted(r["received"] for r in requests)
    if len(times) < 10:
        return 0.0
    low, high = len(times) // 10, len(times) - 1 - len(times) // 10
    return (high - low) / max(times[high] - times[low], 1e-9)


def _work(queue, results):
    """One worker (a process, like a Celery worker): run pushes until the queue is empty."""
    from django.db import connections

    from integrations.push.executor import execute_push
    from mspercury.tenancy import workspace_context

    connections.close_all()  # never share the parent's database connection
    while True:
        item = queue.get()
        if item is None:
            break
        workspace_pk, push_pk = item
        with workspace_context(workspace_pk):
            results.put((push_pk, execute_push(push_pk)))
    connections.close_all()


def _bulk(connection, quotes, workers: int):
    """Start every push (enqueue captured), then let ``workers`` processes drain them."""
    import multiprocessing

    from django.conf import settings
    from django.db import connections

    from integrations.push import actions

    queued = []
    enqueue = actions._enqueue
    actions._enqueue = lambda push: queued.append((push.workspace_id, push.pk))
    try:
        pushes = [actions.do_start_push(None, quote)[0] for quote in quotes]
    finally:
        actions._enqueue = enqueue
    shared = bool(getattr(settings, "REDIS_URL", None))
    context = multiprocessing.get_context("fork" if shared else "spawn")
    if not shared:
        # Without Redis the throttle's schedule lives in one process: use threads instead.
        import queue as queue_module
        import threading

        jobs, results = queue_module.Queue(), queue_module.Queue()
        runners = [threading.Thread(target=_work, args=(jobs, results)) for _ in range(workers)]
    else:
        jobs, results = context.Queue(), context.Queue()
        runners = [context.Process(target=_work, args=(jobs, results)) for _ in range(workers)]
    for item in queued:
        jobs.put(item)
    for _ in runners:
        jobs.put(None)
    connections.close_all()
    started = time.perf_counter()
    for runner in runners:
        runner.start()
    outcomes = [results.get() for _ in queued]
    for runner in runners:
        runner.join()
    elapsed = time.perf_counter() - started
    return pushes, dict(outcomes), elapsed, "processes" if shared else "threads"


def run(latency_ms: int, bulk: int, workers: int):
    from django.conf import settings

    from emulators.stripe import ControlClient, EmulatorServer
    from integrations.models import Push, StripeConnection
    from integrations.stripe import throttle

    server = EmulatorServer(port=0, config={"rate_limit_enabled": False})
    base = server.start()
    settings.MSPERCURY_STRIPE_API_BASE = base
    emulator = ControlClient(base)
    try:
        workspace, services, new_customer = _fixtures()
        connection = StripeConnection.objects.for_workspace(workspace)
        emulator.fault("latency", path="/v1/*", count=None, latency_ms=latency_ms)
        print(f"Push benchmark: emulator latency {latency_ms} ms per call")
        customer = new_customer(0)
        for label in ("first push (new customer)", "repeat customer"):
            quote = _accepted_quote(workspace, services, customer)
            preview = _preview(quote, connection)
            before = emulator.object_ids()
            emulator.clear_requests()
            push, elapsed = _push(quote)
            calls = len(emulator.requests())
            overhead = elapsed - calls * latency_ms / 1000
            print(
                f"  {label}: {calls} Stripe calls, {elapsed:.2f} s, "
                f"overhead beyond calls × latency {overhead * 1000:.0f} ms"
            )
            _check(label, preview, _actual(before, emulator.object_ids(), [push]))

        if not bulk:
            return
        limit = throttle.limit_for(connection.mode)
        emulator.config(rate_limit_enabled=True, rate_limit_test=int(limit))
        quotes = [_accepted_quote(workspace, services, new_customer(i + 1)) for i in range(bulk)]
        previews = [_preview(quote, connection) for quote in quotes]
        before = emulator.object_ids()
        emulator.clear_requests()
        pushes, outcomes, elapsed, how = _bulk(connection, quotes, workers)
        requests = emulator.requests()
        limited = sum(1 for r in requests if r.get("status") == 429)
        failed = Push.objects.filter(pk__in=[p.pk for p in pushes]).exclude(status="succeeded")
        rate = len(requests) / elapsed
        sustained = _sustained_rate(requests)
        print(
            f"  bulk: {bulk} quotes (new customers), {workers} workers ({how}), "
            f"{elapsed:.1f} s, {len(requests)} calls ({rate:.1f}/s overall, "
            f"{sustained:.1f}/s sustained), ratio to the {connection.mode}-mode limit of "
            f"{limit:.0f}/s: {rate / limit:.1%} overall, {sustained / limit:.1%} sustained, "
            f"429 answers: {limited}, failed pushes: {failed.count()}"
        )
        _check("bulk", _sum(previews), _actual(before, emulator.object_ids(), pushes))
        assert set(outcomes.values()) == {"succeeded"}, outcomes
    finally:
        server.stop()


if __name__ == "__main__":
    main()
