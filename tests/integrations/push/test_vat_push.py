"""MSPercury's VAT: the push finds or creates the Stripe tax rate of the treatment, puts it on
every item, writes the legal wording on the invoice, and Stripe's totals equal the quote's."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from customers.models import Customer
from integrations.models import StripeObjectMap
from integrations.push.actions import do_start_push
from integrations.push.executor import execute_push
from quotes.actions import do_add_line, do_create_quote
from tests.factories import accept, vat_connection

D = Decimal


def customer(workspace, country, tax_id="", language="en", name="Kunde GmbH"):
    return Customer.objects.create(
        workspace=workspace,
        company_name=name,
        email="billing@customer.example",
        country=country,
        tax_id_type="eu_vat" if tax_id else "none",
        tax_id=tax_id,
        language=language,
        collection_method="send_invoice",
        days_until_due=14,
    )


def quote_for(workspace, cust, lines, currency="EUR", user=None):
    """``lines``: (description, period, quantity, unit price, discount percent or None)."""
    quote = do_create_quote(workspace, cust, user=user, currency=currency)
    for description, period, quantity, price, discount in lines:
        do_add_line(
            quote,
            service=None,
            description=description,
            quantity=D(quantity),
            unit="unit",
            unit_price=D(price),
            billing_period=period,
            discount_percent=D(discount) if discount is not None else None,
        )
    accept(quote, user)
    quote.refresh_from_db()
    return quote


def push(quote, user=None, send_now=False):
    started, _created = do_start_push(None, quote, actor=user, send_now=send_now)
    outcome = execute_push(started.pk)
    started.refresh_from_db()
    return outcome, started


def stripe_invoices(stripe_api, push_row) -> list:
    """Every Stripe invoice the push made: the subscriptions' first ones and the standalone."""
    sk = stripe_api.client()
    ids = []
    for step in push_row.steps.order_by("position"):
        if step.kind == "subscription":
            ids.append(step.extra["latest_invoice"])
        elif step.kind == "invoice":
            ids.append(step.stripe_id)
    return [sk.v1.invoices.retrieve(i) for i in ids]


def tax_rate_calls(stripe_api) -> list:
    return [(r["method"], r["path"]) for r in stripe_api.requests() if "tax_rates" in r["path"]]


MIXED = [
    ("Monitoring", "monthly", "3", "33.33", None),
    ("Backup", "monthly", "1.5", "9.99", "10"),
    ("Licence", "yearly", "1", "480.00", None),
    ("Setup", "one_time", "1", "0.05", None),
]


def test_it_creates_the_domestic_rate_once_and_bills_the_quotes_totals(
    vat_workspace, alice, stripe_api
):
    """DE → DE: one 19 % exclusive tax rate on every item; the invoices' sum is the quote's."""
    from quotes.summary import summarize

    cust = customer(vat_workspace, "DE", "DE811569869", language="de")
    quote = quote_for(vat_workspace, cust, MIXED, user=alice)
    stripe_api.clear_requests()
    outcome, row = push(quote, alice)
    assert outcome == "succeeded", row.error
    assert tax_rate_calls(stripe_api) == [("GET", "/v1/tax_rates"), ("POST", "/v1/tax_rates")]
    (mapping,) = StripeObjectMap.objects.filter(kind=StripeObjectMap.Kind.TAX_RATE)
    assert mapping.local_ref == "DE:19:exclusive:domestic"
    rate = stripe_api.client().v1.tax_rates.retrieve(mapping.stripe_id)
    assert (rate.percentage, rate.inclusive, rate.country) == (19.0, False, "DE")

    invoices = stripe_invoices(stripe_api, row)
    for invoice in invoices:
        for line in invoice.lines.data:
            assert [t.tax_rate_details.tax_rate for t in line.taxes] == [mapping.stripe_id]
    lines = list(quote.lines.order_by("position", "id"))
    summary = summarize(quote, lines, vat_workspace, timezone.localdate())
    first = summary.tax.first_invoice
    assert sum(i.total for i in invoices) == int(first.gross * 100)
    assert sum(sum(t.amount for t in i.total_taxes) for i in invoices) == int(first.tax * 100)


