import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, When
from django.db.models.fields.json import KT
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mspercury.models import Workspace
from mspercury.secrets import EncryptedSecret
from mspercury.texts import render


def new_webhook_token() -> str:
    return secrets.token_urlsafe(32)


class WebhookStatus(models.TextChoices):
    NONE = "none", _("Not registered")
    REGISTERED = "registered", _("Registered automatically")
    MANUAL = "manual", _("Set up by hand")
    FAILED = "failed", _("Registration failed")


class OnePerWorkspace(models.QuerySet):
    """Rows a workspace has at most one of: its Stripe connection, its push settings."""

    def for_workspace(self, workspace):
        """The workspace's row (given the workspace or its id), or None."""
        return self.filter(workspace=workspace).first()


class StripeConnection(models.Model):
    """A workspace's own Stripe account, reached with its own (restricted) key."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="stripe_connection"
    )
    key_encrypted = models.TextField(editable=False)
    key_prefix = models.CharField(max_length=8)
    key_last4 = models.CharField(max_length=4)
    key_kind = models.CharField(max_length=12)  # restricted / secret
    mode = models.CharField(max_length=4)  # test / live
    account_id = models.CharField(max_length=64, blank=True)
    account_name = models.CharField(max_length=200, blank=True)
    account_details_available = models.BooleanField(default=True)
    # Which Stripe account our stored Stripe ids (pushes, customers, products, mirror) belong to.
    # Fixed when connecting; only a key proven to belong to another account or mode changes it,
    # so learning (or losing) access to GET /v1/account never makes pushed quotes pushable again.
    account_identity = models.CharField(max_length=80, blank=True, editable=False)
    permissions = models.JSONField(default=dict, blank=True)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    last_check_error = models.TextField(blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(auto_now_add=True)
    # Webhook endpoint at Stripe, reached on our side by an unguessable path token.
    webhook_token = models.CharField(max_length=64, unique=True, default=new_webhook_token)
    webhook_status = models.CharField(
        max_length=12, choices=WebhookStatus.choices, default=WebhookStatus.NONE
    )
    webhook_endpoint_id = models.CharField(max_length=64, blank=True)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    webhook_error = models.TextField(blank=True)
    # The key may not manage webhook endpoints: the admin adds ours by hand and pastes its secret.
    webhook_needs_manual = models.BooleanField(default=False)
    webhook_registered_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    last_delivery_error = models.TextField(blank=True)
    last_delivery_error_at = models.DateTimeField(null=True, blank=True)
    last_reconciled_at = models.DateTimeField(null=True, blank=True)

    api_key = EncryptedSecret("key_encrypted")
    webhook_secret = EncryptedSecret("webhook_secret_encrypted")

    objects = OnePerWorkspace.as_manager()

    def __str__(self):
        return f"Stripe {self.mode} for {self.workspace}"

    def save(self, *args, **kwargs):
        if not self.account_identity:
            self.account_identity = self.account_id or f"conn:{self.public_id}"
        super().save(*args, **kwargs)

    def secret_binding(self) -> str:
        return str(self.public_id)

    @property
    def masked_key(self) -> str:
        return f"{self.key_prefix}…{self.key_last4}"

    @property
    def is_live(self) -> bool:
        return self.mode == "live"

    @property
    def account_ref(self) -> str:
        """The account identity used to key Stripe ids: the account id when it was known at
        connection time, otherwise this connection (see ``account_identity``)."""
        return self.account_identity or self.account_id or f"conn:{self.public_id}"

    @property
    def webhook_state(self) -> tuple[str, str]:
        """One true state of the webhook for the settings card: (tone, words).

        Set up (automatically or by hand) is not yet working: it is green only once an event
        arrived, and red again when the last delivery failed after the last event."""
        if self.webhook_status == WebhookStatus.FAILED:
            return "red", str(self.get_webhook_status_display())
        if self.webhook_status == WebhookStatus.NONE:
            return "", str(self.get_webhook_status_display())
        failing = self.last_delivery_error_at and (
            self.last_event_at is None or self.last_delivery_error_at > self.last_event_at
        )
        if failing:
            return "red", _("Set up, but the last delivery failed")
        if self.last_event_at is None:
            return "yellow", _("Set up, waiting for the first event")
        return "green", _("Receiving events")

    def webhook_url(self) -> str:
        path = reverse("integrations:stripe_webhook", args=[self.webhook_token])
        return f"{settings.MSPERCURY_PUBLIC_URL}{path}"

    def dashboard_url(self, path: str = "") -> str:
        base = "https://dashboard.stripe.com"
        if self.mode == "test":
            base += "/test"
        return f"{base}/{path.lstrip('/')}" if path else base


class StripeEvent(models.Model):
    """A webhook event exactly as Stripe sent it, stored before any processing."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    stripe_account = models.CharField(max_length=80)
    event_id = models.CharField(max_length=80)
    event_type = models.CharField(max_length=80, db_index=True)
    livemode = models.BooleanField(default=False)
    api_version = models.CharField(max_length=40, blank=True)
    created = models.DateTimeField(null=True, blank=True)  # Stripe's event time
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # When the retry task tries a failed event again (empty: not scheduled; gave up or done).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # About an object no workspace owns (made in the Stripe Dashboard for a customer nobody
    # pushed): stored and listed, marked "not ours". Another workspace's events are not kept.
    not_ours = models.BooleanField(default=False)
    # The Stripe invoice the event is about (an invoice event's object, the invoice an invoice
    # payment pays), kept by the database from the payload: the events of a burst about one
    # invoice are processed with one read of it (integrations/webhooks/coalesce.py).
    invoice_ref = models.GeneratedField(
        expression=Case(
            When(event_type__startswith="invoice.", then=KT("payload__data__object__id")),
            When(
                event_type__startswith="invoice_payment.",
                then=KT("payload__data__object__invoice"),
            ),
            default=None,
        ),
        output_field=models.CharField(max_length=255, null=True),
        db_persist=True,
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="event_retry_due"),
            models.Index(
                fields=["workspace", "stripe_account", "invoice_ref"],
                condition=Q(status__in=["received", "failed"]),
                name="event_invoice_pending",
            ),
            # The events page, newest first, whole or by status; the count of unprocessed
            # events reads only theirs.
            models.Index(fields=["workspace", "-received_at", "-id"], name="event_list"),
            models.Index(
                fields=["workspace", "status", "-received_at", "-id"], name="event_list_status"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "stripe_account", "event_id"],
                name="one_stored_event_per_workspace",
            )
        ]

    def __str__(self):
        return f"{self.event_type} {self.event_id}"


