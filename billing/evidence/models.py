"""Evidence records of paid invoices (DESIGN.md, "Money in, money out"): one Supply per paid
Stripe invoice line, its Evidence of the place of supply, and the Reductions (refunds, credit
notes) that lower it. Written once by billing.evidence.services; VAT reports read only these."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models import Payment, StripeInvoice
from billing.vatids.models import VatIdValidation
from customers.models import Customer
from mspercury.models import Workspace


class ImmutableRecord(Exception):
    """Evidence records are written once; only their refunded amounts move."""


class Supply(models.Model):
    """One paid invoice line as the tax advisor books it: net and VAT in minor units, the rate
    and treatment it was invoiced with, where it was supplied, and on which day."""

    class RateSource(models.TextChoices):
        TAX_RATE = "tax_rate", _("MSPercury's tax rate on the invoice")
        DECIDED = "decided", _("Decided again for the invoice date")

    MUTABLE = frozenset({"refunded_net", "refunded_tax"})

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(StripeInvoice, on_delete=models.CASCADE, related_name="supplies")
    line_id = models.CharField(max_length=80)  # Stripe's invoice line id (il_…)
    description = models.CharField(max_length=500, blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer_vat_id = models.CharField(max_length=40, blank=True)  # as invoiced
    currency = models.CharField(max_length=3)
    net = models.BigIntegerField()  # the line's amount less its discounts
    tax = models.BigIntegerField()
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    treatment = models.CharField(max_length=20)  # billing.tax.TaxTreatment
    rate_source = models.CharField(max_length=10, choices=RateSource.choices)
    place_of_supply = models.CharField(max_length=2, blank=True)
    supplied_on = models.DateField()  # the invoice date, in Germany's time zone
    vat_validation = models.ForeignKey(
        VatIdValidation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conflict = models.BooleanField(default=False)  # the evidence items disagree
    # Reverse charge without a valid VIES answer in force on the supply date.
    unconfirmed_vat_id = models.BooleanField(default=False)
    refunded_net = models.BigIntegerField(default=0)
    refunded_tax = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["supplied_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "line_id"], name="one_supply_per_line")
        ]
        indexes = [models.Index(fields=["workspace", "supplied_on"])]

    def __str__(self):
        return f"{self.invoice} {self.line_id}: {self.net} {self.currency}"

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        if self.pk and not self._state.adding and not (fields and set(fields) <= self.MUTABLE):
            raise ImmutableRecord(f"supply {self.pk} is written once")
        super().save(*args, **kwargs)

    @property
    def gross(self) -> int:
        return self.net + self.tax

    @property
    def flagged(self) -> bool:
        return self.conflict or self.unconfirmed_vat_id


class Evidence(models.Model):
    """The items that place a supply (Art. 24f Impl. Reg. 282/2011 (a)–(c)), and the result."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    supply = models.OneToOneField(Supply, on_delete=models.CASCADE, related_name="evidence")
    billing_country = models.CharField(max_length=2, blank=True)  # the customer's address
    bank_country = models.CharField(max_length=2, blank=True)
    bank_source = models.CharField(max_length=40, blank=True)  # card, sepa_debit (and its pi_)
    ip_country = models.CharField(max_length=2, blank=True)
    ip_source = models.CharField(max_length=40, blank=True)  # invoice or customer metadata
    decided_country = models.CharField(max_length=2, blank=True)

    def __str__(self):
        return f"evidence of {self.supply_id}: {self.decided_country}"

    def save(self, *args, **kwargs):
        if self.pk and not self._state.adding:
            raise ImmutableRecord(f"evidence {self.pk} is written once")
        super().save(*args, **kwargs)


class Reduction(models.Model):
    """A supply's share of a refund or credit note (negative Payment), once per payment.

    A refund that a credit note already explains (the note's refunds) is kept, superseded, so
    the same money back never lowers the supply twice."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    supply = models.ForeignKey(Supply, on_delete=models.CASCADE, related_name="reductions")
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="+")
    net = models.BigIntegerField()  # positive: what the supply is lowered by
    tax = models.BigIntegerField()
    reduced_on = models.DateField()
    covers = models.JSONField(default=list, blank=True)  # refund ids a credit note refunded
    superseded = models.BooleanField(default=False)

    class Meta:
        ordering = ["reduced_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["supply", "payment"], name="one_reduction_each")
        ]

    def __str__(self):
        return f"{self.payment_id} → {self.supply_id}: {self.net}+{self.tax}"
