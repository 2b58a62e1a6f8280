"""Signing in with a second factor: /login/ then /login/verify/."""

import time

import pytest
import time_machine
from django_otp import DEVICE_ID_SESSION_KEY

from mspercury import twofactor
from mspercury.access import SESSION_2FA_AT
from mspercury.models import AuditEvent, TOTPDevice
from tests.conftest import PASSWORD
from tests.mspercury.test_two_factor import enrol, totp_code, wrong_code


@pytest.fixture
def frozen():
    with time_machine.travel(time.time(), tick=False) as traveller:
        yield traveller


def _password_step(client, next_url=""):
    data = {"email": "alice@example.org", "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    r = client.post("/login/", data)
    assert r.status_code == 302
    assert r["Location"] == "/login/verify/"
    assert "_auth_user_id" not in client.session
    return r


def test_it_asks_for_a_code_and_signs_in(client, alice):
    device, _codes = enrol(alice)
    _password_step(client, next_url="/settings/team/")
    r = client.post("/login/verify/", {"code": totp_code(device)})
    assert r.status_code == 302
    assert r["Location"] == "/settings/team/"
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert time.time() - client.session[SESSION_2FA_AT] < 5
    sign_in = AuditEvent.objects.get(action="auth.sign_in")
    assert sign_in.details["two_factor"] is True


def test_it_refuses_a_wrong_code(client, alice):
    device, _codes = enrol(alice)
    _password_step(client)
    r = client.post("/login/verify/", {"code": wrong_code(device)})
    assert r.status_code == 200
    assert "That code is not valid" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_throttles_after_a_wrong_code(client, alice, frozen):
    """After a failure the device refuses even the right code until the delay has passed."""
    device, _codes = enrol(alice)
    _password_step(client)
    client.post("/login/verify/", {"code": wrong_code(device)})
    device.refresh_from_db()
    assert device.throttling_failure_count == 1

    r = client.post("/login/verify/", {"code": totp_code(device)})
    assert "Wait a little" in r.content.decode()
    assert "_auth_user_id" not in client.session

    frozen.shift(2)
    r = client.post("/login/verify/", {"code": totp_code(device)})
    assert r.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_it_rate_limits_codes_per_user(client, alice):
    """Ten attempts per window, whatever the device throttling says."""
    device, _codes = enrol(alice)
    _password_step(client)
    for _ in range(10):
        client.post("/login/verify/", {"code": "zzzzz-zzzzz"})
    r = client.post("/login/verify/", {"code": totp_code(device)})
    assert "Too many wrong codes" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_refuses_a_replayed_code(client, alice, frozen):
    """A code that signed in once cannot sign in again (last_t)."""
    device, _codes = enrol(alice)
    code = totp_code(device)
    _password_step(client)
    assert client.post("/login/verify/", {"code": code}).status_code == 302
    client.post("/logout/")

    _password_step(client)
    r = client.post("/login/verify/", {"code": code})
    assert r.status_code == 200
    assert "_auth_user_id" not in client.session

    frozen.shift(TOTPDevice.STEP * 2)
    r = client.post("/login/verify/", {"code": totp_code(device)})
    assert r.status_code == 302


def test_it_accepts_a_backup_code_once(client, alice):
    _device, codes = enrol(alice)
    _password_step(client)
    assert client.post("/login/verify/", {"code": codes[0]}).status_code == 302
    client.post("/logout/")

    _password_step(client)
    r = client.post("/login/verify/", {"code": codes[0]})
    assert r.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_accepts_backup_codes_without_dash_and_in_capitals(client, alice):
    _device, codes = enrol(alice)
    _password_step(client)
    r = client.post("/login/verify/", {"code": codes[1].replace("-", "").upper()})
    assert r.status_code == 302


def test_it_does_not_throttle_the_app_after_a_backup_code(client, alice, frozen):
    """Using a backup code is no failed app attempt: the app works right after."""
    device, codes = enrol(alice)
    _password_step(client)
    assert client.post("/login/verify/", {"code": codes[0]}).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    client.post("/logout/")

    _password_step(client)
    assert client.post("/login/verify/", {"code": totp_code(device)}).status_code == 302


def test_it_skips_the_code_step_without_a_device(client, alice):
    r = client.post("/login/", {"email": "alice@example.org", "password": PASSWORD})
    assert r["Location"] == "/"
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_it_ignores_an_unconfirmed_device(client, alice):
    """A started but unfinished enrolment does not lock the user out."""
    twofactor.start_totp_enrolment(alice)
    r = client.post("/login/", {"email": "alice@example.org", "password": PASSWORD})
    assert r["Location"] == "/"


def test_it_sends_the_code_step_back_to_login_without_a_password(client, alice):
    enrol(alice)
    assert client.get("/login/verify/")["Location"] == "/login/"
