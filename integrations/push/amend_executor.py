"""Applying an amendment to Stripe, exactly once.

The preview and the apply run the same planner (``integrations.push.amend_planner``) over what
Stripe holds now; the apply writes each change with a deterministic idempotency key and records it
(``AmendmentStep``), and moves ``Push.billed_items`` on with each subscription written, so a
run that stops anywhere resumes: what is done plans as "nothing to change", what is not is
written with the same key. A subscription someone changed in Stripe meanwhile is refused.

A failed amendment is re-planned (``Amendment.plan`` counts up): the next run plans again from
what Stripe holds then, with the timing and proration moment of the new preview. Steps done stay
done; a subscription update of the new plan gets a key of its own (its parameters differ, and
Stripe may keep the old key's answer), while creations keep theirs (a lost answer is replayed,
never duplicated).
"""

import logging
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import StripeSubscription
from integrations.models import Amendment, AmendmentStep, Push, PushSettings, StripeObjectMap
from integrations.push import notifications
from integrations.push.amend_planner import (
    AT_RENEWAL,
    AmendmentPlan,
    RunningItem,
    RunningSubscription,
    SubscriptionChange,
    items_param,
    next_invoice,
    plan_amendment,
)
from integrations.push.executor import throttled_call
from integrations.push.inputs import plan_quote
from integrations.push.locks import advisory_lock
from integrations.push.planner import ONE_TIME, stripe_line
from integrations.stripe.client import make_client
from integrations.stripe.errors import FailureKind, StripeFailure
from mspercury import audit
from mspercury.texts import Text, stored
from quotes.models import QuoteAcceptance, RevisionAcceptance
from quotes.sharing import latest_acceptance

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 4


@dataclass
class Stripe:
    """The connection's client, throttled like the push."""

    connection: object
    client: object
    calls: int = 0

    def __call__(self, fn):
        self.calls += 1
        return throttled_call(self.connection, fn)


def stripe_for(push: Push) -> Stripe:
    connection = push.workspace.stripe_connection
    return Stripe(connection, make_client(connection.api_key))


# -- what Stripe holds, what the revision wants ---------------------------------------------


def subscription_ids(push: Push) -> list[str]:
    if push.billed_items:
        return list(push.billed_items)
    return list(
        StripeSubscription.objects.filter(
            workspace=push.workspace, quote=push.quote, account_ref=push.account_ref
        ).values_list("stripe_id", flat=True)
    )


def _field(obj, name, default=None):
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return default if value is None else value


def running(stripe: Stripe, ids: list[str]) -> list[RunningSubscription]:
    out = []
    for sub_id in ids:
        sub = stripe(lambda sub_id=sub_id: stripe.client.v1.subscriptions.retrieve(sub_id))
        items = []
        start = end = 0
        interval = "month"
        for item in _field(_field(sub, "items", {}), "data", []):
            price = _field(item, "price", {})
            interval = _field(_field(price, "recurring", {}), "interval", interval)
            metadata = _field(item, "metadata", {}) or {}
            metadata = metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)
            # Stripe prorates over the whole period from the anchor: an item added mid-period
            # starts later, so the earliest start is the period's.
            item_start = int(_field(item, "current_period_start", 0))
            start = min(start, item_start) if start else item_start
            end = max(end, int(_field(item, "current_period_end", 0)))
            items.append(
                RunningItem(
                    _field(item, "id"),
                    metadata.get("mspercury_line_id", ""),
                    _field(price, "product", ""),
                    int(_field(price, "unit_amount", 0)),
                    int(_field(item, "quantity", 1)),
                )
            )
        out.append(
            RunningSubscription(
                sub.id,
                sub.status,
                interval,
                sub.currency,
                int(start),
                int(end),
                tuple(items),
                bool(_field(sub, "cancel_at_period_end", False)),
            )
        )
    return out


def revision_lines(push: Push) -> tuple[str, list]:
    """The accepted revision's lines as Stripe bills them (currency, Stripe lines)."""
    quote = push.quote
    pq = plan_quote(quote, latest_acceptance(quote).snapshot)
    prefs = PushSettings.objects.for_workspace(push.workspace)
    mode = prefs.quantity_mode if prefs else PushSettings.QuantityMode.EXACT
    lines = []
    for line in pq.lines:
        if line.quantity > 0:
            converted, _adjustments = stripe_line(line, pq.currency, mode)
            if converted is not None:
                lines.append(converted)
    return pq.currency, lines


