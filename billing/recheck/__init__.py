"""The VAT re-check of renewal invoices, one room: the rule (``rules``, pure) and the record of
each check (``models``, app label "taxcheck"). Its Stripe half — reading the draft, writing the
corrections, the sweep task — is at the edge (integrations.mirror.recheck)."""
