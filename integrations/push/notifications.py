from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _

from billing.models import Notification
from billing.notify import notify
from integrations.push.signals import push_failed


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
