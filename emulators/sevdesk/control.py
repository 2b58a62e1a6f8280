"""The sevDesk emulator's own control endpoints (the shared ones are in emulators/_doubles.py).

GET    /_emulator/tokens                        API tokens and their sevClients
POST   /_emulator/tokens                        {token?, name?}: a token of a new sevClient
DELETE /_emulator/tokens/{token}                the user regenerated it: the old one is 401
POST   /_emulator/invoices/{id}/payments        {amount, date?, type?}: a bank transfer matched
                                                to the invoice in sevDesk (750/1000, `update`
                                                moves, so `updateAfter` polling sees it)
GET    /_emulator/invoices/{id}/mails           what sendViaEmail "sent"
"""

from __future__ import annotations

import secrets

from .._doubles import Response, json_response
from .invoice_routes import book
from .invoices import Invalid


def handle_control(emu, method: str, path: str, query: dict, payload: dict) -> Response | None:
    parts = path.split("/")
    with emu.lock:
        if parts[0] == "tokens":
            return _tokens(emu, method, parts[1:], payload)
        if parts[0] == "invoices" and len(parts) == 3:
            client, invoice = _find(emu, parts[1])
            if method == "POST" and parts[2] == "payments":
                booking = {
                    "amount": payload["amount"],
                    "date": payload.get("date") or int(emu.clock.now()),
                    "type": payload.get("type") or "N",
                    "checkAccount": {"id": 1, "objectName": "CheckAccount"},
                }
                try:
                    log = book(emu, client, invoice, booking)
                except Invalid as invalid:
                    raise ValueError(invalid.message) from invalid
                return json_response(200, log)
            if method == "GET" and parts[2] == "mails":
                return json_response(200, {"data": invoice.get("_mails", [])})
    return None


def _find(emu, invoice_id: str):
    for client in emu.clients.values():
        invoice = client["Invoice"].get(int(invoice_id))
        if invoice is not None:
            return client, invoice
    raise KeyError(f"no invoice {invoice_id}")


def _tokens(emu, method: str, rest: list[str], payload: dict) -> Response | None:
    from .app import TOKEN, _new_client

    if method == "GET" and not rest:
        return json_response(
            200, {"data": [{"token": t, "client": c} for t, c in emu.tokens.items()]}
        )
    if method == "POST" and not rest:
        token = payload.get("token") or secrets.token_hex(16)
        if not TOKEN.match(token):
            raise ValueError("a sevDesk token is 32 lowercase hex characters")
        client_id = payload.get("client") or max(emu.clients) + 1
        if client_id not in emu.clients:
            emu.clients[client_id] = _new_client(client_id, payload.get("name") or "Emulator")
        emu.tokens[token] = client_id
        return json_response(200, {"token": token, "client": client_id})
    if method == "DELETE" and len(rest) == 1:
        if emu.tokens.pop(rest[0], None) is None:
            return json_response(404, {"error": "no such token"})
        return json_response(200, {"revoked": rest[0]})
    return None
