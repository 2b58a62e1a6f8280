from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.models import Notification
from billing.notify import notify, resolve
from integrations.push.signals import push_failed, push_succeeded


@receiver(push_failed)
def notify_push_failed(sender, push, failure, **kwargs):
    notify(
        push.workspace,
        Notification.Kind.PUSH_FAILED,
        f"push_failed:{push.public_id}:{push.runs}",
        _("Push of %(number)s to Stripe failed") % {"number": push.quote.number},
        failure.message,
        reverse("integrations:push_page", args=[push.quote.public_id]),
    )


@receiver(push_succeeded)
def resolve_push_failed(sender, push, **kwargs):
    """A retry that succeeded resolves the failure notifications of earlier runs."""
    when = timezone.localtime(timezone.now(), push.workspace.zone)
    resolve(
        push.workspace,
        f"push_failed:{push.public_id}:",
        _("Resolved: the push succeeded on %(when)s.")
        % {"when": f"{date_format(when, 'DATETIME_FORMAT')} {when.tzname()}"},
    )
