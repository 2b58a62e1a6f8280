"""Sample data for the demo workspace: a newcomer is one click away from a push to Stripe.

Built with the worlds of ``tests/factories.py`` (the catalog, the French and the German business
customer, the mixed quote), with the demo's own names and numbers.
"""

import logging
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from billing.datev.models import DatevSettings
from billing.models import StripeInvoice
from integrations.mirror.payments import sync_and_collect
from integrations.mirror.sync import sync_invoice
from integrations.models import StripeConnection, WebhookStatus
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from integrations.stripe.account import parse_key, verify_key
from integrations.stripe.client import call, make_client
from integrations.stripe.errors import StripeFailure
from integrations.stripe.webhooks import HANDLED_EVENTS
from mspercury import audit
from mspercury.texts import Text
from quotes import actions
from tests import factories

logger = logging.getLogger(__name__)

DEMO_STRIPE_KEY = factories.EMULATOR_KEY
EMULATOR_FULL_KEY = "sk_test_emulator"

DEMO_MSP = {
    "street": "Neufeldweg 25a",
    "postal_code": "51427",
    "city": "Bergisch Gladbach",
    "time_zone": "Europe/Berlin",
    # The particulars a GmbH prints on every business letter (§35a GmbHG), and the account its
    # customers pay by transfer (e-invoices, GiroCode).
    "legal_form": "GmbH",
    "registered_seat": "Bergisch Gladbach",
    "register_court": "Amtsgericht Köln",
    "register_number": "HRB 123456",
    "managing_directors": "Anna Beispiel\nJonas Muster",
    "bank_account_holder": "Demo IT Services GmbH",
    "bank_name": "Commerzbank",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "sepa_creditor_id": "DE98ZZZ09999999999",
    # Customer mail goes out as "Demo IT Services GmbH" and replies come back here.
    "invoice_email": "rechnung@demo-it-services.example",
    "reply_to_email": "buchhaltung@demo-it-services.example",
}
# The factory's French business customer (Paris, FR40303265045, in French), named for the demo.
DUPONT = {
    "company_name": "Dupont Conseil SARL",
    "contact_name": "Claire Dupont",
    "email": "compta@dupont-conseil.example",
    "street": "12 rue de la Paix",
}
MULLER = {
    "company_name": "Müller Logistik GmbH",
    "contact_name": "Jonas Müller",
    "email": "buchhaltung@mueller-logistik.example",
    "street": "Hafenstraße 5",
    "postal_code": "20457",
    "city": "Hamburg",
    "tax_id": "DE287654324",  # not the demo MSP's own (DE136695976)
    "language": "de",
}
MANAGED_BASIC = (
    ("RMM agent", "per_workstation", "1"),
    ("EDR seat", "per_workstation", "1"),
    ("Backup seat", "per_user", "1"),
    ("Server monitoring", "per_server", "1"),
    ("Onboarding", "fixed", "1"),
)
# The seed's mixed quote: 6 monthly, 1 yearly, 2 one-time lines (one of 1.5 hours).
MIXED_LINES = (
    ("RMM agent", "12"),
    ("EDR seat", "12"),
    ("Backup seat", "15"),
    ("Microsoft 365 support", "15"),
    ("Server monitoring", "2"),
    ("Patch management", "12"),
    ("Backup licence (annual)", "1"),
    ("Onboarding", "1"),
    ("On-site work", "1.5"),
)


def seed_msp(workspace):
    """The demo MSP: a German GmbH with its address, VAT ID, particulars and bank account."""
    return factories.german_msp(workspace, **DEMO_MSP)


