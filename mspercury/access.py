"""Tenancy guards: every view reaches tenant data only through these.

The error for another workspace's object is the same as for an object that does not exist: 404.
"""

import time
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

SESSION_2FA_AT = "mspercury_2fa_verified_at"


def workspace_required(view):
    """Signed in and a member of the active workspace; otherwise to login or onboarding."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.membership is None:
            return redirect("workspace_create")
        if _needs_enrolment(request):
            return redirect(f"{reverse('security')}?{urlencode({'required': 1})}")
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    """Owners and admins only; members get 403."""

    @workspace_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.is_admin:
            raise PermissionDenied("Only owners and admins can do this.")
        return view(request, *args, **kwargs)

    return wrapper


def owner_required(view):
    @workspace_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.is_owner:
            raise PermissionDenied("Only owners can do this.")
        return view(request, *args, **kwargs)

    return wrapper


def mark_2fa_verified(request) -> None:
    request.session[SESSION_2FA_AT] = time.time()


def has_recent_2fa(request) -> bool:
    verified_at = request.session.get(SESSION_2FA_AT)
    if not verified_at:
        return False
    return time.time() - verified_at <= settings.MSPERCURY_RECENT_2FA_SECONDS


def recent_2fa_required(view):
    """Sensitive actions: demand a two-factor check within the last few minutes.

    Users without a device are sent to enrol first; users with one re-enter a code.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not has_recent_2fa(request):
            enrolled = request.user.has_two_factor()
            target = "verify_2fa" if enrolled else "security"
            if enrolled:
                why = _(
                    "This needs a recent two-factor check: verify, then repeat what you were doing."
                )
            else:
                why = _(
                    "This needs two-factor authentication: set up your authenticator app first."
                )
            messages.info(request, why)
            back = request.get_full_path() if request.method == "GET" else _referer_path(request)
            return redirect(f"{reverse(target)}?{urlencode({'next': back})}")
        return view(request, *args, **kwargs)

    return wrapper


def _referer_path(request) -> str:
    """Where a POST came from (same host only), to return there after the 2FA check."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()


def get_for_workspace(request, queryset, **lookup):
    """Fetch one object of the active workspace, or 404 (also for other workspaces' objects and
    for ids that are not even well-formed, as when one comes from a query string)."""
    try:
        return get_object_or_404(queryset, workspace=request.workspace, **lookup)
    except ValidationError as exc:
        raise Http404 from exc


def _needs_enrolment(request) -> bool:
    workspace = request.workspace
    return (
        workspace.require_2fa_for_admins
        and request.membership.is_admin
        and not request.user.has_two_factor()
    )
