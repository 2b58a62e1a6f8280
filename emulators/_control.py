"""The control client both emulators share: JSON calls to the endpoints under /_emulator/.

The tests, the demo and the benchmarks set an emulator up and read what it received through a
subclass of `ControlClient`, which adds that emulator's own controls.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode


class ControlClient:
    label = "emulator control"  # names the emulator in an error
    timeout = 60.0

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
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{self.label} {method} {path}: {exc.read().decode()}") from exc

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

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict]:
        return self._call("GET", "requests", query={"method": method, "path": path})["data"]

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")["data"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")
