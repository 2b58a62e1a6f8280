"""The quote's owner (who created it) hears when the customer accepts, re-accepts or declines
it: in the bell and, unless they turned it off, by mail, in their own language."""

from django.urls import reverse
from django.utils.translation import gettext_noop

from mspercury.models import Notification
from mspercury.notify import member_or_none, notify
from mspercury.texts import Text
from quotes.models import Quote


def _notify_owner(quote: Quote, kind: str, key: str, title: str, body: str, **values) -> None:
    """``title`` and ``body`` are message ids, shown in each reader's language."""
    owner = member_or_none(quote.workspace, quote.created_by)
    values |= {"number": quote.number, "title": quote.title, "customer": str(quote.customer)}
    notify(
        quote.workspace,
        kind,
        key,
        Text(title, **values),
        Text(body, **values),
        reverse("quotes:quote_detail", args=[quote.public_id]),
        recipient=owner,
    )


def notify_accepted(quote: Quote, name: str) -> None:
    _notify_owner(
        quote,
        Notification.Kind.QUOTE_ACCEPTED,
        f"quote_accepted:{quote.public_id}",
        gettext_noop("%(customer)s accepted quote %(number)s"),
        gettext_noop("“%(title)s” was accepted by %(name)s on the share page."),
        name=name,
    )


def notify_reaccepted(quote: Quote, name: str, revision: int) -> None:
    _notify_owner(
        quote,
        Notification.Kind.QUOTE_REACCEPTED,
        f"quote_reaccepted:{quote.public_id}:{revision}",
        gettext_noop("%(customer)s re-accepted quote %(number)s (revision %(revision)s)"),
        gettext_noop(
            "“%(title)s” was re-accepted by %(name)s; apply the change to the contract now."
        ),
        name=name,
        revision=revision,
    )


def notify_declined(quote: Quote, reason: str) -> None:
    _notify_owner(
        quote,
        Notification.Kind.QUOTE_DECLINED,
        f"quote_declined:{quote.public_id}",
        gettext_noop("%(customer)s declined quote %(number)s"),
        gettext_noop("Reason given: %(reason)s") if reason else gettext_noop("No reason given."),
        reason=reason,
    )
