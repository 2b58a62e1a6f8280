"""The pure push planner: operations, adjustments and checks, without Stripe or a database."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.money import line_net, to_minor_units
from integrations.push.planner import (
    QUANTITY_ROUND,
    KnownStripe,
    PlanCustomer,
    PlanLine,
    PlanQuote,
    PlanSettings,
    plan_push,
    resolve,
)

D = Decimal


def line(ref, period, qty="1", price="10.00", *, service="svc", discount=None, desc=None):
    return PlanLine(
        ref=ref,
        description=desc or f"Line {ref}",
        quantity=D(qty),
        unit="unit",
        unit_price=D(price),
        billing_period=period,
        discount_percent=D(discount) if discount else None,
        service_ref=f"{service}-{ref}" if service else None,
        service_name=f"Service {ref}",
    )


def quote(*lines, currency="EUR", accepted=True):
    return PlanQuote(
        ref="q-1",
        number="Q-2026-0007",
        currency=currency,
        customer_name="ACME GmbH",
        lines=tuple(lines),
        accepted=accepted,
    )


CUSTOMER = PlanCustomer(
    ref="c-1",
    name="ACME GmbH",
    email="billing@acme.example",
    line1="Hauptstr. 1",
    postal_code="10115",
    city="Berlin",
    country="DE",
    tax_id_type="eu_vat",
    tax_id="DE136695976",
    language="de",
    collection_method="send_invoice",
    days_until_due=14,
)
SETTINGS = PlanSettings(workspace_ref="ws-1")


def mixed_quote():
    """The seed's example: 6 monthly, 1 yearly, 2 one-time (one of them 1.5 hours)."""
    monthly = [line(f"m{i}", "monthly", qty=str(5 + i), price="12.50") for i in range(6)]
    yearly = [line("y1", "yearly", qty="1", price="480.00")]
    one_time = [
        line("o1", "one_time", qty="1", price="299.00", desc="Onboarding"),
        line("o2", "one_time", qty="1.5", price="95.00", desc="On-site hours"),
    ]
    return quote(*monthly, *yearly, *one_time)


def test_it_plans_the_seeds_mixed_quote():
    plan = plan_push(mixed_quote(), CUSTOMER, SETTINGS)
    assert not plan.blocked
    kinds = [op.kind for op in plan.operations]
    assert kinds[0] == "customer"
    assert kinds.count("product") == 9
    subs = plan.of_kind("subscription")
    assert [str(s.label) for s in subs] == [
        "6× monthly recurring + 2× one-time on first invoice",
        "1× yearly recurring",
    ]
    month, year = subs
    assert [i["price_data"]["recurring"]["interval"] for i in month.params["items"]] == [
        "month"
    ] * 6
    assert year.params["items"][0]["price_data"]["recurring"] == {"interval": "year"}
    assert len(month.params["add_invoice_items"]) == 2
    assert "add_invoice_items" not in year.params
    assert not plan.of_kind("invoice")
    hours = next(x for x in month.one_time_lines if x.line_ref == "o2")
    assert (hours.quantity, hours.unit_amount) == (1, 14250)
    assert "1.5 × unit à 95.00 EUR" in hours.description
    assert any(a.code == "fractional_quantity" for a in plan.adjustments)


def test_every_subscription_and_invoice_carries_footer_and_metadata():
    plan = plan_push(mixed_quote(), CUSTOMER, SETTINGS)
    for op in plan.of_kind("subscription"):
        assert (
            op.params["invoice_settings"]["footer"] == "MSPercury-Referenz: Q-2026-0007"
        )  # CUSTOMER reads German
        assert op.params["metadata"] == {
            "mspercury_quote_id": "q-1",
            "mspercury_quote_number": "Q-2026-0007",
            "mspercury_workspace": "ws-1",
        }
        assert op.params["collection_method"] == "send_invoice"
        assert op.params["days_until_due"] == 14
        assert "Q-2026-0007" in op.params["description"]
    customer = plan.step("customer")
    assert customer.params["payload"]["metadata"]["mspercury_customer_id"] == "c-1"
    assert customer.params["tax_ids"] == [{"type": "eu_vat", "value": "DE136695976"}]
    assert customer.params["payload"]["preferred_locales"] == ["de"]
    assert customer.params["payload"]["address"]["country"] == "DE"


