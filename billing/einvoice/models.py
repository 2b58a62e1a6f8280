"""Our mirror of Stripe's credit notes on our invoices: what their e-invoices (type 381) are
made from. Amounts in minor units, positive, as Stripe has them."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models import StripeInvoice
from mspercury.models import Workspace


class StripeCreditNote(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        VOID = "void", _("Void")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(
        StripeInvoice, on_delete=models.CASCADE, related_name="credit_notes"
    )
    stripe_id = models.CharField(max_length=80)
    number = models.CharField(max_length=80)
    status = models.CharField(max_length=6, choices=Status.choices)
    # Stripe's reason: duplicate, fraudulent, order_change, product_unsatisfactory (or none).
    reason = models.CharField(max_length=40, blank=True)
    memo = models.TextField(blank=True)
    currency = models.CharField(max_length=3)
    total = models.BigIntegerField()
    tax = models.BigIntegerField(default=0)
    # What it took off the invoice's amount due, and what was refunded or settled after payment.
    pre_payment_amount = models.BigIntegerField(default=0)
    post_payment_amount = models.BigIntegerField(default=0)
    # Stripe's credit-note lines (billing.einvoice.credit_notes.credit_note_line_facts).
    lines = models.JSONField(default=list, blank=True)
    created = models.DateTimeField()
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "stripe_id"], name="one_credit_note_mirror"
            )
        ]

    def __str__(self):
        return self.number or self.stripe_id
