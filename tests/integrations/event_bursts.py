"""Bursts of Stripe events for the coalescing tests: invoices of ours made in the emulator,
their events stored as the webhook stores them, and the emulator's log of invoice reads."""

import json
import re
from collections import Counter

from integrations.models import StripeEvent
from integrations.webhooks.dispatch import HANDLERS

INVOICE_READ = re.compile(r"/v1/invoices/(in_\w+)")


def our_invoice(sk, workspace, n: int, *, pay: bool = True) -> str:
    """A finalized invoice of ``workspace``'s customer in the emulator, paid unless not."""
    customer = sk.v1.customers.create(
        {"name": f"Customer {n}", "metadata": {"mspercury_workspace": str(workspace.public_id)}}
    )
    invoice = sk.v1.invoices.create({"customer": customer.id, "currency": "eur"})
    sk.v1.invoice_items.create(
        {
            "customer": customer.id,
            "invoice": invoice.id,
            "amount": 1000 + n,
            "currency": "eur",
            "description": "Managed workstation",
        }
    )
    sk.v1.invoices.finalize_invoice(invoice.id)
    if pay:
        sk.v1.invoices.pay(invoice.id)
    return invoice.id


def stripe_events(sk, after: str = "") -> list[dict]:
    """The emulator's events in the order they happened (those after event ``after``)."""
    found, params = [], {"limit": 100}
    while True:
        page = sk.v1.events.list(params)
        found.extend(page.data)
        if not page.has_more:
            break
        params = {"limit": 100, "starting_after": page.data[-1].id}
    events = [json.loads(json.dumps(e.to_dict(), default=str)) for e in reversed(found)]
    if after:
        events = events[[e["id"] for e in events].index(after) + 1 :]
    return events


def store(connection, events) -> list[StripeEvent]:
    """The events as the webhook stores them (those dispatch has a handler for)."""
    return [
        StripeEvent.objects.create(
            workspace=connection.workspace,
            stripe_account=connection.account_ref,
            event_id=event["id"],
            event_type=event["type"],
            payload=event,
        )
        for event in events
        if event["type"] in HANDLERS
    ]


def invoice_reads(stripe_api, expanding=()) -> Counter:
    """How often each invoice was retrieved (only reads that expand ``expanding`` if given)."""
    return Counter(
        match[1]
        for r in stripe_api.requests(method="GET", path="/v1/invoices/*")
        if (match := INVOICE_READ.fullmatch(r["path"]))
        and set(expanding) <= set(((r.get("params") or {}).get("expand") or {}).values())
    )


def statuses(rows) -> set[str]:
    return set(
        StripeEvent.objects.filter(pk__in=[r.pk for r in rows]).values_list("status", flat=True)
    )
