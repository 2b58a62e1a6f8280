"""The Lexware Office emulator's core: `Emulator.handle(method, target, headers, body)`.

The public routes are Lexware's `/v1` API as MSPercury uses it (contacts, invoices with their
document file, files, voucherlist, payments, event subscriptions, profile); everything under
`/_emulator/` controls it (see emulators/README.md). Shapes and errors follow the API reference
(notes/connectors-lexware-sevdesk-polar.md §1): `Authorization: Bearer <key>`, 2 requests per
second per key (token bucket, 429 without executing), legacy `IssueList` errors for contacts
and files, regular errors (`timestamp/status/error/path/traceId/message/details`) elsewhere,
the gateway's `{"message": ...}` for 401/500/504. Standard library only.
"""

from __future__ import annotations

import html
import http.client
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .._doubles import (
    ApiError,
    ProviderEmulator,
    Response,
    iso_millis,
    json_response,
    minimal_pdf,
    money,
)
from . import invoices
from .signing import SigningKey
from .webhooks import Dispatcher

BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT_KEY = "lexware-emulator-key"
DEFAULT_ORGANIZATION = "8f3c1e52-6b1d-4c3e-9a51-3f0e2d7b9c10"
REASONS = {
    400: "Bad Request",
    404: "Not Found",
    406: "Not Acceptable",
    409: "Conflict",
    415: "Unsupported Media Type",
}
_EVENT_RESOURCES = (
    "article",
    "contact",
    "credit-note",
    "delivery-note",
    "down-payment-invoice",
    "dunning",
    "invoice",
    "order-confirmation",
    "quotation",
    "voucher",
)
EVENT_TYPES = (
    *(
        f"{resource}.{event}"
        for resource in _EVENT_RESOURCES
        for event in ("created", "changed", "deleted", "status.changed")
        if not (resource in ("article", "contact", "dunning") and event == "status.changed")
    ),
    "payment.changed",
    "recurring-template.created",
    "recurring-template.changed",
    "recurring-template.deleted",
    "token.revoked",
)
VOUCHER_TYPES = (
    "salesinvoice",
    "salescreditnote",
    "purchaseinvoice",
    "purchasecreditnote",
    "invoice",
    "downpaymentinvoice",
    "creditnote",
    "orderconfirmation",
    "quotation",
    "deliverynote",
)
VOUCHER_STATUSES = (
    "draft",
    "open",
    "paid",
    "paidoff",
    "voided",
    "transferred",
    "sepadebit",
    "overdue",
    "accepted",
    "rejected",
    "unchecked",
)
PAYMENT_ITEM_TYPES = (
    "partPaymentFinancialTransaction",
    "partPaymentCreditNote",
    "partPaymentCashBox",
    "manualPayment",
    "cashDiscount",
)
VAT_ID = re.compile(r"^[A-Z]{2}[0-9A-Z+*]{2,12}$")
PAGE_LIMIT, SEARCH_WINDOW = 250, 10_000

DEFAULT_CONFIG = {
    # Lexware: "A client can make up to 2 requests per second", token bucket, all endpoints.
    "rate_limit": 2.0,
    "rate_limit_burst": 2.0,
    # Callbacks: Lexware's read timeout is 5 s; the retry waits are multiplied by the scale.
    "webhook_timeout": 5.0,
    "webhook_retry_scale": 1.0,
    # Lexware wants https callback URLs and sends a HEAD first (406 when that fails).
    "require_https": False,
    "check_callback": True,
    # The organization's default payment term (Lexware takes it when none is sent).
    "payment_term_days": 14,
    "payment_term_label": "Zahlbar innerhalb von 14 Tagen ohne Abzug",
    "request_log_size": 2000,
    # RSA key size of the signing key pair (made once per emulator process).
    "signing_key_bits": 2048,
}


def _new_org(org_id: str, name: str) -> dict:
    return {
        "id": org_id,
        "name": name,
        "contacts": {},
        "invoices": {},
        "files": {},
        "subscriptions": {},
        "customer_number": 10000,
        "invoice_number": 1000,
    }


