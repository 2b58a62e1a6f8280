"""The VAT re-check of recurring invoices (on ``invoice.created``) and the sweep for misses.

Stripe keeps a renewal invoice in draft for about an hour after ``invoice.created``. For a
subscription invoice of ours in a workspace that uses MSPercury's VAT, the treatment is decided
again with today's data (VIES status, the customer's country, the rate in force on the supply
date = the lines' period start), and the draft's tax rates, default tax rates, legal wording
and the customer's tax_exempt are corrected before Stripe finalizes it (billing.recheck.rules
says what). The outcome is one ``InvoiceTaxCheck`` row per invoice, and a correction notifies
owners and admins. It runs in the event worker, never in the webhook's answer.

When the draft was finalized before the check could run (webhooks down, worker stopped,
retries exhausted) the hook and the periodic sweep record it as missed and tell the MSP which
invoice went out unchecked, once per invoice.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import Ownership, StripeInvoice
from billing.recheck.models import InvoiceTaxCheck
from billing.recheck.rules import (
    Correction,
    DraftLine,
    Wording,
    parse_key,
    reason,
    recheck,
    reword,
    tax_exempt_for,
)
from customers.tax_parties import customer_party, party
from integrations.mirror.sync import sync_invoice
from integrations.models import PushSettings, StripeConnection, StripeObjectMap
from integrations.push.locks import advisory_lock, advisory_xact_lock
from integrations.push.tax_rates import TaxRateSpec, invoice_wording, tax_rate_spec
from integrations.stripe.client import call
from integrations.stripe.errors import FailureKind, StripeFailure
from mspercury import tenancy
from mspercury.models import Notification, Workspace
from mspercury.notify import notify
from mspercury.texts import Text
from rules.money import from_minor_units
from rules.tax import decide_tax

logger = logging.getLogger(__name__)

RECURRING = "subscription_cycle"
# Notification.Kind has no entry for this yet (billing/models.py is the lead's): see the report.
KIND = Notification.Kind.TAX_RECHECK
# The sweep looks this far back (Stripe retries webhooks for up to three days).
LOOKBACK = timedelta(days=7)
DONE = (InvoiceTaxCheck.Status.CHECKED, InvoiceTaxCheck.Status.CORRECTED)


def uses_mspercury_vat(workspace) -> bool:
    prefs = PushSettings.objects.for_workspace(workspace)
    return bool(prefs and prefs.mspercury_vat and not prefs.stripe_tax)


def needs_check(mirror: StripeInvoice | None) -> bool:
    return bool(
        mirror is not None
        and mirror.ownership == Ownership.OURS
        and mirror.subscription_id
        and mirror.billing_reason == RECURRING
        and mirror.customer_id
    )


def on_invoice_created(connection: StripeConnection, mirror, client) -> StripeInvoice | None:
    """The hook: re-check a draft renewal of ours (idempotent: a checked invoice is left)."""
    if not needs_check(mirror) or not uses_mspercury_vat(connection.workspace):
        return mirror
    advisory_xact_lock(f"tax_recheck:{connection.workspace_id}:{mirror.stripe_id}")
    if InvoiceTaxCheck.objects.filter(invoice=mirror, status__in=DONE).exists():
        return mirror
    if mirror.status != StripeInvoice.Status.DRAFT:
        report_missed(mirror)
        return mirror
    try:
        return _check_draft(connection, mirror, client)
    except StripeFailure as failure:
        if failure.retryable:
            raise  # the event is retried with backoff; the sweep reports it if time runs out
        report_failed(mirror, failure.message)
        return mirror


def _check_draft(connection, mirror: StripeInvoice, client) -> StripeInvoice:
    invoice = call(lambda: client.v1.invoices.retrieve(mirror.stripe_id))
    if invoice.status != "draft":
        report_missed(mirror)
        return mirror
    lines, defaults = draft_lines(connection, client, mirror, invoice)
    supply = supply_date(mirror, connection.workspace.zone)
    decision = decide_tax(party(connection.workspace), customer_party(mirror.customer), supply)
    old_key = next((k for k in (*[k for li in lines for k in li.rate_keys], *defaults) if k), None)
    inclusive = parse_key(old_key)[2] if old_key else False
    spec = tax_rate_spec(decision.treatment, decision.rate, decision.rate_country, inclusive)
    if spec is None or old_key is None:  # no tax rate of ours on it, or none to put on it
        _record(mirror, InvoiceTaxCheck.Status.CHECKED, decision=decision)
        return mirror
    why = reason(old_key, decision, supply, mirror.customer.country.code or "")
    correction = recheck(lines, defaults, spec.key, why)
    correction = _with_wording(connection, mirror, invoice, correction, old_key, spec)
    outcome = {"decision": decision, "spec": spec, "correction": correction}
    if not correction.changed:
        _record(mirror, InvoiceTaxCheck.Status.CHECKED, **outcome)
        return mirror
    before = mirror.total
    _apply(client, invoice, correction, ensure_tax_rate(connection, client, spec))
    mirror = sync_invoice(connection, mirror.stripe_id, client)
    _record(mirror, InvoiceTaxCheck.Status.CORRECTED, **outcome, totals=(before, mirror.total))
    _notify_corrected(mirror, correction, before)
    return mirror


def draft_lines(connection, client, mirror, invoice) -> tuple[list[DraftLine], tuple]:
    """The draft's lines and default tax rates as tax-rate keys (None: not one of ours)."""
    ids = {t["tax_rate"] for line in mirror.lines for t in line["taxes"]}
    ids |= {r.id for r in invoice.default_tax_rates or []}
    keys = rate_keys(connection, client, ids)
    lines = [
        DraftLine(
            line["id"], line["description"], tuple(keys.get(t["tax_rate"]) for t in line["taxes"])
        )
        for line in mirror.lines
    ]
    return lines, tuple(keys.get(r.id) for r in invoice.default_tax_rates or [])


