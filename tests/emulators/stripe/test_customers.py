"""Customers, search with its indexing delay, and customer tax IDs."""

import time

import pytest
import stripe

from .helpers import event_types


def test_it_creates_retrieves_updates_and_deletes_customers(stripe_emulator):
    """The customer lifecycle with Stripe's shapes and events; metadata keys set to "" are
    removed; a deleted customer retrieves as {deleted: true} and can't be updated."""
    client = stripe_emulator.client()
    customer = client.v1.customers.create(
        {
            "name": "Acme GmbH",
            "email": "billing@acme.test",
            "address": {"country": "DE", "city": "Köln"},
            "preferred_locales": ["de"],
            "tax_exempt": "reverse",
            "metadata": {"mspercury_customer": "c-1", "drop": "me"},
            "tax_id_data": [{"type": "eu_vat", "value": "DE 123456789"}],
            "expand": ["tax_ids"],
        }
    )
    assert customer.id.startswith("cus_")
    assert customer.object == "customer"
    assert customer.tax_exempt == "reverse"
    assert customer.address.city == "Köln"
    assert customer.tax_ids.data[0].value == "DE123456789"
    assert customer.tax_ids.data[0].country == "DE"
    assert "tax_ids" not in client.v1.customers.retrieve(customer.id)
    updated = client.v1.customers.update(
        customer.id, {"email": "new@acme.test", "metadata": {"drop": "", "added": "1"}}
    )
    assert updated.email == "new@acme.test"
    assert updated.metadata.to_dict() == {"mspercury_customer": "c-1", "added": "1"}
    assert client.v1.customers.list({"email": "new@acme.test"}).data[0].id == customer.id
    deleted = client.v1.customers.delete(customer.id)
    assert deleted.deleted is True
    assert client.v1.customers.retrieve(customer.id).deleted is True
    assert client.v1.customers.list().data == []
    with pytest.raises(stripe.InvalidRequestError, match="No such customer"):
        client.v1.customers.update(customer.id, {"name": "Ghost"})
    assert event_types(client) == [
        "customer.created",
        "customer.tax_id.created",
        "customer.updated",
        "customer.deleted",
    ]
    updated_event = client.v1.events.list({"type": "customer.updated"}).data[0]
    assert updated_event.data.previous_attributes["email"] == "billing@acme.test"


def test_search_does_not_find_a_customer_within_the_indexing_delay(stripe_emulator):
    """A just-created customer is not searchable until the indexing delay has passed (on the
    emulator clock); afterwards metadata queries with AND find it."""
    stripe_emulator.config(search_index_delay=60)
    client = stripe_emulator.client()
    customer = client.v1.customers.create(
        {"email": "a@acme.test", "metadata": {"quote_id": "Q-1", "ws": "w1"}}
    )
    client.v1.customers.create(
        {"email": "b@acme.test", "metadata": {"quote_id": "Q-2", "ws": "w1"}}
    )
    query = "metadata['quote_id']:'Q-1' AND metadata['ws']:'w1'"
    assert client.v1.customers.search({"query": query}).data == []
    stripe_emulator.advance(59)
    assert client.v1.customers.search({"query": query}).data == []
    stripe_emulator.advance(2)
    result = client.v1.customers.search({"query": query})
    assert [c.id for c in result.data] == [customer.id]
    assert result.object == "search_result"
    both = client.v1.customers.search({"query": 'metadata["ws"]:"w1"'})
    assert len(both.data) == 2
    assert client.v1.customers.search({"query": "email:'A@acme.test'"}).data[0].id == customer.id


def test_search_sees_updates_and_deletes_only_after_the_delay(stripe_emulator):
    """Search keeps answering with the old indexed state until the delay passes, in real time
    too."""
    stripe_emulator.config(search_index_delay=0.3)
    client = stripe_emulator.client()
    customer = client.v1.customers.create({"metadata": {"k": "old"}})
    time.sleep(0.35)
    assert len(client.v1.customers.search({"query": "metadata['k']:'old'"}).data) == 1
    client.v1.customers.update(customer.id, {"metadata": {"k": "new"}})
    assert len(client.v1.customers.search({"query": "metadata['k']:'old'"}).data) == 1
    assert client.v1.customers.search({"query": "metadata['k']:'new'"}).data == []
    time.sleep(0.35)
    assert client.v1.customers.search({"query": "metadata['k']:'old'"}).data == []
    assert len(client.v1.customers.search({"query": "metadata['k']:'new'"}).data) == 1
    client.v1.customers.delete(customer.id)
    time.sleep(0.35)
    assert client.v1.customers.search({"query": "metadata['k']:'new'"}).data == []


