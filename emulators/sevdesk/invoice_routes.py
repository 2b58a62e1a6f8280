"""sevDesk's /Invoice routes: saveInvoice (create and update), list with filters, one invoice,
its positions, getPdf, sendBy, sendViaEmail, bookAmount, getIsPartiallyPaid.

Status moves as in Update 2.0: created as draft (100); sendBy/sendViaEmail → open (200);
bookAmount (or a bank transfer through the control API) → partially paid (750) or paid (1000);
every change stamps `update`, which `updateAfter` filters on (the way to poll: no webhooks).
"""

from __future__ import annotations

from decimal import Decimal

from .._doubles import json_response, money
from .invoices import (
    BOOKING_TYPES_REDUCING,
    Invalid,
    check_invoice,
    check_positions,
    compute,
    parse_date,
    ref_id,
)

FIELDS = (
    "invoiceDate", "header", "headText", "footText", "timeToPay", "discountTime", "discount",
    "addressCountry", "deliveryDate", "deliveryDateUntil", "smallSettlement", "contactPerson",
    "taxRule", "taxText", "taxType", "invoiceType", "address", "currency", "customerInternalNote",
    "showNet", "propertyIsEInvoice", "paymentMethod", "invoiceNumber", "contact",
)  # fmt: skip


def dispatch(emu, client, method, rest, query, payload):
    if not rest and method == "GET":
        return emu._listing(_rows(emu, client, query), query)
    if rest == ["Factory", "saveInvoice"] and method == "POST":
        return _save(emu, client, payload)
    if not rest or not rest[0].isdigit():
        return None
    invoice = client["Invoice"].get(int(rest[0]))
    if invoice is None:
        raise Invalid(400, "Invoice was not found")
    action = rest[1] if len(rest) > 1 else None
    route = (method, action)
    if route == ("GET", None):
        return json_response(200, {"objects": [invoice_out(emu, invoice, client)]})
    if route == ("GET", "getPositions"):
        rows = [_position_out(emu, p, client) for p in _positions(client, invoice)]
        return emu._listing(rows, query)
    if route == ("GET", "getPdf"):
        return json_response(200, {"objects": emu.pdf(invoice, client)})
    if route == ("GET", "getIsPartiallyPaid"):
        return json_response(200, {"objects": invoice["status"] == 750})
    if route == ("PUT", "sendBy"):
        return _send_by(emu, client, invoice, payload or {})
    if route == ("POST", "sendViaEmail"):
        return _send_via_email(emu, client, invoice, payload or {})
    if route == ("PUT", "bookAmount"):
        log = book(emu, client, invoice, payload or {})
        return json_response(200, log)
    return None


def _positions(client, invoice) -> list[dict]:
    return [p for p in client["InvoicePos"].values() if p["invoice"] == invoice["id"]]


# -- saveInvoice ------------------------------------------------------------------------------
def _save(emu, client, payload):
    if not isinstance(payload, dict):
        raise Invalid(400, "Missing request body")
    given = payload.get("invoice")
    existing = None
    if isinstance(given, dict) and given.get("id") not in (None, ""):
        existing = client["Invoice"].get(int(given["id"]))
        if existing is None:
            raise Invalid(400, "Invoice was not found")
        if existing["status"] != 100:
            raise Invalid(422, "Only draft invoices (100) can be changed")
        given = {**{k: existing[k] for k in FIELDS if k in existing}, **given, "status": 100}
    check_invoice(given, creating=existing is None)
    _check_references(emu, client, given)
    rule = ref_id(given["taxRule"], "TaxRule", "invoice.taxRule")
    new_positions = payload.get("invoicePosSave") or []
    check_positions(new_positions, rule)
    invoice_date = parse_date(given["invoiceDate"], emu_zone())
    delivery = given.get("deliveryDate")
    late = delivery not in (None, "") and given["invoiceType"] == "RE"
    if late and parse_date(delivery, emu_zone()).date() > invoice_date.date():
        raise Invalid(
            422,
            "You can not create a regular invoice with the deliveryDate being later than "
            "the invoiceDate",
        )
    invoice = existing or {"id": emu.new_id(), "_create": emu.clock.now(), "_paid": Decimal(0)}
    _apply(emu, client, invoice, given, invoice_date)
    for ref in payload.get("invoicePosDelete") or []:
        client["InvoicePos"].pop(int(ref_id(ref, "InvoicePos", "invoicePosDelete")), None)
    for index, position in enumerate(new_positions):
        row = dict(position, invoice=invoice["id"], id=emu.new_id(), _create=emu.clock.now())
        row.setdefault("positionNumber", index + 1)
        client["InvoicePos"][row["id"]] = row
    _recompute(client, invoice)
    client["Invoice"][invoice["id"]] = invoice
    body = {
        "invoice": invoice_out(emu, invoice, client),
        "invoicePos": [_position_out(emu, p, client) for p in _positions(client, invoice)],
        "filename": f"{invoice['invoiceNumber']}.pdf",
    }
    return json_response(201 if existing is None else 200, {"objects": body})