def supply_date(mirror: StripeInvoice, zone=None):
    """The supply date of a renewal: the earliest period start of its lines (else created), as
    the MSP's local date (``zone``, else the active one; §§1, 4 EinhZeitG)."""
    zone = zone or timezone.get_current_timezone()
    starts = [line["period_start"] for line in mirror.lines if line.get("period_start")]
    if starts:
        return datetime.fromtimestamp(min(starts), tz=zone).date()
    return timezone.localdate(mirror.created or timezone.now(), zone)


def _known_rates(connection):
    return StripeObjectMap.objects.filter(
        workspace=connection.workspace,
        account_ref=connection.account_ref,
        mode=connection.mode,
        kind=StripeObjectMap.Kind.TAX_RATE,
    )


def rate_keys(connection, client, ids: set[str]) -> dict[str, str]:
    """txr_ id -> TaxRateSpec.key for the given ids MSPercury made: remembered ones from the
    map, others (made by another workspace on the account, or by an attempt rolled back) read
    from the rate's metadata."""
    keys = dict(
        _known_rates(connection).filter(stripe_id__in=ids).values_list("stripe_id", "local_ref")
    )
    for rate_id in sorted(ids - set(keys)):
        rate = call(lambda rate_id=rate_id: client.v1.tax_rates.retrieve(rate_id))
        key = _metadata(rate).get("mspercury_tax_rate")
        if key:
            keys[rate_id] = key
    return keys


def _metadata(obj) -> dict:
    metadata = getattr(obj, "metadata", None) or {}
    return metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)


def _with_wording(connection, mirror, invoice, correction: Correction, old_key, spec):
    """Add the legal wording's change and the customer's tax_exempt to a rate correction."""
    if not correction.lines and not correction.default_key:
        return correction
    workspace, customer = connection.workspace, mirror.customer

    def wording(treatment):
        found = invoice_wording(
            treatment,
            customer.language,
            workspace.country.code or "",
            workspace.tax_id,
            customer.tax_id,
        )
        return Wording(found.footer, found.custom_fields) if found else None

    current = Wording(
        invoice.footer or "",
        tuple({"name": f.name, "value": f.value} for f in invoice.custom_fields or []),
    )
    new = reword(current, wording(parse_key(old_key)[3]), wording(spec.treatment))
    exempt = tax_exempt_for(spec.treatment)
    return Correction(
        lines=correction.lines,
        default_key=correction.default_key,
        footer=new.footer if new else None,
        custom_fields=new.custom_fields if new else None,
        tax_exempt=exempt if exempt != tax_exempt_for(parse_key(old_key)[3]) else None,
        changes=correction.changes,
        skipped=correction.skipped,
    )


