"""The invitation to the client portal: a mail in the customer's language with the portal's
sign-in address, sent from the customer page, audited and limited per customer."""

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from customers.models import Customer
from mspercury import audit, ratelimit
from mspercury.mail import customer_mail, portal_url
from mspercury.texts import Text

INVITES_PER_DAY = 3


class InviteRefused(Exception):
    """Said to the MSP in words: why no invitation went."""


def invitation_mail(customer: Customer):
    from mspercury.languages import document_language

    workspace = customer.workspace
    values = {"msp": workspace.name, "email": customer.email, "url": portal_url(workspace)}
    with translation.override(document_language(customer.language)):
        return customer_mail(
            workspace,
            [customer.email],
            _("Your client portal with %(msp)s") % values,
            _(
                "%(msp)s invites you to its client portal: your invoices, quotes and payments "
                "in one place, and invoices to pay online.\n\nSign in at %(url)s with your "
                "email address %(email)s; the portal then sends you a sign-in link."
            )
            % values,
        )


@transaction.atomic
def do_invite_to_portal(request, customer: Customer) -> None:
    """Mail the invitation now (the MSP sees at once if it failed) and record who sent it."""
    if not customer.email:
        raise InviteRefused(_("The customer has no email address to invite."))
    if not ratelimit.hit("portal-invite", str(customer.public_id), INVITES_PER_DAY, 86400):
        raise InviteRefused(
            _("This customer was invited %(count)s times today already; try again tomorrow.")
            % {"count": INVITES_PER_DAY}
        )
    invitation_mail(customer).send()
    audit.record(
        request,
        customer.workspace,
        "customer.portal_invited",
        Text(
            gettext_noop("Portal invitation sent to %(email)s of “%(customer)s”"),
            email=customer.email,
            customer=customer.company_name,
        ),
        customer=str(customer.public_id),
        email=customer.email,
    )
