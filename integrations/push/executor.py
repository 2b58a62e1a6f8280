"""Executes a push plan against the workspace's Stripe account, exactly once.

A push is a persisted state machine (Push, PushStep). Each Stripe call is one step with a stable
idempotency key, so retries, double clicks, worker crashes and redelivered tasks resume where the
last run stopped instead of creating anything twice:
- Customer and product creation use keys derived from (account, mode, our object) and are looked
  up in StripeObjectMap first, under an advisory lock, so two pushes share them.
- Every other step uses ``mspercury:<push>:<step>``; its Stripe id is stored as soon as it exists.
- Retryable failures (connection errors, lost responses, 5xx, 409, 429) are retried with backoff;
  failures the user must fix stop the push with Stripe's message, and Retry resumes there.
"""

import hashlib
import json
import logging
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from customers.vatids.services import revalidate_before_push
from integrations.models import Push, PushStep, StripeConnection, StripeObjectMap
from integrations.push import notifications
from integrations.push.inputs import (
    accepted_snapshot,
    known_stripe,
    plan_customer,
    plan_quote,
    plan_settings,
    vies_problems,
)
from integrations.push.locks import advisory_lock
from integrations.push.planner import Operation, Plan, Problem, plan_push, resolve
from integrations.stripe.client import call, make_client
from integrations.stripe.errors import FailureKind, StripeFailure
from integrations.stripe.permissions import (
    forget_writes,
    missing_message,
    missing_writes,
    writes_needed,
)
from integrations.stripe.throttle import rate_limited, wait_for_slot
from mspercury import audit
from mspercury.localtime import today_in
from mspercury.texts import Text, stored

logger = logging.getLogger(__name__)

MAX_ATTEMPTS_PER_STEP = 8


@dataclass
class Context:
    push: Push
    connection: StripeConnection
    client: object
    plan: Plan
    results: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    # Product keys whose mapped Stripe product vanished, with the vanished id.
    recreate_after: dict[str, str] = field(default_factory=dict)
    # Steps refused for a vanished product: Stripe stored that answer under their old key.
    rekeyed: set[str] = field(default_factory=set)
    # Steps an earlier run already tried: their object may exist although no answer came back,
    # and Stripe forgets idempotency keys after 24 hours, so look before creating again.
    previously_attempted: set[str] = field(default_factory=set)

    def call(self, fn):
        self.calls += 1
        return throttled_call(self.connection, fn)

    def key(self, step: str) -> str:
        again = ":after-stale-products" if step in self.rekeyed else ""
        return f"mspercury:{self.push.public_id}:{step}{again}"

    def object_key(self, kind: str, ref: str) -> str:
        return f"mspercury:{self.connection.account_ref}:{self.connection.mode}:{kind}:{ref}"


def throttled_call(connection: StripeConnection, fn):
    """One Stripe call in the account's rate-limit slots; a 429 slows every worker down."""
    wait_for_slot(connection.account_ref, connection.mode)
    try:
        return call(fn)
    except StripeFailure as failure:
        if failure.kind == FailureKind.RATE_LIMIT:
            rate_limited(connection.account_ref, connection.mode)
        raise


def backoff_seconds(attempt: int) -> float:
    base = getattr(settings, "MSPERCURY_PUSH_BACKOFF", 0.5)
    return min(base * (2 ** (attempt - 1)), base * 16) * random.uniform(0.5, 1.0)


def find_tax_rate(connection: StripeConnection, percent, country: str) -> str | None:
    """An active, exclusive Stripe tax rate with this percentage (cached for five minutes)."""
    if not percent:
        return None
    cache_key = f"stripe-tax-rates:{connection.account_ref}:{connection.mode}"
    rates = cache.get(cache_key)
    if rates is None:
        client = make_client(connection.api_key)
        try:
            listing = call(lambda: client.v1.tax_rates.list({"active": True, "limit": 100}))
        except StripeFailure:
            return None
        rates = [
            (r.id, str(r.percentage), bool(r.inclusive), r.country or "") for r in listing.data
        ]
        cache.set(cache_key, rates, 300)
    for rate_id, percentage, inclusive, rate_country in rates:
        same_rate = Decimal(percentage) == Decimal(percent) and not inclusive
        if same_rate and (not country or not rate_country or rate_country == country):
            return rate_id
    return None


