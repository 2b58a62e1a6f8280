"""Share links, acceptance (on the share page or by staff) and declining.

Acceptance locks the quote row, takes the stored PDF of the current revision and accepts only
the revision and the document hash the customer was shown; the service agreement PDF follows.
The quote lock queues concurrent submits; the one-to-one constraint on
``QuoteAcceptance.quote`` is the backstop, so a quote is accepted at most once.
"""

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from mspercury import audit
from mspercury.models import User, hash_token, new_token
from mspercury.texts import Text, as_text
from quotes import notifications
from quotes.documents import fingerprint
from quotes.models import Quote, QuoteAcceptance, QuoteStatus, RevisionAcceptance, ShareLink
from quotes.stored_documents import do_request_agreement, render_document

OPEN_STATUSES = frozenset({QuoteStatus.DRAFT, QuoteStatus.SENT})
SHAREABLE_STATUSES = OPEN_STATUSES
MAX_NAME_LENGTH = 200
MAX_REASON_LENGTH = 2000
MAX_USER_AGENT_LENGTH = 500


class ShareError(Exception):
    """Why an acceptance or a decline cannot go ahead; ``reason`` selects what the page says."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CHANGED = "changed"
    CLOSED = "closed"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def link_state(link: ShareLink, now: datetime) -> str:
    """ "revoked", "expired" or "active"."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at is not None and link.expires_at <= now:
        return "expired"
    return "active"


def is_past_validity(quote: Quote, today: date) -> bool:
    return quote.valid_until is not None and quote.valid_until < today


def latest_acceptance(quote: Quote) -> QuoteAcceptance | RevisionAcceptance | None:
    """The last accepted revision's record: a re-acceptance, else the original acceptance."""
    latest = RevisionAcceptance.objects.filter(quote=quote).order_by("-revision").first()
    return latest or QuoteAcceptance.objects.filter(quote=quote).first()


def needs_reacceptance(quote: Quote, latest=None) -> bool:
    """An accepted quote edited since the customer last accepted it."""
    if quote.status != QuoteStatus.ACCEPTED:
        return False
    latest = latest or latest_acceptance(quote)
    return latest is not None and quote.revision > latest.revision


def is_reacceptance_open(link: ShareLink) -> bool:
    """This link asks for re-acceptance, and the live revision still awaits it."""
    return link.reaccept_since is not None and needs_reacceptance(link.quote)


def find_link(token: str) -> ShareLink | None:
    """The link a token opens, or None. Only the token's hash is ever stored or looked up."""
    return (
        ShareLink.objects.select_related("quote__customer", "quote__project", "quote__workspace")
        .filter(token_hash=hash_token(token))
        .first()
    )


def _lock(quote: Quote) -> Quote:
    return Quote.objects.select_for_update().get(pk=quote.pk)


def _copy_status(source: Quote, target: Quote) -> None:
    for name in ("status", "sent_at", "accepted_at", "declined_at", "expired_at", "decline_reason"):
        setattr(target, name, getattr(source, name))


@transaction.atomic
def do_share_quote(
    quote: Quote,
    *,
    user: User | None,
    expires_at: datetime | None = None,
    request=None,
) -> tuple[ShareLink, str]:
    """A new link to the quote; returns it with its token, which is shown once and not kept.

    A draft becomes "sent": it has left the house. A quote past its validity date is refused:
    its first view on the share page would expire it for good. An accepted quote edited since
    its last acceptance gets a re-acceptance link: the page shows the changes since then.
    """
    locked = _lock(quote)
    reaccept_since = None
    if locked.status == QuoteStatus.ACCEPTED:
        latest = latest_acceptance(locked)
        if not needs_reacceptance(locked, latest):
            raise ShareError(ShareError.CLOSED)
        reaccept_since = latest.revision
    elif locked.status not in SHAREABLE_STATUSES:
        raise ShareError(ShareError.CLOSED)
    if is_past_validity(locked, timezone.localdate()):
        _copy_status(locked, quote)
        raise ShareError(ShareError.EXPIRED)
    token = new_token()
    link = ShareLink.objects.create(
        workspace_id=locked.workspace_id,
        quote=locked,
        token_hash=hash_token(token),
        created_by=user,
        expires_at=expires_at,
        reaccept_since=reaccept_since,
    )
    if locked.status == QuoteStatus.DRAFT:
        locked.status = QuoteStatus.SENT
        locked.sent_at = timezone.now()
        locked.save(update_fields=["status", "sent_at", "updated_at"])
    _copy_status(locked, quote)
    audit.record(
        request,
        locked.workspace,
        "quote.shared",
        Text(gettext_noop("Share link created for quote %(number)s"), number=locked.number),
        actor=user,
        quote=str(locked.public_id),
        number=locked.number,
        link=str(link.public_id),
        expires_at=expires_at.isoformat() if expires_at else None,
        reaccept_since=reaccept_since,
    )
    return link, token


