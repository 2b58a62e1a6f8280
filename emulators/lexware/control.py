"""The Lexware emulator's own control endpoints (the shared ones are in emulators/_doubles.py).

GET    /_emulator/keys                          API keys and their organizations
POST   /_emulator/keys                          {key?, organizationId?, name?}: add a key
DELETE /_emulator/keys/{key}                    revoke it (its event subscriptions go too)
POST   /_emulator/invoices/{id}/payments        {amount, type?, date?}: a payment booked in
                                                Lexware (default: a bank transfer)
POST   /_emulator/invoices/{id}/finalize        the user finalizes a draft in Lexware
POST   /_emulator/invoices/{id}/void            the user voids (storniert) it
GET    /_emulator/webhooks/public-key           {"pem", "algorithm"}
POST   /_emulator/webhooks/pause|resume         stop / restart callback delivery
POST   /_emulator/webhooks/flush                {"timeout": s}: wait for due callbacks
GET    /_emulator/webhooks/deliveries|pending   every attempt / what is still queued
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from .._doubles import Response, iso_millis, json_response


def handle_control(emu, method: str, path: str, query: dict, payload: dict) -> Response | None:
    parts = path.split("/")
    if parts[0] == "keys":
        with emu.lock:
            return _keys(emu, method, parts[1:], payload)
    if parts[0] == "invoices" and len(parts) == 3 and method == "POST":
        with emu.lock:
            org, invoice = emu.find_invoice(parts[1])
            return _invoice_action(emu, org, invoice, parts[2], payload)
    if parts[0] == "webhooks" and len(parts) == 2:
        return _webhooks(emu, method, parts[1], payload)
    return None


def _keys(emu, method: str, rest: list[str], payload: dict) -> Response | None:
    if method == "GET" and not rest:
        rows = [
            {"key": key, "organizationId": org, "name": emu.orgs[org]["name"]}
            for key, org in emu.keys.items()
        ]
        return json_response(200, {"data": rows})
    if method == "POST" and not rest:
        from .app import _new_org

        key = payload.get("key") or secrets.token_urlsafe(24)
        org_id = payload.get("organizationId") or str(uuid.uuid4())
        if org_id not in emu.orgs:
            emu.orgs[org_id] = _new_org(org_id, payload.get("name") or "Emulator Organisation")
        emu.keys[key] = org_id
        return json_response(200, {"key": key, "organizationId": org_id})
    if method == "DELETE" and len(rest) == 1:
        org_id = emu.keys.pop(rest[0], None)
        if org_id is None:
            return json_response(404, {"error": "no such key"})
        subscriptions = emu.orgs[org_id]["subscriptions"]
        for sub_id in [s for s, sub in subscriptions.items() if sub["_key"] == rest[0]]:
            del subscriptions[sub_id]
        return json_response(200, {"revoked": rest[0]})
    return None


def _invoice_action(emu, org, invoice, action: str, payload: dict) -> Response | None:
    if action == "payments":
        kind = payload.get("type") or "partPaymentFinancialTransaction"
        state = emu.record_payment(org, invoice, payload["amount"], kind, payload.get("date"))
        return json_response(200, state)
    if action == "finalize":
        if invoice["voucherStatus"] != "draft":
            raise ValueError("only a draft can be finalized")
        terms = invoice["paymentConditions"]["paymentTermDuration"]
        due = datetime.fromisoformat(invoice["voucherDate"]) + timedelta(days=int(terms))
        invoice["dueDate"] = iso_millis(due, due.tzinfo)
        contact = org["contacts"].get(invoice["address"].get("contactId") or "")
        emu._finalize(org, invoice, contact)
        emu._touch(invoice)
        emu.emit(org, "invoice.status.changed", invoice["id"])
        emu.emit(org, "invoice.changed", invoice["id"])
        return json_response(200, {k: v for k, v in invoice.items() if not k.startswith("_")})
    if action == "void":
        if invoice["voucherStatus"] not in ("open", "draft"):
            raise ValueError(f"a {invoice['voucherStatus']} invoice cannot be voided")
        invoice["voucherStatus"] = "voided"
        emu._touch(invoice)
        emu.emit(org, "invoice.status.changed", invoice["id"])
        emu.emit(org, "payment.changed", invoice["id"])
        return json_response(200, {"id": invoice["id"], "voucherStatus": "voided"})
    return None


def _webhooks(emu, method: str, action: str, payload: dict) -> Response | None:
    dispatcher = emu.webhooks
    if method == "GET" and action == "public-key":
        return json_response(
            200, {"pem": emu.signing_key.public_pem(), "algorithm": "RSA-SHA512 (PKCS#1 v1.5)"}
        )
    if method == "GET" and action == "deliveries":
        return json_response(200, {"data": dispatcher.deliveries()})
    if method == "GET" and action == "pending":
        return json_response(200, {"data": dispatcher.pending()})
    if method == "POST" and action in ("pause", "resume"):
        dispatcher.set_paused(action == "pause")
        return json_response(200, {"paused": action == "pause"})
    if method == "POST" and action == "flush":
        return json_response(200, dispatcher.flush(float(payload.get("timeout", 10))))
    return None
