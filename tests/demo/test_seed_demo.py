"""The demo seed leaves a newcomer one click away from a push."""

from pathlib import Path

from django.core.management import call_command

from integrations.models import StripeConnection
from integrations.push.executor import build_plan
from mspercury.models import User
from quotes.models import QuoteStatus


def test_seed_demo_connects_the_emulator_and_accepts_a_mixed_quote(
    db, settings, stripe_emulator, capsys
):
    settings.MSPERCURY_STRIPE_API_BASE = stripe_emulator.base_url
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "demo@mspercury.test" in out
    user = User.objects.get(email="demo@mspercury.test")
    workspace = user.last_workspace
    connection = StripeConnection.objects.for_workspace(workspace)
    assert connection.mode == "test" and connection.masked_key == "rk_test_…ator"
    assert connection.webhook_secret.startswith("whsec_")
    quote = workspace.quotes.get(status=QuoteStatus.ACCEPTED, customer__country="FR")
    assert quote.customer.tax_id == "FR40303265045"
    plan = build_plan(quote, connection, send_now=False)
    assert not plan.blocked, plan.problems
    assert [str(op.label) for op in plan.of_kind("subscription")] == [
        "6× monthly recurring + 2× one-time on first invoice",
        "1× yearly recurring",
    ]
    paid_part = workspace.invoices.get(quote__title="Server migration")
    assert (paid_part.status, paid_part.payment_status) == ("open", "partially_paid")
    (payment,) = paid_part.payments.all()
    assert (payment.source, payment.amount) == ("stripe", paid_part.total // 2)
    assert paid_part.amount_remaining == paid_part.balance_due  # Stripe and MSPercury agree
    assert workspace.datev_settings.consultant_number == 1234567  # DATEV exports at once
    # Customer mail shows the MSP's name and brings replies to its own address.
    from mspercury.mail import reply_to_address, sender

    assert reply_to_address(workspace) == "buchhaltung@demo-it-services.example"
    assert sender(workspace).startswith("Demo IT Services GmbH <")
    call_command("seed_demo")  # idempotent
    assert User.objects.filter(email="demo@mspercury.test").count() == 1


def test_seed_demo_prints_the_address_the_app_listens_on(db, settings, stripe_emulator, capsys):
    """PORT=8123 → scripts/demo.sh sets the public URL, and the seed prints that address."""
    settings.MSPERCURY_STRIPE_API_BASE = stripe_emulator.base_url
    settings.MSPERCURY_PUBLIC_URL = "http://127.0.0.1:8123"
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "Demo ready: http://127.0.0.1:8123/" in out and ":8000" not in out
    demo = (Path(settings.BASE_DIR) / "scripts/demo.sh").read_text()
    assert 'MSPERCURY_PUBLIC_URL="http://127.0.0.1:${PORT:-8000}"' in demo


def test_seed_demo_adds_a_workspace_billing_from_lexware_with_one_invoice_paid(
    db, settings, stripe_emulator, lexware_emulator, live_server, capsys
):
    """The second demo workspace bills from the Lexware double: a month-old contract, two
    invoices issued there (the first with the one-time lines), the first paid by bank transfer
    and read back; Lexware's callbacks registered once the app answers."""
    from billing.models import Contract
    from integrations.models import AccountingConnection

    settings.MSPERCURY_STRIPE_API_BASE = stripe_emulator.base_url
    settings.MSPERCURY_LEXWARE_API_URL = lexware_emulator.base_url
    settings.MSPERCURY_LEXWARE_PUBLIC_KEY_URL = (
        f"{lexware_emulator.base_url}/webhookSignature/public/public_key.pub"
    )
    settings.MSPERCURY_PUBLIC_URL = live_server.url
    call_command("seed_demo")
    user = User.objects.get(email="demo@mspercury.test")
    assert user.last_workspace.name == "Demo IT Services GmbH"  # opens on the Stripe one
    lexware = user.memberships.get(workspace__name="Demo Lexware GmbH").workspace
    contract = Contract.objects.get(workspace=lexware)
    assert (contract.provider, contract.status) == ("lexware", "active")
    first, second = lexware.invoices.order_by("service_start")
    assert (first.provider, first.payment_status) == ("lexware", "paid")
    assert (second.provider, second.payment_status) == ("lexware", "open")
    assert first.service_end < second.service_start
    assert any("Onboarding" in line["description"] for line in first.lines)
    assert not any("Onboarding" in line["description"] for line in second.lines)
    (payment,) = first.payments.all()
    assert (payment.source, payment.amount) == ("accounting", first.total)
    in_double = lexware_emulator.state()["organizations"]
    assert sum(len(org["invoices"]) for org in in_double.values()) == 2
    capsys.readouterr()
    call_command("seed_demo", "--callbacks")
    assert "registered for 1 workspace" in capsys.readouterr().out
    connection = AccountingConnection.objects.get(workspace=lexware)
    assert connection.callback_status == "registered"
    assert len(connection.callback_subscriptions) == 4