def emu_zone():
    from .app import BERLIN

    return BERLIN


def _check_references(emu, client, given: dict) -> None:
    contact = ref_id(given["contact"], "Contact", "invoice.contact")
    if int(contact) not in client["Contact"]:
        raise Invalid(400, "Contact was not found")
    if ref_id(given["contactPerson"], "SevUser", "invoice.contactPerson") != "1":
        raise Invalid(400, "SevUser was not found")
    country = ref_id(given["addressCountry"], "StaticCountry", "invoice.addressCountry")
    from .app import COUNTRIES

    if int(country) not in {c[0] for c in COUNTRIES}:
        raise Invalid(400, "StaticCountry was not found")


def _apply(emu, client, invoice: dict, given: dict, invoice_date) -> None:
    for field in FIELDS:
        if field in given:
            invoice[field] = given[field]
    if not invoice.get("invoiceNumber"):
        client["invoice_number"] += 1
        invoice["invoiceNumber"] = f"RE-{client['invoice_number']}"
    invoice.setdefault("header", f"Rechnung Nr. {invoice['invoiceNumber']}")
    if not invoice.get("address"):
        invoice["address"] = _default_address(client, int(given["contact"]["id"]))
    invoice["_invoiceDate"] = invoice_date.timestamp()
    for field in ("deliveryDate", "deliveryDateUntil"):
        value = given.get(field)
        invoice[f"_{field}"] = parse_date(value, emu_zone()).timestamp() if value else None
    invoice["status"] = int(given.get("status") or 100)
    invoice["_update"] = emu.clock.now()


def _default_address(client, contact_id: int) -> str:
    contact = client["Contact"][contact_id]
    lines = [
        contact.get("name") or f"{contact.get('surename', '')} {contact.get('familyname', '')}"
    ]
    for address in client["ContactAddress"].values():
        if address["contact"] == str(contact_id):
            lines += [
                address.get("street") or "",
                f"{address.get('zip', '')} {address.get('city', '')}",
            ]
            break
    return "\n".join(line.strip() for line in lines if line and line.strip())


def _recompute(client, invoice: dict) -> None:
    show_net = invoice.get("showNet") not in (False, 0, "0", "false")
    positions = _positions(client, invoice)
    computed, sums = compute(positions, show_net)
    for row, done in zip(positions, computed, strict=True):
        row.update({k: done[k] for k in ("priceNet", "priceGross", "priceTax", "sumNet")})
    invoice["_sums"] = sums


# -- status changes ---------------------------------------------------------------------------
def _send_by(emu, client, invoice, payload):
    send_type = payload.get("sendType")
    from .app import SEND_TYPES

    if send_type not in SEND_TYPES or "sendDraft" not in payload:
        raise Invalid(400, "sendType (VPR, VP, VM, VPDF) and sendDraft are required")
    if not payload["sendDraft"]:
        _mark_sent(emu, invoice, send_type)
    return json_response(200, {"objects": invoice_out(emu, invoice, client)})


def _send_via_email(emu, client, invoice, payload):
    for field in ("toEmail", "subject", "text"):
        if not payload.get(field):
            raise Invalid(400, f"Missing required parameter: {field}")
    _mark_sent(emu, invoice, "VM")
    mail = {
        "id": str(emu.new_id()),
        "objectName": "Email",
        "create": emu.stamp(),
        "from": "rechnung@emulator.invalid",
        "to": payload["toEmail"],
        "subject": payload["subject"],
        "text": payload["text"],
        "object": {"id": str(invoice["id"]), "objectName": "Invoice"},
    }
    invoice.setdefault("_mails", []).append(mail)
    return json_response(201, {"objects": mail})


