import pytest


@pytest.fixture
def stripe_api(settings, stripe_emulator):
    """Point the product's Stripe seam at the emulator (a deployment setting)."""
    settings.MSPERCURY_STRIPE_API_BASE = stripe_emulator.base_url
    return stripe_emulator


@pytest.fixture
def full_key_with_webhooks(stripe_api):
    """A restricted key with the seed's permissions plus webhook endpoints: write."""
    spec = stripe_api.add_key(
        permissions={
            "customers": "write",
            "invoices": "write",
            "subscriptions": "write",
            "products": "write",
            "prices": "write",
            "tax_ids": "write",
            "tax_rates": "read",
            "webhook_endpoints": "write",
        },
        account="acct_1EmulatorSeedAcct",
        name="MSPercury with webhooks",
    )
    return spec["key"]


from tests.integrations.push.conftest import fr_customer, mixed_quote  # noqa: E402,F401
