"""Local time (DESIGN.md "Local time, language, sender"): every time shown is the workspace's
local time with its zone, every legally relevant date its local date. The moment 23:30 UTC on
7 December 2026 is 8 December 00:30 CET in Berlin and 7 December 18:30 EST in New York."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core import mail
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from billing.datev.export import debtor_file
from billing.datev.models import DatevSettings
from billing.models import StripeInvoice
from mspercury import actions
from mspercury.localtime import (
    stamp,
    today_in,
    workspace_stamp,
    workspace_time,
    zone_abbreviation,
)
from mspercury.models import AuditEvent, Invite, Membership
from portal.emails import invoice_email

LATE = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)


def _new_york(workspace):
    workspace.time_zone = "America/New_York"
    workspace.save(update_fields=["time_zone"])
    return workspace


def test_it_stamps_a_moment_with_the_zone_it_is_shown_in(alpha):
    """Berlin (the German default) shows the next day; New York its own evening."""
    with translation.override("en"):
        assert workspace_stamp(alpha, LATE) == "8 Dec 2026, 00:30 CET"
        with translation.override("de"):
            assert workspace_stamp(alpha, LATE) == "08.12.2026, 00:30 CET"
        assert workspace_stamp(_new_york(alpha), LATE) == "7 Dec 2026, 18:30 EST"


def test_it_names_summer_time_and_zones_without_letters():
    """CEST in summer; a zone Python knows only by offset reads "UTC+04"."""
    summer = datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert zone_abbreviation(summer.astimezone(ZoneInfo("Europe/Berlin"))) == "CEST"
    assert zone_abbreviation(summer.astimezone(ZoneInfo("Asia/Dubai"))) == "UTC+04"
    assert zone_abbreviation(summer.astimezone(ZoneInfo("Asia/Kolkata"))) == "IST"
    assert zone_abbreviation(summer.astimezone(ZoneInfo("UTC"))) == "UTC"


@given(
    seconds=st.integers(946_684_800, 2_208_988_800),  # 2000 to 2040
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"]),
)
def test_the_stamp_is_the_local_wall_clock(seconds, zone):
    """Whatever the moment, the stamp shows the wall clock of the zone and its abbreviation."""
    moment = datetime.fromtimestamp(seconds, UTC)
    local = moment.astimezone(ZoneInfo(zone))
    with translation.override("en"), timezone.override(ZoneInfo(zone)):
        shown = stamp(moment, "Y-m-d H:i")
    assert shown == f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def test_today_is_the_workspace_s_local_date(alpha):
    import time_machine

    with time_machine.travel(LATE, tick=False):
        assert str(today_in(alpha)) == "2026-12-08"
        assert str(today_in(_new_york(alpha))) == "2026-12-07"


def _audit(workspace, actor):
    AuditEvent.objects.create(
        workspace=workspace, actor=actor, action="test.event", summary="late event"
    )
    AuditEvent.objects.filter(workspace=workspace).update(created_at=LATE)


def test_the_audit_log_shows_local_time(client_for, alice, alpha):
    _audit(alpha, alice)
    html = client_for(alice).get("/settings/audit/").content.decode()
    assert "8 Dec 2026, 00:30 CET" in html
    assert "23:30" not in html


def test_another_workspace_s_audit_log_shows_its_own_zone(client_for, charlie, charlie_ws):
    """Charlie's workspace keeps New York time; its log says so (and Berlin's setting is not
    carried over from another request)."""
    _new_york(charlie_ws)
    _audit(charlie_ws, charlie)
    html = client_for(charlie).get("/settings/audit/").content.decode()
    assert "7 Dec 2026, 18:30 EST" in html


def test_a_request_leaves_no_zone_behind(client_for, alice):
    client_for(alice).get("/settings/audit/")
    assert timezone.get_current_timezone_name() == "UTC"


def test_the_invite_mail_says_until_when_in_local_time(alpha, alice):
    import time_machine

    inviter = Membership.objects.get(user=alice)
    mail.outbox.clear()
    with time_machine.travel(LATE - timedelta(days=7), tick=False), translation.override("en"):
        actions.do_invite(inviter, "erin@example.org", "member")
    invite = Invite.objects.get(email="erin@example.org")
    (message,) = mail.outbox
    expected = workspace_stamp(alpha, invite.expires_at, "DATETIME_FORMAT")
    assert expected.endswith("CET") and expected in message.body


def test_the_pay_link_mail_says_until_when_in_local_time(alpha):
    invoice = StripeInvoice(
        workspace=alpha, number="RE-1", amount_remaining=1000, currency="EUR", stripe_id="in_1"
    )
    with translation.override("de"):
        _, body = invoice_email(invoice, "token", LATE, reminder=False)
    assert "Der Link gilt bis 08.12.2026, 00:30 CET" in body
    with translation.override("en"):
        _, body = invoice_email(_invoice_of(_new_york(alpha)), "token", LATE, reminder=False)
    assert "until 7 Dec 2026, 18:30 EST" in body


def _invoice_of(workspace):
    return StripeInvoice(
        workspace=workspace, number="RE-1", amount_remaining=1000, currency="EUR", stripe_id="i"
    )


def test_the_datev_header_carries_the_local_creation_time(alpha):
    """EXTF header field 6 (created at) and the debtor file's date are the MSP's local ones."""
    prefs = DatevSettings.for_workspace(alpha)
    exported = debtor_file(alpha, prefs, now=LATE)
    header = exported.content.decode("cp1252").splitlines()[0].split(";")
    assert header[5] == "20261208003000000"
    assert exported.name.endswith("20261208.csv")


def test_workspace_time_is_undone_after_the_block(alpha):
    with workspace_time(alpha):
        assert timezone.get_current_timezone_name() == "Europe/Berlin"
    assert timezone.get_current_timezone_name() == "UTC"
