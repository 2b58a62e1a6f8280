"""The sevDesk emulator's core: `Emulator.handle(method, target, headers, body)`.

The public routes are sevDesk's `/api/v1` as MSPercury uses it: Contact, ContactAddress,
CommunicationWay, Invoice (Factory/saveInvoice, list filters, getPdf, sendBy, sendViaEmail,
bookAmount, getIsPartiallyPaid), CheckAccount, SevUser, StaticCountry, Unity,
Tools/bookkeepingSystemVersion. Answers are wrapped in `{"objects": …}` with ids, status codes
and sums as JSON strings, as sevDesk sends them; errors are `{"error": {"message",
"exceptionUUID"}}`. Authentication is the raw token in `Authorization` (no "Bearer").
Everything under `/_emulator/` controls it (see emulators/README.md). Standard library only.
"""

from __future__ import annotations

import base64
import re
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

from .._doubles import (
    ApiError,
    ProviderEmulator,
    Response,
    iso_seconds,
    json_response,
    minimal_pdf,
    money,
)
from .invoices import Invalid, ref_id

BERLIN = ZoneInfo("Europe/Berlin")
BASE = "/api/v1"
DEFAULT_TOKEN = "5e7d3b1f0c9a4e2d8b6f1a3c5e7d9b0f"
TOKEN = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_CONFIG = {
    # sevDesk publishes no limit. Off unless set (requests per second per token → 429).
    "rate_limit": 0.0,
    "rate_limit_burst": 5.0,
    # "keep requests that cause errors to a minimum, otherwise your token may be blocked":
    # after this many 4xx answers in a row a token is refused for `error_block_seconds`
    # (0: never). The status of the refusal is a guess; 429 by default.
    "error_block_threshold": 0,
    "error_block_seconds": 60.0,
    "error_block_status": 429,
    "request_log_size": 2000,
    # What Tools/bookkeepingSystemVersion answers: "2.0" (Update 2.0, tax rules) or "1.0".
    "bookkeeping_version": "2.0",
}
# StaticCountry: sevDesk's examples give Germany id 1; the other ids are the emulator's.
COUNTRIES = [
    (1, "de", "Deutschland", "Germany"),
    (2, "at", "Österreich", "Austria"),
    (3, "ch", "Schweiz", "Switzerland"),
    (4, "fr", "Frankreich", "France"),
    (5, "nl", "Niederlande", "Netherlands"),
    (6, "be", "Belgien", "Belgium"),
    (7, "it", "Italien", "Italy"),
    (8, "es", "Spanien", "Spain"),
    (9, "pl", "Polen", "Poland"),
    (10, "dk", "Dänemark", "Denmark"),
    (11, "lu", "Luxemburg", "Luxembourg"),
    (12, "gb", "Vereinigtes Königreich", "United Kingdom"),
    (13, "us", "Vereinigte Staaten", "United States"),
    (14, "se", "Schweden", "Sweden"),
    (15, "cz", "Tschechien", "Czech Republic"),
]
CATEGORIES = {"2": "Lieferant", "3": "Kunde", "4": "Partner", "28": "Interessent"}
ADDRESS_CATEGORIES = {"47": "Rechnungsadresse", "48": "Lieferadresse", "49": "Postadresse"}
BOOKING_TYPES = ("FULL_PAYMENT", "N", "CB", "CF", "O", "OF", "MTC")
SEND_TYPES = ("VPR", "VP", "VM", "VPDF")