def build_plan(push_or_quote, connection: StripeConnection, *, send_now: bool) -> Plan:
    """The plan for a quote as the preview shows it and the executor runs it."""
    quote = push_or_quote
    snapshot = accepted_snapshot(quote)
    if snapshot is None:
        plan = Plan(currency=quote.currency)
        plan.problems.append(Problem("not_accepted", _("Only accepted quotes can be pushed.")))
        return plan
    pq = plan_quote(quote, snapshot)
    customer = plan_customer(quote.customer)
    ps = plan_settings(
        quote.workspace, quote.customer, send_now=send_now, today=today_in(quote.workspace)
    )
    tax_rate = None
    if not ps.stripe_tax and not ps.mspercury_vat and ps.tax_rate_percent:
        tax_rate = find_tax_rate(connection, ps.tax_rate_percent, ps.tax_country)
    # The products a plan needs depend on how its lines convert (a fractional line gets a
    # product named after its wording), so plan once to learn them, then with what we know.
    draft = plan_push(pq, customer, ps)
    keys = {op.key.removeprefix("product:") for op in draft.of_kind("product")}
    rate_keys = {op.key.removeprefix("tax_rate:") for op in draft.of_kind("tax_rate")}
    known = known_stripe(connection, quote, keys, tax_rate_id=tax_rate, tax_rate_keys=rate_keys)
    plan = plan_push(pq, customer, ps, known)
    plan.problems.extend(vies_problems(quote, ps))
    return plan


def permission_problems(connection: StripeConnection, plan: Plan) -> list[Problem]:
    """A blocking problem naming every write permission the plan needs and the key lacks."""
    missing = missing_writes(connection, writes_needed(op.kind for op in plan.operations))
    return [Problem("permissions_missing", missing_message(missing))] if missing else []


def execute_push(push_pk: int) -> str:
    push = Push.objects.select_related("workspace", "quote__customer").get(pk=push_pk)
    with advisory_lock(f"push:{push.pk}", wait=False) as acquired:
        if not acquired:
            return "busy"  # another worker runs this push right now
        push.refresh_from_db()
        if push.status == Push.Status.SUCCEEDED:
            return "succeeded"
        try:
            return _run(push)
        except Exception:
            # Never leave a push "running" with no way out: fail it so Retry can resume it.
            logger.exception("push %s stopped by an unexpected error", push.public_id)
            step = push.steps.filter(status=PushStep.Status.RUNNING).first()
            _fail(
                push,
                step,
                StripeFailure(
                    FailureKind.API,
                    _("An unexpected error stopped the push; nothing is lost, retry it."),
                ),
            )
            raise


def _run(push: Push) -> str:
    """Plan the push again from the accepted quote, then run the steps not yet done."""
    connection = StripeConnection.objects.for_workspace(push.workspace)
    if connection is None or (connection.account_ref, connection.mode) != (
        push.account_ref,
        push.mode,
    ):
        return _fail(
            push,
            None,
            StripeFailure(
                FailureKind.INVALID_REQUEST,
                _(
                    "The Stripe connection changed since this push was started; start a "
                    "new push for the connected account."
                ),
            ),
        )
    Push.objects.filter(pk=push.pk).update(
        status=Push.Status.RUNNING,
        runs=F("runs") + 1,
        started_at=timezone.now(),
        error="",
        error_step="",
        error_retryable=False,
        finished_at=None,
    )
    # A reverse-charge customer's VAT ID gets a current VIES answer before the plan decides.
    revalidate_before_push(push.quote.customer)
    plan = build_plan(push.quote, connection, send_now=push.send_now)
    if plan.blocked:
        message = "; ".join(p.message for p in plan.problems if p.blocking)
        return _fail(push, None, StripeFailure(FailureKind.INVALID_REQUEST, message))
    # Every permission the remaining steps need, before the first write.
    done = {step.key for step in push.steps.filter(status=PushStep.Status.SUCCEEDED)}
    missing = missing_writes(
        connection, writes_needed(op.kind for op in plan.operations if op.key not in done)
    )
    if missing:
        return _fail(push, None, StripeFailure(FailureKind.PERMISSION, missing_message(missing)))

    existing = _sync_steps(push, plan)
    ctx = Context(
        push=push,
        connection=connection,
        client=make_client(connection.api_key),
        plan=plan,
        results={
            k: s.stripe_id for k, s in existing.items() if s.status == PushStep.Status.SUCCEEDED
        },
        rekeyed={k for k, s in existing.items() if s.extra.get("rekeyed")},
        previously_attempted={k for k, s in existing.items() if s.attempts > 0},
    )
    outcome = _run_steps_renewing_stale_products(ctx, plan, existing)
    if outcome is not None:
        return outcome
    _record_success(ctx, plan)
    return "succeeded"


