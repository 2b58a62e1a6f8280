import pytest
from django.test import Client

from mspercury.actions import TeamError, do_change_role, do_remove_member
from mspercury.models import AuditEvent, Invite, Membership, Role, User


def _m(user, workspace):
    return Membership.objects.get(user=user, workspace=workspace)


def _set_role(client, membership, role):
    return client.post(f"/settings/team/members/{membership.public_id}/role/", {"role": role})


def _remove(client, membership):
    return client.post(f"/settings/team/members/{membership.public_id}/remove/")


# Members


def test_it_shows_members_the_team_without_controls(client_for, alice, bob):
    """A member sees who is in the team but gets no invite, role or remove controls."""
    r = client_for(bob).get("/settings/team/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "alice@example.org" in body
    assert "/role/" not in body
    assert "/remove/" not in body
    assert "/settings/team/invite/" not in body


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/settings/team/invite/"),
        ("get", "/settings/audit/"),
    ],
)
def test_it_forbids_members_admin_pages(client_for, bob, method, url):
    """Inviting and the audit log are for owners and admins: 403."""
    r = getattr(client_for(bob), method)(url, {})
    assert r.status_code == 403


def test_it_forbids_members_to_change_roles(client_for, alice, bob, alpha):
    """A member can't promote themselves or anyone else."""
    client = client_for(bob)
    assert _set_role(client, _m(bob, alpha), "owner").status_code == 403
    assert _set_role(client, _m(alice, alpha), "member").status_code == 403
    assert _m(bob, alpha).role == Role.MEMBER
    assert _m(alice, alpha).role == Role.OWNER


def test_it_forbids_members_to_remove(client_for, alice, bob, dana, alpha):
    """A member can't remove anyone."""
    assert _remove(client_for(bob), _m(dana, alpha)).status_code == 403
    assert Membership.objects.filter(workspace=alpha).count() == 3


# Admins


def test_it_lets_admins_promote_and_demote_between_member_and_admin(client_for, dana, bob, alpha):
    """Member → admin → member, each recorded with from and to."""
    client = client_for(dana)
    assert _set_role(client, _m(bob, alpha), "admin").status_code == 302
    assert _m(bob, alpha).role == Role.ADMIN
    _set_role(client, _m(bob, alpha), "member")
    assert _m(bob, alpha).role == Role.MEMBER
    events = AuditEvent.objects.filter(workspace=alpha, action="member.role_changed")
    assert [(e.details["from"], e.details["to"]) for e in events] == [
        ("admin", "member"),
        ("member", "admin"),
    ]
    assert all(e.actor == dana for e in events)


def test_it_forbids_admins_to_make_owners(client_for, dana, bob, alpha):
    """Only owners hand out the owner role."""
    client = client_for(dana)
    r = _set_role(client, _m(bob, alpha), "owner")
    assert r.status_code == 302
    assert _m(bob, alpha).role == Role.MEMBER
    assert "Only owners can make someone an owner" in client.get("/settings/team/").content.decode()


def test_it_forbids_admins_to_touch_owners(client_for, alice, dana, alpha):
    """An admin can neither demote nor remove an owner."""
    client = client_for(dana)
    _set_role(client, _m(alice, alpha), "member")
    _remove(client, _m(alice, alpha))
    assert _m(alice, alpha).role == Role.OWNER
    assert not AuditEvent.objects.filter(workspace=alpha, action__startswith="member.").exists()


def test_it_lets_admins_remove_members_and_admins(client_for, alice, bob, dana, alpha):
    """An admin removes a member; the removal is recorded."""
    erin = User.objects.create_user("erin@example.org", "x")
    Membership.objects.create(workspace=alpha, user=erin, role=Role.ADMIN)
    client = client_for(dana)
    assert _remove(client, _m(bob, alpha)).status_code == 302
    assert _remove(client, _m(erin, alpha)).status_code == 302
    left = Membership.objects.filter(workspace=alpha).values_list("user__email", flat=True)
    assert set(left) == {"alice@example.org", "dana@example.org"}
    assert AuditEvent.objects.filter(workspace=alpha, action="member.removed").count() == 2


