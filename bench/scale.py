"""At scale (issue 25): pages over 100,000 invoices, webhook intake under load, the month-end
storm with one and two Celery workers, every figure as a ratio in one run.

    .venv/bin/python bench/scale.py --small                 # a quick try (1/10 of the sizes)
    .venv/bin/python bench/scale.py                         # the issue's sizes, all parts
    .venv/bin/python bench/scale.py --part pages --keep     # one part; keep the database
    .venv/bin/python bench/scale.py --part storm --reuse    # reuse the kept database

Needs PostgreSQL (15+ for pg_stat_database.sessions), Redis and, for the intake, wrk
(Debian/Ubuntu: `apt-get install wrk`). It creates its own database (``--db-name``, default
mspercury_scale; dropped at the end unless ``--keep``) and uses one Redis database
(``--redis-url``, default db 5), which it empties before the intake and the storm.

Parts:
- pages: a large workspace (2,000 customers, 100,000 mirrored invoices, about 93,000 payments
  and 165,000 supply records) and a twin with 10 invoices; each page requested by an owner
  through Django's test client: the invoices list (first page, a deep page, a search by
  number, a customer filter), the dashboard, the VAT report of the last complete quarter, the EC
  Sales List (CSV) and the DATEV preview of the quarter's last month. Median ms, ratio
  large/twin, SQL statements of each and page size.
- intake: gunicorn (gunicorn.conf.py, 2 workers) on a free port; wrk against GET /healthz and
  against the large workspace's webhook URL with pre-signed, distinct Stripe events; req/s,
  ratio, p99, answers by status and events stored against 2xx answered.
- storm: ``invoice.*`` events of the in-process Stripe emulator (customers with monthly
  subscriptions, a month advanced) stored as received events and queued for
  ``process_stripe_event``, drained by one Celery worker, then (mirror reset) by two; events/s,
  ratio, lost, processed twice, PostgreSQL sessions per 1,000 events, Stripe requests per event.
Then a summary of every ratio against the issue's targets.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
ENCRYPTION_KEYS = "v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
API_VERSION = "2026-10-28.endive"
WRK_INSTALL = "wrk is not installed: `apt-get install wrk` (Debian/Ubuntu package `wrk`)"


# --- pure helpers (tests/bench/test_scale_helpers.py) ---------------------------------------------


def stripe_signature(secret: str, body: bytes, timestamp: int) -> str:
    """The Stripe-Signature header Stripe sends: t=<unix time>,v1=HMAC-SHA256(secret, "t.body")."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def lua_long_string(text: str) -> str:
    """``text`` as a Lua long string literal whose brackets do not occur in it."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


NEXT_TEXT = re.compile(r"next|older|weiter|ältere|→|&rarr;", re.IGNORECASE)
PAGING_PARAM = re.compile(r"[?&](page|cursor|after|before|older)=", re.IGNORECASE)


def next_link(page_html: str, path: str) -> str | None:
    """The href of the list's "next"/"older" link: rel="next" first, else a link that carries a
    paging parameter and says next/older; relative query strings resolved against ``path``."""
    anchors = re.findall(r"<a\b([^>]*)>(.*?)</a>", page_html, re.IGNORECASE | re.DOTALL)
    found = None
    for attrs, text in anchors:
        href = re.search(r'href="([^"]*)"', attrs)
        if not href:
            continue
        target = html.unescape(href.group(1))
        if re.search(r'rel="[^"]*\bnext\b', attrs, re.IGNORECASE):
            found = target
            break
        if found is None and PAGING_PARAM.search(target) and NEXT_TEXT.search(text):
            found = target
    if found is None:
        return None
    return path + found if found.startswith("?") else found


def with_page(url: str, number: int) -> str:
    """``url`` with its page=N parameter set to ``number``."""
    return re.sub(r"([?&]page=)\d+", rf"\g<1>{number}", url)


def parse_wrk_stats(output: str) -> dict:
    """The figures our wrk scripts print from done(): one ``SCALE {...}`` JSON line."""
    for line in output.splitlines():
        if line.startswith("SCALE "):
            return json.loads(line[len("SCALE ") :])
    raise ValueError("wrk printed no SCALE line:\n" + output[-2000:])


def ratio(big: float, small: float) -> float:
    return big / small if small else float("inf")


# --- set-up ---------------------------------------------------------------------------------------


@dataclass
class Settings:
    args: argparse.Namespace
    database_url: str = ""
    env: dict = field(default_factory=dict)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--part", choices=["pages", "intake", "storm", "all"], default="all")
    p.add_argument("--small", action="store_true", help="1/10 of the sizes, shorter runs")
    p.add_argument("--customers", type=int)
    p.add_argument("--invoices", type=int)
    p.add_argument("--supplies", type=int)
    p.add_argument("--quarter-supplies", type=int)
    p.add_argument("--requests", type=int, help="timed requests per page (median)")
    p.add_argument("--wrk-seconds", type=int)
    p.add_argument("--wrk-connections", type=int, default=8)
    p.add_argument("--wrk-threads", type=int, default=1)
    p.add_argument("--bodies", type=int, help="distinct signed webhook events for wrk")
    p.add_argument("--events", type=int, help="invoice.* events in the storm")
    p.add_argument("--db-server", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--db-name", default="mspercury_scale")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--reuse", action="store_true", help="reuse a kept database as it is")
    args = p.parse_args(argv)
    small = args.small
    args.requests = args.requests or (3 if small else 5)
    args.wrk_seconds = args.wrk_seconds or (5 if small else 20)
    args.bodies = args.bodies or (2_000 if small else 20_000)
    args.events = args.events or (500 if small else 5_000)
    return args


def process_env(settings: Settings) -> dict:
    """What gunicorn and the Celery workers run with: production settings (DEBUG off, no
    eager tasks) on the bench's database and Redis, TLS redirects off for plain HTTP."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "MSPERCURY_ENCRYPTION_KEYS": ENCRYPTION_KEYS,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.args.redis_url,
        "MSPERCURY_CELERY_EAGER": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "MSPERCURY_VIES_URL": "http://127.0.0.1:9",  # a closed port: never the real VIES
        # The limiter still runs on every delivery (its cost is measured), but wrk's pace is
        # above the production limit of one endpoint, which would otherwise answer 429.
        "MSPERCURY_WEBHOOK_DELIVERIES_PER_MINUTE": "10000000",
        "DJANGO_SETTINGS_MODULE": "mspercury.settings",
    }
    env.update(settings.env)
    return env


