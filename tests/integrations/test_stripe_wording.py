"""Stripe's messages in words: Unix stamps become local dates with their zone; the message
that jammed contract changes reads as what to do."""

import re
from zoneinfo import ZoneInfo

from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from integrations.stripe.wording import in_words, local_stamp

BERLIN = ZoneInfo("Europe/Berlin")
JAMMED = (
    "`proration_date` must be within the subscription's current period (1799337828 to 1802016228)."
)


def test_it_tells_the_proration_period_in_local_dates():
    with translation.override("en"):
        text = in_words(JAMMED, BERLIN)
    assert not re.search(r"\d{10}", text)
    # 1799337828 is 2027-01-07 16:03:48 UTC, 17:03:48 in Berlin (CET).
    assert "(7 Jan 2027, 17:03 CET to 7 Feb 2027, 17:03 CET)" in text
    assert "Re-plan the change" in text


def test_it_speaks_german():
    with translation.override("de"):
        text = in_words(JAMMED, BERLIN)
    assert "(07.01.2027, 17:03 CET bis 07.02.2027, 17:03 CET)" in text
    assert "Planen Sie die Änderung neu" in text


def test_it_leaves_ids_amounts_and_plain_messages_alone():
    message = "No such price: 'price_1799337828'; amount 99999999 on req_1799337828."
    assert in_words(message, BERLIN) == message
    assert in_words("", BERLIN) == ""


@given(st.integers(min_value=1_000_000_000, max_value=4_102_444_799))
def test_every_stamp_in_an_unknown_message_becomes_local(seconds):
    with translation.override("en"):
        text = in_words(f"cancel_at {seconds} is in the past.", BERLIN)
    assert str(seconds) not in text
    assert text == f"cancel_at {local_stamp(seconds, BERLIN)} is in the past."
