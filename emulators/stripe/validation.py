"""Parameter validation driven by the installed SDK's typed parameters.

Every endpoint names the SDK's TypedDict for its parameters (for example
`stripe.params._customer_create_params.CustomerCreateParams`). The decoded form body is walked
against that type: unknown keys, missing required keys, wrong scalar types, values outside a
`Literal` and empty strings where the type does not allow `""` are rejected with Stripe's error
codes, and the values come back coerced (ints, bools, Decimals, lists). The SDK's types carry no
length or count limits, so the documented ones live in `LIMITS` below.
"""

from __future__ import annotations

import re
import types
import typing
from decimal import Decimal, InvalidOperation

from stripe._request_options import RequestOptions
from stripe._stripe_object import UntypedStripeObject
from typing_extensions import is_typeddict

from .errors import StripeError, invalid

_REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)
_LOCALNS = {
    "StripeContext": object,
    "Mapping": typing.Mapping,
    "Any": typing.Any,
    "Optional": typing.Optional,
    "Dict": typing.Dict,  # noqa: UP006 - names the SDK's own annotations use
    "Tuple": typing.Tuple,  # noqa: UP006
}
_INTEGER = re.compile(r"^-?\d+$")
_DECIMAL = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
_WRAPPERS = (typing.NotRequired, typing.Required, typing.Annotated)
_hints_cache: dict[type, tuple[dict, frozenset]] = {}

MAX_AMOUNT = 99_999_999
"""Stripe's safe per-payment maximum in minor units (eight digits)."""

# Documented limits the SDK's types don't carry: (params class name or "*", dotted path with
# "[]" for list elements, kind, limit). A path matches when the normalized parameter path ends
# with it on a segment boundary.
LIMITS: list[tuple[str, str, str, int]] = [
    ("*", "custom_fields", "max_items", 4),
    ("*", "custom_fields[].name", "max_length", 40),
    ("*", "custom_fields[].value", "max_length", 140),
    ("SubscriptionCreateParams", "items", "max_items", 20),
    ("SubscriptionCreateParams", "add_invoice_items", "max_items", 20),
    ("SubscriptionUpdateParams", "items", "max_items", 20),
    ("SubscriptionUpdateParams", "add_invoice_items", "max_items", 20),
    ("SessionCreateParams", "line_items", "max_items", 100),
    ("SessionCreateParams", "client_reference_id", "max_length", 200),
    ("SubscriptionCreateParams", "description", "max_length", 500),
    ("InvoiceCreateParams", "description", "max_length", 1500),
    ("InvoiceUpdateParams", "description", "max_length", 1500),
    ("InvoiceCreateParams", "footer", "max_length", 5000),
    ("InvoiceUpdateParams", "footer", "max_length", 5000),
    ("*", "invoice_settings.footer", "max_length", 5000),
    ("CustomerCreateParams", "email", "max_length", 512),
    ("CustomerUpdateParams", "email", "max_length", 512),
    ("CustomerCreateParams", "name", "max_length", 256),
    ("CustomerUpdateParams", "name", "max_length", 256),
    ("*", "business_name", "max_length", 150),
    ("*", "individual_name", "max_length", 150),
    ("TaxRateCreateParams", "display_name", "max_length", 50),
    ("TaxRateCreateParams", "jurisdiction", "max_length", 50),
    ("*", "default_tax_rates", "max_items", 5),
    ("*", "tax_rates", "max_items", 5),
    ("*", "amount", "max_value", MAX_AMOUNT),
    ("*", "unit_amount", "max_value", MAX_AMOUNT),
    ("*", "unit_amount", "min_value", 0),
    ("*", "unit_amount_decimal", "max_value", MAX_AMOUNT),
    # Prices are never negative; an invoice item's own `unit_amount_decimal` may be (a credit
    # that reduces amount_due), as its `amount` may.
    ("PriceCreateParams", "unit_amount_decimal", "min_value", 0),
    ("*", "price_data.unit_amount_decimal", "min_value", 0),
    ("*", "quantity", "min_value", 0),
    ("*", "quantity_decimal", "min_value", 0),
    ("*", "days_until_due", "min_value", 0),
    ("*", "limit", "min_value", 1),
    ("*", "limit", "max_value", 100),
    ("*", "recurring.interval_count", "min_value", 1),
]


def _hints(td: type) -> tuple[dict, frozenset]:
    cached = _hints_cache.get(td)
    if cached is None:
        hints = typing.get_type_hints(td, localns=_LOCALNS, include_extras=True)
        fields = {k: v for k, v in hints.items() if k not in _REQUEST_OPTION_KEYS}
        required = frozenset(td.__required_keys__) - _REQUEST_OPTION_KEYS
        cached = (fields, required)
        _hints_cache[td] = cached
    return cached


def _unwrap(tp):
    while typing.get_origin(tp) in _WRAPPERS:
        tp = typing.get_args(tp)[0]
    return tp


def _is_union(tp) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _literal_values(tp) -> tuple | None:
    return typing.get_args(tp) if typing.get_origin(tp) is typing.Literal else None


