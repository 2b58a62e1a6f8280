"""Browser journey: connect Stripe, see the TEST badge, replace the key, disconnect."""

import pytest
from django_otp.oath import TOTP

from mspercury.models import TOTPDevice
from mspercury.twofactor import start_totp_enrolment
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _code(device) -> str:
    device.refresh_from_db()
    totp = TOTP(bytes.fromhex(device.secret))
    return f"{totp.token():06d}"


def test_connect_replace_and_disconnect(page, alice, settings, stripe_emulator):
    settings.MSPERCURY_STRIPE_API_BASE = stripe_emulator.base_url
    device = start_totp_enrolment(alice)
    device.confirmed = True
    device.save()

    # Sign in with the second factor: that is the recent 2FA check the key screens need.
    page.goto("/login/")
    page.fill("#id_email", alice.email)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/login/verify/")
    page.fill("#id_code", _code(device))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")

    page.goto("/settings/integrations/")
    assert page.get_by_test_id("stripe-status").inner_text().strip() == "Not connected"
    page.fill("#id_key", "rk_test_emulator")
    page.get_by_role("button", name="Connect Stripe").click()
    page.wait_for_load_state()
    status = page.get_by_test_id("stripe-status").inner_text()
    assert "Connected" in status and "TEST" in status
    assert "Account details unavailable" in page.content()
    assert "rk_test_…ator" in page.content()

    # Replace with the key that may read the account: the account name appears.
    page.get_by_text("Replace key").click()
    page.fill("#id_replace-key", "rk_test_emulator_account")
    page.get_by_role("button", name="Verify and replace").click()
    page.wait_for_load_state()
    assert "MSPercury Emulator Test Account" in page.content()
    assert "acct_1EmulatorSeedAcct" in page.content()
    page.screenshot(path="/tmp/stripe_settings.png", full_page=True)

    page.get_by_text("Disconnect", exact=True).click()
    page.check("input[name=confirm]")
    page.get_by_role("button", name="Disconnect Stripe").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("stripe-status").inner_text().strip() == "Not connected"
    assert TOTPDevice.objects.filter(user=alice).count() == 1
