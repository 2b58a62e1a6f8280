"""Settings → Integrations: the Lexware Office and sevDesk cards and the billing provider.

Owners and admins only, each change behind a recent two-factor check, as for the Stripe key.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from integrations.access import access_accounting_connection
from integrations.connection import accounting
from integrations.connection.actions import ConnectionError_
from integrations.connection.forms import AccountingKeyForm, BillingProviderForm
from integrations.models import (
    AccountingConnection,
    AccountingProvider,
    BillingProvider,
    BillingProviderChoice,
)
from mspercury.access import admin_required, recent_2fa_required

# Where to make a key, and how to try MSPercury first: neither tool has a sandbox.
KEY_HELP = {
    AccountingProvider.LEXWARE: gettext_lazy(
        "Make a key in Lexware Office under Add-ons → Public API (app.lexware.de/addons/"
        "public-api) and paste it here. It is checked with Lexware Office, stored encrypted and "
        "never shown again."
    ),
    AccountingProvider.SEVDESK: gettext_lazy(
        "Copy the API token from your user settings in sevDesk and paste it here. It is checked "
        "with sevDesk, stored encrypted and never shown again."
    ),
}
SANDBOX_NOTE = {
    AccountingProvider.LEXWARE: gettext_lazy(
        "Lexware Office has no sandbox or test mode: whatever MSPercury creates with this key is "
        "real. To try it first, use a free trial account (free for 30 days, as many as you "
        "need) and connect its key."
    ),
    AccountingProvider.SEVDESK: gettext_lazy(
        "sevDesk has no sandbox or test mode either: whatever MSPercury creates with this key is "
        "real. To try it first, use a free sevDesk trial account and connect its key."
    ),
}
ACTIONS = ("connect", "test", "replace", "disconnect")


def _forms(provider: str, forms: dict) -> tuple:
    return (
        forms.get(f"{provider}-connect") or AccountingKeyForm(prefix=provider),
        forms.get(f"{provider}-replace") or AccountingKeyForm(prefix=f"{provider}-replace"),
    )


def accounting_context(request, stripe_connected: bool, forms: dict | None = None) -> dict:
    """The page's Lexware Office and sevDesk cards and the billing provider (two queries)."""
    forms = forms or {}
    connections = {
        c.provider: c
        for c in AccountingConnection.objects.of_workspace(request.workspace).select_related(
            "connected_by"
        )
    }
    cards = []
    for provider, name in AccountingProvider.choices:
        connect_form, replace_form = _forms(provider, forms)
        cards.append(
            {
                "provider": provider,
                "name": name,
                "connection": connections.get(provider),
                "connect_form": connect_form,
                "replace_form": replace_form,
                "key_help": KEY_HELP[provider],
                "sandbox_note": SANDBOX_NOTE[provider],
                "urls": {a: reverse(f"integrations:{provider}_{a}") for a in ACTIONS},
            }
        )
    choice = BillingProviderChoice.objects.for_workspace(request.workspace)
    chosen = choice.provider if choice else BillingProvider.STRIPE
    connected = stripe_connected if chosen == BillingProvider.STRIPE else chosen in connections
    return {
        "accounting_cards": cards,
        "billing_provider": BillingProvider(chosen),
        "billing_provider_connected": connected,
        "billing_provider_form": forms.get("billing_provider")
        or BillingProviderForm(initial={"provider": chosen}),
    }


def _page(request, forms: dict):
    from integrations.connection.views import _page as settings_page

    return settings_page(request, accounting_forms=forms, status=400)


def _back():
    return redirect("integrations:stripe_settings")


@sensitive_post_parameters("lexware-key", "sevdesk-key")
@require_POST
@admin_required
@recent_2fa_required
def connect(request, provider):
    form = AccountingKeyForm(request.POST, prefix=provider)
    if form.is_valid():
        try:
            accounting.do_connect(request, request.workspace, provider, form.cleaned_data["key"])
        except ConnectionError_ as exc:
            form.add_error("key", exc.message)
        else:
            messages.success(request, _("%(provider)s connected.") % {"provider": _name(provider)})
            return _back()
    return _page(request, {f"{provider}-connect": form})


@require_POST
@admin_required
@recent_2fa_required
def test(request, provider):
    connection = access_accounting_connection(request, provider)
    try:
        accounting.do_test(request, connection)
    except ConnectionError_ as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The %(provider)s key works.") % {"provider": _name(provider)})
    return _back()


@sensitive_post_parameters("lexware-replace-key", "sevdesk-replace-key")
@require_POST
@admin_required
@recent_2fa_required
def replace(request, provider):
    connection = access_accounting_connection(request, provider)
    form = AccountingKeyForm(request.POST, prefix=f"{provider}-replace")
    if form.is_valid():
        try:
            warnings = accounting.do_replace_key(request, connection, form.cleaned_data["key"])
        except ConnectionError_ as exc:
            form.add_error("key", exc.message)
        else:
            messages.success(
                request,
                _("Key replaced. Revoke the old key in %(provider)s.")
                % {"provider": _name(provider)},
            )
            for warning in warnings:
                messages.warning(request, warning)
            return _back()
    return _page(request, {f"{provider}-replace": form})


@require_POST
@admin_required
@recent_2fa_required
def disconnect(request, provider):
    connection = access_accounting_connection(request, provider)
    if request.POST.get("confirm") != "yes":
        messages.error(
            request,
            _("Tick the confirmation box to disconnect %(provider)s.")
            % {"provider": _name(provider)},
        )
        return _back()
    accounting.do_disconnect(request, connection)
    messages.success(
        request,
        _("%(provider)s disconnected and the key deleted.") % {"provider": _name(provider)},
    )
    return _back()


@require_POST
@admin_required
@recent_2fa_required
def choose_billing_provider(request):
    form = BillingProviderForm(request.POST, prefix=None)
    if form.is_valid():
        provider = form.cleaned_data["provider"]
        try:
            changed = accounting.do_choose_billing_provider(request, request.workspace, provider)
        except ConnectionError_ as exc:
            form.add_error("provider", exc.message)
        else:
            if changed:
                messages.success(
                    request,
                    _("Billing provider set to %(provider)s.")
                    % {"provider": BillingProvider(provider).label},
                )
            return _back()
    return _page(request, {"billing_provider": form})


def _name(provider: str) -> str:
    return accounting.provider_name(provider)


@require_POST
@admin_required
@recent_2fa_required
def repair_callbacks(request):
    """Register Lexware Office's event subscriptions again (like the Stripe webhook's repair)."""
    from integrations.lexware.readback import do_repair_callbacks

    connection = access_accounting_connection(request, AccountingProvider.LEXWARE)
    if do_repair_callbacks(request, connection):
        messages.success(request, _("Lexware Office event subscriptions registered again."))
    else:
        messages.error(request, connection.callback_error)
    return _back()
