"""The VIES emulator's control client (the tests and the benchmarks set it up with it)."""

from __future__ import annotations

from .._control import ControlClient as _ControlClient


class ControlClient(_ControlClient):
    label = "VIES emulator"
    timeout = 30.0

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
