import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Project
from mspercury.models import CURRENCY_CHOICES, Workspace


class BillingPeriod(models.TextChoices):
    ONE_TIME = "one_time", _("One-time")
    MONTHLY = "monthly", _("Monthly")
    YEARLY = "yearly", _("Yearly")


class Unit(models.TextChoices):
    WORKSTATION = "workstation", _("Workstation")
    SERVER = "server", _("Server")
    USER = "user", _("User")
    HOUR = "hour", _("Hour")
    UNIT = "unit", _("Unit")


MONEY = {"max_digits": 12, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


class Service(models.Model):
    """A catalog item. Quotes copy its data into lines, so edits here never change a quote."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices, default=Unit.UNIT)
    billing_period = models.CharField(
        _("billing period"),
        max_length=10,
        choices=BillingPeriod.choices,
        default=BillingPeriod.MONTHLY,
    )
    unit_price = models.DecimalField(_("net unit price"), validators=NON_NEGATIVE, **MONEY)
    cost_price = models.DecimalField(
        _("cost price"), null=True, blank=True, validators=NON_NEGATIVE, **MONEY
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class QuantityRule(models.TextChoices):
    FIXED = "fixed", _("Fixed quantity")
    PER_WORKSTATION = "per_workstation", _("Per workstation")
    PER_SERVER = "per_server", _("Per server")
    PER_USER = "per_user", _("Per user")


class PackageTemplate(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="packages")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default package"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"], condition=Q(is_default=True), name="one_default_package"
            )
        ]

    def __str__(self):
        return self.name


class PackageItem(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    package = models.ForeignKey(PackageTemplate, on_delete=models.CASCADE, related_name="items")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="package_items")
    rule = models.CharField(
        _("quantity rule"), max_length=20, choices=QuantityRule.choices, default=QuantityRule.FIXED
    )
    # For "fixed" the quantity itself; for per_* rules a multiplier of the project's count.
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("1"),
        validators=NON_NEGATIVE,
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.package}: {self.service}"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")


class QuoteNumberCounter(models.Model):
    """Per workspace and year, the last number handed out; locked row keeps numbering gapless."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "year"], name="one_counter_per_year")
        ]

    def __str__(self):
        return f"{self.workspace_id}/{self.year}: {self.last_number}"


class Quote(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="quotes")
    number = models.CharField(_("number"), max_length=20)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="quotes")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    intro = models.TextField(_("introduction"), blank=True)
    closing = models.TextField(_("closing text"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    # Bumped on every change to the quote or its lines; acceptance records which revision.
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="unique_quote_number")
        ]
        indexes = [
            models.Index(fields=["workspace", "status"]),
            models.Index(fields=["workspace", "-created_at", "-id"], name="quote_list"),
        ]

    def __str__(self):
        return self.number


class QuoteLine(models.Model):
    """A snapshot of a service (or an ad-hoc item) on a quote."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=2, validators=NON_NEGATIVE
    )
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices, default=Unit.UNIT)
    unit_price = models.DecimalField(_("net unit price"), validators=NON_NEGATIVE, **MONEY)
    cost_price = models.DecimalField(
        _("cost price"), null=True, blank=True, validators=NON_NEGATIVE, **MONEY
    )
    billing_period = models.CharField(
        _("billing period"),
        max_length=10,
        choices=BillingPeriod.choices,
        default=BillingPeriod.MONTHLY,
    )
    discount_percent = models.DecimalField(
        _("discount %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.description


class QuoteAcceptance(models.Model):
    """The record of acceptance, with the frozen version the customer saw and accepted."""

    class Via(models.TextChoices):
        SHARE_PAGE = "share_page", _("Share page")
        MANUAL = "manual", _("Marked accepted by staff")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    quote = models.OneToOneField(Quote, on_delete=models.CASCADE, related_name="acceptance")
    via = models.CharField(max_length=12, choices=Via.choices)
    name = models.CharField(_("name"), max_length=200)
    accepted_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    revision = models.PositiveIntegerField()
    # The exact document shown (canonical JSON of the quote) and its SHA-256.
    snapshot = models.JSONField()
    document_sha256 = models.CharField(max_length=64)

    def __str__(self):
        return f"Acceptance of {self.quote}"


class RevisionAcceptance(models.Model):
    """A later revision of an accepted quote, accepted again on a re-acceptance link.

    The first ``QuoteAcceptance`` stays the original record; each re-acceptance freezes the
    document of its own revision the same way."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="reacceptances")
    link = models.ForeignKey(
        "ShareLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    accepted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    previous_revision = models.PositiveIntegerField()
    revision = models.PositiveIntegerField()
    snapshot = models.JSONField()
    document_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["quote", "revision"], name="one_reacceptance_per_revision"
            )
        ]

    def __str__(self):
        return f"Re-acceptance of {self.quote} revision {self.revision}"


class ShareLink(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    # A link asking the customer to accept an edited revision of an accepted quote: the revision
    # they last accepted, which the page shows the changes since.
    reaccept_since = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Share link for {self.quote}"


# Models kept in modules of their own topic; importing them here registers them with the app.
from quotes.assessments.models import (  # noqa: E402, F401
    Assessment,
    AssessmentAnswer,
    AssessmentCategory,
    AssessmentQuestion,
    AssessmentReport,
    AssessmentStatus,
    Finding,
    FindingStatus,
    Severity,
)
from quotes.pdf_models import DocumentKind, DocumentStatus, QuoteDocument  # noqa: E402, F401