def setup(args) -> tuple[Settings, callable]:
    settings = Settings(args, database_url=f"{args.db_server.rstrip('/')}/{args.db_name}")
    os.environ.update(
        {
            "DEBUG": "1",  # the test client's pages (static files without a manifest)
            "SECRET_KEY": SECRET_KEY,
            "MSPERCURY_ENCRYPTION_KEYS": ENCRYPTION_KEYS,
            "DATABASE_URL": f"{args.db_server.rstrip('/')}/postgres",
            "REDIS_URL": args.redis_url,
            "MSPERCURY_CELERY_EAGER": "0",
            "MSPERCURY_VIES_URL": "http://127.0.0.1:9",
            "DJANGO_SETTINGS_MODULE": "mspercury.settings",
        }
    )
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    from mspercury import dbroles

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = args.db_name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.reuse)
    with connection.cursor() as cursor:
        dbroles.create_roles(cursor)
        dbroles.grant_privileges(cursor)

    def teardown():
        if args.keep:
            print(f"kept database {args.db_name} (--reuse to run on it again)")
            return
        connection.creation.destroy_test_db(old_name, verbosity=0)

    return settings, teardown


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the workspaces -------------------------------------------------------------------------------


@dataclass
class World:
    big: object
    twin: object
    quarter: tuple[date, date]


