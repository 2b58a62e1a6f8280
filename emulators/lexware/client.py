"""The Lexware Office emulator's control client (tests, the demo and the benchmarks use it)."""

from __future__ import annotations

from .._control import ControlClient as _ControlClient


class ControlClient(_ControlClient):
    label = "Lexware Office emulator"
    timeout = 30.0

    def now(self) -> float:
        return self._call("GET", "clock")["now"]

    def advance(self, seconds: float = 0, *, days: float = 0) -> dict:
        """Move the clock forward (due dates, overdue, eventDate, createdDate follow it)."""
        return self._call("POST", "clock/advance", {"seconds": seconds, "days": days})

    def fault(self, kind: str = "error", endpoint: str = "*", method=None, count=1, **more):
        """The next `count` requests to `endpoint` (a path pattern, e.g. `/v1/invoices`) fail:
        `error` (5xx, nothing runs), `timeout_after_write` (it runs, then 504),
        `drop_after_write` (it runs, then the connection closes), `rate_limit` (429)."""
        spec = {"kind": kind, "endpoint": endpoint, "method": method, "count": count, **more}
        return self._call("POST", "faults", spec)

    def add_key(self, key: str | None = None, **spec) -> dict:
        return self._call("POST", "keys", {"key": key, **spec})

    def revoke_key(self, key: str) -> dict:
        return self._call("DELETE", f"keys/{key}")

    def pay(self, invoice_id: str, amount, *, type: str | None = None, date=None) -> dict:
        """A bank transfer booked on the invoice in Lexware (fires the callbacks)."""
        return self._call(
            "POST",
            f"invoices/{invoice_id}/payments",
            {"amount": amount, "type": type, "date": date},
        )

    def finalize(self, invoice_id: str) -> dict:
        return self._call("POST", f"invoices/{invoice_id}/finalize")

    def void(self, invoice_id: str) -> dict:
        return self._call("POST", f"invoices/{invoice_id}/void")

    def public_key(self) -> str:
        return self._call("GET", "webhooks/public-key")["pem"]

    def flush_webhooks(self, timeout: float = 10) -> dict:
        return self._call("POST", "webhooks/flush", {"timeout": timeout})

    def pause_webhooks(self) -> None:
        self._call("POST", "webhooks/pause")

    def resume_webhooks(self) -> None:
        self._call("POST", "webhooks/resume")

    def deliveries(self) -> list[dict]:
        return self._call("GET", "webhooks/deliveries")["data"]

    def pending_deliveries(self) -> list[dict]:
        return self._call("GET", "webhooks/pending")["data"]
