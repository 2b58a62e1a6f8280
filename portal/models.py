"""The client portal's tokens: single-use sign-in links and durable pay links.

Both are 256-bit random tokens shown once (in an email) and stored only as SHA-256 hashes.
"""

import uuid

from django.db import models
from django.utils import timezone

from customers.models import Customer
from mspercury.models import Workspace


class PortalLogin(models.Model):
    """A sign-in link sent to one of a customer's email addresses: single use, 20 minutes."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Portal sign-in for {self.email}"

    @property
    def usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class PayLink(models.Model):
    """A link that pays one invoice for as long as the MSP's payment settings say: each click
    asks Stripe for a fresh payment page for what is still due."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(
        "billing.StripeInvoice", on_delete=models.CASCADE, related_name="pay_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=12, default="email")  # email | reminder
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Pay link for {self.invoice}"

    def state(self, now=None) -> str:
        now = now or timezone.now()
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"
