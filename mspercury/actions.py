"""Writes that touch several rows: sign-up, workspace creation, team changes."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mspercury import audit, tenancy
from mspercury.localtime import workspace_time
from mspercury.models import Invite, Membership, Role, User, Workspace, hash_token, new_token
from mspercury.texts import Text, as_text


@transaction.atomic
def do_create_workspace(user: User, name: str, request=None) -> Workspace:
    workspace = Workspace.objects.create(name=name, default_language=user.language or "en")
    with tenancy.workspace_context(workspace, user):
        Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
        user.last_workspace = workspace
        user.save(update_fields=["last_workspace"])
        audit.record(
            request,
            workspace,
            "workspace.created",
            Text(gettext_noop("Workspace “%(name)s” created"), name=name),
            actor=user,
        )
    return workspace


@transaction.atomic
def do_signup(
    *, email: str, password: str, full_name: str, workspace_name: str, language: str, request=None
) -> User:
    user = User.objects.create_user(email, password, full_name=full_name, language=language)
    do_create_workspace(user, workspace_name, request=request)
    return user


# Team: invites, roles, removal. Every change locks the workspace row first, so two admins
# acting at once are serialized and rules such as "keep one owner" hold under concurrency.


class TeamError(Exception):
    """A team change the rules forbid; the message is shown to the user as is."""


def invitable_roles(inviter: Membership) -> list[str]:
    """Roles ``inviter`` may hand out: admins invite members and admins, owners also owners."""
    if inviter.is_owner:
        return [Role.MEMBER, Role.ADMIN, Role.OWNER]
    if inviter.is_admin:
        return [Role.MEMBER, Role.ADMIN]
    return []


def assignable_roles(actor: Membership, target: Membership) -> list[str]:
    """Roles ``actor`` may give ``target`` (including its current one); empty if none."""
    if actor.pk == target.pk or not actor.is_admin:
        return []
    if actor.is_owner:
        return [Role.MEMBER, Role.ADMIN, Role.OWNER]
    if target.is_owner:
        return []
    return [Role.MEMBER, Role.ADMIN]


def can_remove(actor: Membership, target: Membership) -> bool:
    if actor.pk == target.pk or not actor.is_admin:
        return False
    return actor.is_owner or not target.is_owner


def _lock_team(workspace: Workspace, *memberships: Membership) -> list[Membership]:
    """Lock the workspace row, then re-read the memberships (their roles may have changed)."""
    Workspace.objects.select_for_update().get(pk=workspace.pk)
    fresh = (
        Membership.objects.select_related("user", "workspace")
        .filter(workspace=workspace)
        .in_bulk([m.pk for m in memberships])
    )
    if len(fresh) != len({m.pk for m in memberships}):
        raise TeamError(_("This person is no longer a member of the workspace."))
    return [fresh[m.pk] for m in memberships]


def _other_owners(workspace: Workspace, membership: Membership) -> bool:
    return (
        Membership.objects.filter(workspace=workspace, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    )


def _invite_url(token: str) -> str:
    return settings.MSPERCURY_PUBLIC_URL.rstrip("/") + reverse("invite_accept", args=[token])


def _send_invite_email(invite: Invite, token: str, inviter: User) -> None:
    context = {
        "invite": invite,
        "workspace": invite.workspace,
        "inviter": inviter.get_full_name(),
        "role": invite.get_role_display(),
        "url": _invite_url(token),
    }
    with workspace_time(invite.workspace):
        subject = " ".join(render_to_string("mspercury/email/invite_subject.txt", context).split())
        body = render_to_string("mspercury/email/invite_body.txt", context)
    send_mail(subject, body, None, [invite.email])


def do_invite(inviter: Membership, email: str, role: str, request=None) -> tuple[Invite, str]:
    """Create an invite, email its link and return it with the plain token (never stored).

    An earlier open invite for the same address is revoked, so only the newest link works.
    """
    email = email.strip().lower()
    workspace = inviter.workspace
    token = new_token()
    with transaction.atomic():
        (inviter,) = _lock_team(workspace, inviter)
        if role not in invitable_roles(inviter):
            raise TeamError(_("You can't invite people with this role."))
        if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
            raise TeamError(
                _("%(email)s is already a member of this workspace.") % {"email": email}
            )
        replaced = Invite.objects.filter(
            workspace=workspace, email__iexact=email, accepted_at=None, revoked_at=None
        ).update(revoked_at=timezone.now())
        invite = Invite.objects.create(
            workspace=workspace,
            email=email,
            role=role,
            token_hash=hash_token(token),
            invited_by=inviter.user,
        )
        audit.record(
            request,
            workspace,
            "invite.sent",
            Text(
                gettext_noop("Invited %(email)s as %(role)s"),
                email=email,
                role=as_text(invite.get_role_display()),
            ),
            actor=inviter.user,
            email=email,
            role=role,
            replaced=replaced,
        )
    try:
        _send_invite_email(invite, token, inviter.user)
    except Exception as exc:
        # A link nobody received must not stay valid.
        Invite.objects.filter(pk=invite.pk).update(revoked_at=timezone.now())
        raise TeamError(_("The invitation email could not be sent. Please try again.")) from exc
    return invite, token


@transaction.atomic
def do_revoke_invite(actor: Membership, invite: Invite, request=None) -> None:
    revoked = Invite.objects.filter(pk=invite.pk, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if not revoked:
        raise TeamError(_("This invite was already used or revoked."))
    audit.record(
        request,
        invite.workspace,
        "invite.revoked",
        Text(gettext_noop("Revoked the invite for %(email)s"), email=invite.email),
        actor=actor.user,
        email=invite.email,
    )


@transaction.atomic
def do_accept_invite(invite: Invite, user: User, request=None) -> Membership:
    """Turn an open invite into a membership; a second submit finds the invite used."""
    if user.email.lower() != invite.email.lower():
        raise TeamError(_("This invite is for a different email address."))
    # The conditional update is the single-use guarantee: concurrent submits wait on the row
    # lock and then match nothing.
    claimed = Invite.objects.filter(
        pk=invite.pk, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).update(accepted_at=timezone.now())
    if not claimed:
        raise TeamError(_("This invite has already been used or is no longer valid."))
    workspace = invite.workspace
    if Membership.objects.filter(workspace=workspace, user=user).exists():
        raise TeamError(_("You are already a member of this workspace."))
    membership = Membership.objects.create(workspace=workspace, user=user, role=invite.role)
    user.last_workspace = workspace
    user.save(update_fields=["last_workspace"])
    audit.record(
        request,
        workspace,
        "invite.accepted",
        Text(
            gettext_noop("%(email)s joined as %(role)s"),
            email=user.email,
            role=as_text(membership.get_role_display()),
        ),
        actor=user,
        email=user.email,
        role=membership.role,
    )
    return membership


@transaction.atomic
def do_signup_from_invite(
    invite: Invite, *, full_name: str, password: str, language: str, request=None
) -> User:
    """Create the invited person's account and membership (no workspace of their own)."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                invite.email, password, full_name=full_name, language=language
            )
    except IntegrityError as exc:
        raise TeamError(_("An account with this email exists already. Sign in instead.")) from exc
    do_accept_invite(invite, user, request=request)
    return user


