"""Resource handlers. Importing this package registers every /v1 route."""

from __future__ import annotations

from . import (  # noqa: F401
    catalog,
    checkout,
    credit_notes,
    customers,
    invoices,
    payment_records,
    payments,
    platform,
    subscriptions,
)

RENDERERS = {
    "credit_note": credit_notes.render_credit_note,
    "invoice": invoices.render_invoice,
    "subscription": subscriptions.render_subscription,
}

# Fields Stripe leaves out unless asked for with expand[] ("includable" fields).
INCLUDABLE = {
    "customer": {
        "tax_ids": customers.include_tax_ids,
        "subscriptions": customers.include_subscriptions,
    },
    "invoice": {
        "payments": invoices.include_payments,
        "amount_paid_off_stripe": invoices.include_paid_off_stripe,
    },
}


# What the clock can trigger, by kind: object -> (moment, action maker) or None. When several
# actions are due at the same moment, invoices go first, then subscriptions, then Checkout
# sessions, each oldest first (the order the emulator has always run them in).
DUE_ENTRIES = {
    "invoice": invoices.due_entry,
    "subscription": subscriptions.due_entry,
    "checkout.session": checkout.due_entry,
}
