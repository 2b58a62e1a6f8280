"""A small Python client for the control endpoints (used by the test fixtures and the demo)."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlencode

import stripe


class ControlClient:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    # -- plumbing ------------------------------------------------------------------------------
    def _call(self, method: str, path: str, payload: dict | None = None, query=None):
        url = f"{self.base_url}/_emulator/{path}"
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(payload or {}).encode() if method == "POST" else None
        request = urllib.request.Request(  # noqa: S310 - the emulator's own http URL
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"emulator control {method} {path}: {exc.read().decode()}") from exc

    # -- SDK -----------------------------------------------------------------------------------
    def client(self, key: str = "sk_test_emulator", **options) -> stripe.StripeClient:
        """A StripeClient that talks to this emulator (no retries unless asked)."""
        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(key, base_addresses={"api": self.base_url}, **options)

    # -- controls ------------------------------------------------------------------------------
    def object_ids(self) -> dict[str, set[str]]:
        """Every stored object's id by kind ("customer", "price", ...), to count what a run made."""
        return {kind: {obj["id"] for obj in objs} for kind, objs in self.state()["objects"].items()}

    def reset(self) -> dict:
        return self._call("POST", "reset")

    def state(self) -> dict:
        return self._call("GET", "state")

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict]:
        return self._call("GET", "requests", query={"method": method, "path": path})["data"]

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def config(self, **values) -> dict:
        if values:
            return self._call("POST", "config", values)
        return self._call("GET", "config")

    def add_key(self, **spec) -> dict:
        return self._call("POST", "keys", spec)

    def now(self) -> int:
        return self._call("GET", "clock")["now"]

    def advance(self, seconds: float = 0, *, days: float = 0, hours: float = 0) -> int:
        total = seconds + days * 86400 + hours * 3600
        return self._call("POST", "clock/advance", {"seconds": total})["now"]

    def fault(self, action: str = "error", **spec) -> dict:
        return self._call("POST", "faults", {"action": action, **spec})

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")["data"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def pause_webhooks(self) -> None:
        self._call("POST", "webhooks/pause")

    def resume_webhooks(self) -> None:
        self._call("POST", "webhooks/resume")

    def flush_webhooks(self, timeout: float = 10) -> dict:
        return self._call("POST", "webhooks/flush", {"timeout": timeout})

    def deliveries(self) -> list[dict]:
        return self._call("GET", "webhooks/deliveries")["data"]

    def pending_deliveries(self) -> list[dict]:
        return self._call("GET", "webhooks/pending")["data"]

    def set_payment_behavior(self, customer_id: str, behavior: str) -> dict:
        return self._call(
            "POST", f"customers/{customer_id}/payment_behavior", {"behavior": behavior}
        )
