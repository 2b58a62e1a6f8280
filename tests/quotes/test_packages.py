"""Applying a package to a quote: lines with quantities from the project's counts."""

from decimal import Decimal

import pytest

from customers.models import Customer, Project
from quotes import actions
from quotes.models import QuoteLine
from tests.quotes.helpers import HX, detail_url

D = Decimal


@pytest.fixture
def m365(make_service):
    return make_service("Microsoft 365 support", "4.50", unit="user")


@pytest.fixture
def managed(alpha, rmm, backup, setup_fee, m365):
    """RMM per workstation, backup per server, 4 h onboarding fixed, 365 support 2 × per user."""
    package = actions.do_create_package(alpha, name="Managed Pro", is_default=True)
    for service, rule, quantity in (
        (rmm, "per_workstation", "1"),
        (backup, "per_server", "1"),
        (setup_fee, "fixed", "4"),
        (m365, "per_user", "2"),
    ):
        actions.do_add_package_item(package, service=service, rule=rule, quantity=D(quantity))
    return package


def _lines(quote):
    return list(
        QuoteLine.objects.filter(quote=quote).values_list(
            "description", "quantity", "unit_price", "billing_period", "position"
        )
    )


def test_it_applies_a_package_to_a_project(client_for, alice, quote, managed, office):
    """12 workstations, 2 servers, 15 users → 12 RMM, 2 backups, 4 h, 30 × 365 support."""
    from quotes.stored_documents import do_request_quote_pdf

    do_request_quote_pdf(quote, queue=False)  # revision 1 was seen
    r = client_for(alice).post(
        f"/quotes/{quote.public_id}/package/",
        {"pkg-package": str(managed.public_id), "pkg-project": str(office.public_id)},
        headers=HX,
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert html.lstrip().startswith('<table id="lines"')
    assert "Package “Managed Pro”: 4 lines added." in html
    assert 'id="totals"' in html
    assert _lines(quote) == [
        ("RMM agent", D("12"), D("5"), "monthly", 0),
        ("Server backup", D("2"), D("25"), "monthly", 1),
        ("Onboarding", D("4"), D("120"), "one_time", 2),
        ("Microsoft 365 support", D("30"), D("4.5"), "monthly", 3),
    ]
    quote.refresh_from_db()
    assert quote.project == office
    assert quote.revision == 2  # one bump for the whole package


def test_it_applies_a_package_without_javascript(client_for, alice, quote, managed, office):
    r = client_for(alice).post(
        f"/quotes/{quote.public_id}/package/",
        {"pkg-package": str(managed.public_id), "pkg-project": str(office.public_id)},
    )
    assert r.status_code == 302
    assert len(_lines(quote)) == 4


def test_it_appends_package_lines_after_existing_ones(quote, managed, office, make_service):
    actions.do_add_line(
        quote,
        description="Existing",
        quantity=D("1"),
        unit="unit",
        unit_price=D("1"),
        billing_period="monthly",
    )
    actions.do_apply_package(quote, managed, office)
    actions.do_apply_package(quote, managed, office)
    lines = _lines(quote)
    assert lines[0][0] == "Existing"
    assert [line[4] for line in lines] == list(range(9))


def test_it_leaves_out_zero_quantities_and_inactive_services(
    client_for, alice, alpha, quote, managed, acme, m365
):
    """No servers → no backup line; an inactive service is skipped; the notice says so."""
    shop = Project.objects.create(
        workspace=alpha, customer=acme, name="Shop", workstations=3, servers=0, users=4
    )
    actions.do_set_service_active(m365, False)
    r = client_for(alice).post(
        f"/quotes/{quote.public_id}/package/",
        {"pkg-package": str(managed.public_id), "pkg-project": str(shop.public_id)},
        headers=HX,
    )
    html = r.content.decode()
    assert "2 lines added" in html
    assert "Left out" in html and "Microsoft 365 support" in html and "Server backup" in html
    assert [(line[0], line[1]) for line in _lines(quote)] == [
        ("RMM agent", D("3")),
        ("Onboarding", D("4")),
    ]


def test_it_needs_a_project_for_per_unit_rules(client_for, alice, quote, managed):
    r = client_for(alice).post(
        f"/quotes/{quote.public_id}/package/",
        {"pkg-package": str(managed.public_id), "pkg-project": ""},
        headers=HX,
    )
    assert r["HX-Retarget"] == "#apply-package"
    assert "choose a project" in r.content.decode()
    assert not QuoteLine.objects.filter(quote=quote).exists()
    quote.refresh_from_db()
    assert quote.revision == 1


def test_it_applies_a_fixed_only_package_without_a_project(alpha, quote, setup_fee):
    package = actions.do_create_package(alpha, name="Setup only")
    actions.do_add_package_item(package, service=setup_fee, rule="fixed", quantity=D("2.5"))
    lines, left_out = actions.do_apply_package(quote, package)
    assert [(line.description, line.quantity) for line in lines] == [("Onboarding", D("2.5"))]
    assert left_out == []
    quote.refresh_from_db()
    assert quote.project is None


def test_it_offers_only_the_customers_projects(client_for, alice, alpha, quote, managed, office):
    other = Customer.objects.create(workspace=alpha, company_name="Other AG")
    foreign = Project.objects.create(workspace=alpha, customer=other, name="Not Acme's")
    client = client_for(alice)
    html = client.get(detail_url(quote)).content.decode()
    start = html.index('id="apply-package"')
    form = html[start : html.index("</section>", start)]
    assert str(office.public_id) in form and str(foreign.public_id) not in form
    r = client.post(
        f"/quotes/{quote.public_id}/package/",
        {"pkg-package": str(managed.public_id), "pkg-project": str(foreign.public_id)},
        headers=HX,
    )
    assert "Select a valid choice" in r.content.decode()
    with pytest.raises(actions.QuoteError):
        actions.do_apply_package(quote, managed, foreign)


def test_it_preselects_the_default_package(client_for, alice, alpha, quote, managed):
    actions.do_create_package(alpha, name="Another")
    html = client_for(alice).get(detail_url(quote)).content.decode()
    form = html[html.index('id="apply-package"') :]
    assert f'<option value="{managed.public_id}" selected>' in form


def test_it_starts_a_new_quote_with_the_chosen_package(
    client_for, alice, alpha, acme, managed, office
):
    r = client_for(alice).post(
        "/quotes/new/",
        {
            "customer": str(acme.public_id),
            "project": str(office.public_id),
            "currency": "EUR",
            "valid_until": "2030-01-01",
            "package": str(managed.public_id),
        },
    )
    assert r.status_code == 302
    quote = alpha.quotes.get()
    assert len(_lines(quote)) == 4


def test_it_snapshots_package_services(quote, managed, office, rmm):
    """Changing the catalog after applying a package leaves the quote's lines alone."""
    actions.do_apply_package(quote, managed, office)
    actions.do_update_service(rmm, unit_price=D("99"), name="Changed")
    assert _lines(quote)[0][:3] == ("RMM agent", D("12"), D("5"))


def test_it_refuses_a_quantity_too_large_for_a_line(alpha, quote, acme, rmm):
    huge = Project.objects.create(
        workspace=alpha, customer=acme, name="Huge", workstations=2_000_000_000
    )
    package = actions.do_create_package(alpha, name="Big")
    actions.do_add_package_item(package, service=rmm, rule="per_workstation", quantity=D("100"))
    with pytest.raises(actions.QuoteError, match="too large"):
        actions.do_apply_package(quote, package, huge)
