import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mspercury.actions import do_invite
from mspercury.middleware import SESSION_WORKSPACE_KEY
from mspercury.models import AuditEvent, Membership, Role, Workspace


@pytest.fixture
def alice_in_charlie_ws(alice, charlie, charlie_ws):
    """Alice also works in Charlie's workspace, as an admin."""
    return Membership.objects.create(workspace=charlie_ws, user=alice, role=Role.ADMIN)


def _switch(client, workspace):
    return client.post(f"/workspaces/{workspace.public_id}/switch/")


def test_it_switches_to_another_workspace(
    client_for, alice, alpha, charlie_ws, alice_in_charlie_ws
):
    """After switching, pages show the other workspace's data."""
    client = client_for(alice)
    body = client.get("/settings/team/").content.decode()
    assert "Members of Alpha IT" in body
    r = _switch(client, charlie_ws)
    assert r.status_code == 302
    assert r["Location"] == "/"
    assert client.session[SESSION_WORKSPACE_KEY] == str(charlie_ws.public_id)
    body = client.get("/settings/team/").content.decode()
    assert "Members of Charlie Systems" in body
    assert "charlie@example.org" in body
    assert "Alice Owner" in body
    assert AuditEvent.objects.filter(workspace=charlie_ws, action="workspace.switched").exists()
    assert "switched to this workspace" in client.get("/settings/audit/").content.decode()


def test_it_applies_the_role_of_the_active_workspace(client_for, alice, bob, alpha, charlie_ws):
    """Bob is a member in Alpha but an owner of his own workspace; rights follow the switch."""
    bobs_ws = Workspace.objects.create(name="Bob Solo")
    Membership.objects.create(workspace=bobs_ws, user=bob, role=Role.OWNER)
    client = client_for(bob)
    assert client.get("/settings/audit/").status_code == 403
    _switch(client, bobs_ws)
    assert client.get("/settings/audit/").status_code == 200
    _switch(client, alpha)
    assert client.get("/settings/audit/").status_code == 403


def test_it_scopes_objects_to_the_active_workspace(
    client_for, alice, alpha, charlie_ws, alice_in_charlie_ws
):
    """Alpha's invite is out of reach while Charlie's workspace is active, back in after."""
    invite, _token = do_invite(
        Membership.objects.get(user=alice, workspace=alpha), "e@x.org", "member"
    )
    client = client_for(alice)
    _switch(client, charlie_ws)
    assert client.post(f"/settings/team/invites/{invite.public_id}/revoke/").status_code == 404
    _switch(client, alpha)
    assert client.post(f"/settings/team/invites/{invite.public_id}/revoke/").status_code == 302


def test_it_remembers_the_workspace_for_the_next_sign_in(
    client_for, alice, charlie_ws, alice_in_charlie_ws
):
    """The last workspace is kept on the user, so a new session starts there."""
    _switch(client_for(alice), charlie_ws)
    alice.refresh_from_db()
    assert alice.last_workspace == charlie_ws
    fresh = Client()
    fresh.force_login(alice)
    assert "Members of Charlie Systems" in fresh.get("/settings/team/").content.decode()


def test_it_checks_ownership(client_for, alice, alpha, charlie_ws):
    """Switching into a workspace you are not a member of is a 404 and changes nothing."""
    client = client_for(alice)
    assert _switch(client, charlie_ws).status_code == 404
    assert client.post(f"/workspaces/{uuid.uuid4()}/switch/").status_code == 404
    assert SESSION_WORKSPACE_KEY not in client.session
    assert "Members of Alpha IT" in client.get("/settings/team/").content.decode()
    assert not AuditEvent.objects.filter(workspace=charlie_ws).exists()


def test_it_only_switches_on_post(client_for, alice, alpha):
    """A link or prefetch can't switch workspaces."""
    assert client_for(alice).get(f"/workspaces/{alpha.public_id}/switch/").status_code == 405


def test_it_lists_many_workspaces_in_the_switcher_with_constant_queries(client_for, alice):
    """The switcher in every page's header costs one query, whatever the number of workspaces."""
    client = client_for(alice)
    client.get("/customers/")  # warm up session and caches

    def count():
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/customers/").content.decode()
        return len(queries), body

    one, _body = count()
    for n in range(5):
        workspace = Workspace.objects.create(name=f"Side business {n}")
        Membership.objects.create(workspace=workspace, user=alice, role=Role.MEMBER)
    six, body = count()
    assert "Side business 4" in body
    assert six == one
