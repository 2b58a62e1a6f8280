"""Parameter validation from the SDK's typed params, with Stripe's error codes."""

from decimal import Decimal

import pytest
import stripe

from .helpers import customer_and_product, monthly, one_time


def _error(call):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call()
    return caught.value


def test_it_rejects_unknown_parameters(stripe_emulator):
    """A parameter the SDK's types don't know is parameter_unknown, nested paths included."""
    client = stripe_emulator.client()
    error = _error(lambda: client.v1.customers.create({"nickname": "x"}))
    assert (error.code, error.param, error.http_status) == ("parameter_unknown", "nickname", 400)
    assert error.user_message == "Received unknown parameter: nickname"
    customer, product = customer_and_product(client)
    error = _error(
        lambda: client.v1.subscriptions.create(
            {"customer": customer.id, "items": [{"price_data": monthly(product.id, 1), "x": 1}]}
        )
    )
    assert (error.code, error.param) == ("parameter_unknown", "items[0][x]")


def test_it_rejects_removed_parameters_of_older_api_versions(stripe_emulator):
    """Parameters removed before the pinned version (coupon, invoice item unit_amount) are
    unknown, so code written against old docs fails here as it would on Stripe."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    error = _error(lambda: client.v1.customers.create({"coupon": "X"}))
    assert error.code == "parameter_unknown"
    error = _error(
        lambda: client.v1.invoice_items.create(
            {"customer": customer.id, "unit_amount": 100, "currency": "eur"}
        )
    )
    assert (error.code, error.param) == ("parameter_unknown", "unit_amount")


def test_it_rejects_wrong_types(stripe_emulator):
    """Integers must be integers (parameter_invalid_integer), booleans booleans, enums one of
    their values, and required params present (parameter_missing)."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    error = _error(
        lambda: client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price_data": monthly(product.id, 100), "quantity": "1.5"}],
            }
        )
    )
    assert (error.code, error.param) == ("parameter_invalid_integer", "items[0][quantity]")
    assert error.user_message == "Invalid integer: 1.5"
    error = _error(
        lambda: client.v1.invoices.create({"customer": customer.id, "auto_advance": "yes"})
    )
    assert (error.param, error.user_message) == ("auto_advance", "Invalid boolean: yes")
    error = _error(
        lambda: client.v1.invoices.create(
            {"customer": customer.id, "collection_method": "by_carrier_pigeon"}
        )
    )
    assert error.param == "collection_method"
    assert "must be one of charge_automatically or send_invoice" in error.user_message
    error = _error(lambda: client.v1.tax_rates.create({"display_name": "VAT", "percentage": 19}))
    assert (error.code, error.param) == ("parameter_missing", "inclusive")
    error = _error(
        lambda: client.v1.customers.tax_ids.create(customer.id, {"type": "xx_vat", "value": "1"})
    )
    assert error.param == "type"
    error = _error(lambda: client.v1.customers.create({"description": ""}))
    assert (error.code, error.param) == ("parameter_invalid_empty", "description")