def _num(value) -> str:
    """sevDesk's number strings: "119", "248.75"."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def _ref(object_id, name: str) -> dict:
    return {"id": str(object_id), "objectName": name}


def _new_client(client_id: int, name: str) -> dict:
    return {
        "id": client_id,
        "name": name,
        "Contact": {},
        "ContactAddress": {},
        "CommunicationWay": {},
        "Invoice": {},
        "InvoicePos": {},
        "InvoiceLog": {},
        "CheckAccount": {
            1: {
                "id": 1,
                "name": "Geschäftskonto",
                "type": "offline",
                "iban": "DE02120300000000202051",
            }
        },
        "customer_number": 1000,
        "invoice_number": 1000,
    }


class Emulator(ProviderEmulator):
    label = "sevDesk emulator"
    DEFAULT_CONFIG = DEFAULT_CONFIG
    persisted = ("clients", "tokens", "next_id")

    def reset_state(self) -> None:
        self.clients = {1: _new_client(1, "Emulator GmbH")}
        self.tokens = {DEFAULT_TOKEN: 1}
        self.next_id = 100
        self.errors: dict[str, tuple[int, float]] = {}

    def dump(self) -> dict:
        return {
            "tokens": dict(self.tokens),
            "clients": {
                str(cid): {
                    "contacts": [self._contact_out(c, client) for c in client["Contact"].values()],
                    "invoices": [self._invoice_out(i, client) for i in client["Invoice"].values()],
                }
                for cid, client in self.clients.items()
            },
        }

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def stamp(self, moment=None) -> str:
        return iso_seconds(moment or self.clock.datetime(), BERLIN)

    # -- the pipeline's hooks ----------------------------------------------------------------
    def authenticate(self, headers: dict, query: dict) -> str | None:
        token = (headers.get("authorization") or "").strip()
        return token if token in self.tokens else None

    def allow(self, tenant: str) -> bool:
        blocked = self.errors.get(tenant)
        threshold = int(self.config["error_block_threshold"])
        if threshold and blocked and blocked[0] >= threshold:
            if self.clock.now() < blocked[1] + float(self.config["error_block_seconds"]):
                self._blocked = True
                return False
            self.errors.pop(tenant, None)
        self._blocked = False
        rate = float(self.config["rate_limit"])
        return self.bucket.allow(tenant, rate, float(self.config["rate_limit_burst"]))

    def after_request(self, tenant: str, response: Response) -> None:
        with self.lock:
            if 400 <= response.status < 500:
                count = self.errors.get(tenant, (0, 0.0))[0] + 1
                self.errors[tenant] = (count, self.clock.now())
            else:
                self.errors.pop(tenant, None)

    def error(self, status: int, message: str) -> Response:
        return json_response(
            status, {"error": {"message": message, "exceptionUUID": str(uuid.uuid4())}}
        )

    def unauthorized(self) -> Response:
        return self.error(401, "Authentication required")

    def rate_limited(self) -> Response:
        if getattr(self, "_blocked", False):
            status = int(self.config["error_block_status"])
            return self.error(status, "Too many erroneous requests: the token is blocked")
        return self.error(429, "Too Many Requests")

    def fault_error(self, status: int) -> Response:
        return self.error(status, "Internal Server Error")

    def gateway_timeout(self) -> Response:
        # sevDesk documents no 504; a proxy's page is what a client would see.
        page = b"<html><body><h1>504 Gateway Time-out</h1></body></html>"
        return Response(504, page, "text/html")

    def bad_json(self) -> Response:
        return self.error(400, "Malformed JSON body")

    # -- routing -----------------------------------------------------------------------------
    def route(self, method, path, query, headers, payload, tenant) -> Response:
        client = self.clients[self.tokens[tenant]]
        if not path.startswith(BASE + "/"):
            return self.error(404, "Not found")
        parts = path[len(BASE) + 1 :].strip("/").split("/")
        try:
            answer = self._dispatch(client, method, parts, query, payload)
        except Invalid as invalid:
            return self.error(invalid.status, invalid.message)
        return answer if answer is not None else self.error(404, "Not found")

    def _dispatch(self, client, method, parts, query, payload):
        head, rest = parts[0], parts[1:]
        if head == "Invoice":
            return self._invoice_routes(client, method, rest, query, payload)
        if head == "Contact":
            return self._contact_routes(client, method, rest, query, payload)
        if head in ("ContactAddress", "CommunicationWay"):
            return self._contact_parts(client, head, method, rest, query, payload)
        if method != "GET":
            return None
        if head == "CheckAccount":
            rows = [self._check_account_out(a, client) for a in client["CheckAccount"].values()]
            return self._single_or_list(rows, rest, "CheckAccount", query)
        if head == "SevUser":
            return self._listing([self._user(client)], query)
        if head == "StaticCountry":
            rows = [
                {"id": str(i), "objectName": "StaticCountry", "code": code, "name": name,
                 "nameEn": name_en, "translationCode": f"COUNTRY_{code.upper()}",
                 "locale": f"{code}_{code.upper()}", "priority": "0"}
                for i, code, name, name_en in COUNTRIES
            ]  # fmt: skip
            return self._single_or_list(rows, rest, "StaticCountry", query)
        if head == "Unity":
            rows = [{"id": "1", "objectName": "Unity", "name": "Stk", "translationCode": "PIECE"}]
            return self._single_or_list(rows, rest, "Unity", query)
        if head == "Tools" and rest == ["bookkeepingSystemVersion"]:
            version = str(self.config["bookkeeping_version"])
            return json_response(200, {"objects": {"version": version}})
        return None

    def _single_or_list(self, rows, rest, name, query):
        if rest:
            found = [r for r in rows if r["id"] == rest[0]]
            if not found:
                raise Invalid(400, f"{name} was not found")
            return json_response(200, {"objects": found})
        return self._listing(rows, query)

    def _listing(self, rows: list, query: dict) -> Response:
        try:
            limit = int(query.get("limit") or 100)
            offset = int(query.get("offset") or 0)
        except ValueError as exc:
            raise Invalid(400, "limit and offset must be numbers") from exc
        if not 1 <= limit <= 1000 or offset < 0:
            raise Invalid(400, "limit must be between 1 and 1000")
        body: dict = {"objects": rows[offset : offset + limit]}
        if query.get("countAll") == "true":
            body = {"total": str(len(rows)), **body}
        return json_response(200, body)

    def _user(self, client) -> dict:
        return {
            "id": "1",
            "objectName": "SevUser",
            "username": "api@emulator.invalid",
            "firstName": "Emulator",
            "lastName": "User",
            "sevClient": _ref(client["id"], "SevClient"),
        }

    def _check_account_out(self, account: dict, client) -> dict:
        return {
            "id": str(account["id"]),
            "objectName": "CheckAccount",
            "sevClient": _ref(client["id"], "SevClient"),
            "name": account["name"],
            "iban": account["iban"],
            "type": account["type"],
            "currency": "EUR",
            "defaultAccount": "1",
            "status": "100",
        }

    # -- contacts ----------------------------------------------------------------------------
    def _contact_routes(self, client, method, rest, query, payload):
        contacts = client["Contact"]
        if not rest and method == "POST":
            return self._save_contact(client, None, payload)
        if not rest and method == "GET":
            return self._listing(self._contact_rows(client, query), query)
        if len(rest) != 1 or not rest[0].isdigit():
            return None
        contact = contacts.get(int(rest[0]))
        if contact is None:
            raise Invalid(400, "Contact was not found")
        if method == "GET":
            return json_response(200, {"objects": [self._contact_out(contact, client)]})
        if method == "PUT":
            return self._save_contact(client, contact, payload)
        return None

    def _save_contact(self, client, contact, payload) -> Response:
        if not isinstance(payload, dict):
            raise Invalid(400, "Missing request body")
        merged = {**(contact or {}), **payload}
        category = ref_id(merged.get("category"), "Category", "category")
        if category not in CATEGORIES:
            raise Invalid(400, f"Unknown category {category}")
        if not merged.get("name") and not (merged.get("surename") or merged.get("familyname")):
            raise Invalid(400, "An organisation needs a name, a person surename or familyname")
        if contact is None:
            client["customer_number"] += 1
            merged.setdefault("customerNumber", str(client["customer_number"]))
            merged["id"] = self.new_id()
            merged["_create"] = self.clock.now()
        merged["_update"] = self.clock.now()
        client["Contact"][merged["id"]] = merged
        status = 201 if contact is None else 200
        return json_response(status, {"objects": self._contact_out(merged, client)})

    def _contact_rows(self, client, query) -> list[dict]:
        rows = list(client["Contact"].values())
        if query.get("customerNumber"):
            rows = [c for c in rows if str(c.get("customerNumber")) == query["customerNumber"]]
        if query.get("name"):
            needle = query["name"].lower()
            rows = [
                c for c in rows
                if any(needle in str(c.get(k) or "").lower()
                       for k in ("name", "surename", "familyname"))
            ]  # fmt: skip
        if query.get("category[id]"):
            rows = [c for c in rows if str(c["category"]["id"]) == query["category[id]"]]
        if query.get("depth") != "1":
            rows = [c for c in rows if c.get("name")]  # organisations only by default
        return [self._contact_out(c, client) for c in rows]

    def _contact_out(self, contact: dict, client) -> dict:
        out = {
            "id": str(contact["id"]),
            "objectName": "Contact",
            "create": self.stamp(_at(contact["_create"])),
            "update": self.stamp(_at(contact["_update"])),
            "sevClient": _ref(client["id"], "SevClient"),
            "category": _ref(contact["category"]["id"], "Category"),
            "status": str(contact.get("status") or 1000),
            "customerNumber": contact.get("customerNumber"),
        }
        for field in (
            "name", "surename", "familyname", "vatNumber", "taxNumber", "buyerReference",
            "description", "defaultTimeToPay", "governmentAgency", "exemptVat",
        ):  # fmt: skip
            value = contact.get(field)
            if isinstance(value, bool):
                value = "1" if value else "0"
            elif isinstance(value, int | float):
                value = str(value)
            out[field] = value
        return out

    def _contact_parts(self, client, kind, method, rest, query, payload):
        store = client[kind]
        if not rest and method == "POST":
            return self._save_contact_part(client, kind, payload)
        if method != "GET":
            return None
        rows = list(store.values())
        if rest:
            rows = [r for r in rows if str(r["id"]) == rest[0]]
            if not rows:
                raise Invalid(400, f"{kind} was not found")
        if query.get("contact[id]"):
            rows = [r for r in rows if r["contact"] == query["contact[id]"]]
        return self._listing([self._part_out(kind, r, client) for r in rows], query)

    def _save_contact_part(self, client, kind, payload) -> Response:
        if not isinstance(payload, dict):
            raise Invalid(400, "Missing request body")
        contact = ref_id(payload.get("contact"), "Contact", "contact")
        if int(contact) not in client["Contact"]:
            raise Invalid(400, "Contact was not found")
        row = dict(payload, contact=contact, id=self.new_id(), _create=self.clock.now())
        if kind == "ContactAddress":
            country = ref_id(payload.get("country"), "StaticCountry", "country")
            if int(country) not in {c[0] for c in COUNTRIES}:
                raise Invalid(400, "StaticCountry was not found")
            ref_id(payload.get("category"), "Category", "category")
        else:
            if payload.get("type") not in ("EMAIL", "PHONE", "WEB", "MOBILE"):
                raise Invalid(400, "type must be EMAIL, PHONE, WEB or MOBILE")
            if not payload.get("value"):
                raise Invalid(400, "Missing required parameter: value")
            ref_id(payload.get("key"), "CommunicationWayKey", "key")
        client[kind][row["id"]] = row
        return json_response(201, {"objects": self._part_out(kind, row, client)})

    def _part_out(self, kind: str, row: dict, client) -> dict:
        out = {
            "id": str(row["id"]),
            "objectName": kind,
            "create": self.stamp(_at(row["_create"])),
            "update": self.stamp(_at(row["_create"])),
            "contact": _ref(row["contact"], "Contact"),
            "sevClient": _ref(client["id"], "SevClient"),
        }
        if kind == "ContactAddress":
            out.update({k: row.get(k) for k in ("street", "zip", "city", "name")})
            out["country"] = _ref(row["country"]["id"], "StaticCountry")
            out["category"] = _ref(row["category"]["id"], "Category")
        else:
            out.update(type=row["type"], value=row["value"], main="1" if row.get("main") else "0")
            out["key"] = _ref(row["key"]["id"], "CommunicationWayKey")
        return out

    # -- invoices ----------------------------------------------------------------------------
    def _invoice_routes(self, client, method, rest, query, payload):
        from . import invoice_routes

        return invoice_routes.dispatch(self, client, method, rest, query, payload)

    def control(self, method, path, query, payload) -> Response | None:
        from .control import handle_control

        return handle_control(self, method, path, query, payload)

    def _invoice_out(self, invoice: dict, client) -> dict:
        from .invoice_routes import invoice_out

        return invoice_out(self, invoice, client)

    def pdf(self, invoice: dict, client) -> dict:
        positions = [p for p in client["InvoicePos"].values() if p["invoice"] == invoice["id"]]
        lines = [
            invoice.get("header") or f"Rechnung {invoice['invoiceNumber']}",
            f"Rechnungsnummer {invoice['invoiceNumber']}",
            *(
                f"{_num(p['quantity'])} x {p.get('name', '')}  {_num(p['sumNet'])}"
                for p in positions
            ),
            f"Netto {money(invoice['_sums']['sumNet'])} {invoice['currency']}",
            f"USt {money(invoice['_sums']['sumTax'])} {invoice['currency']}",
            f"Brutto {money(invoice['_sums']['sumGross'])} {invoice['currency']}",
            invoice.get("taxText") or "",
        ]
        content = base64.b64encode(minimal_pdf(lines)).decode()
        return {
            "filename": f"{invoice['invoiceNumber']}.pdf",
            "mimeType": "application/pdf",
            "base64encoded": True,
            "content": content,
        }


def _at(timestamp: float):
    from datetime import datetime

    return datetime.fromtimestamp(timestamp, BERLIN)


__all__ = ["BASE", "DEFAULT_CONFIG", "DEFAULT_TOKEN", "TOKEN", "ApiError", "Emulator"]
