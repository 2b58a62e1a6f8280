import base64
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from mspercury import secrets
from mspercury.models import TOTPDevice

KEY_V1 = "v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
KEY_V2 = "v2:" + base64.urlsafe_b64encode(bytes(range(100, 132))).decode()
KEY_V1_OTHER = "v1:" + base64.urlsafe_b64encode(bytes(range(200, 232))).decode()
SEED = "3132333435363738393031323334353637383930"


@pytest.fixture
def v1_only(settings):
    settings.MSPERCURY_ENCRYPTION_KEYS = KEY_V1
    return settings


def _device(user, name="phone") -> TOTPDevice:
    device = TOTPDevice(user=user, name=name, confirmed=True)
    device.secret = SEED
    device.save()
    return device


def _raw_column(device) -> str:
    return TOTPDevice.objects.values_list("secret_encrypted", flat=True).get(pk=device.pk)


def _flip_byte(token: str, index: int) -> str:
    key_id, _, encoded = token.partition(":")
    blob = bytearray(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    blob[index] ^= 0x01
    return f"{key_id}:{base64.urlsafe_b64encode(bytes(blob)).decode().rstrip('=')}"


def test_it_round_trips(v1_only):
    """What is encrypted decrypts to the same text with the same context."""
    token = secrets.encrypt("sk_test_abc123 ünïcode", context="ctx:1")
    assert token.startswith("v1:")
    assert "sk_test" not in token
    assert secrets.decrypt(token, context="ctx:1") == "sk_test_abc123 ünïcode"


def test_it_uses_a_fresh_nonce_every_time(v1_only):
    """Encrypting the same text twice gives different tokens, both readable."""
    first = secrets.encrypt("same", context="ctx")
    second = secrets.encrypt("same", context="ctx")
    assert first != second
    nonce = lambda t: base64.urlsafe_b64decode(t[3:] + "==")[: secrets.NONCE_BYTES]  # noqa: E731
    assert nonce(first) != nonce(second)
    assert secrets.decrypt(first, context="ctx") == secrets.decrypt(second, context="ctx")


@pytest.mark.parametrize("index", [0, secrets.NONCE_BYTES, secrets.NONCE_BYTES + 3, -1])
def test_it_detects_a_flipped_byte(v1_only, index):
    """Any changed byte (nonce, ciphertext or tag) makes decryption fail."""
    token = secrets.encrypt("secret value", context="ctx")
    with pytest.raises(secrets.DecryptionError, match="authentication failed"):
        secrets.decrypt(_flip_byte(token, index), context="ctx")


def test_it_rejects_a_token_for_another_context(v1_only):
    """A token bound to one context does not open under another."""
    token = secrets.encrypt("secret value", context="mspercury.totpdevice.secret:a")
    with pytest.raises(secrets.DecryptionError):
        secrets.decrypt(token, context="mspercury.totpdevice.secret:b")


def test_it_rejects_a_token_moved_to_another_row(v1_only, alice, bob):
    """A seed copied onto another device's row fails to decrypt there."""
    victim = _device(alice)
    attacker = _device(bob)
    attacker.secret_encrypted = victim.secret_encrypted
    attacker.save()
    attacker = TOTPDevice.objects.get(pk=attacker.pk)
    with pytest.raises(secrets.DecryptionError):
        _ = attacker.secret
    assert TOTPDevice.objects.get(pk=victim.pk).secret == SEED


def test_it_stores_no_plaintext(v1_only, alice):
    """The column holds a v1 token, never the hex seed."""
    device = _device(alice)
    raw = _raw_column(device)
    assert raw.startswith("v1:")
    assert SEED not in raw
    assert TOTPDevice.objects.get(pk=device.pk).secret == SEED


def test_it_fails_with_the_wrong_key(v1_only):
    """The same key id holding another key cannot decrypt."""
    token = secrets.encrypt("secret value", context="ctx")
    other = secrets.parse_keyring(KEY_V1_OTHER)
    with pytest.raises(secrets.DecryptionError, match="authentication failed"):
        secrets.decrypt(token, context="ctx", keyring=other)


def test_it_fails_for_an_unknown_key_id(v1_only):
    """A token naming a key that is not in the ring fails, naming the key id."""
    token = secrets.encrypt("secret value", context="ctx")
    with pytest.raises(secrets.DecryptionError, match="no key 'v9'"):
        secrets.decrypt("v9:" + token[3:], context="ctx")


@pytest.mark.parametrize("token", ["", "no-colon", "v1:", "v1:AAAA", "v1:!!!not base64!!!", "v1:a"])
def test_it_rejects_malformed_tokens(v1_only, token):
    """Malformed tokens raise DecryptionError, not a crash."""
    with pytest.raises(secrets.DecryptionError):
        secrets.decrypt(token, context="ctx")


def test_it_registers_the_totp_seed():
    """TOTPDevice.secret is in the registry the re-encryption command walks."""
    assert any(
        model is TOTPDevice and descriptor.column == "secret_encrypted"
        for model, descriptor in secrets.REGISTRY
    )


def test_it_rotates_keys_with_the_command(settings, alice, bob):
    """After adding v2 first and re-encrypting, rows are v2 tokens that decrypt without v1."""
    settings.MSPERCURY_ENCRYPTION_KEYS = KEY_V1
    devices = [_device(alice), _device(bob)]
    assert all(_raw_column(d).startswith("v1:") for d in devices)

    settings.MSPERCURY_ENCRYPTION_KEYS = f"{KEY_V2},{KEY_V1}"
    out = StringIO()
    call_command("reencrypt_secrets", "--batch-size", "1", stdout=out)
    assert "mspercury.totpdevice.secret: 2 re-encrypted, 0 failed" in out.getvalue()
    for device in devices:
        assert _raw_column(device).startswith("v2:")
        assert TOTPDevice.objects.get(pk=device.pk).secret == SEED

    settings.MSPERCURY_ENCRYPTION_KEYS = KEY_V2
    for device in devices:
        assert TOTPDevice.objects.get(pk=device.pk).secret == SEED


def test_it_needs_the_old_key_until_the_command_ran(settings, alice):
    """Without re-encryption, dropping v1 makes the old rows unreadable."""
    settings.MSPERCURY_ENCRYPTION_KEYS = KEY_V1
    device = _device(alice)
    settings.MSPERCURY_ENCRYPTION_KEYS = KEY_V2
    with pytest.raises(secrets.DecryptionError, match="no key 'v1'"):
        _ = TOTPDevice.objects.get(pk=device.pk).secret


def test_it_changes_nothing_in_a_dry_run(settings, alice):
    """--dry-run counts the stale rows and leaves them as they are."""
    settings.MSPERCURY_ENCRYPTION_KEYS = KEY_V1
    device = _device(alice)
    before = _raw_column(device)
    settings.MSPERCURY_ENCRYPTION_KEYS = f"{KEY_V2},{KEY_V1}"
    out = StringIO()
    call_command("reencrypt_secrets", "--dry-run", stdout=out)
    assert "mspercury.totpdevice.secret: 1 to re-encrypt, 0 failed" in out.getvalue()
    assert _raw_column(device) == before


def test_it_skips_rows_already_under_the_current_key(settings, alice, bob):
    """Rows already encrypted under the first key are left untouched."""
    settings.MSPERCURY_ENCRYPTION_KEYS = KEY_V1
    old = _device(alice)
    settings.MSPERCURY_ENCRYPTION_KEYS = f"{KEY_V2},{KEY_V1}"
    new = _device(bob)
    new_token = _raw_column(new)
    assert new_token.startswith("v2:")
    out = StringIO()
    call_command("reencrypt_secrets", stdout=out)
    assert "1 re-encrypted" in out.getvalue()
    assert _raw_column(new) == new_token
    assert _raw_column(old).startswith("v2:")
    out = StringIO()
    call_command("reencrypt_secrets", stdout=out)
    assert "0 re-encrypted" in out.getvalue()


def test_it_reports_rows_it_cannot_decrypt(settings, alice, bob):
    """A row whose key is gone is reported and left unchanged; the others are rotated."""
    settings.MSPERCURY_ENCRYPTION_KEYS = KEY_V1
    good = _device(alice)
    broken = _device(bob)
    TOTPDevice.objects.filter(pk=broken.pk).update(secret_encrypted="v0:" + "A" * 40)
    settings.MSPERCURY_ENCRYPTION_KEYS = f"{KEY_V2},{KEY_V1}"
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 secret"):
        call_command("reencrypt_secrets", stdout=out, stderr=err)
    assert "1 re-encrypted, 1 failed" in out.getvalue()
    assert str(broken.public_id) in err.getvalue()
    assert SEED not in out.getvalue() + err.getvalue()
    assert _raw_column(good).startswith("v2:")
    assert _raw_column(broken) == "v0:" + "A" * 40


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("v1:a", "not valid base64"),
        ("v1:AAAA", "3 bytes; AES-256 needs exactly 32"),
        ("v1:" + "A" * 64, "48 bytes"),
        (f"{KEY_V1},{KEY_V1_OTHER}", "appears twice"),
        ("", "holds no key"),
        (" , ,", "holds no key"),
        ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "must look like 'v1:<base64"),
        ("v-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "must look like"),
    ],
)
def test_it_names_the_variable_in_key_ring_errors(value, problem):
    """A bad key ring fails loudly, naming MSPERCURY_ENCRYPTION_KEYS and the problem."""
    with pytest.raises(ImproperlyConfigured) as info:
        secrets.parse_keyring(value)
    assert "MSPERCURY_ENCRYPTION_KEYS" in str(info.value)
    assert problem in str(info.value)
    assert "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8" not in str(info.value)


def test_it_parses_a_ring_with_the_first_key_current():
    """The first key encrypts; all keys decrypt."""
    ring = secrets.parse_keyring(f" {KEY_V2} , {KEY_V1} ")
    assert ring.current_id == "v2"
    assert ring.key("v1") == bytes(range(32))
    assert ring.key("v3") is None
    token = secrets.encrypt("x", context="c", keyring=secrets.parse_keyring(KEY_V1))
    assert secrets.decrypt(token, context="c", keyring=ring) == "x"


def test_it_generates_usable_keys():
    """generate_key_entry produces an entry parse_keyring accepts."""
    entry = secrets.generate_key_entry("v7")
    ring = secrets.parse_keyring(entry)
    assert ring.current_id == "v7"
    assert len(ring.key("v7")) == 32
