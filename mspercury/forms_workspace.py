"""Settings → Workspace: the form and the rule that picks the tax-ID type for a country."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from stdnum.de import stnr

from mspercury.forms_particulars import ParticularsFields
from mspercury.forms_tax_identity import TaxIdentityFields
from mspercury.models import Workspace
from rules.taxids import (
    TaxIdError,
    TaxIdType,
    default_type_for_country,
    expected_format,
    normalize_tax_id,
)

SETTINGS_FIELDS = [
    "name",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
    "tax_id_type",
    "tax_id",
    "tax_number",
    "invoice_contact_name",
    "invoice_phone",
    "invoice_email",
    "reply_to_email",
    "default_currency",
    "default_language",
    "require_2fa_for_admins",
    "time_zone",
    "vat_taxation",
    "legal_form",
    "registered_seat",
    "register_court",
    "register_number",
    "managing_directors",
    "supervisory_board_chair",
    "bank_account_holder",
    "bank_name",
    "iban",
    "bic",
    "sepa_creditor_id",
]
_TAX_ID_TYPES = {value for value, _label in TaxIdType.choices}
# Non-EU tax-ID types belong to one country (or one VAT area); eu_vat is checked by billing.
TYPE_COUNTRIES = {
    TaxIdType.GB_VAT: {"GB"},
    TaxIdType.CH_VAT: {"CH", "LI"},
    TaxIdType.CH_UID: {"CH", "LI"},
    TaxIdType.US_EIN: {"US"},
    TaxIdType.CA_GST_HST: {"CA"},
    TaxIdType.CA_BN: {"CA"},
    TaxIdType.NO_VAT: {"NO"},
    TaxIdType.AU_ABN: {"AU"},
}


# The currency a workspace in the country bills in, among those MSPercury offers; the euro
# area and every other country default to EUR.
EURO_AREA = {
    "AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PT", "SI", "SK",
}  # fmt: skip
COUNTRY_CURRENCIES = {
    "US": "USD",
    "CA": "CAD",
    "GB": "GBP",
    "CH": "CHF",
    "LI": "CHF",
    "AU": "AUD",
    "SE": "SEK",
    "DK": "DKK",
    "NO": "NOK",
    "PL": "PLN",
    "CZ": "CZK",
}


def currency_for_country(country: str) -> str:
    return COUNTRY_CURRENCIES.get((country or "").upper(), "EUR")


def currency_after_country_change(
    country_was: str, country: str, currency_was: str, submitted_currency: str
) -> str:
    """The default currency follows a new country unless the MSP chose one: they changed it in
    this very form, or the saved one is not the previous country's own."""
    moved = (country or "").upper() != (country_was or "").upper()
    chosen = submitted_currency != currency_was or currency_was != currency_for_country(country_was)
    return currency_for_country(country) if moved and not chosen else submitted_currency


def tax_id_type_for(country: str, country_was: str, submitted_type: str) -> str:
    """The country's default type when the country changed; otherwise the user's own choice."""
    country = (country or "").upper()
    if country != (country_was or "").upper() or submitted_type not in _TAX_ID_TYPES:
        return default_type_for_country(country)
    return submitted_type


def known_country(code: str) -> str:
    code = (code or "").strip().upper()
    return code if code in countries else ""


class WorkspaceSettingsForm(ParticularsFields, TaxIdentityFields, forms.ModelForm):
    # The country the tax-ID type was last chosen for; a different country means "use its default".
    country_was = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"id": "id_country_was"})
    )

    class Meta:
        model = Workspace
        fields = SETTINGS_FIELDS
        widgets = {
            "street": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "invoice_contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "invoice_phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "invoice_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            **ParticularsFields.WIDGETS,
        }
        help_texts = {
            "invoice_contact_name": _(
                "Who answers questions about your invoices; e-invoices name them. Without one, "
                "the workspace owner's name and email address are used."
            ),
            "invoice_phone": _("Required for XRechnung (public-sector customers)."),
            **ParticularsFields.HELP_TEXTS,
        }

    def __init__(self, *args, can_set_2fa_policy: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # As saved, before this form changes the instance.
        self.initial_country = self.instance.country.code or ""
        self.initial_currency = self.instance.default_currency
        if not self.is_bound and "country_was" not in self.initial:
            self.initial["country_was"] = self.instance.country.code or ""
        policy = self.fields["require_2fa_for_admins"]
        if can_set_2fa_policy:
            policy.help_text = _(
                "Owners and admins without an authenticator app will have to set one up "
                "before they can continue."
            )
        else:
            policy.disabled = True
            policy.help_text = _("Only owners can change this.")
        self.set_up_tax_identity("workspace_tax_id_type")
        self.set_up_particulars()

    @classmethod
    def refreshed(cls, data, **kwargs) -> "WorkspaceSettingsForm":
        """An unbound form showing the submitted values, the tax-ID type fitted to the country."""
        form = cls(**kwargs)
        initial = {}
        for name, field in form.fields.items():
            if field.disabled:
                continue
            if isinstance(field, forms.BooleanField):
                initial[name] = name in data
            else:
                initial[name] = data.get(name, "")
        country = known_country(data.get("country"))
        initial["country"] = country
        initial["tax_id_type"] = tax_id_type_for(
            country, data.get("country_was", ""), data.get("tax_id_type", "")
        )
        initial["country_was"] = country
        form.initial.update(initial)
        return form

    def tax_id_format(self) -> str:
        """What a number of the chosen type looks like, for the hint under the type."""
        tax_id_type = self["tax_id_type"].value() or ""
        country = known_country(str(self["country"].value() or ""))
        return expected_format(tax_id_type, country)

    def clean_tax_number(self):
        """A German Steuernummer in a state's format or the 13-digit federal one; kept as typed
        (that is how it is printed). Other countries' tax numbers are not checked."""
        value = " ".join(self.cleaned_data["tax_number"].split())
        country = known_country(self.data.get(self.add_prefix("country"), ""))
        if value and country == "DE" and not stnr.is_valid(value):
            raise forms.ValidationError(
                _(
                    "This is not a Steuernummer: use your tax office's format "
                    "(e.g. 21/815/08150) or the 13-digit one (e.g. 1121081508150)."
                )
            )
        return value

    def clean(self):
        cleaned = super().clean()
        self.check_register(cleaned)
        if "default_currency" in cleaned and "country" in cleaned:
            cleaned["default_currency"] = currency_after_country_change(
                self.initial_country,
                str(cleaned["country"] or ""),
                self.initial_currency,
                cleaned["default_currency"],
            )
        tax_id_type = cleaned.get("tax_id_type")
        if tax_id_type is None or "tax_id" not in cleaned:
            return cleaned
        country = str(cleaned.get("country") or "")
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
            return cleaned
        try:
            cleaned["tax_id"] = normalize_tax_id(tax_id_type, country, cleaned["tax_id"])
        except TaxIdError as exc:
            self.add_error("tax_id", str(exc))
        return cleaned


def settings_snapshot(workspace: Workspace) -> dict[str, str]:
    """The editable values as strings, to tell which fields a save changed."""
    return {name: str(getattr(workspace, name)) for name in SETTINGS_FIELDS}


def changed_fields(before: dict[str, str], workspace: Workspace) -> list[str]:
    after = settings_snapshot(workspace)
    return [name for name in SETTINGS_FIELDS if before[name] != after[name]]
