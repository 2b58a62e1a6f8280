"""Every write to quotes, their lines and the catalog. Views validate, then call these.

Quotes: each change to a quote's content (header or lines) locks the quote row and checks that
the quote may still be edited. A revision is what someone outside the editor saw: once a document
of the current revision exists (a PDF prepared for download or sharing, the share page, an
acceptance), the next content change starts a new revision (F() + 1, same transaction); until
then edits refine the revision in place, so twenty keystrokes in a draft stay revision 1. A status
change is not a content change and leaves the revision alone: accepting revision 7 must not turn
the quote into revision 8.

Quotes are never deleted: a number, once handed out, stays used, which keeps the numbering
gapless. A quote that is no longer wanted is marked declined or expired.
"""

from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    Exists,
    F,
    Max,
    OuterRef,
    PositiveIntegerField,
    ProtectedError,
    When,
)
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from customers.models import Customer, Project
from mspercury import audit
from mspercury.localtime import today_in
from mspercury.models import User, Workspace
from mspercury.texts import Text, as_text, plural
from quotes import domain
from quotes.models import (
    PackageItem,
    PackageTemplate,
    Quote,
    QuoteLine,
    QuoteNumberCounter,
    QuoteStatus,
    Service,
    ShareLink,
)
from quotes.pdf_models import QuoteDocument

VALIDITY_DAYS = 30
MAX_QUANTITY = Decimal("9999999999.99")  # what QuoteLine.quantity can hold

EDITABLE_STATUSES = frozenset({QuoteStatus.DRAFT, QuoteStatus.SENT, QuoteStatus.ACCEPTED})
# Acceptance is not a plain status change: it goes through quotes.sharing.do_accept_quote, which
# records who accepted which frozen document.
TRANSITIONS = {
    QuoteStatus.DRAFT: {QuoteStatus.SENT, QuoteStatus.DECLINED, QuoteStatus.EXPIRED},
    QuoteStatus.SENT: {
        QuoteStatus.DECLINED,
        QuoteStatus.EXPIRED,
        QuoteStatus.DRAFT,
    },
    QuoteStatus.ACCEPTED: set(),
    QuoteStatus.DECLINED: set(),
    QuoteStatus.EXPIRED: set(),
}
STATUS_TIMESTAMPS = {
    QuoteStatus.SENT: "sent_at",
    QuoteStatus.ACCEPTED: "accepted_at",
    QuoteStatus.DECLINED: "declined_at",
    QuoteStatus.EXPIRED: "expired_at",
}
HEADER_FIELDS = ("customer", "project", "title", "currency", "valid_until", "intro", "closing")
LINE_FIELDS = (
    "service",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "cost_price",
    "billing_period",
    "discount_percent",
)


class QuoteError(Exception):
    """A change the rules forbid; the message is shown to the user as is."""


class CatalogError(Exception):
    """A catalog change the rules forbid; the message is shown to the user as is."""


def is_editable(quote: Quote) -> bool:
    return quote.status in EDITABLE_STATUSES


def check_editable(quote: Quote) -> None:
    if not is_editable(quote):
        raise QuoteError(
            _("This quote is %(status)s and can no longer be changed.")
            % {"status": quote.get_status_display().lower()}
        )


def default_intro() -> str:
    return _("Thank you for your interest. We are pleased to offer you the following services.")


def default_closing() -> str:
    return _("We look forward to working with you.")


STANDARD_TEXTS = (default_intro, default_closing)


@cache
def _standard_texts(make) -> frozenset[str]:
    texts = set()
    for language in settings.MSPERCURY_DOCUMENT_LANGUAGES:
        with translation.override(language):
            texts.add(make())
    return frozenset(texts)


def standard_text_in(text: str, language: str) -> str:
    """``text`` as a reader of ``language`` sees it: a standard intro or closing that the MSP
    left untouched (in whichever language it was written) reads in ``language``; text the MSP
    wrote stays as written."""
    stripped = text.strip()
    for make in STANDARD_TEXTS:
        if stripped in _standard_texts(make):
            with translation.override(language):
                return make()
    return text


# Numbering


