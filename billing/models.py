import uuid

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from mspercury.models import Workspace


class ExternalStatus(models.TextChoices):
    """Invoice states as Metronome reports them from Stripe's webhooks."""

    NONE = "", _("Draft")
    FINALIZED = "FINALIZED", _("Finalized")
    PAID = "PAID", _("Paid")
    PAYMENT_FAILED = "PAYMENT_FAILED", _("Payment failed")
    VOID = "VOID", _("Void")
    UNCOLLECTIBLE = "UNCOLLECTIBLE", _("Uncollectible")
    DELETED = "DELETED", _("Deleted")


class Ownership(models.TextChoices):
    """Whose a mirrored Stripe object is, for the workspace whose row it is.

    Another workspace's objects are never stored; nobody's (made in the Stripe Dashboard for a
    customer no workspace knows) are kept apart; unverified rows predate the rule and wait for
    reconciliation to re-read them. Only ours are shown as a customer's invoices or revenue."""

    OURS = "ours", _("Ours")
    UNLINKED = "unlinked", _("Unlinked in Stripe")
    UNVERIFIED = "unverified", _("Not verified yet")


class PaymentStatus(models.TextChoices):
    """What the customer still owes, derived by billing.payments.settle (Stripe's draft, void,
    uncollectible and deleted stay visible as they are)."""

    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")
    UNCOLLECTIBLE = "uncollectible", _("Uncollectible")
    DELETED = "deleted", _("Deleted")


class Provider(models.TextChoices):
    """Who issued an invoice: the workspace's Stripe account, or (MSPercury running the
    contract itself) its accounting tool."""

    STRIPE = "stripe", "Stripe"
    LEXWARE = "lexware", "Lexware Office"
    SEVDESK = "sevdesk", "sevDesk"


