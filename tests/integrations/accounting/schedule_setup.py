"""A German MSP billing from Lexware Office or sevDesk through the doubles, with an accepted
quote to push, and the fault matrix of the issuing: what the billing-schedule tests and
``bench/schedule.py`` share."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from billing.models import Contract
from billing.schedule import add_months
from emulators.lexware import DEFAULT_KEY as LEXWARE_KEY
from emulators.lexware import DEFAULT_ORGANIZATION
from integrations.accounting.contracts import do_push_contract
from integrations.accounting.http import Unavailable
from integrations.accounting.runs import run_workspace
from integrations.models import AccountingConnection, BillingProviderChoice
from mspercury.tenancy import workspace_context
from tests import factories
from tests.provider_emulator_fixtures import point_at_doubles

SEVDESK_TOKEN = "5e7d3b1f0c9a4e2d8b6f1a3c5e7d9b0f"
KEYS = {"lexware": LEXWARE_KEY, "sevdesk": SEVDESK_TOKEN}


@pytest.fixture
def doubles(settings, lexware_emulator, sevdesk_emulator):
    point_at_doubles(settings, lexware_emulator, sevdesk_emulator)
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


START = date(2027, 1, 31)

# Every create and read the issuing makes, per provider: (method, path pattern in the double).
FAULTS = {
    "lexware": {
        "contact create": ("POST", "/v1/contacts"),
        "invoice create": ("POST", "/v1/invoices"),
        "invoice read": ("GET", "/v1/invoices/*"),
        "voucherlist": ("GET", "/v1/voucherlist"),
        "contact read": ("GET", "/v1/contacts"),
    },
    "sevdesk": {
        "contact create": ("POST", "/api/v1/Contact"),
        "invoice create": ("POST", "/api/v1/Invoice/Factory/saveInvoice"),
        "invoice read": ("GET", "/api/v1/Invoice/*"),
        "invoice list": ("GET", "/api/v1/Invoice"),
        "contact read": ("GET", "/api/v1/Contact"),
    },
}
KINDS = ["error", "timeout_after_write", "drop_after_write", "rate_limit"]
MATRIX = [
    (provider, kind, where)
    for provider, places in FAULTS.items()
    for where in places
    for kind in KINDS
]
LOOK_UPS = {"voucherlist", "invoice list"}


def push(quote):
    with workspace_context(quote.workspace):
        return do_push_contract(quote)


def run(msp, today):
    with workspace_context(msp):
        return run_workspace(msp, today)


def start_on(contract, day=START):
    Contract.objects.filter(pk=contract.pk).update(starts_on=day)
    contract.refresh_from_db()
    return contract


def gross(provider: str, invoice: dict) -> Decimal:
    if provider == "lexware":
        return Decimal(str(invoice["totalPrice"]["totalGrossAmount"]))
    return Decimal(str(invoice["sumGross"]))


def reference_of(provider: str, invoice: dict) -> str:
    field = "remark" if provider == "lexware" else "customerInternalNote"
    return (invoice.get(field) or "").splitlines()[-1].removeprefix("MSPercury-Ref: ")


def references(provider: str, emulator) -> Counter:
    return Counter(reference_of(provider, i) for i in invoices_in(provider, emulator))


def contacts_in(emulator) -> list:
    state = emulator.state()
    scope = state.get("organizations") or state.get("clients")
    return [c for org in scope.values() for c in org["contacts"]]


def expected_gross(quote, period: int) -> Decimal:
    """The quote's gross for a contract's ``period``-th monthly invoice (0: the first, with the
    yearly and one-time lines), as the customer accepted it."""
    tax = quote.acceptance.snapshot["tax"]
    return Decimal(tax["first_invoice" if period % 12 == 0 else "monthly"]["gross"])


def issue_through_fault(quote, emulator, provider: str, kind: str, where: str):
    """One fault armed at ``where``, then the push and the first two periods' runs, retried up
    to four times as the scheduler would: the contract (None if the push never got through)."""
    method, endpoint = FAULTS[provider][where]
    emulator.fault(kind, endpoint, method=method, count=1)
    if where in LOOK_UPS:
        # Reads that only a look-up makes: a lost answer first, so the next attempt looks.
        emulator.fault("drop_after_write", FAULTS[provider]["invoice create"][1], "POST", 1)
    contract = None
    for _attempt in range(4):
        try:
            contract = contract or start_on(push(quote)[0])
        except Unavailable:
            continue
        run(quote.workspace, START)
        run(quote.workspace, add_months(START, 1))
    return contract


@dataclass
class Outcome:
    """What the double holds for one contract after ``periods`` periods."""

    fired: bool
    per_period: list[int]
    duplicates: int
    gaps: int
    totals_equal: bool
    contacts: int


def outcome(quote, contract, emulator, provider: str, periods: int = 2) -> Outcome:
    held: dict[str, list[dict]] = {}
    for invoice in invoices_in(provider, emulator):
        held.setdefault(reference_of(provider, invoice), []).append(invoice)
    prefix = f"MSP-{contract.public_id.hex[:12]}-" if contract else "-"
    wanted = [f"{prefix}{add_months(START, k):%Y%m%d}" for k in range(periods)]
    counts = [len(held.get(ref, [])) for ref in wanted]
    strays = sum(len(found) for ref, found in held.items() if ref not in wanted)
    totals = all(
        gross(provider, invoice) == expected_gross(quote, k)
        for k, ref in enumerate(wanted)
        for invoice in held.get(ref, [])
    )
    return Outcome(
        fired=bool(emulator.faults()) and all(f["fired"] >= 1 for f in emulator.faults()),
        per_period=counts,
        duplicates=sum(n - 1 for n in counts if n > 1) + strays,
        gaps=counts.count(0),
        totals_equal=totals and all(counts),
        contacts=len(contacts_in(emulator)),
    )
