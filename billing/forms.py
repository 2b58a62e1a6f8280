from datetime import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import Payment
from mspercury.forms import IsoDateInput, LocalDecimalField
from rules.money import exponent, to_minor_units

MANUAL_METHODS = [
    (Payment.Method.BANK_TRANSFER, Payment.Method.BANK_TRANSFER.label),
    (Payment.Method.CHEQUE, Payment.Method.CHEQUE.label),
    (Payment.Method.CASH, Payment.Method.CASH.label),
    (Payment.Method.OTHER, Payment.Method.OTHER.label),
]


class ManualPaymentForm(forms.Form):
    amount = LocalDecimalField(label=_("Amount"), min_value=Decimal("0.01"), max_digits=14)
    paid_on = forms.DateField(
        # type=date wants ISO dates whatever the page's language.
        label=_("Payment date"),
        widget=IsoDateInput(),
    )
    method = forms.ChoiceField(label=_("Method"), choices=MANUAL_METHODS)
    reference = forms.CharField(label=_("Reference"), max_length=120, required=False)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        try:
            to_minor_units(amount, self.currency)
        except ValueError as exc:
            raise forms.ValidationError(
                _("Use at most %(n)s decimal places.") % {"n": exponent(self.currency)}
            ) from exc
        return amount

    def clean_paid_on(self):
        day = self.cleaned_data["paid_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The payment date cannot be in the future."))
        return day

    def minor_amount(self) -> int:
        return to_minor_units(self.cleaned_data["amount"], self.currency)

    def paid_at(self):
        day = self.cleaned_data["paid_on"]
        return timezone.make_aware(datetime(day.year, day.month, day.day, 12))


class EndContractForm(forms.Form):
    """The contract's last day of service; empty: the end of the current period."""

    ends_on = forms.DateField(label=_("Ends on"), required=False)