def _sync_steps(push: Push, plan: Plan) -> dict[str, PushStep]:
    """A stored step for every operation of the plan, by key; a re-plan may have moved or
    reworded the steps an earlier run stored."""
    existing = {step.key: step for step in push.steps.all()}
    label_size = PushStep._meta.get_field("label").max_length
    new_steps = []
    for position, op in enumerate(plan.operations):
        label = str(op.label)
        label = label if len(label) <= label_size else label[: label_size - 1] + "…"
        words = stored(op.label)
        if op.key not in existing:
            new_steps.append(
                PushStep(
                    workspace=push.workspace,
                    push=push,
                    key=op.key,
                    kind=op.kind,
                    label=label,
                    label_text=words,
                    position=position,
                )
            )
        elif (existing[op.key].position, existing[op.key].label_text) != (position, words):
            PushStep.objects.filter(pk=existing[op.key].pk).update(
                position=position, label=label, label_text=words
            )
    # One insert for every new step (the push's advisory lock keeps other runs out).
    for step in PushStep.objects.bulk_create(new_steps):
        existing[step.key] = step
    return existing


def _run_steps_renewing_stale_products(
    ctx: Context, plan: Plan, existing: dict[str, PushStep]
) -> str | None:
    """Run the steps; when Stripe no longer has a product (or tax rate) a step uses, make it
    again and go on, once: a second time the push fails."""
    restarts = 0
    while True:
        try:
            return _run_steps(ctx, plan, existing)
        except StaleProducts as stale:
            restarts += 1
            if restarts > 1:
                return _fail(ctx.push, existing[stale.step_key], stale.failure)
            _forget_products(ctx, stale.product_ids, existing)
            ctx.rekeyed.add(stale.step_key)
            step = existing[stale.step_key]
            PushStep.objects.filter(pk=step.pk).update(extra={**step.extra, "rekeyed": True})
            step.extra = {**step.extra, "rekeyed": True}


def _record_success(ctx: Context, plan: Plan) -> None:
    """Mark the push succeeded with what Stripe now bills, remember the customer's currency,
    audit it and tell the quote's owner, all in one transaction."""
    push, connection = ctx.push, ctx.connection
    with transaction.atomic():
        Push.objects.filter(pk=push.pk).update(
            status=Push.Status.SUCCEEDED,
            finished_at=timezone.now(),
            error="",
            error_step="",
            **billed(ctx, plan, push.quote_revision or push.quote.revision),
        )
        subs = [ctx.results[op.key] for op in plan.of_kind("subscription")]
        invoices = [ctx.results[op.key] for op in plan.of_kind("invoice")]
        if subs:
            # The Stripe customer bills in this currency from now on; the next preview knows.
            StripeObjectMap.objects.filter(
                workspace=push.workspace,
                account_ref=connection.account_ref,
                mode=connection.mode,
                kind=StripeObjectMap.Kind.CUSTOMER,
                stripe_id=ctx.results["customer"],
            ).update(currency=plan.currency)
        audit.record(
            None,
            push.workspace,
            "stripe.pushed",
            Text(
                gettext_noop("%(number)s pushed to Stripe (%(mode)s)"),
                number=push.quote.number,
                mode=push.mode,
            ),
            actor=push.created_by,
            subscriptions=subs,
            invoices=invoices,
            calls=ctx.calls,
        )
        notifications.push_succeeded(push)


