"""The single Stripe seam: only this package imports ``stripe``.

A StripeClient is built per connection (never the global ``stripe.api_key``), with retries on,
the SDK's pinned API version, and Stripe's address from the deployment setting
MSPERCURY_STRIPE_API_BASE (the emulator in the demo and the tests).
"""

from collections.abc import Callable
from typing import TypeVar

import stripe
from django.conf import settings
from stripe._api_version import _ApiVersion

from integrations.stripe.errors import StripeFailure, translate

API_VERSION: str = _ApiVersion.CURRENT
NETWORK_RETRIES = 2

T = TypeVar("T")


def make_client(api_key: str, *, max_network_retries: int | None = None) -> stripe.StripeClient:
    base = settings.MSPERCURY_STRIPE_API_BASE
    if max_network_retries is None:
        max_network_retries = getattr(settings, "MSPERCURY_STRIPE_NETWORK_RETRIES", NETWORK_RETRIES)
    return stripe.StripeClient(
        api_key,
        stripe_version=API_VERSION,
        base_addresses={"api": base, "files": base, "connect": base},
        max_network_retries=max_network_retries,
    )


def call(fn: Callable[[], T]) -> T:
    """Run one Stripe call, turning SDK errors into StripeFailure (message kept verbatim)."""
    try:
        return fn()
    except stripe.StripeError as exc:
        raise translate(exc) from exc


__all__ = [
    "API_VERSION",
    "StripeFailure",
    "call",
    "make_client",
]


def list_all(service, params):
    """Every object of a Stripe list, page after page (``starting_after`` the last one)."""
    listing = call(lambda: service.list(params))
    while True:
        yield from listing.data
        if not listing.has_more:
            return
        last = listing.data[-1].id
        listing = call(lambda last=last: service.list({**params, "starting_after": last}))
