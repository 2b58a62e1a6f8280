from tests.integrations.push.conftest import fr_customer, mixed_quote  # noqa: F401
