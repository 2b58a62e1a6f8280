"""A German MSP billing from Lexware Office or sevDesk through the doubles, with an accepted
quote to push: what the billing-schedule tests share."""

from __future__ import annotations

import pytest

from emulators.lexware import DEFAULT_KEY as LEXWARE_KEY
from emulators.lexware import DEFAULT_ORGANIZATION
from integrations.models import AccountingConnection, BillingProviderChoice
from tests import factories

SEVDESK_TOKEN = "5e7d3b1f0c9a4e2d8b6f1a3c5e7d9b0f"
KEYS = {"lexware": LEXWARE_KEY, "sevdesk": SEVDESK_TOKEN}


@pytest.fixture
def doubles(settings, lexware_emulator, sevdesk_emulator):
    settings.MSPERCURY_LEXWARE_API_URL = lexware_emulator.base_url
    settings.MSPERCURY_SEVDESK_API_URL = sevdesk_emulator.api_url
    settings.MSPERCURY_LEXWARE_RATE_LIMIT = 0
    settings.MSPERCURY_SEVDESK_RATE_LIMIT = 0
    return {"lexware": lexware_emulator, "sevdesk": sevdesk_emulator}


def bill_from(msp, provider: str, key: str | None = None) -> AccountingConnection:
    """``msp`` as a German MSP connected to ``provider`` and billing from it."""
    factories.german_msp(msp)
    connection = AccountingConnection(
        workspace=msp,
        provider=provider,
        organization_id=DEFAULT_ORGANIZATION if provider == "lexware" else "1",
    )
    key = key or KEYS[provider]
    connection.api_key = key
    connection.key_last4 = key[-4:]
    connection.save()
    BillingProviderChoice.objects.update_or_create(workspace=msp, defaults={"provider": provider})
    return connection


def german_quote(msp, user=None, **fields):
    """The mixed quote (monthly, yearly and one-time lines, one of 1.5 hours) to a German
    business: 19 % VAT."""
    customer = factories.customer(
        msp,
        "DE",
        street="Hauptstr. 5",
        postal_code="12345",
        city="Musterort",
        email="buchhaltung@acme.example",
    )
    fields.setdefault("currency", "EUR")
    made = factories.quote(msp, customer, factories.MIXED_LINES, user=user, **fields)
    factories.accept(made, user)
    made.refresh_from_db()
    return made


def invoices_in(provider: str, emulator) -> list[dict]:
    """Every invoice the double holds."""
    state = emulator.state()
    if provider == "lexware":
        return _objects(state, "invoices")
    return _objects(state, "invoices", "Invoice")


def _objects(state: dict, *names: str) -> list[dict]:
    for scope in _scopes(state):
        for name in names:
            value = scope.get(name)
            if isinstance(value, dict):
                return list(value.values())
            if isinstance(value, list):
                return value
    return []


def _scopes(state: dict):
    yield state
    for value in state.values():
        if isinstance(value, dict):
            yield from _scopes(value)
