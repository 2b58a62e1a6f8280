"""Two-factor settings: enrolment, backup codes, turning it off, re-verification, enforcement."""

import time

import time_machine
from django.conf import settings
from django.db import connection
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP

from mspercury import twofactor
from mspercury.access import SESSION_2FA_AT
from mspercury.models import AuditEvent, BackupCode, TOTPDevice, User, hash_token
from tests.conftest import PASSWORD


def totp_code(device: TOTPDevice, at: float | None = None) -> str:
    """The code the user's phone shows now (or at ``at``)."""
    totp = TOTP(bytes.fromhex(device.secret), TOTPDevice.STEP, 0, TOTPDevice.DIGITS, 0)
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"


def wrong_code(device: TOTPDevice) -> str:
    """A well-formed code that matches none of the steps the device accepts now."""
    now = time.time()
    valid = {totp_code(device, now + step * TOTPDevice.STEP) for step in (-1, 0, 1)}
    return next(c for c in ("123456", "654321", "111111", "222222") if c not in valid)


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """A confirmed authenticator app and fresh backup codes, as after the enrolment screens."""
    device = twofactor.start_totp_enrolment(user)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, twofactor.regenerate_backup_codes(user)


def backup_code_usable(user, code: str) -> bool:
    normalized = code.replace("-", "")
    return BackupCode.objects.filter(
        device__user=user, code_hash=hash_token(normalized), used_at=None
    ).exists()


def _age_2fa(client, seconds: float) -> None:
    session = client.session
    session[SESSION_2FA_AT] = time.time() - seconds
    session.save()


# Status page


