"""No push that fails half-way for a reason known beforehand: every write permission the plan
needs is asked of Stripe (writing nothing) before the first write, "MSPercury calculates the
VAT" is refused at save for a key without Tax Rates: Write, and the preview shows per invoice
and period the net, VAT and total Stripe will bill. The emulator enforces restricted keys."""

import time
from decimal import Decimal

from integrations.models import Push, PushSettings, StripeConnection
from integrations.push.billed import billed_invoices, line_vat
from integrations.push.executor import build_plan, execute_push
from integrations.push.planner import Operation, Plan, StripeLine
from integrations.stripe.account import DENIED, GRANTED, REQUIRED_SCOPES
from integrations.stripe.permissions import (
    READ_ONLY,
    WRITE_PROBES,
    probe_writes,
    shown_state,
    writes_needed,
)
from tests.factories import VAT_PERMISSIONS, vat_connection
from tests.integrations.push.test_vat_push import MIXED, customer, push, quote_for

D = Decimal
ACCOUNT = "acct_1EmulatorSeedAcct"
# The key the issue met: everything a push needs, but Tax Rates only readable.
NO_TAX_RATE_WRITE = {**VAT_PERMISSIONS, "tax_rates": "read"}


def _key(stripe_api, permissions) -> str:
    return stripe_api.add_key(permissions=permissions, account=ACCOUNT, name="test")["key"]


def _posts(stripe_api) -> list[str]:
    return [r["path"] for r in stripe_api.requests(method="POST")]


def _objects(stripe_api) -> dict:
    return {kind: len(objs) for kind, objs in stripe_api.state()["objects"].items()}


def test_the_probe_tells_granted_from_denied_and_writes_nothing(stripe_api):
    key = _key(stripe_api, NO_TAX_RATE_WRITE)
    before = _objects(stripe_api)
    verdicts = probe_writes(key, WRITE_PROBES)
    assert {scope: v["state"] for scope, v in verdicts.items()} == {
        "customers": GRANTED,
        "products": GRANTED,
        "prices": GRANTED,
        "subscriptions": GRANTED,
        "invoices": GRANTED,
        "tax_rates": DENIED,
    }
    assert _objects(stripe_api) == before


def test_a_push_without_tax_rates_write_is_refused_before_the_first_write(
    alpha, alice, stripe_api, fast_push
):
    """The issue's case: before, the customer and the products existed in Stripe by then."""
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    conn = StripeConnection(
        workspace=alpha, key_prefix="rk_test_", key_last4="xxxx", key_kind="restricted", mode="test"
    )
    conn.api_key = _key(stripe_api, NO_TAX_RATE_WRITE)
    conn.save()
    PushSettings.objects.update_or_create(workspace=alpha, defaults={"mspercury_vat": True})
    quote = quote_for(alpha, customer(alpha, "DE", "DE811569869"), MIXED, user=alice)
    before = _objects(stripe_api)
    stripe_api.clear_requests()

    outcome, row = push(quote, alice)

    assert outcome == Push.Status.FAILED
    assert "Tax Rates: Write" in row.error
    assert "Nothing was written to Stripe." in row.error
    assert not row.steps.exclude(status="pending").exists()
    assert all("mspercuryPermissionProbe" in path for path in _posts(stripe_api))
    assert _objects(stripe_api) == before


def test_the_preview_blocks_it_and_names_the_permission(
    client_for, alice, alpha, stripe_api, fast_push
):
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    vat_connection(alpha, _key(stripe_api, NO_TAX_RATE_WRITE))
    quote = quote_for(alpha, customer(alpha, "DE", "DE811569869"), MIXED, user=alice)
    html = client_for(alice).get(f"/quotes/{quote.public_id}/stripe/").content.decode()
    assert "The Stripe key lacks permissions this push needs: Tax Rates: Write." in html
    button = html.split("Create in Stripe")[0].rsplit("<button", 1)[-1]
    assert "disabled" in button