def _mark_sent(emu, invoice, send_type: str) -> None:
    if invoice["status"] == 100:
        invoice["status"] = 200
    invoice["sendType"] = send_type
    invoice["_sendDate"] = emu.clock.now()
    invoice["_update"] = emu.clock.now()


def book(emu, client, invoice, payload) -> dict:
    """PUT /Invoice/{id}/bookAmount (also the control API's bank transfer)."""
    for field in ("amount", "date", "type", "checkAccount"):
        if payload.get(field) in (None, ""):
            raise Invalid(400, f"Missing required parameter: {field}")
    if payload["type"] not in ("FULL_PAYMENT", "N", "OF", *BOOKING_TYPES_REDUCING):
        raise Invalid(400, "Unknown booking type")
    account = ref_id(payload["checkAccount"], "CheckAccount", "checkAccount")
    if int(account) not in client["CheckAccount"]:
        raise Invalid(400, "CheckAccount was not found")
    if invoice["status"] == 100:
        raise Invalid(400, "A draft invoice can not be booked")
    if invoice["status"] == 1000:
        raise Invalid(400, "The invoice is already paid")
    try:
        amount = money(payload["amount"])
    except ArithmeticError as exc:
        raise Invalid(400, "amount must be a number") from exc
    if amount <= 0:
        raise Invalid(400, "amount must be positive")
    booked_at = parse_date(payload["date"], emu_zone())
    before = invoice["status"]
    invoice["_paid"] += amount
    full = invoice["_paid"] >= money(invoice["_sums"]["sumGross"])
    reduces = payload["type"] in BOOKING_TYPES_REDUCING
    invoice["status"] = 1000 if full or reduces else 750
    invoice["_payDate"] = booked_at.timestamp()
    invoice["_update"] = emu.clock.now()
    log_id = emu.new_id()
    log = {
        "id": str(log_id),
        "objectName": "InvoiceLog",
        "additionalInformation": None,
        "create": emu.stamp(),
        "creditNote": {"id": invoice["id"], "objectName": "Invoice"},
        "fromStatus": str(before),
        "toStatus": str(invoice["status"]),
        "ammountPayed": _num(invoice["_paid"]),
        "bookingDate": emu.stamp(booked_at),
        "sevClient": {"id": client["id"], "objectName": "SevClient"},
    }
    client["InvoiceLog"][log_id] = log
    return log


# -- output -----------------------------------------------------------------------------------
def _num(value) -> str:
    from .app import _num as number

    return number(value)


def _stamp(emu, timestamp):
    from .app import _at

    return emu.stamp(_at(timestamp)) if timestamp else None


def invoice_out(emu, invoice: dict, client) -> dict:
    sums = invoice["_sums"]
    contact_id = invoice["contact"]["id"]
    return {
        "id": str(invoice["id"]),
        "objectName": "Invoice",
        "invoiceNumber": invoice["invoiceNumber"],
        "contact": {"id": str(contact_id), "objectName": "Contact"},
        "create": _stamp(emu, invoice["_create"]),
        "update": _stamp(emu, invoice["_update"]),
        "sevClient": {"id": str(client["id"]), "objectName": "SevClient"},
        "invoiceDate": _stamp(emu, invoice["_invoiceDate"]),
        "header": invoice.get("header"),
        "headText": invoice.get("headText"),
        "footText": invoice.get("footText"),
        "timeToPay": _opt(invoice.get("timeToPay")),
        "discountTime": _opt(invoice.get("discountTime")),
        "discount": _num(invoice.get("discount") or 0),
        "addressCountry": {
            "id": str(invoice["addressCountry"]["id"]),
            "objectName": "StaticCountry",
        },
        "payDate": _stamp(emu, invoice.get("_payDate")),
        "createUser": {"id": "1", "objectName": "SevUser"},
        "deliveryDate": _stamp(emu, invoice.get("_deliveryDate")),
        "deliveryDateUntil": _stamp(emu, invoice.get("_deliveryDateUntil")),
        "status": str(invoice["status"]),
        "smallSettlement": "1" if invoice.get("smallSettlement") else "0",
        "contactPerson": {"id": "1", "objectName": "SevUser"},
        "taxRate": "0",
        "taxRule": {"id": str(invoice["taxRule"]["id"]), "objectName": "TaxRule"},
        "taxText": invoice.get("taxText"),
        "taxType": invoice.get("taxType"),
        "sendDate": _stamp(emu, invoice.get("_sendDate")),
        "sendType": invoice.get("sendType"),
        "invoiceType": invoice["invoiceType"],
        "address": invoice.get("address"),
        "currency": invoice["currency"],
        "sumNet": _num(sums["sumNet"]),
        "sumTax": _num(sums["sumTax"]),
        "sumGross": _num(sums["sumGross"]),
        "sumDiscounts": "0",
        "paidAmount": float(invoice["_paid"]),
        "customerInternalNote": invoice.get("customerInternalNote"),
        "showNet": "0" if invoice.get("showNet") in (False, 0, "0", "false") else "1",
        "propertyIsEInvoice": "1" if invoice.get("propertyIsEInvoice") else "0",
    }