class StripeInvoice(models.Model):
    """The ledger's record of one provider invoice (amounts in minor units): an invoice in the
    workspace's Stripe account, or one MSPercury issued in its Lexware Office or sevDesk.

    ``stripe_id`` holds the provider's own id (``external_id``); ``account_ref`` the account it
    lives in (Stripe account, Lexware organization, sevDesk client). ``Invoice`` is the same
    model under its provider-neutral name."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        VOID = "void", _("Void")
        UNCOLLECTIBLE = "uncollectible", _("Uncollectible")
        DELETED = "deleted", _("Deleted")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invoices")
    account_ref = models.CharField(max_length=80)
    livemode = models.BooleanField(default=False)
    provider = models.CharField(max_length=10, choices=Provider.choices, default=Provider.STRIPE)
    stripe_id = models.CharField(max_length=80)
    number = models.CharField(max_length=80, blank=True)
    stripe_customer_id = models.CharField(max_length=80, blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    quote = models.ForeignKey(
        "quotes.Quote", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    subscription_id = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=14, choices=Status.choices)
    external_status = models.CharField(
        max_length=16, choices=ExternalStatus.choices, blank=True, default=""
    )
    currency = models.CharField(max_length=3)
    total = models.BigIntegerField(default=0)
    tax = models.BigIntegerField(default=0)
    amount_due = models.BigIntegerField(default=0)
    amount_paid = models.BigIntegerField(default=0)
    amount_remaining = models.BigIntegerField(default=0)
    attempt_count = models.PositiveIntegerField(default=0)
    billing_reason = models.CharField(max_length=40, blank=True)
    created = models.DateTimeField(null=True, blank=True)
    # When Stripe issued it: its ``effective_at`` (the finalization, unless the MSP set a date
    # of issue), else status_transitions.finalized_at. The issue date (BT-2, DATEV's
    # Belegdatum, §14 Abs. 4 Nr. 3 UStG) is its local date, never ``created``'s.
    finalized_at = models.DateTimeField(null=True, blank=True)
    # When Stripe voided it (status_transitions.voided_at): the VAT return counts the void then,
    # as a correction of the period it happens in (§17 Abs. 1 S. 8 UStG).
    voided_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateTimeField(null=True, blank=True)
    # The service period the invoice states (BT-73/BT-74, §14 Abs. 4 Nr. 6 UStG) where the
    # provider keeps one per invoice (Lexware, sevDesk); Stripe's are per line.
    service_start = models.DateField(null=True, blank=True)
    service_end = models.DateField(null=True, blank=True)
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    invoice_pdf = models.URLField(max_length=500, blank=True)
    ownership = models.CharField(max_length=10, choices=Ownership.choices, default=Ownership.OURS)
    # Derived from our payments by billing.payments.settle, never written elsewhere.
    payment_status = models.CharField(
        max_length=14, choices=PaymentStatus.choices, blank=True, default=""
    )
    # The status the invoices list filters by: the ledger's, else (rows it has not settled
    # yet) Stripe's. Stored by the database, so that a plain equality (which row-level
    # security lets an index answer) finds it through the invoice_list_status index.
    listed_status = models.GeneratedField(
        expression=Coalesce(NullIf("payment_status", Value("")), "status"),
        output_field=models.CharField(max_length=14),
        db_persist=True,
    )
    amount_settled = models.BigIntegerField(default=0)
    amount_credited = models.BigIntegerField(default=0)
    # Stripe's invoice lines as last read (billing.mirror.line_facts): e-invoices, evidence and
    # reports explain the totals line by line from them.
    lines = models.JSONField(default=list, blank=True)
    # When staff last asked for a pay link reminder (portal.reminders); one per hour at most.
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # When the invoice email of an accounting tool's invoice went out (portal.emails): once.
    emailed_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "account_ref", "stripe_id"],
                name="one_invoice_mirror",
            )
        ]
        # The invoices list pages by (created, id), newest first, within a workspace, filtered
        # by customer or shown status. The trigram index on UPPER(number) for the search is
        # PostgreSQL's only (migration 0017), outside the model state.
        indexes = [
            models.Index(fields=["workspace", "status", "created"]),
            models.Index(fields=["workspace", "ownership", "-created", "-id"], name="invoice_list"),
            models.Index(
                fields=["workspace", "customer", "-created", "-id"], name="invoice_list_customer"
            ),
            models.Index(
                fields=["workspace", "listed_status", "-created", "-id"], name="invoice_list_status"
            ),
            # The reports' periods: issued (finalized, else created) and voided in a period.
            models.Index(fields=["workspace", "finalized_at"], name="invoice_finalized_idx"),
            models.Index(
                fields=["workspace", "created"],
                condition=models.Q(finalized_at__isnull=True),
                name="invoice_unfinalized_idx",
            ),
            models.Index(
                fields=["workspace", "voided_at"],
                condition=models.Q(status="void"),
                name="invoice_voided_idx",
            ),
            models.Index(
                fields=["workspace", "synced_at"],
                condition=models.Q(status="void", voided_at__isnull=True),
                name="invoice_void_unstamped_idx",
            ),
        ]

    def __str__(self):
        return self.number or self.stripe_id

    @property
    def external_id(self) -> str:
        return self.stripe_id

    @property
    def from_stripe(self) -> bool:
        return self.provider == Provider.STRIPE

    @property
    def shown_status(self) -> tuple[str, str]:
        """One status for people (label, pill colour): Stripe's, unless a failed payment on an
        open invoice says more."""
        failed = ExternalStatus.PAYMENT_FAILED
        if self.status == self.Status.OPEN and self.external_status == failed:
            return failed.label, "red"
        tone = {
            self.Status.PAID: "green",
            self.Status.OPEN: "yellow",
            self.Status.UNCOLLECTIBLE: "red",
        }.get(self.status, "")
        return self.get_status_display(), tone

    @property
    def issued_at(self):
        """When it was issued: finalized, else (rows mirrored before that was kept) created."""
        return self.finalized_at or self.created

    @property
    def issued_on(self):
        """The issue date: the local date in the workspace's zone of its finalization."""
        from mspercury.localtime import local_date

        return local_date(self.workspace, self.issued_at)

    @property
    def balance_due(self) -> int:
        """What the customer still owes by our ledger (total less credit notes and payments)."""
        if self.status in (self.Status.VOID, self.Status.DELETED, self.Status.DRAFT):
            return 0
        return max(0, self.total - self.amount_credited - self.amount_settled)

    @property
    def paid_shown(self) -> int:
        """Paid by our ledger, or Stripe's figure for rows the ledger has not settled yet."""
        return self.amount_settled if self.payment_status else self.amount_paid

    @property
    def due_shown(self) -> int:
        return self.balance_due if self.payment_status else self.amount_remaining

    @property
    def payment_pill(self) -> tuple[str, str]:
        """Paid / Partially paid / Open (or Stripe's other states) with its pill colour."""
        status = self.payment_status or self.status
        if status == PaymentStatus.OPEN and self.status == self.Status.OPEN:
            return self.shown_status  # a failed payment says more than "Open"
        tone = {
            PaymentStatus.PAID: "green",
            PaymentStatus.PARTIALLY_PAID: "blue",
            PaymentStatus.OPEN: "yellow",
            PaymentStatus.UNCOLLECTIBLE: "red",
        }.get(status, "")
        return PaymentStatus(status).label if status in PaymentStatus.values else status, tone


# The provider-neutral name of the ledger's invoice.
Invoice = StripeInvoice


