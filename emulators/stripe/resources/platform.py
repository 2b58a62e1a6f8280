"""The account, webhook endpoints and events."""

from __future__ import annotations

import copy
import fnmatch
import secrets
from urllib.parse import urlparse

from stripe.params._account_retrieve_current_params import AccountRetrieveCurrentParams
from stripe.params._event_list_params import EventListParams
from stripe.params._event_retrieve_params import EventRetrieveParams
from stripe.params._webhook_endpoint_create_params import WebhookEndpointCreateParams
from stripe.params._webhook_endpoint_delete_params import WebhookEndpointDeleteParams
from stripe.params._webhook_endpoint_list_params import WebhookEndpointListParams
from stripe.params._webhook_endpoint_retrieve_params import WebhookEndpointRetrieveParams
from stripe.params._webhook_endpoint_update_params import WebhookEndpointUpdateParams

from ..errors import invalid
from ..keys import ACCOUNT_PERMISSION, forbidden
from ..router import route
from .common import match_range, merge_metadata, paginate


@route("GET", "/v1/account", AccountRetrieveCurrentParams)
def retrieve_account(ctx):
    if ctx.key.restricted and not ctx.key.account_access:
        raise forbidden(ctx.key, ACCOUNT_PERMISSION)
    account = copy.deepcopy(ctx.emu.keys.accounts[ctx.owner[0]])
    return account


# -- webhook endpoints -------------------------------------------------------------------------
def _check_url(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid(f"Invalid URL: {url}. URLs must be http(s) with a host.", param="url")


@route(
    "POST",
    "/v1/webhook_endpoints",
    WebhookEndpointCreateParams,
    perm=("webhook_endpoints", "write"),
)
def create_webhook_endpoint(ctx):
    p = ctx.params
    _check_url(p["url"])
    if not p["enabled_events"]:
        raise invalid("enabled_events must not be empty.", param="enabled_events")
    endpoint = {
        "id": ctx.new_id("we"),
        "object": "webhook_endpoint",
        "api_version": p.get("api_version"),
        "application": None,
        "created": ctx.now(),
        "description": p.get("description"),
        "enabled_events": p["enabled_events"],
        "livemode": ctx.livemode,
        "metadata": merge_metadata({}, p.get("metadata")),
        "status": "enabled",
        "url": p["url"],
    }
    secret = "whsec_" + secrets.token_urlsafe(24).replace("-", "a").replace("_", "b")
    ctx.add("webhook_endpoint", endpoint, {"secret": secret})
    out = ctx.render(endpoint)
    out["secret"] = secret
    return out


@route(
    "GET",
    "/v1/webhook_endpoints/{id}",
    WebhookEndpointRetrieveParams,
    perm=("webhook_endpoints", "read"),
)
def retrieve_webhook_endpoint(ctx):
    return ctx.render(ctx.get("webhook_endpoint", ctx.path["id"], label="webhook_endpoint"))


@route(
    "POST",
    "/v1/webhook_endpoints/{id}",
    WebhookEndpointUpdateParams,
    perm=("webhook_endpoints", "write"),
)
def update_webhook_endpoint(ctx):
    endpoint = ctx.get("webhook_endpoint", ctx.path["id"], label="webhook_endpoint")
    p = ctx.params
    if "url" in p:
        _check_url(p["url"])
        endpoint["url"] = p["url"]
    if "enabled_events" in p:
        endpoint["enabled_events"] = p["enabled_events"]
    if "description" in p:
        endpoint["description"] = p["description"] or None
    if "disabled" in p:
        endpoint["status"] = "disabled" if p["disabled"] else "enabled"
    if "metadata" in p:
        endpoint["metadata"] = merge_metadata(endpoint["metadata"], p["metadata"])
    return ctx.render(endpoint)


@route(
    "DELETE",
    "/v1/webhook_endpoints/{id}",
    WebhookEndpointDeleteParams,
    perm=("webhook_endpoints", "write"),
)
def delete_webhook_endpoint(ctx):
    endpoint = ctx.get("webhook_endpoint", ctx.path["id"], label="webhook_endpoint")
    ctx.store.remove(endpoint["id"])
    return {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}


@route(
    "GET", "/v1/webhook_endpoints", WebhookEndpointListParams, perm=("webhook_endpoints", "read")
)
def list_webhook_endpoints(ctx):
    return paginate(ctx, ctx.store.all("webhook_endpoint", ctx.owner), "/v1/webhook_endpoints")


# -- events ------------------------------------------------------------------------------------
@route("GET", "/v1/events/{id}", EventRetrieveParams, perm=("events", "read"))
def retrieve_event(ctx):
    return copy.deepcopy(ctx.get("event", ctx.path["id"]))


@route("GET", "/v1/events", EventListParams, perm=("events", "read"))
def list_events(ctx):
    p = ctx.params
    patterns = p.get("types") or ([p["type"]] if "type" in p else None)
    cutoff = ctx.now() - 30 * 86400
    events = [
        event
        for event in ctx.store.all("event", ctx.owner)
        if event["created"] >= cutoff
        and (patterns is None or any(fnmatch.fnmatchcase(event["type"], t) for t in patterns))
        and match_range(event["created"], p.get("created"))
        and (
            "delivery_success" not in p or (event["pending_webhooks"] == 0) == p["delivery_success"]
        )
    ]
    return paginate(ctx, events, "/v1/events", render=copy.deepcopy)
