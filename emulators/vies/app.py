"""The VIES emulator's core: one `Emulator` answers requests without knowing about sockets.

`Emulator.handle(method, target, headers, body)` returns a `Response`; `server.py` adapts it to
HTTP. The public routes are VIES's REST API (base path `/` or `.../rest-api/`):

- `POST /check-vat-number`: `{countryCode, vatNumber, requesterMemberStateCode,
  requesterNumber, trader*}` → `{countryCode, vatNumber, requestDate, valid,
  requestIdentifier, name, address, trader*, trader*Match}`; errors as
  `{"actionSucceed": false, "errorWrappers": [{"error": CODE}]}` (HTTP 200 by default).
- `POST /check-vat-test-service`: the same shapes, answered by VIES's magic test numbers.
- `GET /ms/{countryCode}/vat/{vatNumber}`: `isValid` instead of `valid`; an error is
  `isValid: false` with the code in `userError` (the shape that fools naive clients).
- `GET /check-status`: `{"vow": {"available"}, "countries": [{countryCode, availability}]}`.

Everything under `/_emulator/` controls it (see emulators/README.md). Standard library only.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import parse_qs

from .._server import Response

# VIES's member-state codes: the 27 (Greece is EL) and Northern Ireland.
MEMBER_STATES = (
    *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU"),
    *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI"),
)

# The error codes of VIES (the test WSDL's list).
ERROR_CODES = (
    "INVALID_INPUT",
    "INVALID_REQUESTER_INFO",
    "SERVICE_UNAVAILABLE",
    "MS_UNAVAILABLE",
    "TIMEOUT",
    "VAT_BLOCKED",
    "IP_BLOCKED",
    "GLOBAL_MAX_CONCURRENT_REQ",
    "GLOBAL_MAX_CONCURRENT_REQ_TIME",
    "MS_MAX_CONCURRENT_REQ",
    "MS_MAX_CONCURRENT_REQ_TIME",
)
BEHAVIORS = ("valid", "invalid", *ERROR_CODES)

# POST /check-vat-test-service: VIES's documented test numbers (any country code).
TEST_SERVICE_NUMBERS = {
    "100": "valid",
    "200": "invalid",
    "201": "INVALID_INPUT",
    "202": "INVALID_REQUESTER_INFO",
    "300": "SERVICE_UNAVAILABLE",
    "301": "MS_UNAVAILABLE",
    "302": "TIMEOUT",
    "400": "VAT_BLOCKED",
    "401": "IP_BLOCKED",
    "500": "GLOBAL_MAX_CONCURRENT_REQ",
    "501": "GLOBAL_MAX_CONCURRENT_REQ_TIME",
    "600": "MS_MAX_CONCURRENT_REQ",
    "601": "MS_MAX_CONCURRENT_REQ_TIME",
}

AVAILABILITIES = ("Available", "Unavailable", "Monitoring Disabled")

TRADER_FIELDS = ("Name", "Street", "PostalCode", "City", "CompanyType")

DEFAULT_CONFIG = {
    # What a number that nobody registered answers: "valid" (name and address "---", as
    # member states that don't disclose them answer) or "invalid" (what real VIES says).
    "unknown_numbers": "valid",
    # Seconds every answer waits (on top of a number's own delay).
    "latency": 0.0,
    # In-flight requests per member state / overall before VIES answers
    # MS_MAX_CONCURRENT_REQ / GLOBAL_MAX_CONCURRENT_REQ (0: no limit).
    "max_concurrent_per_ms": 0,
    "max_concurrent_global": 0,
    # The HTTP status of an error answer. Real VIES answers most of them with 200.
    "error_status": 200,
    # Consultation numbers: prefix + 12 characters derived from a counter and the request.
    "consultation_prefix": "WAPI",
    "request_log_size": 500,
}

# The registry a fresh (or reset) emulator starts with: the demo workspace's customers. Germany
# discloses neither name nor address, so VIES answers "---" for both.
DEFAULT_NUMBERS = {
    ("FR", "40303265045"): {
        "behavior": "valid",
        "name": "DUPONT CONSEIL SARL",
        "address": "12 RUE DE LA PAIX\n75002 PARIS",
    },
    ("DE", "136695976"): {"behavior": "valid", "name": "---", "address": "---"},
}

_NUMBER = re.compile(r"^[0-9A-Z+*]{2,14}$")


def _json(status: int, payload) -> Response:
    return Response(status, json.dumps(payload, ensure_ascii=False, indent=2).encode())


def _error(code: str, status: int = 200, message: str | None = None) -> Response:
    wrapper = {"error": code}
    if message:
        wrapper["message"] = message
    return _json(status, {"actionSucceed": False, "errorWrappers": [wrapper]})


def _compact(value) -> str:
    return re.sub(r"[\s.\-/]", "", str(value or "")).upper()


def _key(country: str, number: str) -> tuple[str, str]:
    country = _compact(country)
    number = _compact(number)
    if number.startswith(country) and len(number) > len(country):
        number = number[len(country) :]  # "DE136695976" with countryCode DE
    return country, number


class Emulator:
    def __init__(self, config: dict | None = None, numbers: dict | None = None):
        self.base_url = ""
        self._defaults = {**DEFAULT_CONFIG, **(config or {})}
        self._seed_numbers = numbers if numbers is not None else DEFAULT_NUMBERS
        self.lock = threading.RLock()
        self.reset()

    # -- state --------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.config = dict(self._defaults)
            self.numbers: dict[tuple[str, str], dict] = {}
            for (country, number), entry in self._seed_numbers.items():
                self.set_number(country, number, **entry)
            self.member_states = dict.fromkeys(MEMBER_STATES, "Available")
            self.faults: list[dict] = []
            self.requests: list[dict] = []
            self.sequence = 0
            self.in_flight: Counter[str] = Counter()

    def set_number(
        self,
        country: str,
        number: str,
        behavior: str = "valid",
        name: str | None = None,
        address: str | None = None,
        delay: float = 0.0,
    ) -> dict:
        behavior = behavior if behavior in ("valid", "invalid") else str(behavior).upper()
        if behavior not in BEHAVIORS:
            raise ValueError(f"behavior must be one of {', '.join(BEHAVIORS)}")
        country, number = _key(country, number)
        if country not in MEMBER_STATES or not number:
            raise ValueError("countryCode must be a VIES member-state code and vatNumber set")
        entry = {
            "countryCode": country,
            "vatNumber": number,
            "behavior": behavior,
            "name": "---" if name is None else name,
            "address": "---" if address is None else address,
            "delay": float(delay or 0),
        }
        with self.lock:
            self.numbers[(country, number)] = entry
        return entry

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "config": dict(self.config),
                "numbers": [copy.deepcopy(v) for _k, v in sorted(self.numbers.items())],
                "member_states": dict(self.member_states),
                "faults": copy.deepcopy(self.faults),
                "consultations": self.sequence,
            }

    # -- entry point ---------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict, body: bytes) -> Response:
        method = method.upper()
        path, _, query = target.partition("?")
        if path == "/_emulator" or path.startswith("/_emulator/"):
            return self._control(method, path.removeprefix("/_emulator").strip("/"), query, body)
        # The real base URL ends in /rest-api; accept the routes with or without that prefix.
        if "/rest-api/" in path:
            path = "/" + path.split("/rest-api/", 1)[1]
        path = path.rstrip("/") or "/"
        if method == "POST" and path in ("/check-vat-number", "/check-vat-test-service"):
            return self._logged(method, path, body, lambda p: self._check(p, path))
        ms_route = re.fullmatch(r"/ms/([A-Za-z]{2})/vat/([^/]+)", path)
        if method == "GET" and ms_route:
            payload = {"countryCode": ms_route[1], "vatNumber": ms_route[2]}
            return self._logged(method, path, None, lambda _p: self._ms_lookup(payload))
        if method == "GET" and path == "/check-status":
            return self._logged(method, path, None, lambda _p: self._status())
        return _json(404, {"actionSucceed": False, "errorWrappers": [{"error": "NOT_FOUND"}]})

    def _logged(self, method: str, path: str, body: bytes | None, answer) -> Response:
        payload = None
        if body is not None:
            try:
                payload = json.loads(body or b"null")
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                response = _error("INVALID_INPUT", 400)
                self._log(method, path, body.decode("utf-8", "replace"), response)
                return response
        response = answer(payload)
        self._log(method, path, payload, response)
        return response

    def _log(self, method: str, path: str, payload, response: Response) -> None:
        try:
            answer = json.loads(response.body) if response.body else None
        except ValueError:
            answer = None
        with self.lock:
            self.requests.append(
                {
                    "method": method,
                    "path": path,
                    "body": payload,
                    "status": response.status,
                    "response": answer,
                    "dropped": response.drop,
                    "delay": response.delay,
                    "at": time.time(),
                }
            )
            del self.requests[: -int(self.config["request_log_size"])]

    # -- the VIES routes ----------------------------------------------------------------------
    def _check(self, payload: dict, path: str) -> Response:
        country, number = _key(payload.get("countryCode"), payload.get("vatNumber"))
        req_country = _compact(payload.get("requesterMemberStateCode"))
        req_number = _compact(payload.get("requesterNumber"))
        if req_number.startswith(req_country) and len(req_number) > len(req_country):
            req_number = req_number[len(req_country) :]
        if country not in MEMBER_STATES or not _NUMBER.match(number):
            return self._answer_error("INVALID_INPUT", country)
        if bool(req_country) != bool(req_number) or (
            req_country and req_country not in MEMBER_STATES
        ):
            return self._answer_error("INVALID_REQUESTER_INFO", country)

        fault, slowdown = self._take_fault(country, number)
        if fault is not None:
            return fault
        if self.member_states.get(country) == "Unavailable":
            return self._answer_error("MS_UNAVAILABLE", country)
        if path == "/check-vat-test-service":
            behavior, entry = TEST_SERVICE_NUMBERS.get(number, "SERVICE_UNAVAILABLE"), {}
        else:
            entry = self.numbers.get((country, number)) or {}
            behavior = entry.get("behavior") or self.config["unknown_numbers"]
            requester = self.numbers.get((req_country, req_number)) if req_country else None
            if requester and requester["behavior"] == "invalid":
                return self._answer_error("INVALID_REQUESTER_INFO", country, entry)
        if behavior not in ("valid", "invalid"):
            return self._answer_error(behavior, country, entry, slowdown)
        delay = self._delay(entry) + slowdown
        limited = self._concurrency(country, delay)
        if limited:
            return self._answer_error(limited, country)

        valid = behavior == "valid"
        answer = {
            "countryCode": country,
            "vatNumber": number,
            "requestDate": _now_iso(),
            "valid": valid,
            "requestIdentifier": (
                self._consultation(country, number, req_country + req_number) if req_country else ""
            ),
            "name": entry.get("name", "---") if valid else "---",
            "address": entry.get("address", "---") if valid else "---",
        }
        given = {suffix: str(payload.get(f"trader{suffix}") or "") for suffix in TRADER_FIELDS}
        for suffix in TRADER_FIELDS:
            answer[f"trader{suffix}"] = given[suffix]
        for suffix in TRADER_FIELDS:
            answer[f"trader{suffix}Match"] = _match(given[suffix], suffix, entry, valid)
        response = _json(200, answer)
        response.delay = delay
        return response

    def _ms_lookup(self, payload: dict) -> Response:
        """GET /ms/{cc}/vat/{number}: errors are isValid false with the code in userError."""
        response = self._check(payload, "/check-vat-number")
        if response.drop or not response.content_type.startswith("application/json"):
            return response
        data = json.loads(response.body)
        if data.get("actionSucceed") is False:
            code = data["errorWrappers"][0]["error"]
            data = {"isValid": False, "requestDate": _now_iso(), "userError": code}
            data.update(name="---", address="---", requestIdentifier="", vatNumber="")
        else:
            data = {
                "isValid": data["valid"],
                "requestDate": data["requestDate"],
                "userError": "VALID" if data["valid"] else "INVALID",
                "name": data["name"],
                "address": data["address"],
                "requestIdentifier": "",
                "originalVatNumber": payload["vatNumber"],
                "vatNumber": data["vatNumber"],
                "viesApproximate": {
                    "name": "---",
                    "street": "---",
                    "postalCode": "---",
                    "city": "---",
                    "companyType": "---",
                    "matchName": 3,
                    "matchStreet": 3,
                    "matchPostalCode": 3,
                    "matchCity": 3,
                    "matchCompanyType": 3,
                },
            }
        return Response(200, json.dumps(data).encode(), delay=response.delay, drop=response.drop)

    def _status(self) -> Response:
        with self.lock:
            countries = [
                {"countryCode": code, "availability": availability}
                for code, availability in self.member_states.items()
            ]
        return _json(200, {"vow": {"available": True}, "countries": countries})

    # -- faults and limits --------------------------------------------------------------------
    def _answer_error(
        self, code: str, country: str, entry: dict | None = None, slowdown: float = 0.0
    ) -> Response:
        response = _error(code, int(self.config["error_status"]))
        response.delay = self._delay(entry or {}) + slowdown
        return response

    def _delay(self, entry: dict) -> float:
        return float(self.config["latency"] or 0) + float(entry.get("delay") or 0)

    def _take_fault(self, country: str, number: str) -> tuple[Response | None, float]:
        """The answer of the first matching fault, if it replaces the answer, and how many
        seconds a "delay" fault adds to the normal one."""
        with self.lock:
            for fault in self.faults:
                if fault.get("countryCode") and fault["countryCode"] != country:
                    continue
                if fault.get("vatNumber") and fault["vatNumber"] != number:
                    continue
                if fault["times"] is not None:
                    fault["times"] -= 1
                    if fault["times"] <= 0:
                        self.faults.remove(fault)
                fault["hits"] = fault.get("hits", 0) + 1
                break
            else:
                return None, 0.0
        delay = float(fault.get("delay") or 0)
        if fault["action"] == "drop":
            return Response(200, b"", drop=True, delay=delay), 0.0
        if fault["action"] == "delay":
            return None, delay
        if fault["action"] == "http":
            body = str(fault.get("body") or "<html><body>Service Unavailable</body></html>")
            status = int(fault.get("status") or 503)
            return Response(status, body.encode(), "text/html", delay=delay), 0.0
        code = fault.get("error") or "SERVICE_UNAVAILABLE"
        response = _error(code, int(fault.get("status") or self.config["error_status"]))
        response.delay = delay
        return response, 0.0

    def _concurrency(self, country: str, delay: float) -> str | None:
        """Count this request as in flight for `delay` seconds; over a limit → its error."""
        per_ms = int(self.config["max_concurrent_per_ms"] or 0)
        overall = int(self.config["max_concurrent_global"] or 0)
        if not per_ms and not overall:
            return None
        with self.lock:
            if overall and sum(self.in_flight.values()) >= overall:
                return "GLOBAL_MAX_CONCURRENT_REQ"
            if per_ms and self.in_flight[country] >= per_ms:
                return "MS_MAX_CONCURRENT_REQ"
            self.in_flight[country] += 1
        # The server sleeps `delay` before writing; the slot frees when that time is over.
        timer = threading.Timer(max(delay, 0.05), self._release, args=(country,))
        timer.daemon = True
        timer.start()
        return None

    def _release(self, country: str) -> None:
        with self.lock:
            self.in_flight[country] -= 1
            if self.in_flight[country] <= 0:
                del self.in_flight[country]

    def _consultation(self, country: str, number: str, requester: str) -> str:
        """Deterministic: the n-th consultation since the last reset, for this request."""
        with self.lock:
            self.sequence += 1
            sequence = self.sequence
        digest = hashlib.sha256(f"{sequence}:{country}{number}:{requester}".encode()).digest()
        tail = base64.b32encode(digest).decode()[:12]
        return f"{self.config['consultation_prefix']}{tail}"

    # -- control endpoints --------------------------------------------------------------------
    def _control(self, method: str, path: str, query: str, body: bytes) -> Response:
        if method == "GET" and path in ("", "dashboard"):
            from .dashboard import render_dashboard

            page = render_dashboard(self, query)
            return Response(200, page.encode(), "text/html; charset=utf-8")
        if method == "POST" and path == "dashboard":
            from .dashboard import apply_form

            message = apply_form(self, parse_qs(body.decode("utf-8", "replace")))
            location = "/_emulator/" + (f"?message={message}" if message else "")
            return Response(303, b"", "text/plain", headers={"Location": location})
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return _json(400, {"error": "the body is not JSON"})
        try:
            return self._control_json(method, path, query, payload)
        except (ValueError, TypeError, KeyError) as exc:
            return _json(400, {"error": str(exc)})

    def _control_json(self, method: str, path: str, query: str, payload: dict) -> Response:
        if path == "health":
            return _json(200, {"ok": True})
        if path == "state" and method == "GET":
            return _json(200, self.snapshot())
        if path == "reset" and method == "POST":
            self.reset()
            return _json(200, self.snapshot())
        if path == "config":
            if method == "POST":
                unknown = set(payload) - set(DEFAULT_CONFIG)
                if unknown:
                    raise ValueError(f"unknown config keys: {', '.join(sorted(unknown))}")
                with self.lock:
                    self.config.update(payload)
            return _json(200, dict(self.config))
        if path == "numbers":
            if method == "POST":
                entries = payload.get("numbers", [payload])
                return _json(200, {"data": [self.set_number(**_number_args(e)) for e in entries]})
            return _json(200, {"data": self.snapshot()["numbers"]})
        number_route = re.fullmatch(r"numbers/([A-Za-z]{2})/([^/]+)", path)
        if number_route and method == "DELETE":
            with self.lock:
                removed = self.numbers.pop(_key(number_route[1], number_route[2]), None)
            return _json(200, {"deleted": removed is not None})
        if path == "member-states" and method == "POST":
            country = _compact(payload["countryCode"])
            availability = payload.get("availability", "Unavailable")
            if country not in MEMBER_STATES or availability not in AVAILABILITIES:
                raise ValueError(f"availability must be one of {', '.join(AVAILABILITIES)}")
            with self.lock:
                self.member_states[country] = availability
            return _json(200, dict(self.member_states))
        if path == "faults":
            if method == "POST":
                return _json(200, self.add_fault(**payload))
            if method == "DELETE":
                with self.lock:
                    self.faults.clear()
                return _json(200, {"data": []})
            return _json(200, {"data": self.snapshot()["faults"]})
        if path == "requests":
            if method == "DELETE":
                with self.lock:
                    self.requests.clear()
                return _json(200, {"data": []})
            filters = {k: v[-1] for k, v in parse_qs(query).items()}
            with self.lock:
                rows = [
                    r
                    for r in self.requests
                    if all(
                        str(r.get(k)) == v for k, v in filters.items() if k in ("path", "method")
                    )
                ]
            return _json(200, {"data": rows})
        return _json(404, {"error": f"no control endpoint {method} /_emulator/{path}"})

    def add_fault(
        self,
        action: str = "error",
        error: str | None = None,
        times: int | None = 1,
        countryCode: str | None = None,  # the wire names
        vatNumber: str | None = None,
        status: int | None = None,
        delay: float = 0.0,
        body: str | None = None,
    ) -> dict:
        """The next `times` matching requests (None: all until cleared) get this fault."""
        if action not in ("error", "drop", "delay", "http"):
            raise ValueError("action must be error, drop, delay or http")
        if action == "error":
            error = (error or "SERVICE_UNAVAILABLE").upper()
            if error not in ERROR_CODES:
                raise ValueError(f"error must be one of {', '.join(ERROR_CODES)}")
        fault = {
            "action": action,
            "error": error,
            "times": None if times is None else int(times),
            "countryCode": _compact(countryCode) or None,
            "vatNumber": _key(countryCode or "", vatNumber)[1] if vatNumber else None,
            "status": status,
            "delay": float(delay or 0),
            "body": body,
            "hits": 0,
        }
        with self.lock:
            self.faults.append(fault)
        return fault


def _number_args(entry: dict) -> dict:
    return {
        "country": entry["countryCode"],
        "number": entry["vatNumber"],
        "behavior": entry.get("behavior", "valid"),
        "name": entry.get("name"),
        "address": entry.get("address"),
        "delay": entry.get("delay", 0.0),
    }


def _match(given: str, suffix: str, entry: dict, valid: bool) -> str:
    if not given or not valid:
        return "NOT_PROCESSED"
    if suffix == "Name":
        known = entry.get("name") or ""
        if known in ("", "---"):
            return "NOT_PROCESSED"
        return "VALID" if _compact(given) == _compact(known) else "INVALID"
    return "NOT_PROCESSED"


def _now_iso() -> str:
    now = datetime.fromtimestamp(time.time(), UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
