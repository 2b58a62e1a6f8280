"""The sweep for recurring invoices that went out without their VAT re-check."""

from celery import shared_task


@shared_task
def report_unchecked_invoices() -> dict:
    """Notify the MSP once per subscription invoice finalized without a (successful) check."""
    from integrations.recheck import report_unchecked_all

    return report_unchecked_all()
