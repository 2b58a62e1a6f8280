"""Helpers shared by the resource modules: lists, metadata, filters, money formatting."""

from __future__ import annotations

import copy
import datetime as dt
from calendar import monthrange

from ..errors import StripeError, invalid

ZERO_DECIMAL = {
    "bif",
    "clp",
    "djf",
    "gnf",
    "jpy",
    "kmf",
    "krw",
    "mga",
    "pyg",
    "rwf",
    "ugx",
    "vnd",
    "vuv",
    "xaf",
    "xof",
    "xpf",
}
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "chf": "CHF ", "cad": "CA$"}


def format_money(amount: int, currency: str) -> str:
    symbol = SYMBOLS.get(currency, currency.upper() + " ")
    if currency in ZERO_DECIMAL:
        return f"{symbol}{amount}"
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    return f"{sign}{symbol}{amount // 100}.{amount % 100:02d}"


def paginate(ctx, objects: list[dict], url: str, render=None) -> dict:
    """Stripe's list object over `objects` (oldest first): newest first, cursors, has_more."""
    params = ctx.params
    items = list(reversed(objects))
    limit = params.get("limit", 10)
    after, before = params.get("starting_after"), params.get("ending_before")
    ids = [o["id"] for o in items]
    if after:
        if after not in ids:
            raise StripeError(
                f"No such object: '{after}'",
                status=400,
                code="resource_missing",
                param="starting_after",
            )
        items = items[ids.index(after) + 1 :]
        page, has_more = items[:limit], len(items) > limit
    elif before:
        if before not in ids:
            raise StripeError(
                f"No such object: '{before}'",
                status=400,
                code="resource_missing",
                param="ending_before",
            )
        items = items[: ids.index(before)]
        page, has_more = items[-limit:], len(items) > limit
    else:
        page, has_more = items[:limit], len(items) > limit
    sub_expand = [e[len("data.") :] for e in ctx.expand if e.startswith("data.")]
    others = [e for e in ctx.expand if not e.startswith("data.")]
    if others:
        raise StripeError(f"This property cannot be expanded ({others[0]}).", param="expand")
    render = render or (lambda obj: ctx.render(obj, sub_expand))
    return {"object": "list", "data": [render(o) for o in page], "has_more": has_more, "url": url}


def list_object(data: list[dict], url: str, has_more: bool = False, **extra) -> dict:
    return {"object": "list", "data": data, "has_more": has_more, **extra, "url": url}


def match_range(value, condition) -> bool:
    """Stripe's `created=123` or `created[gte]=...` filters."""
    if condition is None:
        return True
    if isinstance(condition, int):
        return value == condition
    if value is None:
        return False
    checks = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    return all(checks[op](value, bound) for op, bound in condition.items())


def merge_metadata(current: dict | None, update) -> dict:
    """Stripe's metadata update: `""` clears everything, a key set to `""` is removed."""
    if update == "":
        return {}
    merged = dict(current or {})
    for key, value in (update or {}).items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def unset(value):
    """Params typed `Literal['']|X` use "" to unset; map it to None."""
    return None if value == "" else value


def reject_unsupported(ctx, supported: set[str], where: str) -> None:
    """Fail loudly on parameters Stripe accepts but the emulator does not emulate."""
    for name in ctx.params:
        if name not in supported and name != "expand":
            raise StripeError(
                f"The Stripe emulator does not emulate `{name}` on {where}; see "
                "emulators/README.md.",
                param=name,
            )


def reject_unsupported_in_list(ctx, name: str, supported: set[str], where: str) -> None:
    """Like `reject_unsupported`, for the entries of a list parameter (`items[0][discounts]`)."""
    entries = ctx.params.get(name)
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        for key in entry if isinstance(entry, dict) else ():
            if key not in supported:
                raise StripeError(
                    f"The Stripe emulator does not emulate `{name}[].{key}` on {where}; see "
                    "emulators/README.md.",
                    param=f"{name}[{index}][{key}]",
                )


def diff(before: dict, after: dict, ignore: tuple = ("updated",)) -> dict:
    """previous_attributes for an `*.updated` event: old values of top-level keys that changed."""
    return {
        key: copy.deepcopy(before.get(key))
        for key in after
        if key not in ignore and before.get(key) != after.get(key)
    }


def address(value) -> dict | None:
    if not value:
        return None
    return {k: value.get(k) for k in ("city", "country", "line1", "line2", "postal_code", "state")}


def shipping(value) -> dict | None:
    if not value:
        return None
    return {
        "address": address(value.get("address")),
        "name": value.get("name"),
        "phone": value.get("phone"),
    }


def custom_fields(value) -> list | None:
    if not value:
        return None
    return [{"name": f["name"], "value": f["value"]} for f in value]


def add_interval(start: int, interval: str, count: int, anchor: int | None = None) -> int:
    """`start` plus `count` intervals; months keep the anchor's day of month where they can."""
    if interval == "day":
        return start + count * 86400
    if interval == "week":
        return start + count * 7 * 86400
    months = count * (12 if interval == "year" else 1)
    base = dt.datetime.fromtimestamp(start, dt.UTC)
    day = dt.datetime.fromtimestamp(anchor if anchor is not None else start, dt.UTC).day
    month_index = base.month - 1 + months
    year, month = base.year + month_index // 12, month_index % 12 + 1
    day = min(day, monthrange(year, month)[1])
    return int(base.replace(year=year, month=month, day=day).timestamp())


def require(ctx, name: str):
    if name not in ctx.params:
        raise StripeError(f"Missing required param: {name}.", code="parameter_missing", param=name)
    return ctx.params[name]


def tax_rate_objects(ctx, ids, param: str) -> list[dict]:
    rates = []
    for index, rate_id in enumerate(ids or []):
        rate = ctx.find("tax_rate", rate_id)
        if rate is None:
            raise StripeError(
                f"No such tax rate: '{rate_id}'",
                code="resource_missing",
                param=f"{param}[{index}]",
            )
        if not rate["active"]:
            raise invalid(
                f"Tax rate {rate_id} is archived and cannot be applied.",
                param=f"{param}[{index}]",
            )
        rates.append(copy.deepcopy(rate))
    return rates