def test_it_enforces_the_documented_limits(stripe_emulator):
    """20 subscription items, 20 add_invoice_items, 4 custom fields of at most 40/140
    characters, and amounts up to 99,999,999 minor units."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    items = [{"price_data": monthly(product.id, i + 1)} for i in range(21)]
    error = _error(
        lambda: client.v1.subscriptions.create({"customer": customer.id, "items": items})
    )
    assert error.param == "items"
    assert "at most 20" in error.user_message
    extra = [{"price_data": one_time(product.id, 1)}] * 21
    error = _error(
        lambda: client.v1.subscriptions.create(
            {"customer": customer.id, "items": items[:1], "add_invoice_items": extra}
        )
    )
    assert error.param == "add_invoice_items"
    fields = [{"name": f"F{i}", "value": "v"} for i in range(5)]
    error = _error(
        lambda: client.v1.invoices.create({"customer": customer.id, "custom_fields": fields})
    )
    assert error.param == "custom_fields"
    error = _error(
        lambda: client.v1.invoices.create(
            {"customer": customer.id, "custom_fields": [{"name": "n" * 41, "value": "v"}]}
        )
    )
    assert error.param == "custom_fields[0][name]"
    assert "at most 40 characters" in error.user_message
    error = _error(
        lambda: client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": items[:1],
                "invoice_settings": {"custom_fields": [{"name": "n", "value": "v" * 141}]},
            }
        )
    )
    assert error.param == "invoice_settings[custom_fields][0][value]"
    ok = client.v1.invoices.create(
        {"customer": customer.id, "custom_fields": [{"name": "n" * 40, "value": "v" * 140}] * 4}
    )
    assert len(ok.custom_fields) == 4
    error = _error(
        lambda: client.v1.prices.create(
            {"currency": "eur", "product": product.id, "unit_amount": 100_000_000}
        )
    )
    assert (error.code, error.param) == ("amount_too_large", "unit_amount")
    assert (
        client.v1.prices.create(
            {"currency": "eur", "product": product.id, "unit_amount": 99_999_999}
        ).unit_amount
        == 99_999_999
    )
    error = _error(
        lambda: client.v1.invoice_items.create(
            {"customer": customer.id, "amount": 100_000_000, "currency": "eur"}
        )
    )
    assert error.code == "amount_too_large"


def test_it_caps_invoices_at_250_lines(stripe_emulator):
    """The 251st invoice item on a draft invoice is rejected; pending items beyond 250 can't
    be pulled into a new invoice."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    invoice = client.v1.invoices.create({"customer": customer.id})
    emulator = stripe_emulator.emulator
    # 250 items through the emulator directly keeps the test fast; the 251st goes over HTTP.
    from emulators.stripe.resources.invoices import new_invoice_item
    from emulators.stripe.router import Context

    with emulator.store.lock:
        ctx = Context(
            emu=emulator, key=None, owner=emulator.store.owner_of(invoice.id), params={}, path={}
        )
        stored_invoice = emulator.store.objects[invoice.id]
        stored_customer = emulator.store.objects[customer.id]
        for _ in range(250):
            new_invoice_item(
                ctx, stored_customer, {"amount": 100, "currency": "eur"}, invoice=stored_invoice
            )
    assert client.v1.invoices.retrieve(invoice.id).lines.total_count == 250
    error = _error(
        lambda: client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": 1, "currency": "eur"}
        )
    )
    assert "at most 250 line items" in error.user_message


def test_it_requires_an_existing_product_for_price_data(stripe_emulator):
    """Inline price_data needs the id of an existing product, as on Stripe; product_data is
    only accepted where Stripe accepts it (prices, Checkout)."""
    client = stripe_emulator.client()
    customer, _ = customer_and_product(client)
    error = _error(
        lambda: client.v1.subscriptions.create(
            {"customer": customer.id, "items": [{"price_data": monthly("prod_missing", 100)}]}
        )
    )
    assert (error.code, error.param) == ("resource_missing", "items[0][price_data][product]")
    assert error.user_message == "No such product: 'prod_missing'"
    error = _error(
        lambda: client.v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [
                    {
                        "price_data": {
                            "currency": "eur",
                            "product_data": {"name": "Inline"},
                            "unit_amount": 100,
                            "recurring": {"interval": "month"},
                        }
                    }
                ],
            }
        )
    )
    assert error.code == "parameter_unknown"
    price = client.v1.prices.create(
        {"currency": "eur", "product_data": {"name": "Inline"}, "unit_amount": 100}
    )
    assert client.v1.products.retrieve(price.product).name == "Inline"


def test_negative_amounts_are_allowed_only_where_stripe_allows_them(stripe_emulator):
    """An invoice item's own unit_amount_decimal may be negative (a credit, as its amount may);
    prices, inline price_data and quantities may not."""
    client = stripe_emulator.client()
    customer, product = customer_and_product(client)
    invoice = client.v1.invoices.create({"customer": customer.id, "currency": "eur"})
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 1000})
    credit = client.v1.invoice_items.create(
        {
            "customer": customer.id,
            "invoice": invoice.id,
            "unit_amount_decimal": Decimal("-250"),
            "quantity": 2,
        }
    )
    assert credit.amount == -500
    assert client.v1.invoices.retrieve(invoice.id).total == 500
    error = _error(
        lambda: client.v1.prices.create(
            {"currency": "eur", "product": product.id, "unit_amount_decimal": Decimal("-1")}
        )
    )
    assert error.param == "unit_amount_decimal"
    error = _error(
        lambda: client.v1.invoice_items.create(
            {
                "customer": customer.id,
                "invoice": invoice.id,
                "price_data": {
                    "currency": "eur",
                    "product": product.id,
                    "unit_amount_decimal": Decimal("-1"),
                },
            }
        )
    )
    assert error.param == "price_data[unit_amount_decimal]"
    error = _error(
        lambda: client.v1.invoice_items.create(
            {
                "customer": customer.id,
                "invoice": invoice.id,
                "unit_amount_decimal": Decimal("100"),
                "quantity_decimal": Decimal("-1"),
            }
        )
    )
    assert error.param == "quantity_decimal"
