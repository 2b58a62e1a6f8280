"""Customers (create, retrieve, update, delete, list, search) and customer tax IDs."""

from __future__ import annotations

import base64
import copy
import re

from stripe.params._customer_create_params import CustomerCreateParams
from stripe.params._customer_delete_params import CustomerDeleteParams
from stripe.params._customer_list_params import CustomerListParams
from stripe.params._customer_retrieve_params import CustomerRetrieveParams
from stripe.params._customer_search_params import CustomerSearchParams
from stripe.params._customer_tax_id_create_params import CustomerTaxIdCreateParams
from stripe.params._customer_tax_id_delete_params import CustomerTaxIdDeleteParams
from stripe.params._customer_tax_id_list_params import CustomerTaxIdListParams
from stripe.params._customer_tax_id_retrieve_params import CustomerTaxIdRetrieveParams
from stripe.params._customer_update_params import CustomerUpdateParams
from stripe.params._tax_id_list_params import TaxIdListParams

from ..errors import StripeError, invalid, no_such
from ..router import route
from .common import (
    address,
    custom_fields,
    diff,
    list_object,
    match_range,
    merge_metadata,
    paginate,
    shipping,
    unset,
)

# Kept on purpose beside rules/taxids.py: the double states Stripe's own rules and never imports
# the product's (a shared table would let one bug hide in both).
EU_VAT_PREFIXES = {
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "EL",
    "ES",
    "FI",
    "FR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
    "XI",
}
# Format checks for the tax-ID types MSPercury uses; other types only need a non-blank value.
TAX_ID_FORMATS = {
    "eu_vat": re.compile(r"^[A-Z]{2}[0-9A-Z+*]{2,12}$"),
    "gb_vat": re.compile(r"^GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})$"),
    "ch_vat": re.compile(r"^CHE-?\d{3}\.?\d{3}\.?\d{3} ?(MWST|TVA|IVA)$"),
    "ch_uid": re.compile(r"^CHE-?\d{3}\.?\d{3}\.?\d{3}$"),
    "us_ein": re.compile(r"^\d{2}-?\d{7}$"),
    "ca_bn": re.compile(r"^\d{9}$"),
    "ca_gst_hst": re.compile(r"^\d{9}RT\d{4}$"),
    "au_abn": re.compile(r"^\d{11}$"),
    "no_vat": re.compile(r"^\d{9}MVA$"),
}
TAX_ID_COUNTRY = {"gb_vat": "GB", "us_ein": "US", "ch_vat": "CH", "ch_uid": "CH", "no_vat": "NO"}


def _searchable(ctx, customer: dict) -> None:
    """Queue the customer's current state for the search index (visible after the delay)."""
    internal = ctx.internal(customer["id"])
    visible_at = ctx.store.precise_now() + ctx.emu.config["search_index_delay"]
    internal.setdefault("search", []).append((visible_at, copy.deepcopy(customer)))


def new_tax_id(ctx, customer_id: str, data: dict, param: str) -> dict:
    kind, value = data["type"], data["value"]
    normalized = value.replace(" ", "").upper() if kind in TAX_ID_FORMATS else value.strip()
    pattern = TAX_ID_FORMATS.get(kind)
    if not normalized or (pattern and not pattern.match(normalized)):
        raise invalid(f"Invalid value for {kind}.", param=f"{param}value", code="tax_id_invalid")
    if kind == "eu_vat" and normalized[:2] not in EU_VAT_PREFIXES:
        raise invalid(f"Invalid value for {kind}.", param=f"{param}value", code="tax_id_invalid")
    if kind == "eu_vat":
        country = "GR" if normalized[:2] == "EL" else normalized[:2]
    else:
        country = TAX_ID_COUNTRY.get(kind) or (kind[:2].upper() if kind[2] == "_" else None)
    tax_id = {
        "id": ctx.new_id("txi"),
        "object": "tax_id",
        "country": country,
        "created": ctx.now(),
        "customer": customer_id,
        "customer_account": None,
        "livemode": ctx.livemode,
        "owner": {"customer": customer_id, "type": "customer"},
        "type": kind,
        "value": normalized,
        "verification": {"status": "pending", "verified_address": None, "verified_name": None},
    }
    ctx.add("tax_id", tax_id)
    return tax_id


def live_customer(ctx, customer_id, param: str = "customer") -> dict:
    """A customer that exists and isn't deleted, or Stripe's 'No such customer'."""
    customer = ctx.find("customer", customer_id)
    if customer is None or ctx.internal(customer_id).get("deleted"):
        raise no_such("customer", customer_id, param)
    return customer


