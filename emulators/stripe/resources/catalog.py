"""Products, prices (including inline `price_data`) and tax rates."""

from __future__ import annotations

import copy
from decimal import Decimal

from stripe.params._price_create_params import PriceCreateParams
from stripe.params._price_list_params import PriceListParams
from stripe.params._price_retrieve_params import PriceRetrieveParams
from stripe.params._price_update_params import PriceUpdateParams
from stripe.params._product_create_params import ProductCreateParams
from stripe.params._product_delete_params import ProductDeleteParams
from stripe.params._product_list_params import ProductListParams
from stripe.params._product_retrieve_params import ProductRetrieveParams
from stripe.params._product_update_params import ProductUpdateParams
from stripe.params._tax_rate_create_params import TaxRateCreateParams
from stripe.params._tax_rate_list_params import TaxRateListParams
from stripe.params._tax_rate_retrieve_params import TaxRateRetrieveParams
from stripe.params._tax_rate_update_params import TaxRateUpdateParams

from ..errors import StripeError, invalid, no_such
from ..router import route
from .common import diff, match_range, merge_metadata, paginate, reject_unsupported, unset

MAX_INTERVAL_DAYS = {"day": 1095, "week": 156, "month": 36, "year": 3}


# -- products ----------------------------------------------------------------------------------
def new_product(ctx, p: dict) -> dict:
    product_id = p.get("id") or ctx.new_id("prod")
    if ctx.store.objects.get(product_id) is not None:
        raise StripeError(
            f"Product already exists: '{product_id}'",
            code="resource_already_exists",
            param="id",
        )
    now = ctx.now()
    product = {
        "id": product_id,
        "object": "product",
        "active": p.get("active", True),
        "created": now,
        "default_price": None,
        "description": p.get("description"),
        "images": p.get("images", []),
        "livemode": ctx.livemode,
        "marketing_features": p.get("marketing_features", []),
        "metadata": merge_metadata({}, p.get("metadata")),
        "name": p["name"],
        "package_dimensions": None,
        "shippable": p.get("shippable"),
        "statement_descriptor": p.get("statement_descriptor"),
        "tax_code": p.get("tax_code"),
        "type": "service",
        "unit_label": p.get("unit_label"),
        "updated": now,
        "url": p.get("url"),
    }
    ctx.add("product", product)
    ctx.emit("product.created", product)
    return product


@route("POST", "/v1/products", ProductCreateParams, perm=("products", "write"))
def create_product(ctx):
    reject_unsupported(
        ctx,
        {
            "name",
            "id",
            "active",
            "description",
            "images",
            "marketing_features",
            "metadata",
            "shippable",
            "statement_descriptor",
            "tax_code",
            "unit_label",
            "url",
            "default_price_data",
            "type",
        },
        "products",
    )
    product = new_product(ctx, ctx.params)
    default = ctx.params.get("default_price_data")
    if default:
        data = {**default, "product": product["id"]}
        price = new_price(ctx, data, "default_price_data")
        product["default_price"] = price["id"]
    return ctx.render(product)


@route("GET", "/v1/products/{id}", ProductRetrieveParams, perm=("products", "read"))
def retrieve_product(ctx):
    return ctx.render(ctx.get("product", ctx.path["id"]))


@route("POST", "/v1/products/{id}", ProductUpdateParams, perm=("products", "write"))
def update_product(ctx):
    product = ctx.get("product", ctx.path["id"])
    before = copy.deepcopy(product)
    p = ctx.params
    for name in ("active", "name", "images", "shippable", "marketing_features"):
        if name in p:
            product[name] = p[name]
    for name in ("description", "statement_descriptor", "tax_code", "unit_label", "url"):
        if name in p:
            product[name] = unset(p[name])
    if "default_price" in p:
        price = ctx.find("price", p["default_price"])
        if price is None or price["product"] != product["id"]:
            raise no_such("price", p["default_price"], "default_price")
        product["default_price"] = price["id"]
    if "metadata" in p:
        product["metadata"] = merge_metadata(product["metadata"], p["metadata"])
    product["updated"] = ctx.now()
    previous = diff(before, product)
    if previous:
        ctx.emit("product.updated", product, previous)
    return ctx.render(product)


@route("DELETE", "/v1/products/{id}", ProductDeleteParams, perm=("products", "write"))
def delete_product(ctx):
    product = ctx.get("product", ctx.path["id"])
    if any(price["product"] == product["id"] for price in ctx.store.all("price", ctx.owner)):
        raise invalid(
            "This product cannot be deleted because it has one or more user-created prices."
        )
    ctx.store.remove(product["id"])
    ctx.emit("product.deleted", product)
    return {"id": product["id"], "object": "product", "deleted": True}


@route("GET", "/v1/products", ProductListParams, perm=("products", "read"))
def list_products(ctx):
    p = ctx.params
    products = [
        product
        for product in ctx.store.all("product", ctx.owner)
        if ("active" not in p or product["active"] == p["active"])
        and ("ids" not in p or product["id"] in p["ids"])
        and match_range(product["created"], p.get("created"))
    ]
    return paginate(ctx, products, "/v1/products")


