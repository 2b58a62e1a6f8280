import logging

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from integrations.access import access_connection
from integrations.connection import actions
from integrations.connection.accounting_views import accounting_context
from integrations.connection.forms import (
    PushSettingsForm,
    StripeKeyForm,
    VatMode,
    WebhookSecretForm,
)
from integrations.models import PushSettings, StripeConnection
from integrations.push.sales_tax import do_confirm_no_sales_tax, needs_sales_tax_warning
from integrations.stripe.account import OPTIONAL_SCOPES, scopes_for
from integrations.stripe.permissions import labels, missing_writes, shown_state
from integrations.stripe.webhooks import HANDLED_EVENTS
from mspercury import audit
from mspercury.access import (
    admin_required,
    has_recent_2fa,
    recent_2fa_required,
    workspace_required,
)
from mspercury.texts import Text

logger = logging.getLogger(__name__)


def _page(
    request,
    *,
    connect_form=None,
    replace_form=None,
    secret_form=None,
    settings_form=None,
    accounting_forms=None,
    status=200,
):
    connection = StripeConnection.objects.for_workspace(request.workspace)
    prefs = PushSettings.objects.for_workspace(request.workspace)
    permissions = connection.permissions if connection else None
    scopes = [
        {"scope": scope, "state": shown_state(permissions, scope) if connection else None}
        for scope in scopes_for(prefs)
    ]
    context = {
        "connection": connection,
        "shared_with": actions.other_workspaces_on_account(connection) if connection else 0,
        "scopes": scopes,
        "optional_scopes": OPTIONAL_SCOPES,
        "events": HANDLED_EVENTS,
        "can_manage": request.membership.is_admin,
        "has_recent_2fa": has_recent_2fa(request),
        "connect_form": connect_form or StripeKeyForm(),
        "replace_form": replace_form or StripeKeyForm(prefix="replace"),
        "secret_form": secret_form or WebhookSecretForm(),
        "settings_form": settings_form or PushSettingsForm(instance=prefs),
        "sales_tax_warning": needs_sales_tax_warning(
            request.workspace, prefs, timezone.localdate()
        ),
        **accounting_context(request, connection is not None, accounting_forms),
    }
    return render(request, "integrations/stripe_settings.html", context, status=status)


@workspace_required
def stripe_settings(request):
    return _page(request)


def _flash_warnings(request, outcome):
    for warning in outcome.warnings:
        messages.warning(request, warning)


@sensitive_post_parameters("key")
@require_POST
@admin_required
@recent_2fa_required
def stripe_connect(request):
    form = StripeKeyForm(request.POST)
    if form.is_valid():
        try:
            outcome = actions.do_connect(request, request.workspace, form.cleaned_data["key"])
        except actions.ConnectionError_ as exc:
            form.add_error("key", exc.message)
        else:
            messages.success(request, _("Stripe connected."))
            _flash_warnings(request, outcome)
            return redirect("integrations:stripe_settings")
    return _page(request, connect_form=form, status=400)


@require_POST
@admin_required
@recent_2fa_required
def stripe_test(request):
    connection = access_connection(request)
    try:
        actions.do_test_connection(request, connection)
    except actions.ConnectionError_ as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Connection works."))
    return redirect("integrations:stripe_settings")


@sensitive_post_parameters("replace-key")
@require_POST
@admin_required
@recent_2fa_required
def stripe_replace(request):
    connection = access_connection(request)
    form = StripeKeyForm(request.POST, prefix="replace")
    if form.is_valid():
        try:
            outcome = actions.do_replace_key(request, connection, form.cleaned_data["key"])
        except actions.ConnectionError_ as exc:
            form.add_error("key", exc.message)
        else:
            messages.success(
                request, _("Key replaced. Revoke the old key in the Stripe Dashboard.")
            )
            _flash_warnings(request, outcome)
            return redirect("integrations:stripe_settings")
    return _page(request, replace_form=form, status=400)


@require_POST
@admin_required
@recent_2fa_required
def stripe_disconnect(request):
    connection = access_connection(request)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the confirmation box to disconnect Stripe."))
        return redirect("integrations:stripe_settings")
    actions.do_disconnect(request, connection)
    messages.success(request, _("Stripe disconnected and the key deleted."))
    return redirect("integrations:stripe_settings")


@require_POST
@admin_required
@recent_2fa_required
def stripe_webhook_retry(request):
    connection = access_connection(request)
    try:
        actions.do_retry_webhook(request, connection)
    except actions.ConnectionError_ as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Webhook endpoint registered again."))
    return redirect("integrations:stripe_settings")


@sensitive_post_parameters("secret")
@require_POST
@admin_required
@recent_2fa_required
def stripe_webhook_secret(request):
    connection = access_connection(request)
    form = WebhookSecretForm(request.POST)
    if form.is_valid():
        try:
            actions.do_save_manual_webhook_secret(request, connection, form.cleaned_data["secret"])
        except actions.ConnectionError_ as exc:
            form.add_error("secret", exc.message)
        else:
            messages.success(request, _("Webhook secret saved."))
            return redirect("integrations:stripe_settings")
    return _page(request, secret_form=form, status=400)


@require_POST
@admin_required
def push_settings(request):
    instance, _created = PushSettings.objects.get_or_create(workspace=request.workspace)
    form = PushSettingsForm(request.POST, instance=instance)
    if not form.is_valid():
        return _page(request, settings_form=form, status=400)
    problem, refuse = _vat_permission_check(request, form)
    if refuse:
        form.add_error("vat_mode", problem)
        return _page(request, settings_form=form, status=400)
    if problem:
        messages.warning(request, problem)
    if form.has_changed():
        form.save()
        audit.record(
            request,
            request.workspace,
            "stripe.push_settings_changed",
            Text(
                gettext_noop("Push settings changed: %(fields)s"),
                fields=", ".join(form.changed_data),
            ),
            changed=form.changed_data,
        )
    messages.success(request, _("Push settings saved."))
    return redirect("integrations:stripe_settings")


def _vat_permission_check(request, form) -> tuple[str, bool]:
    """With "MSPercury calculates the VAT" every push creates tax rates, which needs Tax Rates:
    Write: asked of Stripe now (writing nothing). Returns (what to say, whether to refuse):
    switching it on with such a key is refused; saving other settings while it is on warns."""
    if form.cleaned_data.get("vat_mode") != VatMode.MSPERCURY:
        return "", False
    connection = StripeConnection.objects.for_workspace(request.workspace)
    if connection is None or not missing_writes(connection, ["tax_rates"], fresh=True):
        return "", False
    switching = VatMode.of(form.instance) != VatMode.MSPERCURY
    message = _(
        "Your Stripe key lacks %(permission)s, which MSPercury needs to create the VAT rates on "
        "your invoices. Give the key that permission in the Stripe Dashboard (Developers → API "
        "keys → the key → Edit); until then pushes that need a tax rate are refused before "
        "anything is written."
    ) % {"permission": labels(["tax_rates"])}
    return message, switching


@require_POST
@admin_required
def confirm_no_sales_tax(request):
    """Stop the "sales tax not calculated" warnings: the MSP means to bill without it."""
    if do_confirm_no_sales_tax(request, request.workspace):
        messages.success(request, _("Confirmed: your invoices carry no sales tax."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=False):
        back = reverse("integrations:stripe_settings")
    return redirect(back)