def customer_tax_ids(emu, customer_id: str) -> list[dict]:
    owner = emu.store.owner_of(customer_id)
    return [t for t in emu.store.all("tax_id", owner) if t["customer"] == customer_id]


@route("POST", "/v1/customers", CustomerCreateParams, perm=("customers", "write"))
def create_customer(ctx):
    p = ctx.params
    customer_id = ctx.new_id("cus")
    settings = p.get("invoice_settings") or {}
    customer = {
        "id": customer_id,
        "object": "customer",
        "address": address(unset(p.get("address"))),
        "balance": p.get("balance", 0),
        "business_name": unset(p.get("business_name")),
        "created": ctx.now(),
        "currency": None,
        "customer_account": None,
        "default_source": None,
        "delinquent": False,
        "description": p.get("description"),
        "discount": None,
        "email": p.get("email"),
        "individual_name": unset(p.get("individual_name")),
        "invoice_prefix": p.get("invoice_prefix") or ctx.store.token(8).upper(),
        "invoice_settings": {
            "custom_fields": custom_fields(unset(settings.get("custom_fields"))),
            "default_payment_method": settings.get("default_payment_method"),
            "footer": settings.get("footer"),
            "rendering_options": None,
        },
        "livemode": ctx.livemode,
        "metadata": merge_metadata({}, p.get("metadata")),
        "name": p.get("name"),
        "next_invoice_sequence": p.get("next_invoice_sequence", 1),
        "phone": p.get("phone"),
        "preferred_locales": p.get("preferred_locales", []),
        "shipping": shipping(unset(p.get("shipping"))),
        "tax_exempt": unset(p.get("tax_exempt")) or "none",
        "test_clock": None,
    }
    ctx.add("customer", customer, {"payment_behavior": None})
    tax_ids = [
        new_tax_id(ctx, customer_id, data, f"tax_id_data[{i}][")
        for i, data in enumerate(p.get("tax_id_data", []))
    ]
    _searchable(ctx, customer)
    ctx.emit("customer.created", customer)
    for tax_id in tax_ids:
        ctx.emit("customer.tax_id.created", tax_id)
    return ctx.render(customer)