def test_a_later_push_reuses_the_tax_rate_without_a_call(vat_workspace, alice, stripe_api):
    """The second quote's push makes no tax-rate call at all."""
    cust = customer(vat_workspace, "DE", "DE811569869")
    assert push(quote_for(vat_workspace, cust, MIXED[:1], user=alice), alice)[0] == "succeeded"
    stripe_api.clear_requests()
    outcome, _row = push(quote_for(vat_workspace, cust, MIXED[2:3], user=alice), alice)
    assert outcome == "succeeded"
    assert tax_rate_calls(stripe_api) == []
    assert StripeObjectMap.objects.filter(kind=StripeObjectMap.Kind.TAX_RATE).count() == 1


def test_it_finds_a_rate_another_workspace_made_in_the_shared_account(
    vat_workspace, charlie_ws, vat_key, alice, stripe_api, fast_push
):
    """Two workspaces on one Stripe account share the tax rate: found by its key, not made twice."""
    cust = customer(vat_workspace, "DE", "DE811569869")
    assert push(quote_for(vat_workspace, cust, MIXED[:1], user=alice), alice)[0] == "succeeded"
    charlie_ws.country, charlie_ws.tax_id_type, charlie_ws.tax_id = "DE", "eu_vat", "DE136695976"
    charlie_ws.save()
    vat_connection(charlie_ws, vat_key)
    other = customer(charlie_ws, "DE", "DE811569869")
    stripe_api.clear_requests()
    assert push(quote_for(charlie_ws, other, MIXED[:1]))[0] == "succeeded"
    assert tax_rate_calls(stripe_api) == [("GET", "/v1/tax_rates")]
    ids = set(
        StripeObjectMap.objects.filter(kind=StripeObjectMap.Kind.TAX_RATE).values_list(
            "stripe_id", flat=True
        )
    )
    assert len(ids) == 1


def test_a_reverse_charge_invoice_carries_the_wording_in_the_customers_language(
    vat_workspace, alice, stripe_api
):
    """DE → FR with VAT ID: a 0 % reverse-charge rate, "Autoliquidation" and §13b UStG in the
    footer, both VAT IDs as custom fields, on the subscription's and the standalone invoice."""
    cust = customer(vat_workspace, "FR", "FR40303265045", language="fr")
    lines = [("Support", "monthly", "1", "100", None)] + [
        (f"Setup {n}", "one_time", "1", "10", None) for n in range(21)
    ]
    outcome, row = push(quote_for(vat_workspace, cust, lines, user=alice), alice)
    assert outcome == "succeeded", row.error
    (mapping,) = StripeObjectMap.objects.filter(kind=StripeObjectMap.Kind.TAX_RATE)
    assert mapping.local_ref == "FR:0:exclusive:reverse_charge"
    invoices = stripe_invoices(stripe_api, row)
    assert len(invoices) == 2
    for invoice in invoices:
        assert "Autoliquidation" in invoice.footer
        assert "§13b UStG: Steuerschuldnerschaft des Leistungsempfängers." in invoice.footer
        fields = {f.name: f.value for f in invoice.custom_fields}
        assert fields["N° TVA du prestataire"] == "DE136695976"
        assert fields["N° TVA du preneur"] == "FR40303265045"
        assert sum(t.amount for t in invoice.total_taxes) == 0
        assert invoice.total == invoice.subtotal
        assert invoice.total_taxes[0].tax_rate_details.tax_rate == mapping.stripe_id


def test_an_export_invoice_says_it_is_outside_the_scope_of_german_vat(
    vat_workspace, alice, stripe_api
):
    """DE → US: a 0 % export rate and the export mention, §3a UStG for a German MSP."""
    cust = customer(vat_workspace, "US", language="en", name="Boston Dental LLC")
    outcome, row = push(quote_for(vat_workspace, cust, MIXED[:1], "USD", user=alice), alice)
    assert outcome == "succeeded", row.error
    (invoice,) = stripe_invoices(stripe_api, row)
    assert "Outside the scope of VAT" in invoice.footer
    assert "Nicht im Inland steuerbare Leistung (§ 3a Abs. 2 UStG)." in invoice.footer
    assert StripeObjectMap.objects.get(kind="tax_rate").local_ref == "US:0:exclusive:export"


