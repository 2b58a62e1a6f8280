"""The quote's owner hears when a push or a contract change fails (bell and, per their choice,
mail); the notification is marked resolved once a retry of the same contract succeeds."""

from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _

from billing.models import Notification
from billing.notify import in_language_of, member_or_none, notify, resolve
from integrations.push.signals import push_failed
from integrations.stripe.wording import in_words


@receiver(push_failed)
def notify_push_failed(sender, push, failure, **kwargs):
    owner = member_or_none(push.workspace, push.quote.created_by)
    with in_language_of(owner):
        title = _("Push of %(number)s to Stripe failed") % {"number": push.quote.number}
    notify(
        push.workspace,
        Notification.Kind.PUSH_FAILED,
        f"push_failed:{push.public_id}:{push.runs}",
        title,
        failure.message,
        reverse("integrations:push_page", args=[push.quote.public_id]),
        recipient=owner,
    )


def push_succeeded(push) -> None:
    resolve(push.workspace, f"push_failed:{push.public_id}:")


def amendment_failed(amendment, message: str, runs: int) -> None:
    push = amendment.push
    owner = member_or_none(push.workspace, push.quote.created_by)
    with in_language_of(owner):
        title = _("Change of %(number)s in Stripe failed") % {"number": push.quote.number}
    notify(
        push.workspace,
        Notification.Kind.AMENDMENT_FAILED,
        f"amendment_failed:{push.public_id}:{amendment.public_id}:{runs}",
        title,
        in_words(message, push.workspace.zone),  # Stripe's dates as local dates, no Unix stamps
        reverse("integrations:amend_page", args=[push.quote.public_id]),
        recipient=owner,
    )


def amendment_applied(amendment) -> None:
    """Any failed change of this contract is settled once a change of it went through."""
    resolve(amendment.push.workspace, f"amendment_failed:{amendment.push.public_id}:")
