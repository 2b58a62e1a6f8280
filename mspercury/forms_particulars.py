"""Settings → Workspace: time zone, VAT taxation method, company particulars and bank account.

A mixin of ``WorkspaceSettingsForm``: each field is checked where a mistake can be told (German
register numbers, names written out as §35a GmbHG asks, IBAN, BIC and SEPA creditor identifier
by their check digits with python-stdnum) and stored in one form (compact IBAN, the legal form as
the law writes it), so documents print it the same way everywhere.
"""

import re
from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _
from stdnum import bic, iban
from stdnum.eu import at_02
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from mspercury.localtime import is_zone, zone_for_country
from mspercury.particulars import (
    GERMAN_LEGAL_FORMS,
    LIMITED_PARTNERSHIPS,
    MERCHANTS,
    PARTNERSHIPS,
    canonical_legal_form,
)

MAX_DIRECTORS = 20
MAX_NAME_LENGTH = 100
# German register numbers: the register (HRA partnerships and merchants, HRB corporations,
# GnR cooperatives, PR partnership companies, VR associations), the number, and the suffix some
# courts add (Berlin's "HRB 12345 B").
REGISTER_NUMBER = re.compile(r"^(HRA|HRB|GNR|PR|VR)\s*(\d{1,7})(\s*[A-Z]{1,2})?$", re.IGNORECASE)
REGISTERS = {"HRA": "HRA", "HRB": "HRB", "GNR": "GnR", "PR": "PR", "VR": "VR"}
HRA_FORMS = MERCHANTS | PARTNERSHIPS | LIMITED_PARTNERSHIPS
IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$")
# Country, check digits, a 3-character business code, the national identifier (EPC262-08).
CREDITOR_ID_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}$")


@cache
def zone_choices() -> tuple[tuple[str, str], ...]:
    """The IANA zones by name (no legacy aliases such as "posixrules" or "US/Eastern")."""
    names = sorted(
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("posix/", "right/", "Etc/", "US/", "SystemV/"))
    )
    return (("UTC", "UTC"), *((name, name) for name in names))


def _collapse(value: str) -> str:
    return " ".join((value or "").split())


def _written_out(name: str) -> bool:
    """A family name and at least one first name in full ("Anna Muster", "Dr. Anna Muster");
    "A. Muster" or "Muster" are not (§35a Abs. 1 GmbHG, §80 Abs. 1 AktG)."""
    words = name.split()
    return len(words) >= 2 and any(len(word) >= 2 and not word.endswith(".") for word in words[:-1])