def billed(ctx: Context, plan: Plan, revision: int) -> dict:
    """What Stripe bills after this push, for amendments to diff against."""
    items, one_time = {}, []
    for op in plan.of_kind("subscription"):
        items[ctx.results[op.key]] = {x.line_ref: [x.unit_amount, x.quantity] for x in op.lines}
        one_time += [x.line_ref for x in op.one_time_lines]
    for op in plan.of_kind("invoice"):
        one_time += [x.line_ref for x in op.lines]
    return {"billed_items": items, "billed_one_time": one_time, "billed_revision": revision}


class StaleProducts(Exception):
    """A step referenced products that no longer exist at Stripe (deleted in the Dashboard, or
    an emulator that forgot them); they are created again and the push goes on."""

    def __init__(self, step_key: str, product_ids: set[str], failure: StripeFailure):
        super().__init__(failure.message)
        self.step_key = step_key
        self.product_ids = product_ids
        self.failure = failure


def _reuse_known_products(ctx: Context, plan: Plan, existing: dict[str, PushStep]) -> None:
    """Products and tax rates the plan already knows need no call and no lock: record them in
    one write."""
    now = timezone.now()
    done = []
    for op in plan.of_kind("product") + plan.of_kind("tax_rate"):
        known = op.params.get("known_id")
        if op.key in ctx.results or not known:
            continue
        if op.key.removeprefix("product:") in ctx.recreate_after:
            continue  # it vanished at Stripe; run_product creates it again
        step = existing[op.key]
        step.status, step.stripe_id = PushStep.Status.SUCCEEDED, known
        step.finished_at, step.error = now, ""
        done.append(step)
        ctx.results[op.key] = known
    if done:
        PushStep.objects.filter(pk__in=[step.pk for step in done]).update(
            status=PushStep.Status.SUCCEEDED,
            finished_at=now,
            error="",
            stripe_id=Case(*(When(pk=step.pk, then=Value(step.stripe_id)) for step in done)),
        )


def _run_steps(ctx: Context, plan: Plan, existing: dict[str, PushStep]) -> str | None:
    _reuse_known_products(ctx, plan, existing)
    for op in plan.operations:
        if op.key in ctx.results:
            continue
        step = existing[op.key]
        try:
            stripe_id, extra = _with_retries(ctx, op, step)
        except StripeFailure as failure:
            products = _missing_products(ctx, op, failure) | _stale_tax_rates(ctx, op, failure)
            if products:
                raise StaleProducts(op.key, products, failure) from None
            if failure.kind == FailureKind.PERMISSION:
                forget_writes(ctx.connection)  # the kept verdicts did not foresee it
            return _fail(ctx.push, step, failure)
        PushStep.objects.filter(pk=step.pk).update(
            status=PushStep.Status.SUCCEEDED,
            stripe_id=stripe_id,
            extra=extra,
            finished_at=timezone.now(),
            error="",
        )
        ctx.results[op.key] = stripe_id
    return None


def _missing_products(ctx: Context, op: Operation, failure: StripeFailure) -> set[str]:
    if failure.kind != FailureKind.INVALID_REQUEST or "No such product" not in failure.message:
        return set()
    used = {ctx.results.get(dep) for dep in op.depends_on if dep.startswith("product:")}
    return {pid for pid in used if pid and pid in failure.message}


