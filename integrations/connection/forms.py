from django import forms
from django.utils.translation import gettext_lazy as _


class StripeKeyForm(forms.Form):
    key = forms.CharField(
        label=_("Stripe API key"),
        max_length=300,
        widget=forms.PasswordInput(
            render_value=False,
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "rk_test_…"},
        ),
        help_text=_("A restricted key (rk_test_… or rk_live_…) with the permissions listed above."),
    )


class WebhookSecretForm(forms.Form):
    secret = forms.CharField(
        label=_("Webhook signing secret"),
        max_length=300,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "off", "placeholder": "whsec_…"}
        ),
    )


class VatMode:
    STRIPE_TAX = "stripe_tax"
    MSPERCURY = "mspercury"
    OWN_RATES = "own_rates"

    CHOICES = [
        (STRIPE_TAX, _("Stripe Tax calculates the VAT (set it up in your Stripe account)")),
        (
            MSPERCURY,
            _(
                "MSPercury calculates the VAT: it creates the tax rates in your Stripe account "
                "and writes the reverse-charge and export wording on the invoices (the key needs "
                "Tax Rates: Write)"
            ),
        ),
        (OWN_RATES, _("MSPercury picks the matching tax rate you created in Stripe")),
    ]

    @classmethod
    def of(cls, prefs) -> str:
        if prefs.stripe_tax:
            return cls.STRIPE_TAX
        return cls.MSPERCURY if prefs.mspercury_vat else cls.OWN_RATES


class PushSettingsForm(forms.ModelForm):
    vat_mode = forms.ChoiceField(
        label=_("VAT on Stripe invoices"),
        choices=VatMode.CHOICES,
        widget=forms.RadioSelect,
        required=False,  # a form without it keeps the current mode
    )

    class Meta:
        from integrations.models import PushSettings

        model = PushSettings
        fields = ["quantity_mode", "skip_below_minimum", "show_zero_quantity_lines"]
        widgets = {"quantity_mode": forms.RadioSelect}

    field_order = ["vat_mode", "quantity_mode", "skip_below_minimum", "show_zero_quantity_lines"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vat_mode"].initial = VatMode.of(self.instance)

    def clean_vat_mode(self) -> str:
        return self.cleaned_data["vat_mode"] or VatMode.of(self.instance)

    def save(self, commit=True):
        mode = self.cleaned_data["vat_mode"]
        self.instance.stripe_tax = mode == VatMode.STRIPE_TAX
        self.instance.mspercury_vat = mode == VatMode.MSPERCURY
        return super().save(commit)


class AccountingKeyForm(forms.Form):
    """A Lexware Office or sevDesk API key, pasted once (use a prefix per provider and form)."""

    key = forms.CharField(
        label=_("API key"),
        max_length=300,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}
        ),
    )


class BillingProviderForm(forms.Form):
    provider = forms.ChoiceField(
        label=_("Issue invoices with"),
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        from integrations.models import BillingProvider

        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = BillingProvider.choices
