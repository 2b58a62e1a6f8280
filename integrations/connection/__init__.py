"""A workspace's Stripe connection: connect, verify, replace and disconnect its key, register
its webhook, and tell whose an object on a shared Stripe account is."""
