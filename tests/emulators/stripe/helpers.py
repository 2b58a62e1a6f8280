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


def post_form(url, **fields):
    """POST a form to a hosted page; returns (HTTP status, page text) without raising on 4xx."""
    import urllib.error
    import urllib.parse
    import urllib.request

    data = urllib.parse.urlencode(fields).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data)) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def get_page(url):
    """GET a hosted page; returns (HTTP status, page text) without raising on 4xx."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def open_invoice(client, amount=10000, currency="eur", **params):
    """A finalized send_invoice invoice of `amount` for a new customer."""
    customer, _ = customer_and_product(client)
    params.setdefault("collection_method", "send_invoice")
    params.setdefault("days_until_due", 14)
    params.setdefault("currency", currency)
    invoice = client.v1.invoices.create({"customer": customer.id, **params})
    client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "amount": amount, "currency": currency}
    )
    return client.v1.invoices.finalize_invoice(invoice.id)


def events_of(client, event_type, limit=100):
    events = reversed(client.v1.events.list({"limit": limit}).data)
    return [e for e in events if e.type == event_type]
