"""Stripe's error messages as an MSP reads them: known messages in words, and every Unix
timestamp in them as a local date and time with its zone (DESIGN.md "Local time"). Stripe's
message is stored verbatim; this runs when it is shown, in the reader's language."""

import re
from datetime import UTC, datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _

# Unix seconds from 2001-09-09 to 2100-01-01: ten digits, never an amount Stripe quotes.
_STAMP = re.compile(r"(?<![\w.])(1\d{9}|[2-3]\d{9}|40\d{8}|410[0-3]\d{7})(?![\w.])")
_PRORATION_PERIOD = re.compile(
    r"`?proration_date`? must be within the subscription's current period "
    r"\((\d{9,10}) to (\d{9,10})\)\.?"
)


def local_stamp(seconds: int, zone) -> str:
    """``seconds`` since the epoch as the local date and time in ``zone``, with the zone."""
    moment = datetime.fromtimestamp(seconds, tz=UTC).astimezone(zone)
    return f"{date_format(moment, 'DATETIME_FORMAT')} {moment.tzname()}"


def in_words(message: str, zone) -> str:
    """``message`` (Stripe's, verbatim) as the MSP should read it."""
    if not message:
        return ""
    known = _PRORATION_PERIOD.search(message)
    if known:
        start, end = (local_stamp(int(x), zone) for x in known.groups())
        words = _(
            "Stripe prorates a change only within the subscription's current period "
            "(%(start)s to %(end)s), and the moment planned lies outside it. Re-plan the "
            "change: MSPercury then prorates inside the period that runs now."
        ) % {"start": start, "end": end}
        message = message[: known.start()] + words + message[known.end() :]
    return _STAMP.sub(lambda m: local_stamp(int(m.group(1)), zone), message)
