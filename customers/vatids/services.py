"""Validating customers' EU VAT IDs with VIES, and which validation is in force when.

- ``validate(customer)``: the validation in force, reused while it is younger than
  MSPERCURY_VIES_REUSE_DAYS (default 28), else a new consultation of VIES with the MSP
  workspace's own VAT ID as requester (so VIES issues a consultation number).
- VIES's errors (member state unavailable, too many concurrent requests, timeout…) are never an
  "invalid" verdict: the check stays unconfirmed, and ``retry_due`` (a Celery task soon after,
  the beat sweep later) asks again with exponential backoff until VIES answers.
- ``in_force(customer, on)``: the valid/invalid answer in force on a date (or at an instant),
  for evidence records and invoices.
- ``status_for(customer)``: "valid" | "invalid" | "unconfirmed" | "" for rules.tax.
- ``revalidate_reverse_charge(workspace)`` (the schedule) and ``revalidate_before_push``.

Runs inside the caller's workspace (row-level security); only the cross-workspace sweeps list
workspaces in the system role, then enter each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import Customer
from customers.vatids.models import VatIdStatus, VatIdValidation
from customers.vatids.vies import PERMANENT, ViesResult, check_vat, split_vat_id
from mspercury import tenancy
from mspercury.localtime import today_in
from mspercury.models import Workspace
from rules.taxids import TaxIdType

logger = logging.getLogger(__name__)

# Backoff of the retries: 1, 2, 4, 8 … minutes, at most 6 hours apart. Errors a retry will not
# fix (the requester's VAT ID, the input, VIES blocking us) are asked again once a day.
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)
RETRY_PERMANENT = timedelta(days=1)
# An attempt reserves its row this long, so the task and the sweep never ask VIES twice at once.
CLAIM = timedelta(minutes=5)
# Only retries due this soon get a Celery task with a countdown (long ETAs outlive the broker's
# visibility timeout); later ones wait for the beat sweep (MSPERCURY_VIES_RETRY_SECONDS).
TASK_COUNTDOWN_MAX = timedelta(minutes=15)
# The schedule renews validations of reverse-charge customers that expire within this time.
RENEW_WITHIN = timedelta(days=1)
SWEEP_BATCH = 100


def reuse_window() -> timedelta:
    return timedelta(days=settings.MSPERCURY_VIES_REUSE_DAYS)


def vat_id_of(obj) -> tuple[str, str] | None:
    """A customer's (or workspace's) EU VAT ID as VIES's (member state, number), or None."""
    if obj.tax_id_type != TaxIdType.EU_VAT or not obj.tax_id:
        return None
    country, number = split_vat_id(obj.tax_id)
    return (country, number) if country and number else None


def retry_delay(attempts: int, error_code: str = "") -> timedelta:
    """How long to wait after the ``attempts``-th unconfirmed answer."""
    if error_code in PERMANENT:
        return RETRY_PERMANENT
    return min(RETRY_MAX, RETRY_BASE * 2 ** max(0, attempts - 1))


# -- reading ------------------------------------------------------------------------------------


def _of(customer, vat: tuple[str, str]):
    return VatIdValidation.objects.filter(
        workspace_id=customer.workspace_id, customer=customer, country=vat[0], number=vat[1]
    )


def in_force(customer, on: date | datetime | None = None, *, vat_id: str | None = None):
    """The VIES answer (valid or invalid) in force for ``customer``'s VAT ID on date ``on`` (at
    any time of that day) or at instant ``on`` (default: now), or None.

    A validation checked at T is in force from T until T + the reuse window (its expires_at,
    fixed when VIES answered); among several, the latest checked wins. ``vat_id`` asks about
    another VAT ID of the customer (e.g. the one an old invoice was issued to)."""
    vat = split_vat_id(vat_id) if vat_id else vat_id_of(customer)
    if not vat or not vat[1]:
        return None
    if on is None:
        on = timezone.now()
    if isinstance(on, datetime):
        window = Q(checked_at__lte=on, expires_at__gt=on)
    else:
        day_end = timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))
        window = Q(checked_at__lt=day_end, expires_at__gte=day_end)
    return (
        _of(customer, vat)
        .exclude(status=VatIdStatus.UNCONFIRMED)
        .filter(window)
        .order_by("-checked_at", "-id")
        .first()
    )