def world(args) -> World:
    """Build the large workspace and its twin, or find them in a reused database."""
    import scale_data
    from django.utils import timezone

    from billing.models import StripeInvoice
    from customers.models import Customer
    from integrations.models import StripeConnection
    from mspercury import tenancy
    from mspercury.models import Membership, Role, Workspace

    shape = scale_data.default_shape(args.small)
    shape = scale_data.Shape(
        customers=args.customers or shape.customers,
        invoices=args.invoices or shape.invoices,
        supplies=args.supplies or shape.supplies,
        quarter_supplies=args.quarter_supplies or shape.quarter_supplies,
    )
    today = timezone.localdate()
    quarter = scale_data.measured_quarter(today)
    with tenancy.system_context():
        found = {w.name: w for w in Workspace.objects.filter(name__startswith="Scale ")}
    if {"Scale Big IT", "Scale Twin IT"} <= set(found):
        built = {}
        for name in ("Scale Big IT", "Scale Twin IT"):
            with tenancy.system_context():
                ws = found[name]
                owner = Membership.objects.get(workspace=ws, role=Role.OWNER).user
                conn = StripeConnection.objects.get(workspace=ws)
                customers = list(Customer.objects.filter(workspace=ws).order_by("id"))
                count = StripeInvoice.objects.filter(workspace=ws).count()
            built[name] = scale_data.Built(ws, owner, conn, customers, invoices=count)
        print(f"reusing the database: {built['Scale Big IT'].invoices} invoices in the large one")
        return World(built["Scale Big IT"], built["Scale Twin IT"], quarter)
    started = time.perf_counter()
    big = scale_data.build_workspace(
        "Scale Big IT", shape.customers, shape, twin=False, today=today
    )
    twin = scale_data.build_workspace(
        "Scale Twin IT", shape.twin_invoices, shape, twin=True, today=today
    )
    _analyze()
    took = time.perf_counter() - started
    for b in (big, twin):
        print(
            f"built {b.workspace.name}: {len(b.customers)} customers, {b.invoices} invoices, "
            f"{b.payments} payments, {b.supplies} supplies, {b.quotes} quotes, "
            f"{b.subscriptions} subscriptions"
        )
    print(f"  in {took:.1f} s; measured quarter {quarter[0]} to {quarter[1]} (exclusive)")
    return World(big, twin, quarter)


def _analyze() -> None:
    """Planner statistics after the bulk load, as autovacuum would have them in production."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- pages ----------------------------------------------------------------------------------------


@dataclass
class PageResult:
    name: str
    ms: float
    queries: int
    kb: float
    url: str


def _get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    return response, body


def _timed(client, url: str) -> float:
    started = time.perf_counter()
    _get(client, url)
    return time.perf_counter() - started


def _counted(client, url: str) -> tuple[int, float]:
    """(SQL statements, kilobytes) of one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _response, body = _get(client, url)
    return len(captured), len(body) / 1024


def measure_pair(name: str, big: tuple, twin: tuple, runs: int) -> tuple[PageResult, PageResult]:
    """Median ms of ``runs`` requests of each (client, url), large and twin interleaved so that
    the load of a shared machine falls on both alike; then one counted request of each."""
    for client, url in (big, twin):
        _get(client, url)  # warm: caches, the session, compiled templates
    times = {0: [], 1: []}
    for _ in range(runs):
        for k, (client, url) in enumerate((big, twin)):
            times[k].append(_timed(client, url))
    return tuple(
        PageResult(name, statistics.median(times[k]) * 1000, *_counted(client, url), url)
        for k, (client, url) in enumerate((big, twin))
    )


