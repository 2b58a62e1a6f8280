"""The quote's owner hears when a push or a contract change fails (bell and, per their choice,
mail); the notification is marked resolved once a retry of the same contract succeeds."""

from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext_noop

from integrations.push.signals import push_failed
from integrations.stripe.wording import in_words
from mspercury.models import Notification
from mspercury.notify import member_or_none, notify, resolve
from mspercury.texts import Text


def _notify_owner(push, kind: str, key: str, title: str, message: str, page: str) -> None:
    """The quote's creator (while a member; else owners and admins) hears of a failure, the
    title in their language, Stripe's dates in the message as local dates."""
    notify(
        push.workspace,
        kind,
        key,
        Text(title, number=push.quote.number),
        in_words(message, push.workspace.zone),
        reverse(page, args=[push.quote.public_id]),
        recipient=member_or_none(push.workspace, push.quote.created_by),
    )


@receiver(push_failed)
def notify_push_failed(sender, push, failure, **kwargs):
    _notify_owner(
        push,
        Notification.Kind.PUSH_FAILED,
        f"push_failed:{push.public_id}:{push.runs}",
        gettext_noop("Push of %(number)s to Stripe failed"),
        failure.message,
        "integrations:push_page",
    )


def push_succeeded(push) -> None:
    resolve(push.workspace, f"push_failed:{push.public_id}:")


def amendment_failed(amendment, message: str, runs: int) -> None:
    push = amendment.push
    _notify_owner(
        push,
        Notification.Kind.AMENDMENT_FAILED,
        f"amendment_failed:{push.public_id}:{amendment.public_id}:{runs}",
        gettext_noop("Change of %(number)s in Stripe failed"),
        message,
        "integrations:amend_page",
    )


def amendment_applied(amendment) -> None:
    """Any failed change of this contract is settled once a change of it went through."""
    resolve(amendment.push.workspace, f"amendment_failed:{amendment.push.public_id}:")
