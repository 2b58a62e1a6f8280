"""Two-factor authentication: status, enrolment, backup codes, turning it off, re-verifying."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from mspercury import audit, ratelimit, twofactor
from mspercury.access import (
    SESSION_2FA_AT,
    has_recent_2fa,
    mark_2fa_verified,
    recent_2fa_required,
)
from mspercury.forms import CodeForm, DisableTwoFactorForm, TOTPCodeForm
from mspercury.models import TOTPDevice, Workspace
from mspercury.texts import Text

CODE_ATTEMPTS = (10, 300)  # wrong codes per user and window (seconds), on top of device throttling


def _safe_next(request) -> str:
    """The ``next`` target when it stays on this site, else an empty string."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _url(name: str, next_url: str = "") -> str:
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _record_everywhere(request, action: str, msgid: str) -> None:
    """Two-factor status belongs to the person, so every workspace they are in logs it
    (``msgid`` names the person as ``%(email)s``)."""
    text = Text(msgid, email=request.user.email)
    for workspace in Workspace.objects.filter(memberships__user=request.user):
        audit.record(request, workspace, action, text)


def _code_attempt_allowed(request, scope: str) -> bool:
    limit, window = CODE_ATTEMPTS
    return ratelimit.hit(scope, str(request.user.public_id), limit, window)


@login_required
def security(request):
    user = request.user
    enabled = user.has_two_factor()
    context = {
        "enabled": enabled,
        "totp": TOTPDevice.objects.filter(user=user, confirmed=True).first(),
        "backup_codes_left": twofactor.backup_codes_left(user) if enabled else 0,
        "required": request.GET.get("required") == "1" and not enabled,
        "required_by": list(twofactor.workspaces_requiring_2fa(user)),
        "next": _safe_next(request),
    }
    return render(request, "mspercury/security.html", context)


@login_required
@never_cache
@sensitive_post_parameters("code")
def totp_enrol(request):
    """POST "start" makes a fresh seed; GET shows its QR code; POST "code" confirms it."""
    user = request.user
    next_url = _safe_next(request)
    if user.has_two_factor() and not has_recent_2fa(request):
        # Replacing a working authenticator: prove you still hold the current one first.
        return redirect(_url("verify_2fa", _url("totp_enrol", next_url)))
    if request.method == "POST" and "start" in request.POST:
        twofactor.start_totp_enrolment(user)
        return redirect(_url("totp_enrol", next_url))

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        return redirect(_url("security", next_url))
    form = TOTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _info = device.verify_is_allowed()
        if not (allowed and _code_attempt_allowed(request, "2fa-enrol")):
            form.add_error(None, _("Too many wrong codes. Wait a little before trying again."))
        elif twofactor.confirm_totp(device, form.cleaned_data["code"]):
            codes = twofactor.regenerate_backup_codes(user)
            otp_login(request, device)
            mark_2fa_verified(request)
            _record_everywhere(
                request,
                "2fa.enabled",
                gettext_noop("%(email)s turned on two-factor authentication"),
            )
            context = {"codes": codes, "next": next_url, "just_enabled": True}
            return render(request, "mspercury/security_backup_codes.html", context)
        else:
            form.add_error("code", _("That code is not valid. Check your phone's clock."))

    uri = twofactor.provisioning_uri(device)
    secret = twofactor.base32_secret(device)
    context = {
        "form": form,
        "qr_svg": twofactor.qr_svg(uri),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "next": next_url,
    }
    return render(request, "mspercury/security_totp.html", context)


@login_required
@recent_2fa_required
@never_cache
def backup_codes(request):
    """GET asks for confirmation; POST replaces all backup codes and shows the new ones once."""
    user = request.user
    if not user.has_two_factor():
        return redirect("security")
    if request.method != "POST":
        return render(request, "mspercury/security_backup_codes.html", {"codes": None})
    codes = twofactor.regenerate_backup_codes(user)
    _record_everywhere(
        request,
        "2fa.backup_codes_regenerated",
        gettext_noop("%(email)s generated new backup codes"),
    )
    return render(request, "mspercury/security_backup_codes.html", {"codes": codes})


@login_required
@sensitive_post_parameters("password", "code")
def totp_disable(request):
    user = request.user
    if not user.has_two_factor():
        return redirect("security")
    required_by = list(twofactor.workspaces_requiring_2fa(user))
    if required_by:
        messages.error(
            request,
            _("%(workspace)s requires two-factor authentication for owners and admins.")
            % {"workspace": required_by[0].name},
        )
        return redirect("security")

    form = DisableTwoFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _code_attempt_allowed(request, "2fa-disable"):
            form.add_error(None, _("Too many attempts. Wait a few minutes and try again."))
        elif not user.check_password(form.cleaned_data["password"]):
            form.add_error("password", _("That password is not right."))
        else:
            device, throttled = twofactor.verify_any_device(user, form.cleaned_data["code"])
            if device is not None:
                twofactor.disable_two_factor(user)
                request.session.pop(SESSION_2FA_AT, None)
                request.session.pop(DEVICE_ID_SESSION_KEY, None)
                _record_everywhere(
                    request,
                    "2fa.disabled",
                    gettext_noop("%(email)s turned off two-factor authentication"),
                )
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("security")
            if throttled:
                form.add_error(None, _("Too many wrong codes. Wait a little before trying again."))
            else:
                form.add_error("code", _("That code is not valid."))
    return render(request, "mspercury/security_disable.html", {"form": form})


@login_required
@never_cache
@sensitive_post_parameters("code")
def verify_2fa(request):
    """Re-enter a code before a sensitive action (see access.recent_2fa_required)."""
    user = request.user
    next_url = _safe_next(request)
    if not user.has_two_factor():
        return redirect(_url("security", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _code_attempt_allowed(request, "2fa-verify"):
            form.add_error(None, _("Too many wrong codes. Wait a few minutes and try again."))
        else:
            device, throttled = twofactor.verify_any_device(user, form.cleaned_data["code"])
            if device is not None:
                otp_login(request, device)
                mark_2fa_verified(request)
                return redirect(next_url or "security")
            if throttled:
                form.add_error(None, _("Too many wrong codes. Wait a little before trying again."))
            else:
                form.add_error("code", _("That code is not valid. Check your phone's clock."))
    return render(request, "mspercury/verify_2fa.html", {"form": form, "next": next_url})
