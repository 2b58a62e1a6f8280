"""The sevDesk emulator's control client (tests, the demo and the benchmarks use it)."""

from __future__ import annotations

from .._control import ControlClient as _ControlClient


class ControlClient(_ControlClient):
    label = "sevDesk emulator"
    timeout = 30.0

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/v1"

    def now(self) -> float:
        return self._call("GET", "clock")["now"]

    def advance(self, seconds: float = 0, *, days: float = 0) -> dict:
        return self._call("POST", "clock/advance", {"seconds": seconds, "days": days})

    def fault(self, kind: str = "error", endpoint: str = "*", method=None, count=1, **more):
        """The next `count` requests to `endpoint` (a path pattern, e.g.
        `/api/v1/Invoice/Factory/saveInvoice`) fail: `error` (5xx, nothing runs),
        `timeout_after_write` (it runs, then 504), `drop_after_write` (it runs, the connection
        closes), `rate_limit` (429)."""
        spec = {"kind": kind, "endpoint": endpoint, "method": method, "count": count, **more}
        return self._call("POST", "faults", spec)

    def add_token(self, token: str | None = None, **spec) -> dict:
        return self._call("POST", "tokens", {"token": token, **spec})

    def revoke_token(self, token: str) -> dict:
        return self._call("DELETE", f"tokens/{token}")

    def pay(self, invoice_id, amount, *, date=None, type: str | None = None) -> dict:
        """A bank transfer matched to the invoice in sevDesk (partially paid or paid)."""
        return self._call(
            "POST",
            f"invoices/{invoice_id}/payments",
            {"amount": amount, "date": date, "type": type},
        )

    def mails(self, invoice_id) -> list[dict]:
        return self._call("GET", f"invoices/{invoice_id}/mails")["data"]
