"""The quote sent to the customer's contact from the app: the share link and the PDF, in the
customer's language, from the MSP (mspercury.mail), recorded on the quote."""

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mspercury import audit
from mspercury.languages import document_language
from mspercury.mail import customer_mail
from mspercury.models import AuditEvent
from mspercury.texts import Text
from quotes.models import Quote, ShareLink
from quotes.stored_documents import render_document

ACTION = "quote.emailed"


class NoRecipient(Exception):
    """The customer has no email address."""


def share_mail(quote: Quote, link: ShareLink, url: str):
    customer = quote.customer
    document = render_document(quote)
    language = document_language(customer.language)
    with translation.override(language):
        values = {"number": quote.number, "msp": quote.workspace.name, "url": url}
        body = (
            _(
                "Please find attached quote %(number)s from %(msp)s as a PDF.\n\n"
                "Read it and accept it online here:\n%(url)s"
            )
            % values
        )
        if link.expires_at is not None:
            local = link.expires_at.astimezone(quote.workspace.zone)
            until = f"{formats.date_format(local, 'DATETIME_FORMAT')} ({local.tzname()})"
            body += "\n\n" + _("The link works until %(until)s.") % {"until": until}
        message = customer_mail(
            quote.workspace,
            [customer.email],
            _("Quote %(number)s from %(msp)s") % values,
            body,
        )
    message.attach(f"{quote.number}-r{quote.revision}.pdf", document.content, "application/pdf")
    return message


def do_email_share_link(quote: Quote, link: ShareLink, url: str, *, request) -> str:
    """Send the link and the PDF to the customer's address; record it on the quote. Returns the
    address. The mail goes before the record: a refused mail records nothing."""
    if not quote.customer.email:
        raise NoRecipient
    share_mail(quote, link, url).send()
    audit.record(
        request,
        quote.workspace,
        ACTION,
        Text(
            gettext_noop("Quote %(number)s (revision %(revision)s) emailed to %(email)s"),
            number=quote.number,
            revision=quote.revision,
            email=quote.customer.email,
        ),
        quote=str(quote.public_id),
        number=quote.number,
        revision=quote.revision,
        email=quote.customer.email,
        link=str(link.public_id),
    )
    return quote.customer.email


def sent_mails(quote: Quote):
    """The mails of this quote, newest first, for its page."""
    return AuditEvent.objects.filter(
        workspace=quote.workspace, action=ACTION, details__quote=str(quote.public_id)
    ).select_related("actor")
