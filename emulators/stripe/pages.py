"""The hosted pages: Checkout (`/c/pay/cs_...`) and the hosted invoice page (`/i/in_...`).

Checkout shows two buttons: Pay (the payment succeeds) and Decline (the card is declined). The
invoice page offers Pay in full, Pay part (an amount in major units) and Fail (declined card).
No API key is needed, as on Stripe: the session or invoice id is the secret.
"""

from __future__ import annotations

import html
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs

from .errors import StripeError
from .resources.common import ZERO_DECIMAL
from .router import Context

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0}}
main{{max-width:32rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem;
box-shadow:0 2px 8px rgba(0,0,0,.08)}}
table{{width:100%;border-collapse:collapse}}td{{padding:.3rem 0}}td.n{{text-align:right}}
.total td{{font-weight:600;border-top:1px solid #e3e8ee}}
.banner{{background:#fff3cd;padding:.4rem .8rem;border-radius:4px;font-size:.85rem}}
button{{font-size:1rem;padding:.6rem 1.2rem;border-radius:6px;border:0;cursor:pointer;
margin-right:.5rem}}
.pay{{background:#635bff;color:#fff}}.decline{{background:#e3e8ee}}
.notice{{padding:.6rem;border-radius:4px;background:#e3e8ee}}.error{{background:#fde2e1}}
</style></head><body><main>
<p class="banner">Stripe emulator &middot; test payment page (no real money moves)</p>
{body}
</main></body></html>"""


def _page(title: str, body: str, status: int = 200):
    from .app import Response

    return Response(
        status,
        PAGE.format(title=html.escape(title), body=body).encode(),
        headers={"Cache-Control": "no-store"},
        content_type="text/html; charset=utf-8",
    )


def _redirect(url: str):
    from .app import Response

    return Response(303, b"", headers={"Location": url}, content_type="text/plain")


def _money(amount: int, currency: str) -> str:
    from .resources.common import format_money

    return html.escape(format_money(amount, currency))


def _button(base: str, action: str, label: str, css: str) -> str:
    return (
        f'<form method="post" action="{base}/{action}" style="display:inline">'
        f'<button class="{css}" type="submit" name="choice" value="{action}">{label}</button>'
        "</form>"
    )


def _buttons(base: str, session: dict) -> str:
    types = session.get("payment_method_types") or ["card"]
    buttons = ""
    if "card" in types:
        buttons += _button(base, "pay", "Pay", "pay") + _button(
            base, "decline", "Decline", "decline"
        )
    if "sepa_debit" in types:
        buttons += _button(base, "sepa", "Pay by SEPA Direct Debit", "pay")
    return buttons


def handle_page(emu, method, path, query, headers, body):
    parts = [p for p in path.split("/") if p]
    with emu.store.lock:
        emu.tick()
        if parts[0] == "c" and len(parts) >= 3:
            return _checkout(emu, method, parts[2], parts[3] if len(parts) > 3 else None, body)
        if parts[0] == "i" and len(parts) >= 2:
            action = parts[2] if len(parts) > 2 else None
            return _invoice(emu, method, parts[1], action, body)
        if parts[0] == "receipts" and len(parts) == 2:
            return _receipt(emu, parts[1])
    return _page("Not found", "<h1>Not found</h1>", 404)


def _context(emu, object_id: str) -> Context:
    return Context(emu=emu, key=None, owner=emu.store.owner_of(object_id), params={}, path={})


def _checkout(emu, method, session_id, action, body):
    session = emu.store.objects.get(session_id)
    if session is None or session.get("object") != "checkout.session":
        return _page("Not found", "<h1>This checkout page does not exist.</h1>", 404)
    items = emu.store.internal[session_id]["items"]
    base = f"/c/pay/{session_id}"
    if method == "POST" and action in CHECKOUT_ACTIONS:
        return _checkout_action(emu, session, action, body, items)
    if session["status"] == "complete" and session["payment_status"] == "unpaid":
        return _page("Debit pending", _debit_pending(base))
    if session["status"] == "complete":
        return _page("Paid", '<p class="notice">This payment is complete. Thank you!</p>')
    if session["status"] == "expired":
        return _page("Expired", '<p class="notice">This checkout session has expired.</p>', 410)
    return _page(
        "Checkout", _checkout_summary(session, items) + _buttons(base, session) + _back(session)
    )


# pay / decline: a card payment; sepa: a SEPA mandate (the session completes unpaid);
# debit_succeeds / debit_fails: the bank's later answer on that debit.
CHECKOUT_ACTIONS = ("pay", "decline", "sepa", "debit_succeeds", "debit_fails")


def _checkout_action(emu, session, action, body, items):
    from .resources.checkout import debit, pay, settle_debit

    ctx = _context(emu, session["id"])
    base = f"/c/pay/{session['id']}"
    pending = session["status"] == "complete" and session["payment_status"] == "unpaid"
    if action.startswith("debit_"):
        if pending:
            settle_debit(ctx, session, succeed=action == "debit_succeeds")
        return _redirect(base)
    if session["status"] != "open" or _method_for(action) not in session["payment_method_types"]:
        return _redirect(base)
    if action == "sepa":
        debit(ctx, session)
        return _redirect_after(session, base)
    email = (parse_qs(body.decode()).get("email") or [None])[0]
    pay(ctx, session, succeed=action == "pay", email=email)
    if action == "pay":
        return _redirect_after(session, base)
    return _page(
        "Payment declined",
        '<p class="notice error">Your card was declined. Try again or go back.</p>'
        + _checkout_summary(session, items)
        + _buttons(base, session)
        + _back(session),
        402,
    )


def _method_for(action: str) -> str:
    return "sepa_debit" if action == "sepa" else "card"


def _redirect_after(session, base: str):
    if session.get("success_url"):
        return _redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))
    return _redirect(base)


def _debit_pending(base: str) -> str:
    return (
        '<p class="notice">The SEPA Direct Debit mandate is accepted; the debit is pending.</p>'
        "<p>Tester: how does the bank answer?</p>"
        + _button(base, "debit_succeeds", "Debit succeeds", "pay")
        + _button(base, "debit_fails", "Debit fails", "decline")
    )


def _back(session) -> str:
    if session.get("cancel_url"):
        return f'<p><a href="{html.escape(session["cancel_url"])}">Back</a></p>'
    return ""


def _checkout_summary(session, items) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(item['description'] or '')} × {item['quantity']}</td>"
        f"<td class=n>{_money(item['amount_total'], item['currency'])}</td></tr>"
        for item in items
    )
    total = _money(session["amount_total"], session["currency"])
    return (
        f"<h1>Pay {total}</h1><table>{rows}"
        f"<tr class=total><td>Total</td><td class=n>{total}</td></tr></table><p></p>"
    )


def _receipt(emu, payment_intent_id):
    intent = emu.store.objects.get(payment_intent_id)
    if intent is None or intent.get("object") != "payment_intent":
        return _page("Not found", "<h1>This receipt does not exist.</h1>", 404)
    amount = _money(intent["amount_received"] or intent["amount"], intent["currency"])
    return _page(
        "Receipt",
        f"<h1>Receipt</h1><p>{amount} &middot; {html.escape(intent['status'])}</p>",
    )


def _invoice(emu, method, invoice_id, action, body):
    from .resources.invoices import render_line

    invoice = emu.store.objects.get(invoice_id)
    if invoice is None or invoice.get("object") != "invoice" or invoice["status"] == "draft":
        return _page("Not found", "<h1>This invoice page does not exist.</h1>", 404)
    if action == "pdf":
        return _pdf(invoice)
    if emu.store.now() >= link_expires_at(invoice):
        return _expired_invoice(invoice)
    base = f"/i/{invoice_id}"
    message, status = "", 200
    if method == "POST" and action in INVOICE_ACTIONS and invoice["status"] == "open":
        message, status = _invoice_action(emu, invoice, action, parse_qs(body.decode()))
    lines = emu.store.internal[invoice_id]["lines"]
    rows = "".join(
        f"<tr><td>{html.escape(line['description'] or '')}</td>"
        f"<td class=n>{_money(line['amount'], line['currency'])}</td></tr>"
        for line in map(render_line, lines)
    )
    currency = invoice["currency"]
    tax = invoice["total"] - invoice["total_excluding_tax"]
    content = (
        f"<h1>Invoice {html.escape(invoice['number'] or '')}</h1>{message}"
        f"<p>Status: <strong>{invoice['status']}</strong></p><table>{rows}"
        f"<tr class=total><td>Tax</td><td class=n>{_money(tax, currency)}</td></tr>"
        f"<tr class=total><td>Total</td><td class=n>{_money(invoice['total'], currency)}</td></tr>"
        f"<tr><td>Paid</td><td class=n>{_money(invoice['amount_paid'], currency)}</td></tr>"
        f"<tr class=total><td>Amount due</td>"
        f"<td class=n>{_money(invoice['amount_remaining'], currency)}</td></tr></table><p></p>"
    )
    if invoice["status"] == "open":
        content += _invoice_buttons(base, invoice, partial=not _subscription_charged(invoice))
    content += f'<p><a href="{base}/pdf">Download PDF</a></p>'
    return _page(f"Invoice {invoice['number']}", content, status)


DAY = 86400


def link_expires_at(invoice: dict) -> int:
    """Stripe's hosted invoice page expires 30 days after the due date (or after finalization
    without one), and never more than 120 days after finalization."""
    finalized = invoice["status_transitions"]["finalized_at"] or invoice["created"]
    return min((invoice["due_date"] or finalized) + 30 * DAY, finalized + 120 * DAY)


def _expired_invoice(invoice: dict):
    name = html.escape(invoice.get("account_name") or "the business")
    return _page(
        "Invoice link expired",
        f'<h1>This invoice link has expired</h1><p class="notice">This invoice link has expired '
        f"&mdash; contact {name} for a new link.</p>",
    )


# `/pay` pays the remaining amount, `/pay_part` the form's `amount` (major units), `/decline`
# (the "Fail" button) declines the card.
INVOICE_ACTIONS = ("pay", "pay_part", "decline")


def _invoice_buttons(base: str, invoice: dict, partial: bool = True) -> str:
    step = "1" if invoice["currency"] in ZERO_DECIMAL else "0.01"
    buttons = (
        f'<form method="post" action="{base}/pay" style="display:inline">'
        '<button class="pay" type="submit" name="choice" value="pay">Pay in full</button></form>'
        f'<form method="post" action="{base}/decline" style="display:inline">'
        '<button class="decline" type="submit" name="choice" value="decline">Fail</button></form>'
    )
    if not partial:
        return buttons
    return buttons + (
        f'<form method="post" action="{base}/pay_part"><p><label>Amount '
        f'({html.escape(invoice["currency"].upper())}) <input name="amount" type="number" '
        f'step="{step}" min="{step}" required></label> '
        '<button class="pay" type="submit" name="choice" value="pay_part">Pay part</button></p>'
        "</form>"
    )


def _subscription_charged(invoice: dict) -> bool:
    parent = invoice.get("parent") or {}
    return invoice["collection_method"] == "charge_automatically" and bool(
        parent.get("subscription_details")
    )


def _minor_units(raw: str | None, currency: str) -> int | None:
    """`12.50` EUR -> 1250; None when it is not a number with the currency's decimals."""
    digits = 0 if currency in ZERO_DECIMAL else 2
    try:
        value = Decimal((raw or "").strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or value != round(value, digits):
        return None
    return int(value.scaleb(digits))


def _invoice_action(emu, invoice: dict, action: str, form: dict) -> tuple[str, int]:
    from .resources.invoices import attempt_payment

    amount = invoice["amount_remaining"]
    if action == "pay_part" and _subscription_charged(invoice):
        return (
            '<p class="notice error">Partial payments are not supported for automatically '
            "charged subscription invoices.</p>",
            400,
        )
    if action == "pay_part":
        amount = _minor_units((form.get("amount") or [None])[0], invoice["currency"])
        remaining = invoice["amount_remaining"]
        if amount is None or not 0 < amount <= remaining:
            limit = _money(remaining, invoice["currency"])
            return (
                f'<p class="notice error">Enter an amount greater than 0 and at most {limit}.</p>',
                400,
            )
    try:
        paid = attempt_payment(
            _context(emu, invoice["id"]), invoice, amount, succeed=action != "decline"
        )
    except StripeError as error:
        return f'<p class="notice error">{html.escape(error.message)}</p>', 400
    if not paid:
        return '<p class="notice error">Your card was declined.</p>', 402
    paid_now = _money(amount, invoice["currency"])
    return f'<p class="notice">Payment of {paid_now} received. Thank you!</p>', 200


def _pdf(invoice):
    from .app import Response

    text = f"Invoice {invoice['number']} - emulated PDF".replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return Response(200, out, content_type="application/pdf")