def expiry_from_days(days: int | None, now: datetime) -> datetime | None:
    return None if not days else now + timedelta(days=days)


@transaction.atomic
def do_revoke_share_link(link: ShareLink, *, user: User | None = None, request=None) -> bool:
    """Stop a link from working; False if it was already revoked."""
    updated = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    link.refresh_from_db(fields=["revoked_at"])
    if not updated:
        return False
    audit.record(
        request,
        link.quote.workspace,
        "quote.share_revoked",
        Text(gettext_noop("Share link of quote %(number)s revoked"), number=link.quote.number),
        actor=user,
        quote=str(link.quote.public_id),
        number=link.quote.number,
        link=str(link.public_id),
    )
    return True


def note_link_viewed(link: ShareLink) -> None:
    ShareLink.objects.filter(pk=link.pk).update(last_viewed_at=timezone.now())


@transaction.atomic
def do_expire_if_due(quote: Quote, *, today: date | None = None) -> bool:
    """Mark an open quote past its validity date as expired; True if it was marked now."""
    today = today or timezone.localdate()
    if quote.status not in OPEN_STATUSES or not is_past_validity(quote, today):
        return False
    locked = _lock(quote)
    if locked.status not in OPEN_STATUSES or not is_past_validity(locked, today):
        _copy_status(locked, quote)
        return False
    locked.status = QuoteStatus.EXPIRED
    locked.expired_at = timezone.now()
    locked.save(update_fields=["status", "expired_at", "updated_at"])
    _copy_status(locked, quote)
    audit.record(
        None,
        locked.workspace,
        "quote.expired",
        Text(
            gettext_noop("Quote %(number)s expired (valid until %(valid_until)s)"),
            number=locked.number,
            valid_until=str(locked.valid_until),
        ),
        quote=str(locked.public_id),
        number=locked.number,
    )
    return True


def _check_open(locked: Quote, today: date, *, enforce_validity: bool) -> None:
    if (
        locked.status == QuoteStatus.ACCEPTED
        or QuoteAcceptance.objects.filter(quote=locked).exists()
    ):
        raise ShareError(ShareError.ACCEPTED)
    if locked.status == QuoteStatus.DECLINED:
        raise ShareError(ShareError.DECLINED)
    if locked.status == QuoteStatus.EXPIRED:
        raise ShareError(ShareError.EXPIRED)
    if locked.status not in OPEN_STATUSES:
        raise ShareError(ShareError.CLOSED)
    if enforce_validity and is_past_validity(locked, today):
        raise ShareError(ShareError.EXPIRED)


@transaction.atomic
def do_accept_quote(
    quote: Quote,
    *,
    via: str,
    name: str,
    revision: int,
    sha256: str | None,
    user: User | None = None,
    link: ShareLink | None = None,
    request=None,
    today: date | None = None,
) -> QuoteAcceptance:
    """Accept ``quote`` as it was shown: ``revision`` (and ``sha256``, if given) must be current.

    On the share page the customer must accept within the validity; staff marking a quote
    accepted (``via`` manual) may do so later, e.g. for a late signature on paper.
    """
    today = today or timezone.localdate()
    locked = _lock(quote)
    _check_open(locked, today, enforce_validity=via == QuoteAcceptance.Via.SHARE_PAGE)
    document = render_document(locked, today=today)
    if revision != locked.revision or (sha256 is not None and sha256 != document.sha256):
        raise ShareError(ShareError.CHANGED)
    now = timezone.now()
    try:
        with transaction.atomic():
            acceptance = QuoteAcceptance.objects.create(
                workspace_id=locked.workspace_id,
                quote=locked,
                via=via,
                name=name.strip()[:MAX_NAME_LENGTH],
                accepted_by_user=user,
                accepted_at=now,
                ip_address=audit.client_ip(request) if request is not None else None,
                user_agent=_user_agent(request),
                revision=locked.revision,
                snapshot=document.snapshot,
                document_sha256=document.sha256,
            )
    except IntegrityError:
        raise ShareError(ShareError.ACCEPTED) from None
    locked.status = QuoteStatus.ACCEPTED
    locked.accepted_at = now
    locked.save(update_fields=["status", "accepted_at", "updated_at"])
    _copy_status(locked, quote)
    do_request_agreement(acceptance)
    audit.record(
        request,
        locked.workspace,
        "quote.accepted",
        Text(
            gettext_noop("Quote %(number)s accepted by %(name)s (%(via)s)"),
            number=locked.number,
            name=acceptance.name,
            via=as_text(QuoteAcceptance.Via(via).label),
        ),
        actor=user,
        quote=str(locked.public_id),
        number=locked.number,
        via=via,
        name=acceptance.name,
        revision=acceptance.revision,
        document=fingerprint(acceptance.document_sha256),
        link=str(link.public_id) if link else None,
    )
    if via == QuoteAcceptance.Via.SHARE_PAGE:  # staff marking it accepted need not be told
        notifications.notify_accepted(locked, acceptance.name)
    return acceptance


