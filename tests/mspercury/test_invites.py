import re
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from mspercury import tenancy
from mspercury.actions import TeamError, do_accept_invite, do_invite
from mspercury.middleware import SESSION_WORKSPACE_KEY
from mspercury.models import AuditEvent, Invite, Membership, Role, User, hash_token
from mspercury.views.team import INVITE_PAGE_RATE
from tests.conftest import PASSWORD


def _invite(user, workspace, email="erin@example.org", role=Role.MEMBER):
    """Invite through the action; return the invite and its plain token."""
    inviter = Membership.objects.get(user=user, workspace=workspace)
    return do_invite(inviter, email, role)


def _token_from_mail(message) -> str:
    return re.search(r"/invite/([\w-]+)/", message.body).group(1)


# Sending


def test_it_sends_an_invite_with_a_single_use_link(client_for, alice, alpha, settings):
    """The email carries the public link; only the token's hash is stored."""
    settings.MSPERCURY_PUBLIC_URL = "https://app.example.com"
    r = client_for(alice).post(
        "/settings/team/invite/", {"email": "Erin@Example.org", "role": "admin"}
    )
    assert r.status_code == 302
    invite = Invite.objects.get(workspace=alpha)
    assert invite.email == "erin@example.org"
    assert invite.role == Role.ADMIN
    assert invite.invited_by == alice
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["erin@example.org"]
    assert "Alpha IT" in message.subject
    token = _token_from_mail(message)
    assert f"https://app.example.com/invite/{token}/" in message.body
    assert invite.token_hash == hash_token(token)
    assert token not in str(Invite.objects.values().get())
    assert invite.expires_at > timezone.now() + timedelta(days=settings.MSPERCURY_INVITE_DAYS - 1)
    event = AuditEvent.objects.get(workspace=alpha, action="invite.sent")
    assert event.actor == alice
    assert token not in str(event.details) + event.summary


def test_it_lets_admins_invite_members_and_admins(client_for, dana, alpha):
    """An admin may invite admins."""
    r = client_for(dana).post("/settings/team/invite/", {"email": "x@example.org", "role": "admin"})
    assert r.status_code == 302
    assert Invite.objects.get(workspace=alpha).role == Role.ADMIN


def test_it_lets_only_owners_invite_owners(client_for, dana, alpha):
    """An admin's invite form has no owner role; posting it anyway is rejected."""
    client = client_for(dana)
    assert 'value="owner"' not in client.get("/settings/team/").content.decode()
    r = client.post("/settings/team/invite/", {"email": "x@example.org", "role": "owner"})
    assert r.status_code == 200
    assert not Invite.objects.exists()
    assert not mail.outbox


def test_it_lets_owners_invite_owners(client_for, alice, alpha):
    """An owner may hand out the owner role."""
    client_for(alice).post("/settings/team/invite/", {"email": "x@example.org", "role": "owner"})
    assert Invite.objects.get(workspace=alpha).role == Role.OWNER


def test_it_forbids_members_to_invite(client_for, bob):
    """Members get 403 and nothing is sent."""
    r = client_for(bob).post("/settings/team/invite/", {"email": "x@example.org", "role": "member"})
    assert r.status_code == 403
    assert not Invite.objects.exists()
    assert not mail.outbox


def test_it_refuses_to_invite_an_existing_member(client_for, alice, bob):
    """Inviting someone who is already in the team explains why nothing happened."""
    r = client_for(alice).post(
        "/settings/team/invite/", {"email": "BOB@example.org", "role": "member"}
    )
    assert r.status_code == 200
    assert "bob@example.org is already a member of this workspace" in r.content.decode()
    assert not Invite.objects.exists()
    assert not mail.outbox


def test_it_replaces_an_open_invite_for_the_same_email(client, alice, alpha):
    """Re-inviting revokes the earlier link; only the newest works."""
    first, first_token = _invite(alice, alpha)
    _second, second_token = _invite(alice, alpha, role=Role.ADMIN)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert client.get(f"/invite/{first_token}/").status_code == 410
    assert client.get(f"/invite/{second_token}/").status_code == 200


def test_it_revokes_an_invite(client_for, client, alice, alpha):
    """A revoked link shows that it was withdrawn."""
    invite, token = _invite(alice, alpha)
    r = client_for(alice).post(f"/settings/team/invites/{invite.public_id}/revoke/")
    assert r.status_code == 302
    invite.refresh_from_db()
    assert invite.revoked_at is not None
    assert AuditEvent.objects.filter(workspace=alpha, action="invite.revoked").count() == 1
    client.logout()
    r = client.get(f"/invite/{token}/")
    assert r.status_code == 410
    assert "withdrawn" in r.content.decode()