def _stale_tax_rates(ctx: Context, op: Operation, failure: StripeFailure) -> set[str]:
    """Tax rates archived (or gone) in Stripe since we mapped them: made again, the push goes on."""
    message = failure.message
    stale = any(word in message for word in ("archived", "inactive", "No such tax rate"))
    if failure.kind != FailureKind.INVALID_REQUEST or not stale:
        return set()
    used = {ctx.results.get(dep) for dep in op.depends_on if dep.startswith("tax_rate:")}
    return {rid for rid in used if rid and rid in message}


def _forget_tax_rate(ctx: Context, key: str, existing: dict[str, PushStep]) -> None:
    ctx.recreate_after[key] = ctx.results.pop(key)
    StripeObjectMap.objects.filter(
        workspace=ctx.push.workspace,
        account_ref=ctx.connection.account_ref,
        mode=ctx.connection.mode,
        kind=StripeObjectMap.Kind.TAX_RATE,
        local_ref=key.removeprefix("tax_rate:"),
    ).delete()
    PushStep.objects.filter(pk=existing[key].pk).update(
        status=PushStep.Status.PENDING, stripe_id=""
    )


def _forget_products(ctx: Context, product_ids: set[str], existing: dict[str, PushStep]) -> None:
    for key, stripe_id in list(ctx.results.items()):
        if key.startswith("tax_rate:") and stripe_id in product_ids:
            _forget_tax_rate(ctx, key, existing)
            continue
        if key.startswith("product:") and stripe_id in product_ids:
            product_key = key.removeprefix("product:")
            ctx.recreate_after[product_key] = stripe_id
            StripeObjectMap.objects.filter(
                workspace=ctx.push.workspace,
                account_ref=ctx.connection.account_ref,
                mode=ctx.connection.mode,
                kind=StripeObjectMap.Kind.PRODUCT,
                local_ref=product_key,
            ).delete()
            PushStep.objects.filter(pk=existing[key].pk).update(
                status=PushStep.Status.PENDING, stripe_id=""
            )
            del ctx.results[key]


def _with_retries(ctx: Context, op: Operation, step: PushStep):
    attempt = 0
    while True:
        attempt += 1
        if attempt == 1:
            PushStep.objects.filter(pk=step.pk).update(
                status=PushStep.Status.RUNNING,
                started_at=timezone.now(),
                error="",
                attempts=F("attempts") + 1,
            )
        else:
            PushStep.objects.filter(pk=step.pk).update(attempts=F("attempts") + 1)
        try:
            return STEP_RUNNERS[op.kind](ctx, op)
        except StripeFailure as failure:
            if not failure.retryable or attempt >= MAX_ATTEMPTS_PER_STEP:
                raise
            logger.info(
                "push %s step %s: %s (attempt %s), retrying",
                ctx.push.public_id,
                op.key,
                failure.kind,
                attempt,
            )
            PushStep.objects.filter(pk=step.pk).update(error=f"Retrying: {failure.message}")
            time.sleep(backoff_seconds(attempt))


def _fail(push: Push, step: PushStep | None, failure: StripeFailure) -> str:
    with transaction.atomic():
        if step is not None:
            PushStep.objects.filter(pk=step.pk).update(
                status=PushStep.Status.FAILED, error=failure.message, finished_at=timezone.now()
            )
        Push.objects.filter(pk=push.pk).update(
            status=Push.Status.FAILED,
            error=failure.message,
            error_step=step.key if step else "",
            error_retryable=failure.retryable,
            finished_at=timezone.now(),
        )
        audit.record(
            None,
            push.workspace,
            "stripe.push_failed",
            Text(
                gettext_noop("Push of %(number)s failed: %(message)s"),
                number=push.quote.number,
                message=failure.message[:250],
            ),
            actor=push.created_by,
            step=step.key if step else "",
            kind=str(failure.kind),
            request_id=failure.request_id,
        )
    from integrations.push import signals

    signals.push_failed.send(sender=Push, push=push, failure=failure)
    return "failed"


# -- the steps ------------------------------------------------------------------------------


def _map(ctx: Context, kind: str, local_ref: str):
    return StripeObjectMap.objects.filter(
        workspace=ctx.push.workspace,
        account_ref=ctx.connection.account_ref,
        mode=ctx.connection.mode,
        kind=kind,
        local_ref=local_ref,
    ).first()


