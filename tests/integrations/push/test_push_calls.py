"""How many Stripe calls a push makes (counted at the emulator), and that the preview counts
exactly what the push creates or reuses."""

from integrations.models import StripeObjectMap
from integrations.push.actions import do_start_push
from integrations.push.executor import build_plan, execute_push
from quotes.actions import do_create_quote
from tests.factories import accept, add_line, service

KINDS = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "subscriptions": "subscription",
    "invoices": "invoice",
}


def _push(quote, alice):
    push, _created = do_start_push(None, quote, actor=alice)
    assert execute_push(push.pk) == "succeeded"
    push.refresh_from_db()
    return push


def _calls(stripe_api):
    return [(r["method"], r["path"]) for r in stripe_api.requests()]


def _repeat_quote(alpha, alice, customer, like):
    """A new accepted quote for the same customer with the same lines as ``like``."""
    quote = do_create_quote(alpha, customer, user=alice, currency="EUR")
    for line in like.lines.order_by("position"):
        add_line(quote, line.service, line.quantity)
    accept(quote, alice)
    quote.refresh_from_db()
    return quote


def _actual(stripe_api, before: dict, push) -> dict:
    """What the push made at Stripe: new objects per kind, and the customer/products it reused."""
    after = stripe_api.object_ids()
    created = {
        name: len(after.get(kind, set()) - before.get(kind, set())) for name, kind in KINDS.items()
    }
    steps = {s.key: s.stripe_id for s in push.steps.all()}
    reused_customer = int(steps["customer"] in before.get("customer", set()))
    reused_products = sum(
        1 for k, v in steps.items() if k.startswith("product:") and v in before.get("product", ())
    )
    return {
        name: (count, {"customers": reused_customer, "products": reused_products}.get(name, 0))
        for name, count in created.items()
    }


def _preview(quote, connection) -> dict:
    plan = build_plan(quote, connection, send_now=False)
    return {name: (c.create, c.reuse) for name, c in plan.counts.items()}


def test_it_pushes_a_new_customer_at_the_minimum_of_calls(
    connection, mixed_quote, alice, stripe_api
):
    """Search (an earlier installation's customer), create it with its tax ID, one product per
    service (and one for the fractional line), one call per subscription: 13 calls, no more."""
    stripe_api.clear_requests()
    push = _push(mixed_quote, alice)
    calls = _calls(stripe_api)
    assert calls[:2] == [("GET", "/v1/customers/search"), ("POST", "/v1/customers")]
    assert calls[2:11] == [("POST", "/v1/products")] * 9
    assert calls[11:] == [("POST", "/v1/subscriptions")] * 2
    assert not any(path.startswith("/v1/invoices") for _method, path in calls)
    tax_ids = StripeObjectMap.objects.filter(kind=StripeObjectMap.Kind.TAX_ID)
    assert [m.local_ref.split(":", 1)[1] for m in tax_ids] == ["eu_vat:FR40303265045"]
    customer = push.steps.get(key="customer").stripe_id
    sk = stripe_api.client()
    assert [t.value for t in sk.v1.customers.tax_ids.list(customer).data] == ["FR40303265045"]


def test_it_pushes_a_repeat_customer_in_three_calls(
    connection, mixed_quote, alpha, alice, fr_customer, stripe_api
):
    """Known customer, known products, two intervals: retrieve the customer (nothing changed
    since we last sent it) and create the two subscriptions."""
    first = _push(mixed_quote, alice)
    again = _repeat_quote(alpha, alice, fr_customer, mixed_quote)
    stripe_api.clear_requests()
    _push(again, alice)
    customer = first.steps.get(key="customer").stripe_id
    assert _calls(stripe_api) == [
        ("GET", f"/v1/customers/{customer}"),
        ("POST", "/v1/subscriptions"),
        ("POST", "/v1/subscriptions"),
    ]


