"""Event subscription callbacks: a background thread POSTs signed events to the callback URLs.

Body (compact JSON, as Lexware signs it): `{"organizationId","eventType","resourceId","eventDate"}`;
header `X-Lxo-Signature`: base64 of the RSA-SHA512 (PKCS#1 v1.5) signature of those bytes.

Lexware's delivery rules: 200/201/202/204 succeed; 401, 403, 429, 5xx, timeouts (5 s read
timeout) and refused connections are retried, 5 times after 10, 20, 40, 80 and 160 seconds, then
after a 30-minute pause 20 times 2 hours apart; a 404 (or an unreachable host) is retried the
same way and then the subscription is deleted; a 410 deletes it at once; redirects and other 4xx
are not retried. `webhook_retry_scale` shrinks those waits (the tests use milliseconds).
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .app import Emulator

RETRY_DELAYS = [10, 20, 40, 80, 160, 1800] + [7200] * 19
SUCCESS = (200, 201, 202, 204)
RETRIED = (401, 403, 404, 429)


class Dispatcher:
    def __init__(self, emu: Emulator):
        self.emu = emu
        self.cond = threading.Condition()
        self.queue: list[dict] = []
        self.log: list[dict] = []
        self.in_flight = 0
        self.paused = False
        self.thread: threading.Thread | None = None
        self.stopping = False

    def start(self) -> None:
        with self.cond:
            if self.thread and self.thread.is_alive():
                return
            self.stopping = False
            self.thread = threading.Thread(target=self._run, name="lexware-callbacks", daemon=True)
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
            self.queue, self.log, self.paused = [], [], False
            self.cond.notify_all()

    def set_paused(self, paused: bool) -> None:
        with self.cond:
            self.paused = paused
            self.cond.notify_all()

    def enqueue(self, subscription: dict, payload: dict) -> None:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        signature = base64.b64encode(self.emu.signing_key.sign(body)).decode()
        delivery = {
            "subscriptionId": subscription["subscriptionId"],
            "organizationId": subscription["organizationId"],
            "eventType": payload["eventType"],
            "resourceId": payload["resourceId"],
            "url": subscription["callbackUrl"],
            "body": body.decode(),
            "signature": signature,
            "attempt": 0,
            "due": time.monotonic(),
        }
        with self.cond:
            self.queue.append(delivery)
            self.cond.notify_all()

    def flush(self, timeout: float = 10.0) -> dict:
        """Wait until every delivery that is due now was attempted (or the timeout)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while time.monotonic() < deadline and not self.paused:
                due = [d for d in self.queue if d["due"] <= time.monotonic()]
                if not due and not self.in_flight:
                    break
                self.cond.wait(min(0.05, max(0.0, deadline - time.monotonic())))
            return {"queued": len(self.queue), "in_flight": self.in_flight}

    def deliveries(self) -> list[dict]:
        with self.cond:
            return [dict(d) for d in self.log]

    def pending(self) -> list[dict]:
        with self.cond:
            return [{k: v for k, v in d.items() if k != "due"} for d in self.queue]

    # -- the worker --------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self.cond:
                delivery = self._next_due()
                if delivery is None:
                    if self.stopping:
                        return
                    self.cond.wait(0.05)
                    continue
                self.in_flight += 1
            try:
                status, error = self._post(delivery)
            finally:
                with self.cond:
                    self.in_flight -= 1
            self._settle(delivery, status, error)

    def _next_due(self) -> dict | None:
        if self.paused or self.stopping:
            return None
        now = time.monotonic()
        for delivery in self.queue:
            if delivery["due"] <= now:
                self.queue.remove(delivery)
                return delivery
        return None

    def _post(self, delivery: dict) -> tuple[int | None, str | None]:
        url = urlsplit(delivery["url"])
        timeout = float(self.emu.config["webhook_timeout"])
        connection_class = (
            http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(url.hostname, url.port, timeout=timeout)
        headers = {
            "Content-Type": "application/json",
            "X-Lxo-Signature": delivery["signature"],
            "User-Agent": "lexware-emulator-webhooks",
        }
        try:
            target = url.path or "/"
            if url.query:
                target += "?" + url.query
            connection.request("POST", target, body=delivery["body"].encode(), headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, None
        except (OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    def _settle(self, delivery: dict, status: int | None, error: str | None) -> None:
        attempt = delivery["attempt"] + 1
        record = {k: v for k, v in delivery.items() if k != "due"}
        record.update(attempt=attempt, status=status, error=error, at=self.emu.clock.now())
        retry = status is None or status in RETRIED or (status is not None and status >= 500)
        if status == 410:
            self.emu.drop_subscription(delivery["subscriptionId"], "410 Gone")
            retry = False
        if status in SUCCESS:
            retry = False
        if retry and attempt > len(RETRY_DELAYS):
            retry = False
            if status == 404 or status is None:
                self.emu.drop_subscription(delivery["subscriptionId"], "retries exhausted")
        with self.cond:
            self.log.append(record)
            if retry:
                scale = float(self.emu.config["webhook_retry_scale"])
                delivery["attempt"] = attempt
                delivery["due"] = time.monotonic() + RETRY_DELAYS[attempt - 1] * scale
                self.queue.append(delivery)
            self.cond.notify_all()