def test_stripe_amounts_equal_the_quotes_first_invoice_to_the_cent():
    plan = plan_push(mixed_quote(), CUSTOMER, SETTINGS)
    expected = sum(
        to_minor_units(line_net(x.quantity, x.unit_price, x.discount_percent, "EUR"), "EUR")
        for x in mixed_quote().lines
    )
    assert plan.stripe_total == expected


def test_charge_automatically_sends_no_days_until_due():
    customer = PlanCustomer(**{**CUSTOMER.__dict__, "collection_method": "charge_automatically"})
    plan = plan_push(mixed_quote(), customer, SETTINGS)
    for op in plan.of_kind("subscription"):
        assert op.params["collection_method"] == "charge_automatically"
        assert "days_until_due" not in op.params


@pytest.mark.parametrize(
    ("send_now", "collection", "expected"),
    [
        (False, "send_invoice", ["customer", "product", "invoice", "invoice_item", "invoice_item"]),
        (
            True,
            "send_invoice",
            ["customer", "product", "invoice", "invoice_item", "invoice_item", "finalize", "send"],
        ),
        (
            True,
            "charge_automatically",
            ["customer", "product", "invoice", "invoice_item", "invoice_item", "finalize"],
        ),
    ],
)
def test_a_one_time_quote_becomes_an_invoice(send_now, collection, expected):
    q = quote(line("a", "one_time", service="same"), line("b", "one_time", service=None))
    q = PlanQuote(
        **{
            **q.__dict__,
            "lines": (
                PlanLine(**{**q.lines[0].__dict__, "service_ref": "svc-x"}),
                PlanLine(**{**q.lines[1].__dict__, "service_ref": "svc-x"}),
            ),
        }
    )
    customer = PlanCustomer(**{**CUSTOMER.__dict__, "collection_method": collection})
    plan = plan_push(q, customer, PlanSettings(workspace_ref="ws-1", send_now=send_now))
    assert [op.kind for op in plan.operations] == expected
    invoice = plan.step("invoice:1")
    # The draft never auto-advances while being filled; "Send now" finalizes it when complete.
    assert invoice.params["auto_advance"] is False
    if send_now:
        assert plan.step("finalize:1").params["auto_advance"] is True
    assert invoice.params["pending_invoice_items_behavior"] == "exclude"
    assert invoice.params["footer"] == "MSPercury-Referenz: Q-2026-0007"  # CUSTOMER reads German
    item = plan.step("invoice_item:1:1")
    assert item.params["invoice"] == "@invoice:1"
    assert item.params["price_data"]["product"] == "@product:service:svc-x"


def test_more_than_20_recurring_lines_split_subscriptions():
    lines = [line(f"m{i}", "monthly") for i in range(45)]
    plan = plan_push(quote(*lines), CUSTOMER, SETTINGS)
    subs = plan.of_kind("subscription")
    assert [len(s.params["items"]) for s in subs] == [20, 20, 5]
    assert [s.key for s in subs] == [
        "subscription:month:1",
        "subscription:month:2",
        "subscription:month:3",
    ]
    assert any("split into 3 subscriptions" in a.message for a in plan.adjustments)
    assert "part 2 of 3" in subs[1].params["description"]


def test_one_time_lines_beyond_20_per_subscription_move_on():
    monthly = [line("m1", "monthly")]
    yearly = [line("y1", "yearly")]
    one_time = [line(f"o{i}", "one_time") for i in range(45)]
    plan = plan_push(quote(*monthly, *yearly, *one_time), CUSTOMER, SETTINGS)
    subs = plan.of_kind("subscription")
    assert [len(s.params.get("add_invoice_items", [])) for s in subs] == [20, 20]
    assert len(plan.of_kind("invoice_item")) == 5
    assert any(a.code == "one_time_invoice" for a in plan.adjustments)
    assert plan.stripe_total == 47 * 1000


def test_more_than_250_lines_on_one_invoice_is_blocking():
    plan = plan_push(quote(*[line(f"o{i}", "one_time") for i in range(251)]), CUSTOMER, SETTINGS)
    assert plan.blocked
    assert any(p.code == "too_many_lines" for p in plan.problems)


def test_a_customer_without_email_blocks_with_the_seeds_message():
    customer = PlanCustomer(**{**CUSTOMER.__dict__, "email": ""})
    plan = plan_push(mixed_quote(), customer, SETTINGS)
    assert plan.blocked
    assert [p.message for p in plan.problems if p.blocking] == ["Customer has no email address"]


