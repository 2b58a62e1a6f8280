"""Sample data for the demo workspace: a newcomer is one click away from a push to Stripe."""

import logging
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

logger = logging.getLogger(__name__)

D = Decimal
DEMO_STRIPE_KEY = "rk_test_emulator"
EMULATOR_FULL_KEY = "sk_test_emulator"


def seed_workspace(workspace, user) -> None:
    """Fill a fresh demo workspace: catalog, customers, quotes, and the emulator connection."""
    from quotes import actions

    services = _seed_catalog(workspace)
    package = _seed_package(workspace, services)
    dupont, muller = _seed_customers(workspace)
    _seed_accepted_quote(workspace, user, dupont, services)
    draft = actions.do_create_quote(workspace, muller, user=user, title="Managed Basic")
    project = muller.projects.first()
    actions.do_apply_package(draft, package, project)

    if connect_emulator(workspace, user):
        seed_payments(workspace, user, muller, services)
    # The tax advisor's numbers (made up): Settings → DATEV exports at once.
    from billing.datev.models import DatevSettings

    DatevSettings.objects.create(
        workspace=workspace, consultant_number=1234567, client_number=10001
    )


def _seed_catalog(workspace) -> dict:
    """An MSP's usual services, monthly, yearly and one-time, by name."""
    from quotes.models import Service

    services = {}
    for name, unit, period, price, cost in (
        ("RMM agent", "workstation", "monthly", "4.50", "1.80"),
        ("EDR seat", "workstation", "monthly", "6.90", "3.10"),
        ("Backup seat", "user", "monthly", "9.00", "4.00"),
        ("Microsoft 365 support", "user", "monthly", "3.20", None),
        ("Server monitoring", "server", "monthly", "19.00", "6.00"),
        ("Patch management", "workstation", "monthly", "2.10", None),
        ("Backup licence (annual)", "unit", "yearly", "480.00", "300.00"),
        ("Onboarding", "unit", "one_time", "299.00", None),
        ("On-site work", "hour", "one_time", "95.00", None),
    ):
        services[name] = Service.objects.create(
            workspace=workspace,
            name=name,
            unit=unit,
            billing_period=period,
            unit_price=D(price),
            cost_price=D(cost) if cost else None,
        )
    return services


def _seed_package(workspace, services: dict):
    """The default package, so a new quote fills itself from a project's counts."""
    from quotes import actions

    package = actions.do_create_package(workspace, name="Managed Basic", is_default=True)
    for name, rule, qty in (
        ("RMM agent", "per_workstation", "1"),
        ("EDR seat", "per_workstation", "1"),
        ("Backup seat", "per_user", "1"),
        ("Server monitoring", "per_server", "1"),
        ("Onboarding", "fixed", "1"),
    ):
        actions.do_add_package_item(package, service=services[name], rule=rule, quantity=D(qty))
    return package


def _seed_customers(workspace) -> tuple:
    """A French business customer and a German one, each with a project."""
    from customers.models import Customer, Project

    dupont = Customer.objects.create(
        workspace=workspace,
        company_name="Dupont Conseil SARL",
        contact_name="Claire Dupont",
        email="compta@dupont-conseil.example",
        street="12 rue de la Paix",
        postal_code="75002",
        city="Paris",
        country="FR",
        tax_id_type="eu_vat",
        tax_id="FR40303265045",
        language="fr",
        collection_method="send_invoice",
        days_until_due=14,
    )
    Project.objects.create(
        workspace=workspace,
        customer=dupont,
        name="Paris office",
        workstations=12,
        servers=2,
        users=15,
    )
    muller = Customer.objects.create(
        workspace=workspace,
        company_name="Müller Logistik GmbH",
        contact_name="Jonas Müller",
        email="buchhaltung@mueller-logistik.example",
        street="Hafenstraße 5",
        postal_code="20457",
        city="Hamburg",
        country="DE",
        tax_id_type="eu_vat",
        tax_id="DE287654324",  # not the demo MSP's own (DE136695976)
        language="de",
    )
    Project.objects.create(
        workspace=workspace,
        customer=muller,
        name="Headquarters",
        workstations=25,
        servers=3,
        users=30,
    )
    return dupont, muller