def ensure_tax_rate(connection, client, spec: TaxRateSpec) -> str:
    """Our TaxRate for this key: remembered, found in the account, or created (as the push)."""
    lock = f"tax_rate:{connection.account_ref}:{connection.mode}:{spec.key}"
    with advisory_lock(lock):
        known = _known_rates(connection).filter(local_ref=spec.key).first()
        if known is not None:
            return known.stripe_id
        rate = _existing_rate(client, spec) or _create_rate(connection, client, spec)
        StripeObjectMap.objects.update_or_create(
            workspace=connection.workspace,
            account_ref=connection.account_ref,
            mode=connection.mode,
            kind=StripeObjectMap.Kind.TAX_RATE,
            local_ref=spec.key,
            defaults={"stripe_id": rate.id},
        )
        return rate.id


def _create_rate(connection, client, spec: TaxRateSpec):
    key = f"mspercury:{connection.account_ref}:{connection.mode}:tax_rate:{spec.key}"
    try:
        return call(
            lambda: client.v1.tax_rates.create(spec.create_params(), {"idempotency_key": key})
        )
    except StripeFailure as failure:
        if failure.kind == FailureKind.PERMISSION:
            failure.message = _(
                "%(stripe)s — MSPercury's VAT creates tax rates: give the key the "
                "permission Tax Rates: Write, or turn on Stripe Tax."
            ) % {"stripe": failure.message}
        raise


def _existing_rate(client, spec: TaxRateSpec):
    listing = call(lambda: client.v1.tax_rates.list({"active": True, "limit": 100}))
    for rate in listing.data:
        metadata = getattr(rate, "metadata", None) or {}
        metadata = metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)
        if (
            metadata.get("mspercury_tax_rate") == spec.key
            and bool(rate.inclusive) == spec.inclusive
        ):
            return rate
    return None


def _apply(client, invoice, correction: Correction, rate_id: str) -> None:
    for line_id in correction.lines:
        call(
            lambda line_id=line_id: client.v1.invoices.line_items.update(
                invoice.id, line_id, {"tax_rates": [rate_id]}
            )
        )
    params: dict = {}
    if correction.default_key:
        params["default_tax_rates"] = [rate_id]
    if correction.footer is not None:
        params["footer"] = correction.footer
    if correction.custom_fields is not None:
        params["custom_fields"] = list(correction.custom_fields) or ""
    if params:
        call(lambda: client.v1.invoices.update(invoice.id, params))
    if correction.tax_exempt is not None:
        customer = invoice.customer if isinstance(invoice.customer, str) else invoice.customer.id
        call(lambda: client.v1.customers.update(customer, {"tax_exempt": correction.tax_exempt}))


def _record(mirror, status, *, decision=None, spec=None, correction=None, totals=None, error=""):
    changed: dict = {}
    if correction is not None:
        changed = {
            "changes": [str(c) for c in correction.changes],
            "skipped": [str(c) for c in correction.skipped],
            "lines": dict(correction.lines),
            "default": correction.default_key,
            "footer_changed": correction.footer is not None,
            "tax_exempt": correction.tax_exempt,
        }
    if totals is not None:
        changed["total_before"], changed["total_after"] = totals
    check, _created = InvoiceTaxCheck.objects.update_or_create(
        invoice=mirror,
        defaults={
            "workspace": mirror.workspace,
            "status": status,
            "treatment": str(decision.treatment) if decision else "",
            "rate_key": spec.key if spec else "",
            "changed": changed,
            "error": error,
            "checked_at": timezone.now(),
        },
    )
    return check


def _invoice_url(mirror) -> str:
    return reverse("billing:invoices") + f"?q={mirror.number or mirror.stripe_id}"


def _who(mirror) -> str:
    return mirror.customer.company_name if mirror.customer else mirror.stripe_customer_id


def _money(amount: int, currency: str) -> str:
    return f"{from_minor_units(amount, currency)} {currency}"


def _notify_corrected(mirror, correction: Correction, before: int) -> None:
    notify(
        mirror.workspace,
        KIND,
        f"tax_recheck:{mirror.stripe_id}",
        Text(gettext_noop("VAT corrected on a renewal invoice for %(who)s"), who=_who(mirror)),
        Text(
            gettext_noop(
                "Before Stripe finalized draft invoice %(invoice)s, MSPercury changed its VAT:\n"
                "%(changes)s\nTotal: %(before)s → %(after)s."
            ),
            invoice=mirror.stripe_id,
            changes=[Text("- %(c)s", c=c) for c in correction.changes + correction.skipped],
            before=_money(before, mirror.currency),
            after=_money(mirror.total, mirror.currency),
        ),
        _invoice_url(mirror),
    )