def test_it_updates_the_customer_only_when_what_we_send_changed(
    connection, mixed_quote, alpha, alice, fr_customer, stripe_api
):
    """Changed data is sent in one update; an edit made in the Stripe Dashboard to data we did
    not change is left alone."""
    first = _push(mixed_quote, alice)
    customer = first.steps.get(key="customer").stripe_id
    sk = stripe_api.client()
    sk.v1.customers.update(customer, {"phone": "+33 1 00 00 00 00"})

    fr_customer.email = "factures@dupont.example"
    fr_customer.save()
    changed = _repeat_quote(alpha, alice, fr_customer, mixed_quote)
    stripe_api.clear_requests()
    _push(changed, alice)
    assert _calls(stripe_api)[0] == ("POST", f"/v1/customers/{customer}")
    assert len(_calls(stripe_api)) == 3
    assert sk.v1.customers.retrieve(customer).email == "factures@dupont.example"

    sk.v1.customers.update(customer, {"name": "Dupont (edited in Stripe)"})
    unchanged = _repeat_quote(alpha, alice, fr_customer, mixed_quote)
    stripe_api.clear_requests()
    _push(unchanged, alice)
    assert _calls(stripe_api)[0] == ("GET", f"/v1/customers/{customer}")
    assert sk.v1.customers.retrieve(customer).name == "Dupont (edited in Stripe)"


def test_a_new_tax_id_is_added_in_the_same_push_without_listing(
    connection, mixed_quote, alpha, alice, fr_customer, stripe_api
):
    """The update answers with the customer's tax IDs expanded: no separate list call."""
    first = _push(mixed_quote, alice)
    customer = first.steps.get(key="customer").stripe_id
    fr_customer.tax_id = "FR83404833048"
    fr_customer.save()
    again = _repeat_quote(alpha, alice, fr_customer, mixed_quote)
    stripe_api.clear_requests()
    _push(again, alice)
    calls = _calls(stripe_api)
    assert ("GET", f"/v1/customers/{customer}/tax_ids") not in calls
    assert calls.count(("POST", f"/v1/customers/{customer}/tax_ids")) == 1
    assert len(calls) == 5  # update, add the new ID, remove ours, two subscriptions
    sk = stripe_api.client()
    assert [t.value for t in sk.v1.customers.tax_ids.list(customer).data] == ["FR83404833048"]


def test_the_preview_counts_what_the_push_creates_and_reuses(
    connection, mixed_quote, alpha, alice, fr_customer, stripe_api
):
    """First push: 1 customer, 9 products, 9 prices, 2 subscriptions, 2 invoices created; the
    repeat push reuses the customer and every product."""
    preview = _preview(mixed_quote, connection)
    assert preview == {
        "customers": (1, 0),
        "products": (9, 0),
        "prices": (9, 0),
        "subscriptions": (2, 0),
        "invoices": (2, 0),
    }
    before = stripe_api.object_ids()
    push = _push(mixed_quote, alice)
    assert _actual(stripe_api, before, push) == preview

    again = _repeat_quote(alpha, alice, fr_customer, mixed_quote)
    preview = _preview(again, connection)
    assert preview["customers"] == (0, 1) and preview["products"] == (0, 9)
    before = stripe_api.object_ids()
    push = _push(again, alice)
    assert _actual(stripe_api, before, push) == preview


def test_the_preview_counts_a_one_time_invoice(connection, alpha, alice, fr_customer, stripe_api):
    """One-time only: one invoice, its items' prices, no subscription."""
    quote = do_create_quote(alpha, fr_customer, user=alice, currency="EUR")
    add_line(quote, service(alpha, "Onboarding", "one_time", "299.00", "unit"), "1")
    add_line(quote, service(alpha, "Cabling", "one_time", "40.00", "hour"), "2.5")
    accept(quote, alice)
    quote.refresh_from_db()
    preview = _preview(quote, connection)
    assert preview["invoices"] == (1, 0) and preview["subscriptions"] == (0, 0)
    before = stripe_api.object_ids()
    push = _push(quote, alice)
    assert _actual(stripe_api, before, push) == preview


def test_the_preview_page_shows_the_counts(client_for, alice, connection, mixed_quote):
    html = client_for(alice).get(f"/quotes/{mixed_quote.public_id}/stripe/").content.decode()
    table = html[html.index('id="push-counts"') :]
    table = table[: table.index("</table>")]
    assert '<td>Products</td><td class="num">9</td><td class="num">0</td>' in table
    assert '<td>Subscriptions</td><td class="num">2</td>' in table
    assert "0 products" not in html
