from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.datev.accounts import Chart
from billing.datev.extf import Encoding
from customers.models import Customer
from mspercury.models import Workspace


class DatevSettings(models.Model):
    """What a workspace's DATEV export says about its books (see billing.datev.accounts for the
    defaults that empty overrides keep)."""

    class ChartChoice(models.TextChoices):
        SKR03 = Chart.SKR03, "SKR 03"
        SKR04 = Chart.SKR04, "SKR 04"

    class EncodingChoice(models.TextChoices):
        CP1252_REPLACE = Encoding.CP1252_REPLACE, _("Windows-1252, replace what it lacks")
        CP1252_REJECT = Encoding.CP1252_REJECT, _("Windows-1252, refuse what it lacks")
        UTF8_BOM = Encoding.UTF8_BOM, _("UTF-8 with byte-order mark")

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="datev_settings"
    )
    consultant_number = models.PositiveIntegerField(
        _("consultant number (Beraternummer)"),
        null=True,
        validators=[MinValueValidator(1), MaxValueValidator(9_999_999)],
    )
    client_number = models.PositiveIntegerField(
        _("client number (Mandantennummer)"),
        null=True,
        validators=[MinValueValidator(1), MaxValueValidator(99_999)],
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    chart = models.CharField(
        _("chart of accounts"), max_length=2, choices=ChartChoice.choices, default=ChartChoice.SKR03
    )
    account_length = models.PositiveSmallIntegerField(
        _("general-ledger account length"),
        default=4,
        validators=[MinValueValidator(4), MaxValueValidator(8)],
    )
    # Slot → account number (billing.datev.accounts.Slot); a missing slot keeps the default.
    account_overrides = models.JSONField(default=dict, blank=True)
    tax_keys = models.JSONField(default=dict, blank=True)
    encoding = models.CharField(
        _("file encoding"),
        max_length=16,
        choices=EncodingChoice.choices,
        default=EncodingChoice.CP1252_REPLACE,
    )
    lock_batches = models.BooleanField(_("mark batches as locked (Festschreibung)"), default=False)
    debtor_range_start = models.PositiveIntegerField(_("first debtor account"), default=10000)
    debtor_range_end = models.PositiveIntegerField(_("last debtor account"), default=69999)
    # The next debtor number to hand out; only grows, so a number is never given twice.
    next_debtor_number = models.PositiveIntegerField(default=10000)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"DATEV settings of {self.workspace_id}"

    @classmethod
    def for_workspace(cls, workspace) -> "DatevSettings":
        """The stored settings, or the defaults (unsaved) when the workspace never chose."""
        pk = getattr(workspace, "pk", workspace)
        return cls.objects.filter(workspace_id=pk).first() or cls(workspace_id=pk)

    @property
    def complete(self) -> bool:
        return bool(self.consultant_number and self.client_number)


class DebtorAccount(models.Model):
    """A customer's personal debtor account: assigned once, never reused (even when the
    customer is deleted, the number stays taken)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    customer = models.OneToOneField(
        Customer, null=True, on_delete=models.SET_NULL, related_name="debtor_account"
    )
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=200)  # the customer's name when the number was given
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="one_debtor_number")
        ]

    def __str__(self):
        return f"{self.number} {self.name}"
