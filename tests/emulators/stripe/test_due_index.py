"""The clock's due-time index (emulators/stripe/due.py) agrees with a full scan of the store.

The emulator used to scan every invoice, subscription and Checkout session on every request;
the index files each object's next due moment when it is touched. These tests compare the
index with the scan it replaced after a mix of operations, after loading a state file, and
check that actions due at the same moment still run oldest first.
"""

from emulators.stripe import Emulator
from emulators.stripe.persistence import restore, snapshot
from emulators.stripe.resources import DUE_ENTRIES

from .helpers import customer_and_product, monthly


def _scanned(emu) -> dict:
    """What a full scan finds: object id -> (moment, kind rank, creation order, id)."""
    found = {}
    for rank, (kind, due_entry) in enumerate(DUE_ENTRIES.items()):
        for object_id in emu.store.by_kind.get(kind, []):
            entry = due_entry(emu.store.objects.peek(object_id))
            if entry is not None:
                found[object_id] = (entry[0], rank, emu.store.order[object_id], object_id)
    return found


def _indexed(emu) -> dict:
    with emu.store.lock:
        emu.due.refresh()
        return dict(emu.due.current)


def _moments(emu) -> dict:
    return {object_id: key[:2] for object_id, key in _scanned(emu).items()}


def _subscribe(client, customer_id, product_id, **extra):
    return client.v1.subscriptions.create(
        {"customer": customer_id, "items": [{"price_data": monthly(product_id, 1000)}], **extra}
    )


def test_the_index_matches_a_full_scan_through_renewals_cancels_and_drafts(stripe_emulator):
    client = stripe_emulator.client()
    emu = stripe_emulator.emulator
    customer, product = customer_and_product(client)
    subscriptions = [_subscribe(client, customer.id, product.id) for _ in range(3)]
    client.v1.subscriptions.update(subscriptions[1].id, {"cancel_at_period_end": True})
    client.v1.invoices.create({"customer": customer.id, "auto_advance": True})
    stripe_emulator.set_payment_behavior(customer.id, "fail")
    assert _indexed(emu) == _scanned(emu)
    for days in (10, 21, 1, 3, 30):
        stripe_emulator.advance(days=days)
        assert _indexed(emu) == _scanned(emu)
    client.v1.subscriptions.cancel(subscriptions[2].id)
    assert _indexed(emu) == _scanned(emu)


def test_loading_a_state_file_rebuilds_the_index(stripe_emulator):
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    _subscribe(client, customer.id, product.id)
    client.v1.invoices.create({"customer": customer.id, "auto_advance": True})
    with stripe_emulator.emulator.store.lock:
        saved = snapshot(stripe_emulator.emulator)
    fresh = Emulator()
    restore(fresh, saved)
    # Creation order is renumbered on load (by kind), which keeps each kind's order.
    assert _indexed(fresh) == _scanned(fresh)
    assert _moments(fresh) == _moments(stripe_emulator.emulator)
    assert len(_indexed(fresh)) == 2  # the subscription's renewal and the draft's finalization


def test_actions_due_at_the_same_moment_run_oldest_first(stripe_emulator):
    """Two subscriptions renewing at the same second renew oldest first, and each renewal's
    draft is finalized (and charged) before the later subscription renews again."""
    client = stripe_emulator.client()
    emu = stripe_emulator.emulator
    customer, product = customer_and_product(client)
    first = _subscribe(client, customer.id, product.id)
    second = _subscribe(client, customer.id, product.id)
    with emu.store.lock:
        end = first["items"].data[0].current_period_end
        for sub in (first, second):  # same moment for both, whatever second they were made in
            emu.store.objects[sub.id]["items"]["data"][0]["current_period_end"] = end
    stripe_emulator.advance(end - stripe_emulator.now() + 2 * 3600)
    renewal = [
        (e.type, e.data.object.id)
        for e in reversed(client.v1.events.list({"limit": 100}).data)
        if e.created >= end
    ]
    updated = [oid for kind, oid in renewal if kind == "customer.subscription.updated"]
    drafts = [oid for kind, oid in renewal if kind == "invoice.created"]
    finalized = [oid for kind, oid in renewal if kind == "invoice.finalized"]
    assert updated == [first.id, second.id]
    assert finalized == drafts and len(drafts) == 2