class ParticularsFields:
    WIDGETS = {
        "legal_form": forms.TextInput(attrs={"list": "legal-forms", "autocomplete": "off"}),
        "managing_directors": forms.Textarea(attrs={"rows": 3}),
        "iban": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        "bic": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        "sepa_creditor_id": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    }
    HELP_TEXTS = {
        "vat_taxation": _(
            "Taxation on amounts received (Ist, §20 UStG) needs the tax office's permission; "
            "since 2025 it is granted where the previous year's total turnover was at most "
            "800,000 EUR. Without it, VAT is owed on agreed amounts (Soll)."
        ),
        "legal_form": _(
            "As registered, e.g. GmbH, UG (haftungsbeschränkt), AG, e.K., GmbH & Co. KG."
        ),
        "registered_seat": _("The seat in the articles (Sitz), not a branch."),
        "register_court": _("e.g. Amtsgericht München"),
        "register_number": _("e.g. HRB 123456"),
        "managing_directors": _(
            "One per line, each with at least one first name written out and the family name. "
            "For an AG: the members of the management board."
        ),
        "supervisory_board_chair": _("Only if your company has a supervisory board."),
        "sepa_creditor_id": _("For SEPA direct debits (Gläubiger-ID), e.g. DE98ZZZ09999999999."),
    }
    legal_forms = GERMAN_LEGAL_FORMS

    def set_up_particulars(self):
        default = _("Your country's zone (%(zone)s)") % {
            "zone": zone_for_country(self.instance.country.code or "")
        }
        self.fields["time_zone"] = forms.ChoiceField(
            label=_("Time zone"),
            required=False,
            choices=[("", default), *zone_choices()],
            help_text=_("Dates on invoices and VAT periods follow it. Blank: your country's zone."),
        )
        self.fields["vat_taxation"].required = False
        if not self.is_bound and self.instance.iban:
            self.initial["iban"] = iban.format(self.instance.iban)

    def _country(self) -> str:
        return (self.data.get(self.add_prefix("country")) or "").strip().upper()

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"]
        if zone and not is_zone(zone):
            raise forms.ValidationError(
                _("“%(zone)s” is not a time zone; choose one from the list, e.g. Europe/Berlin.")
                % {"zone": zone}
            )
        return zone

    def clean_vat_taxation(self):
        return self.cleaned_data["vat_taxation"] or self.instance.vat_taxation

    def clean_legal_form(self):
        return canonical_legal_form(self.cleaned_data["legal_form"])

    def clean_registered_seat(self):
        return _collapse(self.cleaned_data["registered_seat"])

    def clean_register_court(self):
        """A German register court is an Amtsgericht: "München" and "AG München" are written
        "Amtsgericht München", as the register itself names it."""
        court = _collapse(self.cleaned_data["register_court"])
        if court and self._country() == "DE":
            court = re.sub(r"^(AG|Amtsgericht)\s+", "", court, flags=re.IGNORECASE)
            court = f"Amtsgericht {court}"
        return court

    def clean_register_number(self):
        number = _collapse(self.cleaned_data["register_number"])
        if not number or self._country() != "DE":
            return number
        found = REGISTER_NUMBER.match(number)
        if not found:
            raise forms.ValidationError(
                _(
                    "Write the register number with its register, as the register extract "
                    "shows it: e.g. HRB 123456 (corporations) or HRA 12345 (partnerships, "
                    "merchants)."
                )
            )
        register = REGISTERS[found.group(1).upper()]
        suffix = f" {found.group(3).strip().upper()}" if found.group(3) else ""
        return f"{register} {found.group(2)}{suffix}"

    def clean_managing_directors(self):
        names = [_collapse(line) for line in self.cleaned_data["managing_directors"].splitlines()]
        names = [name for name in names if name]
        if len(names) > MAX_DIRECTORS:
            raise forms.ValidationError(
                _("At most %(count)s names, one per line.") % {"count": MAX_DIRECTORS}
            )
        for name in names:
            self._check_name(name)
        return "\n".join(names)

    def clean_supervisory_board_chair(self):
        name = _collapse(self.cleaned_data["supervisory_board_chair"])
        if name:
            self._check_name(name)
        return name

    def _check_name(self, name: str):
        if len(name) > MAX_NAME_LENGTH:
            raise forms.ValidationError(
                _("“%(name)s” is longer than %(count)s characters.")
                % {"name": name[:40] + "…", "count": MAX_NAME_LENGTH}
            )
        if not _written_out(name):
            raise forms.ValidationError(
                _(
                    "Write “%(name)s” with at least one first name in full and the family name "
                    "(e.g. Anna Muster): business letters must name people that way."
                )
                % {"name": name}
            )

    def clean_bank_account_holder(self):
        return _collapse(self.cleaned_data["bank_account_holder"])

    def clean_bank_name(self):
        return _collapse(self.cleaned_data["bank_name"])

    def clean_iban(self):
        """Compact; each mistake named: the shape, the country, its length, the check digits."""
        number = iban.compact(self.cleaned_data["iban"])
        if not number:
            return ""
        if not IBAN_SHAPE.match(number):
            raise forms.ValidationError(
                _(
                    "This is not an IBAN: it starts with a country code and two check digits, "
                    "e.g. DE89 3704 0044 0532 0130 00."
                )
            )
        try:  # the structure first, whatever the check digits say
            iban.validate(number[:2] + iban.calc_check_digits(number) + number[4:])
        except InvalidComponent:
            raise forms.ValidationError(
                _("No country issues IBANs starting with %(country)s.") % {"country": number[:2]}
            ) from None
        except ValidationError:
            raise forms.ValidationError(
                _("This IBAN has the wrong length or format for an IBAN from %(country)s.")
                % {"country": number[:2]}
            ) from None
        if not iban.is_valid(number):
            raise forms.ValidationError(
                _("The IBAN's check digits do not match: there is a typo in it.")
            )
        return number

    def clean_bic(self):
        value = self.cleaned_data["bic"]
        if not value.strip():
            return ""
        try:
            return bic.validate(value)
        except InvalidLength:
            message = _("A BIC has 8 or 11 characters, e.g. COBADEFFXXX.")
        except InvalidComponent:
            message = _("This BIC's country code (its 5th and 6th characters) is not a country.")
        except ValidationError:
            message = _("This is not a BIC: e.g. COBADEFFXXX (bank, country, location, branch).")
        raise forms.ValidationError(message)

    def clean_sepa_creditor_id(self):
        value = at_02.compact(self.cleaned_data["sepa_creditor_id"])
        if not value:
            return ""
        try:
            if not CREDITOR_ID_SHAPE.match(value):
                raise InvalidFormat()
            return at_02.validate(value)
        except InvalidChecksum:
            message = _("The creditor identifier's check digits do not match: there is a typo.")
        except ValidationError:
            message = _(
                "This is not a SEPA creditor identifier: e.g. DE98ZZZ09999999999 (country, check "
                "digits, business code, national identifier)."
            )
        raise forms.ValidationError(message)

    def check_register(self, cleaned: dict):
        """A partnership or merchant is in the HRA, a corporation in the HRB (§3 HRV)."""
        form, number = cleaned.get("legal_form") or "", cleaned.get("register_number") or ""
        if self._country() != "DE" or number[:3] not in {"HRA", "HRB"} or not form:
            return
        expected = "HRA" if form in HRA_FORMS else "HRB" if form in GERMAN_LEGAL_FORMS else ""
        if expected and number[:3] != expected:
            self.add_error(
                "register_number",
                _("Each %(form)s is registered in the %(expected)s, not the %(register)s.")
                % {"form": form, "expected": expected, "register": number[:3]},
            )
