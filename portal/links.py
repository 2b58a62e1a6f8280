"""Issuing and resolving the portal's tokens, and the Stripe payment page a pay link opens."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from billing.edge import edge
from billing.models import Ownership, PaymentPage, PaymentSettings, StripeInvoice
from customers.models import Customer
from mspercury import audit
from mspercury.localtime import local_date
from mspercury.models import hash_token, new_token
from mspercury.texts import Text
from portal.models import PayLink, PortalLogin

logger = logging.getLogger(__name__)

LOGIN_MINUTES = 20
MAX_LINK_HOURS = 720
PAYABLE = (StripeInvoice.Status.OPEN,)
VISIBLE = (
    StripeInvoice.Status.OPEN,
    StripeInvoice.Status.PAID,
    StripeInvoice.Status.VOID,
    StripeInvoice.Status.UNCOLLECTIBLE,
)


def link_hours(workspace) -> int:
    """How long pay links last, from the workspace's payment settings (1 h to 30 days)."""
    hours = PaymentSettings.for_workspace(workspace).link_lifetime_hours
    return max(1, min(int(hours), MAX_LINK_HOURS))


def include_pay_links(workspace) -> bool:
    return PaymentSettings.for_workspace(workspace).include_pay_links


def customers_for_email(workspace, email: str):
    """The workspace's customers that list this address (case-insensitive)."""
    return Customer.objects.filter(workspace=workspace, email__iexact=email.strip())


def issue_login(customer: Customer, email: str) -> str:
    token = new_token()
    PortalLogin.objects.create(
        workspace_id=customer.workspace_id,
        customer=customer,
        email=email.strip().lower(),
        token_hash=hash_token(token),
        expires_at=timezone.now() + timedelta(minutes=LOGIN_MINUTES),
    )
    return token


def find_login(token: str) -> PortalLogin | None:
    """Across workspaces (the caller is in the system role): the token names the workspace."""
    return (
        PortalLogin.objects.select_related("customer", "workspace")
        .filter(token_hash=hash_token(token))
        .first()
    )


@transaction.atomic
def consume_login(login: PortalLogin) -> bool:
    """Use a sign-in link once: a second click (or a mail scanner's) gets nothing."""
    return bool(
        PortalLogin.objects.filter(pk=login.pk, used_at=None, expires_at__gt=timezone.now()).update(
            used_at=timezone.now()
        )
    )


def visible_invoices(customer: Customer):
    """What the customer may see: finalized invoices of their own, never drafts."""
    return StripeInvoice.objects.filter(
        workspace_id=customer.workspace_id,
        customer=customer,
        ownership=Ownership.OURS,
        status__in=VISIBLE,
    )


def issue_pay_link(invoice: StripeInvoice, purpose: str = "email") -> tuple[PayLink, str]:
    token = new_token()
    link = PayLink.objects.create(
        workspace_id=invoice.workspace_id,
        invoice=invoice,
        token_hash=hash_token(token),
        purpose=purpose,
        expires_at=timezone.now() + timedelta(hours=link_hours(invoice.workspace)),
    )
    return link, token


def find_pay_link(token: str) -> PayLink | None:
    return (
        PayLink.objects.select_related("invoice__customer", "workspace")
        .filter(token_hash=hash_token(token))
        .first()
    )


# Checkout returns the payer to an address that names the pay link by a signed, short-lived
# ticket, never by its token: Stripe keeps return URLs in the session and in every event about
# it. A session lives at most 24 hours; the ticket a little longer, and it can only show how a
# session ended, never open a new one.
RETURN_SALT = "portal.checkout-return"
RETURN_SECONDS = 25 * 3600


def return_ticket(link: PayLink) -> str:
    return signing.dumps(str(link.public_id), salt=RETURN_SALT)


def find_by_ticket(ticket: str) -> PayLink | None:
    """The pay link a live return ticket names (across workspaces: the caller is in the system
    role), or None for a forged, stale or unknown one."""
    try:
        public_id = signing.loads(ticket, salt=RETURN_SALT, max_age=RETURN_SECONDS)
    except signing.BadSignature:
        return None
    return (
        PayLink.objects.select_related("invoice__customer", "workspace")
        .filter(public_id=public_id)
        .first()
    )


class PaidOutsideStripe(Exception):
    """Part of the invoice was paid in a way only MSPercury records (a manual payment Stripe
    could not hold), so Stripe's own invoice page would ask for more than is owed."""


def refresh_mirror(invoice: StripeInvoice) -> None:
    """Read the invoice and its payments from Stripe now, into the ledger (the success page
    does not wait for webhooks). An accounting tool's invoice comes back by its own way
    (event callbacks, polling)."""
    if invoice.from_stripe:
        edge().read_fresh(invoice)


def fresh_payment_page(invoice: StripeInvoice, back: "PageUrls | None" = None) -> str | None:
    """A fresh Stripe payment page for what is still due (None when nothing is): Stripe's
    hosted invoice page read fresh (Stripe may rotate or expire it), or, when the workspace
    chose Checkout and ``back`` says where to return, a new Checkout Session. Stripe's page is
    never offered for more than is owed: when MSPercury knows of a payment Stripe does not,
    a Checkout Session asks for the rest, or PaidOutsideStripe is raised. Stripe is reached
    through billing.edge. Only for invoices issued through Stripe: an accounting tool's are
    paid by bank transfer."""
    if not invoice.from_stripe or not edge().connected(invoice.workspace_id):
        return None
    mirror = edge().read_fresh(invoice) or invoice
    owed = min(mirror.amount_remaining, mirror.balance_due)
    if mirror.status not in PAYABLE or owed <= 0:
        return None
    stripe_asks_too_much = owed < mirror.amount_remaining
    prefs = PaymentSettings.for_workspace(invoice.workspace_id)
    if back is not None and (prefs.payment_page == PaymentPage.CHECKOUT or stripe_asks_too_much):
        url = edge().checkout_url(
            mirror,
            success_url=back.success,
            cancel_url=back.cancel,
            expires_at=back.expires_at,
            amount=owed,
        )
        if url:
            return url
    if stripe_asks_too_much:
        raise PaidOutsideStripe
    return mirror.hosted_invoice_url or None


@dataclass(frozen=True)
class PageUrls:
    """Where Checkout returns (absolute URLs) and until when the pay link lives."""

    success: str
    cancel: str
    expires_at: datetime


def do_revoke_pay_link(request, link: PayLink, *, actor) -> bool:
    """Revoke a pay link (audited): from now on it shows the customer that it is no longer
    valid. Returns False when it was revoked already (nothing changes, nothing is recorded)."""
    with transaction.atomic():
        changed = PayLink.objects.filter(pk=link.pk, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        if changed:
            invoice = link.invoice
            audit.record(
                request,
                invoice.workspace,
                "pay_link.revoked",
                Text(
                    gettext_noop("Revoked a pay link for invoice %(invoice)s (sent %(sent)s)"),
                    invoice=invoice.number or invoice.stripe_id,
                    # ISO: the log's readers do not share one date format.
                    sent=local_date(invoice.workspace, link.created_at).isoformat(),
                ),
                actor=actor,
                pay_link=str(link.public_id),
                invoice=invoice.stripe_id,
            )
    return bool(changed)


def touch(link: PayLink) -> None:
    PayLink.objects.filter(pk=link.pk).update(uses=F("uses") + 1, last_used_at=timezone.now())