def test_a_customer_billing_in_another_currency_blocks():
    plan = plan_push(mixed_quote(), CUSTOMER, SETTINGS, KnownStripe(customer_currency="usd"))
    assert any(p.code == "customer_currency" and p.blocking for p in plan.problems)
    same = plan_push(mixed_quote(), CUSTOMER, SETTINGS, KnownStripe(customer_currency="eur"))
    assert not same.blocked


def test_an_amount_above_stripes_maximum_blocks():
    plan = plan_push(quote(line("big", "one_time", qty="2", price="600000.00")), CUSTOMER, SETTINGS)
    assert any(p.code == "amount_too_large" for p in plan.problems)


@pytest.mark.parametrize("period", ["one_time", "monthly"])
def test_an_invoice_total_above_stripes_maximum_blocks(period):
    """Every line is allowed, but the (first) invoice they make up is above 999,999.99."""
    lines = [line(f"l{i}", period, price="400000.00") for i in range(3)]
    plan = plan_push(quote(*lines), CUSTOMER, SETTINGS)
    assert plan.blocked
    assert any(p.code == "amount_too_large" for p in plan.problems)
    fine = plan_push(quote(*lines[:2]), CUSTOMER, SETTINGS)
    assert not fine.blocked


def test_an_unaccepted_quote_or_empty_quote_blocks():
    assert plan_push(
        mixed_quote().__class__(**{**mixed_quote().__dict__, "accepted": False}), CUSTOMER, SETTINGS
    ).blocked
    assert any(p.code == "no_lines" for p in plan_push(quote(), CUSTOMER, SETTINGS).problems)


@pytest.mark.parametrize("skip", [False, True])
def test_a_one_time_invoice_below_the_minimum_warns_or_is_skipped(skip):
    q = quote(line("tiny", "one_time", price="0.30"))
    plan = plan_push(q, CUSTOMER, PlanSettings(workspace_ref="ws-1", skip_below_minimum=skip))
    warning = next(p for p in plan.problems if p.code == "below_minimum")
    assert not warning.blocking
    assert bool(plan.of_kind("invoice")) is not skip


def test_a_small_first_subscription_invoice_warns():
    plan = plan_push(quote(line("m", "monthly", price="0.20")), CUSTOMER, SETTINGS)
    assert any(p.code == "below_minimum" and not p.blocking for p in plan.problems)


def test_zero_quantity_lines_are_skipped_unless_shown():
    q = quote(line("m", "monthly"), line("z", "monthly", qty="0"))
    skipped = plan_push(q, CUSTOMER, SETTINGS)
    assert len(skipped.of_kind("subscription")[0].params["items"]) == 1
    assert any(a.code == "zero_line_skipped" for a in skipped.adjustments)
    shown = plan_push(
        q, CUSTOMER, PlanSettings(workspace_ref="ws-1", show_zero_quantity_lines=True)
    )
    items = shown.of_kind("subscription")[0].params["items"]
    assert [i["quantity"] for i in items] == [1, 0]


@pytest.mark.parametrize(
    ("qty", "expected_qty", "expected_unit", "adjusted"),
    [("1.5", 2, 9500, True), ("2.49", 2, 9500, True), ("3", 3, 9500, False)],
)
def test_round_mode_reproduces_math_round(qty, expected_qty, expected_unit, adjusted):
    q = quote(line("h", "one_time", qty=qty, price="95.00"))
    plan = plan_push(q, CUSTOMER, PlanSettings(workspace_ref="ws-1", quantity_mode=QUANTITY_ROUND))
    item = plan.of_kind("invoice_item")[0]
    assert (item.params["quantity"], item.params["price_data"]["unit_amount"]) == (
        expected_qty,
        expected_unit,
    )
    assert any(a.code == "quantity_rounded" for a in plan.adjustments) is adjusted


def test_round_mode_skips_lines_rounding_to_zero():
    q = quote(line("h", "monthly", qty="0.4"), line("k", "monthly"))
    plan = plan_push(q, CUSTOMER, PlanSettings(workspace_ref="ws-1", quantity_mode=QUANTITY_ROUND))
    assert len(plan.of_kind("subscription")[0].params["items"]) == 1
    assert any(a.code == "line_skipped" for a in plan.adjustments)


