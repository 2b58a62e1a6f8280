"""Control endpoints under /_emulator/ (JSON in, JSON out; no API key).

The HTML dashboard at /_emulator/ and its buttons live in dashboard.py.

GET    /_emulator/health                      liveness and the emulator clock
POST   /_emulator/reset                       forget everything (back to the seeds)
GET    /_emulator/state                       dump objects, keys, config, faults
GET    /_emulator/requests[?method=&path=]    received /v1 requests; DELETE clears them
GET    /_emulator/config                      settings; POST {name: value} changes them
GET    /_emulator/keys                        keys (masked); POST adds one
GET    /_emulator/clock                       the clock; POST /_emulator/clock/advance
                                              {"seconds": n} runs what became due
GET    /_emulator/faults                      faults; POST adds one; DELETE clears
POST   /_emulator/webhooks/pause|resume       stop / restart delivery
POST   /_emulator/webhooks/flush              {"timeout": s}: wait until delivered
GET    /_emulator/webhooks/deliveries         every delivery attempt (payload, signature)
GET    /_emulator/webhooks/pending            deliveries still queued
POST   /_emulator/customers/{id}/payment_behavior  {"behavior": "succeed"|"fail"}
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import parse_qs

from .keys import PERMISSIONS, ApiKey

PAYMENT_BEHAVIORS = ("succeed", "fail")


def _json(status: int, data):
    from .app import json_response

    return json_response(status, data)


def _error(status: int, message: str):
    return _json(status, {"error": {"type": "emulator_control_error", "message": message}})


def handle_control(emu, method, path, query, headers, body):
    try:
        payload = json.loads(body.decode() or "{}") if method in ("POST", "PUT") else {}
    except ValueError:
        return _error(400, "control endpoints take a JSON body")
    if not isinstance(payload, dict):
        return _error(400, "the JSON body must be an object")
    args = {k: v[-1] for k, v in parse_qs(query).items()}
    route = (method, path.rstrip("/"))
    try:
        return _dispatch(emu, route, payload, args)
    except (ValueError, TypeError, KeyError) as exc:
        return _error(400, str(exc))


def _dispatch(emu, route, payload, args):
    method, path = route
    store = emu.store
    if route == ("GET", "/_emulator/health"):
        return _json(200, {"ok": True, "now": store.now(), "base_url": emu.base_url})
    if route == ("POST", "/_emulator/reset"):
        emu.reset()
        return _json(200, {"reset": True, "now": store.now()})
    if route == ("GET", "/_emulator/state"):
        return _json(200, emu.dump())
    if path == "/_emulator/requests":
        if method == "DELETE":
            with emu.requests_lock:
                emu.requests.clear()
            return _json(200, {"cleared": True})
        return _json(200, {"data": emu.received_requests(args.get("method"), args.get("path"))})
    if path == "/_emulator/config":
        if method == "POST":
            return _json(200, emu.set_config(payload))
        return _json(200, dict(emu.config))
    if path == "/_emulator/keys":
        if method == "POST":
            return _json(200, _add_key(emu, payload))
        with store.lock:
            return _json(200, {"data": [k.public() for k in emu.keys.keys.values()]})
    if route == ("GET", "/_emulator/clock"):
        return _json(200, {"now": store.now(), "offset": store.clock_offset})
    if route == ("POST", "/_emulator/clock/advance"):
        seconds = float(payload.get("seconds", 0))
        if "to" in payload:
            seconds = float(payload["to"]) - store.now()
        return _json(200, {"now": emu.advance(seconds)})
    if path == "/_emulator/faults":
        if method == "POST":
            return _json(200, emu.faults.add(payload).public())
        if method == "DELETE":
            emu.faults.clear()
            return _json(200, {"cleared": True})
        return _json(200, {"data": emu.faults.public()})
    if route == ("POST", "/_emulator/webhooks/pause"):
        emu.webhooks.pause()
        return _json(200, {"paused": True})
    if route == ("POST", "/_emulator/webhooks/resume"):
        emu.webhooks.resume()
        return _json(200, {"paused": False})
    if route == ("POST", "/_emulator/webhooks/flush"):
        return _json(200, emu.webhooks.flush(float(payload.get("timeout", 10))))
    if route == ("GET", "/_emulator/webhooks/deliveries"):
        return _json(200, {"data": emu.webhooks.deliveries()})
    if route == ("GET", "/_emulator/webhooks/pending"):
        return _json(200, {"data": emu.webhooks.pending()})
    parts = path.split("/")
    if (
        method == "POST"
        and len(parts) == 5
        and parts[2] == "customers"
        and parts[4] == ("payment_behavior")
    ):
        return _payment_behavior(emu, parts[3], payload)
    return _error(404, f"unknown control endpoint {method} {path}")


def set_payment_behavior(emu, customer_id: str, behavior) -> bool:
    """Make the customer's payment attempts succeed or fail; False if there is no such
    customer. Raises ValueError for another behaviour."""
    if behavior not in PAYMENT_BEHAVIORS:
        raise ValueError(f"behavior must be one of {', '.join(PAYMENT_BEHAVIORS)}")
    with emu.store.lock:
        if emu.store.kind_of(customer_id) != "customer":
            return False
        emu.store.internal[customer_id]["payment_behavior"] = behavior
    return True


def _payment_behavior(emu, customer_id, payload):
    behavior = payload.get("behavior")
    if not set_payment_behavior(emu, customer_id, behavior):
        return _error(404, f"no customer {customer_id}")
    return _json(200, {"customer": customer_id, "behavior": behavior})


def _add_key(emu, payload) -> dict:
    livemode = bool(payload.get("livemode", False))
    permissions = payload.get("permissions")
    restricted = permissions is not None
    if restricted:
        if not isinstance(permissions, dict):
            raise ValueError("permissions maps resource groups to 'read' or 'write'")
        for name, access in permissions.items():
            if name not in PERMISSIONS:
                raise ValueError(f"unknown resource group {name!r}; one of {sorted(PERMISSIONS)}")
            if access not in ("read", "write"):
                raise ValueError(f"permission for {name} must be 'read' or 'write'")
    mode = "live" if livemode else "test"
    key = payload.get("key") or (f"{'rk' if restricted else 'sk'}_{mode}_{secrets.token_hex(12)}")
    expected = f"{'rk' if restricted else 'sk'}_{mode}_"
    if not key.startswith(expected):
        raise ValueError(
            f"a {'restricted' if restricted else 'secret'} {mode} key starts with {expected}"
        )
    with emu.store.lock:
        account = payload.get("account") or "acct_1" + emu.store.token(15)
        if account not in emu.keys.accounts:
            emu.keys.add_account(
                account,
                payload.get("display_name") or "Emulator account",
                emu.store.now(),
                country=payload.get("country", "DE"),
                currency=payload.get("default_currency", "eur"),
                email=payload.get("email"),
            )
        elif payload.get("display_name"):
            emu.keys.accounts[account]["settings"]["dashboard"]["display_name"] = payload[
                "display_name"
            ]
            emu.keys.accounts[account]["business_profile"]["name"] = payload["display_name"]
        api_key = emu.keys.add(
            ApiKey(
                key,
                account,
                livemode,
                permissions=dict(permissions) if restricted else None,
                account_access=bool(payload.get("account_access", not restricted)),
                rate_limited=bool(payload.get("rate_limited", True)),
                name=payload.get("name", ""),
            )
        )
        public = api_key.public()
    public["key"] = key
    return public
