"""Which Stripe permissions a push needs, and whether the connection's key has them, before the
first write.

A read shows that a restricted key may read a resource; whether it may write is seen without
writing anything by updating an object that does not exist: Stripe refuses a key without the
permission (403, "…does not have the required permissions…") before it looks for the object,
and answers 404 (resource_missing) to a key that has it. Verdicts are kept on the connection
(``permissions["writes"]``) for MSPERCURY_STRIPE_PERMISSION_SECONDS (default an hour); a push
that meets a permission error anyway forgets them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _

from integrations.stripe.account import DENIED, GRANTED, REQUIRED_SCOPES, UNKNOWN
from integrations.stripe.client import call, make_client
from integrations.stripe.errors import FailureKind, StripeFailure

# scope code -> (the SDK service, an id of the resource's shape that no account holds)
WRITE_PROBES = {
    "customers": ("customers", "cus_mspercuryPermissionProbe"),
    "products": ("products", "prod_mspercuryPermissionProbe"),
    "prices": ("prices", "price_mspercuryPermissionProbe"),
    "subscriptions": ("subscriptions", "sub_mspercuryPermissionProbe"),
    "invoices": ("invoices", "in_mspercuryPermissionProbe"),
    "tax_rates": ("tax_rates", "txr_mspercuryPermissionProbe"),
}

# What each kind of push step writes (pure: the planner's operation kinds).
WRITES_BY_STEP = {
    "customer": ("customers",),
    "product": ("products",),
    # Subscription items carry inline price_data: Stripe creates a price for each.
    "subscription": ("subscriptions", "prices"),
    "invoice": ("invoices",),
    "invoice_item": ("invoices",),
    "finalize": ("invoices",),
    "send": ("invoices",),
    "tax_rate": ("tax_rates",),
}

WRITES_KEY = "writes"


def writes_needed(step_kinds: Iterable[str]) -> list[str]:
    """The scopes a plan with these step kinds writes, in the settings page's order."""
    needed = {scope for kind in step_kinds for scope in WRITES_BY_STEP.get(kind, ())}
    return [s.code for s in REQUIRED_SCOPES if s.code in needed]


def ttl() -> float:
    return float(getattr(settings, "MSPERCURY_STRIPE_PERMISSION_SECONDS", 3600))


def probe_write(client, scope: str) -> str:
    """GRANTED, DENIED or UNKNOWN: may this key write ``scope``? Writes nothing."""
    service_name, missing_id = WRITE_PROBES[scope]
    service = getattr(client.v1, service_name)
    try:
        call(lambda: service.update(missing_id, {}))
    except StripeFailure as failure:
        if failure.kind == FailureKind.PERMISSION:
            return DENIED
        if failure.is_missing:
            return GRANTED
        return UNKNOWN  # an outage or a revoked key: the push's first call will say which
    return GRANTED  # the id exists after all: the update was allowed and changed nothing


def probe_writes(api_key: str, scopes: Iterable[str], now: float | None = None) -> dict:
    """{scope: {"state": …, "at": unix time}} for these scopes (those with a probe)."""
    client = make_client(api_key)
    now = time.time() if now is None else now
    return {
        scope: {"state": probe_write(client, scope), "at": now}
        for scope in scopes
        if scope in WRITE_PROBES
    }


def write_state(connection, scope: str, now: float | None = None) -> str | None:
    """The kept verdict on writing ``scope``, or None when none is fresh."""
    now = time.time() if now is None else now
    kept = (connection.permissions or {}).get(WRITES_KEY, {}).get(scope)
    if not kept or now - float(kept.get("at", 0)) > ttl():
        return None
    return kept.get("state")


def check_writes(
    connection, scopes: Iterable[str], *, fresh: bool = False, save: bool = True
) -> dict[str, str]:
    """{scope: state} for ``scopes``, probing those without a fresh verdict (all of them with
    ``fresh``); new verdicts are kept on the connection."""
    now = time.time()
    states = {scope: None if fresh else write_state(connection, scope, now) for scope in scopes}
    stale = [scope for scope, state in states.items() if state is None]
    if stale:
        probed = probe_writes(connection.api_key, stale, now)
        permissions = dict(connection.permissions or {})
        permissions[WRITES_KEY] = {**permissions.get(WRITES_KEY, {}), **probed}
        connection.permissions = permissions
        if save and connection.pk:
            type(connection).objects.filter(pk=connection.pk).update(permissions=permissions)
        states.update({scope: verdict["state"] for scope, verdict in probed.items()})
        states.update({scope: UNKNOWN for scope in stale if scope not in probed})
    return states


def forget_writes(connection) -> None:
    """Drop the kept verdicts (a push met a permission error they did not foresee)."""
    permissions = dict(connection.permissions or {})
    if permissions.pop(WRITES_KEY, None) is not None:
        connection.permissions = permissions
        type(connection).objects.filter(pk=connection.pk).update(permissions=permissions)


def missing_writes(connection, scopes: Iterable[str], *, fresh: bool = False) -> list[str]:
    """The scopes among ``scopes`` this key may not write (Stripe said so)."""
    states = check_writes(connection, scopes, fresh=fresh)
    return [scope for scope, state in states.items() if state == DENIED]


READ_ONLY = "read_only"  # reads work, Stripe refuses writes


def shown_state(permissions: dict, scope) -> str | None:
    """What the settings page shows for a required scope: the read probe's state, made
    GRANTED or READ_ONLY by the write probe where the scope needs writing."""
    state = (permissions or {}).get(scope.code)
    if scope.access != "write":
        return state
    written = ((permissions or {}).get(WRITES_KEY) or {}).get(scope.code) or {}
    if written.get("state") == GRANTED:
        return GRANTED
    if written.get("state") == DENIED and state != DENIED:
        return READ_ONLY
    return state


def labels(scopes: Iterable[str]) -> str:
    """ "Tax Rates: Write, Products: Write" in the user's language."""
    names = {s.code: str(s.label) for s in REQUIRED_SCOPES}
    return ", ".join(_("%(resource)s: Write") % {"resource": names.get(s, s)} for s in scopes)


def missing_message(scopes: list[str]) -> str:
    return _(
        "The Stripe key lacks permissions this push needs: %(missing)s. Give them to the key "
        "in the Stripe Dashboard (Developers → API keys → the key → Edit), then retry. "
        "Nothing was written to Stripe."
    ) % {"missing": labels(scopes)}
