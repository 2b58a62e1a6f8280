"""Stripe's error messages as an MSP reads them: known messages in words, and every Unix
timestamp in them as a local date and time with its zone (DESIGN.md "Local time"). Stripe's
message is stored verbatim; this runs when it is shown, in the reader's language."""

import re
from datetime import UTC, datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _

# Ten digits standing alone: Unix seconds when they fall from 2001-09-09 to 2100-01-01.
_STAMP = re.compile(r"(?<![\w.])(\d{10})(?![\w.])")
_FIRST, _LAST = 1_000_000_000, 4_102_444_799
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
    return _STAMP.sub(lambda m: _stamp_or_number(m.group(1), zone), message)


def _stamp_or_number(digits: str, zone) -> str:
    seconds = int(digits)
    return local_stamp(seconds, zone) if _FIRST <= seconds <= _LAST else digits
