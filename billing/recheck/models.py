"""What the re-check of a subscription's draft invoice found and changed (one row per invoice)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models import StripeInvoice
from mspercury.models import Workspace


class InvoiceTaxCheck(models.Model):
    class Status(models.TextChoices):
        CHECKED = "checked", _("Checked, nothing to change")
        CORRECTED = "corrected", _("Corrected before finalization")
        MISSED = "missed", _("Finalized without a check")
        FAILED = "failed", _("Check failed")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    invoice = models.OneToOneField(
        StripeInvoice, on_delete=models.CASCADE, related_name="tax_check"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    treatment = models.CharField(max_length=20, blank=True)  # decided at the check
    rate_key = models.CharField(max_length=200, blank=True)  # TaxRateSpec.key decided
    # {"changes": [...], "skipped": [...], "lines": {line id: key}, "default": key, ...}
    changed = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["workspace", "status"])]

    def __str__(self):
        return f"{self.invoice_id} {self.status}"
