import pytest

from customers.models import Customer


@pytest.fixture
def msp(alpha):
    """Alpha IT with its own German VAT ID: the requester of every VIES check."""
    alpha.tax_id_type = "eu_vat"
    alpha.tax_id = "DE136695976"
    alpha.save(update_fields=["tax_id_type", "tax_id"])
    return alpha


@pytest.fixture
def dupont(msp):
    """A French business customer: reverse charge."""
    return Customer.objects.create(
        workspace=msp,
        company_name="Dupont Conseil SARL",
        country="FR",
        tax_id_type="eu_vat",
        tax_id="FR40303265045",
    )


@pytest.fixture
def muller(msp):
    """A German business customer: domestic, no reverse charge."""
    return Customer.objects.create(
        workspace=msp,
        company_name="Müller Logistik GmbH",
        country="DE",
        tax_id_type="eu_vat",
        tax_id="DE136695976",
    )


@pytest.fixture
def private(msp):
    return Customer.objects.create(workspace=msp, company_name="Jane Doe", country="FR")
