"""Small builders shared by the emulator tests."""


def monthly(product_id, unit_amount, currency="eur", interval="month"):
    return {
        "currency": currency,
        "product": product_id,
        "unit_amount": unit_amount,
        "recurring": {"interval": interval},
    }


def one_time(product_id, unit_amount, currency="eur"):
    return {"currency": currency, "product": product_id, "unit_amount": unit_amount}


def customer_and_product(client, **customer):
    customer.setdefault("name", "Acme GmbH")
    customer.setdefault("email", "billing@acme.test")
    customer.setdefault("address", {"country": "DE"})
    return client.v1.customers.create(customer), client.v1.products.create({"name": "Service"})


def event_types(client, limit=100):
    return [e.type for e in reversed(client.v1.events.list({"limit": limit}).data)]


def set_clock(stripe_emulator, iso):
    """Move the emulator clock forward to an ISO UTC time (`2027-01-01T00:00:00`)."""
    import datetime as dt

    target = int(dt.datetime.fromisoformat(iso).replace(tzinfo=dt.UTC).timestamp())
    return stripe_emulator.advance(target - stripe_emulator.now())
