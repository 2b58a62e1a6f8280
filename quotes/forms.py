import uuid
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.forms import CustomerProjectFields, by_public_id
from customers.models import Customer, Project
from mspercury.forms import LocalDecimalField
from mspercury.localtime import local_date
from mspercury.models import CURRENCY_CHOICES
from quotes.models import (
    BillingPeriod,
    PackageTemplate,
    QuantityRule,
    QuoteStatus,
    Service,
    Unit,
)

MIN_QUANTITY = Decimal("0.01")
MAX_QUANTITY = Decimal("9999999999.99")
MAX_PRICE = Decimal("9999999999.99")


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _price_field(label, required=True):
    return LocalDecimalField(
        label=label,
        required=required,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_PRICE,
    )


def _quantity_field(required=True):
    return LocalDecimalField(
        label=_("Quantity"),
        required=required,
        max_digits=12,
        decimal_places=2,
        min_value=MIN_QUANTITY,
        max_value=MAX_QUANTITY,
    )


# Catalog


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = [
            "name",
            "description",
            "unit",
            "billing_period",
            "unit_price",
            "cost_price",
            "active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"unit_price": LocalDecimalField, "cost_price": LocalDecimalField}
        help_texts = {
            "cost_price": _("Optional: what one unit costs you; used to show margins."),
            "active": _(
                "Inactive services are hidden from the quote editor; existing quotes keep them."
            ),
        }


class PackageForm(forms.ModelForm):
    class Meta:
        model = PackageTemplate
        fields = ["name", "description", "is_default"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "is_default": _(
                "Pre-selected when adding a package to a quote. Only one package "
                "can be the default; choosing this one replaces the current one."
            ),
        }


class PackageItemForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.none(), to_field_name="public_id")
    rule = forms.ChoiceField(label=_("Quantity rule"), choices=QuantityRule.choices)
    quantity = LocalDecimalField(
        label=_("Quantity / multiplier"),
        max_digits=10,
        decimal_places=2,
        min_value=MIN_QUANTITY,
        initial=Decimal("1"),
        help_text=_(
            "Fixed: the quantity. Per workstation/server/user: multiplied by the project's count."
        ),
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(workspace=workspace, active=True)
        self.fields["service"].label = _("Service")


# Quotes


class QuoteHeaderForm(CustomerProjectFields, forms.Form):
    customer = by_public_id(Customer.objects.none(), label=_("Customer"))
    project = by_public_id(
        Project.objects.none(),
        label=_("Project"),
        required=False,
        help_text=_("Optional: the site or plan the quote is for."),
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    valid_until = forms.DateField(label=_("Valid until"), widget=_date_input())
    intro = forms.CharField(
        label=_("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    closing = forms.CharField(
        label=_("Closing text"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.scope_to_workspace(workspace)
        # Only the chosen customer's projects are offered; choosing another customer fetches
        # its projects (htmx). Any of the workspace's projects still validates, so a project of
        # another customer is refused with words in clean().
        self.fields["project"].widget.choices = project_choices(workspace, self._chosen())
        self.fields["customer"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("quotes:project_options"),
                "hx-trigger": "change",
                "hx-target": "#id_project",
                "hx-swap": "innerHTML",
            }
        )

    def _chosen(self):
        value = (
            self.data.get(self.add_prefix("customer"))
            if self.is_bound
            else self.initial.get("customer")
        )
        return getattr(value, "public_id", value)

    def clean_valid_until(self):
        """A validity date in the past is refused when it is entered (an expired quote keeps
        its old date when other fields are edited)."""
        value = self.cleaned_data["valid_until"]
        today = local_date(self.workspace, timezone.now())
        if value and value < today and "valid_until" in self.changed_data:
            raise forms.ValidationError(
                _("The quote must be valid until today or later."), code="past"
            )
        return value


def project_choices(workspace, customer_public_id) -> list[tuple[str, str]]:
    """The project select's options: none, then the chosen customer's projects by name."""
    empty = [("", _("— no project —"))]
    try:
        chosen = uuid.UUID(str(customer_public_id))
    except ValueError:
        return [("", _("— choose a customer first —"))]
    projects = Project.objects.filter(workspace=workspace, customer__public_id=chosen)
    return empty + [(str(p.public_id), p.name) for p in projects.order_by("name", "id")]


class QuoteCreateForm(QuoteHeaderForm):
    package = by_public_id(
        PackageTemplate.objects.none(),
        label=_("Package"),
        required=False,
        help_text=_("Optional: start the quote with the services of a package."),
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, workspace=workspace, **kwargs)
        packages = PackageTemplate.objects.filter(workspace=workspace)
        self.fields["package"].queryset = packages


class LineForm(forms.Form):
    """A quote line. With a catalog service chosen, blank fields take the service's values."""

    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label=_("— ad-hoc line —"),
    )
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    quantity = _quantity_field(required=False)
    unit = forms.ChoiceField(label=_("Unit"), choices=[("", "—"), *Unit.choices], required=False)
    unit_price = _price_field(_("Net unit price"), required=False)
    billing_period = forms.ChoiceField(
        label=_("Billing period"), choices=[("", "—"), *BillingPeriod.choices], required=False
    )
    discount_percent = LocalDecimalField(
        label=_("Discount %"),
        required=False,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    cost_price = _price_field(_("Cost price"), required=False)

    REQUIRED = ("description", "quantity", "unit", "unit_price", "billing_period")

    def __init__(self, *args, workspace=None, with_service=True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_service:
            self.fields["service"].queryset = Service.objects.filter(
                workspace=workspace, active=True
            )
        else:
            del self.fields["service"]

    def clean(self):
        data = super().clean()
        service = data.get("service")
        if service is not None:
            for name, value in {
                "description": service.name,
                "quantity": Decimal("1"),
                "unit": service.unit,
                "unit_price": service.unit_price,
                "billing_period": service.billing_period,
                "cost_price": service.cost_price,
            }.items():
                if data.get(name) in (None, "") and name not in self.errors:
                    data[name] = value
        for name in self.REQUIRED:
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, forms.Field.default_error_messages["required"])
        return data

    def line_fields(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in self.REQUIRED}
        fields["discount_percent"] = data.get("discount_percent") or None
        fields["cost_price"] = data.get("cost_price")
        if "service" in self.fields:
            fields["service"] = data.get("service")
        return fields

    @staticmethod
    def initial_from_service(service: Service) -> dict:
        return {
            "service": service.public_id,
            "description": service.name,
            "quantity": Decimal("1"),
            "unit": service.unit,
            "unit_price": service.unit_price,
            "billing_period": service.billing_period,
            "cost_price": service.cost_price,
        }


class ApplyPackageForm(forms.Form):
    package = by_public_id(PackageTemplate.objects.none(), label=_("Package"))
    project = by_public_id(
        Project.objects.none(),
        label=_("Project"),
        required=False,
        help_text=_("Per-workstation, per-server and per-user items take this project's counts."),
    )

    def __init__(self, *args, quote, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package"].queryset = PackageTemplate.objects.filter(
            workspace_id=quote.workspace_id
        )
        self.fields["project"].queryset = Project.objects.filter(
            workspace_id=quote.workspace_id, customer_id=quote.customer_id
        )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=QuoteStatus.choices)
    reason = forms.CharField(required=False, max_length=2000)


class QuoteFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *QuoteStatus.choices]
    )
