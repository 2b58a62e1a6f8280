"""TOTP enrolment and verification on top of django-otp, with encrypted seeds."""

import base64
import secrets
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.db import transaction

from mspercury.models import (
    BackupCode,
    BackupCodeDevice,
    Role,
    TOTPDevice,
    Workspace,
    hash_token,
)

BACKUP_CODE_COUNT = 10


def user_devices(user) -> list:
    """Confirmed devices that can complete a sign-in, TOTP first."""
    devices: list = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if devices:
        devices += list(BackupCodeDevice.objects.filter(user=user, confirmed=True))
    return devices


def verify_any_device(user, code: str):
    """Try the code on the device it can belong to. Returns (device or None, throttled).

    A 6-digit code goes to the authenticator app, anything else to the backup codes, so using
    a backup code does not count as a failed app attempt (and throttle the app), nor vice versa.
    """
    throttled = False
    looks_like_totp = _looks_like_totp(code)
    for device in user_devices(user):
        if isinstance(device, TOTPDevice) != looks_like_totp:
            continue
        allowed, _info = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        if device.verify_token(code):
            return device, False
    return None, throttled


def _looks_like_totp(code: str) -> bool:
    code = str(code).strip().replace(" ", "")
    return code.isdigit() and len(code) == TOTPDevice.DIGITS


def backup_codes_left(user) -> int:
    return BackupCode.objects.filter(device__user=user, used_at=None).count()


def workspaces_requiring_2fa(user):
    """Workspaces where the user is owner or admin and two-factor is mandatory for them."""
    return Workspace.objects.filter(
        require_2fa_for_admins=True,
        memberships__user=user,
        memberships__role__in=[Role.OWNER, Role.ADMIN],
    )


def start_totp_enrolment(user) -> TOTPDevice:
    """An unconfirmed device with a fresh 160-bit seed; replaces any earlier unconfirmed one."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice(user=user, name="Authenticator app", confirmed=False)
    device.secret = secrets.token_hex(20)
    device.save()
    return device


def base32_secret(device: TOTPDevice) -> str:
    return base64.b32encode(bytes.fromhex(device.secret)).decode().rstrip("=")


def provisioning_uri(device: TOTPDevice) -> str:
    issuer = settings.OTP_TOTP_ISSUER
    label = quote(f"{issuer}:{device.user.email}")
    params = urlencode(
        {"secret": base32_secret(device), "issuer": issuer, "digits": 6, "period": TOTPDevice.STEP}
    )
    return f"otpauth://totp/{label}?{params}"


def qr_svg(data: str) -> str:
    """The QR code as inline SVG, drawn locally (no external service)."""
    return segno.make(data, error="m").svg_inline(scale=5, border=2)


@transaction.atomic
def confirm_totp(device: TOTPDevice, code: str) -> bool:
    if not device.verify_token(code):
        return False
    TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


@transaction.atomic
def regenerate_backup_codes(user) -> list[str]:
    """Replace all backup codes; return the new plain codes (shown once, stored hashed)."""
    device, _created = BackupCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Backup codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [secrets.token_hex(5) for _ in range(BACKUP_CODE_COUNT)]
    BackupCode.objects.bulk_create(
        BackupCode(device=device, code_hash=hash_token(c)) for c in codes
    )
    return [f"{c[:5]}-{c[5:]}" for c in codes]


@transaction.atomic
def disable_two_factor(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()
