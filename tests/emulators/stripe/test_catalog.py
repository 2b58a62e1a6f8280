"""Products, prices and tax rates."""

import pytest
import stripe


def test_it_manages_products(stripe_emulator):
    """Products are created (optionally with a custom id and a default price), updated,
    listed and deleted; a product with prices can't be deleted."""
    client = stripe_emulator.client()
    product = client.v1.products.create(
        {
            "name": "Managed workstation",
            "id": "prod_mspercury_ws",
            "metadata": {"sku": "WS"},
            "default_price_data": {"currency": "eur", "unit_amount": 1500},
        }
    )
    assert product.id == "prod_mspercury_ws"
    price = client.v1.prices.retrieve(product.default_price)
    assert (price.unit_amount, price.currency, price.type) == (1500, "eur", "one_time")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.products.create({"name": "Again", "id": "prod_mspercury_ws"})
    assert caught.value.code == "resource_already_exists"
    updated = client.v1.products.update(product.id, {"name": "Managed WS", "active": False})
    assert (updated.name, updated.active) == ("Managed WS", False)
    assert client.v1.products.list({"active": False}).data[0].id == product.id
    with pytest.raises(stripe.InvalidRequestError, match="has one or more user-created prices"):
        client.v1.products.delete(product.id)
    bare = client.v1.products.create({"name": "Bare"})
    assert client.v1.products.delete(bare.id).deleted is True


def test_it_manages_prices(stripe_emulator):
    """Prices: recurring or one-time, unit_amount or unit_amount_decimal (Decimal in the SDK),
    immutable amounts, tax_behavior that can only be set once."""
    client = stripe_emulator.client()
    product = client.v1.products.create({"name": "Backup"})
    monthly = client.v1.prices.create(
        {
            "currency": "EUR",
            "product": product.id,
            "unit_amount": 999,
            "recurring": {"interval": "month", "interval_count": 3},
            "lookup_key": "backup-quarterly",
        }
    )
    assert monthly.id.startswith("price_")
    assert (monthly.type, monthly.currency) == ("recurring", "eur")
    assert monthly.recurring.interval_count == 3
    from decimal import Decimal

    fractional = client.v1.prices.create(
        {"currency": "eur", "product": product.id, "unit_amount_decimal": Decimal("12.5")}
    )
    assert fractional.unit_amount is None
    assert fractional.unit_amount_decimal == Decimal("12.5")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.create(
            {"currency": "eur", "product": product.id, "unit_amount": 1, "unit_amount_decimal": 1}
        )
    assert caught.value.code == "parameters_exclusive"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.update(monthly.id, {"unit_amount": 5})
    assert caught.value.code == "parameter_unknown"
    client.v1.prices.update(monthly.id, {"tax_behavior": "exclusive"})
    with pytest.raises(stripe.InvalidRequestError, match="cannot be changed"):
        client.v1.prices.update(monthly.id, {"tax_behavior": "inclusive"})
    listed = client.v1.prices.list({"product": product.id, "type": "recurring"})
    assert [p.id for p in listed.data] == [monthly.id]
    assert client.v1.prices.list({"lookup_keys": ["backup-quarterly"]}).data[0].id == monthly.id
    client.v1.prices.update(monthly.id, {"active": False})
    customer = client.v1.customers.create({"name": "Late"})
    with pytest.raises(stripe.InvalidRequestError, match="inactive") as caught:
        client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": monthly.id}]})
    assert caught.value.param == "items[0][price]"


def test_it_manages_tax_rates(stripe_emulator):
    """Tax rates: percentage and inclusive are fixed at creation; other fields update."""
    client = stripe_emulator.client()
    rate = client.v1.tax_rates.create(
        {
            "display_name": "USt.",
            "inclusive": False,
            "percentage": 19.0,
            "country": "DE",
            "jurisdiction": "DE",
            "tax_type": "vat",
        }
    )
    assert rate.id.startswith("txr_")
    assert (rate.percentage, rate.effective_percentage, rate.inclusive) == (19.0, 19.0, False)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.tax_rates.update(rate.id, {"percentage": 7})
    assert caught.value.code == "parameter_unknown"
    archived = client.v1.tax_rates.update(rate.id, {"active": False, "display_name": "VAT"})
    assert (archived.active, archived.display_name) == (False, "VAT")
    assert client.v1.tax_rates.list({"active": True}).data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.tax_rates.create({"display_name": "X", "inclusive": False, "percentage": 101})
