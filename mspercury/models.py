import hashlib
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from mspercury.secrets import EncryptedSecret
from mspercury.texts import render
from rules.taxids import TaxIdType

CURRENCY_CHOICES = [
    ("EUR", _("EUR – Euro")),
    ("USD", _("USD – US dollar")),
    ("GBP", _("GBP – Pound sterling")),
    ("CHF", _("CHF – Swiss franc")),
    ("CAD", _("CAD – Canadian dollar")),
    ("AUD", _("AUD – Australian dollar")),
    ("SEK", _("SEK – Swedish krona")),
    ("DKK", _("DKK – Danish krone")),
    ("NOK", _("NOK – Norwegian krone")),
    ("PLN", _("PLN – Polish złoty")),
    ("CZK", _("CZK – Czech koruna")),
]


class VatTaxation(models.TextChoices):
    AGREED = "agreed", _("On agreed amounts (Soll, the default)")
    RECEIVED = "received", _("On amounts received (Ist, §20 UStG, with the tax office's consent)")


UI_LANGUAGES = [("en", _("English")), ("de", _("German"))]
# The 24 official languages of the EU, each named in itself, in the EU's protocol order (by
# the language's own name). Customers read their documents in one of them.
DOCUMENT_LANGUAGES = [
    ("bg", "Български"),
    ("es", "Español"),
    ("cs", "Čeština"),
    ("da", "Dansk"),
    ("de", "Deutsch"),
    ("et", "Eesti"),
    ("el", "Ελληνικά"),
    ("en", "English"),
    ("fr", "Français"),
    ("ga", "Gaeilge"),
    ("hr", "Hrvatski"),
    ("it", "Italiano"),
    ("lv", "Latviešu"),
    ("lt", "Lietuvių"),
    ("hu", "Magyar"),
    ("mt", "Malti"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
    ("pt", "Português"),
    ("ro", "Română"),
    ("sk", "Slovenčina"),
    ("sl", "Slovenščina"),
    ("fi", "Suomi"),
    ("sv", "Svenska"),
]


def new_token() -> str:
    """An unguessable URL token: 256 bits from the OS random source."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=UI_LANGUAGES, default="en")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    last_workspace = models.ForeignKey(
        "Workspace", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Notification kinds (billing's Notification.Kind values) this person gets no mail for;
    # the bell shows them all the same.
    mail_muted_kinds = models.JSONField(default=list, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def wants_mail(self, kind: str) -> bool:
        return kind not in self.mail_muted_kinds

    def has_two_factor(self) -> bool:
        return TOTPDevice.objects.filter(user=self, confirmed=True).exists()


class Workspace(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region / state"), max_length=100, blank=True)
    country = CountryField(_("country"), blank=True)
    tax_id_type = models.CharField(
        _("tax-ID type"), max_length=20, choices=TaxIdType.choices, default=TaxIdType.NONE
    )
    tax_id = models.CharField(_("tax ID"), max_length=40, blank=True)
    # The seller's tax number (BT-32) and invoice contact (BG-6) of e-invoices; XRechnung
    # needs the contact (BR-DE-2, -5, -6, -7).
    tax_number = models.CharField(
        _("tax number"),
        max_length=40,
        blank=True,
        help_text=_("Your Steuernummer from the tax office, if you have one besides the VAT ID."),
    )
    invoice_contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    invoice_phone = models.CharField(_("invoice phone"), max_length=50, blank=True)
    invoice_email = models.EmailField(_("invoice email"), blank=True)
    # Where customers' replies to MSPercury's mails go (Reply-To); blank: the invoice email.
    reply_to_email = models.EmailField(
        _("reply-to address for customer mail"),
        blank=True,
        help_text=_(
            "Mails to your customers are sent in your name from this service's address; "
            "replies go here. Empty: the invoice email."
        ),
    )
    default_currency = models.CharField(
        _("default currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR"
    )
    default_language = models.CharField(
        _("default document language"), max_length=8, choices=DOCUMENT_LANGUAGES, default="en"
    )
    require_2fa_for_admins = models.BooleanField(
        _("require two-factor authentication for owners and admins"), default=False
    )
    # Local time (DESIGN.md "Local time, language, sender"): blank means the country's zone.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    # How output VAT arises (§13 Abs. 1 Nr. 1 a/b, §20 UStG): the VAT report follows it.
    vat_taxation = models.CharField(
        _("VAT taxation"), max_length=8, choices=VatTaxation.choices, default=VatTaxation.AGREED
    )
    # Company particulars of business letters (§35a GmbHG, §80 AktG, §37a/§125/§177a HGB).
    legal_form = models.CharField(_("legal form"), max_length=80, blank=True)
    registered_seat = models.CharField(_("registered seat"), max_length=100, blank=True)
    register_court = models.CharField(_("register court"), max_length=120, blank=True)
    register_number = models.CharField(_("register number"), max_length=40, blank=True)
    managing_directors = models.TextField(_("managing directors"), blank=True)  # one per line
    supervisory_board_chair = models.CharField(
        _("chair of the supervisory board"), max_length=150, blank=True
    )
    # Where customers pay by bank transfer (BG-17 of e-invoices, GiroCode) and, for SEPA direct
    # debits, the creditor identifier (BT-90).
    bank_account_holder = models.CharField(_("account holder"), max_length=140, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    sepa_creditor_id = models.CharField(_("SEPA creditor identifier"), max_length=35, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name

    @property
    def zone(self):
        """The workspace's time zone: its own, else its country's, else UTC."""
        from mspercury.localtime import zone_named

        return zone_named(self.time_zone, self.country.code or "")


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")
        ]
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def is_admin(self) -> bool:
        """Owners and admins manage the workspace; members work with its data."""
        return self.role in (Role.OWNER, Role.ADMIN)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


def _invite_expiry():
    return timezone.now() + timedelta(days=settings.MSPERCURY_INVITE_DAYS)


class Invite(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField(_("email"))
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invite_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invite {self.email} to {self.workspace}"

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class AuditEvent(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    summary = models.CharField(max_length=300, blank=True)
    # The summary in its reader's language (mspercury.texts), when written as a text.
    summary_text = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The audit log page, newest first by keyset within a workspace.
        indexes = [models.Index(fields=["workspace", "-created_at", "-id"], name="audit_list")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    @property
    def shown_summary(self) -> str:
        return render(self.summary_text) if self.summary_text else self.summary


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A django-otp TOTP device whose seed is stored AES-GCM encrypted (never in plain hex)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    secret_encrypted = models.TextField(editable=False)
    last_t = models.BigIntegerField(default=-1)

    secret = EncryptedSecret("secret_encrypted")

    STEP = 30
    DIGITS = 6
    TOLERANCE = 1  # accept one step of clock drift either way

    def secret_binding(self) -> str:
        return str(self.public_id)

    def get_throttle_factor(self):
        return 1

    def verify_token(self, token) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        token = str(token).strip().replace(" ", "")
        if not (token.isdigit() and len(token) == self.DIGITS):
            self.throttle_increment()
            return False
        totp = TOTP(bytes.fromhex(self.secret), self.STEP, 0, self.DIGITS, 0)
        if not totp.verify(int(token), tolerance=self.TOLERANCE, min_t=self.last_t + 1):
            self.throttle_increment()
            return False
        matched = totp.t()
        # Conditional update: of two requests submitting the same code only one may succeed.
        now = timezone.now()
        won = TOTPDevice.objects.filter(pk=self.pk, last_t__lt=matched).update(
            last_t=matched,
            throttling_failure_count=0,
            throttling_failure_timestamp=None,
            last_used_at=now,
        )
        if not won:
            return False
        self.last_t = matched
        self.throttle_reset(commit=False)
        self.last_used_at = now
        return True

    def throttle_increment(self, commit=True):
        # Save only the counters, so a stale instance cannot write an old last_t back.
        super().throttle_increment(commit=False)
        if commit:
            self.save(update_fields=["throttling_failure_timestamp", "throttling_failure_count"])


class BackupCodeDevice(ThrottlingMixin, Device):
    """Single-use recovery codes; only their SHA-256 hashes are stored."""

    def get_throttle_factor(self):
        return 1

    def verify_token(self, token) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        normalized = str(token).strip().replace("-", "").replace(" ", "").lower()
        code = self.codes.filter(code_hash=hash_token(normalized), used_at=None).first()
        if code is None:
            self.throttle_increment()
            return False
        # A conditional update makes the code single-use even under concurrent submits.
        used = BackupCode.objects.filter(pk=code.pk, used_at=None).update(used_at=timezone.now())
        if not used:
            return False
        self.throttle_reset()
        return True


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return "Backup code"


class Notification(models.Model):
    """Something owners and admins must look at (also sent to them by email)."""

    class Kind(models.TextChoices):
        PUSH_FAILED = "push_failed", _("Push failed")
        PAYMENT_FAILED = "payment_failed", _("Payment failed")
        WEBHOOK_SILENT = "webhook_silent", _("Webhook endpoint missed events")
        EVENTS_STUCK = "events_stuck", _("Stripe events not processed")
        EINVOICE_FAILED = "einvoice_failed", _("E-invoice not delivered")
        TAX_RECHECK = "tax_recheck", _("Invoice VAT re-check")
        QUOTE_ACCEPTED = "quote_accepted", _("Quote accepted")
        QUOTE_REACCEPTED = "quote_reaccepted", _("Quote re-accepted")
        QUOTE_DECLINED = "quote_declined", _("Quote declined")
        AMENDMENT_FAILED = "amendment_failed", _("Contract change failed")
        INVOICE_NOT_ISSUED = "invoice_not_issued", _("Invoice not issued in the accounting tool")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Makes a notification idempotent: the same fact never notifies twice.
    dedupe_key = models.CharField(max_length=200)
    # In the deployment's language; ``title_text``/``body_text`` (mspercury.texts) give them in
    # the reader's.
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    title_text = models.JSONField(default=dict, blank=True)
    body_text = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    # For one person (a quote's owner), else for owners and admins (and the bell of everyone).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A failure that a later success cleared (a retried push): kept, no longer unread.
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_by = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        db_table = "billing_notification"  # moved from billing without touching its table
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "dedupe_key"], name="notify_once")
        ]

    def __str__(self):
        return self.title

    @property
    def shown_title(self) -> str:
        return render(self.title_text) if self.title_text else self.title

    @property
    def shown_body(self) -> str:
        return render(self.body_text) if self.body_text else self.body

    @classmethod
    def visible_to(cls, workspace, user):
        """The workspace's notifications for everyone, and those addressed to ``user``."""
        return cls.objects.filter(workspace=workspace).filter(
            models.Q(recipient__isnull=True) | models.Q(recipient=user)
        )
