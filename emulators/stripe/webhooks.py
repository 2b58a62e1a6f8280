"""Webhook delivery: a background thread POSTs events to registered endpoints.

Each delivery is signed like Stripe's: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<raw body>" keyed with the endpoint's whsec_ secret>`, so `stripe.Webhook.construct_event`
accepts it. The timestamp is real time (not the emulator clock) so the SDK's 300-second
tolerance check holds after the clock was advanced.

Non-2xx answers and connection errors are retried as Stripe retries them, for up to three days
(`webhook_retry_window`) after the first attempt, with exponential backoff
(`webhook_retry_base * 2**(attempt-1)` seconds, capped at `webhook_retry_max_delay`), and at most
`webhook_max_attempts` attempts when that is set. A receiver that starts after the events were
sent (the demo's app after its seed) still gets them. Switches:
pause/resume, `webhook_duplicates` (each delivery sent twice), `webhook_order`
(`in_order`, `shuffle`, `reverse` among the deliveries that are due).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import Emulator

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
_QUEUED_FIELDS = {
    "sequence",
    "event_id",
    "event_type",
    "endpoint_id",
    "url",
    "secret",
    "payload",
    "attempt",
}


def retry_delay(attempt: int, config: dict, first_at: float, now: float) -> float | None:
    """Seconds until the next attempt after failed attempt `attempt`, or None to give up."""
    limit = config.get("webhook_max_attempts")
    if limit is not None and attempt >= limit:
        return None
    delay = min(
        config["webhook_retry_base"] * 2 ** (attempt - 1), config["webhook_retry_max_delay"]
    )
    if now + delay - first_at > config["webhook_retry_window"]:
        return None
    return delay


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={signature}"


class WebhookDispatcher:
    def __init__(self, emu: Emulator):
        self.emu = emu
        self.cond = threading.Condition()
        self.queue: list[dict] = []
        self.log: list[dict] = []
        self.in_flight = 0
        self.paused = False
        self.generation = 0
        self.sequence = 0
        self.rng = random.Random(7)
        self.thread: threading.Thread | None = None
        self.stopping = False

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        with self.cond:
            if self.thread and self.thread.is_alive():
                return
            self.stopping = False
            self.thread = threading.Thread(
                target=self._run, name="stripe-emulator-webhooks", daemon=True
            )
            self.thread.start()

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        if self.thread:
            self.thread.join(timeout=5)
            self.thread = None

    def reset(self) -> None:
        with self.cond:
            self.queue = []
            self.log = []
            self.paused = False
            self.generation += 1
            self.sequence = 0
            self.rng = random.Random(self.emu.config.get("webhook_seed", 7))
            self.cond.notify_all()

    # -- controls ------------------------------------------------------------------------------
    def pause(self) -> None:
        with self.cond:
            self.paused = True

    def resume(self) -> None:
        with self.cond:
            self.paused = False
            self.cond.notify_all()

    def flush(self, timeout: float = 10.0) -> dict:
        """Wait until nothing is queued or in flight (or delivery is paused, or the timeout)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while (self.queue or self.in_flight) and not self.paused:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.cond.wait(min(remaining, 0.05))
            return {"pending": len(self.queue), "in_flight": self.in_flight, "paused": self.paused}

    def deliveries(self) -> list[dict]:
        with self.cond:
            return [dict(entry) for entry in self.log]

    def pending(self) -> list[dict]:
        with self.cond:
            return [
                {k: v for k, v in item.items() if k not in ("secret", "generation")}
                for item in self.queue
            ]

    def export_pending(self) -> list[dict]:
        """Queued deliveries with their secrets, due times relative to now (for the state
        file)."""
        now = time.monotonic()
        with self.cond:
            return [
                {
                    **{k: v for k, v in item.items() if k not in ("due", "generation")},
                    "due_in": max(item["due"] - now, 0.0),
                }
                for item in self.queue
            ]

    def import_pending(self, items: list[dict]) -> None:
        """Queue deliveries saved by `export_pending`."""
        now = time.monotonic()
        with self.cond:
            for saved in items:
                item = {k: v for k, v in saved.items() if k != "due_in"}
                missing = _QUEUED_FIELDS - set(item)
                if missing:
                    raise ValueError(f"queued delivery without {', '.join(sorted(missing))}")
                item["due"] = now + float(saved.get("due_in", 0))
                item["generation"] = self.generation
                self.sequence = max(self.sequence, int(item["sequence"]))
                self.queue.append(item)
            self.cond.notify_all()

    # -- queueing ------------------------------------------------------------------------------
    def enqueue(self, event: dict, endpoints: list[dict]) -> None:
        if not endpoints:
            return
        payload = json.dumps(event, indent=2, default=str)
        copies = 2 if self.emu.config.get("webhook_duplicates") else 1
        with self.cond:
            for endpoint in endpoints:
                secret = self.emu.store.internal[endpoint["id"]]["secret"]
                for _ in range(copies):
                    self.sequence += 1
                    self.queue.append(
                        {
                            "sequence": self.sequence,
                            "event_id": event["id"],
                            "event_type": event["type"],
                            "endpoint_id": endpoint["id"],
                            "url": endpoint["url"],
                            "secret": secret,
                            "payload": payload,
                            "attempt": 1,
                            "first_at": time.time(),
                            "due": time.monotonic(),
                            "generation": self.generation,
                        }
                    )
            self.cond.notify_all()

    def _pick(self) -> dict | None:
        now = time.monotonic()
        due = [item for item in self.queue if item["due"] <= now]
        if not due:
            return None
        order = self.emu.config.get("webhook_order", "in_order")
        if order == "shuffle":
            item = self.rng.choice(due)
        elif order == "reverse":
            item = max(due, key=lambda d: d["sequence"])
        else:
            item = min(due, key=lambda d: (d["due"], d["sequence"]))
        self.queue.remove(item)
        return item

    def _run(self) -> None:
        while True:
            with self.cond:
                item = None
                while not self.stopping:
                    if not self.paused:
                        item = self._pick()
                        if item:
                            break
                    waits = [d["due"] - time.monotonic() for d in self.queue]
                    timeout = max(0.005, min(waits)) if waits and not self.paused else 0.5
                    self.cond.wait(timeout)
                if self.stopping:
                    return
                self.in_flight += 1
            try:
                self._deliver(item)
            finally:
                with self.cond:
                    self.in_flight -= 1
                    self.cond.notify_all()

    def _deliver(self, item: dict) -> None:
        store = self.emu.store
        with store.lock:
            endpoint = store.objects.get(item["endpoint_id"])
            active = endpoint is not None and endpoint.get("status") == "enabled"
        if not active:
            return
        header = sign(item["payload"], item["secret"])
        request = urllib.request.Request(  # noqa: S310 - endpoint URLs are validated http(s)
            item["url"],
            data=item["payload"].encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
                "Stripe-Signature": header,
            },
        )
        status, error = None, None
        try:
            with urllib.request.urlopen(  # noqa: S310 - endpoints are http(s) URLs by validation
                request, timeout=self.emu.config.get("webhook_timeout", 10.0)
            ) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            error = str(getattr(exc, "reason", exc))
        succeeded = status is not None and 200 <= status < 300
        with self.cond:
            if item["generation"] != self.generation:
                return
            self.log.append(
                {
                    "event_id": item["event_id"],
                    "event_type": item["event_type"],
                    "endpoint_id": item["endpoint_id"],
                    "url": item["url"],
                    "attempt": item["attempt"],
                    "status": status,
                    "error": error,
                    "delivered": succeeded,
                    "payload": item["payload"],
                    "signature": header,
                    "at": time.time(),
                }
            )
            now = time.time()
            delay = None
            if not succeeded:
                first_at = item.setdefault("first_at", now)
                delay = retry_delay(item["attempt"], self.emu.config, first_at, now)
            if delay is not None:
                item["due"] = time.monotonic() + delay
                item["attempt"] += 1
                self.queue.append(item)
            self.cond.notify_all()
        if succeeded:
            with store.lock:
                event = store.objects.get(item["event_id"])
                if event is not None and event["pending_webhooks"] > 0:
                    event["pending_webhooks"] -= 1
            self.emu.changed()