def report_failed(mirror: StripeInvoice, error: str) -> None:
    """The check cannot run (a Stripe error retrying will not fix): record it, tell the MSP
    while the draft can still be fixed by hand."""
    _record(mirror, InvoiceTaxCheck.Status.FAILED, error=error[:500])
    notify(
        mirror.workspace,
        KIND,
        f"tax_recheck_failed:{mirror.stripe_id}",
        Text(
            gettext_noop("VAT check of draft invoice %(invoice)s failed"), invoice=mirror.stripe_id
        ),
        Text(
            gettext_noop(
                "MSPercury could not re-check the VAT of the renewal draft for %(who)s: "
                "%(error)s. Stripe finalizes the draft about an hour after it was created; check "
                "its tax rates in Stripe before then."
            ),
            who=_who(mirror),
            error=error,
        ),
        _invoice_url(mirror),
    )


def report_missed(mirror: StripeInvoice) -> bool:
    """Record that the invoice went out without its re-check and tell the MSP (once)."""
    check = InvoiceTaxCheck.objects.filter(invoice=mirror).first()
    failed = check is not None and check.status == InvoiceTaxCheck.Status.FAILED
    if check is None or check.status == InvoiceTaxCheck.Status.MISSED:
        _record(mirror, InvoiceTaxCheck.Status.MISSED)
    created = notify(
        mirror.workspace,
        KIND,
        f"tax_recheck_missed:{mirror.stripe_id}",
        Text(
            gettext_noop("Renewal invoice %(number)s went out without its VAT check"),
            number=mirror.number or mirror.stripe_id,
        ),
        Text(
            gettext_noop(
                "Stripe finalized invoice %(number)s (%(who)s) before MSPercury could re-check "
                "its VAT treatment%(error)s. Check the invoice's VAT; if it is wrong, issue a "
                "credit note and a corrected invoice."
            ),
            number=mirror.number or mirror.stripe_id,
            who=_who(mirror),
            error=f" ({check.error})" if failed and check.error else "",
        ),
        _invoice_url(mirror),
    )
    return created is not None


def unchecked(workspace, now=None):
    """Renewal invoices of ours finalized in the last LOOKBACK without a successful check."""
    now = now or timezone.now()
    return (
        StripeInvoice.objects.filter(
            workspace=workspace,
            ownership=Ownership.OURS,
            billing_reason=RECURRING,
            created__gte=now - LOOKBACK,
        )
        .exclude(subscription_id="")
        .exclude(status__in=[StripeInvoice.Status.DRAFT, StripeInvoice.Status.DELETED])
        .exclude(tax_check__status__in=DONE)
        .select_related("customer", "workspace")
    )


def report_unchecked(workspace, now=None) -> int:
    """Notify once about every unchecked renewal invoice that carries MSPercury's tax rates
    (invoices from before MSPercury's VAT was turned on are not ours to check); returns how
    many notifications were new."""
    if not uses_mspercury_vat(workspace):
        return 0
    ours = set(
        StripeObjectMap.objects.filter(
            workspace=workspace, kind=StripeObjectMap.Kind.TAX_RATE
        ).values_list("stripe_id", flat=True)
    )
    count = 0
    for mirror in unchecked(workspace, now).order_by("created", "id"):
        if ours & {t["tax_rate"] for line in mirror.lines for t in line["taxes"]}:
            with transaction.atomic():
                count += report_missed(mirror)
    return count


def report_unchecked_all(now=None) -> dict:
    """The beat task's body: every workspace that uses MSPercury's VAT, each inside itself."""
    with tenancy.system_context():
        workspace_ids = sorted(
            PushSettings.objects.filter(mspercury_vat=True, stripe_tax=False).values_list(
                "workspace_id", flat=True
            )
        )
    results = {}
    for workspace_id in workspace_ids:
        with tenancy.workspace_context(workspace_id):
            results[workspace_id] = report_unchecked(Workspace.objects.get(pk=workspace_id), now)
    return results