def _remember(
    ctx: Context,
    kind: str,
    local_ref: str,
    stripe_id: str,
    currency: str = "",
    *,
    sent_hash: str = "",
):
    StripeObjectMap.objects.update_or_create(
        workspace=ctx.push.workspace,
        account_ref=ctx.connection.account_ref,
        mode=ctx.connection.mode,
        kind=kind,
        local_ref=local_ref,
        defaults={"stripe_id": stripe_id, "currency": currency or "", "sent_hash": sent_hash},
    )


def sent_hash(payload: dict, tax_ids: list[dict]) -> str:
    """A fingerprint of what a push sends for a customer, to skip sending the same again."""
    pairs = sorted((t["type"], t["value"]) for t in tax_ids)
    blob = json.dumps({"customer": payload, "tax_ids": pairs}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def run_customer(ctx: Context, op: Operation):
    """One call for a known customer: retrieve it when we would send what we sent last time,
    else update it; either answer carries its tax IDs (expanded). A first push searches by our
    id (an earlier installation may have created it) and creates it with its tax ID."""
    payload = op.params["payload"]
    tax_ids = op.params["tax_ids"]
    customer_ref = payload["metadata"]["mspercury_customer_id"]
    digest = sent_hash(payload, tax_ids)
    client = ctx.client
    expand = {"expand": ["tax_ids"]}
    lock_name = f"customer:{ctx.connection.account_ref}:{ctx.connection.mode}:{customer_ref}"
    with advisory_lock(lock_name):
        mapping = _map(ctx, StripeObjectMap.Kind.CUSTOMER, customer_ref)
        customer = None
        recreate_after = ""
        if mapping:
            try:
                if mapping.sent_hash == digest:
                    customer = ctx.call(
                        lambda: client.v1.customers.retrieve(mapping.stripe_id, expand)
                    )
                else:
                    customer = ctx.call(
                        lambda: client.v1.customers.update(mapping.stripe_id, {**payload, **expand})
                    )
            except StripeFailure as failure:
                if not failure.is_missing:
                    raise
            if customer is not None and getattr(customer, "deleted", False):
                customer = None
            if customer is None:
                recreate_after = mapping.stripe_id
        elif not recreate_after:
            query = f"metadata['mspercury_customer_id']:'{customer_ref}'"
            found = ctx.call(lambda: client.v1.customers.search({"query": query, "limit": 1}))
            if found.data:
                customer = ctx.call(
                    lambda: client.v1.customers.update(found.data[0].id, {**payload, **expand})
                )
        if customer is None:
            suffix = f"customer:{customer_ref}" + (
                f":after:{recreate_after}" if recreate_after else ""
            )
            params = {**payload, **expand}
            if tax_ids:
                params["tax_id_data"] = tax_ids
            customer = ctx.call(
                lambda: client.v1.customers.create(
                    params, {"idempotency_key": ctx.object_key("create", suffix)}
                )
            )
            for tax_id in _expanded_tax_ids(customer):
                _remember(
                    ctx,
                    StripeObjectMap.Kind.TAX_ID,
                    f"{customer_ref}:{tax_id.type}:{tax_id.value}",
                    tax_id.id,
                )
        else:
            _sync_tax_ids(ctx, customer, customer_ref, tax_ids)
        _remember(
            ctx,
            StripeObjectMap.Kind.CUSTOMER,
            customer_ref,
            customer.id,
            getattr(customer, "currency", None) or "",
            sent_hash=digest,
        )
    currency = (getattr(customer, "currency", None) or "").upper()
    if currency and currency != ctx.plan.currency:
        raise StripeFailure(
            FailureKind.INVALID_REQUEST,
            f"The Stripe customer {customer.id} already bills in {currency}; Stripe cannot bill "
            f"the same customer in {ctx.plan.currency}.",
        )
    return customer.id, {}


def _expanded_tax_ids(customer) -> list:
    listing = getattr(customer, "tax_ids", None)
    return list(getattr(listing, "data", None) or [])


def _sync_tax_ids(ctx: Context, customer, customer_ref: str, wanted: list[dict]) -> None:
    """Add the current tax ID; remove stale ones that we created (never others')."""
    customer_id = customer.id
    existing = _expanded_tax_ids(customer)
    wanted_pairs = {(t["type"], t["value"]) for t in wanted}
    have = {(t.type, t.value): t for t in existing}
    ours = {
        m.stripe_id: m
        for m in StripeObjectMap.objects.filter(
            workspace=ctx.push.workspace,
            account_ref=ctx.connection.account_ref,
            mode=ctx.connection.mode,
            kind=StripeObjectMap.Kind.TAX_ID,
            local_ref__startswith=f"{customer_ref}:",
        )
    }
    for pair, tax_id in have.items():
        if pair not in wanted_pairs and tax_id.id in ours:
            try:
                ctx.call(lambda t=tax_id: ctx.client.v1.customers.tax_ids.delete(customer_id, t.id))
            except StripeFailure as failure:
                if not failure.is_missing:
                    raise
            ours[tax_id.id].delete()
    for tax_type, value in wanted_pairs - set(have):
        created = ctx.call(
            lambda tt=tax_type, v=value: ctx.client.v1.customers.tax_ids.create(
                customer_id,
                {"type": tt, "value": v},
                {"idempotency_key": ctx.object_key("taxid", f"{customer_id}:{tt}:{v}")},
            )
        )
        _remember(
            ctx, StripeObjectMap.Kind.TAX_ID, f"{customer_ref}:{tax_type}:{value}", created.id
        )


def run_product(ctx: Context, op: Operation):
    key = op.key.removeprefix("product:")
    lock_name = f"product:{ctx.connection.account_ref}:{ctx.connection.mode}:{key}"
    with advisory_lock(lock_name):
        mapping = _map(ctx, StripeObjectMap.Kind.PRODUCT, key)
        if mapping:
            return mapping.stripe_id, {}
        params = {"name": op.params["name"], "metadata": op.params["metadata"]}
        stale = ctx.recreate_after.get(key)
        idempotency = ctx.object_key("product", key + (f":after:{stale}" if stale else ""))
        product = ctx.call(
            lambda: ctx.client.v1.products.create(params, {"idempotency_key": idempotency})
        )
        _remember(ctx, StripeObjectMap.Kind.PRODUCT, key, product.id)
    return product.id, {}


def run_tax_rate(ctx: Context, op: Operation):
    """Find our tax rate for this key in the account (another workspace or an earlier
    installation may have made it), else create it; either way remember it for later pushes."""
    params = {k: v for k, v in op.params.items() if k != "known_id"}
    key = params["metadata"]["mspercury_tax_rate"]
    lock_name = f"tax_rate:{ctx.connection.account_ref}:{ctx.connection.mode}:{key}"
    with advisory_lock(lock_name):
        mapping = _map(ctx, StripeObjectMap.Kind.TAX_RATE, key)
        if mapping:
            return mapping.stripe_id, {}
        stale = ctx.recreate_after.get(op.key)
        rate = _existing_tax_rate(ctx, params, stale)
        if rate is None:
            suffix = key + (f":after:{stale}" if stale else "")
            try:
                rate = ctx.call(
                    lambda: ctx.client.v1.tax_rates.create(
                        params, {"idempotency_key": ctx.object_key("tax_rate", suffix)}
                    )
                )
            except StripeFailure as failure:
                if failure.kind == FailureKind.PERMISSION:
                    failure.message = _(
                        "%(stripe)s — MSPercury's VAT creates tax rates: give the key the "
                        "permission Tax Rates: Write, or turn on Stripe Tax."
                    ) % {"stripe": failure.message}
                raise
        _remember(ctx, StripeObjectMap.Kind.TAX_RATE, key, rate.id)
    return rate.id, {}


def _existing_tax_rate(ctx: Context, params: dict, stale: str | None = None):
    key = params["metadata"]["mspercury_tax_rate"]
    listing = ctx.call(lambda: ctx.client.v1.tax_rates.list({"active": True, "limit": 100}))
    for rate in listing.data:
        metadata = getattr(rate, "metadata", None) or {}
        metadata = metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)
        same = Decimal(str(rate.percentage)) == Decimal(params["percentage"])
        same = same and bool(rate.inclusive) == params["inclusive"]
        if same and metadata.get("mspercury_tax_rate") == key and rate.id != stale:
            return rate
    return None


