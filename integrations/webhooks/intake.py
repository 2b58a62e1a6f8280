"""What a webhook delivery must be before it is stored: signed by Stripe with the endpoint's
secret, and a Stripe event object that PostgreSQL can hold. Pure: bytes in, a verdict out."""

import hashlib
import hmac
import json
import math
from typing import Any, NoReturn

# Column sizes of StripeEvent.event_id, event_type and api_version.
MAX_ID = 80
MAX_TYPE = 80
MAX_API_VERSION = 40


# Stripe's own libraries refuse a signature older than this; we refuse one as far in the future
# too (a clock that far ahead proves nothing either).
SIGNATURE_TOLERANCE = 300
# Stripe sends one v1 signature per active secret (two while a secret is being rolled); a header
# longer than this is no Stripe header.
MAX_SIGNATURE_HEADER = 2048


def signature_is_valid(
    body: bytes, header: str, secret: str, now: float, tolerance: int = SIGNATURE_TOLERANCE
) -> bool:
    """Whether ``header`` (Stripe-Signature: ``t=<unix time>,v1=<hex>,…``) signs ``body`` with
    ``secret`` (HMAC-SHA256 of ``"<t>." + body``) at a time within ``tolerance`` of ``now``.
    Any one v1 signature may match; others (v0, unknown schemes) are ignored."""
    if not secret or not header or len(header) > MAX_SIGNATURE_HEADER:
        return False
    timestamps, signatures = [], []
    for item in header.split(","):
        scheme, _, value = item.strip().partition("=")
        if scheme == "t":
            timestamps.append(value)
        elif scheme == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not signatures or not timestamps[0].isascii():
        return False
    if not timestamps[0].isdigit() or abs(now - int(timestamps[0])) > tolerance:
        return False
    signed = timestamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest().encode()
    # Constant time against every candidate; a non-ASCII candidate can never match.
    return any(
        hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
        for candidate in signatures
    )


class _Unstorable(ValueError):
    pass


def _refuse_constant(name: str) -> NoReturn:
    raise _Unstorable(name)  # NaN and Infinity are not JSON and jsonb refuses them


def _storable(value: object) -> bool:
    """No NUL and no lone surrogate in any key or string (jsonb and UTF-8 refuse both)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            return False
    return True


def _short_str(value: object, limit: int, *, required: bool) -> bool:
    if value is None:
        return not required
    return isinstance(value, str) and (bool(value) or not required) and len(value) <= limit


def parse_event_body(body: bytes) -> dict[str, Any] | None:
    """The event in ``body``, or None when it is not a storable Stripe event object."""
    try:
        payload = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    created = payload.get("created")
    data = payload.get("data")
    well_formed = (
        _short_str(payload.get("id"), MAX_ID, required=True)
        and _short_str(payload.get("type"), MAX_TYPE, required=True)
        and _short_str(payload.get("api_version"), MAX_API_VERSION, required=False)
        and (created is None or (type(created) is int and 0 <= created < 2**33))
        and isinstance(payload.get("livemode", False), bool)
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    )
    if not well_formed:
        return None
    return payload if _storable(payload) else None