def next_quote_number(workspace: Workspace, year: int) -> str:
    """Hand out the next number of ``year``; call inside the transaction that creates the quote.

    The counter row is created with INSERT … ON CONFLICT DO NOTHING (two first quotes of a year
    can race to create it), then locked with SELECT … FOR UPDATE, so concurrent creators queue up
    and a rolled-back creation gives its number back.
    """
    QuoteNumberCounter.objects.bulk_create(
        [QuoteNumberCounter(workspace=workspace, year=year)], ignore_conflicts=True
    )
    counter = QuoteNumberCounter.objects.select_for_update().get(workspace=workspace, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return domain.quote_number(year, counter.last_number)


@transaction.atomic
def do_create_quote(
    workspace: Workspace,
    customer: Customer,
    *,
    user: User | None = None,
    project: Project | None = None,
    title: str = "",
    currency: str = "",
    valid_until: date | None = None,
    intro: str | None = None,
    closing: str | None = None,
    package: PackageTemplate | None = None,
    today: date | None = None,
    request=None,
) -> Quote:
    if customer.workspace_id != workspace.pk:
        raise ValueError("customer of another workspace")
    _check_project(customer, project)
    today = today or today_in(workspace)
    quote = Quote.objects.create(
        workspace=workspace,
        number=next_quote_number(workspace, today.year),
        customer=customer,
        project=project,
        title=title,
        currency=currency or workspace.default_currency,
        valid_until=valid_until or today + timedelta(days=VALIDITY_DAYS),
        intro=default_intro() if intro is None else intro,
        closing=default_closing() if closing is None else closing,
        created_by=user,
    )
    audit.record(
        request,
        workspace,
        "quote.created",
        Text(
            gettext_noop("Quote %(number)s created for %(customer)s"),
            number=quote.number,
            customer=customer.company_name,
        ),
        actor=user,
        quote=str(quote.public_id),
        number=quote.number,
    )
    if package is not None:
        _apply_package(quote, package, project)
        quote.refresh_from_db(fields=["revision", "updated_at"])
    return quote


# Quote content. Each function locks the quote, checks it is editable, writes, bumps.


def _lock(quote: Quote) -> Quote:
    locked = Quote.objects.select_for_update().get(pk=quote.pk)
    check_editable(locked)
    return locked


def _bump(quote: Quote) -> None:
    """Record a content change: a new revision if the current one was seen, else in place."""
    rows = Quote.objects.filter(pk=quote.pk)
    seen = QuoteDocument.objects.filter(quote_id=quote.pk, revision=OuterRef("revision"))
    rows.update(
        revision=Case(
            When(Exists(seen), then=F("revision") + 1),
            default=F("revision"),
            output_field=PositiveIntegerField(),
        ),
        updated_at=timezone.now(),
    )
    quote.refresh_from_db(fields=["revision", "updated_at"])


def _check_project(customer: Customer, project: Project | None) -> None:
    if project is not None and project.customer_id != customer.pk:
        raise QuoteError(_("The project belongs to another customer."))


@transaction.atomic
def do_update_quote(quote: Quote, *, request=None, **fields) -> bool:
    """Change header fields; returns whether anything changed.

    A new customer ends the quote's share links: they went to the previous customer, who must
    not see the new one's quote. (An accepted quote's links show only the frozen version.)
    """
    unknown = set(fields) - set(HEADER_FIELDS)
    if unknown:
        raise ValueError(f"not header fields: {sorted(unknown)}")
    locked = _lock(quote)
    _check_project(fields.get("customer", quote.customer), fields.get("project", quote.project))
    changed = [name for name, value in fields.items() if getattr(quote, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(quote, name, fields[name])
    quote.save(update_fields=changed)
    if "customer" in changed and locked.status != QuoteStatus.ACCEPTED:
        _revoke_open_links(quote, request, gettext_noop("the customer changed"))
    _bump(quote)
    return True


def _revoke_open_links(quote: Quote, request, why: str) -> None:
    """``why`` is a message id: the audit log gives the reason in its reader's language."""
    revoked = ShareLink.objects.filter(quote=quote, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit.record(
            request,
            quote.workspace,
            "quote.share_revoked",
            plural(
                "%(count)s share link of quote %(number)s revoked: %(why)s",
                "%(count)s share links of quote %(number)s revoked: %(why)s",
                revoked,
                number=quote.number,
                why=Text(why),
            ),
            quote=str(quote.public_id),
            number=quote.number,
            count=revoked,
        )


def _next_position(quote: Quote) -> int:
    last = QuoteLine.objects.filter(quote=quote).aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def line_fields_from_service(service: Service) -> dict:
    """The snapshot a line takes of a catalog service."""
    return {
        "service": service,
        "description": service.name,
        "unit": service.unit,
        "unit_price": service.unit_price,
        "cost_price": service.cost_price,
        "billing_period": service.billing_period,
    }


def _check_line_fields(fields: dict) -> None:
    unknown = set(fields) - set(LINE_FIELDS)
    if unknown:
        raise ValueError(f"not line fields: {sorted(unknown)}")


@transaction.atomic
def do_add_line(quote: Quote, **fields) -> QuoteLine:
    _check_line_fields(fields)
    locked = _lock(quote)
    line = QuoteLine.objects.create(
        workspace_id=locked.workspace_id, quote=locked, position=_next_position(locked), **fields
    )
    _bump(quote)
    return line


@transaction.atomic
def do_update_line(line: QuoteLine, **fields) -> bool:
    """Change a line; returns whether anything changed."""
    _check_line_fields(fields)
    _lock(line.quote)
    changed = [name for name, value in fields.items() if getattr(line, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(line, name, fields[name])
    line.save(update_fields=changed)
    _bump(line.quote)
    return True


@transaction.atomic
def do_delete_line(line: QuoteLine) -> None:
    _lock(line.quote)
    QuoteLine.objects.filter(pk=line.pk).delete()
    _bump(line.quote)


@transaction.atomic
def do_move_line(line: QuoteLine, direction: str) -> bool:
    """Swap a line with its neighbour ("up" or "down"); False at either end."""
    if direction not in ("up", "down"):
        raise ValueError(direction)
    _lock(line.quote)
    rows = list(
        QuoteLine.objects.filter(quote_id=line.quote_id)
        .order_by("position", "id")
        .values_list("id", "position")
    )
    order = [pk for pk, _position in rows]
    i = order.index(line.pk)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(order):
        return False
    order[i], order[j] = order[j], order[i]
    current = dict(rows)
    moved = [
        QuoteLine(pk=pk, position=position)
        for position, pk in enumerate(order)
        if current[pk] != position
    ]
    QuoteLine.objects.bulk_update(moved, ["position"])
    _bump(line.quote)
    return True


def project_counts(project: Project | None) -> domain.ProjectCounts:
    if project is None:
        return domain.ProjectCounts()
    return domain.ProjectCounts(project.workstations, project.servers, project.users)


def _apply_package(
    quote: Quote, package: PackageTemplate, project: Project | None
) -> tuple[list[QuoteLine], list[PackageItem]]:
    if package.workspace_id != quote.workspace_id:
        raise ValueError("package of another workspace")
    _check_project(quote.customer, project)
    items = list(package.items.select_related("service"))
    inactive = [item for item in items if not item.service.active]
    inputs = [
        domain.PackageItemInput(item.rule, item.quantity, ref=item)
        for item in items
        if item.service.active
    ]
    if project is None and domain.needs_project(inputs):
        raise QuoteError(_("This package counts workstations, servers or users: choose a project."))
    expanded, skipped = domain.expand_package(inputs, project_counts(project))
    if any(e.quantity > MAX_QUANTITY for e in expanded):
        raise QuoteError(_("A quantity of this package is too large for a quote line."))
    position = _next_position(quote)
    lines = [
        QuoteLine(
            workspace_id=quote.workspace_id,
            quote=quote,
            position=position + offset,
            quantity=e.quantity,
            **line_fields_from_service(e.item.ref.service),
        )
        for offset, e in enumerate(expanded)
    ]
    QuoteLine.objects.bulk_create(lines)
    if project is not None and quote.project_id is None:
        quote.project = project
        quote.save(update_fields=["project"])
    _bump(quote)
    return lines, inactive + [s.ref for s in skipped]


@transaction.atomic
def do_apply_package(
    quote: Quote, package: PackageTemplate, project: Project | None = None
) -> tuple[list[QuoteLine], list[PackageItem]]:
    """Append a package's services as lines, quantities from ``project``'s counts.

    Returns (new lines, items left out): items of inactive services and items whose quantity
    is zero for this project are left out. Sets the quote's project if it had none.
    """
    _lock(quote)
    return _apply_package(quote, package, project)


# Status


def allowed_transitions(quote: Quote) -> list[str]:
    return [s for s in QuoteStatus.values if s in TRANSITIONS[quote.status]]


@transaction.atomic
def do_set_status(
    quote: Quote, status: str, *, user: User | None = None, reason: str = "", request=None
) -> None:
    """Move a quote along draft → sent → accepted / declined / expired and stamp the time."""
    locked = Quote.objects.select_for_update().get(pk=quote.pk)
    if status not in TRANSITIONS[locked.status]:
        raise QuoteError(
            _("A %(old)s quote cannot become %(new)s.")
            % {
                "old": locked.get_status_display().lower(),
                "new": QuoteStatus(status).label.lower(),
            }
        )
    old = locked.status
    quote.status = status
    update = ["status", "updated_at"]
    stamp = STATUS_TIMESTAMPS.get(status)
    if stamp:
        setattr(quote, stamp, timezone.now())
        update.append(stamp)
    if status == QuoteStatus.DECLINED:
        quote.decline_reason = reason
        update.append("decline_reason")
    quote.save(update_fields=update)
    if status == QuoteStatus.DRAFT:
        # Back to draft means "being reworked": the customer can no longer accept the old link.
        _revoke_open_links(quote, request, gettext_noop("the quote went back to draft"))
    audit.record(
        request,
        quote.workspace,
        "quote.status_changed",
        Text(
            gettext_noop("Quote %(number)s: %(old)s → %(new)s"),
            number=quote.number,
            old=as_text(QuoteStatus(old).label),
            new=as_text(QuoteStatus(status).label),
        ),
        actor=user,
        quote=str(quote.public_id),
        number=quote.number,
        old=old,
        new=status,
    )


# Catalog


def _changes(obj, fields: dict) -> dict:
    return {name: value for name, value in fields.items() if getattr(obj, name) != value}


def _jsonable(values: dict) -> dict:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


@transaction.atomic
def do_create_service(workspace: Workspace, *, request=None, **fields) -> Service:
    service = Service.objects.create(workspace=workspace, **fields)
    audit.record(
        request,
        workspace,
        "service.created",
        Text(gettext_noop("Service “%(service)s” created"), service=service.name),
        service=str(service.public_id),
    )
    return service


@transaction.atomic
def do_update_service(service: Service, *, request=None, **fields) -> bool:
    """Change a catalog service. Quote lines are snapshots: none of them changes."""
    changes = _changes(service, fields)
    if not changes:
        return False
    for name, value in changes.items():
        setattr(service, name, value)
    service.save(update_fields=[*changes, "updated_at"])
    audit.record(
        request,
        service.workspace,
        "service.updated",
        Text(gettext_noop("Service “%(service)s” updated"), service=service.name),
        service=str(service.public_id),
        changes=_jsonable(changes),
    )
    return True


def do_set_service_active(service: Service, active: bool, *, request=None) -> bool:
    return do_update_service(service, active=active, request=request)


@transaction.atomic
def do_delete_service(service: Service, *, request=None) -> None:
    """Delete a service unless a package uses it; quote lines keep their snapshot."""
    names = sorted(
        set(PackageTemplate.objects.filter(items__service=service).values_list("name", flat=True))
    )
    if names:
        raise CatalogError(_service_in_use(service, names))
    try:
        with transaction.atomic():
            service.delete()
    except ProtectedError:  # a package took it up since we looked
        raise CatalogError(_service_in_use(service, [])) from None
    audit.record(
        request,
        service.workspace,
        "service.deleted",
        Text(gettext_noop("Service “%(service)s” deleted"), service=service.name),
        service=str(service.public_id),
    )


def _service_in_use(service: Service, package_names: list[str]) -> str:
    return _(
        "“%(service)s” is part of the packages %(packages)s and cannot be deleted. Remove it "
        "from those packages first, or deactivate it to hide it from new quotes."
    ) % {"service": service.name, "packages": ", ".join(f"“{n}”" for n in package_names) or "…"}


def _lock_workspace(workspace: Workspace) -> None:
    Workspace.objects.select_for_update().get(pk=workspace.pk)


def _set_default(package: PackageTemplate) -> None:
    """Make ``package`` the workspace default; caller holds the workspace lock."""
    PackageTemplate.objects.filter(workspace_id=package.workspace_id, is_default=True).exclude(
        pk=package.pk
    ).update(is_default=False)
    if not package.is_default:
        package.is_default = True
        package.save(update_fields=["is_default"])


@transaction.atomic
def do_create_package(
    workspace: Workspace, *, name: str, description: str = "", is_default=False, request=None
) -> PackageTemplate:
    _lock_workspace(workspace)
    package = PackageTemplate.objects.create(
        workspace=workspace, name=name, description=description
    )
    if is_default:
        _set_default(package)
    audit.record(
        request,
        workspace,
        "package.created",
        Text(gettext_noop("Package “%(package)s” created"), package=name),
        package=str(package.public_id),
        is_default=is_default,
    )
    return package


@transaction.atomic
def do_update_package(
    package: PackageTemplate, *, name: str, description: str, is_default: bool, request=None
) -> bool:
    """Rename, describe and make (or stop being) the default, in one transaction."""
    _lock_workspace(package.workspace)
    changes = _changes(package, {"name": name, "description": description})
    for field, value in changes.items():
        setattr(package, field, value)
    if changes:
        package.save(update_fields=list(changes))
    default_changed = package.is_default != is_default
    if default_changed:
        if is_default:
            _set_default(package)
        else:
            package.is_default = False
            package.save(update_fields=["is_default"])
        changes["is_default"] = is_default
    if not changes:
        return False
    audit.record(
        request,
        package.workspace,
        "package.default_changed" if list(changes) == ["is_default"] else "package.updated",
        Text(gettext_noop("Package “%(package)s” updated"), package=package.name),
        package=str(package.public_id),
        changes=changes,
    )
    return True


@transaction.atomic
def do_set_default_package(package: PackageTemplate, is_default: bool, *, request=None) -> bool:
    return do_update_package(
        package,
        name=package.name,
        description=package.description,
        is_default=is_default,
        request=request,
    )


@transaction.atomic
def do_delete_package(package: PackageTemplate, *, request=None) -> None:
    package.delete()
    audit.record(
        request,
        package.workspace,
        "package.deleted",
        Text(gettext_noop("Package “%(package)s” deleted"), package=package.name),
        package=str(package.public_id),
    )


@transaction.atomic
def do_add_package_item(
    package: PackageTemplate, *, service: Service, rule: str, quantity: Decimal, request=None
) -> PackageItem:
    if service.workspace_id != package.workspace_id:
        raise ValueError("service of another workspace")
    PackageTemplate.objects.select_for_update().get(pk=package.pk)
    last = package.items.aggregate(last=Max("position"))["last"]
    item = PackageItem.objects.create(
        workspace_id=package.workspace_id,
        package=package,
        service=service,
        rule=rule,
        quantity=quantity,
        position=0 if last is None else last + 1,
    )
    audit.record(
        request,
        package.workspace,
        "package.item_added",
        Text(
            gettext_noop("“%(service)s” added to package “%(package)s”"),
            service=service.name,
            package=package.name,
        ),
        package=str(package.public_id),
        service=str(service.public_id),
        rule=rule,
        quantity=str(quantity),
    )
    return item


@transaction.atomic
def do_remove_package_item(item: PackageItem, *, request=None) -> None:
    item.delete()
    audit.record(
        request,
        item.package.workspace,
        "package.item_removed",
        Text(
            gettext_noop("“%(service)s” removed from package “%(package)s”"),
            service=item.service.name,
            package=item.package.name,
        ),
        package=str(item.package.public_id),
        service=str(item.service.public_id),
    )
