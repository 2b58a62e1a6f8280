"""The single sevDesk seam: every call MSPercury makes to sevDesk's API.

sevDesk API, bookkeeping system "Update 2.0" (https://api.sevdesk.de/; notes/connectors-
lexware-sevdesk-polar.md §2). The base URL is the deployment setting MSPERCURY_SEVDESK_API_URL
(the double in the tests); the token is the workspace's, passed in as sevDesk wants it (the raw
token in ``Authorization``, no "Bearer"). sevDesk publishes no rate limit but may block a token
that sends too many requests or errors (API FAQ), so the client keeps its own pace
(MSPERCURY_SEVDESK_RATE_LIMIT per token, shared through Redis). Failures come back typed
(integrations.accounting.http) with sevDesk's ``error.message`` verbatim.

Answers are wrapped in ``{"objects": …}`` with ids, statuses and sums as strings. sevDesk has no
idempotency key and no webhooks: MSPercury writes its reference into the invoice's
``customerInternalNote`` and finds it again by that (``find_invoices``), and polls changed
invoices with ``updateAfter`` (``changed_invoices``).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import requests
from django.conf import settings

from integrations.accounting.http import Transport
from integrations.accounting.throttle import Throttle

PROVIDER = "sevDesk"
PAGE_SIZE = 100
CUSTOMER_CATEGORY = 3  # Contact categories: 2 supplier, 3 customer, 4 partner, 28 prospect
# ContactAddress category: the invoice address. sevDesk's spec names no ids; 47 is the guess
# most integrations use ("Rechnungsadresse") — to confirm against a real account.
INVOICE_ADDRESS_CATEGORY = 47
EMAIL_KEY_WORK = 2  # CommunicationWayKey: 1 Privat, 2 Arbeit, …, 8 Rechnungsadresse
# The account's user and sevDesk's country table are read once per token for this long, not
# once per invoice: sevDesk may block a token that sends too many requests (API FAQ).
FACTS_TTL = 600.0  # seconds

_facts: dict[tuple[str, str, str], tuple[float, Any]] = {}
_facts_lock = threading.Lock()


def forget_facts() -> None:
    """Drop every remembered user and country table (the tests' double is reset between tests)."""
    with _facts_lock:
        _facts.clear()


def read_body(data: Any) -> tuple[str, tuple[dict, ...]] | None:
    """sevDesk's error body ``{"error": {"message", "exceptionUUID"}}``."""
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message") or ""), ()
    return None


def ref(object_id: str | int, object_name: str) -> dict:
    return {"id": int(object_id), "objectName": object_name}


@dataclass(frozen=True)
class Address:
    street: str
    zip: str
    city: str
    country: str  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class InvoicePdf:
    content: bytes
    filename: str


class SevdeskClient:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        rate: float | None = None,
        session: requests.Session | None = None,
    ):
        rate = settings.MSPERCURY_SEVDESK_RATE_LIMIT if rate is None else rate
        self.http = Transport(
            PROVIDER,
            base_url or settings.MSPERCURY_SEVDESK_API_URL,
            {"Authorization": api_key, "User-Agent": "MSPercury"},
            timeout=float(timeout or settings.MSPERCURY_SEVDESK_TIMEOUT),
            read_body=read_body,
            throttle=Throttle("sevdesk", api_key, rate) if rate else None,
            session=session,
        )
        self._account = hashlib.sha256(api_key.encode()).hexdigest()

    def _remembered(self, name: str, load: Callable[[], Any]) -> Any:
        """``load()``, remembered per account and base URL for FACTS_TTL seconds."""
        key = (self.http.base_url, self._account, name)
        now = time.monotonic()
        with _facts_lock:
            hit = _facts.get(key)
        if hit and now - hit[0] < FACTS_TTL:
            return hit[1]
        value = load()
        with _facts_lock:
            _facts[key] = (now, value)
        return value

    def _objects(self, method: str, path: str, params: dict | None = None, body: Any = None):
        return self.http.request(method, path, params=params, body=body).json()["objects"]

    def _list(self, path: str, params: dict[str, Any]) -> list[dict]:
        rows: list[dict] = []
        while True:
            page = self._objects("GET", path, {**params, "limit": PAGE_SIZE, "offset": len(rows)})
            rows += page
            if len(page) < PAGE_SIZE:
                return rows

    # -- the token ---------------------------------------------------------------------------
    def bookkeeping_version(self) -> str:
        """ "2.0" for Update 2.0 (taxRule), "1.0" for the old system; checks the token."""
        return str(self._objects("GET", "/Tools/bookkeepingSystemVersion")["version"])

    def check_accounts(self) -> list[dict]:
        """The bank and cash accounts a payment can be booked on (``GET /CheckAccount``)."""
        return self._list("/CheckAccount", {})

    def user_id(self) -> str:
        """The account's first user (``GET /SevUser``): an invoice's required contactPerson."""
        return str(self._remembered("user", self._first_user))

    def _first_user(self) -> str:
        users = self._list("/SevUser", {})
        if not users:
            raise LookupError("sevDesk answered no user for this token")
        return str(users[0]["id"])

    def country_id(self, code: str) -> str:
        """The StaticCountry id of an ISO country code (Germany is 1)."""
        countries = self._remembered("countries", self._countries)
        try:
            return str(countries[code.upper()])
        except KeyError:
            raise LookupError(f"sevDesk knows no country {code}") from None

    def _countries(self) -> dict[str, str]:
        rows = self._list("/StaticCountry", {})
        return {str(r["code"]).upper(): str(r["id"]) for r in rows}

    # -- contacts ----------------------------------------------------------------------------
    def find_contact(self, customer_number: str) -> dict | None:
        """The contact with our ``customerNumber`` (MSPercury's natural key in sevDesk)."""
        rows = self._list("/Contact", {"customerNumber": customer_number, "depth": 1})
        matching = [r for r in rows if str(r.get("customerNumber")) == customer_number]
        return matching[0] if matching else None

    def create_contact(
        self,
        name: str,
        customer_number: str,
        *,
        address: Address | None = None,
        email: str = "",
        vat_number: str = "",
        buyer_reference: str = "",
    ) -> dict:
        """An organisation as a customer, then its address and e-mail (three calls)."""
        body: dict[str, Any] = {
            "name": name,
            "category": ref(CUSTOMER_CATEGORY, "Category"),
            "customerNumber": customer_number,
            "status": 1000,
        }
        if vat_number:
            body["vatNumber"] = vat_number
        if buyer_reference:
            body["buyerReference"] = buyer_reference
        contact = self._objects("POST", "/Contact", body=body)
        self.complete_contact(contact["id"], address, email)
        return contact

    def complete_contact(self, contact_id: str, address: Address | None, email: str) -> None:
        """Add the address and e-mail a contact lacks (also after a create whose answer was
        lost, so a retry finishes the contact instead of making a second one)."""
        if address and not self.addresses(contact_id):
            self.add_address(contact_id, address)
        if email and email not in {w.get("value") for w in self.emails(contact_id)}:
            body = {
                "contact": ref(contact_id, "Contact"),
                "type": "EMAIL",
                "value": email,
                "key": ref(EMAIL_KEY_WORK, "CommunicationWayKey"),
                "main": True,
            }
            self._objects("POST", "/CommunicationWay", body=body)

    def add_address(self, contact_id: str, address: Address) -> dict:
        body = {
            "contact": ref(contact_id, "Contact"),
            "street": address.street,
            "zip": address.zip,
            "city": address.city,
            "country": ref(self.country_id(address.country), "StaticCountry"),
            "category": ref(INVOICE_ADDRESS_CATEGORY, "Category"),
        }
        return self._objects("POST", "/ContactAddress", body=body)

    def addresses(self, contact_id: str) -> list[dict]:
        return self._list("/ContactAddress", {"contact[id]": contact_id})

    def emails(self, contact_id: str) -> list[dict]:
        rows = self._list("/CommunicationWay", {"contact[id]": contact_id})
        return [r for r in rows if r.get("type") == "EMAIL"]

    def find_or_create_contact(
        self,
        name: str,
        customer_number: str,
        *,
        address: Address | None = None,
        email: str = "",
        **details: str,
    ) -> tuple[dict, bool]:
        """(contact, created): the contact with ``customer_number`` (completed with what it
        lacks), else a new one."""
        found = self.find_contact(customer_number)
        if found:
            self.complete_contact(found["id"], address, email)
            return found, False
        contact = self.create_contact(
            name, customer_number, address=address, email=email, **details
        )
        return contact, True

    # -- invoices ----------------------------------------------------------------------------
    def save_invoice(self, invoice: dict, positions: list[dict], reference: str) -> dict:
        """``POST /Invoice/Factory/saveInvoice`` as a draft (100) with ``reference`` in
        ``customerInternalNote``; answers ``{invoice, invoicePos, …}``. A 504 or a lost answer
        raises Unavailable(may_have_landed=True): call ``find_invoices`` before saving again."""
        body = {
            "invoice": {
                "objectName": "Invoice",
                "mapAll": True,
                "status": 100,
                "invoiceType": "RE",
                **invoice,
                "customerInternalNote": reference,
            },
            "invoicePosSave": [
                {"objectName": "InvoicePos", "mapAll": True, **position} for position in positions
            ],
            "invoicePosDelete": None,
            "discountSave": [],
            "discountDelete": None,
        }
        return self._objects("POST", "/Invoice/Factory/saveInvoice", body=body)

    def get_invoice(self, invoice_id: str) -> dict:
        return self._objects("GET", f"/Invoice/{invoice_id}")[0]

    def get_positions(self, invoice_id: str) -> list[dict]:
        return self._list(f"/Invoice/{invoice_id}/getPositions", {})

    def find_invoices(self, reference: str, contact_id: str | None = None) -> list[dict]:
        """Every invoice whose ``customerInternalNote`` is ``reference``. The filter is sent as
        the docs spell it (``customerIntenalNote``) and the match checked here too, so an
        ignored filter costs pages, never a wrong match."""
        params: dict[str, Any] = {"customerIntenalNote": reference}
        if contact_id:
            params.update({"contact[id]": contact_id, "contact[objectName]": "Contact"})
        rows = self._list("/Invoice", params)
        return [r for r in rows if r.get("customerInternalNote") == reference]

    def changed_invoices(self, since: datetime) -> list[dict]:
        """Invoices changed after ``since`` (``updateAfter``, a unix timestamp): how payments
        made in sevDesk come back, sevDesk having no webhooks."""
        return self._list("/Invoice", {"updateAfter": int(since.timestamp())})

    def mark_sent(self, invoice_id: str, send_type: str = "VPDF") -> dict:
        """``PUT /Invoice/{id}/sendBy``: the draft becomes open (200), sent outside sevDesk."""
        body = {"sendType": send_type, "sendDraft": False}
        return self._objects("PUT", f"/Invoice/{invoice_id}/sendBy", body=body)

    def get_pdf(self, invoice_id: str) -> InvoicePdf:
        """The invoice's PDF (``getPdf`` with ``preventSendBy``: reading it sends nothing)."""
        data = self._objects(
            "GET", f"/Invoice/{invoice_id}/getPdf", {"download": "true", "preventSendBy": "true"}
        )
        return InvoicePdf(base64.b64decode(data["content"]), str(data.get("filename") or ""))

    def book_amount(
        self,
        invoice_id: str,
        amount: Decimal,
        on: date,
        check_account_id: str,
        payment_type: str = "N",
    ) -> dict:
        """Write a payment recorded in MSPercury back (``PUT /Invoice/{id}/bookAmount``):
        partial → 750, the rest → 1000. Answers sevDesk's InvoiceLog."""
        body = {
            "amount": amount,
            "date": on.strftime("%d.%m.%Y"),
            "type": payment_type,
            "checkAccount": ref(check_account_id, "CheckAccount"),
            "createFeed": True,
        }
        data = self.http.request("PUT", f"/Invoice/{invoice_id}/bookAmount", body=body).json()
        return data.get("objects", data) if isinstance(data, dict) else data