@pytest.mark.parametrize(
    ("qty", "price", "discount", "expected"),
    [
        ("4", "10.00", "10", (4, 900)),  # 36.00 over 4 units: 9.00 each, exact
        ("3", "10.00", "33.33", (1, 2000)),  # 20.00 does not divide by 3: one exact amount
        ("1", "9.99", "33.33", (1, 666)),
    ],
)
def test_discounts_never_change_the_amount(qty, price, discount, expected):
    plan = plan_push(
        quote(line("d", "monthly", qty=qty, price=price, discount=discount)), CUSTOMER, SETTINGS
    )
    item = plan.of_kind("subscription")[0].params["items"][0]
    assert (item["quantity"], item["price_data"]["unit_amount"]) == expected


def test_stripe_tax_turns_on_automatic_tax_and_tax_behavior():
    plan = plan_push(mixed_quote(), CUSTOMER, PlanSettings(workspace_ref="ws-1", stripe_tax=True))
    sub = plan.of_kind("subscription")[0]
    assert sub.params["automatic_tax"] == {"enabled": True}
    assert sub.params["items"][0]["price_data"]["tax_behavior"] == "exclusive"
    assert sub.params["add_invoice_items"][0]["price_data"]["tax_behavior"] == "exclusive"
    assert "tax_exempt" not in plan.step("customer").params["payload"]


def test_stripe_tax_needs_the_customers_country():
    customer = PlanCustomer(**{**CUSTOMER.__dict__, "country": ""})
    plan = plan_push(mixed_quote(), customer, PlanSettings(workspace_ref="ws-1", stripe_tax=True))
    assert any(p.code == "customer_location_missing" for p in plan.problems)


def test_without_stripe_tax_a_matching_tax_rate_is_applied_or_required():
    domestic = PlanSettings(
        workspace_ref="ws-1", tax_treatment="domestic", tax_rate_percent=D("19"), tax_country="DE"
    )
    missing = plan_push(mixed_quote(), CUSTOMER, domestic)
    assert any(p.code == "tax_rate_missing" and p.blocking for p in missing.problems)
    found = plan_push(mixed_quote(), CUSTOMER, domestic, KnownStripe(tax_rate_id="txr_19"))
    assert not found.blocked
    for op in found.of_kind("subscription"):
        assert op.params["default_tax_rates"] == ["txr_19"]
    assert found.step("customer").params["payload"]["tax_exempt"] == "none"


def test_reverse_charge_marks_the_stripe_customer():
    settings_ = PlanSettings(workspace_ref="ws-1", tax_treatment="reverse_charge")
    plan = plan_push(mixed_quote(), CUSTOMER, settings_)
    assert plan.step("customer").params["payload"]["tax_exempt"] == "reverse"
    assert not plan.blocked


def test_known_ids_are_passed_on_and_products_are_shared():
    q = quote(line("a", "monthly"), line("b", "yearly"))
    q = PlanQuote(
        **{
            **q.__dict__,
            "lines": tuple(PlanLine(**{**x.__dict__, "service_ref": "rmm"}) for x in q.lines),
        }
    )
    known = KnownStripe(customer_id="cus_1", product_ids={"service:rmm": "prod_9"})
    plan = plan_push(q, CUSTOMER, SETTINGS, known)
    assert plan.step("customer").params["known_id"] == "cus_1"
    products = plan.of_kind("product")
    assert len(products) == 1 and products[0].params["known_id"] == "prod_9"


def test_ad_hoc_lines_get_their_own_products():
    plan = plan_push(
        quote(line("a", "monthly", service=None), line("b", "monthly", service=None)),
        CUSTOMER,
        SETTINGS,
    )
    assert [op.key for op in plan.of_kind("product")] == ["product:line:a", "product:line:b"]


def test_resolve_replaces_step_references():
    params = {
        "customer": "@customer",
        "items": [{"price_data": {"product": "@product:x"}}],
        "footer": "plain",
    }
    resolved = resolve(params, {"customer": "cus_1", "product:x": "prod_1"})
    assert resolved == {
        "customer": "cus_1",
        "items": [{"price_data": {"product": "prod_1"}}],
        "footer": "plain",
    }


def test_steps_are_ordered_after_their_dependencies():
    plan = plan_push(mixed_quote(), CUSTOMER, PlanSettings(workspace_ref="ws-1", send_now=True))
    seen: set[str] = set()
    for op in plan.operations:
        assert set(op.depends_on) <= seen, op.key
        seen.add(op.key)