class StripeSubscription(models.Model):
    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", _("Incomplete")
        INCOMPLETE_EXPIRED = "incomplete_expired", _("Incomplete, expired")
        TRIALING = "trialing", _("Trialing")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        UNPAID = "unpaid", _("Unpaid")
        CANCELED = "canceled", _("Canceled")
        PAUSED = "paused", _("Paused")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="subscriptions")
    account_ref = models.CharField(max_length=80)
    livemode = models.BooleanField(default=False)
    stripe_id = models.CharField(max_length=80)
    stripe_customer_id = models.CharField(max_length=80, blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    quote = models.ForeignKey(
        "quotes.Quote",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscriptions",
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    interval = models.CharField(max_length=8, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    items = models.JSONField(default=list, blank=True)
    amount = models.BigIntegerField(default=0)  # per interval, minor units
    cancel_at_period_end = models.BooleanField(default=False)
    cancel_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(null=True, blank=True)
    ownership = models.CharField(max_length=10, choices=Ownership.choices, default=Ownership.OURS)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account_ref", "stripe_id"], name="one_subscription_mirror"
            )
        ]

    def __str__(self):
        return self.stripe_id


class MrrMovement(models.Model):
    """One change of MRR: a subscription started (new), grew or shrank (expansion,
    contraction: an amendment changed its amount) or ended (churn). A subscription's movements
    sum to its monthly amount while it runs, and to zero once it ended."""

    class Kind(models.TextChoices):
        NEW = "new", _("New")
        EXPANSION = "expansion", _("Expansion")
        CONTRACTION = "contraction", _("Contraction")
        CHURN = "churn", _("Churned")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        StripeSubscription, on_delete=models.CASCADE, related_name="movements"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    month = models.DateField()  # first day of the month it happened in
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=14, decimal_places=4)  # signed monthly amount
    happened_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "kind"],
                condition=models.Q(kind__in=["new", "churn"]),
                name="one_movement_each",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.amount} {self.currency}"


class Payment(models.Model):
    """One movement of money against an invoice, recorded once (billing.payments.record_payment).

    Amounts are minor units; refunds and credit notes are negative."""

    class Source(models.TextChoices):
        STRIPE = "stripe", _("Stripe")
        MANUAL = "manual", _("Manual")
        REFUND = "refund", _("Refund")
        CREDIT_NOTE = "credit_note", _("Credit note")
        # Read back from the accounting tool that issued the invoice (Lexware Office, sevDesk).
        ACCOUNTING = "accounting", _("Accounting tool")

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        SEPA_DEBIT = "sepa_debit", _("SEPA Direct Debit")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CHEQUE = "cheque", _("Cheque")
        CASH = "cash", _("Cash")
        OTHER = "other", _("Other")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="payments")
    invoice = models.ForeignKey(StripeInvoice, on_delete=models.CASCADE, related_name="payments")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    source = models.CharField(max_length=12, choices=Source.choices)
    # inpay_…, pi_…, re_…, cn_…, "manual:<uuid>": the same money is never recorded twice.
    provider_id = models.CharField(max_length=120)
    # The Stripe payment behind it (pi_…, or a payment record for a manual one): one money, once.
    payment_intent = models.CharField(max_length=80, blank=True)
    method = models.CharField(max_length=14, choices=Method.choices, blank=True)
    reference = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)
    paid_at = models.DateTimeField()
    # Whether the invoice's provider holds this payment too: Stripe for a Stripe invoice, the
    # accounting tool (Lexware Office, sevDesk) for one it issued. False: only MSPercury has it.
    recorded_in_stripe = models.BooleanField(default=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider_id"], name="one_payment_per_provider_id"
            )
        ]
        indexes = [
            # The reports' periods: money paid, or voided, in a period.
            models.Index(fields=["workspace", "paid_at"], name="payment_paid_idx"),
            models.Index(
                fields=["workspace", "voided_at"],
                condition=models.Q(voided_at__isnull=False),
                name="payment_voided_idx",
            ),
        ]

    def __str__(self):
        return f"{self.provider_id} {self.amount} {self.currency}"

    @property
    def counts(self) -> bool:
        return self.voided_at is None


LINK_LIFETIME_CHOICES = [24, 48, 72, 168, 336, 720]
MAX_LINK_LIFETIME_HOURS = 720


def validate_link_lifetime(value: int) -> None:
    from django.core.exceptions import ValidationError

    if not 1 <= value <= MAX_LINK_LIFETIME_HOURS:
        raise ValidationError(
            _("A pay link lives between 1 and %(max)s hours.") % {"max": MAX_LINK_LIFETIME_HOURS}
        )


