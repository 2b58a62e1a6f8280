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