class PushSettings(models.Model):
    """How a workspace wants quotes pushed to Stripe (kept when the key changes)."""

    class QuantityMode(models.TextChoices):
        EXACT = "exact", _("Bill fractional quantities as 1 × the exact amount (recommended)")
        ROUND = "round", _("Round quantities half up, keep the unit price (changes amounts)")

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="push_settings"
    )
    stripe_tax = models.BooleanField(
        _("Stripe Tax calculates the VAT"),
        default=False,
        help_text=_("Turn on only if Stripe Tax is set up in your Stripe account."),
    )
    quantity_mode = models.CharField(
        _("fractional quantities"),
        max_length=8,
        choices=QuantityMode.choices,
        default=QuantityMode.EXACT,
    )
    skip_below_minimum = models.BooleanField(
        _("skip one-time invoices below Stripe's minimum charge"), default=False
    )
    show_zero_quantity_lines = models.BooleanField(
        _("send lines with quantity 0 to Stripe"), default=False
    )
    # With Stripe Tax off: MSPercury's VAT finds or creates the Stripe tax rate of every
    # treatment (0 % reverse charge and export too) and writes the legal wording on the invoices;
    # without it the push only uses a matching tax rate the MSP created in Stripe.
    mspercury_vat = models.BooleanField(
        _("MSPercury calculates the VAT and creates the Stripe tax rates"),
        default=False,
        help_text=_("Needs the key's permission Tax Rates: Write."),
    )
    # A workspace in a country without national VAT (US, CA) whose Stripe Tax is off charges no
    # sales tax; the pages warn until Stripe Tax is on or the MSP confirms this here.
    no_sales_tax_confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = OnePerWorkspace.as_manager()

    def __str__(self):
        return f"Push settings of {self.workspace}"