def test_it_shows_that_two_factor_is_off(client_for, alice):
    """Without a device the page offers the set-up button."""
    r = client_for(alice).get("/settings/security/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Set up authenticator app" in body
    assert "required-notice" not in body


def test_it_shows_status_and_backup_codes_left(client_for, alice):
    """With a device the page says it is on and counts the unused backup codes."""
    _device, codes = enrol(alice)
    BackupCode.objects.filter(device__user=alice).order_by("pk").first().delete()
    r = client_for(alice).get("/settings/security/")
    body = r.content.decode()
    assert "9 left" in body
    assert "Generate new backup codes" in body
    assert codes[0] not in body


def test_it_renders_for_a_user_without_workspace(client_for, db):
    """The page needs a signed-in user only, not a workspace."""
    loner = User.objects.create_user("loner@example.org", PASSWORD)
    r = client_for(loner).get("/settings/security/")
    assert r.status_code == 200
    assert "Set up authenticator app" in r.content.decode()


def test_it_requires_login(client, db):
    r = client.get("/settings/security/")
    assert r.status_code == 302
    assert r["Location"].startswith("/login/")


# Enrolment


def test_it_does_not_create_a_device_on_get(client_for, alice):
    """Opening the enrolment URL makes no rows; only the POST "start" does."""
    r = client_for(alice).get("/settings/security/totp/")
    assert r.status_code == 302
    assert r["Location"] == "/settings/security/"
    assert not TOTPDevice.objects.exists()


def test_it_enrols_end_to_end(client_for, alice, bob):
    """Start, scan (inline SVG, no external service), confirm; codes are shown once."""
    client = client_for(alice, recent_2fa=False)
    r = client.post("/settings/security/totp/", {"start": "1"})
    assert r.status_code == 302
    assert r["Location"] == "/settings/security/totp/"
    device = TOTPDevice.objects.get(user=alice)
    assert not device.confirmed

    r = client.get("/settings/security/totp/")
    body = r.content.decode()
    assert "<svg" in body
    assert "<img" not in body
    secret = twofactor.base32_secret(device)
    assert secret[:4] in body
    assert "no-store" in r["Cache-Control"]

    r = client.post("/settings/security/totp/", {"code": totp_code(device)})
    assert r.status_code == 200
    body = r.content.decode()
    assert "I saved them" in body
    device.refresh_from_db()
    assert device.confirmed
    assert alice.has_two_factor()
    assert BackupCode.objects.filter(device__user=alice, used_at=None).count() == 10
    assert body.count("<li><code>") == 10
    assert AuditEvent.objects.filter(workspace=alice.last_workspace, action="2fa.enabled").exists()
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert time.time() - client.session[SESSION_2FA_AT] < 5

    # The codes page is the only place the plain codes appear.
    assert "<li><code>" not in client.get("/settings/security/").content.decode()


def test_it_reuses_a_started_enrolment(client_for, alice):
    """Reloading the QR page keeps the same seed."""
    client = client_for(alice)
    client.post("/settings/security/totp/", {"start": "1"})
    device = TOTPDevice.objects.get(user=alice)
    client.get("/settings/security/totp/")
    client.get("/settings/security/totp/")
    assert list(TOTPDevice.objects.values_list("pk", flat=True)) == [device.pk]


def test_it_rejects_a_wrong_enrolment_code(client_for, alice):
    client = client_for(alice)
    client.post("/settings/security/totp/", {"start": "1"})
    device = TOTPDevice.objects.get(user=alice)
    r = client.post("/settings/security/totp/", {"code": wrong_code(device)})
    assert r.status_code == 200
    assert "That code is not valid" in r.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not alice.has_two_factor()
    assert not AuditEvent.objects.filter(action="2fa.enabled").exists()


def test_it_carries_next_through_enrolment(client_for, alice):
    """?next= survives the status page, the start, the QR page and ends on the codes page."""
    client = client_for(alice)
    r = client.get("/settings/security/?next=/customers/")
    assert 'name="next" value="/customers/"' in r.content.decode()
    r = client.post("/settings/security/totp/", {"start": "1", "next": "/customers/"})
    assert r["Location"] == "/settings/security/totp/?next=%2Fcustomers%2F"
    r = client.get(r["Location"])
    assert 'name="next" value="/customers/"' in r.content.decode()
    device = TOTPDevice.objects.get(user=alice)
    r = client.post(
        "/settings/security/totp/?next=%2Fcustomers%2F",
        {"code": totp_code(device), "next": "/customers/"},
    )
    assert 'href="/customers/"' in r.content.decode()


def test_it_drops_an_offsite_next(client_for, alice):
    client = client_for(alice)
    r = client.post("/settings/security/totp/", {"start": "1", "next": "https://evil.example/"})
    assert r["Location"] == "/settings/security/totp/"


def test_it_never_stores_the_secret_in_plain(client_for, alice):
    """Neither the hex seed nor its base32 form appears in any column of the raw row."""
    client = client_for(alice)
    client.post("/settings/security/totp/", {"start": "1"})
    device = TOTPDevice.objects.get(user=alice)
    client.post("/settings/security/totp/", {"code": totp_code(device)})
    hex_secret = device.secret
    b32_secret = twofactor.base32_secret(device)
    assert len(hex_secret) == 40

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM mspercury_totpdevice")
        rows = cursor.fetchall()
    assert len(rows) == 1
    for column in rows[0]:
        text = str(column).lower()
        assert hex_secret.lower() not in text
        assert b32_secret.lower() not in text


def test_it_demands_a_fresh_check_to_replace_the_authenticator(client_for, alice):
    """With 2FA on, starting a new enrolment asks for a current code first."""
    device, _codes = enrol(alice)
    client = client_for(alice)
    _age_2fa(client, settings.MSPERCURY_RECENT_2FA_SECONDS + 1)
    r = client.post("/settings/security/totp/", {"start": "1"})
    assert r.status_code == 302
    assert r["Location"].startswith("/verify/?next=")
    assert list(TOTPDevice.objects.filter(user=alice)) == [device]


def test_it_replaces_the_authenticator(client_for, alice):
    """A confirmed new app replaces the old one, and the old backup codes stop working."""
    old_device, old_codes = enrol(alice)
    client = client_for(alice)
    client.post("/settings/security/totp/", {"start": "1"})
    new_device = TOTPDevice.objects.get(user=alice, confirmed=False)
    client.post("/settings/security/totp/", {"code": totp_code(new_device)})
    assert list(TOTPDevice.objects.filter(user=alice)) == [new_device]
    assert not TOTPDevice.objects.filter(pk=old_device.pk).exists()
    assert not backup_code_usable(alice, old_codes[0])


# Backup codes and recent_2fa_required


def test_it_regenerates_backup_codes(client_for, alice):
    """POST with a fresh check shows new codes once; the old ones stop working."""
    _device, old_codes = enrol(alice)
    r = client_for(alice).post("/settings/security/backup-codes/")
    assert r.status_code == 200
    body = r.content.decode()
    assert body.count("<li><code>") == 10
    assert old_codes[0] not in body
    assert not backup_code_usable(alice, old_codes[0])
    new_code = body.split("<li><code>")[1].split("</code>")[0]
    assert backup_code_usable(alice, new_code)
    assert AuditEvent.objects.filter(action="2fa.backup_codes_regenerated").exists()


def test_it_does_not_regenerate_on_get(client_for, alice):
    _device, old_codes = enrol(alice)
    r = client_for(alice).get("/settings/security/backup-codes/")
    assert r.status_code == 200
    assert "<li><code>" not in r.content.decode()
    assert backup_code_usable(alice, old_codes[0])


def test_it_sends_stale_sessions_to_verify(client_for, alice):
    """An old verification redirects to /verify/; after a code the action works."""
    device, old_codes = enrol(alice)
    client = client_for(alice)
    _age_2fa(client, settings.MSPERCURY_RECENT_2FA_SECONDS + 1)
    r = client.post("/settings/security/backup-codes/")
    assert r.status_code == 302
    assert r["Location"] == "/verify/?next=%2Fsettings%2Fsecurity%2Fbackup-codes%2F"
    assert backup_code_usable(alice, old_codes[0])  # untouched

    r = client.post(r["Location"], {"code": totp_code(device)})
    assert r.status_code == 302
    assert r["Location"] == "/settings/security/backup-codes/"
    r = client.post("/settings/security/backup-codes/")
    assert r.status_code == 200
    assert r.content.decode().count("<li><code>") == 10


def test_it_accepts_a_fresh_enough_verification(client_for, alice):
    enrol(alice)
    client = client_for(alice)
    _age_2fa(client, settings.MSPERCURY_RECENT_2FA_SECONDS - 30)
    assert client.post("/settings/security/backup-codes/").status_code == 200


def test_it_sends_users_without_a_device_to_enrol(client_for, alice):
    client = client_for(alice, recent_2fa=False)
    r = client.post("/settings/security/backup-codes/")
    assert r.status_code == 302
    assert r["Location"].startswith("/settings/security/?next=")
    assert not BackupCode.objects.exists()


# Verify page


def test_it_verifies_and_follows_next(client_for, alice):
    device, _codes = enrol(alice)
    client = client_for(alice, recent_2fa=False)
    r = client.get("/verify/?next=/settings/team/")
    assert 'value="/settings/team/"' in r.content.decode()
    r = client.post("/verify/?next=/settings/team/", {"code": totp_code(device)})
    assert r["Location"] == "/settings/team/"
    assert time.time() - client.session[SESSION_2FA_AT] < 5


def test_it_ignores_an_offsite_next_when_verifying(client_for, alice):
    device, _codes = enrol(alice)
    client = client_for(alice, recent_2fa=False)
    r = client.post("/verify/", {"code": totp_code(device), "next": "//evil.example/"})
    assert r["Location"] == "/settings/security/"


def test_it_rejects_a_wrong_verification_code(client_for, alice):
    device, _codes = enrol(alice)
    client = client_for(alice, recent_2fa=False)
    r = client.post("/verify/", {"code": wrong_code(device)})
    assert r.status_code == 200
    assert SESSION_2FA_AT not in client.session


def test_it_rate_limits_verification(client_for, alice):
    """After ten attempts in the window even the right code is refused."""
    device, _codes = enrol(alice)
    client = client_for(alice, recent_2fa=False)
    for _ in range(10):
        client.post("/verify/", {"code": "abcde-fghij"})
    r = client.post("/verify/", {"code": totp_code(device)})
    assert "Too many wrong codes" in r.content.decode()
    assert SESSION_2FA_AT not in client.session


def test_it_throttles_the_device_on_verify(client_for, alice):
    """Right after a wrong code the device refuses the right one too."""
    device, _codes = enrol(alice)
    client = client_for(alice, recent_2fa=False)
    with time_machine.travel(time.time(), tick=False):
        client.post("/verify/", {"code": wrong_code(device)})
        device.refresh_from_db()
        assert device.throttling_failure_count == 1
        r = client.post("/verify/", {"code": totp_code(device)})
    assert "Wait a little" in r.content.decode()
    assert SESSION_2FA_AT not in client.session


def test_it_sends_users_without_device_from_verify_to_enrol(client_for, alice):
    r = client_for(alice).get("/verify/?next=/settings/team/")
    assert r["Location"] == "/settings/security/?next=%2Fsettings%2Fteam%2F"


# Turning it off


def test_it_turns_two_factor_off(client_for, alice):
    device, _codes = enrol(alice)
    client = client_for(alice)
    r = client.post(
        "/settings/security/disable/", {"password": PASSWORD, "code": totp_code(device)}
    )
    assert r.status_code == 302
    assert not alice.has_two_factor()
    assert not BackupCode.objects.exists()
    assert AuditEvent.objects.filter(action="2fa.disabled").exists()
    assert SESSION_2FA_AT not in client.session


def test_it_needs_the_password_to_turn_off(client_for, alice):
    device, _codes = enrol(alice)
    r = client_for(alice).post(
        "/settings/security/disable/", {"password": "wrong", "code": totp_code(device)}
    )
    assert r.status_code == 200
    assert "password is not right" in r.content.decode()
    assert alice.has_two_factor()


def test_it_needs_a_code_to_turn_off(client_for, alice):
    device, _codes = enrol(alice)
    r = client_for(alice).post(
        "/settings/security/disable/", {"password": PASSWORD, "code": wrong_code(device)}
    )
    assert r.status_code == 200
    assert "That code is not valid" in r.content.decode()
    assert alice.has_two_factor()


def test_it_refuses_to_turn_off_when_the_workspace_requires_it(client_for, alice, alpha):
    device, _codes = enrol(alice)
    alpha.require_2fa_for_admins = True
    alpha.save()
    client = client_for(alice)
    r = client.post(
        "/settings/security/disable/", {"password": PASSWORD, "code": totp_code(device)}
    )
    assert r.status_code == 302
    assert alice.has_two_factor()
    assert not AuditEvent.objects.filter(action="2fa.disabled").exists()
    body = client.get("/settings/security/").content.decode()
    assert "requires two-factor authentication" in body
    assert "/settings/security/disable/" not in body


def test_it_lets_members_turn_off_when_only_admins_must_use_it(client_for, bob, alpha):
    device, _codes = enrol(bob)
    alpha.require_2fa_for_admins = True
    alpha.save()
    client_for(bob).post(
        "/settings/security/disable/", {"password": PASSWORD, "code": totp_code(device)}
    )
    assert not bob.has_two_factor()


# Workspace enforcement


def test_it_sends_owners_without_2fa_to_enrol(client_for, alice, alpha):
    """require_2fa_for_admins: alice (owner) is redirected and told why."""
    alpha.require_2fa_for_admins = True
    alpha.save()
    client = client_for(alice, recent_2fa=False)
    r = client.get("/")
    assert r.status_code == 302
    assert r["Location"] == "/settings/security/?required=1"
    assert "required-notice" in client.get(r["Location"]).content.decode()


def test_it_sends_admins_without_2fa_to_enrol(client_for, dana, alpha):
    alpha.require_2fa_for_admins = True
    alpha.save()
    assert client_for(dana).get("/")["Location"] == "/settings/security/?required=1"


def test_it_lets_members_in_without_2fa(client_for, bob, alpha):
    alpha.require_2fa_for_admins = True
    alpha.save()
    assert client_for(bob).get("/").status_code == 200


def test_it_lets_owners_in_after_enrolling(client_for, alice, alpha):
    alpha.require_2fa_for_admins = True
    alpha.save()
    client = client_for(alice, recent_2fa=False)
    client.post("/settings/security/totp/", {"start": "1"})
    device = TOTPDevice.objects.get(user=alice)
    client.post("/settings/security/totp/", {"code": totp_code(device)})
    assert client.get("/").status_code == 200


# Device behaviour


def test_it_lets_only_one_of_two_racing_requests_use_a_code(alice):
    """Two requests holding the device with the same code: the second one is refused."""
    device, _codes = enrol(alice)
    first = TOTPDevice.objects.get(pk=device.pk)
    second = TOTPDevice.objects.get(pk=device.pk)
    code = totp_code(device)
    assert first.verify_token(code)
    assert not second.verify_token(code)


def test_it_keeps_last_t_when_a_stale_copy_fails(alice):
    """A failure saved from an old copy must not reopen an already used code."""
    device, _codes = enrol(alice)
    stale = TOTPDevice.objects.get(pk=device.pk)
    code = totp_code(device)
    assert device.verify_token(code)
    assert not stale.verify_token(wrong_code(device))
    fresh = TOTPDevice.objects.get(pk=device.pk)
    assert fresh.last_t == device.last_t
    fresh.throttle_reset()
    assert not fresh.verify_token(code)