def seed_workspace(workspace, user) -> None:
    """Fill a fresh demo workspace: catalog, customers, quotes, and the emulator connection."""
    services = factories.catalog(workspace)
    package = actions.do_create_package(workspace, name="Managed Basic", is_default=True)
    for name, rule, quantity in MANAGED_BASIC:
        actions.do_add_package_item(
            package, service=services[name], rule=rule, quantity=Decimal(quantity)
        )
    dupont = factories.customer(workspace, "FR", **DUPONT)
    factories.project(dupont, "Paris office")
    muller = factories.customer(workspace, "DE", **MULLER)
    factories.project(muller, "Headquarters", workstations=25, servers=3, users=30)

    mixed = factories.quote(
        workspace, dupont, MIXED_LINES, services=services, user=user, title="Managed services"
    )
    factories.accept(mixed, user, name="Claire Dupont")
    draft = actions.do_create_quote(workspace, muller, user=user, title="Managed Basic")
    actions.do_apply_package(draft, package, muller.projects.first())

    if connect_emulator(workspace, user):
        seed_payments(workspace, user, muller, services)
    # The tax advisor's numbers (made up): Settings → DATEV exports at once.
    DatevSettings.objects.create(
        workspace=workspace, consultant_number=1234567, client_number=10001
    )


def seed_payments(workspace, user, customer, services) -> None:
    """A pushed one-time quote whose Stripe invoice the customer paid half of on Stripe's page:
    the invoices page, the invoice's payments and the client portal have something to show."""
    quote = factories.quote(
        workspace, customer, services=services, user=user, title="Server migration"
    )
    factories.add_line(
        quote, services["On-site work"], "12", description="Server migration (on site)"
    )
    factories.accept(quote, user, name="Jonas Müller")
    # German VAT for a German customer: the tax rate an admin keeps in the Stripe Dashboard.
    admin = make_client(EMULATOR_FULL_KEY)
    call(
        lambda: admin.v1.tax_rates.create(
            {"display_name": "USt", "percentage": 19, "inclusive": False, "country": "DE"}
        )
    )
    push, _ = do_start_push(None, quote, actor=user, send_now=True)
    if execute_push(push.pk) != "succeeded":
        push.refresh_from_db()
        logger.warning("Demo: the sample push did not succeed: %s", push.error)
        return
    connection = StripeConnection.objects.for_workspace(workspace)
    client = make_client(connection.api_key)
    for found in call(lambda: client.v1.invoices.list({"limit": 10})).data:
        sync_invoice(connection, found.id, client)
    invoice = StripeInvoice.objects.filter(quote=quote, status="open").first()
    if invoice is not None and invoice.hosted_invoice_url:
        factories.pay_part_on_stripes_page(invoice, invoice.amount_remaining // 2)
        sync_and_collect(connection, invoice.stripe_id, client)


def connect_emulator(workspace, user) -> bool:
    """Connect the demo workspace to the local Stripe emulator with the restricted demo key.

    The restricted key may not manage webhook endpoints (as in the setup guide), so the seed adds
    ours the way an admin would by hand in the Dashboard, and stores its signing secret.
    """
    info = parse_key(DEMO_STRIPE_KEY)
    try:
        verification = verify_key(info)
    except StripeFailure as failure:
        logger.warning(
            "Demo: the Stripe emulator at %s did not answer (%s); connect it later "
            "in Settings → Integrations.",
            settings.MSPERCURY_STRIPE_API_BASE,
            failure,
        )
        return False
    connection = StripeConnection(workspace=workspace, connected_by=user)
    connection.api_key = info.key
    connection.key_prefix, connection.key_last4 = info.prefix, info.last4
    connection.key_kind, connection.mode = info.kind, info.mode
    connection.account_id = verification.account_id
    connection.account_name = verification.account_name
    connection.account_details_available = verification.account_details_available
    connection.permissions = verification.permissions
    connection.last_verified_at = timezone.now()
    admin_client = make_client(EMULATOR_FULL_KEY)
    endpoint = call(
        lambda: admin_client.v1.webhook_endpoints.create(
            {
                "url": connection.webhook_url(),
                "enabled_events": HANDLED_EVENTS,
                "api_version": "2026-10-28.endive",
                "description": "MSPercury demo (added by hand)",
            }
        )
    )
    connection.webhook_secret = endpoint.secret
    connection.webhook_status = WebhookStatus.MANUAL
    connection.webhook_registered_at = timezone.now()
    connection.save()
    audit.record(
        None,
        workspace,
        "stripe.connected",
        Text(gettext_noop("Demo: Stripe emulator connected with %(key)s"), key=info.masked),
        actor=user,
        key=info.masked,
        mode=info.mode,
    )
    return True