# -- prices ------------------------------------------------------------------------------------
def _unit_amounts(data: dict, sub) -> tuple[int | None, Decimal]:
    if "unit_amount" in data and "unit_amount_decimal" in data:
        raise invalid(
            "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
            param=sub("unit_amount_decimal"),
            code="parameters_exclusive",
        )
    if "unit_amount" in data:
        return data["unit_amount"], Decimal(data["unit_amount"])
    if "unit_amount_decimal" in data:
        decimal = data["unit_amount_decimal"]
        whole = int(decimal) if decimal == decimal.to_integral_value() else None
        return whole, decimal
    raise StripeError(
        f"Missing required param: {sub('unit_amount')}.",
        code="parameter_missing",
        param=sub("unit_amount"),
    )


def _recurring(data: dict | None, sub) -> dict | None:
    if not data:
        return None
    interval, count = data["interval"], data.get("interval_count", 1)
    if count > MAX_INTERVAL_DAYS[interval]:
        raise invalid(
            "The maximum billing interval is 3 years (1095 days, 156 weeks or 36 months).",
            param=sub("recurring") + "[interval_count]",
        )
    return {
        "interval": interval,
        "interval_count": count,
        "meter": None,
        "trial_period_days": data.get("trial_period_days"),
        "usage_type": data.get("usage_type", "licensed"),
    }


def new_price(ctx, data: dict, param: str = "", *, active: bool | None = None) -> dict:
    """Create a price from create params or inline `price_data` (`param` prefixes error params,
    e.g. "items[0][price_data]")."""

    def sub(name):
        return f"{param}[{name}]" if param else name

    if data.get("billing_scheme", "per_unit") != "per_unit" or data.get("custom_unit_amount"):
        raise invalid(
            "The Stripe emulator only emulates per_unit prices.", param=sub("billing_scheme")
        )
    product_id = data.get("product")
    if product_id is None and data.get("product_data"):
        product = new_product(ctx, data["product_data"])
        product_id = product["id"]
    elif product_id is None:
        raise StripeError(
            f"Missing required param: {sub('product')}.",
            code="parameter_missing",
            param=sub("product"),
        )
    elif ctx.find("product", product_id) is None:
        raise no_such("product", product_id, sub("product"))
    unit_amount, unit_decimal = _unit_amounts(data, sub)
    recurring = _recurring(data.get("recurring"), sub)
    price = {
        "id": ctx.new_id("price"),
        "object": "price",
        "active": data.get("active", True) if active is None else active,
        "billing_scheme": "per_unit",
        "created": ctx.now(),
        "currency": data["currency"].lower(),
        "custom_unit_amount": None,
        "livemode": ctx.livemode,
        "lookup_key": data.get("lookup_key"),
        "metadata": merge_metadata({}, data.get("metadata")),
        "nickname": data.get("nickname"),
        "product": product_id,
        "recurring": recurring,
        "tax_behavior": data.get("tax_behavior", "unspecified"),
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": format(unit_decimal, "f"),
    }
    ctx.add("price", price)
    ctx.emit("price.created", price)
    return price


def price_from(ctx, item: dict, param: str, *, recurring: bool | None) -> dict:
    """Resolve `price` or inline `price_data` on an item (`param` like "items[0]", or "" for
    top-level parameters).

    `recurring=True` demands a recurring price, `False` a one-time price, `None` either.
    """

    def sub(name):
        return f"{param}[{name}]" if param else name

    if "price" in item and "price_data" in item:
        raise invalid(
            "You may only specify one of these parameters: price, price_data.",
            param=sub("price_data"),
            code="parameters_exclusive",
        )
    if "price_data" in item:
        price = new_price(ctx, item["price_data"], sub("price_data"), active=False)
        label = sub("price_data")
    elif "price" in item:
        price = ctx.find("price", item["price"])
        if price is None:
            raise no_such("price", item["price"], sub("price"))
        if not price["active"]:
            raise invalid(
                "The price specified is inactive. This field only accepts active prices.",
                param=sub("price"),
            )
        label = sub("price")
    else:
        raise StripeError(
            f"Missing required param: {sub('price')}.",
            code="parameter_missing",
            param=sub("price"),
        )
    if recurring is True and price["type"] != "recurring":
        raise invalid(
            "The price specified is set to `type=one_time` but this field only accepts prices "
            "with `type=recurring`.",
            param=label,
        )
    if recurring is False and price["type"] != "one_time":
        raise invalid(
            "The price specified is set to `type=recurring` but this field only accepts prices "
            "with `type=one_time`.",
            param=label,
        )
    return price


@route("POST", "/v1/prices", PriceCreateParams, perm=("prices", "write"))
def create_price(ctx):
    reject_unsupported(
        ctx,
        {
            "currency",
            "product",
            "product_data",
            "unit_amount",
            "unit_amount_decimal",
            "recurring",
            "tax_behavior",
            "active",
            "metadata",
            "nickname",
            "lookup_key",
            "billing_scheme",
        },
        "prices",
    )
    return ctx.render(new_price(ctx, ctx.params))


