"""Ending a pushed contract: a subscription stops at the end of its current period or on a
date the MSP picks (Stripe's cancel_at_period_end / cancel_at); "keep" undoes either. MRR and
the mirror follow the webhooks Stripe sends for it."""

from datetime import UTC, date, datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from integrations.push.amend_executor import line_names, running, stripe_for, subscription_ids
from mspercury import audit
from mspercury.texts import Text

AT_PERIOD_END, ON_DATE, KEEP = "period_end", "date", "keep"
ENDED = {
    AT_PERIOD_END: gettext_noop("%(number)s: subscription %(subscription)s ends at period end"),
    ON_DATE: gettext_noop("%(number)s: subscription %(subscription)s ends on %(on)s"),
    KEEP: gettext_noop("%(number)s: subscription %(subscription)s continues"),
}


class ContractEndRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def end_params(when: str, on: str, today: date, zone=UTC) -> dict:
    """Stripe's update parameters for the choice; refuses what Stripe would refuse. A date ends
    the contract at the start of that day in the MSP's ``zone``."""
    if when == AT_PERIOD_END:
        return {"cancel_at_period_end": True}
    if when == KEEP:
        return {"cancel_at_period_end": False, "cancel_at": ""}
    if when != ON_DATE:
        raise ContractEndRefused(_("Choose when the contract ends."))
    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise ContractEndRefused(_("Enter the end date as YYYY-MM-DD.")) from None
    if day <= today:
        raise ContractEndRefused(_("The end date must be after today."))
    # Ends at local midnight of that day; the period already invoiced is not credited back.
    return {
        "cancel_at": int(datetime.combine(day, time.min, tzinfo=zone).timestamp()),
        "proration_behavior": "none",
    }


def ending_summary(push, subscription_id: str, when: str, on: str) -> dict:
    """What the confirmation names: the subscription, the day it ends (the MSP's local date)
    and what stops being billed then. Refuses what ``end_params`` refuses."""
    if subscription_id not in subscription_ids(push):
        raise ContractEndRefused(_("This subscription does not belong to this quote."))
    end_params(when, on, timezone.localdate(timezone=push.workspace.zone), push.workspace.zone)
    stripe = stripe_for(push)
    (sub,) = running(stripe, [subscription_id])
    names = line_names(push.quote)
    if when == AT_PERIOD_END:
        day = datetime.fromtimestamp(sub.period_end, tz=UTC).astimezone(push.workspace.zone)
        day = day.date()
    else:
        day = date.fromisoformat(on)
    return {
        "subscription": sub,
        "when": when,
        "on": on,
        "ends_on": day,
        "currency": sub.currency.upper(),
        "items": [
            {
                "description": names.get(item.line_ref, item.line_ref or item.product_id),
                "quantity": item.quantity,
                "unit_amount": item.unit_amount,
                "amount": item.quantity * item.unit_amount,
            }
            for item in sub.items
        ],
        "per_period": sum(item.quantity * item.unit_amount for item in sub.items),
    }


def do_end_subscription(request, push, subscription_id: str, when: str, on: str = "") -> None:
    if subscription_id not in subscription_ids(push):
        raise ContractEndRefused(_("This subscription does not belong to this quote."))
    params = end_params(
        when, on, timezone.localdate(timezone=push.workspace.zone), push.workspace.zone
    )
    stripe = stripe_for(push)
    current = stripe(lambda: stripe.client.v1.subscriptions.retrieve(subscription_id))
    if current.status in ("canceled", "incomplete_expired"):
        raise ContractEndRefused(_("This subscription has ended already."))
    # The key names the change and the state it starts from: a double click sends it once,
    # ending again after an undo is a new request.
    state = f"{current.cancel_at_period_end}:{current.cancel_at or ''}"
    key = f"mspercury:end:{subscription_id}:{when}:{on}:from:{state}"
    stripe(
        lambda: stripe.client.v1.subscriptions.update(
            subscription_id, params, {"idempotency_key": key}
        )
    )
    audit.record(
        request,
        push.workspace,
        "stripe.contract_end",
        Text(ENDED[when], number=push.quote.number, subscription=subscription_id, on=on),
        subscription=subscription_id,
    )