def known_one_time(push: Push) -> frozenset[str]:
    if push.billed_items:
        return frozenset(push.billed_one_time)
    # A push from before amendments: the first acceptance's one-time lines were billed.
    acceptance = QuoteAcceptance.objects.filter(quote=push.quote).first()
    rows = acceptance.snapshot["lines"] if acceptance else []
    return frozenset(r["id"] for r in rows if r["billing_period"] == ONE_TIME)


def amendment_plan(push: Push, timing: str, proration_date: int, stripe=None) -> AmendmentPlan:
    stripe = stripe or stripe_for(push)
    currency, lines = revision_lines(push)
    billed = (
        {sub: {ref: tuple(v) for ref, v in refs.items()} for sub, refs in push.billed_items.items()}
        if push.billed_items
        else None
    )
    return plan_amendment(
        running(stripe, subscription_ids(push)),
        lines,
        currency=currency,
        timing=timing,
        proration_date=proration_date,
        billed=billed,
        known_one_time=known_one_time(push),
        names=line_names(push.quote),
    )


def line_names(quote) -> dict[str, str]:
    """Line id → description in every accepted revision (removed lines keep their name)."""
    names = {}
    snapshots = [a.snapshot for a in QuoteAcceptance.objects.filter(quote=quote)]
    snapshots += [r.snapshot for r in RevisionAcceptance.objects.filter(quote=quote)]
    for snapshot in snapshots:
        names.update({row["id"]: row["description"] for row in snapshot["lines"]})
    return names


# -- the run ----------------------------------------------------------------------------------


def execute_amendment(amendment_pk: int) -> str:
    amendment = Amendment.objects.select_related("push__workspace", "push__quote").get(
        pk=amendment_pk
    )
    with advisory_lock(f"amendment:{amendment.pk}", wait=False) as acquired:
        if not acquired:
            return "busy"
        amendment.refresh_from_db()
        if amendment.status == Amendment.Status.SUCCEEDED:
            return "succeeded"
        if amendment.status == Amendment.Status.DISCARDED:
            return "discarded"
        Amendment.objects.filter(pk=amendment.pk).update(
            status=Amendment.Status.RUNNING, runs=F("runs") + 1, error=""
        )
        try:
            return _apply(amendment)
        except StripeFailure as failure:
            return _fail(amendment, failure.message)
        except Exception:
            logger.exception("amendment %s stopped by an unexpected error", amendment.public_id)
            _fail(amendment, _("An unexpected error stopped the change; nothing is lost, retry."))
            raise


def _apply(amendment: Amendment) -> str:
    push = Push.objects.select_related("workspace", "quote").get(pk=amendment.push_id)
    stripe = stripe_for(push)
    plan = amendment_plan(push, amendment.timing, amendment.proration_date, stripe)
    if plan.blocked:
        return _fail(amendment, "; ".join(p.message for p in plan.problems if p.blocking))
    customer = _customer_id(push)
    products = _products(amendment, stripe, plan)
    for line in plan.one_time:
        _one_time(amendment, stripe, push, customer, line, products, plan)
    for change in plan.subscriptions:
        if change.changes or change.ends:
            _subscription(amendment, stripe, push, change, products, plan)
        elif change.subscription and _unrecorded(push, change):
            # Written by an earlier run whose answer was lost: record what Stripe holds.
            _record_billed(push, change.subscription.id, _target(change))
    with transaction.atomic():
        Push.objects.filter(pk=push.pk).update(billed_revision=amendment.revision)
        Amendment.objects.filter(pk=amendment.pk).update(
            status=Amendment.Status.SUCCEEDED,
            finished_at=timezone.now(),
            error="",
            summary=summary(plan),
        )
        audit.record(
            None,
            push.workspace,
            "stripe.amended",
            Text(
                gettext_noop("%(number)s revision %(revision)s applied in Stripe"),
                number=push.quote.number,
                revision=amendment.revision,
            ),
            actor=amendment.created_by,
            timing=amendment.timing,
            calls=stripe.calls,
        )
        notifications.amendment_applied(amendment)
    return "succeeded"


