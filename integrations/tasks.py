from celery import shared_task
from django.db.models import F

from integrations.models import StripeEvent

# Event type → handler(event_row). Handlers arrive with the webhook-processing feature; until
# then stored events stay "received" and can be processed (or replayed) later.
HANDLERS: dict = {}


@shared_task(acks_late=True)
def process_stripe_event(event_pk: int) -> str:
    event = StripeEvent.objects.filter(pk=event_pk).first()
    if event is None:
        return "missing"
    StripeEvent.objects.filter(pk=event_pk).update(attempts=F("attempts") + 1)
    handler = HANDLERS.get(event.event_type)
    if handler is None:
        return "received"
    handler(event)
    return "processed"


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_push(push_pk: int) -> str:
    """Execute (or resume) a push. Safe to deliver twice: the executor is exactly-once."""
    from integrations.push.executor import execute_push

    return execute_push(push_pk)
