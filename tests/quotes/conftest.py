"""Alpha's customer, project and catalog, built directly; quotes made through the actions."""

from decimal import Decimal

import pytest

from quotes import actions
from quotes.models import QuoteLine, Service
from tests import factories

D = Decimal


@pytest.fixture
def acme(alpha):
    """A German business customer of Alpha with an EU VAT ID."""
    return factories.customer(alpha, "DE")


@pytest.fixture
def office(alpha, acme):
    """Acme's head office: 12 workstations, 2 servers, 15 users."""
    return factories.project(acme)


@pytest.fixture
def make_service(alpha):
    def _make(name, price, *, workspace=None, **fields):
        fields.setdefault("unit", "unit")
        fields.setdefault("billing_period", "monthly")
        return Service.objects.create(
            workspace=workspace or alpha, name=name, unit_price=D(price), **fields
        )

    return _make


@pytest.fixture
def rmm(make_service):
    return make_service("RMM agent", "5.00", unit="workstation", cost_price=D("2.00"))


@pytest.fixture
def backup(make_service):
    return make_service("Server backup", "25.00", unit="server")


@pytest.fixture
def setup_fee(make_service):
    return make_service("Onboarding", "120.00", unit="hour", billing_period="one_time")


@pytest.fixture
def quote(alpha, alice, acme):
    return actions.do_create_quote(alpha, acme, user=alice)


@pytest.fixture
def add_lines():
    """Append ``n`` lines to a quote directly (for volume), positions after the last one."""

    def _add(quote, n, **fields):
        start = QuoteLine.objects.filter(quote=quote).count()
        QuoteLine.objects.bulk_create(
            QuoteLine(
                workspace=quote.workspace,
                quote=quote,
                position=start + i,
                description=fields.get("description", f"Line {start + i + 1}"),
                quantity=fields.get("quantity", D("1.5")),
                unit_price=fields.get("unit_price", D("19.99")),
                billing_period=fields.get(
                    "billing_period", ["one_time", "monthly", "yearly"][i % 3]
                ),
                cost_price=fields.get("cost_price", D("7.25")),
                discount_percent=fields.get("discount_percent", D("3") if i % 2 else None),
            )
            for i in range(n)
        )

    return _add
