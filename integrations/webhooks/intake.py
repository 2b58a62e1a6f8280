"""What a webhook body must be before it is verified and stored: a Stripe event object that
PostgreSQL can hold. Pure: bytes in, a dict or None out."""

import json
import math
from typing import Any, NoReturn

# Column sizes of StripeEvent.event_id, event_type and api_version.
MAX_ID = 80
MAX_TYPE = 80
MAX_API_VERSION = 40


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
