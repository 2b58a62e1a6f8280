"""In-app notifications, also sent by email: to owners and admins, or to one person (a quote's
owner). Each fact notifies once; each person chooses per kind whether it comes by mail."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from billing.models import Notification
from mspercury.models import Membership, Role


def notify(
    workspace,
    kind: str,
    dedupe_key: str,
    title: str,
    body: str = "",
    url: str = "",
    *,
    recipient=None,
):
    """Create the notification unless this fact was notified already; email ``recipient`` (a
    member), else the owners and admins, each unless they turned mail of this kind off."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                workspace=workspace,
                kind=kind,
                dedupe_key=dedupe_key[:200],
                title=title[:200],
                body=body,
                url=url,
                recipient=recipient,
            )
    except IntegrityError:
        return None
    if recipient is not None:
        people = [recipient]
    else:
        people = [
            m.user
            for m in Membership.objects.filter(
                workspace=workspace, role__in=[Role.OWNER, Role.ADMIN]
            ).select_related("user")
        ]
    recipients = [p.email for p in people if p.is_active and p.wants_mail(kind)]
    if recipients:
        link = f"{settings.MSPERCURY_PUBLIC_URL}{url}" if url.startswith("/") else url
        text = f"{body}\n\n{link}".strip() if link else body
        transaction.on_commit(
            lambda: send_mail(
                f"[MSPercury] {workspace.name}: {title}",
                text,
                settings.DEFAULT_FROM_EMAIL,
                recipients,
                fail_silently=True,
            )
        )
    return notification


def member_or_none(workspace, user):
    """``user`` while they belong to ``workspace`` (a quote's owner who left notifies nobody in
    particular: the owners and admins then)."""
    if user is None or not user.is_active:
        return None
    return user if Membership.objects.filter(workspace=workspace, user=user).exists() else None


def in_language_of(user):
    """Write a notification in its reader's language (a customer's action runs in theirs)."""
    return translation.override(user.language if user is not None else settings.LANGUAGE_CODE)


def resolve(workspace, dedupe_prefix: str) -> int:
    """Mark the unresolved notifications of a fact resolved (a failure that a retry cleared);
    they stay listed, no longer count as unread. Returns how many."""
    return Notification.objects.filter(
        workspace=workspace, dedupe_key__startswith=dedupe_prefix, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())
