"""Stripe's invoices, subscriptions and payments mirrored into billing's ledger: ``sync`` reads
them, ``payments`` settles what was paid, ``checkout`` and ``manual`` write payments to Stripe,
``recheck`` is the Stripe half of the renewal VAT re-check, ``evidence_reads`` and ``edge`` answer
what billing asks of Stripe (billing.edge)."""
