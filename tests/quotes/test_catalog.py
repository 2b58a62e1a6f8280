"""The catalog: services and package templates, and how quotes stay snapshots of them."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from mspercury.models import AuditEvent
from quotes import actions
from quotes.models import PackageItem, PackageTemplate, QuoteLine, Service
from tests.quotes.helpers import HX, add_data, detail_url

D = Decimal


def service_data(**changes):
    data = {
        "name": "EDR seat",
        "description": "Endpoint detection and response",
        "unit": "workstation",
        "billing_period": "monthly",
        "unit_price": "7.50",
        "cost_price": "3.10",
        "active": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _actions(workspace):
    return list(AuditEvent.objects.filter(workspace=workspace).values_list("action", flat=True))


# Services


def test_it_creates_a_service(client_for, alice, alpha):
    r = client_for(alice).post("/catalog/services/new/", service_data())
    assert r.status_code == 302 and r["Location"] == "/catalog/"
    service = Service.objects.get(workspace=alpha)
    assert (service.name, service.unit, service.billing_period) == (
        "EDR seat",
        "workstation",
        "monthly",
    )
    assert (service.unit_price, service.cost_price, service.active) == (D("7.5"), D("3.1"), True)
    assert "service.created" in _actions(alpha)


def test_it_lists_services_and_packages(client_for, alice, rmm, setup_fee):
    html = client_for(alice).get("/catalog/").content.decode()
    assert "RMM agent" in html and "Onboarding" in html
    assert "5.00 EUR" in html and "Deactivate" in html


def test_it_validates_a_service(client_for, alice):
    r = client_for(alice).post("/catalog/services/new/", service_data(unit_price="-1", unit="rack"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "greater than or equal to 0" in html
    assert "Select a valid choice" in html
    assert not Service.objects.exists()


def test_it_edits_a_service(client_for, alice, alpha, rmm):
    r = client_for(alice).post(
        f"/catalog/services/{rmm.public_id}/", service_data(name="RMM agent v2", unit_price="6")
    )
    assert r.status_code == 302
    rmm.refresh_from_db()
    assert (rmm.name, rmm.unit_price) == ("RMM agent v2", D("6"))
    event = AuditEvent.objects.get(workspace=alpha, action="service.updated")
    assert D(event.details["changes"]["unit_price"]) == D("6")


def test_it_leaves_the_service_alone_when_the_edit_is_invalid(client_for, alice, rmm):
    r = client_for(alice).post(f"/catalog/services/{rmm.public_id}/", service_data(name=""))
    assert r.status_code == 200
    rmm.refresh_from_db()
    assert rmm.name == "RMM agent"


def test_it_never_changes_existing_quote_lines(client_for, alice, quote, rmm):
    """Lines are snapshots: a new price, name or unit in the catalog leaves them as they were."""
    actions.do_add_line(quote, **actions.line_fields_from_service(rmm), quantity=D("12"))
    client_for(alice).post(
        f"/catalog/services/{rmm.public_id}/",
        service_data(name="Renamed", unit_price="9.99", cost_price="", unit="user"),
    )
    line = QuoteLine.objects.get(quote=quote)
    assert (line.description, line.unit_price, line.cost_price, line.unit) == (
        "RMM agent",
        D("5"),
        D("2"),
        "workstation",
    )
    html = client_for(alice).get(detail_url(quote)).content.decode()
    table = html[html.index('<table id="lines"') : html.index("</table>", html.index('id="lines"'))]
    assert "RMM agent" in table and "60.00" in table and "Renamed" not in table


def test_it_deactivates_and_reactivates_a_service(client_for, alice, alpha, rmm):
    client = client_for(alice)
    client.post(f"/catalog/services/{rmm.public_id}/active/", {"active": "0"})
    rmm.refresh_from_db()
    assert not rmm.active
    client.post(f"/catalog/services/{rmm.public_id}/active/", {"active": "1"})
    rmm.refresh_from_db()
    assert rmm.active
    assert _actions(alpha).count("service.updated") == 2


def test_it_hides_inactive_services_from_the_picker(client_for, alice, quote, rmm, backup):
    """The add-line picker offers active services only; existing lines keep the inactive one."""
    actions.do_add_line(quote, **actions.line_fields_from_service(rmm), quantity=D("1"))
    actions.do_set_service_active(rmm, False)
    client = client_for(alice)
    html = client.get(detail_url(quote)).content.decode()
    picker = html[html.index('id="id_add-service"') :]
    picker = picker[: picker.index("</select>")]
    assert str(backup.public_id) in picker
    assert str(rmm.public_id) not in picker
    assert "RMM agent" in html  # the existing line
    r = client.post(
        f"/quotes/{quote.public_id}/lines/", add_data(service=str(rmm.public_id)), headers=HX
    )
    assert "Select a valid choice" in r.content.decode()
    assert QuoteLine.objects.filter(quote=quote).count() == 1


def test_it_hides_inactive_services_from_package_items(client_for, alice, alpha, rmm, backup):
    package = actions.do_create_package(alpha, name="Basic")
    actions.do_set_service_active(rmm, False)
    html = client_for(alice).get(f"/catalog/packages/{package.public_id}/").content.decode()
    assert str(backup.public_id) in html and str(rmm.public_id) not in html


def test_it_deletes_an_unused_service(client_for, alice, alpha, backup):
    r = client_for(alice).post(f"/catalog/services/{backup.public_id}/delete/", follow=True)
    assert "Service “Server backup” deleted." in r.content.decode()
    assert not Service.objects.filter(pk=backup.pk).exists()
    assert "service.deleted" in _actions(alpha)


def test_it_refuses_to_delete_a_service_used_by_a_package(client_for, alice, alpha, rmm):
    package = actions.do_create_package(alpha, name="Managed Pro")
    actions.do_add_package_item(package, service=rmm, rule="per_workstation", quantity=D("1"))
    r = client_for(alice).post(f"/catalog/services/{rmm.public_id}/delete/", follow=True)
    html = r.content.decode()
    assert "“RMM agent” is part of the packages “Managed Pro” and cannot be deleted." in html
    assert "deactivate it" in html
    assert Service.objects.filter(pk=rmm.pk).exists()


def test_it_keeps_quote_lines_when_their_service_is_deleted(quote, backup):
    actions.do_add_line(quote, **actions.line_fields_from_service(backup), quantity=D("2"))
    actions.do_delete_service(backup)
    line = QuoteLine.objects.get(quote=quote)
    assert (line.service, line.description, line.unit_price) == (None, "Server backup", D("25"))


# Packages


def test_it_creates_a_package_and_adds_items(client_for, alice, alpha, rmm, setup_fee):
    client = client_for(alice)
    r = client.post("/catalog/packages/new/", {"name": "Basic SMB", "description": "Starter"})
    package = PackageTemplate.objects.get(workspace=alpha)
    assert r["Location"] == f"/catalog/packages/{package.public_id}/"
    client.post(
        f"/catalog/packages/{package.public_id}/items/",
        {"service": str(rmm.public_id), "rule": "per_workstation", "quantity": "1"},
    )
    client.post(
        f"/catalog/packages/{package.public_id}/items/",
        {"service": str(setup_fee.public_id), "rule": "fixed", "quantity": "4"},
    )
    items = list(package.items.values_list("service__name", "rule", "quantity", "position"))
    assert items == [
        ("RMM agent", "per_workstation", D("1"), 0),
        ("Onboarding", "fixed", D("4"), 1),
    ]
    html = client.get(f"/catalog/packages/{package.public_id}/").content.decode()
    assert "Per workstation" in html and "Fixed quantity" in html
    assert {"package.created", "package.item_added"} <= set(_actions(alpha))


def test_it_validates_package_items(client_for, alice, alpha, rmm):
    package = actions.do_create_package(alpha, name="Basic")
    r = client_for(alice).post(
        f"/catalog/packages/{package.public_id}/items/",
        {"service": str(rmm.public_id), "rule": "per_site", "quantity": "0"},
    )
    assert r.status_code == 200
    assert "Select a valid choice" in r.content.decode()
    assert not package.items.exists()


def test_it_removes_a_package_item(client_for, alice, alpha, rmm):
    package = actions.do_create_package(alpha, name="Basic")
    item = actions.do_add_package_item(package, service=rmm, rule="fixed", quantity=D("1"))
    client_for(alice).post(f"/catalog/packages/{package.public_id}/items/{item.public_id}/delete/")
    assert not PackageItem.objects.filter(pk=item.pk).exists()
    assert "package.item_removed" in _actions(alpha)


def test_it_switches_the_default_package_in_one_step(client_for, alice, alpha):
    """Making a package the default unsets the old default; there is never more than one."""
    basic = actions.do_create_package(alpha, name="Basic", is_default=True)
    pro = actions.do_create_package(alpha, name="Pro")
    client = client_for(alice)
    client.post(f"/catalog/packages/{pro.public_id}/default/", {"is_default": "1"})
    assert list(
        PackageTemplate.objects.filter(workspace=alpha, is_default=True).values_list(
            "name", flat=True
        )
    ) == ["Pro"]
    client.post(
        f"/catalog/packages/{basic.public_id}/",
        {"name": "Basic", "description": "", "is_default": "on"},
    )
    assert list(
        PackageTemplate.objects.filter(workspace=alpha, is_default=True).values_list(
            "name", flat=True
        )
    ) == ["Basic"]
    client.post(f"/catalog/packages/{basic.public_id}/default/", {"is_default": "0"})
    assert not PackageTemplate.objects.filter(workspace=alpha, is_default=True).exists()
    assert "package.default_changed" in _actions(alpha)


def test_it_creating_a_new_default_replaces_the_old(alpha):
    actions.do_create_package(alpha, name="Basic", is_default=True)
    actions.do_create_package(alpha, name="Pro", is_default=True)
    defaults = PackageTemplate.objects.filter(workspace=alpha, is_default=True)
    assert [p.name for p in defaults] == ["Pro"]


def test_it_has_a_database_guard_against_two_defaults(alpha):
    actions.do_create_package(alpha, name="Basic", is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        PackageTemplate.objects.create(workspace=alpha, name="Rogue", is_default=True)


def test_it_allows_one_default_per_workspace(alpha, charlie_ws):
    actions.do_create_package(alpha, name="Basic", is_default=True)
    actions.do_create_package(charlie_ws, name="Theirs", is_default=True)
    assert PackageTemplate.objects.filter(is_default=True).count() == 2


def test_it_renames_a_package(client_for, alice, alpha):
    package = actions.do_create_package(alpha, name="Basic")
    client_for(alice).post(
        f"/catalog/packages/{package.public_id}/", {"name": "Basic SMB", "description": "New"}
    )
    package.refresh_from_db()
    assert (package.name, package.description) == ("Basic SMB", "New")
    assert "package.updated" in _actions(alpha)


def test_it_deletes_a_package_but_not_its_services(client_for, alice, alpha, rmm):
    package = actions.do_create_package(alpha, name="Basic")
    actions.do_add_package_item(package, service=rmm, rule="fixed", quantity=D("1"))
    client_for(alice).post(f"/catalog/packages/{package.public_id}/delete/")
    assert not PackageTemplate.objects.filter(pk=package.pk).exists()
    assert Service.objects.filter(pk=rmm.pk).exists()
    assert "package.deleted" in _actions(alpha)
    # and now the service may go
    actions.do_delete_service(rmm)


def test_a_price_with_a_decimal_comma_is_read_in_german(client_for, alice, alpha):
    """12,50 typed in German is 12.50, not 1250 (the price is a text input read on the
    server); the form shows it back with the comma."""
    client = client_for(alice)
    client.cookies["django_language"] = "de"
    page = client.get("/catalog/services/new/").content.decode()
    assert 'name="unit_price"' in page and 'inputmode="decimal"' in page
    r = client.post("/catalog/services/new/", service_data(unit_price="12,50", cost_price="3,1"))
    assert r.status_code == 302
    service = Service.objects.get(workspace=alpha)
    assert (service.unit_price, service.cost_price) == (D("12.50"), D("3.10"))
    r = client.post("/catalog/services/new/", service_data(name="Other", unit_price="1.250"))
    assert r.status_code == 200
    assert "ist mehrdeutig" in r.content.decode()