@route("GET", "/v1/customers/search", CustomerSearchParams, perm=("customers", "read"))
def search_customers(ctx):
    clauses, joiner = parse_query(ctx.params["query"])
    now = ctx.store.precise_now()
    found = []
    for customer in reversed(ctx.store.all("customer", ctx.owner)):
        versions = ctx.internal(customer["id"]).get("search", [])
        visible = [snap for at, snap in versions if at <= now]
        if not visible or visible[-1] is None:
            continue
        snapshot = visible[-1]
        results = [clause(snapshot) for clause in clauses]
        if (all(results) if joiner == "AND" else any(results)) and snapshot:
            found.append(customer)
    limit = ctx.params.get("limit", 10)
    offset = 0
    if ctx.params.get("page"):
        try:
            offset = int(base64.urlsafe_b64decode(ctx.params["page"].encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise invalid("Invalid page cursor.", param="page") from None
    page = found[offset : offset + limit]
    has_more = len(found) > offset + limit
    next_page = (
        base64.urlsafe_b64encode(str(offset + limit).encode()).decode() if has_more else None
    )
    sub_expand = [e[len("data.") :] for e in ctx.expand if e.startswith("data.")]
    result = {
        "object": "search_result",
        "data": [ctx.render(c, sub_expand) for c in page],
        "has_more": has_more,
        "next_page": next_page,
        "url": "/v1/customers/search",
    }
    if "total_count" in ctx.expand:
        result["total_count"] = len(found)
    return result


@route("GET", "/v1/customers/{customer}", CustomerRetrieveParams, perm=("customers", "read"))
def retrieve_customer(ctx):
    customer = ctx.get("customer", ctx.path["customer"])
    if ctx.internal(customer["id"]).get("deleted"):
        return {"id": customer["id"], "object": "customer", "deleted": True}
    return ctx.render(customer)


@route("POST", "/v1/customers/{customer}", CustomerUpdateParams, perm=("customers", "write"))
def update_customer(ctx):
    customer = live_customer(ctx, ctx.path["customer"], "id")
    before = copy.deepcopy(customer)
    p = ctx.params
    for name in ("description", "email", "name", "phone", "invoice_prefix", "balance"):
        if name in p:
            customer[name] = p[name]
    for name in ("business_name", "individual_name"):
        if name in p:
            customer[name] = unset(p[name])
    if "address" in p:
        customer["address"] = address(unset(p["address"]))
    if "shipping" in p:
        customer["shipping"] = shipping(unset(p["shipping"]))
    if "tax_exempt" in p:
        customer["tax_exempt"] = unset(p["tax_exempt"]) or "none"
    if "preferred_locales" in p:
        customer["preferred_locales"] = p["preferred_locales"]
    if "next_invoice_sequence" in p:
        customer["next_invoice_sequence"] = p["next_invoice_sequence"]
    if "metadata" in p:
        customer["metadata"] = merge_metadata(customer["metadata"], p["metadata"])
    settings = p.get("invoice_settings")
    if settings:
        current = customer["invoice_settings"]
        if "custom_fields" in settings:
            current["custom_fields"] = custom_fields(unset(settings["custom_fields"]))
        if "footer" in settings:
            current["footer"] = settings["footer"] or None
        if "default_payment_method" in settings:
            current["default_payment_method"] = settings["default_payment_method"]
    previous = diff(before, customer)
    if previous:
        _searchable(ctx, customer)
        ctx.emit("customer.updated", customer, previous)
    return ctx.render(customer)


@route("DELETE", "/v1/customers/{customer}", CustomerDeleteParams, perm=("customers", "write"))
def delete_customer(ctx):
    customer = live_customer(ctx, ctx.path["customer"], "id")
    internal = ctx.internal(customer["id"])
    internal["deleted"] = True
    internal.setdefault("search", []).append(
        (ctx.store.precise_now() + ctx.emu.config["search_index_delay"], None)
    )
    for subscription in ctx.store.all("subscription", ctx.owner):
        if subscription["customer"] == customer["id"] and subscription["status"] not in (
            "canceled",
            "incomplete_expired",
        ):
            from .subscriptions import cancel

            cancel(ctx, subscription, reason="cancellation_requested")
    ctx.emit("customer.deleted", customer)
    return {"id": customer["id"], "object": "customer", "deleted": True}


@route("GET", "/v1/customers", CustomerListParams, perm=("customers", "read"))
def list_customers(ctx):
    p = ctx.params
    customers = [
        c
        for c in ctx.store.all("customer", ctx.owner)
        if not ctx.internal(c["id"]).get("deleted")
        and ("email" not in p or c["email"] == p["email"])
        and match_range(c["created"], p.get("created"))
    ]
    return paginate(ctx, customers, "/v1/customers")


# -- search query language (the subset MSPercury needs, plus a little) -------------------------
_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?
        (?:metadata\[(?P<mq>['"])(?P<mkey>(?:\\.|(?!(?P=mq)).)*)(?P=mq)\]|(?P<field>[a-z_]+))
        (?P<op>:|~|>=|<=|>|<)
        (?:(?P<q>['"])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)|(?P<bare>-?\d+|null))
    """,
    re.VERBOSE,
)
SEARCH_FIELDS = {"created", "email", "metadata", "name", "phone"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_query(query: str):
    """Parse `metadata['k']:'v' AND email:'x'` into predicates and the joiner (AND/OR)."""
    position, clauses, joiners = 0, [], set()
    text = query.strip()
    if not text:
        raise invalid("The search query must not be empty.", param="query")
    while position < len(text):
        match = _CLAUSE.match(text, position)
        if not match:
            raise invalid(
                f"Invalid search query: could not parse '{text[position:]}'. See "
                "https://stripe.com/docs/search#search-query-language.",
                param="query",
            )
        clauses.append(_predicate(match))
        position = match.end()
        rest = text[position:]
        joiner = re.match(r"\s+(AND|OR)\s+|\s+(?=\S)", rest)
        if rest.strip() == "":
            break
        if not joiner:
            raise invalid(f"Invalid search query near '{rest}'.", param="query")
        joiners.add(joiner.group(1) or "AND")
        position += joiner.end()
    if len(joiners) > 1:
        raise invalid(
            "Invalid search query: AND and OR cannot be combined in one query.", param="query"
        )
    if len(clauses) > 10:
        raise invalid("Invalid search query: at most 10 clauses are allowed.", param="query")
    return clauses, (joiners.pop() if joiners else "AND")


def _predicate(match):
    field = match.group("field")
    meta_key = match.group("mkey")
    op = match.group("op")
    if field is not None and field not in SEARCH_FIELDS - {"metadata"}:
        raise invalid(
            f"Invalid search query: '{field}' is not a supported field for customers.",
            param="query",
        )
    if meta_key is not None:
        meta_key = _unescape(meta_key)
    quoted = match.group("value")
    bare = match.group("bare")
    is_null = quoted is None and bare == "null"
    value = _unescape(quoted) if quoted is not None else bare
    if op == "~" and (value is None or len(value) < 3):
        raise invalid("Substring search needs at least 3 characters.", param="query")
    if field == "created":
        if quoted is not None or bare is None or is_null:
            raise invalid("Invalid search query: created takes a number.", param="query")
        number = int(bare)
        compare = {
            ":": lambda a: a == number,
            ">": lambda a: a > number,
            "<": lambda a: a < number,
            ">=": lambda a: a >= number,
            "<=": lambda a: a <= number,
        }.get(op)
        if compare is None:
            raise invalid("Invalid operator for created.", param="query")

        def check(customer):
            return compare(customer["created"])

    else:
        if op not in (":", "~"):
            raise invalid(f"Invalid operator {op} for a string field.", param="query")
        if quoted is None and not is_null:
            raise invalid("String values must be quoted.", param="query")

        def check(customer):
            actual = (
                (customer.get("metadata") or {}).get(meta_key)
                if meta_key is not None
                else customer.get(field)
            )
            if is_null:
                return actual in (None, "")
            if actual is None:
                return False
            if op == "~":
                return value.lower() in str(actual).lower()
            if meta_key is not None:
                return str(actual) == value
            return str(actual).lower() == value.lower()

    if match.group("neg"):
        return lambda customer: not check(customer)
    return check


# -- tax IDs -----------------------------------------------------------------------------------
@route(
    "POST",
    "/v1/customers/{customer}/tax_ids",
    CustomerTaxIdCreateParams,
    perm=("tax_ids", "write"),
)
def create_tax_id(ctx):
    customer = live_customer(ctx, ctx.path["customer"], "customer")
    tax_id = new_tax_id(ctx, customer["id"], ctx.params, "")
    ctx.emit("customer.tax_id.created", tax_id)
    return ctx.render(tax_id)


@route("GET", "/v1/customers/{customer}/tax_ids", CustomerTaxIdListParams, perm=("tax_ids", "read"))
def list_tax_ids(ctx):
    customer = live_customer(ctx, ctx.path["customer"], "customer")
    return paginate(
        ctx,
        customer_tax_ids(ctx.emu, customer["id"]),
        f"/v1/customers/{customer['id']}/tax_ids",
    )


@route(
    "GET",
    "/v1/customers/{customer}/tax_ids/{id}",
    CustomerTaxIdRetrieveParams,
    perm=("tax_ids", "read"),
)
def retrieve_tax_id(ctx):
    tax_id = ctx.get("tax_id", ctx.path["id"], label="tax_id")
    if tax_id["customer"] != ctx.path["customer"]:
        raise no_such("tax_id", ctx.path["id"])
    return ctx.render(tax_id)


@route(
    "DELETE",
    "/v1/customers/{customer}/tax_ids/{id}",
    CustomerTaxIdDeleteParams,
    perm=("tax_ids", "write"),
)
def delete_tax_id(ctx):
    tax_id = ctx.get("tax_id", ctx.path["id"], label="tax_id")
    if tax_id["customer"] != ctx.path["customer"]:
        raise no_such("tax_id", ctx.path["id"])
    ctx.store.remove(tax_id["id"])
    ctx.emit("customer.tax_id.deleted", tax_id)
    return {"id": tax_id["id"], "object": "tax_id", "deleted": True}


@route("GET", "/v1/tax_ids", TaxIdListParams, perm=("tax_ids", "read"))
def list_account_tax_ids(ctx):
    """The top-level Tax IDs list (customers' tax IDs of this account)."""
    return paginate(ctx, ctx.store.all("tax_id", ctx.owner), "/v1/tax_ids")


def include_tax_ids(emu, customer: dict) -> dict:
    data = [
        emu.render(t, emu.store.owner_of(t["id"])) for t in customer_tax_ids(emu, customer["id"])
    ]
    return list_object(data, f"/v1/customers/{customer['id']}/tax_ids", total_count=len(data))


def include_subscriptions(emu, customer: dict) -> dict:
    owner = emu.store.owner_of(customer["id"])
    data = [
        emu.render(s, owner)
        for s in reversed(emu.store.all("subscription", owner))
        if s["customer"] == customer["id"] and s["status"] != "canceled"
    ]
    return list_object(data, f"/v1/customers/{customer['id']}/subscriptions", total_count=len(data))


def payment_behavior(emu, customer_id: str | None) -> str:
    if customer_id and customer_id in emu.store.internal:
        behavior = emu.store.internal[customer_id].get("payment_behavior")
        if behavior:
            return behavior
    return emu.config["default_payment_behavior"]


def raise_if_deleted(ctx, customer_id: str, param: str) -> None:
    if ctx.internal(customer_id).get("deleted"):
        raise StripeError(f"No such customer: '{customer_id}'", status=404, param=param)
