"""What the Lexware Office and the sevDesk emulators share: the request pipeline, a clock, faults
on demand, a request log, a token bucket and a minimal PDF.

A provider emulator subclasses `ProviderEmulator` and fills in authentication, its routes, its
error bodies and its own control endpoints. The pipeline for an API request is:

    control (/_emulator/...)  →  authenticate  →  rate limit  →  fault "error" (nothing runs)
    →  route and execute under the lock  →  fault "timeout_after_write" (504, the write stays)
       or "drop_after_write" (the connection closes, the write stays)  →  request log

Standard library only; no Django, no product imports.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs

from ._server import Response

FAULT_KINDS = ("error", "timeout_after_write", "drop_after_write", "rate_limit")


def json_response(status: int, payload, headers: dict | None = None) -> Response:
    body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    return Response(status, body, headers=dict(headers or {}))


def money(value, places: str = "0.01") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def decimals(value) -> int:
    """How many decimal places a JSON number was written with (12.5 → 1, 3 → 0)."""
    exponent = Decimal(str(value)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


class Clock:
    """Real time plus an offset the control API moves forward (never back)."""

    def __init__(self):
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
        return self.now()

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def public(self) -> dict:
        now = self.datetime()
        return {"now": self.now(), "iso": now.isoformat(), "offset": self.offset}


class Fault:
    """Fires on the next `count` requests (None: until cleared) matching method and endpoint
    (a path pattern such as `/v1/invoices` or `/Invoice/*`)."""

    def __init__(self, fault_id: int, spec: dict):
        kind = spec.get("kind", "error")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        self.id = fault_id
        self.kind = kind
        self.endpoint = spec.get("endpoint") or "*"
        self.method = (spec.get("method") or "").upper() or None
        count = spec.get("count", 1)
        self.count = None if count is None else int(count)
        self.status = int(spec.get("status") or (504 if kind == "timeout_after_write" else 500))
        self.delay = float(spec.get("delay") or 0)
        self.fired = 0

    def matches(self, method: str, path: str) -> bool:
        if self.count is not None and self.fired >= self.count:
            return False
        if self.method and self.method != method:
            return False
        return fnmatch.fnmatchcase(path, self.endpoint)

    def public(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "endpoint": self.endpoint,
            "method": self.method,
            "count": self.count,
            "status": self.status,
            "delay": self.delay,
            "fired": self.fired,
        }


class TokenBucket:
    """Per key: `rate` requests per second, a burst of `burst` (real time, not the clock)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str, rate: float, burst: float) -> bool:
        if rate <= 0:
            return True
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens < 1:
                self.buckets[key] = (tokens, now)
                return False
            self.buckets[key] = (tokens - 1, now)
            return True

    def reset(self) -> None:
        with self.lock:
            self.buckets = {}


