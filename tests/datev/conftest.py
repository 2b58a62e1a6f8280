"""A German MSP (alpha) with three customers — domestic, EU reverse charge, third country —
and the mirror rows of a known March 2026."""

from datetime import UTC, datetime

import pytest

from billing.datev.models import DatevSettings
from tests import factories


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def make_invoice(workspace, customer, stripe_id, number, created, total, tax=0, **extra):
    return factories.invoice(
        workspace,
        customer,
        stripe_id=stripe_id,
        number=number,
        created=created,
        total=total,
        tax=tax,
        **extra,
    )


@pytest.fixture
def german_msp(alpha):
    factories.german_msp(alpha)
    DatevSettings.objects.create(workspace=alpha, consultant_number=1234567, client_number=12345)
    return alpha


@pytest.fixture
def muller(german_msp):
    return factories.customer(
        german_msp, "DE", company_name="Müller GmbH", tax_id_type="none", tax_id=""
    )


@pytest.fixture
def dupont(german_msp):
    return factories.customer(german_msp, "FR")


@pytest.fixture
def acme(german_msp):
    return factories.customer(german_msp, "US", company_name="Acme Inc")


@pytest.fixture
def march(german_msp, muller, dupont, acme):
    """An invoice per treatment, a Stripe payment, a credit note with its refund."""
    domestic = make_invoice(
        german_msp,
        muller,
        "in_known1",
        "A1B2C3D4-0001",
        at("2026-03-15"),
        119000,
        19000,
        due_date=at("2026-03-29"),
    )
    reverse = make_invoice(
        german_msp, dupont, "in_known2", "A1B2C3D4-0002", at("2026-03-16"), 100000
    )
    export = make_invoice(german_msp, acme, "in_known3", "A1B2C3D4-0003", at("2026-03-17"), 50000)
    factories.payment(domestic, "inpay_1", "stripe", 119000, at("2026-03-20"), method="card")
    factories.payment(
        domestic, "cn_1", "credit_note", -11900, at("2026-03-25"), reference="A1B2C3D4-0001-CN-01"
    )
    factories.payment(domestic, "re_1", "refund", -11900, at("2026-03-25", 11), method="card")
    return {"domestic": domestic, "reverse": reverse, "export": export}