def _stamped(ctx: Context, op: Operation) -> dict:
    """The step's parameters, marked with the step so a lost answer can be found later."""
    params = resolve(op.params, ctx.results)
    params["metadata"] = {**params.get("metadata", {}), "mspercury_step": ctx.key(op.key)}
    return params


def _already_created(ctx: Context, op: Operation, params: dict, listing):
    """On a retry, the object an earlier attempt created (its answer was lost), if any."""
    if op.key not in ctx.previously_attempted:
        return None
    stamp = params["metadata"]["mspercury_step"]
    for obj in ctx.call(listing).data:
        metadata = getattr(obj, "metadata", None) or {}
        metadata = metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)
        if metadata.get("mspercury_step") == stamp:
            return obj
    return None


def run_subscription(ctx: Context, op: Operation):
    params = _stamped(ctx, op)
    subscription = _already_created(
        ctx,
        op,
        params,
        lambda: ctx.client.v1.subscriptions.list(
            {"customer": params["customer"], "status": "all", "limit": 100}
        ),
    ) or ctx.call(
        lambda: ctx.client.v1.subscriptions.create(params, {"idempotency_key": ctx.key(op.key)})
    )
    # No follow-up write on the first invoice: Stripe carries the subscription's metadata to
    # its invoices as parent.subscription_details.metadata, which the mirror and the ownership
    # rule read.
    latest = getattr(subscription, "latest_invoice", None)
    latest_id = latest if isinstance(latest, str) else getattr(latest, "id", None)
    return subscription.id, {"latest_invoice": latest_id}