def test_it_ends_a_removed_members_access_at_once(client_for, alice, bob, alpha):
    """The removed person's next request no longer reaches Alpha."""
    bob_client = client_for(bob)
    assert bob_client.get("/settings/team/").status_code == 200
    owner = Client()
    owner.force_login(alice)
    _remove(owner, _m(bob, alpha))
    r = bob_client.get("/settings/team/")
    assert r.status_code == 302
    assert r["Location"] == "/workspaces/new/"
    bob.refresh_from_db()
    assert bob.last_workspace is None


# Owners


def test_it_lets_owners_make_and_unmake_owners(client_for, alice, dana, alpha):
    """An owner promotes an admin to owner and can demote that owner again."""
    client = client_for(alice)
    _set_role(client, _m(dana, alpha), "owner")
    assert _m(dana, alpha).role == Role.OWNER
    _set_role(client, _m(dana, alpha), "admin")
    assert _m(dana, alpha).role == Role.ADMIN


def test_it_lets_owners_remove_another_owner(client_for, alice, dana, alpha):
    """With two owners, one owner removes the other."""
    Membership.objects.filter(user=dana).update(role=Role.OWNER)
    assert _remove(client_for(alice), _m(dana, alpha)).status_code == 302
    assert not Membership.objects.filter(user=dana, workspace=alpha).exists()


def test_it_forbids_changing_your_own_role(client_for, alice, dana, alpha):
    """Nobody changes their own role, not even an owner with a co-owner."""
    Membership.objects.filter(user=dana).update(role=Role.OWNER)
    client = client_for(alice)
    _set_role(client, _m(alice, alpha), "member")
    assert _m(alice, alpha).role == Role.OWNER
    assert "change your own role" in client.get("/settings/team/").content.decode()


def test_it_forbids_removing_yourself(client_for, alice, alpha):
    """The last owner can't leave through the remove button."""
    client = client_for(alice)
    _remove(client, _m(alice, alpha))
    assert Membership.objects.filter(user=alice, workspace=alpha).exists()


def test_it_keeps_the_last_owner(alice, dana, alpha):
    """Even when an owner's role is read stale, the workspace keeps at least one owner."""
    alice_m, dana_m = _m(alice, alpha), _m(dana, alpha)
    Membership.objects.filter(pk=dana_m.pk).update(role=Role.OWNER)
    dana_m.role = Role.OWNER
    do_change_role(dana_m, alice_m, Role.ADMIN)
    # alice still believes she is an owner; the locked re-read knows better.
    alice_m.role = Role.OWNER
    with pytest.raises(TeamError):
        do_change_role(alice_m, dana_m, Role.ADMIN)
    with pytest.raises(TeamError):
        do_remove_member(alice_m, dana_m)
    assert _m(dana, alpha).role == Role.OWNER
    assert Membership.objects.filter(workspace=alpha, role=Role.OWNER).count() == 1


def test_it_forbids_workspace_settings_for_members(client_for, bob, alpha):
    """A member can't change the workspace's settings."""
    r = client_for(bob).post("/settings/workspace/", {"name": "Taken over"})
    alpha.refresh_from_db()
    assert alpha.name == "Alpha IT"
    assert r.status_code == 403


def test_it_checks_ownership(client_for, alice, alpha, charlie, charlie_ws):
    """An owner of another workspace gets 404 for Alpha's memberships."""
    client = client_for(charlie)
    assert _set_role(client, _m(alice, alpha), "member").status_code == 404
    assert _remove(client, _m(alice, alpha)).status_code == 404
    assert _m(alice, alpha).role == Role.OWNER
    assert not Invite.objects.exists()