@transaction.atomic
def do_change_role(actor: Membership, target: Membership, role: str, request=None) -> bool:
    """Give ``target`` a new role; False when it already had it."""
    actor, target = _lock_team(actor.workspace, actor, target)
    if actor.pk == target.pk:
        raise TeamError(_("You can't change your own role."))
    allowed = assignable_roles(actor, target)
    if not allowed and target.is_owner:
        raise TeamError(_("Only owners can change an owner's role."))
    if not allowed:
        raise TeamError(_("You can't change roles in this workspace."))
    if role not in allowed:
        raise TeamError(_("Only owners can make someone an owner."))
    if role == target.role:
        return False
    if target.is_owner and not _other_owners(target.workspace, target):
        raise TeamError(_("A workspace needs at least one owner."))
    old_label, old = as_text(target.get_role_display()), target.role
    target.role = role
    target.save(update_fields=["role"])
    audit.record(
        request,
        target.workspace,
        "member.role_changed",
        Text(
            gettext_noop("%(email)s: %(old)s → %(new)s"),
            email=target.user.email,
            old=old_label,
            new=as_text(target.get_role_display()),
        ),
        actor=actor.user,
        email=target.user.email,
        **{"from": old, "to": role},
    )
    return True


@transaction.atomic
def do_remove_member(actor: Membership, target: Membership, request=None) -> None:
    actor, target = _lock_team(actor.workspace, actor, target)
    if actor.pk == target.pk:
        raise TeamError(_("You can't remove yourself."))
    if not can_remove(actor, target) and target.is_owner:
        raise TeamError(_("Only owners can remove an owner."))
    if not can_remove(actor, target):
        raise TeamError(_("You can't remove people from this workspace."))
    if target.is_owner and not _other_owners(target.workspace, target):
        raise TeamError(_("A workspace needs at least one owner."))
    user, workspace = target.user, target.workspace
    target.delete()
    if user.last_workspace_id == workspace.pk:
        user.last_workspace = None
        user.save(update_fields=["last_workspace"])
    audit.record(
        request,
        workspace,
        "member.removed",
        Text(
            gettext_noop("Removed %(email)s (%(role)s)"),
            email=user.email,
            role=as_text(target.get_role_display()),
        ),
        actor=actor.user,
        email=user.email,
        role=target.role,
    )