def summary(plan: AmendmentPlan) -> dict:
    """What an applied amendment changed, kept for the quote's history."""
    changes = []
    for s in plan.subscriptions:
        for c in s.changes:
            changes.append(
                {
                    "subscription": s.subscription.id if s.subscription else s.key,
                    "kind": c.kind,
                    "line": c.description,
                    "before": [c.old_quantity, c.old_unit],
                    "after": [c.new_quantity, c.new_unit],
                }
            )
        if s.ends:
            changes.append({"subscription": s.subscription.id, "kind": "ends", "line": ""})
    changes += [
        {
            "subscription": "",
            "kind": "one_time",
            "line": x.description,
            "after": [x.quantity, x.unit_amount],
        }
        for x in plan.one_time
    ]
    before, after = next_invoice(plan)
    return {
        "currency": plan.currency,
        "changes": changes,
        "charged_now": plan.charged_now,
        "on_next_invoice": plan.on_next_invoice,
        "next_invoice_before": before,
        "next_invoice": after,
    }


def _fail(amendment: Amendment, message: str) -> str:
    Amendment.objects.filter(pk=amendment.pk).update(
        status=Amendment.Status.FAILED, error=message, finished_at=timezone.now()
    )
    audit.record(
        None,
        amendment.push.workspace,
        "stripe.amend_failed",
        Text(
            gettext_noop("Change of %(number)s failed: %(message)s"),
            number=amendment.push.quote.number,
            message=message[:250],
        ),
        actor=amendment.created_by,
    )
    runs = Amendment.objects.values_list("runs", flat=True).get(pk=amendment.pk)
    notifications.amendment_failed(amendment, message, runs)
    return "failed"


def _step(amendment: Amendment, key: str, label: Text | str, write, *, variant: str = "") -> str:
    """Run ``write(idempotency_key)`` once for this amendment and key; returns its Stripe id.
    ``variant``: what the parameters depend on beyond the key (a plan's timing and proration
    moment), so that different parameters never go out under one key."""
    step, _created = AmendmentStep.objects.get_or_create(
        amendment=amendment,
        key=key,
        defaults={
            "workspace_id": amendment.workspace_id,
            "label": str(label)[:300],
            "label_text": stored(label),
        },
    )
    if step.done:
        return step.stripe_id
    idempotency = f"mspercury:amend:{amendment.public_id}:{key}"
    if variant:
        idempotency += f":{variant}"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        AmendmentStep.objects.filter(pk=step.pk).update(attempts=F("attempts") + 1)
        try:
            stripe_id = write(idempotency)
            break
        except StripeFailure as failure:
            AmendmentStep.objects.filter(pk=step.pk).update(error=failure.message)
            if not failure.retryable or attempt == MAX_ATTEMPTS:
                raise
            time.sleep(0.2 * 2**attempt)
    AmendmentStep.objects.filter(pk=step.pk).update(
        done=True, stripe_id=stripe_id, error="", finished_at=timezone.now()
    )
    return stripe_id


def _customer_id(push: Push) -> str:
    mapping = StripeObjectMap.objects.filter(
        workspace=push.workspace,
        account_ref=push.account_ref,
        mode=push.mode,
        kind=StripeObjectMap.Kind.CUSTOMER,
        local_ref=str(push.quote.customer.public_id),
    ).first()
    return mapping.stripe_id if mapping else ""


def _products(amendment, stripe: Stripe, plan: AmendmentPlan) -> dict[str, str]:
    """Stripe product ids for the product keys of added lines (known ones reused)."""
    wanted = {c.product_key: c.description for s in plan.subscriptions for c in s.changes}
    wanted |= {line.product_key: line.description for line in plan.one_time}
    wanted.pop("", None)
    products = {}
    push = amendment.push
    for key, name in wanted.items():
        mapping = StripeObjectMap.objects.filter(
            workspace=push.workspace,
            account_ref=push.account_ref,
            mode=push.mode,
            kind=StripeObjectMap.Kind.PRODUCT,
            local_ref=key,
        ).first()
        if mapping:
            products[key] = mapping.stripe_id
            continue
        params = {"name": name[:250] or key, "metadata": {"mspercury_product_key": key}}
        products[key] = _step(
            amendment,
            f"product:{key}",
            Text(gettext_noop("Product “%(name)s”"), name=name),
            lambda k, params=params: (
                stripe(lambda: stripe.client.v1.products.create(params, {"idempotency_key": k})).id
            ),
        )
        StripeObjectMap.objects.update_or_create(
            workspace=push.workspace,
            account_ref=push.account_ref,
            mode=push.mode,
            kind=StripeObjectMap.Kind.PRODUCT,
            local_ref=key,
            defaults={"stripe_id": products[key]},
        )
    return products


