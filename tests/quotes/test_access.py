"""Who may reach quotes and the catalog: members of the workspace, nobody else."""

from decimal import Decimal

import pytest
from django.urls import URLPattern

from customers.models import Customer, Project
from quotes import actions
from quotes.models import PackageTemplate, QuoteLine, Service
from quotes.urls import catalog as catalog_urls
from quotes.urls import editor as editor_urls
from tests.quotes.helpers import HX, add_data, detail_url

D = Decimal
ROUTES = [p for p in [*catalog_urls.urlpatterns, *editor_urls.urlpatterns] if "<" in str(p.pattern)]


@pytest.fixture
def alpha_ids(alpha, quote, rmm):
    """One object of Alpha's for every id a quotes or catalog URL takes."""
    line = actions.do_add_line(quote, **actions.line_fields_from_service(rmm), quantity=D("1"))
    package = actions.do_create_package(alpha, name="Basic")
    item = actions.do_add_package_item(package, service=rmm, rule="fixed", quantity=D("1"))
    return {
        "quote_id": quote.public_id,
        "line_id": line.public_id,
        "service_id": rmm.public_id,
        "package_id": package.public_id,
        "item_id": item.public_id,
    }


def _url(pattern: URLPattern, ids: dict) -> str:
    route = str(pattern.pattern)
    for name, value in ids.items():
        route = route.replace(f"<uuid:{name}>", str(value))
    assert "<" not in route, route
    return "/" + route


def test_it_covers_every_route_with_an_id():
    """The catalog and editor routes that take ids (guards the parametrized test below)."""
    assert len(ROUTES) >= 15


@pytest.mark.parametrize("pattern", ROUTES, ids=lambda p: str(p.pattern))
def test_it_checks_ownership(client_for, charlie, alpha_ids, pattern):
    """Charlie (owner of another workspace) gets 404 for Alpha's objects, by GET and by POST;
    405 only where the view takes the other method, and nothing changes."""
    client = client_for(charlie)
    url = _url(pattern, alpha_ids)
    statuses = {client.get(url).status_code, client.post(url, {"direction": "up"}).status_code}
    statuses.add(client.post(url, {"active": "0", "is_default": "1"}, headers=HX).status_code)
    assert statuses <= {404, 405}, (url, statuses)
    assert 404 in statuses, url
    assert Service.objects.get(public_id=alpha_ids["service_id"]).active
    assert QuoteLine.objects.filter(public_id=alpha_ids["line_id"]).exists()
    assert not PackageTemplate.objects.filter(is_default=True).exists()


def test_it_does_not_mix_a_line_into_another_quote(client_for, alice, alpha, acme, alpha_ids):
    """A line id under another quote of the same workspace is a 404 too."""
    other = actions.do_create_quote(alpha, acme)
    client = client_for(alice)
    url = f"/quotes/{other.public_id}/lines/{alpha_ids['line_id']}/edit/"
    assert client.get(url).status_code == 404
    assert (
        client.post(f"/quotes/{other.public_id}/lines/{alpha_ids['line_id']}/delete/").status_code
        == 404
    )


def test_it_does_not_mix_an_item_into_another_package(client_for, alice, alpha, alpha_ids):
    other = actions.do_create_package(alpha, name="Other")
    url = f"/catalog/packages/{other.public_id}/items/{alpha_ids['item_id']}/delete/"
    assert client_for(alice).post(url).status_code == 404


def test_it_refuses_other_workspaces_objects_in_forms(
    client_for, charlie, charlie_ws, alpha, acme, office, rmm
):
    """Charlie cannot put Alpha's customer, project or service into his own quote."""
    globex = Customer.objects.create(workspace=charlie_ws, company_name="Globex")
    theirs = actions.do_create_quote(charlie_ws, globex)
    client = client_for(charlie)
    r = client.post(
        "/quotes/new/",
        {"customer": str(acme.public_id), "currency": "EUR", "valid_until": "2030-01-01"},
    )
    assert "Select a valid choice" in r.content.decode()
    r = client.post(
        f"/quotes/{theirs.public_id}/lines/", add_data(service=str(rmm.public_id)), headers=HX
    )
    assert "Select a valid choice" in r.content.decode()
    r = client.post(
        f"/quotes/{theirs.public_id}/details/",
        {
            "customer": str(globex.public_id),
            "project": str(office.public_id),
            "currency": "EUR",
            "valid_until": "2030-01-01",
        },
    )
    assert "Select a valid choice" in r.content.decode()
    assert not QuoteLine.objects.filter(quote=theirs).exists()


def test_it_lists_only_the_workspaces_own_quotes_and_catalog(
    client_for, charlie, alpha, quote, rmm
):
    client = client_for(charlie)
    assert quote.number not in client.get("/quotes/").content.decode()
    assert str(rmm.public_id) not in client.get("/catalog/").content.decode()
    html = client.get("/quotes/new/").content.decode()
    assert "Acme GmbH" not in html


@pytest.mark.parametrize("url", ["/quotes/", "/quotes/new/", "/catalog/", "/catalog/services/new/"])
def test_it_requires_login(client, db, url):
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_it_lets_members_edit_quotes(client_for, bob, alpha, acme, office, rmm):
    """Bob (member, not admin) creates a quote, adds lines, applies a package, sends it."""
    package = actions.do_create_package(alpha, name="Basic")
    actions.do_add_package_item(package, service=rmm, rule="per_workstation", quantity=D("1"))
    client = client_for(bob)
    client.post(
        "/quotes/new/",
        {"customer": str(acme.public_id), "currency": "EUR", "valid_until": "2030-01-01"},
    )
    quote = alpha.quotes.get()
    assert quote.created_by == bob
    r = client.post(
        f"/quotes/{quote.public_id}/lines/", add_data(service=str(rmm.public_id)), headers=HX
    )
    assert r.status_code == 200
    client.post(
        f"/quotes/{quote.public_id}/package/",
        {"pkg-package": str(package.public_id), "pkg-project": str(office.public_id)},
    )
    client.post(f"/quotes/{quote.public_id}/status/", {"status": "sent"})
    quote.refresh_from_db()
    assert quote.lines.count() == 2 and quote.status == "sent"
    assert client.get(detail_url(quote)).status_code == 200


def test_it_lets_members_edit_the_catalog(client_for, bob, alpha, rmm):
    client = client_for(bob)
    r = client.post(
        "/catalog/services/new/",
        {
            "name": "Helpdesk hour",
            "unit": "hour",
            "billing_period": "one_time",
            "unit_price": "95",
            "active": "on",
        },
    )
    assert r.status_code == 302
    client.post(f"/catalog/services/{rmm.public_id}/active/", {"active": "0"})
    client.post("/catalog/packages/new/", {"name": "Bob's", "is_default": "on"})
    rmm.refresh_from_db()
    assert not rmm.active
    assert Service.objects.filter(workspace=alpha, name="Helpdesk hour").exists()
    assert PackageTemplate.objects.get(workspace=alpha).is_default


def test_it_keeps_project_choices_inside_the_workspace(client_for, alice, charlie_ws, quote):
    globex = Customer.objects.create(workspace=charlie_ws, company_name="Globex")
    theirs = Project.objects.create(workspace=charlie_ws, customer=globex, name="Theirs")
    html = client_for(alice).get(detail_url(quote)).content.decode()
    assert str(theirs.public_id) not in html
