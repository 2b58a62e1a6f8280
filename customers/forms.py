"""Customer and project forms; the customer form picks the tax-ID type for the country."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from stdnum.de import leitweg
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError

from customers.models import CollectionMethod, Customer, Project
from mspercury.forms_tax_identity import TaxIdentityFields
from mspercury.forms_workspace import TYPE_COUNTRIES, known_country, tax_id_type_for
from rules.taxids import (
    TaxIdError,
    default_type_for_country,
    expected_format,
    normalize_tax_id,
)

CUSTOMER_FIELDS = [
    "company_name",
    "contact_name",
    "email",
    "phone",
    "street",
    "street2",
    "postal_code",
    "city",
    "state",
    "country",
    "tax_id_type",
    "tax_id",
    "language",
    "collection_method",
    "days_until_due",
    "leitweg_id",
    "supplier_number",
    "wants_einvoices",
    "notes",
]

# Countries whose postal addresses need a state or province (Stripe's ``address.state``).
STATE_REQUIRED = frozenset({"US", "CA", "AU"})
# Countries where one is usual, though not strictly needed.
STATE_USED = STATE_REQUIRED | frozenset({"BR", "CN", "IN", "IT", "JP", "MX", "MY"})

DAYS_UNTIL_DUE_MAX = 365


def state_hint(country: str) -> str:
    """The help text under the state/province field for ``country``."""
    country = known_country(country)
    if country in STATE_REQUIRED:
        return str(
            _("Required for addresses in %(country)s.") % {"country": countries.name(country)}
        )
    if country in STATE_USED:
        return str(
            _("Usually part of addresses in %(country)s.") % {"country": countries.name(country)}
        )
    return str(_("Only where the country uses one."))


class CustomerForm(TaxIdentityFields, forms.ModelForm):
    # The country the tax-ID type was last chosen for; a different country means "use its default".
    country_was = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"id": "id_country_was"})
    )
    days_until_due = forms.IntegerField(
        label=_("Days until due"),
        required=False,
        initial=Customer._meta.get_field("days_until_due").default,
        widget=forms.NumberInput(attrs={"min": 1, "max": DAYS_UNTIL_DUE_MAX}),
        help_text=_("Only for “send invoice”: how many days the customer has to pay."),
    )

    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS
        widgets = {
            "street": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "street2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "leitweg_id": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "supplier_number": forms.TextInput(
                attrs={"autocomplete": "off", "spellcheck": "false"}
            ),
        }
        help_texts = {
            "email": _(
                "Optional here, but Stripe needs an email address before this customer "
                "can be pushed."
            ),
            "tax_id_type": _("Filled in from the country; choose “none” for private persons."),
        }

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk is None and workspace is not None:
            country = workspace.country.code or ""
            self.initial.setdefault("country", country)
            self.initial.setdefault("tax_id_type", default_type_for_country(country))
            self.initial.setdefault("language", workspace.default_language)
        if not self.is_bound and "country_was" not in self.initial:
            self.initial["country_was"] = str(self.initial.get("country") or "")
        self.set_up_tax_identity("customers:tax_id_type", also_send=", #id_state")
        # Not through self["country"]: a bound field caches its initial value, and refreshed()
        # changes the initial values after __init__.
        if self.is_bound:
            country = self.data.get(self.add_prefix("country"), "")
        else:
            country = self.initial.get("country") or self.instance.country.code or ""
        self._fit_state_field(known_country(str(country)))

    @classmethod
    def refreshed(cls, data, **kwargs) -> "CustomerForm":
        """An unbound form showing the submitted values, the tax-ID type fitted to the country."""
        form = cls(**kwargs)
        initial = {name: data.get(name, "") for name in form.fields}
        country = known_country(data.get("country"))
        initial["country"] = country
        initial["tax_id_type"] = tax_id_type_for(
            country, data.get("country_was", ""), data.get("tax_id_type", "")
        )
        initial["country_was"] = country
        form.initial.update(initial)
        form._fit_state_field(country)
        return form

    def _fit_state_field(self, country: str) -> None:
        field = self.fields["state"]
        field.help_text = state_hint(country)
        if country in STATE_REQUIRED:
            field.widget.attrs["aria-required"] = "true"
        else:
            field.widget.attrs.pop("aria-required", None)

    def country_value(self) -> str:
        return known_country(str(self["country"].value() or ""))

    def state_required(self) -> bool:
        """Whether the state field should look required (the country needs one)."""
        return self.country_value() in STATE_REQUIRED

    def tax_id_format(self) -> str:
        """What a number of the chosen type looks like, for the hint under the type."""
        return expected_format(self["tax_id_type"].value() or "", self.country_value())

    def clean(self):
        cleaned = super().clean()
        country = str(cleaned.get("country") or "")
        self._clean_state(cleaned, country)
        self._clean_tax_id(cleaned, country)
        self._clean_days_until_due(cleaned)
        return cleaned

    def _clean_state(self, cleaned, country):
        has_address = any(cleaned.get(name) for name in ("street", "postal_code", "city"))
        if country in STATE_REQUIRED and has_address and not cleaned.get("state"):
            self.add_error(
                "state",
                _("Addresses in %(country)s need a state or province.")
                % {"country": countries.name(country)},
            )

    def _clean_tax_id(self, cleaned, country):
        tax_id_type = cleaned.get("tax_id_type")
        if tax_id_type is None or "tax_id" not in cleaned:
            return
        country_was = known_country(cleaned.get("country_was"))
        if "country_was" in self.data and not cleaned["tax_id"] and country != country_was:
            # The country changed without a refresh: the old type was chosen for another country.
            tax_id_type = cleaned["tax_id_type"] = default_type_for_country(country)
        # The type first: a Swiss number on a French customer is the wrong type, whatever its
        # digits look like.
        allowed = TYPE_COUNTRIES.get(tax_id_type)
        if cleaned["tax_id"] and country and allowed and country not in allowed:
            self.add_error(
                "tax_id_type",
                _("A %(type)s number does not belong to %(country)s; choose the type that does.")
                % {"type": tax_id_type, "country": countries.name(country)},
            )
            return
        try:
            cleaned["tax_id"] = normalize_tax_id(tax_id_type, country, cleaned["tax_id"])
        except TaxIdError as exc:
            self.add_error("tax_id", str(exc))

    def clean_leitweg_id(self):
        """The KoSIT format (coarse address, optional fine address, two check digits) and the
        check digits (ISO 7064 MOD 97-10), stored in capitals."""
        value = "".join(self.cleaned_data["leitweg_id"].split())
        if not value:
            return ""
        try:
            return leitweg.validate(value)
        except InvalidChecksum:
            raise forms.ValidationError(
                _("The check digits (the last two) do not match; please check the Leitweg-ID.")
            ) from None
        except InvalidComponent:
            raise forms.ValidationError(
                _(
                    "A Leitweg-ID starts with the code of a German state (01 to 16) or 99 for "
                    "the federal administration."
                )
            ) from None
        except ValidationError:
            raise forms.ValidationError(
                _(
                    "A Leitweg-ID looks like 991-03730-19: 2 to 12 digits, optionally a dash "
                    "and up to 30 letters or digits, then a dash and two check digits."
                )
            ) from None

    def _clean_days_until_due(self, cleaned):
        days = cleaned.get("days_until_due")
        if cleaned.get("collection_method") == CollectionMethod.SEND_INVOICE:
            if days is None or not 1 <= days <= DAYS_UNTIL_DUE_MAX:
                self.add_error(
                    "days_until_due",
                    _("For “send invoice”, enter between 1 and %(max)d days.")
                    % {"max": DAYS_UNTIL_DUE_MAX},
                )
        elif days is None or not 1 <= days <= DAYS_UNTIL_DUE_MAX:
            # Unused when Stripe charges automatically; keep what was stored before.
            cleaned["days_until_due"] = self.instance.days_until_due


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "workstations", "servers", "users"]
        help_texts = {
            "workstations": _("Drives the quantity of per-workstation services."),
            "servers": _("Drives the quantity of per-server services."),
            "users": _("Drives the quantity of per-user services."),
        }


def by_public_id(queryset, **kwargs):
    """A model select whose option values are public ids, never row ids."""
    return forms.ModelChoiceField(queryset=queryset, to_field_name="public_id", **kwargs)


class CustomerProjectFields:
    """A form's ``customer`` and optional ``project``, both of one workspace: only its own are
    offered, and a project of another customer is refused in words."""

    def scope_to_workspace(self, workspace) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        fields["customer"].queryset = Customer.objects.filter(workspace=workspace)
        fields["project"].queryset = (
            Project.objects.filter(workspace=workspace)
            .select_related("customer")
            .order_by("customer__company_name", "name", "id")
        )

    def clean(self):
        data = super().clean()  # type: ignore[misc]
        customer, project = data.get("customer"), data.get("project")
        if customer and project and project.customer_id != customer.pk:
            self.add_error("project", _("This project belongs to another customer."))  # type: ignore[attr-defined]
        return data
