"""Re-checking a subscription's draft invoice before Stripe finalizes it. Pure.

A renewal draft carries the tax rates the push chose when the quote was accepted. Before Stripe
finalizes it (about an hour after ``invoice.created``), the treatment is decided again with
today's data (the customer's VIES status and country, the rate in force on the supply date),
and this rule says what to change: which lines and whether the invoice's default tax rates get
which tax-rate key (``integrations.push.tax_rates.TaxRateSpec.key``), the legal wording of the
footer and custom fields, and a change list for people.

Tax rates MSPercury did not create (someone edited the draft in Stripe) are left alone and
reported, never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_noop

from mspercury.texts import Joined, Text
from rules.tax import TaxDecision, TaxTreatment

FOREIGN = None  # the key of a tax rate that is not one of ours


@dataclass(frozen=True)
class DraftLine:
    id: str
    description: str
    rate_keys: tuple[str | None, ...]  # keys of the rates the line is taxed with; None: not ours


@dataclass(frozen=True)
class Wording:
    footer: str
    custom_fields: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class Correction:
    lines: dict[str, str] = field(default_factory=dict)  # line id -> the key it gets
    default_key: str | None = None  # the invoice's default tax rate becomes this key
    footer: str | None = None  # the new footer, or None (unchanged)
    custom_fields: tuple[dict[str, str], ...] | None = (
        None  # the new custom fields, or None (unchanged)
    )
    tax_exempt: str | None = None  # the Stripe customer's new tax_exempt, or None
    changes: tuple[Text, ...] = ()  # what changed, for people
    skipped: tuple[Text, ...] = ()  # what was left alone, for people

    @property
    def changed(self) -> bool:
        return bool(self.lines or self.default_key or self.footer is not None) or (
            self.custom_fields is not None or self.tax_exempt is not None
        )


def parse_key(key: str) -> tuple[str, Decimal, bool, str]:
    """(country, percent, inclusive, treatment) of a TaxRateSpec key."""
    country, percent, behaviour, treatment = key.split(":")
    return country.replace("-", ""), Decimal(percent), behaviour == "inclusive", treatment


def describe_key(key: str) -> Text:
    country, percent, _inclusive, treatment = parse_key(key)
    names: dict[str, str] = {
        TaxTreatment.REVERSE_CHARGE: gettext_noop("%(percent)s %% VAT, reverse charge"),
        TaxTreatment.INTRA_EU_GOODS: gettext_noop("%(percent)s %% VAT, intra-EU supply"),
        TaxTreatment.EXPORT: gettext_noop("%(percent)s %% VAT, not taxable here"),
    }
    name = names.get(treatment) or gettext_noop("%(percent)s %% VAT (%(country)s)")
    return Text(name, percent=format(percent.normalize(), "f"), country=country)


def reason(old_key: str, decision: TaxDecision, supply_date: date, customer_country: str) -> Text:
    """Why the treatment changed, from the old key and today's decision."""
    old_country, _old_percent, _inclusive, old_treatment = parse_key(old_key)
    if "customer_vat_id_invalid" in decision.hints and old_treatment in (
        TaxTreatment.REVERSE_CHARGE,
        TaxTreatment.INTRA_EU_GOODS,
    ):
        return Text(gettext_noop("VIES reports the customer's VAT ID as invalid"))
    if old_treatment == decision.treatment and old_country == decision.rate_country:
        return Text(
            gettext_noop("the VAT rate in %(country)s is %(percent)s %% from %(date)s"),
            country=decision.rate_country,
            percent=format(decision.rate.normalize(), "f"),
            date=supply_date.isoformat(),
        )
    if old_country != decision.rate_country or old_treatment != decision.treatment:
        return Text(
            gettext_noop("the customer is now in %(country)s"), country=customer_country or "?"
        )
    return Text(gettext_noop("the treatment was decided again"))


def reword(current: Wording, old: Wording | None, new: Wording | None) -> Wording | None:
    """The footer and custom fields with the old legal wording replaced by the new one, or None
    when nothing changes or the old wording cannot be found where the push put it."""
    if old == new:
        return None
    footer = current.footer
    if old is not None:
        suffix = f"\n\n{old.footer}"
        if footer.endswith(suffix):
            footer = footer[: -len(suffix)]
        elif footer == old.footer:
            footer = ""
        else:
            return None
    if new is not None:
        footer = f"{footer}\n\n{new.footer}" if footer else new.footer
    kept = tuple(f for f in current.custom_fields if old is None or f not in old.custom_fields)
    fields = kept + (new.custom_fields if new is not None else ())
    return Wording(footer, fields[:4])


def recheck(
    lines: list[DraftLine],
    default_keys: tuple[str | None, ...],
    want: str | None,
    why: Text | str = "",
) -> Correction:
    """Which lines and which invoice default get the key ``want`` (None: the treatment puts no
    tax rate on the invoice, so nothing is changed)."""
    if want is None:
        return Correction()
    changes: list[Text] = []
    skipped: list[Text] = []
    fixed: dict[str, str] = {}
    for line in lines:
        keys = set(line.rate_keys)
        if FOREIGN in keys:
            skipped.append(
                Text(
                    gettext_noop(
                        "%(line)s: carries a tax rate MSPercury did not set; left unchanged"
                    ),
                    line=line.description or line.id,
                )
            )
        elif keys != {want}:
            fixed[line.id] = want
            changes.append(_change(line.description or line.id, keys, want, why))
    default_key = None
    if FOREIGN not in default_keys and set(default_keys) not in (set(), {want}):
        default_key = want
        changes.append(_change(Text(gettext_noop("Invoice default")), set(default_keys), want, why))
    return Correction(
        lines=fixed, default_key=default_key, changes=tuple(changes), skipped=tuple(skipped)
    )


def _change(what: Text | str, keys: set[Any], want: str, why: Text | str) -> Text:
    before = (
        Joined([describe_key(k) for k in sorted(keys)], ", ")
        if keys
        else Text(gettext_noop("no VAT"))
    )
    text = Text(
        gettext_noop("%(what)s: %(before)s → %(after)s"),
        what=what,
        before=before,
        after=describe_key(want),
    )
    return Text("%(text)s (%(why)s)", text=text, why=why) if why else text


def tax_exempt_for(treatment: str) -> str:
    """What the Stripe customer's tax_exempt must say for this treatment (the push's rule)."""
    return "reverse" if treatment == TaxTreatment.REVERSE_CHARGE else "none"