def _seed_accepted_quote(workspace, user, dupont, services: dict) -> None:
    """Dupont's mixed quote, accepted: one click from a push to Stripe."""
    from quotes import actions
    from quotes.models import QuoteAcceptance
    from quotes.sharing import do_accept_quote

    # 6 monthly, 1 yearly, 2 one-time lines (one of 1.5 hours).
    quote = actions.do_create_quote(workspace, dupont, user=user, title="Managed services")
    for name, qty in (
        ("RMM agent", "12"),
        ("EDR seat", "12"),
        ("Backup seat", "15"),
        ("Microsoft 365 support", "15"),
        ("Server monitoring", "2"),
        ("Patch management", "12"),
        ("Backup licence (annual)", "1"),
        ("Onboarding", "1"),
        ("On-site work", "1.5"),
    ):
        svc = services[name]
        actions.do_add_line(
            quote,
            service=svc,
            description=svc.name,
            quantity=D(qty),
            unit=svc.unit,
            unit_price=svc.unit_price,
            billing_period=svc.billing_period,
            cost_price=svc.cost_price,
        )
    quote.refresh_from_db()
    do_accept_quote(
        quote,
        via=QuoteAcceptance.Via.MANUAL,
        name="Claire Dupont",
        revision=quote.revision,
        sha256=None,
        user=user,
    )


def seed_payments(workspace, user, customer, services) -> None:
    """A pushed one-time quote whose Stripe invoice the customer paid half of on Stripe's page:
    the invoices page, the invoice's payments and the client portal have something to show."""
    from billing.models import StripeInvoice
    from integrations.mirror.payments import sync_and_collect
    from integrations.mirror.sync import sync_invoice
    from integrations.models import StripeConnection
    from integrations.push.actions import do_start_push
    from integrations.push.executor import execute_push
    from integrations.stripe.client import call, make_client
    from quotes import actions
    from quotes.models import QuoteAcceptance
    from quotes.sharing import do_accept_quote

    quote = actions.do_create_quote(workspace, customer, user=user, title="Server migration")
    work = services["On-site work"]
    actions.do_add_line(
        quote,
        service=work,
        description="Server migration (on site)",
        quantity=D("12"),
        unit=work.unit,
        unit_price=work.unit_price,
        billing_period=work.billing_period,
    )
    quote.refresh_from_db()
    do_accept_quote(
        quote,
        via=QuoteAcceptance.Via.MANUAL,
        name="Jonas Müller",
        revision=quote.revision,
        sha256=None,
        user=user,
    )
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
        pay_part_on_stripes_page(invoice, invoice.amount_remaining // 2)
        sync_and_collect(connection, invoice.stripe_id, client)


def pay_part_on_stripes_page(invoice, amount: int) -> None:
    """What the customer does on Stripe's invoice page: pay part of it (the emulator's page)."""
    import urllib.parse
    import urllib.request

    from rules.money import from_minor_units

    body = urllib.parse.urlencode(
        {"amount": str(from_minor_units(amount, invoice.currency))}
    ).encode()
    url = f"{invoice.hosted_invoice_url}/pay_part"
    if not url.startswith(("http://", "https://")):
        return
    request = urllib.request.Request(url, data=body)  # noqa: S310 (http(s) only, the emulator)
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        answer.read()


def connect_emulator(workspace, user) -> bool:
    """Connect the demo workspace to the local Stripe emulator with the restricted demo key.

    The restricted key may not manage webhook endpoints (as in the setup guide), so the seed adds
    ours the way an admin would by hand in the Dashboard, and stores its signing secret.
    """
    from integrations.models import StripeConnection, WebhookStatus
    from integrations.stripe.account import parse_key, verify_key
    from integrations.stripe.client import call, make_client
    from integrations.stripe.errors import StripeFailure
    from integrations.stripe.webhooks import HANDLED_EVENTS
    from mspercury import audit
    from mspercury.texts import Text

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
