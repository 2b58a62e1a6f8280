"""AES-256-GCM encryption for secrets at rest (Stripe keys, webhook secrets, TOTP seeds).

Tokens look like ``v2:<base64url(nonce || ciphertext+tag)>``. The key ring comes from
MSPERCURY_ENCRYPTION_KEYS ("v2:<base64 key>,v1:<base64 key>"): the first key encrypts, every key
decrypts. Associated data binds each ciphertext to its model, field and row, so a token copied onto
another row or field fails to decrypt.
"""

import base64
import binascii
import os
import secrets as pysecrets
import sys
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12  # 96-bit nonce, fresh for every encryption


class DecryptionError(Exception):
    """The token is malformed, was tampered with, belongs elsewhere, or its key is gone."""


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[tuple[str, bytes], ...]

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes | None:
        return dict(self.keys).get(key_id)


def parse_keyring(value: str, name: str = "MSPERCURY_ENCRYPTION_KEYS") -> KeyRing:
    keys: list[tuple[str, bytes]] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        key_id, sep, encoded = part.partition(":")
        if not sep or not key_id.isalnum():
            raise ImproperlyConfigured(
                f"{name}: entry {key_id[:8]!r}… must look like 'v1:<base64 of 32 bytes>'"
            )
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"{name}: key {key_id!r} is not valid base64") from None
        if len(raw) != 32:
            raise ImproperlyConfigured(
                f"{name}: key {key_id!r} is {len(raw)} bytes; AES-256 needs exactly 32"
            )
        if any(existing == key_id for existing, _ in keys):
            raise ImproperlyConfigured(f"{name}: key id {key_id!r} appears twice")
        keys.append((key_id, raw))
    if not keys:
        raise ImproperlyConfigured(f"{name} holds no key")
    return KeyRing(tuple(keys))


@lru_cache(maxsize=4)
def _cached_keyring(value: str) -> KeyRing:
    return parse_keyring(value)


def get_keyring() -> KeyRing:
    from django.conf import settings

    return _cached_keyring(settings.MSPERCURY_ENCRYPTION_KEYS)


def encrypt(plaintext: str, *, context: str, keyring: KeyRing | None = None) -> str:
    ring = keyring or get_keyring()
    key_id = ring.current_id
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.key(key_id)).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def decrypt(token: str, *, context: str, keyring: KeyRing | None = None) -> str:
    ring = keyring or get_keyring()
    key_id, sep, encoded = token.partition(":")
    key = ring.key(key_id) if sep else None
    if key is None:
        raise DecryptionError(f"no key {key_id!r} in the key ring")
    try:
        blob = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("token is not valid base64") from None
    if len(blob) < NONCE_BYTES + 16:
        raise DecryptionError("token is too short")
    try:
        plain = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
    except InvalidTag:
        raise DecryptionError("authentication failed (tampered, wrong row or wrong key)") from None
    return plain.decode()


def key_id_of(token: str) -> str:
    return token.partition(":")[0]


# Every model attribute declared with EncryptedSecret, for the re-encryption command.
REGISTRY: list[tuple[type, "EncryptedSecret"]] = []


class EncryptedSecret:
    """Plaintext view of an encrypted text column, bound to (model, field, row).

    ``column`` names the TextField holding the token. The row binding uses the model's
    ``secret_binding()`` (its public UUID), which exists before the row is first saved.
    """

    def __init__(self, column: str):
        self.column = column

    def __set_name__(self, owner, name):
        self.name = name
        REGISTRY.append((owner, self))

    def context(self, instance) -> str:
        return f"{instance._meta.label_lower}.{self.name}:{instance.secret_binding()}"

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        token = getattr(instance, self.column)
        if not token:
            return ""
        return decrypt(token, context=self.context(instance))

    def __set__(self, instance, value: str) -> None:
        token = encrypt(value, context=self.context(instance)) if value else ""
        setattr(instance, self.column, token)


def generate_key_entry(key_id: str = "v1") -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(pysecrets.token_bytes(32)).decode()}"


if __name__ == "__main__":  # pragma: no cover - tiny CLI used by the demo and operators
    if len(sys.argv) >= 2 and sys.argv[1] == "generate-key":
        print(generate_key_entry(sys.argv[2] if len(sys.argv) > 2 else "v1"))
    else:
        print("usage: python -m mspercury.secrets generate-key [key-id]", file=sys.stderr)
        sys.exit(2)