def test_an_eu_customer_whose_vat_id_vies_rejected_pays_german_vat(
    vat_workspace, alice, stripe_api
):
    """VIES said "invalid" (customers.vatids): no reverse charge, 19 % and no reverse-charge
    wording."""
    from customers.vatids.models import VatIdValidation

    cust = customer(vat_workspace, "FR", "FR40303265045", language="fr")
    now = timezone.now()
    VatIdValidation.objects.create(
        workspace=vat_workspace,
        customer=cust,
        country="FR",
        number="40303265045",
        status="invalid",
        requested_at=now,
        checked_at=now,
        expires_at=now + timedelta(days=7),
    )
    outcome, row = push(quote_for(vat_workspace, cust, MIXED[:1], user=alice), alice)
    assert outcome == "succeeded", row.error
    (invoice,) = stripe_invoices(stripe_api, row)
    assert "Autoliquidation" not in invoice.footer
    assert StripeObjectMap.objects.get(kind="tax_rate").local_ref == "DE:19:exclusive:eu_no_vat_id"
    assert sum(t.amount for t in invoice.total_taxes) == 1900


def test_a_key_that_may_only_read_tax_rates_stops_the_push_with_what_to_do(
    alpha, alice, stripe_api, fast_push
):
    """The seed key (Tax Rates: Read) cannot create the rate: refused before the first write,
    with what to do (test_push_permissions.py)."""
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    vat_connection(alpha, "rk_test_emulator")
    cust = customer(alpha, "DE", "DE811569869")
    outcome, row = push(quote_for(alpha, cust, MIXED[:1], user=alice), alice)
    assert outcome == "failed"
    assert row.error_step == ""
    assert "Tax Rates: Write" in row.error
    assert not row.steps.filter(status="succeeded").exists()


def test_a_tax_rate_archived_in_stripe_is_made_again(vat_workspace, alice, stripe_api):
    """The MSP archived our rate in the Dashboard: the next push creates a new one and goes on."""
    cust = customer(vat_workspace, "DE", "DE811569869")
    assert push(quote_for(vat_workspace, cust, MIXED[:1], user=alice), alice)[0] == "succeeded"
    old = StripeObjectMap.objects.get(kind="tax_rate").stripe_id
    stripe_api.client().v1.tax_rates.update(old, {"active": False})
    outcome, row = push(quote_for(vat_workspace, cust, MIXED[:1], user=alice), alice)
    assert outcome == "succeeded", row.error
    new = StripeObjectMap.objects.get(kind="tax_rate").stripe_id
    assert new != old
    (invoice,) = stripe_invoices(stripe_api, row)
    assert invoice.total_taxes[0].tax_rate_details.tax_rate == new


def test_renewal_invoices_carry_the_rate_and_the_periods_totals(vat_workspace, alice, stripe_api):
    """The next month's and next year's invoices equal the quote's monthly and yearly gross."""
    from quotes.summary import summarize

    cust = customer(vat_workspace, "DE", "DE811569869")
    quote = quote_for(vat_workspace, cust, MIXED, user=alice)
    outcome, row = push(quote, alice)
    assert outcome == "succeeded", row.error
    first_ids = {i.id for i in stripe_invoices(stripe_api, row)}
    stripe_api.advance(days=370)
    lines = list(quote.lines.order_by("position", "id"))
    tax = summarize(quote, lines, vat_workspace, timezone.localdate()).tax
    sk = stripe_api.client()
    for step in row.steps.filter(kind="subscription"):
        sub = sk.v1.subscriptions.retrieve(step.stripe_id)
        interval = sub["items"].data[0].price.recurring.interval
        listing = sk.v1.invoices.list({"subscription": sub.id, "limit": 100}).data
        renewals = [i for i in listing if i.id not in first_ids]
        assert renewals, interval
        expected = tax.monthly if interval == "month" else tax.yearly
        for invoice in renewals:
            assert invoice.total == int(expected.gross * 100)
            assert sum(t.amount for t in invoice.total_taxes) == int(expected.tax * 100)
