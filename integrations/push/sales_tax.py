"""Sales tax nobody calculates: a workspace in a country whose indirect tax MSPercury does not
compute (US sales tax, Canada's GST/HST, GST in AU/NZ/SG/IN, Japan's consumption tax; named by
``rules.indirect_taxes``) bills without tax unless Stripe Tax is on. The quote, the push
preview and the integrations page warn, naming that tax, until Stripe Tax is on or the MSP
confirms (``PushSettings.no_sales_tax_confirmed_at``)."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from integrations.models import PushSettings
from mspercury import audit
from mspercury.texts import Text
from rules.tax import standard_rate


def sales_tax_uncalculated(country: str, stripe_tax: bool, on: date) -> bool:
    """No VAT of ours applies and Stripe Tax is off: invoices carry none of the country's
    indirect tax. Pure."""
    return bool(country) and standard_rate(country, on) is None and not stripe_tax


def needs_sales_tax_warning(workspace, prefs: PushSettings | None, on: date) -> bool:
    """Warn while sales tax stays uncalculated and the MSP has not confirmed it is meant so."""
    stripe_tax = bool(prefs and prefs.stripe_tax)
    if not sales_tax_uncalculated(workspace.country.code or "", stripe_tax, on):
        return False
    return not (prefs and prefs.no_sales_tax_confirmed_at)


@transaction.atomic
def do_confirm_no_sales_tax(request, workspace) -> bool:
    """The MSP confirms it charges no sales tax through Stripe; False if already confirmed."""
    prefs, _created = PushSettings.objects.select_for_update().get_or_create(workspace=workspace)
    if prefs.no_sales_tax_confirmed_at is not None:
        return False
    prefs.no_sales_tax_confirmed_at = timezone.now()
    prefs.save(update_fields=["no_sales_tax_confirmed_at"])
    audit.record(
        request,
        workspace,
        "stripe.no_sales_tax_confirmed",
        Text(
            gettext_noop("Confirmed: invoices pushed to Stripe carry no sales tax (Stripe Tax off)")
        ),
    )
    return True