def open_check(customer, vat: tuple[str, str] | None = None):
    """The unconfirmed check of the customer's VAT ID that retries are working on, or None."""
    vat = vat or vat_id_of(customer)
    if not vat:
        return None
    return _of(customer, vat).filter(status=VatIdStatus.UNCONFIRMED).first()


def status_for(customer) -> str:
    """What VIES says about the customer's current EU VAT ID, for the tax decision.

    "valid" / "invalid": the answer in force. "invalid" also stays after the answer expires,
    until VIES answers otherwise: an ID VIES called invalid is not let through because time
    passed. "unconfirmed": checked, but VIES has not answered yet (errors, retrying). "": no EU
    VAT ID, never checked, or the last valid answer expired.
    """
    vat = vat_id_of(customer)
    if not vat:
        return ""
    current = in_force(customer)
    if current is not None:
        return current.status
    rows = _of(customer, vat)
    last_answer = (
        rows.exclude(status=VatIdStatus.UNCONFIRMED).order_by("-checked_at", "-id").first()
    )
    if last_answer is not None and last_answer.status == VatIdStatus.INVALID:
        return VatIdStatus.INVALID
    if rows.filter(status=VatIdStatus.UNCONFIRMED).exists():
        return VatIdStatus.UNCONFIRMED
    return ""


@dataclass(frozen=True)
class VatIdState:
    """Everything the customer page shows about the VAT ID's validation."""

    vat_id: str
    status: str  # status_for()
    current: VatIdValidation | None  # the answer in force
    open: VatIdValidation | None  # the check VIES has not answered yet
    last_answer: VatIdValidation | None  # the newest valid/invalid answer, in force or not
    requester_missing: bool  # the workspace has no EU VAT ID: no consultation numbers

    @property
    def expired(self) -> bool:
        return self.current is None and self.last_answer is not None


def describe(customer) -> VatIdState | None:
    """The customer's VIES state, or None without an EU VAT ID (one query for the rows)."""
    vat = vat_id_of(customer)
    if not vat:
        return None
    rows = list(_of(customer, vat).order_by("-checked_at", "-id")[:HISTORY])
    now = timezone.now()
    answers = [r for r in rows if r.status != VatIdStatus.UNCONFIRMED]
    current = next((r for r in answers if r.checked_at <= now < r.expires_at), None)
    open_ = next((r for r in rows if r.status == VatIdStatus.UNCONFIRMED), None)
    last = answers[0] if answers else None
    if current is not None:
        status = current.status
    elif last is not None and last.status == VatIdStatus.INVALID:
        status = VatIdStatus.INVALID
    else:
        status = VatIdStatus.UNCONFIRMED if open_ is not None else ""
    return VatIdState(
        vat_id=f"{vat[0]}{vat[1]}",
        status=status,
        current=current,
        open=open_,
        last_answer=last,
        requester_missing=vat_id_of(customer.workspace) is None,
    )


# The customer page looks at this many recent checks of one VAT ID (newest first).
HISTORY = 50


# -- asking VIES --------------------------------------------------------------------------------


def validate(
    customer,
    *,
    force: bool = False,
    reason: str = "manual",
    renew_within: timedelta = timedelta(0),
    timeout: float | None = None,
):
    """The customer's validation: the one in force if it lasts longer than ``renew_within``
    (unless ``force``), else VIES's answer now. Returns None without an EU VAT ID.

    Never raises for VIES's failures: the returned row is then unconfirmed, with its error code
    and next retry. Without ``force`` an unconfirmed check whose retry is not due yet is
    returned as it is, so the schedule and pushes don't add to VIES's load."""
    vat = vat_id_of(customer)
    if not vat:
        return None
    now = timezone.now()
    if not force:
        current = in_force(customer, now)
        if current is not None and current.expires_at > now + renew_within:
            return current
    row = open_check(customer, vat)
    if row is not None and not force and row.next_retry_at and row.next_retry_at > now:
        return row
    if row is None:
        row = _start(customer, vat, reason, now)
    return attempt(row, claim=not force, timeout=timeout)


