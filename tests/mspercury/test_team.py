from datetime import timedelta

from django.utils import timezone

from mspercury.actions import do_invite
from mspercury.models import Invite, Membership, Role, User


def test_it_lists_members_with_role_and_join_date(client_for, alice, bob, dana, alpha):
    """Everyone in the team appears with their role and the day they joined."""
    Membership.objects.filter(user=bob).update(created_at=timezone.now().replace(year=2024))
    body = client_for(alice).get("/settings/team/").content.decode()
    for name in ("Alice Owner", "Bob Member", "Dana Admin"):
        assert name in body
    bob_row = body.split(f'id="member-{Membership.objects.get(user=bob).public_id}"')[1]
    bob_row = bob_row.split("</tr>")[0]
    assert "2024" in bob_row
    assert '<option value="member" selected>' in bob_row
    assert "(you)" in body


def test_it_offers_owners_all_roles_and_admins_two(client_for, alice, bob, dana, alpha):
    """The role select only lists roles the viewer may hand out; owners' rows are locked."""
    bob_id = Membership.objects.get(user=bob).public_id
    alice_id = Membership.objects.get(user=alice).public_id

    body = client_for(alice).get("/settings/team/").content.decode()
    bob_row = body.split(f'id="member-{bob_id}"')[1].split("</tr>")[0]
    assert 'value="owner"' in bob_row

    body = client_for(dana).get("/settings/team/").content.decode()
    bob_row = body.split(f'id="member-{bob_id}"')[1].split("</tr>")[0]
    alice_row = body.split(f'id="member-{alice_id}"')[1].split("</tr>")[0]
    assert 'value="admin"' in bob_row
    assert 'value="owner"' not in bob_row
    assert "/remove/" in bob_row
    assert "<select" not in alice_row
    assert "/remove/" not in alice_row


def test_it_asks_for_confirmation_before_removing(client_for, alice, bob):
    """Removing is a POST behind an explicit second click."""
    body = client_for(alice).get("/settings/team/").content.decode()
    assert "Yes, remove" in body
    assert "Remove bob@example.org from this workspace?" in body


def test_it_shows_an_empty_state_when_alone(client_for, alice):
    """A team of one invites a colleague."""
    body = client_for(alice).get("/settings/team/").content.decode()
    assert "Invite a colleague" in body
    assert "just you so far" in body


def test_it_hides_the_empty_state_with_colleagues(client_for, alice, bob):
    """With a colleague there is nothing to encourage."""
    assert "just you so far" not in client_for(alice).get("/settings/team/").content.decode()


def test_it_lists_open_invites_with_revoke(client_for, alice, alpha):
    """Open invites show with a revoke button; used and revoked ones don't."""
    inviter = Membership.objects.get(user=alice)
    open_invite, _token = do_invite(inviter, "open@example.org", Role.MEMBER)
    used, _token = do_invite(inviter, "used@example.org", Role.MEMBER)
    Invite.objects.filter(pk=used.pk).update(accepted_at=timezone.now())
    expired, _token = do_invite(inviter, "late@example.org", Role.ADMIN)
    Invite.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    body = client_for(alice).get("/settings/team/").content.decode()
    assert "open@example.org" in body
    assert f"/settings/team/invites/{open_invite.public_id}/revoke/" in body
    assert "used@example.org" not in body
    assert "late@example.org" in body
    assert "Expired" in body


def test_it_keeps_a_constant_number_of_queries(
    client_for, alice, alpha, django_assert_max_num_queries
):
    """The team page costs the same with 3 or 30 members and invites."""
    client = client_for(alice)
    inviter = Membership.objects.get(user=alice)

    def add(n):
        for i in range(n):
            user = User.objects.create_user(f"u{i}-{n}@example.org", "x")
            Membership.objects.create(workspace=alpha, user=user, role=Role.ADMIN)
            do_invite(inviter, f"i{i}-{n}@example.org", Role.MEMBER)

    add(2)
    with django_assert_max_num_queries(12) as few:
        assert client.get("/settings/team/").status_code == 200
    add(28)
    with django_assert_max_num_queries(len(few)) as many:
        body = client.get("/settings/team/").content.decode()
    assert body.count('id="member-') == 31
    assert body.count('id="invite-') == 30
    assert len(many) == len(few)


def test_it_checks_ownership(client_for, alice, bob, charlie):
    """Charlie's team page shows his own workspace only."""
    body = client_for(charlie).get("/settings/team/").content.decode()
    assert "charlie@example.org" in body
    assert "alice@example.org" not in body
    assert "bob@example.org" not in body