amounts = st.decimals(min_value=D("0"), max_value=D("9999.99"), places=2)
quantities = st.decimals(min_value=D("0.01"), max_value=D("500"), places=2)
discounts = st.one_of(st.none(), st.decimals(min_value=D("0"), max_value=D("100"), places=2))
periods = st.sampled_from(["one_time", "monthly", "yearly"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(quantities, amounts, discounts, periods), min_size=1, max_size=60))
def test_property_stripe_bills_exactly_the_quoted_amounts(rows):
    """Whatever the quantities and discounts, Stripe's amounts equal the quote's, to the cent."""
    lines = [
        PlanLine(
            ref=f"l{i}",
            description=f"L{i}",
            quantity=q,
            unit="hour",
            unit_price=p,
            billing_period=period,
            discount_percent=d,
            service_ref=None,
        )
        for i, (q, p, d, period) in enumerate(rows)
    ]
    plan = plan_push(quote(*lines), CUSTOMER, SETTINGS)
    expected = sum(
        to_minor_units(line_net(x.quantity, x.unit_price, x.discount_percent, "EUR"), "EUR")
        for x in lines
    )
    assert plan.stripe_total == expected
    for op in plan.operations:
        for x in (*op.lines, *op.one_time_lines):
            assert isinstance(x.quantity, int) and x.quantity >= 0


# -- counts: what the preview says the push creates or reuses -------------------------------


def test_counts_a_first_push_as_all_new():
    plan = plan_push(
        quote(line("a", "monthly"), line("b", "yearly"), line("c", "one_time")), CUSTOMER, SETTINGS
    )
    counts = {kind: (c.create, c.reuse) for kind, c in plan.counts.items()}
    assert counts == {
        "customers": (1, 0),
        "products": (3, 0),
        "prices": (3, 0),  # every inline price_data is a new price
        "subscriptions": (2, 0),
        "invoices": (2, 0),  # each subscription's first invoice; the one-time line rides on it
    }


def test_counts_known_customer_and_products_as_reused():
    q = quote(line("a", "monthly"), line("b", "monthly"))
    known = KnownStripe(customer_id="cus_1", product_ids={"service:svc-a": "prod_1"})
    counts = plan_push(q, CUSTOMER, SETTINGS, known).counts
    assert (counts["customers"].create, counts["customers"].reuse) == (0, 1)
    assert (counts["products"].create, counts["products"].reuse) == (1, 1)
    assert counts["products"].total == 2


def test_counts_a_one_time_invoice_and_its_items():
    plan = plan_push(quote(line("a", "one_time"), line("b", "one_time")), CUSTOMER, SETTINGS)
    assert plan.counts["invoices"].create == 1
    assert plan.counts["subscriptions"].create == 0
    assert plan.counts["prices"].create == 2


def test_counts_split_subscriptions_and_leftover_one_time_lines():
    monthly = [line(f"m{i}", "monthly") for i in range(25)]
    one_time = [line(f"o{i}", "one_time") for i in range(45)]
    counts = plan_push(quote(*monthly, *one_time), CUSTOMER, SETTINGS).counts
    assert counts["subscriptions"].create == 2
    assert counts["invoices"].create == 3  # two first invoices and one for the 5 left over
    assert counts["prices"].create == 70


def test_a_fractional_line_reuses_the_product_named_after_its_wording():
    first = plan_push(quote(line("a", "one_time", qty="1.5")), CUSTOMER, SETTINGS)
    second = plan_push(quote(line("b", "one_time", qty="1.5", desc="Line a")), CUSTOMER, SETTINGS)
    other = plan_push(quote(line("c", "one_time", qty="2.5", desc="Line a")), CUSTOMER, SETTINGS)
    key = first.of_kind("product")[0].key
    assert key.startswith("product:named:")
    assert second.of_kind("product")[0].key == key
    assert other.of_kind("product")[0].key != key
    assert first.of_kind("product")[0].params["name"] == "Line a (1.5 × unit à 10.00 EUR)"


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", "MSPercury reference: Q-2026-0007"),
        ("de", "MSPercury-Referenz: Q-2026-0007"),
        ("fr", "Référence MSPercury : Q-2026-0007"),
        ("pl", "Numer referencyjny MSPercury: Q-2026-0007"),
    ],
)
def test_the_footer_speaks_the_customers_language(language, expected):
    """Subscriptions' invoice settings and the one-time invoice: the customer's language."""
    customer = PlanCustomer(**{**CUSTOMER.__dict__, "language": language})
    plan = plan_push(mixed_quote(), customer, SETTINGS)
    footers = [op.params["invoice_settings"]["footer"] for op in plan.of_kind("subscription")]
    footers += [op.params["footer"] for op in plan.of_kind("invoice")]
    assert footers and set(footers) == {expected}