def _start(customer, vat: tuple[str, str], reason: str, now: datetime) -> VatIdValidation:
    try:
        with transaction.atomic():
            return VatIdValidation.objects.create(
                workspace_id=customer.workspace_id,
                customer=customer,
                country=vat[0],
                number=vat[1],
                requested_at=now,
                reason=reason[:20],
            )
    except IntegrityError:  # someone started the same check a moment ago: join it
        return _of(customer, vat).get(status=VatIdStatus.UNCONFIRMED)


def attempt(
    row: VatIdValidation,
    *,
    claim: bool = True,
    enqueue: bool = True,
    timeout: float | None = None,
) -> VatIdValidation:
    """Ask VIES about an unconfirmed check once and store the answer on it.

    ``claim``: only if its retry is due and nobody else is asking (the retries); a forced
    check ("Check now") asks regardless. ``enqueue``: schedule the retry task if VIES still
    cannot answer (the retry task itself retries instead). ``timeout``: seconds to wait for
    VIES (default MSPERCURY_VIES_TIMEOUT)."""
    now = timezone.now()
    claimed = VatIdValidation.objects.filter(pk=row.pk, status=VatIdStatus.UNCONFIRMED)
    if claim:
        claimed = claimed.filter(Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now))
    if not claimed.update(next_retry_at=now + CLAIM):
        return VatIdValidation.objects.get(pk=row.pk)

    requester = vat_id_of(row.customer.workspace)
    result = check_vat(row.country, row.number, requester=requester, timeout=timeout)
    with transaction.atomic():
        row = VatIdValidation.objects.select_for_update().get(pk=row.pk)
        if row.status != VatIdStatus.UNCONFIRMED:
            return row  # a forced check answered meanwhile
        _store(row, result, requester, timezone.now())
    if not result.confirmed:
        logger.info(
            "VIES could not confirm %s%s (attempt %s): %s",
            row.country,
            row.number,
            row.attempts,
            row.error_code,
        )
        if enqueue:
            _enqueue_retry(row)
    return row


def _store(row, result: ViesResult, requester, now: datetime) -> None:
    row.attempts += 1
    row.checked_at = now
    row.requester_country, row.requester_number = requester or ("", "")
    row.raw_response = result.raw
    if result.confirmed:
        row.status = result.verdict.value
        row.consultation_number = result.consultation_number[:64]
        row.name = result.name
        row.address = result.address
        row.request_date = result.request_date
        row.expires_at = now + reuse_window()
        row.error_code = row.error_message = ""
        row.next_retry_at = None
    else:
        row.error_code = result.error_code[:40]
        row.error_message = result.error_message[:300]
        row.next_retry_at = now + retry_delay(row.attempts, result.error_code)
    row.save()


def _enqueue_retry(row: VatIdValidation) -> None:
    """A retry task with a countdown for retries due soon; the beat sweep takes the rest (and
    everything when tasks run in-process, where a countdown would run at once)."""
    if row.next_retry_at is None or settings.CELERY_TASK_ALWAYS_EAGER:
        return
    countdown = (row.next_retry_at - timezone.now()).total_seconds()
    if countdown > TASK_COUNTDOWN_MAX.total_seconds():
        return
    from customers.vatids.tasks import retry_vies_validation

    workspace_pk, pk = row.workspace_id, row.pk
    transaction.on_commit(
        lambda: retry_vies_validation.apply_async((workspace_pk, pk), countdown=max(0, countdown))
    )


def retry(validation_pk: int, *, enqueue: bool = True) -> str:
    """Retry one unconfirmed check if it is due. Returns its status, "not_due", "gone" or
    "stale" (the customer's VAT ID changed since; the check is left alone)."""
    row = (
        VatIdValidation.objects.select_related("customer__workspace")
        .filter(pk=validation_pk)
        .first()
    )
    if row is None:
        return "gone"
    if row.status != VatIdStatus.UNCONFIRMED:
        return row.status
    if vat_id_of(row.customer) != (row.country, row.number):
        VatIdValidation.objects.filter(pk=row.pk).update(
            next_retry_at=None, error_message="The customer's VAT ID changed; not retried."
        )
        return "stale"
    if row.next_retry_at is None or row.next_retry_at > timezone.now():
        return "not_due"
    return attempt(row, enqueue=enqueue).status


def due_for_retry(now: datetime | None = None):
    """Unconfirmed checks whose retry is due (in the current workspace)."""
    now = now or timezone.now()
    return VatIdValidation.objects.filter(status=VatIdStatus.UNCONFIRMED, next_retry_at__lte=now)