def page_urls(client, built, quarter: tuple[date, date]) -> list[tuple[str, str]]:
    """(name, url) of every measured page, following the list's own links where pages move."""
    from billing.models import StripeInvoice
    from mspercury import tenancy

    ws = built.workspace
    base = "/billing/invoices/"
    with tenancy.workspace_context(ws):
        invoices = StripeInvoice.objects.filter(workspace=ws).order_by("id")
        count = invoices.count()
        middle = invoices[count // 2]
    customer = built.customers[len(built.customers) // 2]
    _response, first = _get(client, base)
    deep = _deep_page(client, base, first.decode(), count)
    start, end = quarter
    code = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    last_month = date(end.year - (end.month == 1), (end.month - 2) % 12 + 1, 1)
    month_end = date.fromordinal(end.toordinal() - 1)
    return [
        ("invoices: first page", base),
        ("invoices: deep page", deep),
        ("invoices: search by number", f"{base}?q={middle.number}"),
        ("invoices: one customer", f"{base}?customer={customer.public_id}"),
        ("dashboard", "/"),
        ("VAT report (quarter)", f"/billing/vat-report/?period={code}"),
        ("EC Sales List (quarter)", f"/billing/vat-report/ec-sales-list.csv?period={code}"),
        ("DATEV preview (month)", f"/billing/datev/?date_from={last_month}&date_to={month_end}"),
    ]


def _deep_page(client, base: str, first_html: str, count: int) -> str:
    """Numbered pages (OFFSET): the last one. Keyset links: the fifth page, followed link by
    link (where an MSP paging back through history gets)."""
    url = next_link(first_html, base)
    if url is None:
        return base
    if re.search(r"[?&]page=\d+", url):
        return with_page(url, max(1, -(-count // 50)))
    for _ in range(3):
        _response, body = _get(client, url)
        following = next_link(body.decode(), base)
        if following is None:
            break
        url = following
    return url


def run_pages(w: World, runs: int) -> list[tuple[PageResult, PageResult]]:
    from django.test import Client

    from tests import factories

    results = []
    clients = {}
    for built in (w.big, w.twin):
        clients[built] = factories.sign_in(Client(), built.owner)
    urls = {built: dict(page_urls(clients[built], built, w.quarter)) for built in (w.big, w.twin)}
    print(f"\n== pages: median of {runs} requests each (large and twin interleaved), test client")
    print(f"{'page':28} {'large ms':>9} {'twin ms':>8} {'ratio':>6} {'SQL':>9} {'KB':>13}")
    for name in urls[w.big]:
        big, twin = measure_pair(
            name, (clients[w.big], urls[w.big][name]), (clients[w.twin], urls[w.twin][name]), runs
        )
        results.append((big, twin))
        print(
            f"{name:28} {big.ms:9.1f} {twin.ms:8.1f} {ratio(big.ms, twin.ms):6.1f} "
            f"{big.queries:>4}/{twin.queries:<4} {big.kb:6.1f}/{twin.kb:<6.1f}",
            flush=True,
        )
    print(f"  (deep page: {urls[w.big]['invoices: deep page']})")
    return results


# --- intake ---------------------------------------------------------------------------------------

WRK_COUNTS = """
local threads = {}
function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end
function response(status, headers, body)
  counts = counts or {}
  counts[status] = (counts[status] or 0) + 1
end
function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    if c then for k, v in pairs(c) do merged[tostring(k)] = (merged[tostring(k)] or 0) + v end end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%s": %d', k, v)) end
  io.write(string.format(
    'SCALE {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, '
    .. '"socket_errors": %d, "statuses": {%s}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
"""

WRK_WEBHOOK = """
local n = 0
function request()
  n = n + 1
  local i = ((offset or 0) + (n - 1) * STEP) % #BODIES + 1
  return wrk.format("POST", PATH, {["Content-Type"] = "application/json",
    ["Stripe-Signature"] = SIGNATURES[i]}, BODIES[i])
end
"""


def webhook_event(i: int, run: str, built, timestamp: int) -> bytes:
    """A compact invoice.paid event about one of the workspace's invoices, marked ours."""
    ws = built.workspace
    event = {
        "id": f"evt_scale_{run}_{i}",
        "object": "event",
        "api_version": API_VERSION,
        "created": timestamp,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "invoice.paid",
        "data": {
            "object": {
                "id": f"in_scale_{ws.pk}_{i + 1}",
                "object": "invoice",
                "customer": f"cus_{ws.pk}_{i % max(1, len(built.customers))}",
                "status": "paid",
                "currency": "eur",
                "amount_due": 23100,
                "amount_paid": 23100,
                "amount_remaining": 0,
                "total": 23100,
                "metadata": {"mspercury_workspace": str(ws.public_id)},
            }
        },
    }
    return json.dumps(event, separators=(",", ":")).encode()


def webhook_script(path: Path, url_path: str, secret: str, built, count: int, threads: int):
    run = f"{int(time.time())}"
    now = int(time.time())
    bodies, signatures = [], []
    for i in range(count):
        body = webhook_event(i, run, built, now)
        bodies.append(lua_long_string(body.decode()))
        signatures.append(json.dumps(stripe_signature(secret, body, now)))
    sep = ",\n"
    script = (
        f"PATH = {json.dumps(url_path)}\nSTEP = {threads}\n"
        # One function per table: LuaJIT limits the constants of one function.
        f"BODIES = (function() return {{\n{sep.join(bodies)}\n}} end)()\n"
        f"SIGNATURES = (function() return {{\n{sep.join(signatures)}\n}} end)()\n"
        + WRK_COUNTS
        + WRK_WEBHOOK
    )
    path.write_text(script)
    return f"evt_scale_{run}_"


def run_wrk(args, url: str, script: Path) -> dict:
    command = [
        "wrk",
        f"-t{args.wrk_threads}",
        f"-c{args.wrk_connections}",
        f"-d{args.wrk_seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk_stats(done.stdout)


def start_gunicorn(settings: Settings, port: int, log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        "--workers",
        "2",
        "--threads",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        "mspercury.wsgi:application",
    ]
    out = log.open("w")
    proc = subprocess.Popen(
        command, cwd=ROOT, env=process_env(settings), stdout=out, stderr=subprocess.STDOUT
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            break
    stop(proc)
    raise RuntimeError(f"gunicorn did not answer /healthz; see {log}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_intake(settings: Settings, w: World) -> dict | None:
    args = settings.args
    if shutil.which("wrk") is None:
        print(f"\n== intake: skipped; {WRK_INSTALL}")
        return None
    from integrations.models import StripeEvent
    from mspercury import ratelimit, tenancy

    flush_redis(args.redis_url)
    tmp = Path(tempfile.mkdtemp(prefix="scale-intake-"))
    port = free_port()
    server = start_gunicorn(settings, port, tmp / "gunicorn.log")
    try:
        counts = tmp / "counts.lua"
        counts.write_text(WRK_COUNTS)
        health = run_wrk(args, f"http://127.0.0.1:{port}/healthz", counts)
        conn = w.big.connection
        url_path = f"/webhooks/stripe/{conn.webhook_token}/"
        with tenancy.workspace_context(w.big.workspace):
            secret = conn.webhook_secret
        script = tmp / "webhook.lua"
        prefix = webhook_script(script, url_path, secret, w.big, args.bodies, args.wrk_threads)
        ratelimit.reset("webhook", conn.webhook_token[:16])
        hook = run_wrk(args, f"http://127.0.0.1:{port}{url_path}", script)
    finally:
        stop(server)
    with tenancy.workspace_context(w.big.workspace):
        events = StripeEvent.objects.filter(event_id__startswith=prefix)
        stored = events.count()
        events.delete()  # the storm starts from its own events
    flush_redis(args.redis_url)  # their queued processing, too
    return _intake_report(args, health, hook, stored)


def _intake_report(args, health: dict, hook: dict, stored: int) -> dict:
    ok = sum(v for k, v in hook["statuses"].items() if k.startswith("2"))
    distinct_sent = min(hook["requests"], args.bodies)
    # Each body is sent once until the pool is used up; after that, repeats are duplicates.
    lost = max(0, ok - stored) if hook["requests"] <= args.bodies else max(0, args.bodies - stored)
    if hook["requests"] > args.bodies and any(not k.startswith("2") for k in hook["statuses"]):
        lost = None  # a refused body may have been answered 2xx on a later round: unknown
    figures = {
        # Only 2xx answers count: a 429 or an error is not an event taken in.
        "healthz_rps": sum(v for k, v in health["statuses"].items() if k.startswith("2"))
        / health["seconds"],
        "webhook_rps": ok / hook["seconds"],
        "healthz": health,
        "webhook": hook,
        "stored": stored,
        "ok": ok,
        "lost": lost,
        "distinct_sent": distinct_sent,
    }
    print(
        f"\n== intake: gunicorn 2 workers, wrk -t{args.wrk_threads} "
        f"-c{args.wrk_connections} -d{args.wrk_seconds}s"
    )
    for name, stats in (("GET /healthz", health), ("POST webhook", hook)):
        rps = stats["requests"] / stats["seconds"]
        print(
            f"{name:14} {rps:8.1f} answers/s  p50 {stats['p50_ms']:7.1f} ms  "
            f"p99 {stats['p99_ms']:7.1f} ms  answers {stats['statuses']}  "
            f"socket errors {stats['socket_errors']}"
        )
    print(
        f"ratio webhook/healthz (2xx per second) "
        f"{ratio(figures['webhook_rps'], figures['healthz_rps']):.2f}; "
        f"429 answers {hook['statuses'].get('429', 0)}; {ok} answered 2xx, "
        f"{distinct_sent} distinct events sent, {stored} stored, lost {lost}"
    )
    return figures


# --- storm ----------------------------------------------------------------------------------------


class CountingEmulator:
    """Counts the emulator's API requests and the time it spends answering them."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.handle = emulator.handle
        self.reads = self.writes = 0
        self.busy = 0.0
        emulator.handle = self

    def __call__(self, method, target, headers, body):
        started = time.perf_counter()
        try:
            return self.handle(method, target, headers, body)
        finally:
            self.busy += time.perf_counter() - started
            if target.startswith("/v1/"):
                if method.upper() == "GET":
                    self.reads += 1
                else:
                    self.writes += 1

    def reset(self):
        self.reads = self.writes = 0
        self.busy = 0.0


def storm_events(server, control, w: World, count: int) -> list[dict]:
    """``count`` invoice.* events of the emulator about the large workspace's customers: each
    customer subscribes monthly (a paid first invoice) and a month passes (renewal drafts)."""
    from integrations.models import StripeObjectMap
    from mspercury import tenancy

    client = control.client()
    ws = w.big.workspace
    marks = {"mspercury_workspace": str(ws.public_id)}
    product = client.v1.products.create({"name": "Managed workstation"})
    price = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "eur",
            "unit_amount": 23100,
            "recurring": {"interval": "month"},
        }
    )
    maps = []
    needed = -(-count // 5) + 1  # about five invoice.* events per customer and month
    for customer in w.big.customers[:needed]:
        made = client.v1.customers.create(
            {"name": customer.company_name, "metadata": marks, "address": {"country": "DE"}}
        )
        client.v1.subscriptions.create(
            {"customer": made.id, "items": [{"price": price.id}], "metadata": marks}
        )
        maps.append(
            StripeObjectMap(
                workspace=ws,
                account_ref=w.big.connection.account_ref,
                mode="test",
                kind="customer",
                local_ref=str(customer.public_id),
                stripe_id=made.id,
            )
        )
    with tenancy.workspace_context(ws):  # a reused database: the last storm's ids are stale
        StripeObjectMap.objects.filter(
            workspace=ws, kind="customer", local_ref__in=[m.local_ref for m in maps]
        ).delete()
        StripeObjectMap.objects.bulk_create(maps)
    control.advance(days=31)
    owner = (w.big.connection.account_ref, False)
    events = [
        e for e in server.emulator.store.all("event", owner) if e["type"].startswith("invoice.")
    ]
    events.sort(key=lambda e: (e["created"], e["id"]))
    return events[:count]


def store_and_queue(w: World, events: list[dict]) -> list[int]:
    """The events stored as received (as the webhook stores them) and their processing queued."""
    from datetime import UTC, datetime

    from integrations.models import StripeEvent
    from integrations.tasks import process_stripe_event
    from mspercury import tenancy

    ws = w.big.workspace
    with tenancy.workspace_context(ws):
        rows = StripeEvent.objects.bulk_create(
            [
                StripeEvent(
                    workspace=ws,
                    stripe_account=w.big.connection.account_ref,
                    event_id=e["id"],
                    event_type=e["type"],
                    livemode=False,
                    api_version=e.get("api_version") or "",
                    created=datetime.fromtimestamp(e["created"], tz=UTC),
                    payload=e,
                )
                for e in events
            ],
            batch_size=1000,
        )
    for row in rows:
        process_stripe_event.delay(ws.pk, row.pk)
    return [row.pk for row in rows]


def pg_counters(db_name: str) -> tuple[int, int]:
    """(sessions established, transactions) of the bench's database so far."""
    from django.db import connection

    if connection.pg_version < 140000:
        raise SystemExit("the storm needs PostgreSQL 14 or later (pg_stat_database.sessions)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT sessions, xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            [db_name],
        )
        sessions, xacts = cursor.fetchone()
    return int(sessions), int(xacts)


def worker_queues() -> str:
    """Every queue the product routes tasks to, so the workers drain them all."""
    from mspercury.celery import app

    conf = app.conf
    queues = {conf.task_default_queue or "celery"}
    for route in (conf.task_routes or {}).values() if isinstance(conf.task_routes, dict) else []:
        if isinstance(route, dict) and route.get("queue"):
            queues.add(route["queue"])
    for queue in conf.task_queues or []:
        queues.add(getattr(queue, "name", str(queue)))
    return ",".join(sorted(queues))


def start_workers(settings: Settings, workers: int, logdir: Path) -> list[subprocess.Popen]:
    procs = []
    for k in range(workers):
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mspercury",
            "worker",
            "-c",
            "1",
            "--pool",
            "prefork",
            "-n",
            f"scale{k}@%h",
            "-Q",
            worker_queues(),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "warning",
        ]
        log = (logdir / f"worker{workers}-{k}.log").open("w")
        procs.append(
            subprocess.Popen(
                command, cwd=ROOT, env=process_env(settings), stdout=log, stderr=subprocess.STDOUT
            )
        )
    return procs


def wait_drained(pks: list[int], ws, timeout: float) -> dict:
    """Poll until every event is processed or ignored, or nothing moved for ``timeout`` s."""
    from django.db.models import Count

    from integrations.models import StripeEvent
    from mspercury import tenancy

    last, moved_at = None, time.time()
    while True:
        with tenancy.workspace_context(ws):
            by_status = dict(
                StripeEvent.objects.filter(pk__in=pks)
                .values_list("status")
                .annotate(n=Count("id"))
                .values_list("status", "n")
            )
        done = by_status.get("processed", 0) + by_status.get("ignored", 0)
        if done >= len(pks):
            return by_status
        if by_status != last:
            last, moved_at = by_status, time.time()
        elif time.time() - moved_at > timeout:
            return by_status
        time.sleep(0.5)


def worker_errors(logdir: Path, workers: int) -> list[str]:
    """The ERROR and CRITICAL lines the workers logged (a race shows up here first)."""
    found = []
    for path in sorted(logdir.glob(f"worker{workers}-*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if re.search(r"\] (ERROR|CRITICAL)/", line):
                found.append(line.strip())
    return found


def drain(settings: Settings, w: World, events: list[dict], workers: int, counter, logdir) -> dict:
    from django.db.models import Max, Min

    from integrations.models import StripeEvent
    from mspercury import tenancy

    flush_redis(settings.args.redis_url)
    pks = store_and_queue(w, events)
    counter.reset()
    sessions0, xacts0 = pg_counters(settings.args.db_name)
    started = time.perf_counter()
    procs = start_workers(settings, workers, logdir)
    try:
        by_status = wait_drained(pks, w.big.workspace, timeout=60)
        wall = time.perf_counter() - started
    finally:
        for proc in procs:
            stop(proc)
    errors = worker_errors(logdir, workers)
    time.sleep(1.5)  # session statistics reach pg_stat_database within a second
    sessions1, xacts1 = pg_counters(settings.args.db_name)
    with tenancy.workspace_context(w.big.workspace):
        rows = StripeEvent.objects.filter(pk__in=pks)
        span = rows.filter(processed_at__isnull=False).aggregate(
            a=Min("processed_at"), b=Max("processed_at")
        )
        twice = rows.filter(attempts__gt=1).count()
        never = rows.filter(attempts=0).count()
    done = by_status.get("processed", 0) + by_status.get("ignored", 0)
    seconds = (span["b"] - span["a"]).total_seconds() if span["a"] else float("nan")
    n = len(pks)
    return {
        "workers": workers,
        "events": n,
        "done": done,
        "statuses": by_status,
        "seconds": seconds,
        "rate": (done - 1) / seconds if seconds and seconds > 0 else float("nan"),
        "wall": wall,
        "lost": n - done,
        "twice": twice,
        "never_tried": never,
        "sessions_per_1000": (sessions1 - sessions0) * 1000 / n,
        "xacts_per_event": (xacts1 - xacts0) / n,
        "reads_per_event": counter.reads / n,
        "reads_per_invoice": counter.reads / len({e["data"]["object"]["id"] for e in events}),
        "writes_per_event": counter.writes / n,
        "emulator_busy": counter.busy / seconds if seconds and seconds > 0 else float("nan"),
        "errors": errors,
    }


def reset_mirror(w: World, events: list[dict]) -> None:
    """Forget what the first drain mirrored (the events and the invoices, subscriptions and
    their records they brought), so the second drain does the same work again."""
    from billing.models import StripeInvoice, StripeSubscription
    from integrations.models import StripeEvent
    from mspercury import tenancy

    invoice_ids = {e["data"]["object"]["id"] for e in events}
    subscription_ids = {
        ((e["data"]["object"].get("parent") or {}).get("subscription_details") or {}).get(
            "subscription"
        )
        for e in events
    }
    with tenancy.workspace_context(w.big.workspace):
        StripeEvent.objects.filter(event_id__in=[e["id"] for e in events]).delete()
        StripeInvoice.objects.filter(stripe_id__in=invoice_ids).delete()
        StripeSubscription.objects.filter(stripe_id__in=subscription_ids - {None}).delete()


def run_storm(settings: Settings, w: World) -> list[dict]:
    from emulators.stripe import ControlClient, EmulatorServer

    args = settings.args
    server = EmulatorServer(port=0, config={"rate_limit_enabled": False})
    server.start()
    logdir = Path(tempfile.mkdtemp(prefix="scale-storm-"))
    try:
        control = ControlClient(server.base_url)
        control.timeout = 600.0
        settings.env["MSPERCURY_STRIPE_API_BASE"] = server.base_url
        events = storm_events(server, control, w, args.events)
        counter = CountingEmulator(server.emulator)
        results = []
        for workers in (1, 2):
            if workers == 2:
                reset_mirror(w, events)
            results.append(drain(settings, w, events, workers, counter, logdir))
    finally:
        server.stop()
    _storm_report(results, logdir)
    return results


def _storm_report(results: list[dict], logdir: Path) -> None:
    n = results[0]["events"]
    print(f"\n== storm: {n} invoice.* events from the Stripe emulator, Celery prefork workers")
    for r in results:
        print(
            f"{r['workers']} worker(s): {r['rate']:7.1f} events/s ({r['seconds']:.1f} s first to "
            f"last processed, {r['wall']:.1f} s with start-up); done {r['done']}, lost "
            f"{r['lost']}, twice {r['twice']}, statuses {r['statuses']}; "
            f"{r['sessions_per_1000']:.0f} DB sessions per 1,000 events, "
            f"{r['xacts_per_event']:.1f} transactions per event; Stripe {r['reads_per_event']:.2f} "
            f"reads + {r['writes_per_event']:.2f} writes per event, "
            f"{r['reads_per_invoice']:.2f} reads per invoice; emulator busy "
            f"{100 * r['emulator_busy']:.0f}% of the drain"
        )
        if r["errors"]:
            print(f"  {len(r['errors'])} errors in the worker logs, first: {r['errors'][0][:300]}")
    print(
        f"ratio 2 workers / 1: {ratio(results[1]['rate'], results[0]['rate']):.2f} "
        f"(worker logs in {logdir})"
    )


# --- summary --------------------------------------------------------------------------------------


def summary(pages, intake, storm) -> list[tuple[str, str, str, bool]]:
    """(figure, measured, target, met) of every ratio the issue asks for."""
    rows = []
    for big, twin in pages or []:
        limit = 5.0 if big.name.startswith(("VAT", "DATEV", "EC")) else 2.0
        r = ratio(big.ms, twin.ms)
        same = big.queries == twin.queries
        target = f"≤ {limit:g}×" + ("" if limit == 5.0 else ", equal SQL")
        measured = f"{r:.2f}×, SQL {big.queries}/{twin.queries}"
        rows.append((big.name, measured, target, r <= limit and (same or limit == 5.0)))
    if intake:
        r = ratio(intake["webhook_rps"], intake["healthz_rps"])
        rows.append(("intake / healthz", f"{r:.2f}×", "≥ 0.5×", r >= 0.5))
        lost = intake["lost"]
        met = None if lost is None else lost == 0
        rows.append(("intake lost (2xx not stored)", str(lost), "0", met))
    if storm:
        one, two = storm
        r = ratio(two["rate"], one["rate"])
        rows.append(("storm 2 workers / 1", f"{r:.2f}×", "≥ 1.6×", r >= 1.6))
        for s in storm:
            label = f"storm {s['workers']}w"
            rows.append((f"{label} lost", str(s["lost"]), "0", s["lost"] == 0))
            rows.append((f"{label} twice", str(s["twice"]), "0", s["twice"] == 0))
            errors = len(s["errors"])
            rows.append((f"{label} errors in worker logs", str(errors), "0", errors == 0))
            rows.append(
                (
                    f"{label} DB sessions / 1,000 events",
                    f"{s['sessions_per_1000']:.0f}",
                    "shown",
                    None,
                )
            )
            reads = f"{s['reads_per_invoice']:.2f}"
            rows.append((f"{label} Stripe reads / invoice", reads, "1 (point 3), shown", None))
    return rows


def print_summary(rows) -> bool:
    print("\n== summary (issue 25 targets)")
    print(f"{'figure':38} {'measured':>26}  {'target':20} result")
    for name, measured, target, met in rows:
        result = "info" if met is None else ("pass" if met else "FAIL")
        print(f"{name:38} {measured:>26}  {target:20} {result}")
    return all(met is not False for *_rest, met in rows)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    settings, teardown = setup(args)
    pages = intake = storm = None
    try:
        w = world(args)
        if args.part in ("pages", "all"):
            pages = run_pages(w, args.requests)
        if args.part in ("intake", "all"):
            intake = run_intake(settings, w)
        if args.part in ("storm", "all"):
            storm = run_storm(settings, w)
        passed = print_summary(summary(pages, intake, storm))
    finally:
        teardown()
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
