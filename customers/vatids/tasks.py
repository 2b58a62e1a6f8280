"""Celery tasks of VAT ID validation. Ids in, reload, safe to run twice.

A tenant task takes its workspace's id first and runs inside it (row-level security); the beat
tasks start in the system role only to list the workspaces with work, then enter each.
"""

from celery import shared_task

# Task names keep the module they were born in (billing.vatids): queued tasks and the beat
# schedule name them so.
from mspercury.tenancy import workspace_context


@shared_task(
    name="billing.vatids.tasks.retry_vies_validation", bind=True, acks_late=True, max_retries=None
)
def retry_vies_validation(self, workspace_pk: int, validation_pk: int) -> str:
    """Ask VIES again about one unconfirmed check; while VIES still cannot answer, retry with
    the row's backoff (1, 2, 4, 8 … minutes). Retries due later than a few minutes are left to
    the beat sweep (retry_vies_validations), and so is everything when tasks run in-process."""
    from customers.vatids import services
    from customers.vatids.models import VatIdValidation

    with workspace_context(workspace_pk):
        status = services.retry(validation_pk, enqueue=False)
        if status != "unconfirmed" or self.request.is_eager:
            return status
        next_at = (
            VatIdValidation.objects.filter(pk=validation_pk)
            .values_list("next_retry_at", flat=True)
            .first()
        )
    if next_at is None:
        return status
    from django.utils import timezone

    countdown = (next_at - timezone.now()).total_seconds()
    if countdown > services.TASK_COUNTDOWN_MAX.total_seconds():
        return status  # the sweep takes it from here
    raise self.retry(countdown=max(0.0, countdown))


@shared_task(name="billing.vatids.tasks.retry_vies_validations")
def retry_vies_validations() -> dict:
    """Beat: retry every unconfirmed check that is due, in every workspace."""
    from customers.vatids.services import retry_all_due

    return retry_all_due()


@shared_task(name="billing.vatids.tasks.revalidate_reverse_charge_customers")
def revalidate_reverse_charge_customers() -> dict:
    """Beat: renew the VIES validations of reverse-charge customers that are missing or expire
    within a day, in every workspace."""
    from customers.vatids.services import revalidate_all

    return revalidate_all()
