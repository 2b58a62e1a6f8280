"""A client signed in to the client portal, as a consumed sign-in link leaves the session (the
sign-in itself is tested in tests/portal/test_portal.py)."""

import time

from django.test import Client

from portal.access import SESSION_KEY


def signed_in(customer) -> Client:
    """A portal session for ``customer``'s contact."""
    client = Client()
    session = client.session
    session[SESSION_KEY] = {
        "workspace": customer.workspace_id,
        "customer": customer.pk,
        "email": customer.email,
        "since": int(time.time()),
    }
    session.save()
    return client
