"""The demo's second workspace: an MSP that bills from Lexware Office, not Stripe.

MSPercury runs the contract and issues each month's invoice in the MSP's Lexware Office (here the
Lexware double that scripts/demo.sh starts). The seed accepts a quote, makes the contract one
month old, issues the two invoices it has come to (last month's with the one-time lines, this
month's), has the customer pay last month's by bank transfer in Lexware, and reads that back:
Paid in MSPercury, open in the portal with bank details and a GiroCode. Lexware's callbacks are
registered once the app answers (``seed_demo --callbacks``, scripts/demo.sh): Lexware probes
the callback URL first.
"""

import logging
from datetime import date, timedelta

import requests
from django.conf import settings
from django.utils.translation import gettext_noop

from billing.models import Contract, ContractInvoice, ContractLine
from integrations.accounting.contracts import do_push_contract
from integrations.accounting.http import ProviderError
from integrations.accounting.runs import run_workspace
from integrations.connection.accounting import _apply, verify
from integrations.lexware.readback import register_callbacks, sync_invoice
from integrations.models import AccountingConnection, BillingProviderChoice
from mspercury import audit, tenancy
from mspercury.actions import do_create_workspace
from mspercury.texts import Text
from tests import factories

logger = logging.getLogger(__name__)

# The Lexware double's own key (emulators/lexware; Lexware has no sandbox, emulators/README.md).
DEMO_LEXWARE_KEY = "lexware-emulator-key"
WORKSPACE_NAME = "Demo Lexware GmbH"
LEXWARE_MSP = {
    "street": "Kaiserstraße 12",
    "postal_code": "60311",
    "city": "Frankfurt am Main",
    "time_zone": "Europe/Berlin",
    "legal_form": "GmbH",
    "registered_seat": "Frankfurt am Main",
    "register_court": "Amtsgericht Frankfurt am Main",
    "register_number": "HRB 654321",
    "managing_directors": "Lena Beispiel",
    "bank_account_holder": "Demo Lexware GmbH",
    "bank_name": "Deutsche Bank",
    "iban": "DE02500700100123456789",
    "bic": "DEUTDEFFXXX",
    "invoice_email": "rechnung@demo-lexware.example",
}
SCHMIDT = {
    "company_name": "Schmidt Steuerberatung PartG",
    "contact_name": "Petra Schmidt",
    "email": "kanzlei@schmidt-stb.example",
    "street": "Zeil 44",
    "postal_code": "60313",
    "city": "Frankfurt am Main",
    "tax_id": "DE811128135",
    "language": "de",
}
LINES = (
    ("RMM agent", "8"),
    ("EDR seat", "8"),
    ("Backup seat", "10"),
    ("Microsoft 365 support", "10"),
    ("Onboarding", "1"),
    ("On-site work", "2.5"),
)


def seed_lexware_workspace(user):
    """The Lexware workspace (owned by the demo user beside the Stripe one), or None when the
    Lexware double does not answer."""
    home = user.last_workspace
    workspace = do_create_workspace(user, WORKSPACE_NAME)
    user.last_workspace = home  # the demo opens on the Stripe workspace; switch in the menu
    user.save(update_fields=["last_workspace"])
    factories.german_msp(workspace, **LEXWARE_MSP)
    with tenancy.workspace_context(workspace, user):
        connection = connect_lexware(workspace, user)
        if connection is None:
            return None
        services = factories.catalog(workspace)
        customer = factories.customer(workspace, "DE", **SCHMIDT)
        quote = factories.quote(
            workspace, customer, LINES, services=services, user=user, title="Managed workplace"
        )
        factories.accept(quote, user, name="Petra Schmidt")
        quote.refresh_from_db()
        contract, _created = do_push_contract(quote)
        _month_old(contract)
        run_workspace(workspace)
        _paid_by_transfer(connection, contract)
    return workspace


def connect_lexware(workspace, user):
    """Connect the Lexware double with its key, as an admin would in Settings → Integrations."""
    try:
        verified = verify("lexware", DEMO_LEXWARE_KEY)
    except ProviderError as failure:
        logger.warning(
            "Demo: the Lexware Office double at %s did not answer (%s); the Lexware workspace "
            "is not seeded.",
            settings.MSPERCURY_LEXWARE_API_URL,
            failure,
        )
        return None
    connection = AccountingConnection(workspace=workspace, provider="lexware", connected_by=user)
    _apply(connection, DEMO_LEXWARE_KEY, verified)
    connection.save()
    BillingProviderChoice.objects.update_or_create(
        workspace=workspace, defaults={"provider": "lexware"}
    )
    audit.record(
        None,
        workspace,
        "accounting.connected",
        Text(gettext_noop("Demo: Lexware Office double connected with key %(key)s"), key="…key"),
        actor=user,
        provider="lexware",
    )
    return connection


def _month_ago(today: date) -> date:
    first = today.replace(day=1) - timedelta(days=1)  # the last day of the previous month
    return first.replace(day=min(today.day, first.day))


def _month_old(contract: Contract) -> None:
    """Start the contract a month ago, so that two periods are due today."""
    start = _month_ago(contract.starts_on)
    Contract.objects.filter(pk=contract.pk).update(starts_on=start)
    ContractLine.objects.filter(contract=contract, effective_from=contract.starts_on).update(
        effective_from=start
    )


def _paid_by_transfer(connection, contract: Contract) -> None:
    """The customer pays the first invoice by bank transfer in Lexware; MSPercury reads it."""
    first = (
        ContractInvoice.objects.filter(contract=contract, state=ContractInvoice.State.ISSUED)
        .select_related("invoice")
        .order_by("period_start")
        .first()
    )
    if first is None or first.invoice is None:
        logger.warning("Demo: the Lexware contract issued no invoice; see its page.")
        return
    control = f"{settings.MSPERCURY_LEXWARE_API_URL}/_emulator/invoices/{first.external_id}"
    amount = f"{first.invoice.total // 100}.{first.invoice.total % 100:02d}"
    answer = requests.post(f"{control}/payments", json={"amount": amount}, timeout=10)
    if answer.status_code >= 400:
        logger.warning("Demo: the Lexware double refused the bank transfer: %s", answer.text)
        return
    sync_invoice(connection, first.external_id)


def register_lexware_callbacks() -> int:
    """Register Lexware's event subscriptions of the demo's Lexware workspaces (the app must be
    answering: Lexware probes the URL first). Returns how many connections now have them."""
    done = 0
    with tenancy.system_context():
        connections = list(AccountingConnection.objects.filter(provider="lexware"))
    for connection in connections:
        with tenancy.workspace_context(connection.workspace_id):
            done += bool(register_callbacks(connection))
    return done
