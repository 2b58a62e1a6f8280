import pytest

from tests import factories


@pytest.fixture
def msp(alpha):
    """Alpha IT with its own German VAT ID: the requester of every VIES check."""
    return factories.german_msp(alpha)


@pytest.fixture
def dupont(msp):
    """A French business customer: reverse charge."""
    return factories.customer(msp, "FR")


@pytest.fixture
def muller(msp):
    """A German business customer: domestic, no reverse charge."""
    return factories.customer(msp, "DE", company_name="Müller Logistik GmbH")


@pytest.fixture
def private(msp):
    return factories.customer(msp, "FR", company_name="Jane Doe", tax_id_type="none", tax_id="")
