from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from mspercury import audit, ratelimit, tenancy
from mspercury.access import admin_required, get_for_workspace, workspace_required
from mspercury.actions import (
    TeamError,
    assignable_roles,
    can_remove,
    do_accept_invite,
    do_change_role,
    do_invite,
    do_remove_member,
    do_revoke_invite,
    do_signup_from_invite,
    invitable_roles,
)
from mspercury.forms_team import InviteForm, InviteSignupForm, RoleForm
from mspercury.middleware import SESSION_WORKSPACE_KEY
from mspercury.models import Invite, Membership, Role, User, hash_token

# Guessing 256-bit tokens is hopeless anyway; the limit keeps the page from being hammered.
INVITE_PAGE_RATE = (30, 300)  # requests per IP per seconds


def _member_row(actor, membership):
    roles = assignable_roles(actor, membership)
    role_form = None
    if roles:
        role_form = RoleForm(
            roles=roles,
            initial={"role": membership.role},
            auto_id=f"id_role_{membership.public_id}_%s",
        )
        role_form.fields["role"].widget.attrs["aria-label"] = _("Role of %(email)s") % {
            "email": membership.user.email
        }
    return {
        "membership": membership,
        "is_you": membership.pk == actor.pk,
        "role_form": role_form,
        "can_remove": can_remove(actor, membership),
    }


def _team_context(request, invite_form=None):
    actor = request.membership
    members = Membership.objects.filter(workspace=request.workspace).select_related("user")
    rows = [_member_row(actor, m) for m in members]
    invites = []
    if actor.is_admin:
        invites = Invite.objects.filter(
            workspace=request.workspace, accepted_at=None, revoked_at=None
        ).select_related("invited_by")
        if invite_form is None:
            invite_form = InviteForm(roles=invitable_roles(actor))
    return {
        "rows": rows,
        "invites": invites,
        "invite_form": invite_form,
        "now": timezone.now(),
        "invite_days": settings.MSPERCURY_INVITE_DAYS,
    }


@workspace_required
def team(request):
    return render(request, "mspercury/team.html", _team_context(request))


@admin_required
@require_POST
def invite_create(request):
    form = InviteForm(request.POST, roles=invitable_roles(request.membership))
    if form.is_valid():
        email = form.cleaned_data["email"]
        try:
            do_invite(request.membership, email, form.cleaned_data["role"], request=request)
        except TeamError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": email})
            return redirect("team")
    return render(request, "mspercury/team.html", _team_context(request, form))


@admin_required
@require_POST
def invite_revoke(request, invite_id):
    invite = get_for_workspace(request, Invite.objects, public_id=invite_id)
    try:
        do_revoke_invite(request.membership, invite, request=request)
    except TeamError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The invite for %(email)s was revoked.") % {"email": invite.email}
        )
    return redirect("team")


@admin_required
@require_POST
def member_role(request, membership_id):
    target = get_for_workspace(
        request, Membership.objects.select_related("user"), public_id=membership_id
    )
    form = RoleForm(request.POST, roles=Role.values)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return redirect("team")
    try:
        changed = do_change_role(
            request.membership, target, form.cleaned_data["role"], request=request
        )
    except TeamError as exc:
        messages.error(request, str(exc))
    else:
        if changed:
            messages.success(
                request, _("%(email)s's role was changed.") % {"email": target.user.email}
            )
    return redirect("team")


@admin_required
@require_POST
def member_remove(request, membership_id):
    target = get_for_workspace(
        request, Membership.objects.select_related("user"), public_id=membership_id
    )
    try:
        do_remove_member(request.membership, target, request=request)
    except TeamError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(email)s was removed from the workspace.") % {"email": target.user.email},
        )
    return redirect("team")


def _invite_page(request, context, status=200):
    return render(request, "mspercury/invite_accept.html", context, status=status)


def _enter_workspace(request, workspace):
    request.session[SESSION_WORKSPACE_KEY] = str(workspace.public_id)
    return redirect("dashboard")


@sensitive_post_parameters("password")
def invite_accept(request, token):
    """The public page behind an invite link; the token is the only credential it needs."""
    limit, window = INVITE_PAGE_RATE
    if not ratelimit.hit("invite-page", audit.client_ip(request) or "unknown", limit, window):
        return _invite_page(request, {"state": "limited"}, status=429)

    # The token is the only thing that names the workspace: look it up across tenants, then
    # serve the page inside that workspace alone.
    with tenancy.system_context():
        invite = (
            Invite.objects.select_related("workspace", "invited_by")
            .filter(token_hash=hash_token(token))
            .first()
        )
    if invite is None:
        return _invite_page(request, {"state": "unknown"}, status=404)
    with tenancy.workspace_context(invite.workspace_id):
        return _invite_flow(request, invite)


def _invite_flow(request, invite):
    user = request.user
    context = {"invite": invite, "workspace_name": invite.workspace.name}
    if not invite.is_usable:
        member = user.is_authenticated and invite.workspace.memberships.filter(user=user).exists()
        if member and request.method == "POST" and invite.accepted_at:
            # A double submit of the join button: the first one already did the work.
            return _enter_workspace(request, invite.workspace)
        if invite.accepted_at:
            state = "used"
        elif invite.revoked_at:
            state = "revoked"
        else:
            state = "expired"
        return _invite_page(request, {**context, "state": state, "is_member": member}, 410)

    if user.is_authenticated:
        if request.method == "POST" and request.POST.get("action") == "sign_out":
            request.session.pop(SESSION_WORKSPACE_KEY, None)
            logout(request)
            return redirect(request.path)
        if user.email.lower() != invite.email.lower():
            status = 403 if request.method == "POST" else 200
            return _invite_page(request, {**context, "state": "other_user"}, status=status)
        if request.method == "POST":
            try:
                do_accept_invite(invite, user, request=request)
            except TeamError as exc:
                return _invite_page(request, {**context, "state": "error", "error": str(exc)})
            messages.success(
                request, _("Welcome to %(workspace)s!") % {"workspace": invite.workspace.name}
            )
            return _enter_workspace(request, invite.workspace)
        return _invite_page(request, {**context, "state": "join"})

    if User.objects.filter(email__iexact=invite.email).exists():
        login_url = f"{reverse('login')}?{urlencode({'next': request.path})}"
        return _invite_page(request, {**context, "state": "sign_in", "login_url": login_url})

    form = InviteSignupForm(request.POST or None, email=invite.email)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = do_signup_from_invite(
                invite,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
                language=get_language() if get_language() in ("de", "en") else "en",
                request=request,
            )
        except TeamError as exc:
            form.add_error(None, str(exc))
        else:
            login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, _("Welcome to %(workspace)s!") % {"workspace": invite.workspace.name}
            )
            return _enter_workspace(request, invite.workspace)
    return _invite_page(request, {**context, "state": "sign_up", "form": form})