class StripeObjectMap(models.Model):
    """Which Stripe object stands for one of ours, per Stripe account and mode."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer"
        PRODUCT = "product"
        TAX_ID = "tax_id"
        TAX_RATE = "tax_rate"  # local_ref: integrations.push.tax_rates.TaxRateSpec.key

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account_ref = models.CharField(max_length=80)
    mode = models.CharField(max_length=4)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    local_ref = models.CharField(max_length=200)
    stripe_id = models.CharField(max_length=80)
    currency = models.CharField(max_length=3, blank=True)
    # SHA-256 of what the last push sent for this object: unchanged data is not sent again.
    sent_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account_ref", "mode", "kind", "local_ref"],
                name="one_stripe_object_each",
            )
        ]
        indexes = [models.Index(fields=["workspace", "kind", "local_ref"])]

    def __str__(self):
        return f"{self.kind} {self.local_ref} → {self.stripe_id}"


class PushQuerySet(models.QuerySet):
    def for_quote(self, quote, connection):
        """The quote's push to the connection's Stripe account and mode (one row at most)."""
        return self.filter(quote=quote, account_ref=connection.account_ref, mode=connection.mode)


class Push(models.Model):
    """One accepted quote sent to one Stripe account and mode; retries resume this row."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="pushes")
    quote = models.ForeignKey("quotes.Quote", on_delete=models.CASCADE, related_name="pushes")
    account_ref = models.CharField(max_length=80)
    mode = models.CharField(max_length=4)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    send_now = models.BooleanField(default=False)
    quote_revision = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    error_step = models.CharField(max_length=120, blank=True)
    error_retryable = models.BooleanField(default=False)
    runs = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What Stripe bills now, as MSPercury last wrote it (set by the push, moved on by each
    # amendment): {subscription id: {line id: [unit amount, quantity]}}, the one-time lines
    # already invoiced, and the quote revision they come from. Amendments diff against it and
    # refuse subscriptions changed in Stripe meanwhile.
    billed_items = models.JSONField(default=dict, blank=True)
    billed_one_time = models.JSONField(default=list, blank=True)
    billed_revision = models.PositiveIntegerField(default=0)

    objects = PushQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["quote", "account_ref", "mode"], name="one_push_per_quote_and_account"
            )
        ]

    def __str__(self):
        return f"Push of {self.quote} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class PushStep(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(max_length=120)
    kind = models.CharField(max_length=20)
    label = models.CharField(max_length=300)
    # The label in its reader's language (mspercury.texts): workers write in English.
    label_text = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    stripe_id = models.CharField(max_length=80, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["push", "key"], name="one_step_per_key")]

    def __str__(self):
        return f"{self.key} ({self.status})"

    @property
    def shown_label(self) -> str:
        return render(self.label_text) if self.label_text else self.label


class Amendment(models.Model):
    """A newly accepted revision of a pushed quote, applied to the subscriptions it came from."""

    STALE_AFTER = timedelta(minutes=15)

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Applied")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    class Timing(models.TextChoices):
        NOW = "always_invoice", _("Prorate now: invoice the difference at once")
        NEXT_INVOICE = "create_prorations", _("Prorate on the next invoice")
        RENEWAL = "none", _("From the next period, without proration")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="amendments")
    revision = models.PositiveIntegerField()  # the accepted revision it applies
    from_revision = models.PositiveIntegerField()
    timing = models.CharField(max_length=20, choices=Timing.choices)
    proration_date = models.BigIntegerField()  # Unix seconds: the preview's and Stripe's instant
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # What the preview showed and the apply did: per subscription its changes and prorations.
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    runs = models.PositiveIntegerField(default=0)
    # Each re-plan (new timing, new proration moment, what Stripe holds then) counts up; the
    # subscription writes of a new plan get idempotency keys of their own.
    plan = models.PositiveIntegerField(default=1)
    planned_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-revision", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["push", "revision"], name="one_amendment_per_revision")
        ]

    def __str__(self):
        return f"Amendment of {self.push.quote} to revision {self.revision} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_stale(self) -> bool:
        """Queued or running, and no worker finished it for longer than any run takes."""
        started = self.planned_at or self.created_at
        return (
            self.is_active and started is not None and (timezone.now() - started > self.STALE_AFTER)
        )

    @property
    def can_replan(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.DISCARDED) or self.is_stale


