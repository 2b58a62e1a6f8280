"""Times as the workspace sees them: ``{{ moment|local_stamp }}`` shows a moment in the active
zone (the workspace's, see ``mspercury.localtime``) with the zone's abbreviation."""

from datetime import datetime

from django import template
from django.utils import formats, timezone

from mspercury.localtime import stamp

register = template.Library()


@register.filter
def local_stamp(value, fmt="SHORT_DATETIME_FORMAT"):
    """ "07.12.2026, 15:52 CET"; ``local_stamp:"DATETIME_FORMAT"`` for the long format."""
    if not value:
        return ""
    if not isinstance(value, datetime):  # a calendar date has no zone
        return formats.date_format(value, fmt.replace("DATETIME", "DATE"))
    return stamp(value, fmt)


@register.simple_tag
def current_zone_name():
    """The active zone's name ("Europe/Berlin"), to label pages whose times are in it."""
    return timezone.get_current_timezone_name()
