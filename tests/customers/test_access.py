import uuid

import pytest

from customers.models import Customer, Project


@pytest.fixture
def urls(acme):
    project = acme.projects.get()
    c, p = acme.public_id, project.public_id
    return [
        ("get", f"/customers/{c}/"),
        ("get", f"/customers/{c}/edit/"),
        ("post", f"/customers/{c}/edit/"),
        ("post", f"/customers/{c}/delete/"),
        ("get", f"/customers/{c}/projects/new/"),
        ("post", f"/customers/{c}/projects/new/"),
        ("get", f"/customers/{c}/projects/{p}/edit/"),
        ("post", f"/customers/{c}/projects/{p}/edit/"),
        ("post", f"/customers/{c}/projects/{p}/delete/"),
    ]


def test_it_checks_ownership(client_for, charlie, acme, urls):
    """Charlie gets 404 on every customer and project URL of Alpha; nothing changes."""
    client = client_for(charlie)
    data = {"company_name": "Pwned", "name": "Pwned", "country": "DE", "tax_id_type": "none"}
    for method, url in urls:
        r = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert r.status_code == 404, (method, url)
    acme.refresh_from_db()
    assert acme.company_name == "Acme GmbH"
    assert Project.objects.filter(customer=acme).get().name == "Head office"


def test_it_hides_other_workspaces_from_the_list(client_for, charlie, acme):
    """Charlie's list does not show Alpha's customers, also not when searching."""
    html = client_for(charlie).get("/customers/", {"q": "acme"}).content.decode()
    assert "Acme GmbH" not in html


def test_it_gives_404_for_unknown_ids(client_for, alice, acme):
    """An id that does not exist looks exactly like another workspace's: 404."""
    client = client_for(alice)
    assert client.get(f"/customers/{uuid.uuid4()}/").status_code == 404
    project_url = f"/customers/{acme.public_id}/projects/{uuid.uuid4()}/edit/"
    assert client.get(project_url).status_code == 404


def test_it_creates_customers_only_in_the_own_workspace(client_for, charlie, charlie_ws, alpha):
    """A customer created by Charlie lands in Charlie's workspace, whatever the form says."""
    client_for(charlie).post(
        "/customers/new/",
        {
            "company_name": "Charlie's Client",
            "country": "AT",
            "country_was": "AT",
            "tax_id_type": "none",
            "language": "de",
            "collection_method": "send_invoice",
            "days_until_due": "14",
            "workspace": str(alpha.pk),
        },
    )
    assert Customer.objects.get().workspace == charlie_ws


@pytest.mark.parametrize(
    "path",
    ["/customers/", "/customers/new/", "/customers/tax-id-type/?country=DE"],
)
def test_it_requires_login(client, alpha, path):
    """Anonymous visitors are sent to the login page."""
    r = client.get(path)
    assert r.status_code == 302
    assert r["Location"].startswith("/login/")


def test_it_sends_users_without_workspace_to_onboarding(client, db):
    """A signed-in user without a workspace is sent to create one."""
    from mspercury.models import User

    user = User.objects.create_user("lonely@example.org", "x" * 12)
    client.force_login(user)
    r = client.get("/customers/")
    assert r.status_code == 302
    assert r["Location"] == "/workspaces/new/"
