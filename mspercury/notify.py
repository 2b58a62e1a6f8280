"""In-app notifications, also sent by email: to owners and admins, or to one person (a quote's
owner). Each fact notifies once; each person chooses per kind whether it comes by mail."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from mspercury.models import Membership, Notification, Role
from mspercury.texts import Text, stored


def notify(
    workspace,
    kind: str,
    dedupe_key: str,
    title: Text | str,
    body: Text | str = "",
    url: str = "",
    *,
    recipient=None,
):
    """Create the notification unless this fact was notified already; email ``recipient`` (a
    member), else the owners and admins, each unless they turned mail of this kind off.
    ``title`` and ``body`` as texts are shown, and mailed, in each reader's language."""
    try:
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            notification = Notification.objects.create(
                workspace=workspace,
                kind=kind,
                dedupe_key=dedupe_key[:200],
                title=str(title)[:200],
                body=str(body),
                title_text=stored(title),
                body_text=stored(body),
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
    readers = [p for p in people if p.is_active and p.wants_mail(kind)]
    for language in sorted({reader_language(p) for p in readers}):
        addresses = [p.email for p in readers if reader_language(p) == language]
        transaction.on_commit(lambda a=addresses, lang=language: _mail(notification, a, lang))
    return notification


def reader_language(user) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def _mail(notification, addresses: list[str], language: str) -> None:
    """The notification by mail to ``addresses``, in ``language``."""
    url = notification.url
    link = f"{settings.MSPERCURY_PUBLIC_URL}{url}" if url.startswith("/") else url
    with translation.override(language):
        title, body = notification.shown_title, notification.shown_body
    send_mail(
        f"[MSPercury] {notification.workspace.name}: {title}",
        f"{body}\n\n{link}".strip() if link else body,
        settings.DEFAULT_FROM_EMAIL,
        addresses,
        fail_silently=True,
    )


def member_or_none(workspace, user):
    """``user`` while they belong to ``workspace`` (a quote's owner who left notifies nobody in
    particular: the owners and admins then)."""
    if user is None or not user.is_active:
        return None
    return user if Membership.objects.filter(workspace=workspace, user=user).exists() else None


def resolve(workspace, dedupe_prefix: str) -> int:
    """Mark the unresolved notifications of a fact resolved (a failure that a retry cleared);
    they stay listed, no longer count as unread. Returns how many."""
    return Notification.objects.filter(
        workspace=workspace, dedupe_key__startswith=dedupe_prefix, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())