def test_it_forbids_members_to_revoke(client_for, alice, bob, alpha):
    """Members get 403 and the invite stays open."""
    invite, _token = _invite(alice, alpha)
    r = client_for(bob).post(f"/settings/team/invites/{invite.public_id}/revoke/")
    assert r.status_code == 403
    invite.refresh_from_db()
    assert invite.revoked_at is None


def test_it_checks_ownership(client_for, alice, alpha, charlie):
    """Another workspace's owner can't revoke Alpha's invite: 404."""
    invite, _token = _invite(alice, alpha)
    r = client_for(charlie).post(f"/settings/team/invites/{invite.public_id}/revoke/")
    assert r.status_code == 404
    invite.refresh_from_db()
    assert invite.revoked_at is None


# The public invite page


def test_it_says_when_the_link_is_unknown(client, db):
    """A guessed token gets 404 with an explanation."""
    r = client.get("/invite/not-a-real-token/")
    assert r.status_code == 404
    assert "Invitation not found" in r.content.decode()


def test_it_says_when_the_invite_expired(client, alice, alpha):
    """An expired link answers 410 and says so."""
    invite, token = _invite(alice, alpha)
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    r = client.get(f"/invite/{token}/")
    assert r.status_code == 410
    assert "expired" in r.content.decode()