class PaymentPage(models.TextChoices):
    """Where a pay link sends the customer: Stripe's hosted invoice page, or a Checkout Session
    (card and, in euros, SEPA Direct Debit) whose payment is attached to the invoice."""

    INVOICE_PAGE = "invoice_page", _("Stripe's invoice page")
    CHECKOUT = "checkout", _("Stripe Checkout (card, and SEPA Direct Debit in euros)")


class PaymentSettings(models.Model):
    """How a workspace's customers are asked to pay and told they did."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="payment_settings"
    )
    link_lifetime_hours = models.PositiveIntegerField(
        default=168, validators=[validate_link_lifetime]
    )
    include_pay_links = models.BooleanField(default=True)
    send_confirmations = models.BooleanField(default=True)
    payment_page = models.CharField(
        max_length=12, choices=PaymentPage.choices, default=PaymentPage.INVOICE_PAGE
    )

    def __str__(self):
        return f"payment settings of {self.workspace_id}"

    @classmethod
    def for_workspace(cls, workspace) -> "PaymentSettings":
        """The stored settings, or the defaults (unsaved) when the workspace never chose."""
        pk = getattr(workspace, "pk", workspace)
        return cls.objects.filter(workspace_id=pk).first() or cls(workspace_id=pk)


class Interval(models.TextChoices):
    """How often a contract line bills (billing.schedule's intervals)."""

    ONCE = "once", _("One-time")
    MONTH = "month", _("Monthly")
    YEAR = "year", _("Yearly")


class Contract(models.Model):
    """An accepted quote MSPercury bills itself, period by period, in the workspace's accounting
    tool (Lexware Office, sevDesk): neither API creates recurring invoices (both expose their
    recurring templates read-only), so the schedule lives here (billing.schedule)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contracts")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contracts")
    quote = models.ForeignKey("quotes.Quote", on_delete=models.PROTECT, related_name="contracts")
    quote_revision = models.PositiveIntegerField(default=1)
    provider = models.CharField(max_length=10, choices=Provider.choices)
    currency = models.CharField(max_length=3)
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # The customer in the provider: Lexware's contact id, sevDesk's Contact id.
    contact_id = models.CharField(max_length=64, blank=True)
    # The VAT as the quote decided it (rules.tax.TaxDecision) and what the mentions need.
    tax_treatment = models.CharField(max_length=20)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    tax_rate_country = models.CharField(max_length=2, blank=True)
    supplier_vat_id = models.CharField(max_length=40, blank=True)
    customer_vat_id = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=10, blank=True)
    days_until_due = models.PositiveSmallIntegerField(default=14)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "quote", "provider"], name="one_contract_per_quote"
            )
        ]

    def __str__(self):
        return f"Contract {self.public_id} ({self.get_provider_display()})"


class ContractLine(models.Model):
    """One line of a contract as the quote priced it. Quantities keep their decimals; a
    revision closes a line (``effective_until``) and adds its successor (``effective_from``)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    quote_line_ref = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=500)
    unit = models.CharField(max_length=16, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=4)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    interval = models.CharField(max_length=5, choices=Interval.choices)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    effective_from = models.DateField(null=True, blank=True)
    effective_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.description


class ContractInvoice(models.Model):
    """One invoice of one contract and period: the exactly-once anchor. The row exists before
    the provider is called; the reference MSPercury writes into the provider's invoice finds it
    again after a lost answer."""

    class Kind(models.TextChoices):
        PERIOD = "period", _("Period")
        PRORATED = "prorated", _("Prorated change")

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ISSUING = "issuing", _("Issuing")
        ISSUED = "issued", _("Issued")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="invoices")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERIOD)
    period_start = models.DateField()
    period_end = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PLANNED)
    reference = models.CharField(max_length=80, unique=True)
    # A one-off prorated invoice's lines as previewed (billing.schedule.revise); period invoices
    # are planned from the contract's lines instead.
    lines = models.JSONField(default=list, blank=True)
    external_id = models.CharField(max_length=64, blank=True)
    number = models.CharField(max_length=64, blank=True)
    invoice = models.ForeignKey(
        StripeInvoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when a worker took it to issue
    # A previous attempt's write may have reached the provider: look before creating again.
    may_have_landed = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["period_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period_start", "kind"], name="one_invoice_per_period"
            )
        ]
        indexes = [models.Index(fields=["workspace", "state"], name="contract_invoice_state")]

    def __str__(self):
        return self.reference


class BillingRun(models.Model):
    """The month's run over a workspace's contracts: its progress, and a pause staff can set."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Done")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month it runs for
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "month"], name="one_billing_run_per_month")
        ]

    def __str__(self):
        return f"Billing run {self.month:%Y-%m}"