def test_search_pages_and_rejects_bad_queries(stripe_emulator):
    """Search pages with next_page; malformed queries, unknown fields and mixed AND/OR are
    400s."""
    stripe_emulator.config(search_index_delay=0)
    client = stripe_emulator.client()
    for i in range(3):
        client.v1.customers.create({"metadata": {"batch": "b"}, "name": f"N{i}"})
    first = client.v1.customers.search({"query": "metadata['batch']:'b'", "limit": 2})
    assert len(first.data) == 2 and first.has_more
    rest = client.v1.customers.search(
        {"query": "metadata['batch']:'b'", "limit": 2, "page": first.next_page}
    )
    assert len(rest.data) == 1 and not rest.has_more
    for query in (
        "metadata['batch']=b",
        "colour:'red'",
        "name:'N0' AND name:'N1' OR name:'N2'",
        "name:N0",
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.customers.search({"query": query})
        assert caught.value.param == "query"
    assert len(client.v1.customers.search({"query": "name:'N0' OR name:'N1'"}).data) == 2
    assert len(client.v1.customers.search({"query": "-name:'N0'"}).data) == 2


def test_it_manages_customer_tax_ids(stripe_emulator):
    """Tax IDs are created, listed and deleted per customer; the type is validated against
    Stripe's list and obviously wrong values are tax_id_invalid."""
    client = stripe_emulator.client()
    customer = client.v1.customers.create({"name": "Acme"})
    tax_id = client.v1.customers.tax_ids.create(
        customer.id, {"type": "eu_vat", "value": "ATU12345678"}
    )
    assert tax_id.id.startswith("txi_")
    assert (tax_id.country, tax_id.verification.status) == ("AT", "pending")
    client.v1.customers.tax_ids.create(customer.id, {"type": "us_ein", "value": "12-3456789"})
    assert len(client.v1.customers.tax_ids.list(customer.id).data) == 2
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.tax_ids.create(customer.id, {"type": "eu_vat", "value": "US123"})
    assert caught.value.code == "tax_id_invalid"
    removed = client.v1.customers.tax_ids.delete(customer.id, tax_id.id)
    assert removed.deleted is True
    assert len(client.v1.customers.tax_ids.list(customer.id).data) == 1
    with pytest.raises(stripe.InvalidRequestError, match="No such tax_id"):
        client.v1.customers.tax_ids.retrieve(customer.id, tax_id.id)


def test_it_lists_the_accounts_tax_ids(stripe_emulator):
    """GET /v1/tax_ids: the top-level list, readable with Tax IDs: read."""
    sk = stripe_emulator.client()
    customer = sk.v1.customers.create({"name": "Tax GmbH"})
    sk.v1.customers.tax_ids.create(customer.id, {"type": "eu_vat", "value": "DE136695976"})
    listing = stripe_emulator.client("rk_test_emulator_readonly").v1.tax_ids.list({"limit": 1})
    assert [t.value for t in listing.data] == ["DE136695976"]


def test_retrieve_and_update_expand_tax_ids_and_a_deleted_customer_is_missing(stripe_emulator):
    """The push reads tax IDs from one retrieve or update (expand[]=tax_ids); updating a
    deleted customer answers resource_missing, as Stripe does."""
    client = stripe_emulator.client()
    customer = client.v1.customers.create(
        {"name": "Expand", "tax_id_data": [{"type": "eu_vat", "value": "DE123456789"}]}
    )
    fetched = client.v1.customers.retrieve(customer.id, {"expand": ["tax_ids"]})
    assert [t.value for t in fetched.tax_ids.data] == ["DE123456789"]
    updated = client.v1.customers.update(customer.id, {"name": "Renamed", "expand": ["tax_ids"]})
    assert updated.name == "Renamed" and updated.tax_ids.data[0].type == "eu_vat"
    client.v1.customers.delete(customer.id)
    assert client.v1.customers.retrieve(customer.id).deleted is True
    try:
        client.v1.customers.update(customer.id, {"name": "Ghost"})
    except stripe.InvalidRequestError as exc:
        assert exc.code == "resource_missing"
    else:
        raise AssertionError("updating a deleted customer must fail")