class ApiError(Exception):
    """Raised by a route: answered with the provider's own error body."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


class ProviderEmulator:
    """The pipeline and the shared control endpoints; a provider fills in the rest."""

    label = "provider"
    DEFAULT_CONFIG: dict = {}

    def __init__(self, config: dict | None = None):
        unknown = set(config or {}) - set(self.DEFAULT_CONFIG)
        if unknown:
            raise ValueError(f"unknown emulator settings: {', '.join(sorted(unknown))}")
        self.defaults = {**self.DEFAULT_CONFIG, **(config or {})}
        self.base_url = "http://127.0.0.1"
        self.lock = threading.RLock()
        self.clock = Clock()
        self.bucket = TokenBucket()
        self.listeners: list = []  # called after a request that may have changed the state
        self.reset()

    # -- state -------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.config = dict(self.defaults)
            self.clock = Clock()
            self.bucket.reset()
            self.faults: list[Fault] = []
            self.next_fault_id = 1
            self.requests: list[dict] = []
            self.reset_state()

    def reset_state(self) -> None:
        raise NotImplementedError

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "config": dict(self.config),
                "clock": self.clock.public(),
                "faults": [f.public() for f in self.faults],
                **self.dump(),
            }

    def dump(self) -> dict:
        return {}

    # -- the pipeline ------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict, body: bytes) -> Response:
        method = method.upper()
        path, _, query_string = target.partition("?")
        query = {k: v[-1] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
        if path == "/_emulator" or path.startswith("/_emulator/"):
            answer = self._control(method, path.removeprefix("/_emulator").strip("/"), query, body)
            if method != "GET":
                self._changed()  # the clock moved, a payment arrived, a fault was set
            return answer
        public = self.public_route(method, path)
        if public is not None:
            return public
        entry = {"method": method, "path": path, "query": query, "at": self.clock.now()}
        response = self._api(method, path, query, headers, body, entry)
        entry["status"] = response.status
        entry["dropped"] = response.drop
        with self.lock:
            self.requests.append(entry)
            del self.requests[: -int(self.config.get("request_log_size", 2000))]
        if method != "GET" and entry.get("outcome") == "executed":
            self._changed()
        return response

    # -- a state file (the demo's) -----------------------------------------------------------
    # The attributes that hold what the service stores (objects, keys, counters); a state file
    # (emulators/_state.py) keeps them and the clock across restarts.
    persisted: tuple[str, ...] = ()

    def export_state(self) -> dict:
        with self.lock:
            state = {name: getattr(self, name) for name in self.persisted}
            return {"clock_offset": self.clock.offset, "state": state}

    def import_state(self, data: dict) -> None:
        with self.lock:
            for name in self.persisted:
                setattr(self, name, data["state"][name])
            self.clock.offset = float(data["clock_offset"])

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    def _api(self, method, path, query, headers, body, entry) -> Response:
        tenant = self.authenticate(headers, query)
        entry["tenant"] = tenant
        if tenant is None:
            entry["outcome"] = "unauthorized"
            return self.unauthorized()
        if not self.allow(tenant):
            entry["outcome"] = "rate_limited"
            return self.rate_limited()
        fault = self._take_fault(method, path)
        entry["fault"] = fault.kind if fault else None
        if fault and fault.kind == "rate_limit":
            return self.rate_limited()
        if fault and fault.kind == "error":
            response = self.fault_error(fault.status)
            response.delay = fault.delay
            return response
        try:
            payload = self.parse_body(method, headers, body)
            with self.lock:
                response = self.route(method, path, query, headers, payload, tenant)
        except ApiError as error:
            response = error.response
        entry["outcome"] = "executed"
        if fault and fault.kind == "timeout_after_write":
            response = self.gateway_timeout()
            response.delay = fault.delay
        elif fault and fault.kind == "drop_after_write":
            response = Response(200, b"", drop=True, delay=fault.delay)
        self.after_request(tenant, response)
        return response

    def parse_body(self, method: str, headers: dict, body: bytes):
        if method not in ("POST", "PUT") or not body:
            return None
        try:
            return json.loads(body)
        except ValueError as exc:
            raise ApiError(self.bad_json()) from exc

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.fired += 1
                    return fault
        return None

    # -- what a provider fills in ------------------------------------------------------------
    def public_route(self, method: str, path: str) -> Response | None:
        """Routes without authentication (none by default)."""
        return None

    def authenticate(self, headers: dict, query: dict) -> str | None:
        raise NotImplementedError

    def allow(self, tenant: str) -> bool:
        return True

    def after_request(self, tenant: str, response: Response) -> None:
        """Called after a request ran (the sevDesk block-after-errors counter)."""

    def unauthorized(self) -> Response:
        raise NotImplementedError

    def rate_limited(self) -> Response:
        raise NotImplementedError

    def fault_error(self, status: int) -> Response:
        raise NotImplementedError

    def gateway_timeout(self) -> Response:
        raise NotImplementedError

    def bad_json(self) -> Response:
        raise NotImplementedError

    def route(self, method, path, query, headers, payload, tenant) -> Response:
        raise NotImplementedError

    def control(self, method: str, path: str, query: dict, payload: dict) -> Response | None:
        """The provider's own control endpoints; None when the path is not one of them. Called
        without the lock (a webhook flush waits for deliveries that need it)."""
        return None

    # -- control endpoints -------------------------------------------------------------------
    def _control(self, method: str, path: str, query: dict, body: bytes) -> Response:
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return json_response(400, {"error": "the body is not JSON"})
        if not isinstance(payload, dict):
            return json_response(400, {"error": "the JSON body must be an object"})
        try:
            answer = self._shared_control(method, path, query, payload)
            if answer is None:
                answer = self.control(method, path, query, payload)
        except (ValueError, TypeError, KeyError) as exc:
            return json_response(400, {"error": str(exc)})
        if answer is None:
            return json_response(404, {"error": f"no control endpoint {method} /_emulator/{path}"})
        return answer

    def _shared_control(self, method, path, query, payload) -> Response | None:
        route = (method, path)
        if path == "health":
            return json_response(200, {"ok": True, "now": self.clock.now()})
        if route == ("POST", "reset"):
            self.reset()
            return json_response(200, self.snapshot())
        if route == ("GET", "state"):
            return json_response(200, self.snapshot())
        if path == "config":
            if method == "POST":
                self.set_config(payload)
            return json_response(200, dict(self.config))
        if route == ("GET", "clock"):
            return json_response(200, self.clock.public())
        if route == ("POST", "clock/advance"):
            seconds = float(payload.get("seconds", 0)) + float(payload.get("days", 0)) * 86400
            with self.lock:
                self.clock.advance(seconds)
            return json_response(200, self.clock.public())
        if path == "faults":
            return self._faults(method, payload)
        if path == "requests":
            if method == "DELETE":
                with self.lock:
                    self.requests.clear()
                return json_response(200, {"data": []})
            return json_response(200, {"data": self.logged(query)})
        return None

    def set_config(self, values: dict) -> None:
        unknown = set(values) - set(self.DEFAULT_CONFIG)
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(sorted(unknown))}")
        with self.lock:
            self.config.update(values)

    def _faults(self, method: str, payload: dict) -> Response:
        with self.lock:
            if method == "POST":
                fault = Fault(self.next_fault_id, payload)
                self.next_fault_id += 1
                self.faults.append(fault)
                return json_response(200, fault.public())
            if method == "DELETE":
                self.faults.clear()
            return json_response(200, {"data": [f.public() for f in self.faults]})

    def logged(self, query: dict) -> list[dict]:
        """The request log, filtered by `method` and `path` (a pattern: `/v1/invoices*`)."""
        method = (query.get("method") or "").upper()
        pattern = query.get("path") or "*"
        with self.lock:
            return [
                dict(r)
                for r in self.requests
                if (not method or r["method"] == method) and fnmatch.fnmatchcase(r["path"], pattern)
            ]


def iso_millis(moment: datetime, zone) -> str:
    """`2025-06-01T00:00:00.000+02:00`: Lexware's one accepted date-time format."""
    local = moment.astimezone(zone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}"
    offset = local.strftime("%z")
    return text + (offset[:3] + ":" + offset[3:] if offset not in ("+0000", "") else "Z")


def iso_seconds(moment: datetime, zone) -> str:
    """`2025-06-01T00:00:00+02:00`: sevDesk's timestamps."""
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


def days_later(moment: datetime, days: int) -> datetime:
    return moment + timedelta(days=days)


def minimal_pdf(lines: list[str]) -> bytes:
    """A small, valid one-page PDF that shows `lines` (Latin-1 text in Helvetica)."""
    text = ["BT", "/F1 11 Tf", "56 780 Td", "14 TL"]
    for line in lines:
        safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text.append(f"({safe.encode('latin-1', 'replace').decode('latin-1')}) Tj T*")
    text.append("ET")
    stream = zlib.compress("\n".join(text).encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