def _one_time(amendment, stripe, push, customer, line, products, plan) -> None:
    """An added one-time line: an invoice item on the subscriptions' next invoice."""
    target = next((s.subscription.id for s in plan.subscriptions if s.subscription), None)
    params = {
        "customer": customer,
        "price_data": {
            "currency": plan.currency.lower(),
            "product": products[line.product_key],
            "unit_amount": line.unit_amount,
        },
        "quantity": line.quantity,
        "metadata": {
            "mspercury_line_id": line.line_ref,
            "mspercury_quote_id": str(push.quote.public_id),
        },
    }
    if target:
        params["subscription"] = target
    _step(
        amendment,
        f"one_time:{line.line_ref}",
        line.description,
        lambda k: (
            stripe(lambda: stripe.client.v1.invoice_items.create(params, {"idempotency_key": k})).id
        ),
    )
    Push.objects.filter(pk=push.pk).update(billed_one_time=[*push.billed_one_time, line.line_ref])
    push.billed_one_time = [*push.billed_one_time, line.line_ref]


def _subscription(amendment, stripe, push, change: SubscriptionChange, products, plan) -> None:
    if change.subscription is None:
        return _create(amendment, stripe, push, change, products, plan)
    sub_id = change.subscription.id
    if change.ends:
        params = {"cancel_at_period_end": True}
    else:
        params = {
            "items": items_param(change, products, plan.currency),
            "proration_behavior": plan.timing,
            "metadata": {"mspercury_revision": str(amendment.revision)},
        }
        if plan.timing != AT_RENEWAL:
            params["proration_date"] = change.proration_date
    _step(
        amendment,
        change.key,
        Text(gettext_noop("Subscription %(id)s"), id=sub_id),
        lambda k: (
            stripe(
                lambda: stripe.client.v1.subscriptions.update(
                    sub_id, params, {"idempotency_key": k}
                )
            ).id
        ),
        variant=f"{plan.timing}:{change.proration_date}",
    )
    _record_billed(push, sub_id, {} if change.ends else _target(change))


def _unrecorded(push: Push, change: SubscriptionChange) -> bool:
    recorded = push.billed_items.get(change.subscription.id)
    return recorded is not None and recorded != _target(change)


def _target(change: SubscriptionChange) -> dict[str, list[int]]:
    kept = {
        i.line_ref: [i.unit_amount, i.quantity]
        for i in (change.subscription.items if change.subscription else ())
    }
    for c in change.changes:
        if c.kind == "remove":
            kept.pop(c.line_ref, None)
        else:
            kept[c.line_ref] = [c.new_unit, c.new_quantity]
    return kept


def _record_billed(push: Push, sub_id: str, items: dict) -> None:
    with transaction.atomic():
        locked = Push.objects.select_for_update().get(pk=push.pk)
        billed = {**locked.billed_items, sub_id: items}
        Push.objects.filter(pk=push.pk).update(billed_items=billed)
        push.billed_items = billed


def _create(amendment, stripe, push, change, products, plan) -> None:
    """Lines of an interval no running subscription bills: a subscription of their own, with
    the settings of one the push made."""
    model = next((s.subscription for s in plan.subscriptions if s.subscription), None)
    if model is None:
        raise StripeFailure(
            FailureKind.INVALID_REQUEST,
            _("No running subscription is left to amend: push the quote as a new contract."),
        )
    source = stripe(lambda: stripe.client.v1.subscriptions.retrieve(model.id))
    params = {
        "customer": source.customer if isinstance(source.customer, str) else source.customer.id,
        "items": [
            {**item, "metadata": {"mspercury_line_id": c.line_ref}}
            for item, c in zip(
                items_param(change, products, plan.currency), change.changes, strict=True
            )
        ],
        "collection_method": source.collection_method,
        "metadata": source.metadata.to_dict() if source.metadata else {},
        "description": source.description or "",
    }
    if source.collection_method == "send_invoice":
        params["days_until_due"] = source.days_until_due or 30
    rates = [r if isinstance(r, str) else r.id for r in (source.default_tax_rates or [])]
    if rates:
        params["default_tax_rates"] = rates
    footer = _field(_field(source, "invoice_settings", {}), "footer")
    if footer:
        params["invoice_settings"] = {"footer": footer}
    created = _step(
        amendment,
        change.key,
        Text(gettext_noop("New monthly subscription"))
        if change.interval == "month"
        else Text(gettext_noop("New yearly subscription")),
        lambda k: (
            stripe(lambda: stripe.client.v1.subscriptions.create(params, {"idempotency_key": k})).id
        ),
    )
    _record_billed(push, created, _target(change))
