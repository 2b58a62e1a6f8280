import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from mspercury.models import Workspace


class VatIdStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid")
    UNCONFIRMED = "unconfirmed", _("Not confirmed yet")


class VatIdValidation(models.Model):
    """One VIES consultation of a customer's EU VAT ID.

    Created unconfirmed when a check starts; VIES's errors leave it unconfirmed (attempts,
    error_code, next_retry_at) and the background retries update the same row until VIES gives
    a verdict. A valid or invalid row is then frozen: the evidence of what VIES answered, when,
    to which requester, under which consultation number. It stays in force until expires_at
    (checked_at + MSPERCURY_VIES_REUSE_DAYS at the time of the answer).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="vat_id_validations"
    )
    # The VAT ID as VIES knows it: member-state code (EL for Greece) and the number without it.
    country = models.CharField(max_length=2)
    number = models.CharField(max_length=20)
    status = models.CharField(
        max_length=12, choices=VatIdStatus.choices, default=VatIdStatus.UNCONFIRMED
    )
    # VIES's requestIdentifier: only issued when the requester (the MSP's own VAT ID) is sent.
    consultation_number = models.CharField(max_length=64, blank=True)
    requester_country = models.CharField(max_length=2, blank=True)
    requester_number = models.CharField(max_length=20, blank=True)
    # What VIES returned ("" where the member state discloses nothing, VIES's "---").
    name = models.TextField(blank=True)
    address = models.TextField(blank=True)
    request_date = models.DateTimeField(null=True, blank=True)  # VIES's requestDate
    raw_response = models.JSONField(default=dict, blank=True)
    requested_at = models.DateTimeField()  # when this check started
    checked_at = models.DateTimeField(null=True, blank=True)  # the last answer (or failure)
    expires_at = models.DateTimeField(null=True, blank=True)  # valid/invalid rows only
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=20, blank=True)  # manual, schedule, push, ...

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "country", "number", "-checked_at"]),
            models.Index(fields=["workspace", "status", "next_retry_at"]),
        ]
        constraints = [
            # At most one open (unconfirmed) check per customer and VAT ID: retries update it.
            models.UniqueConstraint(
                fields=["customer", "country", "number"],
                condition=Q(status="unconfirmed"),
                name="vatids_one_open_check",
            ),
        ]

    def __str__(self):
        return f"{self.country}{self.number}: {self.status}"

    @property
    def vat_id(self) -> str:
        return f"{self.country}{self.number}"

    @property
    def is_confirmed(self) -> bool:
        return self.status != VatIdStatus.UNCONFIRMED