class AmendmentStep(models.Model):
    """One Stripe write of an amendment, done once (deterministic idempotency key)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    amendment = models.ForeignKey(Amendment, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(max_length=120)
    label = models.CharField(max_length=300)
    # The label in its reader's language (mspercury.texts): workers write in English.
    label_text = models.JSONField(default=dict, blank=True)
    done = models.BooleanField(default=False)
    stripe_id = models.CharField(max_length=80, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["amendment", "key"], name="one_amendment_step_per_key")
        ]

    def __str__(self):
        return f"{self.key} ({'done' if self.done else 'pending'})"

    @property
    def shown_label(self) -> str:
        return render(self.label_text) if self.label_text else self.label


class AccountingProvider(models.TextChoices):
    """The accounting tools a workspace can connect besides Stripe (their own names)."""

    LEXWARE = "lexware", "Lexware Office"
    SEVDESK = "sevdesk", "sevDesk"


class BillingProvider(models.TextChoices):
    """Where a workspace's invoices are issued."""

    STRIPE = "stripe", "Stripe"
    LEXWARE = "lexware", "Lexware Office"
    SEVDESK = "sevdesk", "sevDesk"


class AccountingConnections(models.QuerySet):
    def for_workspace(self, workspace, provider: str):
        """The workspace's connection to ``provider``, or None."""
        return self.filter(workspace=workspace, provider=provider).first()

    def of_workspace(self, workspace):
        """Every connection of the workspace (at most one per provider)."""
        return self.filter(workspace=workspace)


class AccountingConnection(models.Model):
    """A workspace's Lexware Office or sevDesk account, reached with its own API key.

    The key is stored encrypted and never shown again: the page shows its last four characters.
    The organization is what the provider answered when the key was last verified."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="accounting_connections"
    )
    provider = models.CharField(max_length=10, choices=AccountingProvider.choices)
    key_encrypted = models.TextField(editable=False)
    key_last4 = models.CharField(max_length=4)
    organization_id = models.CharField(max_length=64, blank=True)
    organization_name = models.CharField(max_length=200, blank=True)
    # What the provider said about the account when verified (Lexware: tax type, small
    # business; sevDesk: bookkeeping system version, bank accounts): shown, not yet acted on.
    facts = models.JSONField(default=dict, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    # Lexware Office: the event subscriptions MSPercury registered (their ids), pointing to a
    # callback URL with an unguessable token, of which only the SHA-256 is kept.
    callback_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    callback_status = models.CharField(
        max_length=12, choices=WebhookStatus.choices, default=WebhookStatus.NONE
    )
    callback_subscriptions = models.JSONField(default=list, blank=True)
    callback_error = models.TextField(blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    # sevDesk (no webhooks): changed invoices are polled; the next poll asks for changes since
    # ``polled_until``, and waits longer after each failure in a row (``poll_failures``).
    polled_until = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    poll_failures = models.PositiveIntegerField(default=0)
    poll_error = models.TextField(blank=True)

    api_key = EncryptedSecret("key_encrypted")

    objects = AccountingConnections.as_manager()

    class Meta:
        ordering = ["provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider"], name="one_accounting_connection_per_provider"
            )
        ]

    def __str__(self):
        return f"{self.get_provider_display()} for {self.workspace}"

    def secret_binding(self) -> str:
        return str(self.public_id)

    @property
    def key_hint(self) -> str:
        return f"…{self.key_last4}"


class BillingProviderChoice(models.Model):
    """Which provider issues the workspace's invoices; without a row, Stripe."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="billing_provider_choice"
    )
    provider = models.CharField(
        _("billing provider"),
        max_length=10,
        choices=BillingProvider.choices,
        default=BillingProvider.STRIPE,
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    objects = OnePerWorkspace.as_manager()

    def __str__(self):
        return f"{self.get_provider_display()} bills for {self.workspace}"


class AccountingEvent(models.Model):
    """A Lexware Office event callback exactly as received (after its signature was verified),
    stored once by the digest of its body, then processed in a task."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(
        AccountingConnection, on_delete=models.CASCADE, related_name="events"
    )
    digest = models.CharField(max_length=64)
    event_type = models.CharField(max_length=60)
    resource_id = models.CharField(max_length=80)
    event_date = models.CharField(max_length=40, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "digest"], name="one_stored_accounting_event"
            )
        ]

    def __str__(self):
        return f"{self.event_type} {self.resource_id}"