def test_it_signs_up_an_invited_person_without_a_new_workspace(client, alice, alpha):
    """Anonymous, no account: name + password create the account and the membership."""
    _invite_obj, token = _invite(alice, alpha, role=Role.ADMIN)
    r = client.get(f"/invite/{token}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "erin@example.org" in body
    assert 'name="email"' not in body
    r = client.post(
        f"/invite/{token}/",
        {"full_name": "Erin Example", "password": PASSWORD, "email": "evil@example.org"},
    )
    assert r.status_code == 302
    erin = User.objects.get(email="erin@example.org")
    assert not User.objects.filter(email="evil@example.org").exists()
    assert erin.full_name == "Erin Example"
    assert [(m.workspace, m.role) for m in erin.memberships.all()] == [(alpha, Role.ADMIN)]
    assert client.session[SESSION_WORKSPACE_KEY] == str(alpha.public_id)
    assert client.get("/settings/team/").status_code == 200
    assert AuditEvent.objects.get(workspace=alpha, action="invite.accepted").actor == erin


def test_it_validates_the_new_password(client, alice, alpha):
    """A weak password is refused and nothing is created."""
    _invite_obj, token = _invite(alice, alpha)
    r = client.post(f"/invite/{token}/", {"full_name": "Erin", "password": "123"})
    assert r.status_code == 200
    assert not User.objects.filter(email="erin@example.org").exists()


def test_it_sends_existing_users_to_sign_in(client, alice, alpha, charlie):
    """Anonymous with an existing account: a link to sign in that returns to the invite."""
    _invite_obj, token = _invite(alice, alpha, email="charlie@example.org")
    r = client.get(f"/invite/{token}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert f"/login/?next=%2Finvite%2F{token}%2F" in body
    assert 'name="password"' not in body
    r = client.post(f"/invite/{token}/", {"full_name": "X", "password": PASSWORD})
    assert not Membership.objects.filter(user=charlie, workspace=alpha).exists()


def test_it_returns_to_the_invite_after_sign_in(client, alice, alpha, charlie):
    """Signing in with the link's next parameter lands on the invite page again."""
    _invite_obj, token = _invite(alice, alpha, email="charlie@example.org")
    r = client.post(
        "/login/",
        {"email": "charlie@example.org", "password": PASSWORD, "next": f"/invite/{token}/"},
    )
    assert r["Location"] == f"/invite/{token}/"


def test_it_lets_the_invited_user_join(client_for, alice, alpha, charlie, charlie_ws):
    """Signed in with the invited email: a Join button, then the session switches to Alpha."""
    _invite_obj, token = _invite(alice, alpha, email="charlie@example.org")
    client = client_for(charlie)
    r = client.get(f"/invite/{token}/")
    assert r.status_code == 200
    assert "Join Alpha IT" in r.content.decode()
    assert not Membership.objects.filter(user=charlie, workspace=alpha).exists()
    r = client.post(f"/invite/{token}/", {"action": "join"})
    assert r.status_code == 302
    assert Membership.objects.get(user=charlie, workspace=alpha).role == Role.MEMBER
    assert Membership.objects.filter(user=charlie, workspace=charlie_ws).exists()
    assert client.session[SESSION_WORKSPACE_KEY] == str(alpha.public_id)
    charlie.refresh_from_db()
    assert charlie.last_workspace == alpha
    r = client.get("/settings/team/")
    assert "alice@example.org" in r.content.decode()


def test_it_creates_one_membership_for_a_double_submit(client_for, alice, alpha, charlie):
    """The second submit finds the invite used and just enters the workspace."""
    _invite_obj, token = _invite(alice, alpha, email="charlie@example.org")
    client = client_for(charlie)
    assert client.post(f"/invite/{token}/", {"action": "join"}).status_code == 302
    assert client.post(f"/invite/{token}/", {"action": "join"}).status_code == 302
    assert Membership.objects.filter(user=charlie, workspace=alpha).count() == 1
    assert AuditEvent.objects.filter(workspace=alpha, action="invite.accepted").count() == 1


def test_it_is_single_use(client, client_for, alice, alpha, charlie):
    """Once accepted, the link is used up, also for an anonymous visitor."""
    _invite_obj, token = _invite(alice, alpha, email="charlie@example.org")
    client_for(charlie).post(f"/invite/{token}/", {"action": "join"})
    client.logout()
    r = client.get(f"/invite/{token}/")
    assert r.status_code == 410
    assert "already been accepted" in r.content.decode()


def test_it_binds_the_invite_to_its_email(client_for, alice, alpha, charlie):
    """Signed in as someone else: explain the binding, offer sign-out, refuse to join."""
    _invite_obj, token = _invite(alice, alpha, email="erin@example.org")
    client = client_for(charlie)
    r = client.get(f"/invite/{token}/")
    body = r.content.decode()
    assert "This invitation is for erin@example.org" in body
    assert "Sign out" in body
    r = client.post(f"/invite/{token}/", {"action": "join"})
    assert r.status_code == 403
    assert not Membership.objects.filter(user=charlie, workspace=alpha).exists()
    r = client.post(f"/invite/{token}/", {"action": "sign_out"})
    assert r["Location"] == f"/invite/{token}/"
    assert "_auth_user_id" not in client.session
    assert 'name="password"' in client.get(f"/invite/{token}/").content.decode()


def test_it_refuses_a_revoked_invite_on_submit(client_for, alice, alpha, charlie):
    """A link revoked while the page was open does not create a membership."""
    invite, token = _invite(alice, alpha, email="charlie@example.org")
    Invite.objects.filter(pk=invite.pk).update(revoked_at=timezone.now())
    r = client_for(charlie).post(f"/invite/{token}/", {"action": "join"})
    assert r.status_code == 410
    assert not Membership.objects.filter(user=charlie, workspace=alpha).exists()


def test_it_rate_limits_the_invite_page_per_ip(client, db):
    """Too many requests from one address get 429, another address is unaffected."""
    limit, _window = INVITE_PAGE_RATE
    for _ in range(limit):
        assert client.get("/invite/guess/").status_code == 404
    r = client.get("/invite/guess/")
    assert r.status_code == 429
    assert "Too many" in r.content.decode()
    assert client.get("/invite/guess/", REMOTE_ADDR="192.0.2.9").status_code == 404


@pytest.mark.parametrize("state", ["accepted_at", "revoked_at"])
def test_it_refuses_to_accept_through_the_action_twice(alice, alpha, charlie, state):
    """do_accept_invite itself enforces single use, not only the view."""
    invite, _token = _invite(alice, alpha, email="charlie@example.org")
    Invite.objects.filter(pk=invite.pk).update(**{state: timezone.now()})
    with pytest.raises(TeamError):
        do_accept_invite(invite, charlie)
    assert not Membership.objects.filter(user=charlie, workspace=alpha).exists()


@pytest.mark.django_db(transaction=True)
def test_it_accepts_concurrent_submits_once(alice, alpha, charlie):
    """Two simultaneous accepts: one membership, the other told the invite is used."""
    invite, _token = _invite(alice, alpha, email="charlie@example.org")
    barrier = threading.Barrier(2)
    outcomes = []

    def accept():
        try:
            barrier.wait()
            with tenancy.workspace_context(alpha):  # as the invite page enters it
                do_accept_invite(Invite.objects.get(pk=invite.pk), charlie)
            outcomes.append("joined")
        except TeamError:
            outcomes.append("refused")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["joined", "refused"]
    assert Membership.objects.filter(user=charlie, workspace=alpha).count() == 1
