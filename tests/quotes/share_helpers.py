"""Helpers for the share-page and acceptance tests: sharing, reading the page, accepting."""

import re
from decimal import Decimal

from quotes import actions, sharing

D = Decimal


def add_priced_lines(quote, rmm, setup_fee):
    """12 × RMM 5.00 monthly, 4 h onboarding 120.00 one-time, a 240.00 yearly licence.

    Monthly 60.00, yearly 240.00, one-time 480.00; MRR 60 + 240 / 12 = 80.00.
    """
    for service, quantity in ((rmm, "12"), (setup_fee, "4")):
        actions.do_add_line(
            quote, quantity=D(quantity), **actions.line_fields_from_service(service)
        )
    actions.do_add_line(
        quote,
        description="Firewall licence",
        quantity=D("1"),
        unit="unit",
        unit_price=D("240.00"),
        billing_period="yearly",
    )
    quote.refresh_from_db()
    return quote


def share(quote, user=None, **options):
    """A new link to ``quote``; returns (link, token)."""
    return sharing.do_share_quote(quote, user=user, **options)


def page_url(token, action=""):
    return f"/q/{token}/{action + '/' if action else ''}"


def shown_document(html: str) -> tuple[int, str]:
    """The revision and the SHA-256 the share page's accept form carries."""
    revision = re.search(r'name="revision" value="(\d+)"', html)
    document = re.search(r'name="document" value="([0-9a-f]{64})"', html)
    assert revision and document, "the share page has no accept form"
    return int(revision[1]), document[1]


def accept_data(html: str, name="Carla Customer", consent="on") -> dict:
    revision, document = shown_document(html)
    data = {"name": name, "revision": revision, "document": document}
    if consent:
        data["consent"] = consent
    return data
