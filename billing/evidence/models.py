"""Evidence records of issued invoices (DESIGN.md, "Money in, money out"): one Supply per line
of a finalized Stripe invoice with its service period, its Evidence of the place of supply
(completed once when payment facts arrive), and the Reductions (refunds, credit notes) shared
over the supplies. Written by billing.evidence.services; the VAT return reads these and the
payments of their invoices."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models import Payment, StripeInvoice
from customers.models import Customer
from customers.vatids.models import VatIdValidation
from mspercury.models import Workspace


class ImmutableRecord(Exception):
    """Evidence records are written once; only their refunded amounts move."""


class Supply(models.Model):
    """One issued invoice line as the tax advisor books it: net and VAT in minor units, the rate
    and treatment it was invoiced with, where it was supplied, its service period and the day
    the service was performed (a subscription period is its own Teilleistung, performed on its
    last day, §13 Abs. 1 Nr. 1 a S. 2-3 UStG)."""

    class RateSource(models.TextChoices):
        TAX_RATE = "tax_rate", _("MSPercury's tax rate on the invoice")
        DECIDED = "decided", _("Decided again for the invoice date")

    MUTABLE = frozenset({"refunded_net", "refunded_tax"})
    # Set once, with the payment evidence (Evidence.complete).
    EVIDENCE = frozenset({"place_of_supply", "conflict"})

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
    treatment = models.CharField(max_length=20)  # rules.tax.TaxTreatment
    rate_source = models.CharField(max_length=10, choices=RateSource.choices)
    place_of_supply = models.CharField(max_length=2, blank=True)
    supplied_on = models.DateField()  # the invoice's issue date, in the workspace's zone
    # The service period (local dates, end inclusive) and the day it was performed.
    service_start = models.DateField(null=True, blank=True)
    service_end = models.DateField(null=True, blank=True)
    performed_on = models.DateField(null=True, blank=True)
    goods = models.BooleanField(default=False)  # a supply of goods (Kz 41/43), not a service
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
        indexes = [
            models.Index(fields=["workspace", "supplied_on"]),
            models.Index(fields=["workspace", "performed_on"]),
        ]

    def __str__(self):
        return f"{self.invoice} {self.line_id}: {self.net} {self.currency}"

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        allowed = self.MUTABLE | self.EVIDENCE
        if self.pk and not self._state.adding and not (fields and set(fields) <= allowed):
            raise ImmutableRecord(f"supply {self.pk} is written once")
        super().save(*args, **kwargs)

    @property
    def gross(self) -> int:
        return self.net + self.tax

    @property
    def performed(self):
        return self.performed_on or self.supplied_on

    @property
    def confirmed_reverse_charge(self) -> bool:
        """Reverse charge with a valid VIES answer in force: the VAT ID's country places it."""
        return self.treatment == "reverse_charge" and not self.unconfirmed_vat_id

    @property
    def flagged(self) -> bool:
        """What the MSP can act on: reverse charge without a valid VIES answer, or evidence
        items that disagree where they decide the place. They decide it only for a customer
        without a VAT ID (B2C, Art. 24a-24f Impl. Reg. 282/2011); a business's place is its
        establishment (§3a Abs. 2 UStG), which its VAT ID names, whatever card it pays with."""
        if self.unconfirmed_vat_id:
            return True
        return self.conflict and not self.customer_vat_id and not self.confirmed_reverse_charge


class Evidence(models.Model):
    """The items that place a supply (Art. 24f Impl. Reg. 282/2011 (a)–(c)), and the result.

    Written at finalization (billing address); the payment items (card/bank country, IP) are
    completed once when the payment arrives and never changed after."""

    PAYMENT_ITEMS = frozenset(
        {
            "bank_country",
            "bank_source",
            "ip_country",
            "ip_source",
            "decided_country",
            "completed_at",
        }
    )

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    supply = models.OneToOneField(Supply, on_delete=models.CASCADE, related_name="evidence")
    billing_country = models.CharField(max_length=2, blank=True)  # the customer's address
    bank_country = models.CharField(max_length=2, blank=True)
    bank_source = models.CharField(max_length=40, blank=True)  # card, sepa_debit (and its pi_)
    ip_country = models.CharField(max_length=2, blank=True)
    ip_source = models.CharField(max_length=40, blank=True)  # invoice or customer metadata
    decided_country = models.CharField(max_length=2, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)  # payment items filled in

    def __str__(self):
        return f"evidence of {self.supply_id}: {self.decided_country}"

    def save(self, *args, **kwargs):
        if self.pk and not self._state.adding and not self._completing(kwargs):
            raise ImmutableRecord(f"evidence {self.pk} is written once")
        super().save(*args, **kwargs)

    def _completing(self, kwargs) -> bool:
        """The one allowed change: payment items filled in while the stored row has none."""
        fields = set(kwargs.get("update_fields") or ())
        if not fields or not fields <= self.PAYMENT_ITEMS or self.completed_at is None:
            return False
        return Evidence.objects.filter(pk=self.pk, completed_at__isnull=True).exists()


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
