from datetime import date, timedelta

from django import forms
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from billing.datev.accounts import (
    DEFAULT_ACCOUNTS,
    REVENUE_SLOTS,
    Chart,
    Slot,
    account_problem,
    debtor_range,
    tax_key_problem,
)
from billing.datev.models import DatevSettings
from mspercury.forms import IsoDateInput

SLOT_LABELS = {
    Slot.REVENUE_DOMESTIC: _("Revenue, domestic 19 % VAT"),
    Slot.REVENUE_REVERSE_CHARGE: _("Revenue, EU services under reverse charge"),
    Slot.REVENUE_EXPORT: _("Revenue, third-country services"),
    Slot.REVENUE_INTRA_EU_GOODS: _("Revenue, tax-free intra-EU supplies of goods"),
    Slot.CLEARING: _("Stripe clearing account (Geldtransit)"),
    Slot.BANK: _("Bank (manual transfers, cheques)"),
    Slot.CASH: _("Cash"),
}
MAX_EXPORT_DAYS = 3 * 366


def _digits(value: str, most: int, message) -> int:
    value = (value or "").strip()
    if not value.isdigit() or not 1 <= len(value) <= most or int(value) == 0:
        raise forms.ValidationError(message)
    return int(value)


class DatevSettingsForm(forms.Form):
    consultant_number = forms.CharField(
        label=_("Consultant number (Beraternummer)"),
        help_text=_("From your tax advisor: 1 to 7 digits."),
    )
    client_number = forms.CharField(
        label=_("Client number (Mandantennummer)"),
        help_text=_("From your tax advisor: 1 to 5 digits."),
    )
    fiscal_year_start_month = forms.TypedChoiceField(
        label=_("Fiscal year starts in"), choices=list(MONTHS.items()), coerce=int
    )
    chart = forms.ChoiceField(label=_("Chart of accounts"), choices=DatevSettings.ChartChoice)
    account_length = forms.IntegerField(
        label=_("General-ledger account length"),
        min_value=4,
        max_value=8,
        help_text=_("Usually 4; debtor accounts then have 5 digits."),
    )
    encoding = forms.ChoiceField(label=_("File encoding"), choices=DatevSettings.EncodingChoice)
    lock_batches = forms.BooleanField(
        label=_("Mark batches as locked (Festschreibung) on import"), required=False
    )
    debtor_range_start = forms.IntegerField(label=_("First debtor account"), min_value=1)
    debtor_range_end = forms.IntegerField(label=_("Last debtor account"), min_value=1)

    def __init__(self, *args, prefs: DatevSettings, **kwargs):
        super().__init__(*args, **kwargs)
        defaults = DEFAULT_ACCOUNTS[Chart(prefs.chart)]
        for slot in Slot:
            self.fields[f"account_{slot}"] = forms.CharField(
                label=SLOT_LABELS[slot],
                required=False,
                max_length=8,
                help_text=_("Empty: %(default)s (the chart's default).")
                % {"default": defaults[slot]},
            )
        for slot in REVENUE_SLOTS:
            self.fields[f"tax_key_{slot}"] = forms.CharField(
                label=_("Tax key (BU) for: %(slot)s") % {"slot": SLOT_LABELS[slot]},
                required=False,
                max_length=4,
                help_text=_("Empty for automatic accounts."),
            )

    @classmethod
    def for_settings(cls, prefs: DatevSettings, data=None) -> "DatevSettingsForm":
        initial = {
            "consultant_number": prefs.consultant_number or "",
            "client_number": prefs.client_number or "",
            "fiscal_year_start_month": prefs.fiscal_year_start_month,
            "chart": prefs.chart,
            "account_length": prefs.account_length,
            "encoding": prefs.encoding,
            "lock_batches": prefs.lock_batches,
            "debtor_range_start": prefs.debtor_range_start,
            "debtor_range_end": prefs.debtor_range_end,
        }
        initial |= {f"account_{k}": v for k, v in prefs.account_overrides.items()}
        initial |= {f"tax_key_{k}": v for k, v in prefs.tax_keys.items()}
        return cls(data, initial=initial, prefs=prefs)

    def clean_consultant_number(self):
        message = _("The consultant number has 1 to 7 digits.")
        return _digits(self.cleaned_data["consultant_number"], 7, message)

    def clean_client_number(self):
        message = _("The client number has 1 to 5 digits.")
        return _digits(self.cleaned_data["client_number"], 5, message)

    def clean(self):
        data = super().clean()
        length = data.get("account_length")
        if length is None:
            return data
        self._check_accounts(data, length)
        self._check_tax_keys(data)
        self._check_debtor_range(data, length)
        return data

    def _check_accounts(self, data, length: int) -> None:
        for slot in Slot:
            name = f"account_{slot}"
            number = (data.get(name) or "").strip()
            data[name] = number
            if number and account_problem(number, length):
                self.add_error(
                    name, _("An account has digits only, at most %(n)s.") % {"n": length}
                )

    def _check_tax_keys(self, data) -> None:
        for slot in REVENUE_SLOTS:
            name = f"tax_key_{slot}"
            data[name] = (data.get(name) or "").strip()
            if tax_key_problem(data[name]):
                self.add_error(name, _("A tax key has up to four digits."))

    def _check_debtor_range(self, data, length: int) -> None:
        low, high = debtor_range(length)
        start, end = data.get("debtor_range_start"), data.get("debtor_range_end")
        for name, value in (("debtor_range_start", start), ("debtor_range_end", end)):
            if value is not None and not low <= value <= high:
                self.add_error(
                    name,
                    _(
                        "With %(n)s-digit accounts, debtor accounts lie between %(low)s and "
                        "%(high)s."
                    )
                    % {"n": length, "low": low, "high": high},
                )
        if start is not None and end is not None and start > end:
            self.add_error("debtor_range_end", _("The last debtor account comes after the first."))

    def values(self) -> dict:
        """What DatevSettings stores: overrides only where they differ from the chart's default."""
        data = self.cleaned_data
        defaults = DEFAULT_ACCOUNTS[Chart(data["chart"])]
        overrides = {
            str(slot): data[f"account_{slot}"]
            for slot in Slot
            if data[f"account_{slot}"] and data[f"account_{slot}"] != defaults[slot]
        }
        keys = {
            str(slot): data[f"tax_key_{slot}"] for slot in REVENUE_SLOTS if data[f"tax_key_{slot}"]
        }
        plain = [
            "consultant_number",
            "client_number",
            "fiscal_year_start_month",
            "chart",
            "account_length",
            "encoding",
            "lock_batches",
            "debtor_range_start",
            "debtor_range_end",
        ]
        return {name: data[name] for name in plain} | {
            "account_overrides": overrides,
            "tax_keys": keys,
        }


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


class ExportForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=IsoDateInput())
    date_to = forms.DateField(label=_("To"), widget=IsoDateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The period ends before it starts."))
        elif start and end and (end - start).days > MAX_EXPORT_DAYS:
            self.add_error("date_to", _("Export at most three years at once."))
        return data
