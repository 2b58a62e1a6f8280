"""RSA-SHA512 signatures for the webhook callbacks, in the standard library.

Lexware signs each callback's JSON body (without whitespace and line breaks) with its RSA key,
PKCS#1 v1.5 with SHA-512, and sends the signature base64-encoded in `X-Lxo-Signature`; receivers
verify it with Lexware's public key (`openssl dgst -sha512 -verify public_key.pub`). The
emulator makes its own key pair when it starts (the standard library has no RSA, so the few
lines of arithmetic are here) and hands out the public key as PEM, so anything that verifies
Lexware's signatures (the `cryptography` package, openssl) verifies the emulator's.
"""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
import textwrap

PUBLIC_EXPONENT = 65537
# DER of DigestInfo{sha512} without the digest (RFC 8017, 9.2 note 1).
_SHA512_PREFIX = bytes.fromhex("3051300d060960864801650304020305000440")
_RSA_ENCRYPTION_OID = bytes.fromhex("06092a864886f70d010101")
_SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % d for d in range(3, int(p**0.5) + 1, 2))]


def _probably_prime(n: int, rounds: int = 40) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (3 << (bits - 2)) | 1
        if math.gcd(candidate - 1, PUBLIC_EXPONENT) == 1 and _probably_prime(candidate):
            return candidate


class SigningKey:
    """An RSA key pair: `sign(bytes) -> bytes`, `public_pem()`."""

    def __init__(self, bits: int = 2048):
        while True:
            p, q = _prime(bits // 2), _prime(bits // 2)
            n = p * q
            if p != q and n.bit_length() == bits:
                break
        self.n = n
        self.d = pow(PUBLIC_EXPONENT, -1, (p - 1) * (q - 1))
        # Chinese remainder parameters: signing is four times faster.
        self.p, self.q = p, q
        self.dp, self.dq = self.d % (p - 1), self.d % (q - 1)
        self.q_inv = pow(q, -1, p)
        self.size = (bits + 7) // 8

    def sign(self, message: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 with SHA-512."""
        digest_info = _SHA512_PREFIX + hashlib.sha512(message).digest()
        padding = b"\xff" * (self.size - len(digest_info) - 3)
        encoded = int.from_bytes(b"\x00\x01" + padding + b"\x00" + digest_info, "big")
        m1, m2 = pow(encoded, self.dp, self.p), pow(encoded, self.dq, self.q)
        signature = m2 + self.q * ((self.q_inv * (m1 - m2)) % self.p)
        return signature.to_bytes(self.size, "big")

    def verify(self, message: bytes, signature: bytes) -> bool:
        """The emulator's own check (the tests verify with `cryptography` instead)."""
        value = pow(int.from_bytes(signature, "big"), PUBLIC_EXPONENT, self.n)
        expected = _SHA512_PREFIX + hashlib.sha512(message).digest()
        return value.to_bytes(self.size, "big").endswith(b"\x00" + expected)

    def public_der(self) -> bytes:
        """SubjectPublicKeyInfo (what `openssl` and `cryptography` load from a .pub file)."""
        rsa_key = _der(0x30, _der_int(self.n) + _der_int(PUBLIC_EXPONENT))
        algorithm = _der(0x30, _RSA_ENCRYPTION_OID + b"\x05\x00")
        return _der(0x30, algorithm + _der(0x03, b"\x00" + rsa_key))

    def public_pem(self) -> str:
        body = "\n".join(textwrap.wrap(base64.b64encode(self.public_der()).decode(), 64))
        return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def _der_int(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")  # a leading 0 keeps it positive
    return _der(0x02, raw)