def test_verdicts_are_kept_so_a_preview_asks_stripe_nothing_more(
    vat_workspace, client_for, alice, stripe_api
):
    quote = quote_for(
        vat_workspace, customer(vat_workspace, "DE", "DE811569869"), MIXED, user=alice
    )
    stripe_api.clear_requests()
    client_for(alice).get(f"/quotes/{quote.public_id}/stripe/")
    assert not [p for p in _posts(stripe_api) if "PermissionProbe" in p]


def test_a_key_with_every_permission_pushes(vat_workspace, alice, stripe_api):
    quote = quote_for(
        vat_workspace, customer(vat_workspace, "DE", "DE811569869"), MIXED, user=alice
    )
    outcome, row = push(quote, alice)
    assert outcome == "succeeded", row.error


def test_a_verdict_that_proved_wrong_is_forgotten_and_the_retry_refuses_early(
    alpha, alice, stripe_api, fast_push
):
    """Kept verdicts said "granted" but Stripe refuses a write: the push fails at that step,
    forgets the verdicts, and its retry asks Stripe again and stops before any write."""
    alpha.tax_id_type, alpha.tax_id = "eu_vat", "DE136695976"
    alpha.save()
    conn = vat_connection(alpha, _key(stripe_api, NO_TAX_RATE_WRITE))
    wrong = {scope: {"state": GRANTED, "at": time.time()} for scope in WRITE_PROBES}
    StripeConnection.objects.filter(pk=conn.pk).update(permissions={"writes": wrong})
    quote = quote_for(alpha, customer(alpha, "DE", "DE811569869"), MIXED, user=alice)

    outcome, row = push(quote, alice)
    assert outcome == Push.Status.FAILED
    assert row.error_step.startswith("tax_rate")
    assert "writes" not in StripeConnection.objects.get(pk=conn.pk).permissions

    stripe_api.clear_requests()
    Push.objects.filter(pk=row.pk).update(status=Push.Status.QUEUED)  # what Retry does
    assert execute_push(row.pk) == Push.Status.FAILED
    row.refresh_from_db()
    assert "Tax Rates: Write" in row.error
    assert all("mspercuryPermissionProbe" in path for path in _posts(stripe_api))


# -- saving "MSPercury calculates the VAT" ------------------------------------------------------


def test_switching_to_mspercury_vat_is_refused_without_tax_rates_write(
    client_for, alice, alpha, stripe_api, fast_push
):
    conn = StripeConnection(
        workspace=alpha, key_prefix="rk_test_", key_last4="ator", key_kind="restricted", mode="test"
    )
    conn.api_key = "rk_test_emulator"  # the seed key: Tax Rates read only
    conn.save()
    response = client_for(alice).post(
        "/settings/integrations/push/", {"vat_mode": "mspercury", "quantity_mode": "exact"}
    )
    assert response.status_code == 400
    assert "Your Stripe key lacks Tax Rates: Write" in response.content.decode()
    assert not PushSettings.objects.get(workspace=alpha).mspercury_vat


def test_switching_to_mspercury_vat_with_the_permission_is_saved(
    client_for, alice, alpha, stripe_api, fast_push
):
    conn = StripeConnection(
        workspace=alpha, key_prefix="rk_test_", key_last4="xxxx", key_kind="restricted", mode="test"
    )
    conn.api_key = _key(stripe_api, VAT_PERMISSIONS)
    conn.save()
    response = client_for(alice).post(
        "/settings/integrations/push/", {"vat_mode": "mspercury", "quantity_mode": "exact"}
    )
    assert response.status_code == 302
    assert PushSettings.objects.get(workspace=alpha).mspercury_vat


# -- pure rules ---------------------------------------------------------------------------------


