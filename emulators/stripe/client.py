"""The Stripe emulator's control client (the tests and the benchmarks set it up with it)."""

from __future__ import annotations

import stripe

from .._control import ControlClient as _ControlClient


class ControlClient(_ControlClient):
    # -- SDK -----------------------------------------------------------------------------------
    def client(self, key: str = "sk_test_emulator", **options) -> stripe.StripeClient:
        """A StripeClient that talks to this emulator (no retries unless asked)."""
        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(key, base_addresses={"api": self.base_url}, **options)

    # -- controls ------------------------------------------------------------------------------
    def object_ids(self) -> dict[str, set[str]]:
        """Every stored object's id by kind ("customer", "price", ...), to count what a run made."""
        return {kind: {obj["id"] for obj in objs} for kind, objs in self.state()["objects"].items()}

    def add_key(self, **spec) -> dict:
        return self._call("POST", "keys", spec)

    def now(self) -> int:
        return self._call("GET", "clock")["now"]

    def advance(self, seconds: float = 0, *, days: float = 0, hours: float = 0) -> int:
        total = seconds + days * 86400 + hours * 3600
        return self._call("POST", "clock/advance", {"seconds": total})["now"]

    def fault(self, action: str = "error", **spec) -> dict:
        return self._call("POST", "faults", {"action": action, **spec})

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
