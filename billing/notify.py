"""In-app notifications for owners and admins, also sent by email. Each fact notifies once."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

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
    owner=None,
):
    """Create the notification unless this fact was notified already; email owners and admins,
    and ``owner`` (the user the fact is about, e.g. a quote's creator) if still a member."""
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
    member = Membership.objects.filter(workspace=workspace, user=owner)
    if owner is not None and owner.email not in recipients and member.exists():
        recipients.append(owner.email)
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
