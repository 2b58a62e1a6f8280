"""Every mail to an MSP's customer is built here: sent in the MSP's name from the address the
deployment configures, replies going to the MSP, and the link to the MSP's client portal."""

from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.translation import gettext as _


def reply_to_address(workspace) -> str:
    """Where the customer's reply goes: the workspace's reply-to address, else its invoice
    email; empty when it has neither."""
    return workspace.reply_to_email or workspace.invoice_email


def sender(workspace) -> str:
    """``"<MSP name>" <MSPERCURY_MAIL_FROM>``: the MSP's name, our sending domain (SPF/DKIM
    authorize our server for it, not for the MSP's own domain)."""
    return formataddr((workspace.name, settings.MSPERCURY_MAIL_FROM))


def portal_url(workspace) -> str:
    path = reverse("portal:entry", kwargs={"workspace_id": workspace.public_id})
    return f"{settings.MSPERCURY_PUBLIC_URL.rstrip('/')}{path}"


def portal_footer(workspace) -> str:
    return _(
        "Your invoices, quotes and payments with %(msp)s are in your client portal: %(url)s"
    ) % {"msp": workspace.name, "url": portal_url(workspace)}


def customer_mail(workspace, to: list[str], subject: str, body: str) -> EmailMessage:
    """The mail, ready to attach to and send. Build it inside the customer's language: the
    portal link's sentence is translated then."""
    reply_to = reply_to_address(workspace)
    return EmailMessage(
        subject,
        f"{body.rstrip()}\n\n-- \n{portal_footer(workspace)}\n",
        sender(workspace),
        to,
        reply_to=[reply_to] if reply_to else None,
    )
