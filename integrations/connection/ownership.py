"""Whose is a Stripe object? Pure rules over plain data (no ORM, no network).

Several workspaces may share one Stripe account, and each one's webhook endpoint receives every
event of it. An object is ours when it carries our workspace's identity (the
``mspercury_workspace`` metadata our pushes set, on the object, on its subscription, or on its
customer) or when its customer is one our pushes created. It is foreign when any of these carries
another workspace's identity, and nobody's when none carries any (made in the Stripe Dashboard
for a customer no workspace knows).
"""

from collections.abc import Iterable
from typing import Any

OURS = "ours"
FOREIGN = "foreign"
NOBODY = "nobody"

WORKSPACE_KEY = "mspercury_workspace"


def _get(obj: Any, name: str) -> Any:
    try:
        value = obj[name]
    except (KeyError, TypeError, IndexError):
        return None
    return value


def _mark(metadata: Any) -> str:
    value = _get(metadata, WORKSPACE_KEY)
    return str(value).strip() if value else ""


def customer_id(obj: Any) -> str:
    """The Stripe customer id of an object (its own id for a customer), expanded or not."""
    if _get(obj, "object") == "customer":
        return str(_get(obj, "id") or "")
    customer = _get(obj, "customer")
    if isinstance(customer, str):
        return customer
    return str(_get(customer, "id") or "")


def identities(obj: Any) -> list[str]:
    """Every workspace identity the object carries: its metadata, its subscription's metadata
    (subscription invoices), and its customer's metadata when the customer is expanded."""
    found = [
        _mark(_get(obj, "metadata")),
        _mark(_get(_get(_get(obj, "parent"), "subscription_details"), "metadata")),
    ]
    customer = _get(obj, "customer")
    if not isinstance(customer, str):
        found.append(_mark(_get(customer, "metadata")))
    return [mark for mark in found if mark]


def classify(obj: Any, workspace_ref: str, our_customers: Iterable[str] = ()) -> str:
    """OURS, FOREIGN or NOBODY for ``obj`` (a Stripe object as a mapping) seen by the workspace
    ``workspace_ref`` whose pushes created the Stripe customers ``our_customers``.

    Another workspace's identity anywhere wins over ours: an object that names two workspaces is
    shown to neither rather than risk showing one tenant's data to the other."""
    marks = set(identities(obj))
    if marks - {workspace_ref}:
        return FOREIGN
    if workspace_ref in marks:
        return OURS
    customer = customer_id(obj)
    if customer and customer in set(our_customers):
        return OURS
    return NOBODY
