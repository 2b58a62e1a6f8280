"""Stripe's events in one room: the view verifies the signature and stores the event
(``views`` → ``intake`` → ``store``), a Celery task dispatches it (``dispatch``); failures that
are not retried tell the MSP (``failures``); ``reconcile`` catches up on what never arrived."""
