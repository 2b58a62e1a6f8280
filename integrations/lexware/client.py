"""The single Lexware Office seam: every call MSPercury makes to Lexware's public API.

Lexware API reference (https://developers.lexware.io/docs/; notes/connectors-lexware-sevdesk-
polar.md §1). The base URL is the deployment setting MSPERCURY_LEXWARE_API_URL (the double in
the tests); the key is the workspace's, passed in. Every request waits for its slot in a
schedule shared by all workers (2 requests per second per key, "API Rate Limits"), and failures
come back typed (integrations.accounting.http): Lexware's 406 message and details verbatim, 429
as RateLimited, 504 after a write as Unavailable with ``may_have_landed``.

Lexware has no idempotency key and no filter on a free-text reference: MSPercury writes its
reference as a line ``MSPercury-Ref: <reference>`` into the invoice's ``remark`` (≤ 2000
characters) and the contact's ``note`` (≤ 1000), and finds an invoice again by listing the
contact's invoices created since a day (``/v1/voucherlist``), reading each and comparing that
line (§1.11 "exactly-once recipe").

Callbacks of event subscriptions are signed: ``X-Lxo-Signature`` is the base64 RSA-SHA512
(PKCS#1 v1.5) signature of the body as sent, checked with Lexware's public key
(``verify_signature``; "Verify Authenticity").
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date
from typing import Any

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA512
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings

from integrations.accounting.http import Answer, Transport
from integrations.accounting.throttle import Throttle

PROVIDER = "Lexware Office"
REFERENCE_PREFIX = "MSPercury-Ref: "
REMARK_LIMIT = 2000
NOTE_LIMIT = 1000
PAGE_SIZE = 250
SIGNATURE_HEADER = "X-Lxo-Signature"


def read_body(data: Any) -> tuple[str, tuple[dict, ...]] | None:
    """Lexware's three error bodies: gateway ``{"message"}``, regular ``{"message",
    "details"}`` and legacy ``{"IssueList": [...]}`` (contacts, files)."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("IssueList"), list):
        issues = tuple(i for i in data["IssueList"] if isinstance(i, dict))
        keys = ", ".join(str(i.get("i18nKey")) for i in issues if i.get("i18nKey"))
        return keys, issues
    if "message" in data:
        details = tuple(d for d in data.get("details") or () if isinstance(d, dict))
        return str(data.get("message") or ""), details
    return None


def reference_line(reference: str) -> str:
    return f"{REFERENCE_PREFIX}{reference}"


def with_reference(text: str | None, reference: str, limit: int) -> str:
    """``text`` with the reference line as its last line, the text shortened to fit."""
    line = reference_line(reference)
    text = (text or "").rstrip()
    room = limit - len(line) - 1
    if not text:
        return line
    if len(text) > room:
        text = text[: max(room - 1, 0)] + "…"
    return f"{text}\n{line}"


def carries_reference(text: str | None, reference: str) -> bool:
    return reference_line(reference) in (text or "").splitlines()


@dataclass(frozen=True)
class InvoiceFile:
    content: bytes
    content_type: str
    filename: str