class Emulator(ProviderEmulator):
    label = "Lexware Office emulator"
    DEFAULT_CONFIG = DEFAULT_CONFIG
    persisted = ("orgs", "keys", "signing_key")

    def __init__(self, config: dict | None = None):
        bits = int({**DEFAULT_CONFIG, **(config or {})}["signing_key_bits"])
        self.signing_key = SigningKey(bits)  # kept across resets: receivers keep the key
        self.webhooks = Dispatcher(self)
        super().__init__(config)

    def reset_state(self) -> None:
        self.webhooks.reset()
        self.orgs = {DEFAULT_ORGANIZATION: _new_org(DEFAULT_ORGANIZATION, "Emulator GmbH")}
        self.keys = {DEFAULT_KEY: DEFAULT_ORGANIZATION}

    def dump(self) -> dict:
        return {
            "keys": {key: org for key, org in self.keys.items()},
            "organizations": {
                org_id: {
                    "name": org["name"],
                    "contacts": [_public(c) for c in org["contacts"].values()],
                    "invoices": [_public(i) for i in org["invoices"].values()],
                    "subscriptions": list(org["subscriptions"].values()),
                }
                for org_id, org in self.orgs.items()
            },
        }

    # -- time --------------------------------------------------------------------------------
    def stamp(self) -> str:
        return iso_millis(self.clock.datetime(), BERLIN)

    # -- the pipeline's hooks ----------------------------------------------------------------
    def public_route(self, method: str, path: str) -> Response | None:
        if method == "GET" and path == "/webhookSignature/public/public_key.pub":
            return Response(200, self.signing_key.public_pem().encode(), "text/plain")
        return None

    def authenticate(self, headers: dict, query: dict) -> str | None:
        scheme, _, token = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.keys:
            return None
        return token.strip()

    def allow(self, tenant: str) -> bool:
        rate = float(self.config["rate_limit"])
        return self.bucket.allow(tenant, rate, float(self.config["rate_limit_burst"]))

    def unauthorized(self) -> Response:
        return json_response(401, {"message": "Unauthorized"})

    def rate_limited(self) -> Response:
        # Lexware documents the status (429, "the actual call will not be performed"), not a
        # body; the gateway's {"message"} shape is assumed.
        return json_response(429, {"message": "Too Many Requests"})

    def fault_error(self, status: int) -> Response:
        return json_response(status, {"message": None})

    def gateway_timeout(self) -> Response:
        return json_response(504, {"message": "Endpoint request timed out"})

    def bad_json(self) -> Response:
        return self.regular(400, "/v1", "Malformed JSON request")

    # -- error bodies ------------------------------------------------------------------------
    def regular(self, status: int, path: str, message: str, details=None) -> Response:
        body = {
            "timestamp": self.stamp(),
            "status": status,
            "error": REASONS.get(status, "Error"),
            "path": path,
            "traceId": secrets.token_hex(6),
            "message": message,
        }
        if details is not None:
            body["details"] = details
        return json_response(status, body)

    def legacy(self, status: int, issues: list[tuple[str, str | None]], kind: str) -> Response:
        return json_response(
            status,
            {
                "IssueList": [
                    {
                        "i18nKey": key,
                        "source": source,
                        "type": kind,
                        "additionalData": None,
                        "args": None,
                    }
                    for key, source in issues
                ]
            },
        )

    def not_found(self, path: str) -> ApiError:
        if path.startswith(("/v1/contacts", "/v1/files")):
            return ApiError(self.legacy(404, [("not_found", None)], "not_found"))
        return ApiError(self.regular(404, path, "Resource not found"))

    # -- routing -----------------------------------------------------------------------------
    def route(self, method, path, query, headers, payload, tenant) -> Response:
        org = self.orgs[self.keys[tenant]]
        parts = path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "v1":
            return self._wrong_route(tenant)
        resource, rest = parts[1], parts[2:]
        handler = {
            "contacts": self._contacts,
            "invoices": self._invoices,
            "files": self._files,
            "voucherlist": self._voucherlist,
            "payments": self._payments,
            "event-subscriptions": self._subscriptions,
            "profile": self._profile,
        }.get(resource)
        if handler is None:
            return self._wrong_route(tenant)
        answer = handler(org, method, rest, query, headers, payload, path)
        return answer if answer is not None else self._wrong_route(tenant)

    def _wrong_route(self, token: str) -> Response:
        # What Lexware's gateway answers for an unknown URL or method.
        message = (
            f"'{token}' not a valid key=value pair (missing equal-sign) in Authorization "
            f"header: 'Bearer {token}'."
        )
        return json_response(403, {"message": message})

    def _action_result(self, status: int, resource: str, obj: dict) -> Response:
        uri = f"{self.base_url}/v1/{resource}/{obj['id']}"
        body = {
            "id": obj["id"],
            "resourceUri": uri,
            "createdDate": obj["createdDate"],
            "updatedDate": obj["updatedDate"],
            "version": obj["version"],
        }
        return json_response(status, body, {"Location": uri})

    # -- profile -----------------------------------------------------------------------------
    def _profile(self, org, method, rest, query, headers, payload, path):
        if method != "GET" or rest:
            return None
        return json_response(
            200,
            {
                "organizationId": org["id"],
                "companyName": org["name"],
                "created": {
                    "userId": org["id"],
                    "userName": "Emulator",
                    "userEmail": "api@emulator.invalid",
                    "date": "2025-01-01T00:00:00.000+01:00",
                },
                "connectionId": org["id"],
                "features": ["cashbox"],
                "businessFeatures": ["INVOICING", "INVOICING_PRO", "BOOKKEEPING"],
                "subscriptionStatus": "active",
                "taxType": "net",
                "smallBusiness": False,
            },
        )

    # -- contacts (legacy error bodies) ------------------------------------------------------
    def _contacts(self, org, method, rest, query, headers, payload, path):
        if not rest and method == "POST":
            return self._create_contact(org, payload)
        if not rest and method == "GET":
            return self._list_contacts(org, query)
        if len(rest) != 1:
            return None
        contact = org["contacts"].get(rest[0])
        if contact is None:
            raise self.not_found(path)
        if method == "GET":
            return json_response(200, _public(contact))
        if method == "PUT":
            return self._update_contact(org, contact, payload)
        return None

    def _contact_issues(self, payload, creating: bool) -> list[tuple[str, str | None]]:
        if not isinstance(payload, dict):
            return [("missing_entity", "contact")]
        issues: list[tuple[str, str | None]] = []
        if payload.get("version") is None:
            issues.append(("missing_entity", "version"))
        elif creating and payload["version"] != 0:
            issues.append(("invalid_value", "version"))
        roles = payload.get("roles")
        if not isinstance(roles, dict) or not set(roles) & {"customer", "vendor"}:
            issues.append(("missing_entity", "roles"))
        company, person = payload.get("company"), payload.get("person")
        if company and person:
            issues.append(("invalid_value", "person"))
        elif company:
            if not company.get("name"):
                issues.append(("missing_entity", "company.name"))
            vat_id = company.get("vatRegistrationId")
            if vat_id and not VAT_ID.match(vat_id.replace(" ", "")):
                issues.append(("invalid_value", "company.vatRegistrationId"))
            if len(company.get("contactPersons") or []) > 1:
                issues.append(("invalid_value", "company.contactPersons"))
        elif person:
            if not person.get("lastName"):
                issues.append(("missing_entity", "person.lastName"))
        else:
            issues.append(("missing_entity", "company.name"))
        addresses = payload.get("addresses") or {}
        for kind in ("billing", "shipping"):
            entries = addresses.get(kind) or []
            if len(entries) > 1:
                issues.append(("invalid_value", f"addresses.{kind}"))
            for index, entry in enumerate(entries):
                code = (entry or {}).get("countryCode")
                if not code:
                    issues.append(("missing_entity", f"addresses.{kind}[{index}].countryCode"))
                elif not re.fullmatch(r"[A-Z]{2}", code):
                    issues.append(("invalid_value", f"addresses.{kind}[{index}].countryCode"))
        xrechnung = payload.get("xRechnung") or {}
        if xrechnung.get("buyerReference") and not xrechnung.get("vendorNumberAtCustomer"):
            issues.append(("missing_entity", "xRechnung.vendorNumberAtCustomer"))
        for group in ("emailAddresses", "phoneNumbers"):
            for kind, values in (payload.get(group) or {}).items():
                if len(values or []) > 1:
                    issues.append(("invalid_value", f"{group}.{kind}"))
        if len(payload.get("note") or "") > 1000:
            issues.append(("invalid_value", "note"))
        return issues

    def _stored_contact(self, org, payload: dict, old: dict | None) -> dict:
        now = self.stamp()
        if old is None:
            org["customer_number"] += 1
            sequence = org["customer_number"]
        else:
            sequence = old["_sequence"]
        numbers = {"customer": sequence, "vendor": 70000 + sequence - 10000}
        contact = {
            "id": old["id"] if old else str(uuid.uuid4()),
            "organizationId": org["id"],
            "version": old["version"] + 1 if old else 0,
            "roles": {
                role: {"number": numbers[role]} for role in numbers if role in payload["roles"]
            },
            "archived": bool(payload.get("archived", False)),
            "_sequence": sequence,
            "_createdDate": old["_createdDate"] if old else now,
            "_updatedDate": now,
        }
        for field in ("company", "person", "addresses", "xRechnung", "emailAddresses"):
            if payload.get(field) is not None:
                contact[field] = payload[field]
        for field in ("phoneNumbers", "note"):
            if payload.get(field) is not None:
                contact[field] = payload[field]
        return contact

    def _contact_result(self, contact: dict) -> Response:
        dates = {"createdDate": contact["_createdDate"], "updatedDate": contact["_updatedDate"]}
        return self._action_result(201 if contact["version"] == 0 else 200, "contacts",
                                   {**contact, **dates})  # fmt: skip

    def _create_contact(self, org, payload) -> Response:
        issues = self._contact_issues(payload, creating=True)
        if issues:
            return self.legacy(406, issues, "validation_failure")
        contact = self._stored_contact(org, payload, None)
        org["contacts"][contact["id"]] = contact
        self.emit(org, "contact.created", contact["id"])
        return self._contact_result(contact)

    def _update_contact(self, org, contact, payload) -> Response:
        issues = self._contact_issues(payload, creating=False)
        if issues:
            return self.legacy(406, issues, "validation_failure")
        if payload["version"] != contact["version"]:
            return self.legacy(409, [("conflict", "version")], "conflict")
        updated = self._stored_contact(org, payload, contact)
        org["contacts"][contact["id"]] = updated
        self.emit(org, "contact.changed", contact["id"])
        return self._contact_result(updated)

    def _list_contacts(self, org, query) -> Response:
        for name in ("email", "name"):
            value = query.get(name)
            if value is not None and not 3 <= len(value) <= 255:
                return self.legacy(
                    400, [("bad_request_error", "size must be between 3 and 255")],
                    "bad_request_error",
                )  # fmt: skip
        rows = [_public(c) for c in org["contacts"].values()]
        if query.get("name"):
            pattern = _like(query["name"])
            rows = [c for c in rows if any(pattern.search(n) for n in _contact_names(c))]
        if query.get("email"):
            pattern = _like(query["email"])
            rows = [c for c in rows if any(pattern.search(e) for e in _emails(c))]
        if query.get("number"):
            number = query["number"]
            rows = [
                c for c in rows
                if number in {str(r.get("number")) for r in c["roles"].values()}
            ]  # fmt: skip
        for role in ("customer", "vendor"):
            if query.get(role) in ("true", "false"):
                wanted = query[role] == "true"
                rows = [c for c in rows if (role in c["roles"]) == wanted]
        return self.page(rows, query, "/v1/contacts", sort_property="name")

    def page(self, rows: list, query: dict, path: str, sort_property: str, direction="ASC"):
        try:
            size = int(query.get("size") or 25)
            number = int(query.get("page") or 0)
        except ValueError as exc:
            raise ApiError(self.regular(400, path, "page and size must be numbers")) from exc
        if size < 1 or size > PAGE_LIMIT or number < 0:
            raise ApiError(self.regular(400, path, f"size must be between 1 and {PAGE_LIMIT}"))
        if (number + 1) * size > SEARCH_WINDOW:
            raise ApiError(self.regular(400, path, "Maximum search window size exceeded"))
        total = len(rows)
        content = rows[number * size : (number + 1) * size]
        pages = max(1, -(-total // size))
        return json_response(
            200,
            {
                "content": content,
                "first": number == 0,
                "last": number >= pages - 1,
                "totalPages": pages,
                "totalElements": total,
                "numberOfElements": len(content),
                "size": size,
                "number": number,
                "sort": [
                    {
                        "property": sort_property,
                        "direction": direction,
                        "ignoreCase": False,
                        "nullHandling": "NATIVE",
                        "ascending": direction == "ASC",
                    }
                ],
            },
        )

    # -- invoices ----------------------------------------------------------------------------
    def _invoices(self, org, method, rest, query, headers, payload, path):
        if not rest and method == "POST":
            return self._create_invoice(org, query, headers, payload, path)
        if not rest or len(rest) > 2 or method != "GET":
            return None
        invoice = org["invoices"].get(rest[0])
        if invoice is None:
            raise self.not_found(path)
        if len(rest) == 1:
            return json_response(200, _public(invoice))
        if rest[1] == "document":
            if invoice["voucherStatus"] == "draft":
                return self.regular(406, path, "Draft invoices have no document file.")
            return json_response(200, {"documentFileId": invoice["files"]["documentFileId"]})
        if rest[1] == "file":
            return self._invoice_file(org, invoice, headers.get("accept") or "*/*", path)
        return None

    def _create_invoice(self, org, query, headers, payload, path) -> Response:
        if "json" not in (headers.get("content-type") or "application/json"):
            return self.regular(415, path, "Content type not supported")
        if query.get("precedingSalesVoucherId"):
            return self.regular(406, path, "precedingSalesVoucherId is not modelled")
        details = invoices.validate(payload, lambda cid: cid in org["contacts"])
        if details:
            return self.regular(
                406,
                path,
                "Validation failed for request. Please see details list for specific causes.",
                details,
            )
        finalize = query.get("finalize") == "true"
        invoice = self._build_invoice(org, payload, finalize)
        org["invoices"][invoice["id"]] = invoice
        self.emit(org, "invoice.created", invoice["id"])
        return self._action_result(201, "invoices", invoice)

    def _build_invoice(self, org, payload: dict, finalize: bool) -> dict:
        tax_type = payload["taxConditions"]["taxType"]
        lines, total, taxes = invoices.compute(payload["lineItems"], tax_type)
        now = self.stamp()
        voucher_date = datetime.fromisoformat(payload["voucherDate"])
        conditions = dict(payload.get("paymentConditions") or {})
        conditions.setdefault("paymentTermLabel", self.config["payment_term_label"])
        conditions.setdefault("paymentTermDuration", int(self.config["payment_term_days"]))
        conditions.setdefault("paymentTermLabelTemplate", conditions["paymentTermLabel"])
        contact = org["contacts"].get((payload["address"] or {}).get("contactId") or "")
        invoice = {
            "id": str(uuid.uuid4()),
            "organizationId": org["id"],
            "createdDate": now,
            "updatedDate": now,
            "version": 1 if finalize else 0,
            "language": payload.get("language") or "de",
            "archived": False,
            "voucherStatus": "open" if finalize else "draft",
            "voucherDate": payload["voucherDate"],
            "address": _invoice_address(payload["address"], contact),
            "electronicDocumentProfile": "NONE",
            "lineItems": lines,
            "totalPrice": total,
            "taxAmounts": taxes,
            "taxConditions": payload["taxConditions"],
            "paymentConditions": conditions,
            "shippingConditions": payload["shippingConditions"],
            "relatedVouchers": [],
            "title": payload.get("title") or "Rechnung",
            "introduction": payload.get("introduction") or "",
            "remark": payload.get("remark") or "",
            "_payments": [],
        }
        if finalize:
            due = voucher_date + timedelta(days=int(conditions["paymentTermDuration"]))
            invoice["dueDate"] = iso_millis(due, BERLIN)
            self._finalize(org, invoice, contact)
        return invoice

    def _finalize(self, org, invoice: dict, contact: dict | None) -> None:
        org["invoice_number"] += 1
        invoice["voucherNumber"] = f"RE{org['invoice_number']}"
        invoice["voucherStatus"] = "open"
        xrechnung = (contact or {}).get("xRechnung") or {}
        if xrechnung.get("buyerReference") and invoice["taxConditions"]["taxType"] == "net":
            invoice["electronicDocumentProfile"] = "XRechnung"
        file_id = str(uuid.uuid4())
        invoice["files"] = {"documentFileId": file_id}
        org["files"][file_id] = invoice["id"]

    def _invoice_file(self, org, invoice: dict, accept: str, path: str) -> Response:
        if invoice["voucherStatus"] == "draft":
            return self.regular(409, path, "Draft invoices have no document file.")
        wants = [a.split(";")[0].strip() for a in accept.split(",")]
        xrechnung = invoice["electronicDocumentProfile"] == "XRechnung"
        if any(w in ("*/*", "application/*") for w in wants):
            return self._xml(invoice) if xrechnung else self._pdf(invoice)
        if "application/xml" in wants:
            if not xrechnung:
                raise self.not_found(path)
            return self._xml(invoice)
        if "application/pdf" in wants:
            return self._pdf(invoice)
        return self.regular(406, path, "Requested media type is not supported")

    def _pdf(self, invoice: dict) -> Response:
        total = invoice["totalPrice"]
        lines = [
            f"Rechnung {invoice.get('voucherNumber', '')}",
            f"Datum {invoice['voucherDate'][:10]}",
            invoice["address"].get("name", ""),
            *[
                f"{item.get('quantity', '')} x {item.get('name', '')}"
                f"  {item.get('lineItemAmount', '')}"
                for item in invoice["lineItems"]
            ],
            f"Netto {total['totalNetAmount']:.2f} EUR",
            f"USt {total['totalTaxAmount']:.2f} EUR",
            f"Brutto {total['totalGrossAmount']:.2f} EUR",
            invoice.get("remark") or "",
        ]
        name = f"Rechnung_{invoice.get('voucherNumber', invoice['id'])}.pdf"
        return Response(
            200,
            minimal_pdf(lines),
            "application/pdf",
            {"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def _xml(self, invoice: dict) -> Response:
        # A placeholder, not a valid XRechnung: it carries the number and the gross total.
        number = html.escape(invoice.get("voucherNumber", ""))
        total = invoice["totalPrice"]["totalGrossAmount"]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rsm:CrossIndustryInvoice '
            'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">'
            f"<!-- emulator placeholder --><ID>{number}</ID><GrandTotalAmount>{total:.2f}"
            "</GrandTotalAmount></rsm:CrossIndustryInvoice>\n"
        )
        name = f"Rechnung_{invoice.get('voucherNumber', '')}.xml"
        return Response(
            200,
            body.encode(),
            "application/xml",
            {"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def _files(self, org, method, rest, query, headers, payload, path):
        if method != "GET" or len(rest) != 1:
            return None
        invoice_id = org["files"].get(rest[0])
        if invoice_id is None:
            raise self.not_found(path)
        return self._pdf(org["invoices"][invoice_id])

    # -- voucherlist -------------------------------------------------------------------------
    def _voucherlist(self, org, method, rest, query, headers, payload, path):
        if method != "GET" or rest:
            return None
        types, statuses = query.get("voucherType"), query.get("voucherStatus")
        if not types or not statuses:
            return self.regular(400, path, "voucherType and voucherStatus are required")
        types = VOUCHER_TYPES if types == "any" else types.split(",")
        statuses = VOUCHER_STATUSES if statuses == "any" else statuses.split(",")
        if set(types) - set(VOUCHER_TYPES) or set(statuses) - set(VOUCHER_STATUSES):
            return self.regular(400, path, "unknown voucherType or voucherStatus")
        if "overdue" in statuses and len(statuses) > 1 and query["voucherStatus"] != "any":
            return self.regular(400, path, "overdue cannot be combined with other states")
        rows = [self._list_entry(i) for i in org["invoices"].values()] if "invoice" in types else []
        rows = [r for r in rows if _status_matches(r["voucherStatus"], statuses)]
        rows = self._filter_vouchers(rows, query, path)
        sort = (query.get("sort") or "voucherDate,DESC").split(",")
        key = sort[0]
        if key not in ("voucherDate", "voucherNumber", "createdDate", "updatedDate"):
            return self.regular(400, path, f"cannot sort by {key}")
        direction = (sort[1] if len(sort) > 1 else "ASC").upper()
        rows.sort(key=lambda r: _sort_key(r, key), reverse=direction == "DESC")
        return self.page(rows, query, path, key.lower(), direction)

    def _list_entry(self, invoice: dict) -> dict:
        status = invoice["voucherStatus"]
        if status == "open" and _parse(invoice["dueDate"]) < self.clock.datetime():
            status = "overdue"
        draft = invoice["voucherStatus"] == "draft"
        return {
            "id": invoice["id"],
            "voucherType": "invoice",
            "voucherStatus": status,
            "voucherNumber": invoice.get("voucherNumber"),
            "voucherDate": invoice["voucherDate"],
            "createdDate": invoice["createdDate"],
            "updatedDate": invoice["updatedDate"],
            "dueDate": invoice.get("dueDate"),
            "contactId": invoice["address"].get("contactId"),
            "contactName": invoice["address"].get("name"),
            "totalAmount": invoice["totalPrice"]["totalGrossAmount"],
            "openAmount": None if draft else _open_amount(invoice),
            "currency": "EUR",
            "archived": invoice["archived"],
        }

    def _filter_vouchers(self, rows: list[dict], query: dict, path: str) -> list[dict]:
        if query.get("contactId"):
            rows = [r for r in rows if r["contactId"] == query["contactId"]]
        if query.get("voucherNumber"):
            number = html.unescape(query["voucherNumber"])
            rows = [r for r in rows if r["voucherNumber"] == number]
        if query.get("archived") in ("true", "false"):
            rows = [r for r in rows if r["archived"] == (query["archived"] == "true")]
        for field in ("voucherDate", "createdDate", "updatedDate"):
            for bound in ("From", "To"):
                value = query.get(field + bound)
                if not value:
                    continue
                try:
                    day = datetime.strptime(value, "%Y-%m-%d").date()
                except ValueError as exc:
                    message = f"{field}{bound} must be yyyy-MM-dd"
                    raise ApiError(self.regular(400, path, message)) from exc
                # A full day in CET/CEST.
                if bound == "From":
                    rows = [r for r in rows if _local_day(r[field]) >= day]
                else:
                    rows = [r for r in rows if _local_day(r[field]) <= day]
        return rows

    # -- payments ----------------------------------------------------------------------------
    def _payments(self, org, method, rest, query, headers, payload, path):
        if method != "GET" or len(rest) != 1:
            return None
        invoice = org["invoices"].get(rest[0])
        if invoice is None:
            raise self.not_found(path)
        if invoice["voucherStatus"] == "draft":
            return self.regular(406, path, "Payments of draft vouchers are not available.")
        return json_response(200, self.payment_state(invoice))

    def payment_state(self, invoice: dict) -> dict:
        status = invoice["voucherStatus"]
        open_amount = 0.0 if status == "voided" else _open_amount(invoice)
        state = {
            "openAmount": open_amount,
            "currency": "EUR",
            "paymentStatus": "balanced" if open_amount == 0 else "openRevenue",
            "voucherType": "invoice",
            "voucherStatus": status,
            "paymentItems": [dict(p) for p in invoice["_payments"]],
        }
        if status == "paid":
            state["paidDate"] = invoice["_paidDate"]
        return state

    # -- event subscriptions -----------------------------------------------------------------
    def _subscriptions(self, org, method, rest, query, headers, payload, path):
        subscriptions = org["subscriptions"]
        if not rest and method == "POST":
            return self._subscribe(org, payload, path, headers)
        if not rest and method == "GET":
            return json_response(200, {"content": [_sub(s) for s in subscriptions.values()]})
        if len(rest) != 1 or method not in ("GET", "DELETE"):
            return None
        subscription = subscriptions.get(rest[0])
        if subscription is None:
            raise self.not_found(path)
        if method == "GET":
            return json_response(200, _sub(subscription))
        del subscriptions[rest[0]]
        return Response(204, b"")

    def _subscribe(self, org, payload, path, headers) -> Response:
        payload = payload if isinstance(payload, dict) else {}
        event_type = (payload.get("eventType") or "").lower()
        url = payload.get("callbackUrl") or ""
        details = []
        if not event_type:
            details.append(
                {"violation": "NOTNULL", "field": "eventType", "message": "darf nicht leer sein"}
            )
        elif event_type not in EVENT_TYPES:
            details.append(
                {
                    "violation": "INVALID_VALUE",
                    "field": "eventType",
                    "message": "unbekannter Ereignistyp",
                }
            )
        if not url:
            details.append(
                {"violation": "NOTNULL", "field": "callbackUrl", "message": "darf nicht leer sein"}
            )
        if details:
            return self.regular(406, path, "Validation failed for request.", details)
        if self.config["require_https"] and not url.startswith("https://"):
            return self.regular(406, path, "The callback url must use https.")
        if self.config["check_callback"] and not _head_ok(url):
            return self.regular(406, path, "The callback url could not be reached (HEAD).")
        for existing in org["subscriptions"].values():
            if existing["eventType"] == event_type and existing["callbackUrl"] == url:
                return self.regular(409, path, "Subscription for this event and url exists.")
        now = self.stamp()
        token = (headers.get("authorization") or "").partition(" ")[2].strip()
        subscription = {
            "subscriptionId": str(uuid.uuid4()),
            "organizationId": org["id"],
            "createdDate": now,
            "eventType": event_type,
            "callbackUrl": url,
            "_key": token,
        }
        org["subscriptions"][subscription["subscriptionId"]] = subscription
        result = {"id": subscription["subscriptionId"], "createdDate": now, "updatedDate": now}
        return self._action_result(201, "event-subscriptions", {**result, "version": 0})

    def emit(self, org: dict, event_type: str, resource_id: str) -> None:
        payload = {
            "organizationId": org["id"],
            "eventType": event_type,
            "resourceId": resource_id,
            "eventDate": self.stamp(),
        }
        for subscription in list(org["subscriptions"].values()):
            if subscription["eventType"] == event_type:
                self.webhooks.enqueue(subscription, payload)

    def drop_subscription(self, subscription_id: str, reason: str) -> None:
        with self.lock:
            for org in self.orgs.values():
                org["subscriptions"].pop(subscription_id, None)

    # -- provider-side actions (control API) -------------------------------------------------
    def record_payment(self, org, invoice: dict, amount, kind: str, date: str | None) -> dict:
        """A bank transfer (or another payment) booked on the invoice in Lexware."""
        if invoice["voucherStatus"] not in ("open", "paid"):
            raise ValueError(f"the invoice is {invoice['voucherStatus']}, not open")
        if kind not in PAYMENT_ITEM_TYPES:
            raise ValueError(f"type must be one of {', '.join(PAYMENT_ITEM_TYPES)}")
        amount = float(money(amount))
        if amount <= 0:
            raise ValueError("amount must be positive")
        posting = date or self.stamp()
        invoice["_payments"].append(
            {"paymentItemType": kind, "postingDate": posting, "amount": amount, "currency": "EUR"}
        )
        before = invoice["voucherStatus"]
        if _open_amount(invoice) <= 0:
            invoice["voucherStatus"] = "paid"
            invoice["_paidDate"] = self.stamp()
        self._touch(invoice)
        self.emit(org, "payment.changed", invoice["id"])
        if invoice["voucherStatus"] != before:
            self.emit(org, "invoice.status.changed", invoice["id"])
        self.emit(org, "invoice.changed", invoice["id"])
        return self.payment_state(invoice)

    def _touch(self, invoice: dict) -> None:
        invoice["updatedDate"] = self.stamp()
        invoice["version"] += 1

    def control(self, method, path, query, payload) -> Response | None:
        from .control import handle_control

        return handle_control(self, method, path, query, payload)

    def find_invoice(self, invoice_id: str) -> tuple[dict, dict]:
        for org in self.orgs.values():
            if invoice_id in org["invoices"]:
                return org, org["invoices"][invoice_id]
        raise KeyError(f"no invoice {invoice_id}")


def _public(invoice: dict) -> dict:
    return {k: v for k, v in invoice.items() if not k.startswith("_")}


def _sub(subscription: dict) -> dict:
    return {k: v for k, v in subscription.items() if not k.startswith("_")}


def _open_amount(invoice: dict) -> float:
    paid = sum(money(p["amount"]) for p in invoice["_payments"])
    return float(max(money(invoice["totalPrice"]["totalGrossAmount"]) - paid, money(0)))


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def _local_day(stamp: str | None):
    return _parse(stamp).astimezone(BERLIN).date() if stamp else datetime.min.date()


def _sort_key(row: dict, key: str):
    value = row.get(key)
    if key == "voucherNumber":
        return value or ""
    return _parse(value) if value else datetime.min.replace(tzinfo=UTC)


def _status_matches(status: str, wanted) -> bool:
    if status in wanted:
        return True
    # "overdue" is transient: it shows when filtering for open.
    return status == "overdue" and "open" in wanted


def _like(value: str) -> re.Pattern:
    value = html.unescape(value)
    pattern = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in value)
    return re.compile(pattern, re.IGNORECASE)


def _contact_names(contact: dict) -> list[str]:
    names = []
    if contact.get("company"):
        names.append(contact["company"].get("name") or "")
    if contact.get("person"):
        person = contact["person"]
        names.append(f"{person.get('firstName') or ''} {person.get('lastName') or ''}".strip())
    return names


def _emails(contact: dict) -> list[str]:
    found = [e for values in (contact.get("emailAddresses") or {}).values() for e in values or []]
    for person in (contact.get("company") or {}).get("contactPersons") or []:
        if person.get("emailAddress"):
            found.append(person["emailAddress"])
    return found


def _invoice_address(address: dict, contact: dict | None) -> dict:
    if contact is None:
        return dict(address)
    billing = ((contact.get("addresses") or {}).get("billing") or [{}])[0]
    name = _contact_names(contact)[0] if _contact_names(contact) else ""
    resolved = {"contactId": contact["id"], "name": name}
    for field in ("supplement", "street", "city", "zip", "countryCode"):
        if billing.get(field):
            resolved[field] = billing[field]
    # A deviating address given with the contact id is printed instead (not stored back).
    resolved.update({k: v for k, v in address.items() if k != "contactId" and v})
    return resolved


def _head_ok(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, parts.port, timeout=3)
    try:
        connection.request("HEAD", parts.path or "/")
        connection.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
