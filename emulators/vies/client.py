"""A small Python client for the control endpoints (used by the test fixtures and the demo)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode


class ControlClient:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def _call(self, method: str, path: str, payload: dict | None = None, query=None):
        url = f"{self.base_url}/_emulator/{path}"
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(payload or {}).encode() if method == "POST" else None
        request = urllib.request.Request(  # noqa: S310 - the emulator's own http URL
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"VIES emulator {method} {path}: {exc.read().decode()}") from exc

    def health(self) -> bool:
        return bool(self._call("GET", "health").get("ok"))

    def reset(self) -> dict:
        return self._call("POST", "reset")

    def state(self) -> dict:
        return self._call("GET", "state")

    def config(self, **values) -> dict:
        if values:
            return self._call("POST", "config", values)
        return self._call("GET", "config")

    def set_number(
        self,
        vat_id: str,
        behavior: str = "valid",
        *,
        name: str | None = None,
        address: str | None = None,
        delay: float = 0.0,
    ) -> dict:
        """Register "DE136695976" (prefix included) as valid, invalid or an error code."""
        entry = {
            "countryCode": vat_id[:2],
            "vatNumber": vat_id[2:],
            "behavior": behavior,
            "name": name,
            "address": address,
            "delay": delay,
        }
        return self._call("POST", "numbers", entry)["data"][0]

    def numbers(self) -> list[dict]:
        return self._call("GET", "numbers")["data"]

    def set_availability(self, country: str, availability: str = "Unavailable") -> dict:
        return self._call(
            "POST", "member-states", {"countryCode": country, "availability": availability}
        )

    def fault(self, error: str = "SERVICE_UNAVAILABLE", *, action: str = "error", **spec) -> dict:
        """The next matching request(s) fail: `fault("MS_MAX_CONCURRENT_REQ", times=2,
        countryCode="DE")`; `action="drop"` closes the connection; `action="delay", delay=5`
        answers normally, late; `action="http", status=502` answers a non-JSON error page."""
        return self._call("POST", "faults", {"action": action, "error": error, **spec})

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")["data"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def requests(self, path: str | None = None, method: str | None = None) -> list[dict]:
        return self._call("GET", "requests", query={"path": path, "method": method})["data"]

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")