def _opt(value):
    return None if value is None else str(value)


def _position_out(emu, position: dict, client) -> dict:
    return {
        "id": str(position["id"]),
        "objectName": "InvoicePos",
        "create": _stamp(emu, position["_create"]),
        "update": _stamp(emu, position["_create"]),
        "invoice": {"id": str(position["invoice"]), "objectName": "Invoice"},
        "quantity": _num(position["quantity"]),
        "price": _num(
            position.get("price") if position.get("price") is not None else position["priceNet"]
        ),
        "name": position.get("name"),
        "unity": {"id": str(position["unity"]["id"]), "objectName": "Unity"},
        "sevClient": {"id": str(client["id"]), "objectName": "SevClient"},
        "positionNumber": str(position.get("positionNumber", 0)),
        "text": position.get("text"),
        "discount": _num(position.get("discount") or 0),
        "taxRate": _num(position["taxRate"]),
        "priceNet": _num(position["priceNet"]),
        "priceTax": _num(position["priceTax"]),
        "priceGross": _num(position["priceGross"]),
        "sumNetAccounting": _num(position["sumNet"]),
    }


# -- list filters -----------------------------------------------------------------------------
def _rows(emu, client, query) -> list[dict]:
    rows = list(client["Invoice"].values())
    exact = {
        "status": lambda i: str(i["status"]),
        "invoiceNumber": lambda i: i["invoiceNumber"],
        "contact[id]": lambda i: str(i["contact"]["id"]),
        "invoiceType": lambda i: i["invoiceType"],
        # The docs spell the filter "customerIntenalNote"; both spellings are accepted.
        "customerIntenalNote": lambda i: i.get("customerInternalNote"),
        "customerInternalNote": lambda i: i.get("customerInternalNote"),
    }
    for name, value_of in exact.items():
        if query.get(name):
            rows = [i for i in rows if value_of(i) == query[name]]
    bounds = {
        "createAfter": ("_create", 1), "createBefore": ("_create", -1),
        "updateAfter": ("_update", 1), "updateBefore": ("_update", -1),
        "startDate": ("_invoiceDate", 0), "endDate": ("_invoiceDate", -2),
    }  # fmt: skip
    for name, (field, direction) in bounds.items():
        if query.get(name):
            try:
                limit = float(query[name])
            except ValueError as exc:
                raise Invalid(400, f"{name} must be a unix timestamp") from exc
            rows = [i for i in rows if _compare(i[field], limit, direction)]
    if query.get("headerStartsWith"):
        rows = [i for i in rows if (i.get("header") or "").startswith(query["headerStartsWith"])]
    if query.get("headerOrNumber"):
        needle = query["headerOrNumber"].lower()
        rows = [
            i for i in rows
            if needle in (i.get("header") or "").lower() or needle in i["invoiceNumber"].lower()
        ]  # fmt: skip
    if query.get("partiallyPaid") == "true":
        rows = [i for i in rows if i["status"] == 750]
    return [invoice_out(emu, i, client) for i in rows]


def _compare(value: float, limit: float, direction: int) -> bool:
    if direction == 1:
        return value > limit
    if direction == -1:
        return value < limit
    if direction == 0:
        return value >= limit
    return value <= limit
