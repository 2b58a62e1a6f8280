import re
from datetime import timedelta

from django.utils import timezone

from mspercury.models import AuditEvent, Membership


def _events(workspace, actor, n, start=None):
    start = start or timezone.now() - timedelta(days=1)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            workspace=workspace,
            actor=actor,
            action="test.event",
            summary=f"event {i:03d}",
            ip_address="198.51.100.7",
            created_at=start + timedelta(minutes=i),
        )
        for i in range(n)
    )


def test_it_lists_events_newest_first(client_for, alice, alpha):
    """Actor, action, summary, time and IP address, the latest on top."""
    _events(alpha, alice, 3)
    r = client_for(alice).get("/settings/audit/")
    assert r.status_code == 200
    body = r.content.decode()
    assert body.index("event 002") < body.index("event 001") < body.index("event 000")
    assert "alice@example.org" in body
    assert "198.51.100.7" in body
    assert "test.event" in body


def test_it_records_team_changes(client_for, alice, bob, alpha):
    """Invites and role changes show up with their summary (from → to)."""
    client = client_for(alice)
    client.post("/settings/team/invite/", {"email": "erin@example.org", "role": "member"})
    bob_m = Membership.objects.get(user=bob)
    client.post(f"/settings/team/members/{bob_m.public_id}/role/", {"role": "admin"})
    client.post(f"/settings/team/members/{bob_m.public_id}/remove/")
    body = client.get("/settings/audit/").content.decode()
    assert "Invite sent" in body
    assert "Invited erin@example.org as Member" in body
    assert "bob@example.org: Member → Admin" in body
    assert "Removed bob@example.org (Admin)" in body
    assert "127.0.0.1" in body


def test_it_paginates_by_fifty(client_for, alice, alpha):
    """51 events make two pages; the oldest is alone on page 2."""
    _events(alpha, alice, 51)
    client = client_for(alice)
    first = client.get("/settings/audit/").content.decode()
    assert first.count("event 0") == 50
    assert "event 000" not in first
    assert "Page 1 of" not in first  # keyset pages: nothing counts the whole log
    older = re.search(r'<a href="\?(cursor=[^"]+)" rel="next"', first).group(1)
    second = client.get(f"/settings/audit/?{older}").content.decode()
    assert second.count("event 0") == 1
    assert "event 000" in second
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_it_keeps_a_constant_number_of_queries(
    client_for, alice, bob, dana, alpha, django_assert_max_num_queries
):
    """A full page of events from several actors costs no more queries than one event."""
    client = client_for(alice)
    _events(alpha, alice, 1)
    with django_assert_max_num_queries(10) as one:
        client.get("/settings/audit/")
    for actor in (alice, bob, dana, None):
        _events(alpha, actor, 20)
    with django_assert_max_num_queries(len(one)):
        body = client.get("/settings/audit/").content.decode()
    assert body.count("event 0") == 50
    assert "bob@example.org" in body


def test_it_forbids_members(client_for, bob, alpha):
    """Members get 403."""
    assert client_for(bob).get("/settings/audit/").status_code == 403


def test_it_lets_admins_in(client_for, dana, alpha):
    """Admins see the log."""
    assert client_for(dana).get("/settings/audit/").status_code == 200


def test_it_shows_an_empty_state(client_for, alice, alpha):
    """Nothing recorded yet is said plainly."""
    assert "Nothing recorded yet" in client_for(alice).get("/settings/audit/").content.decode()


def test_it_checks_ownership(client_for, alice, alpha, charlie):
    """Charlie's log never shows Alpha's events."""
    _events(alpha, alice, 3)
    body = client_for(charlie).get("/settings/audit/").content.decode()
    assert "event 00" not in body
    assert "alice@example.org" not in body
