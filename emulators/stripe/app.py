"""The emulator's core: one `Emulator` answers requests without knowing about sockets.

`Emulator.handle(method, target, headers, body)` returns a `Response`; `server.py` adapts it to
HTTP. The API pipeline for /v1 mirrors Stripe's: authenticate, rate-limit, route, check the
restricted key's permission, look up the idempotency key, validate the parameters against the
SDK's types, execute under the store lock, remember the response for the idempotency key.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import secrets
import threading
import time
import traceback
from dataclasses import dataclass, field
from urllib.parse import urlencode

from stripe._api_version import _ApiVersion
from stripe.params._webhook_endpoint_create_params import WebhookEndpointCreateParams

from .._server import Response
from . import resources, router  # importing resources registers the routes
from .due import DueIndex
from .errors import StripeError, mask_key
from .faults import FaultSet, RateLimiter, fault_error, rate_limit_error
from .keys import ApiKey, KeyRing, check_permission
from .state import Store
from .validation import _hints, validate
from .webhooks import WebhookDispatcher
from .wire import decode_form, dumps

logger = logging.getLogger("emulators.stripe")

API_VERSION = _ApiVersion.CURRENT


def _known_versions() -> frozenset:
    import typing

    hint = _hints(WebhookEndpointCreateParams)[0]["api_version"]
    while typing.get_origin(hint) is not typing.Literal:
        hint = typing.get_args(hint)[0]
    return frozenset(typing.get_args(hint))


KNOWN_VERSIONS = _known_versions()

DEFAULT_CONFIG = {
    # Search sees a write only this many seconds (emulator clock) after it happened.
    "search_index_delay": 2.0,
    # Test mode's global limit is 25 requests/second per account; live mode's is 100.
    "rate_limit_enabled": True,
    "rate_limit_test": 25,
    "rate_limit_live": 100,
    # Webhook delivery, retried like Stripe's for up to 3 days after the first attempt: backoff
    # base (seconds, doubled per attempt, capped at the max delay so a late receiver is reached
    # within minutes), an optional cap on attempts (None: the window alone), timeout.
    "webhook_retry_base": 1.0,
    "webhook_retry_max_delay": 300.0,
    "webhook_retry_window": 3 * 24 * 3600.0,
    "webhook_max_attempts": None,
    "webhook_timeout": 10.0,
    "webhook_duplicates": False,
    "webhook_order": "in_order",  # in_order | shuffle | reverse
    "webhook_seed": 7,
    # Seed for object ids (None: random, so ids never repeat across resets and restarts).
    "id_seed": None,
    # What a payment attempt does for customers without their own setting: succeed | fail.
    "default_payment_behavior": "succeed",
    "idempotency_ttl": 24 * 3600,
}


def json_response(status: int, data, headers: dict | None = None) -> Response:
    return Response(status, dumps(data), headers=dict(headers or {}))


def error_response(error: StripeError, request_id: str | None = None) -> Response:
    headers = dict(error.headers)
    if request_id:
        headers["Request-Id"] = request_id
    return json_response(error.status, error.body(request_id), headers)


@dataclass
class _Idem:
    fingerprint: str
    path: str
    created: int
    in_flight: bool = True
    status: int = 0
    body: bytes = b""
    headers: dict = field(default_factory=dict)


class Emulator:
    """A stateful Stripe test double. Thread-safe; one instance per server."""

    def __init__(self, config: dict | None = None):
        unknown = set(config or {}) - set(DEFAULT_CONFIG)
        if unknown:
            raise ValueError(f"unknown emulator settings: {', '.join(sorted(unknown))}")
        self.explicit_config = dict(config or {})
        self.defaults = {**DEFAULT_CONFIG, **self.explicit_config}
        self.store = Store()
        self.due = DueIndex(self, resources.DUE_ENTRIES)
        self.keys = KeyRing()
        self.faults = FaultSet()
        self.rate = RateLimiter()
        self.webhooks = WebhookDispatcher(self)
        self.base_url = "http://127.0.0.1"
        self.requests_lock = threading.Lock()
        self.outbox: list | None = None
        # Called (without arguments) after anything that may have changed the state.
        self.listeners: list = []
        # Guards the dashboard's buttons against cross-site form posts.
        self.dashboard_token = secrets.token_urlsafe(24)
        self.reset()

    # -- lifecycle -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything: objects, keys added at runtime, faults, requests, deliveries."""
        with self.store.lock:
            self.config = dict(self.defaults)
            self.store.reset(self.config["id_seed"])
            self.due.reset()
            self.keys.reset(self.store.now())
            self.faults.clear()
            self.rate.reset()
            self.idempotency: dict[tuple, _Idem] = {}
            with self.requests_lock:
                self.requests: list[dict] = []
            self.webhooks.reset()
        self.changed()

    def changed(self) -> None:
        """Tell the listeners (the state file) that the state may have changed."""
        for listener in self.listeners:
            listener()

    def set_config(self, values: dict) -> dict:
        unknown = set(values) - set(DEFAULT_CONFIG)
        if unknown:
            raise ValueError(f"unknown emulator settings: {', '.join(sorted(unknown))}")
        with self.store.lock:
            self.config.update(values)
            return dict(self.config)

    def advance(self, seconds: float) -> int:
        """Move the clock forward and run whatever became due (renewals, finalizations...)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self.store.lock:
            self.store.advance(seconds)
            self.tick()
            return self.store.now()

    # -- time-driven work ----------------------------------------------------------------------
    def tick(self) -> None:
        """Run due actions (in due-time order) until nothing is due. The due-time index
        (due.py) finds them without looking at objects nothing has touched."""
        with self.store.lock:
            now = self.store.now()
            for _ in range(100_000):
                action = self.due.next_action(now)
                if action is None:
                    return
                action()
            logger.error("emulator tick did not settle")

    # -- rendering -----------------------------------------------------------------------------
    def render(self, obj: dict, owner: tuple, expand: list[str] | None = None) -> dict:
        from .resources import RENDERERS

        kind = self.store.kind_of(obj.get("id", "")) or obj.get("object")
        renderer = RENDERERS.get(kind)
        out = renderer(self, obj) if renderer else copy.deepcopy(obj)
        for path in expand or []:
            self._expand(out, path.split("."), owner, path)
        return out

    def _expand(self, node, segments: list[str], owner: tuple, full: str) -> None:
        from .resources import INCLUDABLE

        if not segments or not isinstance(node, dict):
            return
        head, rest = segments[0], segments[1:]
        if node.get("object") in ("list", "search_result") and head == "data":
            for item in node.get("data", []):
                self._expand(item, rest, owner, full)
            return
        kind = node.get("object")
        include = INCLUDABLE.get(kind, {}).get(head)
        if include is not None:
            node[head] = include(self, node)
        elif head not in node:
            raise StripeError(f"This property cannot be expanded ({full}).", param="expand")
        value = node.get(head)
        if isinstance(value, str):
            target = self.store.objects.get(value)
            if target is None or self.store.owner_of(value) != owner:
                raise StripeError(f"This property cannot be expanded ({full}).", param="expand")
            node[head] = value = self.render(target, owner)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            expanded = []
            for item in value:
                target = self.store.objects.get(item)
                expanded.append(self.render(target, owner) if target else item)
            node[head] = value = expanded
        if rest:
            if isinstance(value, list):
                for item in value:
                    self._expand(item, rest, owner, full)
            else:
                self._expand(value, rest, owner, full)

    # -- events --------------------------------------------------------------------------------
    def emit(
        self,
        owner: tuple,
        event_type: str,
        obj: dict,
        previous: dict | None = None,
        request: tuple | None = None,
    ) -> dict:
        store = self.store
        with store.lock:
            data = {"object": self.render(obj, owner)}
            if previous:
                data["previous_attributes"] = copy.deepcopy(previous)
            endpoints = [
                endpoint
                for endpoint in store.all("webhook_endpoint", owner)
                if endpoint["status"] == "enabled"
                and ("*" in endpoint["enabled_events"] or event_type in endpoint["enabled_events"])
            ]
            request_id, idempotency_key = request or (None, None)
            event = {
                "id": store.new_id("evt"),
                "object": "event",
                "api_version": API_VERSION,
                "created": store.now(),
                "data": data,
                "livemode": owner[1],
                "pending_webhooks": len(endpoints),
                "request": {"id": request_id, "idempotency_key": idempotency_key},
                "type": event_type,
            }
            store.add("event", event, owner)
            if self.outbox is not None:
                self.outbox.append((event, endpoints))
            else:
                self.webhooks.enqueue(event, endpoints)
            return event

    # -- requests ------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict, body: bytes) -> Response:
        try:
            return self._handle(method, target, headers, body)
        finally:
            self.changed()

    def _handle(self, method: str, target: str, headers: dict, body: bytes) -> Response:
        method = method.upper()
        path, _, query = target.partition("?")
        if path in ("/_emulator", "/_emulator/") or path.startswith("/_emulator/dashboard/"):
            from .dashboard import handle_dashboard

            return handle_dashboard(self, method, path, query, headers, body)
        if path.startswith("/_emulator/"):
            from .control import handle_control

            return handle_control(self, method, path, query, headers, body)
        if path.startswith(("/c/pay/", "/i/", "/receipts/")):
            from .pages import handle_page

            return handle_page(self, method, path, query, headers, body)
        request_id = "req_" + self.store.token(14)
        entry = {
            "id": request_id,
            "method": method,
            "path": path,
            "query": query,
            "time": self.store.now(),
            "received": self.store.precise_now(),  # sub-second, to measure request rates
            "key": None,
            "idempotency_key": headers.get("idempotency-key"),
            "stripe_version": headers.get("stripe-version"),
            "params": None,
            "status": None,
        }
        with self.requests_lock:
            self.requests.append(entry)
            del self.requests[:-10_000]
        try:
            response = self._api(method, path, query, headers, body, request_id, entry)
        except StripeError as error:
            response = error_response(error, request_id)
        except Exception:
            logger.error("emulator error on %s %s\n%s", method, path, traceback.format_exc())
            response = error_response(
                StripeError("An unknown error occurred", status=500, type="api_error"),
                request_id,
            )
        response.headers.setdefault("Request-Id", request_id)
        response.headers.setdefault("Stripe-Version", entry["stripe_version"] or API_VERSION)
        entry["status"] = response.status if not response.drop else "dropped"
        return response

    def _api(self, method, path, query, headers, body, request_id, entry) -> Response:
        key = self._authenticate(headers)
        entry["key"] = mask_key(key.key)
        version = headers.get("stripe-version")
        if version and version not in KNOWN_VERSIONS:
            raise StripeError(f"Invalid Stripe API version: {version}", param="stripe_version")
        if (
            self.config["rate_limit_enabled"]
            and key.rate_limited
            and not self.rate.allow(
                key.owner,
                self.config["rate_limit_live" if key.livemode else "rate_limit_test"],
            )
        ):
            raise rate_limit_error()
        fired = self.faults.take(method, path, key.key)
        for fault in fired:
            if fault.action in ("error", "rate_limit"):
                raise fault_error(fault)
        latency = sum(f.latency_ms for f in fired if f.action == "latency") / 1000
        drop = any(f.action == "drop" for f in fired)

        found = router.match(method, path)
        if found is None:
            raise StripeError(
                f"Unrecognized request URL ({method}: {path}). Please see "
                "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                status=404,
            )
        route, path_params = found
        if route.permission:
            check_permission(key, *route.permission)

        text = body.decode("utf-8", "replace") if method == "POST" else query
        raw = decode_form(text or "")
        if method == "POST" and query:
            raw = {**decode_form(query), **raw}
        entry["params"] = raw

        idem_key = headers.get("idempotency-key") if method == "POST" else None
        idem_slot = None
        if idem_key:
            if len(idem_key) > 255:
                raise StripeError(
                    "Idempotency-Key must be at most 255 characters long.",
                    param="Idempotency-Key",
                )
            fingerprint = hashlib.sha256(
                json.dumps([method, path, raw], sort_keys=True).encode()
            ).hexdigest()
            idem_slot = (key.account, key.livemode, idem_key)
            with self.store.lock:
                record = self.idempotency.get(idem_slot)
                if record and record.created + self.config["idempotency_ttl"] <= self.store.now():
                    record = None
                    del self.idempotency[idem_slot]
                if record is not None:
                    return self._replay(record, path, fingerprint, idem_key, drop)
        params = validate(raw, route.params)
        if idem_slot:
            with self.store.lock:
                # Re-check: another request may have taken the key while we validated.
                record = self.idempotency.get(idem_slot)
                if record is not None:
                    return self._replay(record, path, fingerprint, idem_key, drop)
                self.idempotency[idem_slot] = _Idem(fingerprint, path, self.store.now())
        try:
            if latency:
                time.sleep(latency)
            response = self._execute(route, key, params, path_params, request_id, idem_key)
        except BaseException:
            if idem_slot:
                with self.store.lock:
                    self.idempotency.pop(idem_slot, None)
            raise
        if idem_slot:
            response.headers["Idempotency-Key"] = idem_key
            with self.store.lock:
                record = self.idempotency[idem_slot]
                record.in_flight = False
                record.status = response.status
                record.body = response.body
                record.headers = {
                    k: v for k, v in response.headers.items() if k.lower() != "request-id"
                }
        response.drop = drop
        return response

    def _replay(self, record: _Idem, path, fingerprint, idem_key, drop) -> Response:
        if record.in_flight:
            raise StripeError(
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still "
                f"going through): {idem_key}. Please try again later.",
                status=409,
                code="idempotency_key_in_use",
                type="invalid_request_error",
                headers={"Stripe-Should-Retry": "true"},
            )
        if record.path != path:
            raise StripeError(
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{record.path}' vs '{path}'). Try using a key other than "
                f"'{idem_key}' if you meant to execute a different request.",
                type="idempotency_error",
            )
        if record.fingerprint != fingerprint:
            raise StripeError(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{idem_key}' if you meant "
                "to execute a different request.",
                type="idempotency_error",
            )
        headers = dict(record.headers)
        headers["Idempotent-Replayed"] = "true"
        headers["Idempotency-Key"] = idem_key
        return Response(record.status, record.body, headers=headers, drop=drop)

    def _execute(self, route, key, params, path_params, request_id, idem_key) -> Response:
        with self.store.lock:
            self.tick()
            ctx = router.Context(
                emu=self,
                key=key,
                owner=key.owner,
                params=params,
                path=path_params,
                request_id=request_id,
                idempotency_key=idem_key,
            )
            # A request is atomic: objects and events it created vanish if it fails, and
            # webhooks go out only for requests that succeeded.
            self.store.journal, self.outbox = [], []
            try:
                result = route.handler(ctx)
            except BaseException as error:
                if isinstance(error, StripeError) and error.keep_effects:
                    for event, endpoints in self.outbox:
                        self.webhooks.enqueue(event, endpoints)
                    return error_response(error, request_id)
                for object_id in reversed(self.store.journal):
                    self.store.remove(object_id)
                if isinstance(error, StripeError):
                    return error_response(error, request_id)
                raise
            else:
                for event, endpoints in self.outbox:
                    self.webhooks.enqueue(event, endpoints)
            finally:
                self.store.journal, self.outbox = None, None
            return json_response(200, result)

    def _authenticate(self, headers: dict) -> ApiKey:
        auth = headers.get("authorization", "")
        token = None
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        elif auth.lower().startswith("basic "):
            import base64

            try:
                token = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                token = None
        return self.keys.lookup(token)

    # -- inspection ----------------------------------------------------------------------------
    def received_requests(self, method: str | None = None, path: str | None = None) -> list:
        with self.requests_lock:
            return [
                copy.deepcopy(r)
                for r in self.requests
                if (not method or r["method"] == method.upper())
                and (not path or r["path"] == path or r["path"].startswith(path.rstrip("*")))
            ]

    def dump(self) -> dict:
        with self.store.lock:
            return {
                "now": self.store.now(),
                "clock_offset": self.store.clock_offset,
                "config": dict(self.config),
                "accounts": copy.deepcopy(self.keys.accounts),
                "keys": [k.public() for k in self.keys.keys.values()],
                "objects": self.store.snapshot(),
                "faults": self.faults.public(),
            }

    def url(self, path: str, query: dict | None = None) -> str:
        return self.base_url + path + (("?" + urlencode(query)) if query else "")