def test_each_step_kind_needs_its_resources_write():
    assert writes_needed(["customer", "product", "subscription"]) == [
        "customers",
        "subscriptions",
        "products",
        "prices",
    ]
    assert writes_needed(["invoice", "invoice_item", "finalize", "send", "tax_rate"]) == [
        "invoices",
        "tax_rates",
    ]
    assert writes_needed([]) == []


def test_the_settings_page_tells_read_only_from_granted():
    scopes = {s.code: s for s in REQUIRED_SCOPES}
    permissions = {
        "customers": "readable",
        "products": "readable",
        "writes": {"customers": {"state": GRANTED}, "products": {"state": DENIED}},
    }
    assert shown_state(permissions, scopes["customers"]) == GRANTED
    assert shown_state(permissions, scopes["products"]) == READ_ONLY
    assert shown_state(permissions, scopes["invoices"]) is None


def _line(amount_minor: int, period="month") -> StripeLine:
    return StripeLine("ref", "key", "x", 1, amount_minor, period)


def test_vat_is_rounded_per_line_as_stripe_does():
    """Three lines of 0.13 at 19 %: 0.0247 → 0.02 each, 0.06 in all (not 0.39 × 19 % = 0.07)."""
    plan = Plan(currency="EUR", vat_percent=D("19"))
    op = Operation(
        key="subscription:month:1",
        kind="subscription",
        label="Monthly",
        lines=(_line(13), _line(13)),
        one_time_lines=(_line(13, "one_time"),),
    )
    plan.operations.append(op)
    first, monthly = billed_invoices(plan)
    assert (first.period, first.net, first.vat, first.total) == ("first", 39, 6, 45)
    assert (monthly.period, monthly.net, monthly.vat, monthly.total) == ("month", 26, 4, 30)
    assert line_vat(_line(1005), D("19"), "EUR") == 191  # 10.05 × 19 % = 1.9095 → 1.91


def test_with_stripe_tax_the_vat_is_left_to_stripe():
    plan = Plan(currency="EUR", vat_percent=None)
    plan.operations.append(
        Operation(key="invoice:1", kind="invoice", label="I", lines=(_line(500),))
    )
    (once,) = billed_invoices(plan)
    assert (once.period, once.net, once.vat, once.total) == ("once", 500, None, None)


def test_the_preview_shows_net_vat_and_total_per_invoice_and_period(
    vat_workspace, client_for, alice, stripe_api
):
    """MIXED at 19 %, hand-computed per line: monthly 99.99 + 13.49 = 113.48 net, VAT 19.00 +
    2.56 = 21.56; yearly 480.00 + 91.20; the 0.05 set-up rides on a first invoice."""
    quote = quote_for(
        vat_workspace, customer(vat_workspace, "DE", "DE811569869"), MIXED, user=alice
    )
    plan = build_plan(quote, StripeConnection.objects.for_workspace(vat_workspace), send_now=False)
    rows = {(b.period, b.net, b.vat, b.total) for b in billed_invoices(plan)}
    assert ("month", 11348, 2156, 13504) in rows
    assert ("year", 48000, 9120, 57120) in rows
    html = client_for(alice).get(f"/quotes/{quote.public_id}/stripe/").content.decode()
    assert 'id="push-billed"' in html
    assert "135.04" in html and "571.20" in html


def test_the_preview_totals_are_what_stripe_bills(vat_workspace, alice, stripe_api):
    from tests.integrations.push.test_vat_push import stripe_invoices

    quote = quote_for(
        vat_workspace, customer(vat_workspace, "DE", "DE811569869"), MIXED, user=alice
    )
    plan = build_plan(quote, StripeConnection.objects.for_workspace(vat_workspace), send_now=False)
    previewed = sorted(b.total for b in billed_invoices(plan) if b.period in ("first", "once"))
    outcome, row = push(quote, alice)
    assert outcome == "succeeded", row.error
    assert sorted(inv.total for inv in stripe_invoices(stripe_api, row)) == previewed
