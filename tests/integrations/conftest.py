import pytest

from tests.factories import EMULATOR_ACCOUNT, WEBHOOK_PERMISSIONS


@pytest.fixture
def full_key_with_webhooks(stripe_api):
    """A restricted key with the seed's permissions plus webhook endpoints: write."""
    spec = stripe_api.add_key(
        permissions=WEBHOOK_PERMISSIONS,
        account=EMULATOR_ACCOUNT,
        name="MSPercury with webhooks",
    )
    return spec["key"]