def run_invoice(ctx: Context, op: Operation):
    params = _stamped(ctx, op)
    invoice = _already_created(
        ctx,
        op,
        params,
        lambda: ctx.client.v1.invoices.list({"customer": params["customer"], "limit": 100}),
    ) or ctx.call(
        lambda: ctx.client.v1.invoices.create(params, {"idempotency_key": ctx.key(op.key)})
    )
    return invoice.id, {}


def run_invoice_item(ctx: Context, op: Operation):
    params = _stamped(ctx, op)
    item = _already_created(
        ctx,
        op,
        params,
        lambda: ctx.client.v1.invoice_items.list({"invoice": params["invoice"], "limit": 100}),
    ) or ctx.call(
        lambda: ctx.client.v1.invoice_items.create(params, {"idempotency_key": ctx.key(op.key)})
    )
    return item.id, {}


def run_finalize(ctx: Context, op: Operation):
    params = resolve(op.params, ctx.results)
    invoice_id = params.pop("invoice")
    invoice = ctx.call(
        lambda: ctx.client.v1.invoices.finalize_invoice(
            invoice_id, params, {"idempotency_key": ctx.key(op.key)}
        )
    )
    return invoice.id, {"hosted_invoice_url": getattr(invoice, "hosted_invoice_url", None)}


def run_send(ctx: Context, op: Operation):
    invoice_id = resolve(op.params, ctx.results)["invoice"]
    invoice = ctx.call(
        lambda: ctx.client.v1.invoices.send_invoice(
            invoice_id, None, {"idempotency_key": ctx.key(op.key)}
        )
    )
    return invoice.id, {}


STEP_RUNNERS = {
    "customer": run_customer,
    "product": run_product,
    "tax_rate": run_tax_rate,
    "subscription": run_subscription,
    "invoice": run_invoice,
    "invoice_item": run_invoice_item,
    "finalize": run_finalize,
    "send": run_send,
}
