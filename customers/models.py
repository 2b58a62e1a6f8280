import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from mspercury.models import DOCUMENT_LANGUAGES, Workspace
from rules.taxids import TaxIdType


class CollectionMethod(models.TextChoices):
    CHARGE_AUTOMATICALLY = "charge_automatically", _("Charge automatically")
    SEND_INVOICE = "send_invoice", _("Send invoice")


class Customer(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="customers")
    company_name = models.CharField(_("company name"), max_length=200)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    street2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state / province"), max_length=100, blank=True)
    country = CountryField(_("country"), blank=True)
    tax_id_type = models.CharField(
        _("tax-ID type"), max_length=20, choices=TaxIdType.choices, default=TaxIdType.NONE
    )
    tax_id = models.CharField(_("tax ID"), max_length=40, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, choices=DOCUMENT_LANGUAGES, default="en"
    )
    collection_method = models.CharField(
        _("collection method"),
        max_length=24,
        choices=CollectionMethod.choices,
        default=CollectionMethod.SEND_INVOICE,
    )
    days_until_due = models.PositiveSmallIntegerField(_("days until due"), default=14)
    leitweg_id = models.CharField(
        _("Leitweg-ID"),
        max_length=46,
        blank=True,
        help_text=_(
            "Only for German public-sector customers: their routing ID (e.g. 991-03730-19). "
            "With one, invoices go out as XRechnung."
        ),
    )
    supplier_number = models.CharField(
        _("our supplier number at the customer"),
        max_length=40,
        blank=True,
        help_text=_(
            "The number the customer files you under as their supplier. Needed with a "
            "Leitweg-ID: Lexware Office makes no XRechnung without it."
        ),
    )
    wants_einvoices = models.BooleanField(
        _("Send e-invoices"),
        default=False,
        help_text=_(
            "Attach the e-invoice (a ZUGFeRD PDF) to invoice emails. Customers with a "
            "Leitweg-ID always get theirs, as XRechnung."
        ),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["company_name", "id"]
        # The list pages by (company_name, id); the trigram index on UPPER(company_name) for
        # name searches is PostgreSQL's only (migration 0004), outside the model state.
        indexes = [models.Index(fields=["workspace", "company_name", "id"], name="customer_list")]

    def __str__(self):
        return self.company_name


class Project(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="projects")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(_("name"), max_length=200)
    workstations = models.PositiveIntegerField(_("workstations"), default=0)
    servers = models.PositiveIntegerField(_("servers"), default=0)
    users = models.PositiveIntegerField(_("users"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.customer} – {self.name}"