@transaction.atomic
def do_reaccept_quote(
    quote: Quote,
    *,
    link: ShareLink,
    name: str,
    revision: int,
    sha256: str,
    request=None,
    today: date | None = None,
) -> RevisionAcceptance:
    """The customer accepts the edited revision on a re-acceptance link, as it was shown.

    The original acceptance and its document stay as they were; this records the new one."""
    today = today or timezone.localdate()
    locked = _lock(quote)
    if locked.status != QuoteStatus.ACCEPTED or link.reaccept_since is None:
        raise ShareError(ShareError.CLOSED)
    latest = latest_acceptance(locked)
    if not needs_reacceptance(locked, latest):
        raise ShareError(ShareError.ACCEPTED)
    if is_past_validity(locked, today):
        raise ShareError(ShareError.EXPIRED)
    document = render_document(locked, today=today)
    if revision != locked.revision or sha256 != document.sha256:
        raise ShareError(ShareError.CHANGED)
    try:
        with transaction.atomic():
            record = RevisionAcceptance.objects.create(
                workspace_id=locked.workspace_id,
                quote=locked,
                link=link,
                name=name.strip()[:MAX_NAME_LENGTH],
                accepted_at=timezone.now(),
                ip_address=audit.client_ip(request) if request is not None else None,
                user_agent=_user_agent(request),
                previous_revision=latest.revision,
                revision=locked.revision,
                snapshot=document.snapshot,
                document_sha256=document.sha256,
            )
    except IntegrityError:
        raise ShareError(ShareError.ACCEPTED) from None
    do_request_agreement(record)  # the agreement of this revision, with its certificate
    audit.record(
        request,
        locked.workspace,
        "quote.reaccepted",
        Text(
            gettext_noop("Quote %(number)s revision %(revision)s re-accepted by %(name)s"),
            number=locked.number,
            revision=record.revision,
            name=record.name,
        ),
        quote=str(locked.public_id),
        number=locked.number,
        name=record.name,
        revision=record.revision,
        previous_revision=record.previous_revision,
        document=fingerprint(record.document_sha256),
        link=str(link.public_id),
    )
    notifications.notify_reaccepted(locked, record.name, record.revision)
    return record


@transaction.atomic
def do_decline_quote(
    quote: Quote,
    *,
    reason: str = "",
    link: ShareLink | None = None,
    request=None,
    today: date | None = None,
) -> None:
    """The customer says no on the share page, optionally with a reason."""
    today = today or timezone.localdate()
    locked = _lock(quote)
    _check_open(locked, today, enforce_validity=True)
    locked.status = QuoteStatus.DECLINED
    locked.declined_at = timezone.now()
    locked.decline_reason = reason.strip()[:MAX_REASON_LENGTH]
    locked.save(update_fields=["status", "declined_at", "decline_reason", "updated_at"])
    _copy_status(locked, quote)
    audit.record(
        request,
        locked.workspace,
        "quote.declined",
        Text(gettext_noop("Quote %(number)s declined on the share page"), number=locked.number),
        quote=str(locked.public_id),
        number=locked.number,
        reason=locked.decline_reason,
        link=str(link.public_id) if link else None,
    )
    notifications.notify_declined(locked, locked.decline_reason)


def _user_agent(request) -> str:
    if request is None:
        return ""
    return request.META.get("HTTP_USER_AGENT", "")[:MAX_USER_AGENT_LENGTH]
