from tests.integrations.conftest import stripe_api  # noqa: F401
from tests.integrations.push.conftest import (  # noqa: F401
    connection,
    fast_push,
    fr_customer,
    mixed_quote,
)