def retry_all_due(now: datetime | None = None, batch: int = SWEEP_BATCH) -> dict:
    """The beat sweep: retry every due check, workspace by workspace."""
    now = now or timezone.now()
    with tenancy.system_context():  # which workspaces have due checks: the only cross read
        workspace_ids = set(due_for_retry(now).values_list("workspace_id", flat=True))
    results: dict[str, int] = {}
    for workspace_id in sorted(workspace_ids):
        with tenancy.workspace_context(workspace_id):
            pks = due_for_retry(now).order_by("next_retry_at", "id").values_list("pk", flat=True)
            for pk in list(pks[:batch]):
                status = retry(pk)
                results[status] = results.get(status, 0) + 1
    return results


def entry_timeout() -> float:
    """Seconds a customer form waits for VIES (MSPERCURY_VIES_ENTRY_TIMEOUT, default 3)."""
    return float(getattr(settings, "MSPERCURY_VIES_ENTRY_TIMEOUT", 3))


def check_on_entry(customer):
    """Ask VIES about a customer's EU VAT ID as the customer is saved, waiting at most
    ``entry_timeout()``: an answer in force is reused; without an answer the check stays open
    and the retries take it over (the caller says so). None without an EU VAT ID."""
    return validate(customer, reason="entry", timeout=entry_timeout())


# -- reverse-charge customers -------------------------------------------------------------------


def is_reverse_charge_customer(customer, on: date | None = None) -> bool:
    """Whether supplies to ``customer`` are reverse charge by country and VAT IDs alone (what
    VIES says is left out: this decides whom to re-validate, also after an "invalid")."""
    from rules.tax import Party, decide_tax  # rules.tax asks us for status_for

    if vat_id_of(customer) is None:
        return False
    workspace = customer.workspace
    decision = decide_tax(
        Party(workspace.country.code or "", workspace.tax_id_type, workspace.tax_id),
        Party(customer.country.code or "", customer.tax_id_type, customer.tax_id),
        on or today_in(workspace),
    )
    return decision.is_reverse_charge


def revalidate_before_push(customer):
    """Before a push bills ``customer``: make sure a reverse-charge customer's VAT ID has a
    current VIES answer (reused while in force). Never raises for VIES's failures; returns the
    validation, or None for customers that aren't reverse charge."""
    if not is_reverse_charge_customer(customer):
        return None
    return validate(customer, reason="push")


def reverse_charge_customers(workspace):
    if vat_id_of(workspace) is None:
        return []
    candidates = (
        Customer.objects.filter(workspace=workspace, tax_id_type=TaxIdType.EU_VAT)
        .exclude(tax_id="")
        .select_related("workspace")
        .order_by("id")
    )
    return [c for c in candidates if is_reverse_charge_customer(c)]


def revalidate_reverse_charge(workspace, *, batch: int = SWEEP_BATCH) -> dict:
    """Renew the validations of the workspace's reverse-charge customers that are missing or
    expire within RENEW_WITHIN; checks waiting for a retry are left to the retries."""
    results: dict[str, int] = {}
    asked = 0
    for customer in reverse_charge_customers(workspace):
        before = in_force(customer)
        if before is not None and before.expires_at > timezone.now() + RENEW_WITHIN:
            results["current"] = results.get("current", 0) + 1
            continue
        if asked >= batch:
            results["deferred"] = results.get("deferred", 0) + 1
            continue
        asked += 1
        row = validate(customer, reason="schedule", renew_within=RENEW_WITHIN)
        results[row.status] = results.get(row.status, 0) + 1
    return results


def revalidate_all() -> dict:
    """The schedule: every workspace's reverse-charge customers."""
    with tenancy.system_context():  # which workspaces have EU VAT IDs to check
        workspace_ids = set(
            Customer.objects.filter(tax_id_type=TaxIdType.EU_VAT)
            .exclude(tax_id="")
            .values_list("workspace_id", flat=True)
        )
    totals: dict[str, int] = {}
    for workspace_id in sorted(workspace_ids):
        with tenancy.workspace_context(workspace_id):
            workspace = Workspace.objects.get(pk=workspace_id)
            for key, count in revalidate_reverse_charge(workspace).items():
                totals[key] = totals.get(key, 0) + count
    return totals
