import pytest

from customers.models import Customer, Project
from mspercury.models import AuditEvent
from quotes.models import Quote


def url(customer):
    return f"/customers/{customer.public_id}/delete/"


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_it_deletes_a_customer_without_quotes(client_for, acme, user, request):
    """Owners and members delete a customer and its projects; the deletion is audited."""
    client = client_for(request.getfixturevalue(user))
    r = client.post(url(acme))
    assert r.status_code == 302
    assert r["Location"] == "/customers/"
    assert not Customer.objects.filter(pk=acme.pk).exists()
    assert not Project.objects.filter(customer_id=acme.pk).exists()
    event = AuditEvent.objects.get(action="customer.deleted")
    assert event.details["customer"] == str(acme.public_id)
    assert "Acme GmbH" in event.summary
    assert "Customer “Acme GmbH” deleted." in client.get("/customers/").content.decode()


def test_it_refuses_to_delete_a_customer_with_quotes(client_for, alice, alpha, acme):
    """A customer with quotes stays, and the page says why."""
    Quote.objects.create(workspace=alpha, number="Q-2026-0001", customer=acme, currency="EUR")
    client = client_for(alice)
    r = client.post(url(acme))
    assert r.status_code == 302
    assert r["Location"] == f"/customers/{acme.public_id}/"
    assert Customer.objects.filter(pk=acme.pk).exists()
    assert acme.projects.exists()
    assert not AuditEvent.objects.filter(action="customer.deleted").exists()
    page = client.get(r["Location"]).content.decode()
    assert "This customer has quotes and cannot be deleted." in page


def test_it_refuses_to_delete_by_get(client_for, alice, acme):
    """GET does not delete."""
    assert client_for(alice).get(url(acme)).status_code == 405
    assert Customer.objects.filter(pk=acme.pk).exists()


def test_it_offers_deletion_on_the_customer_page(client_for, alice, acme):
    """The customer page has a POST form to delete, with a CSRF token."""
    html = client_for(alice).get(f"/customers/{acme.public_id}/").content.decode()
    form = html.split(f'action="{url(acme)}"')[1].split("</form>")[0]
    assert "csrfmiddlewaretoken" in form


def test_it_needs_a_csrf_token(alice, acme):
    """Without a CSRF token the delete is refused."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(url(acme)).status_code == 403
    assert Customer.objects.filter(pk=acme.pk).exists()
