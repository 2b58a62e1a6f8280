"""In-app notifications for owners and admins, also sent by email. Each fact notifies once."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from billing.models import Notification
from mspercury.models import Membership, Role


def notify(workspace, kind: str, dedupe_key: str, title: str, body: str = "", url: str = ""):
    """Create the notification unless this fact was notified already; email owners and admins."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                workspace=workspace,
                kind=kind,
                dedupe_key=dedupe_key[:200],
                title=title[:200],
                body=body,
                url=url,
            )
    except IntegrityError:
        return None
    recipients = list(
        Membership.objects.filter(workspace=workspace, role__in=[Role.OWNER, Role.ADMIN])
        .select_related("user")
        .values_list("user__email", flat=True)
    )
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


def resolve(workspace, dedupe_prefix: str, note: str) -> int:
    """Mark the open notifications whose key starts with ``dedupe_prefix`` resolved: ``note``
    is added to their body, they count as read for owners and admins, and their keys are freed
    so a new failure of the same thing notifies again. Returns how many were resolved."""
    notices = list(
        Notification.objects.filter(
            workspace=workspace, dedupe_key__startswith=dedupe_prefix
        ).exclude(dedupe_key__contains=":resolved:")
    )
    users = Membership.objects.filter(
        workspace=workspace, role__in=[Role.OWNER, Role.ADMIN]
    ).values_list("user_id", flat=True)
    for notice in notices:
        Notification.objects.filter(pk=notice.pk).update(
            body=f"{notice.body}\n\n{note}".strip(),
            dedupe_key=f"{notice.dedupe_key}:resolved:{notice.pk}"[:200],
        )
        notice.read_by.add(*users)
    return len(notices)
