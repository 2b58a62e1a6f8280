import pytest

from customers.models import Project
from mspercury.models import AuditEvent


def new_url(customer):
    return f"/customers/{customer.public_id}/projects/new/"


def edit_url(project):
    return f"/customers/{project.customer.public_id}/projects/{project.public_id}/edit/"


def delete_url(project):
    return f"/customers/{project.customer.public_id}/projects/{project.public_id}/delete/"


@pytest.fixture
def office(acme):
    return acme.projects.get()


def test_it_lists_projects_with_their_counts(client_for, bob, acme, office):
    """The customer page shows each project's workstation, server and user counts."""
    html = client_for(bob).get(f"/customers/{acme.public_id}/").content.decode()
    row = html.split(f'id="project-{office.public_id}"')[1].split("</tr>")[0]
    assert "Head office" in row
    assert [cell.split("<")[0] for cell in row.split('<td class="num">')[1:]] == ["12", "2", "15"]
    assert f'href="{edit_url(office)}"' in row
    assert f'action="{delete_url(office)}"' in row


def test_it_says_when_a_customer_has_no_projects(client_for, alice, alpha, make_customer):
    """Without projects the page explains what a project is for."""
    customer = make_customer(alpha)
    html = client_for(alice).get(f"/customers/{customer.public_id}/").content.decode()
    assert "No projects yet." in html


def test_it_shows_the_new_project_form(client_for, bob, acme):
    """A member gets the form for a new project."""
    r = client_for(bob).get(new_url(acme))
    assert r.status_code == 200
    assert 'name="workstations"' in r.content.decode()


def test_it_creates_a_project(client_for, bob, alpha, acme):
    """A member adds a project; it belongs to the customer and its workspace, and is audited."""
    r = client_for(bob).post(
        new_url(acme), {"name": "Branch", "workstations": "5", "servers": "1", "users": "7"}
    )
    assert r.status_code == 302
    assert r["Location"] == f"/customers/{acme.public_id}/"
    project = acme.projects.get(name="Branch")
    assert (project.workstations, project.servers, project.users) == (5, 1, 7)
    assert project.workspace == alpha
    event = AuditEvent.objects.get(action="project.created")
    assert event.details["project"] == str(project.public_id)


@pytest.mark.parametrize(
    ("field", "value"), [("workstations", "-1"), ("servers", "x"), ("users", "1.5"), ("name", "")]
)
def test_it_rejects_invalid_counts(client_for, alice, acme, field, value):
    """Counts are whole numbers ≥ 0 and a project needs a name."""
    data = {"name": "Lab", "workstations": "1", "servers": "1", "users": "1", field: value}
    r = client_for(alice).post(new_url(acme), data)
    assert r.status_code == 200
    assert r.context["form"].errors[field]
    assert acme.projects.count() == 1


def test_it_edits_a_project(client_for, alice, office):
    """Changing the counts saves them."""
    r = client_for(alice).get(edit_url(office))
    assert 'value="Head office"' in r.content.decode()
    r = client_for(alice).post(
        edit_url(office), {"name": "HQ", "workstations": "20", "servers": "3", "users": "25"}
    )
    assert r.status_code == 302
    office.refresh_from_db()
    assert (office.name, office.workstations, office.servers, office.users) == ("HQ", 20, 3, 25)
    assert AuditEvent.objects.filter(action="project.updated").count() == 1


def test_it_deletes_a_project(client_for, bob, acme, office):
    """POST to delete removes the project and is audited."""
    r = client_for(bob).post(delete_url(office))
    assert r.status_code == 302
    assert not Project.objects.filter(pk=office.pk).exists()
    assert AuditEvent.objects.filter(action="project.deleted").count() == 1


def test_it_refuses_to_delete_a_project_by_get(client_for, alice, office):
    """Deleting needs a POST."""
    assert client_for(alice).get(delete_url(office)).status_code == 405
    assert Project.objects.filter(pk=office.pk).exists()


def test_it_does_not_reach_a_project_through_another_customer(
    client_for, alice, alpha, office, make_customer
):
    """A project is only found under its own customer, even within the same workspace."""
    other = make_customer(alpha, "Other GmbH")
    url = f"/customers/{other.public_id}/projects/{office.public_id}/edit/"
    assert client_for(alice).get(url).status_code == 404
    url = f"/customers/{other.public_id}/projects/{office.public_id}/delete/"
    assert client_for(alice).post(url).status_code == 404
    assert Project.objects.filter(pk=office.pk).exists()
