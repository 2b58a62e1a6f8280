"""Settings → Payments: how long pay links last, whether invoice emails carry them, whether
customers get a confirmation for each payment. Owners and admins only; audited."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from billing.models import MAX_LINK_LIFETIME_HOURS, PaymentPage, PaymentSettings
from mspercury import audit
from mspercury.access import admin_required
from mspercury.texts import Text, as_text

LIFETIMES = [
    (24, _("24 hours")),
    (48, _("48 hours")),
    (72, _("72 hours")),
    (168, _("1 week")),
    (336, _("2 weeks")),
    (720, _("30 days")),
    (0, _("Custom")),
]


class PaymentSettingsForm(forms.Form):
    lifetime = forms.TypedChoiceField(
        label=_("Pay links last"), choices=LIFETIMES, coerce=int, initial=168
    )
    custom_hours = forms.IntegerField(
        label=_("Custom lifetime in hours"),
        required=False,
        min_value=1,
        max_value=MAX_LINK_LIFETIME_HOURS,
        help_text=_("1 to 720 hours (30 days)."),
    )
    include_pay_links = forms.BooleanField(
        label=_("Email each invoice with its pay link"), required=False
    )
    send_confirmations = forms.BooleanField(
        label=_("Email a confirmation for each payment received"), required=False
    )
    payment_page = forms.ChoiceField(
        label=_("A pay link opens"),
        choices=PaymentPage.choices,
        initial=PaymentPage.INVOICE_PAGE,
        required=False,
        help_text=_(
            "Checkout needs the key's Checkout Sessions permission set to Write. Each click "
            "opens a fresh page, so the link lasts as long as set above."
        ),
    )

    def clean(self):
        data = super().clean()
        if data.get("lifetime") == 0 and not data.get("custom_hours"):
            self.add_error("custom_hours", _("Enter the number of hours for a custom lifetime."))
        return data

    def hours(self) -> int:
        data = self.cleaned_data
        return data["custom_hours"] if data["lifetime"] == 0 else data["lifetime"]

    @classmethod
    def for_settings(cls, prefs: PaymentSettings, data=None):
        preset = prefs.link_lifetime_hours in {value for value, _label in LIFETIMES}
        initial = {
            "lifetime": prefs.link_lifetime_hours if preset else 0,
            "custom_hours": None if preset else prefs.link_lifetime_hours,
            "include_pay_links": prefs.include_pay_links,
            "send_confirmations": prefs.send_confirmations,
            "payment_page": prefs.payment_page,
        }
        return cls(data, initial=initial)


def _on_off(value: bool) -> Text:
    return Text(gettext_noop("On")) if value else Text(gettext_noop("Off"))


@admin_required
def payment_settings(request):
    prefs = PaymentSettings.for_workspace(request.workspace)
    form = PaymentSettingsForm.for_settings(prefs, request.POST or None)
    if request.method == "POST" and form.is_valid():
        prefs.link_lifetime_hours = form.hours()
        prefs.include_pay_links = form.cleaned_data["include_pay_links"]
        prefs.send_confirmations = form.cleaned_data["send_confirmations"]
        prefs.payment_page = form.cleaned_data["payment_page"] or prefs.payment_page
        prefs.save()
        audit.record(
            request,
            request.workspace,
            "payments.settings_changed",
            Text(
                gettext_noop(
                    "Payment settings: pay links last %(hours)s h, in invoice emails "
                    "%(in_emails)s, confirmations %(confirmations)s, payment page %(page)s"
                ),
                hours=prefs.link_lifetime_hours,
                in_emails=_on_off(prefs.include_pay_links),
                confirmations=_on_off(prefs.send_confirmations),
                page=as_text(PaymentPage(prefs.payment_page).label),
            ),
        )
        messages.success(request, _("Payment settings saved."))
        return redirect("portal:payment_settings")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "portal/payment_settings.html",
        {
            "form": form,
            "portal_url": request.build_absolute_uri(f"/portal/w/{request.workspace.public_id}/"),
        },
        status=status,
    )
