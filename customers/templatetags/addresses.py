from django import template

from customers.addresses import locality_line

register = template.Library()


def _get(party, name: str) -> str:
    value = party.get(name, "") if isinstance(party, dict) else getattr(party, name, "")
    return str(getattr(value, "code", value) or "")  # a django-countries Country has .code


@register.filter
def locality(party) -> str:
    """The postcode-and-town line of a customer, a workspace or their snapshot dict."""
    region = _get(party, "region") or _get(party, "state")
    return locality_line(
        _get(party, "postal_code"), _get(party, "city"), region, _get(party, "country")
    )