class LexwareClient:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        rate: float | None = None,
        session: requests.Session | None = None,
    ):
        rate = settings.MSPERCURY_LEXWARE_RATE_LIMIT if rate is None else rate
        self.http = Transport(
            PROVIDER,
            base_url or settings.MSPERCURY_LEXWARE_API_URL,
            {"Authorization": f"Bearer {api_key}", "User-Agent": "MSPercury"},
            timeout=float(timeout or settings.MSPERCURY_LEXWARE_TIMEOUT),
            read_body=read_body,
            throttle=Throttle("lexware", api_key, rate) if rate else None,
            session=session,
        )

    def _get(self, path: str, **params: Any) -> Any:
        return self.http.request("GET", path, params=params or None).json()

    def _pages(self, path: str, params: dict[str, Any]) -> list[dict]:
        rows: list[dict] = []
        page = 0
        while True:
            data = self._get(path, **params, page=page, size=PAGE_SIZE)
            rows += data.get("content") or []
            if data.get("last", True):
                return rows
            page += 1

    # -- the key -----------------------------------------------------------------------------
    def profile(self) -> dict:
        """The organization behind the key (``GET /v1/profile``): checks the key works."""
        return self._get("/v1/profile")

    # -- contacts ----------------------------------------------------------------------------
    def get_contact(self, contact_id: str) -> dict:
        return self._get(f"/v1/contacts/{contact_id}")

    def find_contacts(self, **filters: str) -> list[dict]:
        """``name``/``email`` (≥ 3 characters, substring), ``number``, ``customer``: every
        page. Search strings are HTML-encoded first ("Search string encoding")."""
        encoded = {k: _html_encode(v) if k in ("name", "email") else v for k, v in filters.items()}
        return self._pages("/v1/contacts", encoded)

    def find_contact(self, reference: str, name: str) -> dict | None:
        """The customer contact whose note carries ``reference`` among those named ``name``."""
        for contact in self.find_contacts(name=name, customer="true"):
            if carries_reference(contact.get("note"), reference):
                return contact
        return None

    def create_contact(self, contact: dict, reference: str) -> dict:
        """``POST /v1/contacts`` with the reference in ``note``; answers Lexware's action
        result ``{id, resourceUri, createdDate, updatedDate, version}``."""
        body = {"version": 0, "roles": {"customer": {}}, **contact}
        body["note"] = with_reference(contact.get("note"), reference, NOTE_LIMIT)
        return self.http.request("POST", "/v1/contacts", body=body).json()

    def find_or_create_contact(self, contact: dict, reference: str) -> tuple[str, bool]:
        """(contact id, created): the contact written before if its note carries
        ``reference``, else a new one."""
        name = (contact.get("company") or {}).get("name") or (contact.get("person") or {}).get(
            "lastName", ""
        )
        found = self.find_contact(reference, name) if len(name) >= 3 else None
        if found:
            return str(found["id"]), False
        return str(self.create_contact(contact, reference)["id"]), True

    # -- invoices ----------------------------------------------------------------------------
    def create_invoice(self, invoice: dict, reference: str, *, finalize: bool = True) -> dict:
        """``POST /v1/invoices?finalize=true`` with the reference as the last line of
        ``remark``. A 504 or a lost answer raises Unavailable(may_have_landed=True): call
        ``find_invoices`` before creating it again."""
        body = dict(invoice, remark=with_reference(invoice.get("remark"), reference, REMARK_LIMIT))
        params = {"finalize": "true"} if finalize else None
        return self.http.request("POST", "/v1/invoices", params=params, body=body).json()

    def get_invoice(self, invoice_id: str) -> dict:
        return self._get(f"/v1/invoices/{invoice_id}")

    def list_invoices(self, contact_id: str, created_from: date) -> list[dict]:
        """The contact's invoices (any status) created on or after ``created_from``
        (voucherlist entries, not whole invoices)."""
        params = {
            "voucherType": "invoice",
            "voucherStatus": "any",
            "contactId": contact_id,
            "createdDateFrom": created_from.isoformat(),
            "sort": "createdDate,ASC",
        }
        return self._pages("/v1/voucherlist", params)

    def find_invoices(self, reference: str, contact_id: str, created_from: date) -> list[dict]:
        """Every invoice of the contact since ``created_from`` whose remark carries
        ``reference`` (one GET per candidate: keep ``created_from`` close)."""
        found = []
        for entry in self.list_invoices(contact_id, created_from):
            invoice = self.get_invoice(entry["id"])
            if carries_reference(invoice.get("remark"), reference):
                found.append(invoice)
        return found

    def get_payments(self, invoice_id: str) -> dict:
        """``GET /v1/payments/{id}``: openAmount, paymentStatus, voucherStatus, paymentItems."""
        return self._get(f"/v1/payments/{invoice_id}")

    def get_invoice_file(self, invoice_id: str, accept: str = "application/pdf") -> InvoiceFile:
        """The invoice's PDF (or its XRechnung XML with ``application/xml``)."""
        answer: Answer = self.http.request("GET", f"/v1/invoices/{invoice_id}/file", accept=accept)
        disposition = answer.headers.get("Content-Disposition") or ""
        filename = disposition.partition("filename=")[2].strip('"') or f"{invoice_id}.pdf"
        content_type = (answer.headers.get("Content-Type") or accept).split(";")[0]
        return InvoiceFile(answer.content, content_type, filename)

    # -- event subscriptions -----------------------------------------------------------------
    def create_event_subscription(self, event_type: str, callback_url: str) -> dict:
        body = {"eventType": event_type, "callbackUrl": callback_url}
        return self.http.request("POST", "/v1/event-subscriptions", body=body).json()

    def event_subscriptions(self) -> list[dict]:
        return self._get("/v1/event-subscriptions").get("content") or []

    def delete_event_subscription(self, subscription_id: str) -> None:
        self.http.request("DELETE", f"/v1/event-subscriptions/{subscription_id}")


def _html_encode(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fetch_public_key(url: str | None = None, timeout: float = 10.0) -> bytes:
    """Lexware's callback signing key (PEM), from MSPERCURY_LEXWARE_PUBLIC_KEY_URL."""
    response = requests.get(url or settings.MSPERCURY_LEXWARE_PUBLIC_KEY_URL, timeout=timeout)
    response.raise_for_status()
    return response.content


def verify_signature(body: bytes, signature: str | None, public_key_pem: bytes) -> bool:
    """Whether ``signature`` (``X-Lxo-Signature``) is Lexware's RSA-SHA512 signature of the
    callback ``body`` exactly as received. Nothing of the body may be read before this."""
    if not signature:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    key = load_pem_public_key(public_key_pem)
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(raw, body, padding.PKCS1v15(), SHA512())
    except InvalidSignature:
        return False
    return True
