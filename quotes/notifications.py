"""The quote's owner (who created it) hears when the customer accepts, re-accepts or declines
it: in the bell and, unless they turned it off, by mail, in their own language."""

from django.urls import reverse
from django.utils.translation import gettext as _

from billing.models import Notification
from billing.notify import in_language_of, member_or_none, notify
from quotes.models import Quote


def _notify_owner(quote: Quote, kind: str, key: str, texts, **values) -> None:
    """``texts`` gives (title, body) format strings, called in the owner's language."""
    owner = member_or_none(quote.workspace, quote.created_by)
    values |= {"number": quote.number, "title": quote.title, "customer": str(quote.customer)}
    with in_language_of(owner):
        title, body = texts()
        notify(
            quote.workspace,
            kind,
            key,
            title % values,
            body % values,
            reverse("quotes:quote_detail", args=[quote.public_id]),
            recipient=owner,
        )


def notify_accepted(quote: Quote, name: str) -> None:
    _notify_owner(
        quote,
        Notification.Kind.QUOTE_ACCEPTED,
        f"quote_accepted:{quote.public_id}",
        lambda: (
            _("%(customer)s accepted quote %(number)s"),
            _("“%(title)s” was accepted by %(name)s on the share page."),
        ),
        name=name,
    )


def notify_reaccepted(quote: Quote, name: str, revision: int) -> None:
    _notify_owner(
        quote,
        Notification.Kind.QUOTE_REACCEPTED,
        f"quote_reaccepted:{quote.public_id}:{revision}",
        lambda: (
            _("%(customer)s re-accepted quote %(number)s (revision %(revision)s)"),
            _("“%(title)s” was re-accepted by %(name)s; apply the change to the contract now."),
        ),
        name=name,
        revision=revision,
    )


def notify_declined(quote: Quote, reason: str) -> None:
    _notify_owner(
        quote,
        Notification.Kind.QUOTE_DECLINED,
        f"quote_declined:{quote.public_id}",
        lambda: (
            _("%(customer)s declined quote %(number)s"),
            _("Reason given: %(reason)s") if reason else _("No reason given."),
        ),
        reason=reason,
    )
