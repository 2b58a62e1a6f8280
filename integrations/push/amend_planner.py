"""Amendments: what changes in Stripe when a newly accepted revision of a pushed quote replaces
the one its subscriptions bill. Pure: no database, no Stripe; the executor feeds it what Stripe
holds now and what MSPercury last wrote there, and runs the operations it returns.

The rule: every recurring line of the new revision is an item of the running subscription of
its interval (matched by the ``mspercury_line_id`` the push wrote on each item). A line added
becomes a new item, a line removed (or set to quantity 0) a deleted item, a changed quantity an
item update, a changed price a new price on the same item (Stripe prices are immutable). A
line whose interval has no running subscription gets a new subscription; a subscription left
without lines ends at the end of its period (Stripe refuses an update deleting every item).
One-time lines added by the revision are invoiced once, on the subscription's next invoice.

Proration, as Stripe computes it for ``proration_date`` t in the period [start, end): the old
item is credited for the unused time, -round(old amount × (end - t) / (end - start)), and the
new one charged for the remaining time, +round(new amount × (end - t) / (end - start)), each
line rounded half up to the minor unit. ``always_invoice`` bills them at once, on an invoice of
their own; ``create_prorations`` adds them to the next invoice; ``none`` bills nothing for the
current period, the new amounts apply from the next one.

Stripe refuses a ``proration_date`` outside the subscription's current period, so each
subscription is prorated at the preview's moment held inside its own current period
(``proration_moment``): a period that renewed (or a test clock that ran ahead) since the preview
moves the moment to the period's first second instead of jamming the change.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from integrations.push.planner import (
    INTERVALS,
    MAX_SUBSCRIPTION_ITEMS,
    ONE_TIME,
    Problem,
    StripeLine,
)

PRORATE_NOW = "always_invoice"
NEXT_INVOICE = "create_prorations"
AT_RENEWAL = "none"
TIMINGS = (PRORATE_NOW, NEXT_INVOICE, AT_RENEWAL)
ENDED = frozenset({"canceled", "incomplete_expired"})


@dataclass(frozen=True)
class RunningItem:
    """A subscription item as Stripe holds it now."""

    id: str
    line_ref: str  # its mspercury_line_id metadata ("" when MSPercury did not make it)
    product_id: str
    unit_amount: int
    quantity: int


@dataclass(frozen=True)
class RunningSubscription:
    id: str
    status: str
    interval: str  # "month" | "year"
    currency: str
    period_start: int  # the current period, Unix seconds
    period_end: int
    items: tuple[RunningItem, ...]
    cancel_at_period_end: bool = False


@dataclass(frozen=True)
class ItemChange:
    kind: str  # add | remove | quantity | price
    line_ref: str
    description: str
    old_quantity: int = 0
    new_quantity: int = 0
    old_unit: int = 0
    new_unit: int = 0
    item_id: str = ""
    product_key: str = ""
    product_id: str = ""  # the running item's product (a new price keeps it)

    @property
    def old_amount(self) -> int:
        return self.old_quantity * self.old_unit

    @property
    def new_amount(self) -> int:
        return self.new_quantity * self.new_unit


@dataclass(frozen=True)
class Proration:
    description: str
    amount: int  # signed minor units: a credit is negative


@dataclass
class SubscriptionChange:
    """What one subscription (running, or ``subscription`` None: to be created) gets."""

    interval: str
    subscription: RunningSubscription | None
    changes: list[ItemChange] = field(default_factory=list)
    prorations: list[Proration] = field(default_factory=list)
    ends: bool = False  # every line removed: it ends at the end of its period
    new_period_amount: int = 0  # what each period costs from now on
    proration_date: int = 0  # the moment Stripe prorates at, inside the current period

    @property
    def key(self) -> str:
        return f"update:{self.subscription.id}" if self.subscription else f"create:{self.interval}"

    @property
    def proration_total(self) -> int:
        return sum(p.amount for p in self.prorations)

    @property
    def old_period_amount(self) -> int:
        items = self.subscription.items if self.subscription else ()
        return sum(i.unit_amount * i.quantity for i in items)


@dataclass
class AmendmentPlan:
    currency: str
    timing: str
    proration_date: int
    subscriptions: list[SubscriptionChange] = field(default_factory=list)
    one_time: list[StripeLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(p.blocking for p in self.problems)

    @property
    def has_changes(self) -> bool:
        return bool(self.one_time) or any(s.changes or s.ends for s in self.subscriptions)

    @property
    def charged_now(self) -> int:
        """What the customer is invoiced at once for the change (always_invoice)."""
        if self.timing != PRORATE_NOW:
            return 0
        return sum(s.proration_total for s in self.subscriptions if s.subscription)

    @property
    def on_next_invoice(self) -> int:
        """What the change adds to the next invoices beyond their new regular amount."""
        prorated = sum(s.proration_total for s in self.subscriptions if s.subscription)
        one_time = sum(line.amount for line in self.one_time)
        return one_time + (prorated if self.timing == NEXT_INVOICE else 0)


def proration_moment(subscription: RunningSubscription, at: int) -> int:
    """``at`` held inside the subscription's current period [start, end): Stripe accepts no
    ``proration_date`` outside it."""
    if subscription.period_end <= subscription.period_start:
        return at
    return min(max(at, subscription.period_start), subscription.period_end - 1)


def next_invoice(plan: "AmendmentPlan") -> tuple[int, int]:
    """The next regular invoice of the changed subscriptions before and after the change: the
    sum of each period's amount, plus what the change adds to it (prorations billed on the next
    invoice, one-time lines). Subscriptions the change creates bill on their own and are left
    out; a subscription that ends bills nothing more."""
    before = after = 0
    for s in plan.subscriptions:
        if s.subscription is None:
            continue
        before += s.old_period_amount
        after += s.new_period_amount
    return before, after + plan.on_next_invoice


def prorate(amount: int, subscription: RunningSubscription, at: int) -> int:
    """``amount`` per period for the time left from ``at`` to the period's end, rounded half up
    to the minor unit (Stripe's per-second proration)."""
    period = subscription.period_end - subscription.period_start
    if period <= 0:
        return 0
    remaining = min(max(subscription.period_end - at, 0), period)
    share = Decimal(amount) * Decimal(remaining) / Decimal(period)
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def expected_drift(
    subscription: RunningSubscription, billed: dict[str, tuple[int, int]] | None
) -> list[str]:
    """How the subscription differs from what MSPercury last wrote (line → (unit, quantity)):
    someone changed it in Stripe meanwhile. ``billed`` None: nothing recorded, nothing to check."""
    if billed is None:
        return []
    differences = []
    live = {item.line_ref: item for item in subscription.items}
    for item in subscription.items:
        if not item.line_ref or item.line_ref not in billed:
            differences.append(
                _("an item MSPercury did not create (%(quantity)s × %(unit)s)")
                % {"quantity": item.quantity, "unit": item.unit_amount}
            )
            continue
        unit, quantity = billed[item.line_ref]
        if (item.unit_amount, item.quantity) != (unit, quantity):
            differences.append(
                _("an item is now %(quantity)s × %(unit)s; MSPercury wrote %(q)s × %(u)s")
                % {"quantity": item.quantity, "unit": item.unit_amount, "q": quantity, "u": unit}
            )
    missing = [ref for ref in billed if ref not in live]
    if missing:
        differences.append(
            _("%(count)s items MSPercury wrote were removed") % {"count": len(missing)}
        )
    return differences


def plan_amendment(
    running: list[RunningSubscription],
    lines: list[StripeLine],
    *,
    currency: str,
    timing: str,
    proration_date: int,
    billed: dict[str, dict[str, tuple[int, int]]] | None = None,
    known_one_time: frozenset[str] = frozenset(),
    names: dict[str, str] | None = None,
) -> AmendmentPlan:
    """The changes that make ``running`` bill ``lines`` (the new revision, as Stripe lines).

    ``billed``: per subscription id, what MSPercury last wrote (line → (unit, quantity));
    ``known_one_time``: one-time lines already invoiced (by the push or earlier amendments);
    ``names``: descriptions of lines earlier revisions had (for items the revision removes)."""
    plan = AmendmentPlan(currency.upper(), timing, proration_date)
    if timing not in TIMINGS:
        plan.problems.append(Problem("bad_timing", _("Choose when the change is billed.")))
        return plan
    _check_running(plan, running, billed or {}, lines)
    live = [s for s in running if s.status not in ENDED]
    by_interval = {period: [x for x in lines if x.period == period] for period in INTERVALS}
    placed: set[str] = set()
    for subscription in live:
        change = _subscription_change(plan, subscription, lines, placed, names or {})
        plan.subscriptions.append(change)
    for period, interval in INTERVALS.items():
        waiting = [x for x in by_interval[period] if x.line_ref not in placed and x.quantity > 0]
        if waiting:
            plan.subscriptions.append(_new_subscription(interval, waiting))
    plan.one_time = [
        x
        for x in lines
        if x.period == ONE_TIME and x.quantity > 0 and x.line_ref not in known_one_time
    ]
    for change in plan.subscriptions:
        _check_items(plan, change)
    return plan


def already_applied(subscription: RunningSubscription, lines: list[StripeLine]) -> bool:
    """Stripe already bills what the revision wants for every item of this subscription (an
    earlier apply whose answer was lost): not a change made by someone else."""
    wanted = {x.line_ref: (x.unit_amount, x.quantity) for x in lines if x.quantity > 0}
    return all(
        item.line_ref and wanted.get(item.line_ref) == (item.unit_amount, item.quantity)
        for item in subscription.items
    )


def _check_running(
    plan: AmendmentPlan,
    running: list[RunningSubscription],
    billed: dict[str, dict[str, tuple[int, int]]],
    lines: list[StripeLine],
) -> None:
    for subscription in running:
        if subscription.currency.upper() != plan.currency:
            plan.problems.append(
                Problem(
                    "currency_changed",
                    _(
                        "Subscription %(id)s bills in %(currency)s: a quote in another currency "
                        "needs a new push."
                    )
                    % {"id": subscription.id, "currency": subscription.currency.upper()},
                )
            )
        if subscription.status in ENDED:
            continue
        drift = expected_drift(subscription, billed.get(subscription.id))
        if drift and not already_applied(subscription, lines):
            plan.problems.append(
                Problem(
                    "changed_in_stripe",
                    _(
                        "Subscription %(id)s was changed in Stripe since MSPercury last wrote "
                        "it (%(what)s). MSPercury does not overwrite that: undo the change in "
                        "the Stripe Dashboard or bring the quote in line with it."
                    )
                    % {"id": subscription.id, "what": "; ".join(drift)},
                )
            )


def _subscription_change(
    plan: AmendmentPlan,
    subscription: RunningSubscription,
    lines: list[StripeLine],
    placed: set[str],
    names: dict[str, str],
) -> SubscriptionChange:
    interval = subscription.interval
    change = SubscriptionChange(
        interval, subscription, proration_date=proration_moment(subscription, plan.proration_date)
    )
    wanted = {
        x.line_ref: x for x in lines if INTERVALS.get(x.period) == interval and x.quantity > 0
    }
    kept = 0
    for item in subscription.items:
        line = wanted.get(item.line_ref)
        if line is None or item.line_ref in placed:
            moved = next((x for x in lines if x.line_ref == item.line_ref), None)
            change.changes.append(
                ItemChange(
                    "remove",
                    item.line_ref,
                    moved.description if moved else names.get(item.line_ref, item.line_ref),
                    old_quantity=item.quantity,
                    old_unit=item.unit_amount,
                    item_id=item.id,
                )
            )
            continue
        placed.add(item.line_ref)
        kept += 1
        kind = _item_kind(item, line)
        if kind:
            change.changes.append(_update(kind, item, line))
    for line in wanted.values():
        if line.line_ref not in placed:
            placed.add(line.line_ref)
            kept += 1
            change.changes.append(_added(line))
    change.ends = kept == 0
    change.new_period_amount = 0 if change.ends else _new_amount(subscription, change)
    if not change.ends:
        change.prorations = _prorations(plan, subscription, change.changes)
    return change


def _added(line: StripeLine) -> ItemChange:
    return ItemChange(
        "add",
        line.line_ref,
        line.description,
        new_quantity=line.quantity,
        new_unit=line.unit_amount,
        product_key=line.product_key,
    )


def _item_kind(item: RunningItem, line: StripeLine) -> str:
    if item.unit_amount != line.unit_amount:
        return "price"
    if item.quantity != line.quantity:
        return "quantity"
    return ""


def _update(kind: str, item: RunningItem, line: StripeLine) -> ItemChange:
    return ItemChange(
        kind,
        line.line_ref,
        line.description,
        old_quantity=item.quantity,
        new_quantity=line.quantity,
        old_unit=item.unit_amount,
        new_unit=line.unit_amount,
        item_id=item.id,
        product_key=line.product_key,
        product_id=item.product_id,
    )


def _new_amount(subscription: RunningSubscription, change: SubscriptionChange) -> int:
    amount = change.old_period_amount
    for c in change.changes:
        amount += c.new_amount - c.old_amount
    return amount


def _prorations(
    plan: AmendmentPlan, subscription: RunningSubscription, changes: list[ItemChange]
) -> list[Proration]:
    if plan.timing == AT_RENEWAL:
        return []
    at = proration_moment(subscription, plan.proration_date)
    out = []
    for c in changes:
        if c.old_amount:
            out.append(
                Proration(
                    _("Unused time on %(quantity)s × %(line)s")
                    % {"quantity": c.old_quantity, "line": c.description},
                    -prorate(c.old_amount, subscription, at),
                )
            )
        if c.new_amount:
            out.append(
                Proration(
                    _("Remaining time on %(quantity)s × %(line)s")
                    % {"quantity": c.new_quantity, "line": c.description},
                    prorate(c.new_amount, subscription, at),
                )
            )
    return out


def _new_subscription(interval: str, lines: list[StripeLine]) -> SubscriptionChange:
    change = SubscriptionChange(interval, None)
    change.changes = [_added(line) for line in lines]
    change.new_period_amount = sum(c.new_amount for c in change.changes)
    return change


def _check_items(plan: AmendmentPlan, change: SubscriptionChange) -> None:
    current = len(change.subscription.items) if change.subscription else 0
    added = sum(1 for c in change.changes if c.kind == "add")
    removed = sum(1 for c in change.changes if c.kind == "remove")
    if current + added - removed > MAX_SUBSCRIPTION_ITEMS:
        plan.problems.append(
            Problem(
                "too_many_items",
                _(
                    "%(count)s items on one subscription: Stripe allows at most %(max)s. Move "
                    "some lines to another billing interval or push them as a new quote."
                )
                % {"count": current + added - removed, "max": MAX_SUBSCRIPTION_ITEMS},
            )
        )


def items_param(
    change: SubscriptionChange, products: dict[str, str], currency: str
) -> list[dict[str, Any]]:
    """Stripe's ``items`` for a subscription update (or create): ``products`` maps product keys
    to Stripe product ids."""
    params: list[dict[str, Any]] = []
    for c in change.changes:
        if c.kind == "remove" and change.subscription is not None:
            params.append({"id": c.item_id, "deleted": True})
        elif c.kind == "quantity":
            params.append({"id": c.item_id, "quantity": c.new_quantity})
        elif c.kind in ("price", "add"):
            item: dict[str, Any] = {
                "price_data": {
                    "currency": currency.lower(),
                    "product": c.product_id or products[c.product_key],
                    "unit_amount": c.new_unit,
                    "recurring": {"interval": change.interval},
                },
                "quantity": c.new_quantity,
            }
            if c.kind == "price":
                item["id"] = c.item_id
            else:
                item["metadata"] = {"mspercury_line_id": c.line_ref}
            params.append(item)
    return params