@route("GET", "/v1/prices/{id}", PriceRetrieveParams, perm=("prices", "read"))
def retrieve_price(ctx):
    return ctx.render(ctx.get("price", ctx.path["id"]))


@route("POST", "/v1/prices/{id}", PriceUpdateParams, perm=("prices", "write"))
def update_price(ctx):
    price = ctx.get("price", ctx.path["id"])
    before = copy.deepcopy(price)
    p = ctx.params
    reject_unsupported(
        ctx, {"active", "metadata", "nickname", "lookup_key", "tax_behavior"}, "prices"
    )
    if "active" in p:
        price["active"] = p["active"]
    for name in ("nickname", "lookup_key"):
        if name in p:
            price[name] = unset(p[name])
    if "tax_behavior" in p:
        if price["tax_behavior"] not in ("unspecified", p["tax_behavior"]):
            raise invalid(
                "tax_behavior cannot be changed once it is inclusive or exclusive.",
                param="tax_behavior",
            )
        price["tax_behavior"] = p["tax_behavior"]
    if "metadata" in p:
        price["metadata"] = merge_metadata(price["metadata"], p["metadata"])
    previous = diff(before, price)
    if previous:
        ctx.emit("price.updated", price, previous)
    return ctx.render(price)


@route("GET", "/v1/prices", PriceListParams, perm=("prices", "read"))
def list_prices(ctx):
    p = ctx.params
    prices = [
        price
        for price in ctx.store.all("price", ctx.owner)
        if ("active" not in p or price["active"] == p["active"])
        and ("product" not in p or price["product"] == p["product"])
        and ("type" not in p or price["type"] == p["type"])
        and ("currency" not in p or price["currency"] == p["currency"])
        and ("lookup_keys" not in p or price["lookup_key"] in p["lookup_keys"])
        and match_range(price["created"], p.get("created"))
    ]
    return paginate(ctx, prices, "/v1/prices")


# -- tax rates ---------------------------------------------------------------------------------
@route("POST", "/v1/tax_rates", TaxRateCreateParams, perm=("tax_rates", "write"))
def create_tax_rate(ctx):
    p = ctx.params
    percentage = p["percentage"]
    if not 0 <= percentage <= 100:
        raise invalid("The percentage must be between 0 and 100.", param="percentage")
    if round(percentage, 4) != percentage:
        raise invalid("The percentage can have at most 4 decimal places.", param="percentage")
    rate = {
        "id": ctx.new_id("txr"),
        "object": "tax_rate",
        "active": p.get("active", True),
        "country": p.get("country"),
        "created": ctx.now(),
        "description": p.get("description"),
        "display_name": p["display_name"],
        "effective_percentage": percentage,
        "flat_amount": None,
        "inclusive": p["inclusive"],
        "jurisdiction": p.get("jurisdiction"),
        "jurisdiction_level": None,
        "livemode": ctx.livemode,
        "metadata": merge_metadata({}, p.get("metadata")),
        "percentage": percentage,
        "rate_type": "percentage",
        "state": p.get("state"),
        "tax_type": p.get("tax_type"),
    }
    ctx.add("tax_rate", rate)
    ctx.emit("tax_rate.created", rate)
    return ctx.render(rate)


@route("GET", "/v1/tax_rates/{id}", TaxRateRetrieveParams, perm=("tax_rates", "read"))
def retrieve_tax_rate(ctx):
    return ctx.render(ctx.get("tax_rate", ctx.path["id"], label="tax rate"))


@route("POST", "/v1/tax_rates/{id}", TaxRateUpdateParams, perm=("tax_rates", "write"))
def update_tax_rate(ctx):
    rate = ctx.get("tax_rate", ctx.path["id"], label="tax rate")
    before = copy.deepcopy(rate)
    p = ctx.params
    for name in ("active", "country", "description", "display_name", "jurisdiction", "state"):
        if name in p:
            rate[name] = p[name]
    if "tax_type" in p:
        rate["tax_type"] = p["tax_type"]
    if "metadata" in p:
        rate["metadata"] = merge_metadata(rate["metadata"], p["metadata"])
    previous = diff(before, rate)
    if previous:
        ctx.emit("tax_rate.updated", rate, previous)
    return ctx.render(rate)


@route("GET", "/v1/tax_rates", TaxRateListParams, perm=("tax_rates", "read"))
def list_tax_rates(ctx):
    p = ctx.params
    rates = [
        rate
        for rate in ctx.store.all("tax_rate", ctx.owner)
        if ("active" not in p or rate["active"] == p["active"])
        and ("inclusive" not in p or rate["inclusive"] == p["inclusive"])
        and match_range(rate["created"], p.get("created"))
    ]
    return paginate(ctx, rates, "/v1/tax_rates")
