"""Stripe's wire format: form-encoded bodies with bracketed keys, JSON out.

`customer=cus_1&items[0][price]=price_1&metadata[k]=v&expand[]=latest_invoice` decodes to
`{"customer": "cus_1", "items": {"0": {"price": "price_1"}}, "metadata": {"k": "v"},
"expand": {"0": "latest_invoice"}}`. Arrays stay dicts with digit keys here; the validator turns
them into lists where the SDK's parameter types say "list" (a metadata key may be "0" too).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from urllib.parse import parse_qsl

from .errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def decode_form(text: str) -> dict:
    """Decode an `application/x-www-form-urlencoded` string into nested dicts."""
    root: dict = {}
    for raw_key, value in parse_qsl(text, keep_blank_values=True):
        match = _KEY.match(raw_key)
        if not match:
            raise invalid(f"Invalid parameter name: {raw_key}", param=raw_key)
        parts = [match.group(1), *_PART.findall(match.group(2))]
        node = root
        for index, part in enumerate(parts):
            if part == "":
                part = str(len(node))
            last = index == len(parts) - 1
            if last:
                if isinstance(node.get(part), dict):
                    raise invalid(f"Invalid parameter: {raw_key}", param=raw_key)
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid(f"Invalid parameter: {raw_key}", param=raw_key)
                node = child
    return root


def _default(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, set | tuple):
        return list(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps(data) -> bytes:
    """Stripe answers pretty-printed JSON; so does the emulator."""
    return json.dumps(data, indent=2, default=_default).encode()
