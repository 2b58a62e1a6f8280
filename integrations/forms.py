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


class PushSettingsForm(forms.ModelForm):
    class Meta:
        from integrations.models import PushSettings

        model = PushSettings
        fields = ["stripe_tax", "quantity_mode", "skip_below_minimum", "show_zero_quantity_lines"]
        widgets = {"quantity_mode": forms.RadioSelect}
