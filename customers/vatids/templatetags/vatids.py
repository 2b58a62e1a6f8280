from django import template
from django.utils.translation import gettext_lazy as _

from customers.vatids import services
from customers.vatids.vies import PERMANENT

register = template.Library()

# Why VIES gave no verdict, in words (VIES's codes and the client's own).
ERROR_LABELS = {
    "MS_UNAVAILABLE": _("VIES member state unavailable"),
    "MS_MAX_CONCURRENT_REQ": _("too many concurrent requests to the member state"),
    "MS_MAX_CONCURRENT_REQ_TIME": _("too many concurrent requests to the member state"),
    "GLOBAL_MAX_CONCURRENT_REQ": _("too many concurrent requests to VIES"),
    "GLOBAL_MAX_CONCURRENT_REQ_TIME": _("too many concurrent requests to VIES"),
    "SERVICE_UNAVAILABLE": _("VIES unavailable"),
    "TIMEOUT": _("VIES timed out"),
    "NETWORK_ERROR": _("VIES could not be reached"),
    "BAD_RESPONSE": _("VIES gave an unreadable answer"),
    "INVALID_INPUT": _("VIES rejected the number as malformed"),
    "INVALID_REQUESTER_INFO": _("VIES rejected the requester, your workspace's own VAT ID"),
    "VAT_BLOCKED": _("VIES blocked the request for this number"),
    "IP_BLOCKED": _("VIES blocked requests from this server"),
}


@register.filter
def error_label(code: str) -> str:
    if not code:
        return str(_("no answer yet"))
    return str(ERROR_LABELS.get(code, code))


@register.filter
def is_permanent_error(code: str) -> bool:
    return code in PERMANENT


@register.simple_tag
def vies_state(customer):
    """The customer's VIES state for the page (None without an EU VAT ID)."""
    return services.describe(customer)
