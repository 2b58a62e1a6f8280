"""{{ workspace.country.code|uncalculated_tax_warning }} and ``|uncalculated_tax_note``: the
sales-tax warning and the workspace settings name the country's own tax
(rules.indirect_taxes), never "no VAT"."""

from django import template
from django.utils import timezone

from rules.indirect_taxes import not_calculated_note, not_calculated_warning
from rules.tax import standard_rate

register = template.Library()


@register.filter
def uncalculated_tax_warning(country: str) -> str:
    return not_calculated_warning(country)


@register.filter
def uncalculated_tax_note(country: str) -> str:
    """For a country outside our VAT table, which of its taxes MSPercury does not calculate."""
    if not country or standard_rate(country, timezone.localdate()) is not None:
        return ""
    return not_calculated_note(country)
