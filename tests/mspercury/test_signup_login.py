from mspercury.models import AuditEvent, Membership, Role, User
from tests.conftest import PASSWORD


def test_it_signs_up_and_makes_the_user_owner(client, db):
    r = client.post(
        "/signup/",
        {
            "full_name": "Erin Example",
            "email": "Erin@Example.org",
            "password": PASSWORD,
            "workspace_name": "Erin IT",
        },
    )
    assert r.status_code == 302
    user = User.objects.get(email="erin@example.org")
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.workspace.name == "Erin IT"
    assert AuditEvent.objects.filter(workspace=membership.workspace, action="workspace.created")
    assert client.get("/").status_code == 200


def test_it_rejects_a_taken_email(client, alice):
    r = client.post(
        "/signup/",
        {
            "full_name": "X",
            "email": "alice@example.org",
            "password": PASSWORD,
            "workspace_name": "X",
        },
    )
    assert r.status_code == 200
    assert "exists already" in r.content.decode()


def test_it_logs_in_without_two_factor(client, alice):
    r = client.post("/login/", {"email": "alice@example.org", "password": PASSWORD})
    assert r.status_code == 302
    assert client.get("/").status_code == 200


def test_it_rate_limits_failed_logins(client, alice, settings):
    settings.MSPERCURY_LOGIN_RATE = (3, 300)
    for _ in range(3):
        r = client.post("/login/", {"email": "alice@example.org", "password": "wrong"})
        assert "wrong" in r.content.decode()
    r = client.post("/login/", {"email": "alice@example.org", "password": PASSWORD})
    assert "Too many sign-in attempts" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_redirects_anonymous_users_to_login(client, db):
    r = client.get("/")
    assert r.status_code == 302
    assert r["Location"].startswith("/login/")