def _shape(path: str) -> str:
    """`items[0][price_data][currency]` -> `items[].price_data.currency`."""
    parts = re.findall(r"[^\[\]]+", path)
    out = ""
    for part in parts:
        if part.isdigit():
            out += "[]"
        else:
            out += ("." if out else "") + part
    return out


def _limits_for(cls_name: str, path: str, kind: str) -> list[int]:
    shape = _shape(path)
    found = []
    for owner, suffix, rule_kind, limit in LIMITS:
        if rule_kind != kind or owner not in ("*", cls_name):
            continue
        if shape == suffix or shape.endswith("." + suffix):
            found.append(limit)
    return found


def _is_list_like(value) -> bool:
    return isinstance(value, list) or (
        isinstance(value, dict) and bool(value) and all(k.isdigit() for k in value)
    )


class _Validator:
    def __init__(self, root_name: str):
        self.root_name = root_name

    # -- entry points -------------------------------------------------------------------------
    def typeddict(self, value, td: type, path: str) -> dict:
        if not isinstance(value, dict):
            if value == "":
                raise self._empty(path)
            raise invalid(f"Invalid object{self._for(path)}", param=path or None)
        fields, required = _hints(td)
        out = {}
        for key, raw in value.items():
            sub = f"{path}[{key}]" if path else key
            if key not in fields:
                raise StripeError(
                    f"Received unknown parameter: {sub}",
                    code="parameter_unknown",
                    param=sub,
                )
            out[key] = self.value(raw, fields[key], sub)
        for key in sorted(required):
            if key not in value:
                sub = f"{path}[{key}]" if path else key
                raise StripeError(
                    f"Missing required param: {sub}.", code="parameter_missing", param=sub
                )
        return out

    # -- types ---------------------------------------------------------------------------------
    def value(self, value, tp, path: str):
        tp = _unwrap(tp)
        if tp is typing.Any or tp is object:
            return value
        if _is_union(tp):
            return self.union(value, tp, path)
        literals = _literal_values(tp)
        if literals is not None:
            return self.literal(value, literals, path)
        if is_typeddict(tp):
            return self.typeddict(value, tp, path)
        origin = typing.get_origin(tp)
        if origin is list or tp is list:
            return self.list(value, (typing.get_args(tp) or (typing.Any,))[0], path)
        if origin in (dict, UntypedStripeObject) or tp is dict:
            args = typing.get_args(tp)
            return self.dict(value, args[-1] if args else str, path)
        if tp is str:
            return self.string(value, path)
        if tp is bool:
            return self.boolean(value, path)
        if tp is int:
            return self.integer(value, path)
        if tp is float:
            return self.number(value, path)
        if tp is Decimal:
            return self.decimal(value, path)
        return value

    def union(self, value, tp, path: str):
        members = [_unwrap(m) for m in typing.get_args(tp)]
        empty_ok = any("" in (_literal_values(m) or ()) for m in members)
        if value == "" and empty_ok:
            return ""
        enum_values = [
            v for m in members for v in (_literal_values(m) or ()) if isinstance(v, str) and v
        ]
        candidates = []
        for member in members:
            literals = _literal_values(member)
            if literals is not None and set(literals) <= {""}:
                continue
            # `Union[Literal["a", "b"], str]` is the SDK's open enum; Stripe itself rejects
            # values outside the list, so the plain `str` member is dropped.
            if member is str and enum_values:
                continue
            candidates.append(member)
        if isinstance(value, dict):
            structured = [
                m
                for m in candidates
                if is_typeddict(m)
                or typing.get_origin(m) in (dict, list, UntypedStripeObject)
                or m in (dict, list)
            ]
            if _is_list_like(value):
                structured.sort(key=lambda m: typing.get_origin(m) is not list)
            candidates = structured or candidates
        else:
            scalar = [m for m in candidates if not is_typeddict(m)]
            candidates = scalar or candidates
        first_error = None
        for member in candidates:
            try:
                return self.value(value, member, path)
            except StripeError as exc:
                first_error = first_error or exc
        if first_error is None:
            raise invalid(f"Invalid value{self._for(path)}", param=path)
        raise first_error

    def literal(self, value, literals: tuple, path: str):
        if value in literals:
            return value
        if value == "":
            raise self._empty(path)
        choices = [str(v) for v in literals if v != ""]
        listed = ", ".join(choices[:-1]) + (f", or {choices[-1]}" if len(choices) > 2 else "")
        if len(choices) == 2:
            listed = f"{choices[0]} or {choices[1]}"
        elif len(choices) == 1:
            listed = choices[0]
        raise invalid(f"Invalid {self._leaf(path)}: must be one of {listed}", param=path)

    def list(self, value, item_tp, path: str) -> list:
        if isinstance(value, dict) and all(k.isdigit() for k in value):
            items = [value[k] for k in sorted(value, key=int)]
        elif isinstance(value, list):
            items = value
        elif value == "":
            raise self._empty(path)
        else:
            raise invalid(f"Invalid array{self._for(path)}", param=path)
        for limit in _limits_for(self.root_name, path, "max_items"):
            if len(items) > limit:
                raise invalid(
                    f"Invalid array: {path} must have at most {limit} elements, "
                    f"but {len(items)} were given.",
                    param=path,
                )
        return [self.value(item, item_tp, f"{path}[{i}]") for i, item in enumerate(items)]

    def dict(self, value, value_tp, path: str) -> dict:
        if not isinstance(value, dict):
            if value == "":
                raise self._empty(path)
            raise invalid(f"Invalid object{self._for(path)}", param=path)
        # A key set to "" unsets that key (metadata), so empty strings are fine here.
        out = {
            k: "" if v == "" else self.value(v, value_tp, f"{path}[{k}]") for k, v in value.items()
        }
        if _shape(path).endswith("metadata"):
            _check_metadata(out, path)
        return out

    def string(self, value, path: str) -> str:
        if not isinstance(value, str):
            raise invalid(f"Invalid string{self._for(path)}", param=path)
        if value == "":
            raise self._empty(path)
        for limit in _limits_for(self.root_name, path, "max_length"):
            if len(value) > limit:
                shown = value if len(value) <= 40 else value[:40] + "..."
                raise invalid(
                    f"Invalid string: {shown}; must be at most {limit} characters", param=path
                )
        return value

    def boolean(self, value, path: str) -> bool:
        if value in ("true", True):
            return True
        if value in ("false", False):
            return False
        if value == "":
            raise self._empty(path)
        raise invalid(f"Invalid boolean: {value}", param=path)

    def integer(self, value, path: str) -> int:
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and _INTEGER.match(value))
        ):
            if value == "":
                raise self._empty(path)
            raise StripeError(
                f"Invalid integer: {value}", code="parameter_invalid_integer", param=path
            )
        number = int(value)
        self._range(number, path)
        return number

    def number(self, value, path: str) -> float:
        if not isinstance(value, str) or not _DECIMAL.match(value):
            if value == "":
                raise self._empty(path)
            raise invalid(f"Invalid decimal: {value}", param=path)
        number = float(value)
        self._range(number, path)
        return number

    def decimal(self, value, path: str) -> Decimal:
        try:
            if not isinstance(value, str) or not _DECIMAL.match(value):
                raise InvalidOperation
            number = Decimal(value)
        except InvalidOperation:
            if value == "":
                raise self._empty(path) from None
            raise invalid(f"Invalid decimal: {value}", param=path) from None
        if "." in value and len(value.split(".", 1)[1]) > 12:
            raise invalid(
                f"Invalid decimal: {value}; must have at most 12 decimal places", param=path
            )
        self._range(number, path)
        return number

    # -- helpers -------------------------------------------------------------------------------
    def _range(self, number, path: str) -> None:
        for limit in _limits_for(self.root_name, path, "max_value"):
            if number > limit:
                code = "amount_too_large" if "amount" in self._leaf(path) else None
                raise StripeError(
                    f"This value must be less than or equal to {limit} "
                    f"({self._leaf(path)} currently is {number}).",
                    code=code,
                    param=path,
                )
        for limit in _limits_for(self.root_name, path, "min_value"):
            if number < limit:
                raise invalid(f"This value must be greater than or equal to {limit}.", param=path)

    @staticmethod
    def _leaf(path: str) -> str:
        parts = [p for p in re.findall(r"[^\[\]]+", path) if not p.isdigit()]
        return parts[-1] if parts else path

    @staticmethod
    def _for(path: str) -> str:
        return f" for {path}" if path else ""

    @staticmethod
    def _empty(path: str) -> StripeError:
        return StripeError(
            f"You passed an empty string for '{path}'. We assume empty values are an attempt "
            f"to unset a parameter; however '{path}' cannot be unset. You should remove "
            f"'{path}' from your request or supply a non-empty value.",
            code="parameter_invalid_empty",
            param=path,
        )


def _check_metadata(metadata: dict, path: str) -> None:
    if len(metadata) > 50:
        raise invalid("Metadata can have at most 50 keys.", param=path)
    for key, value in metadata.items():
        if len(key) > 40:
            raise invalid(
                f"Metadata keys must be at most 40 characters long, but key '{key}' is "
                f"{len(key)} characters.",
                param=f"{path}[{key}]",
            )
        if isinstance(value, str) and len(value) > 500:
            raise invalid(
                f"Metadata values can have up to 500 characters, but you passed in a value "
                f"that is {len(value)} characters.",
                param=f"{path}[{key}]",
            )


def validate(params: dict, params_type: type | None) -> dict:
    """Validate decoded request parameters against an SDK params TypedDict; return them coerced.

    Without a params type only `expand` is accepted (endpoints that take no parameters).
    """
    if params_type is None:
        unknown = sorted(set(params) - {"expand"})
        if unknown:
            raise StripeError(
                f"Received unknown parameter: {unknown[0]}",
                code="parameter_unknown",
                param=unknown[0],
            )
        out = dict(params)
        if "expand" in out:
            out["expand"] = _Validator("").list(out["expand"], str, "expand")
        return out
    return _Validator(params_type.__name__).typeddict(params, params_type, "")
