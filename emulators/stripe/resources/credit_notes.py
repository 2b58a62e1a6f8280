"""Credit notes (`cn_...`) on finalized invoices.

On an `open` invoice the credit first reduces what is still owed (`pre_payment_amount`:
amount_due and amount_remaining fall; an invoice owing nothing more becomes `paid`). The rest
(`post_payment_amount`, all of it on a `paid` invoice) must be split exactly into
`refund_amount` (refunds the invoice's card payments, newest first) and `out_of_band_amount`.

Taxes as Stripe bills them: a line crediting an invoice line carries that line's tax rates
(`tax_rates`) and its own `taxes` (per rate: `amount`, `taxable_amount`, `tax_rate_details`),
computed on the credited `amount` (before exclusive tax) with the invoice's arithmetic
(money.line_taxes, rounded per line); a custom line takes the `tax_rates` it is given. The note's
`total_taxes` sums them per rate; `subtotal` is the lines' amounts, `total` = `amount` adds the
exclusive taxes, `total_excluding_tax` takes the inclusive ones out. An `amount`-only note is one
untaxed custom line, as before.

Voiding (`POST /v1/credit_notes/{id}/void`): only while the invoice is open (Stripe: "You can
only void a credit note if the associated invoice is open"); the note becomes `void` with
`voided_at`, what it took off the amount due is owed again, and `credit_note.voided` is sent.
Not emulated (400): `credit_amount` (customer balance), `refunds` (linking existing refunds or
payment record refunds), `shipping_cost`, voiding a note that refunded money.
"""

from __future__ import annotations

import copy

from stripe.params._credit_note_create_params import CreditNoteCreateParams
from stripe.params._credit_note_line_item_list_params import CreditNoteLineItemListParams
from stripe.params._credit_note_list_params import CreditNoteListParams
from stripe.params._credit_note_retrieve_params import CreditNoteRetrieveParams
from stripe.params._credit_note_void_credit_note_params import CreditNoteVoidCreditNoteParams

from .. import money
from ..errors import StripeError, invalid
from ..router import route
from .common import diff, list_object, match_range, merge_metadata, paginate
from .payments import create_refund_for

SUPPORTED = {
    "invoice",
    "amount",
    "lines",
    "reason",
    "memo",
    "metadata",
    "refund_amount",
    "out_of_band_amount",
    "email_type",
    "effective_at",
}
REASONS = {"duplicate", "fraudulent", "order_change", "product_unsatisfactory"}


def not_emulated(param: str) -> StripeError:
    return invalid(f"The emulator does not emulate credit notes with `{param}`.", param=param)


def _check_params(p: dict) -> None:
    for name in p:
        if name not in SUPPORTED and name != "expand":
            raise not_emulated(name)
    if "amount" in p and "lines" in p:
        raise invalid("You may only specify one of these parameters: amount, lines.", param="lines")
    if "amount" not in p and "lines" not in p:
        raise StripeError(
            "Missing required param: amount or lines.", code="parameter_missing", param="amount"
        )
    if p.get("reason") is not None and p["reason"] not in REASONS:
        raise invalid(f"Invalid reason: {p['reason']}.", param="reason")


def _line(ctx, invoice: dict, data: dict, index: int) -> dict:
    param = f"lines[{index}]"
    line = {
        "id": ctx.new_id("cnli"),
        "object": "credit_note_line_item",
        "description": data.get("description"),
        "discount_amount": 0,
        "discount_amounts": [],
        "invoice_line_item": None,
        "livemode": ctx.livemode,
        "metadata": merge_metadata({}, data.get("metadata")),
        "pretax_credit_amounts": [],
        "quantity": data.get("quantity", 1),
        "tax_rates": [],
        "taxes": [],
        "type": data["type"],
        "unit_amount": None,
        "unit_amount_decimal": None,
    }
    if data["type"] == "custom_line_item":
        if "unit_amount" not in data:
            raise StripeError(
                f"Missing required param: {param}[unit_amount].",
                code="parameter_missing",
                param=f"{param}[unit_amount]",
            )
        line["unit_amount"] = data["unit_amount"]
        line["unit_amount_decimal"] = str(data["unit_amount"])
        line["amount"] = data["unit_amount"] * line["quantity"]
        return _taxed(line, _rates(ctx, data.get("tax_rates") or [], f"{param}[tax_rates]"))
    source = _invoice_line(ctx, invoice, data.get("invoice_line_item"), param)
    line["invoice_line_item"] = source["id"]
    line["description"] = line["description"] or source["description"]
    if "amount" in data:
        line["amount"] = data["amount"]
    else:
        quantity = source.get("quantity") or 1
        line["amount"] = source["amount"] * line["quantity"] // quantity
    rate_ids = [t["tax_rate_details"]["tax_rate"] for t in source.get("taxes") or []]
    return _taxed(line, _rates(ctx, rate_ids, f"{param}[invoice_line_item]"))


def _rates(ctx, rate_ids: list, param: str) -> list[dict]:
    rates = []
    for rate_id in rate_ids:
        rate = ctx.find("tax_rate", rate_id)
        if rate is None:
            raise invalid(f"No such tax rate: '{rate_id}'", param=param)
        rates.append(rate)
    return rates


def _taxed(line: dict, rates: list[dict]) -> dict:
    """The line's taxes on its credited amount, rounded per line and rate as on invoices."""
    line["tax_rates"] = copy.deepcopy(rates)
    line["taxes"] = money.line_taxes(line["amount"], rates)
    return line


def _sums(lines: list[dict]) -> dict:
    """The note's amounts from its lines (Stripe's CreditNote fields)."""
    subtotal = sum(line["amount"] for line in lines)
    taxes = [tax for line in lines for tax in line["taxes"]]
    inclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "inclusive")
    exclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "exclusive")
    total_taxes: dict[tuple, dict] = {}
    for tax in taxes:
        key = (tax["tax_rate_details"]["tax_rate"], tax["tax_behavior"])
        zero = {**copy.deepcopy(tax), "amount": 0, "taxable_amount": 0}
        entry = total_taxes.setdefault(key, zero)
        entry["amount"] += tax["amount"]
        entry["taxable_amount"] += tax["taxable_amount"]
    return {
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - inclusive,
        "total": subtotal + exclusive,
        "total_excluding_tax": subtotal - inclusive,
        "total_taxes": list(total_taxes.values()),
    }


def _invoice_line(ctx, invoice: dict, line_id, param: str) -> dict:
    for line in ctx.internal(invoice["id"])["lines"]:
        if line["id"] == line_id:
            return line
    raise invalid(
        f"No such invoice line item: '{line_id}' on invoice {invoice['id']}.",
        param=f"{param}[invoice_line_item]",
    )


def _split(invoice: dict, amount: int, p: dict) -> tuple[int, int]:
    pre = min(amount, invoice["amount_remaining"]) if invoice["status"] == "open" else 0
    post = amount - pre
    settled = p.get("refund_amount", 0) + p.get("out_of_band_amount", 0)
    if settled != post:
        raise invalid(
            f"The sum of refund_amount and out_of_band_amount ({settled}) must equal the "
            f"post-payment part of the credit note ({post}): the credit ({amount}) first "
            f"reduces the invoice's amount_remaining ({pre} of it).",
            param="refund_amount" if "refund_amount" in p else "out_of_band_amount",
        )
    return pre, post


def _refunds(ctx, invoice: dict, amount: int) -> list[dict]:
    """Refund `amount` from the invoice's card payments, newest first."""
    refunds = []
    for payment_id in reversed(ctx.internal(invoice["id"])["payments"]):
        record = ctx.store.objects[payment_id]
        intent = ctx.find("payment_intent", record["payment"].get("payment_intent"))
        charge = ctx.find("charge", (intent or {}).get("latest_charge"))
        if amount <= 0 or charge is None or not charge["paid"]:
            continue
        part = min(amount, charge["amount"] - charge["amount_refunded"])
        if part > 0:
            refunds.append(create_refund_for(ctx, charge, part))
            amount -= part
    if amount > 0:
        raise invalid(
            "refund_amount is more than the invoice's refundable card payments (refunds of "
            "payment records are not emulated).",
            param="refund_amount",
        )
    return refunds


def _number(ctx, invoice: dict) -> str:
    count = sum(
        1 for cn in ctx.store.all("credit_note", ctx.owner) if cn["invoice"] == invoice["id"]
    )
    return f"{invoice['number']}-CN-{count + 1:02d}"


def _apply(ctx, invoice: dict, pre: int, post: int) -> None:
    before = copy.deepcopy(invoice)
    invoice["pre_payment_credit_notes_amount"] += pre
    invoice["post_payment_credit_notes_amount"] += post
    invoice["amount_due"] -= pre
    invoice["amount_remaining"] -= pre
    ctx.emit("invoice.updated", invoice, diff(before, invoice))
    if invoice["status"] == "open" and pre and invoice["amount_remaining"] == 0:
        from .invoices import _mark_paid

        _mark_paid(ctx, invoice, ctx.now())


@route("POST", "/v1/credit_notes", CreditNoteCreateParams, perm=("credit_notes", "write"))
def create_credit_note(ctx):
    p = ctx.params
    _check_params(p)
    invoice = ctx.get("invoice", p["invoice"], "invoice")
    if invoice["status"] not in ("open", "paid"):
        raise invalid(
            f"You can only create a credit note on an open or paid invoice; this one is "
            f"{invoice['status']}.",
            param="invoice",
        )
    cn_id = ctx.new_id("cn")
    lines = [_line(ctx, invoice, data, i) for i, data in enumerate(p.get("lines") or [])]
    amount = p["amount"] if "amount" in p else _sums(lines)["total"]
    credited = sum(
        cn["amount"]
        for cn in ctx.store.all("credit_note", ctx.owner)
        if cn["invoice"] == invoice["id"] and cn["status"] == "issued"
    )
    if amount <= 0 or amount + credited > invoice["total"]:
        raise invalid(
            f"The credit note amount ({amount}) must be positive and, with the invoice's other "
            f"credit notes ({credited}), at most the invoice total ({invoice['total']}).",
            param="amount",
        )
    if not lines:
        lines = [
            _line(
                ctx,
                invoice,
                {
                    "type": "custom_line_item",
                    "unit_amount": amount,
                    "description": p.get("memo") or "Credit",
                },
                0,
            )
        ]
    sums = _sums(lines)
    pre, post = _split(invoice, amount, p)
    refunds = _refunds(ctx, invoice, p.get("refund_amount", 0))
    note = _credit_note(ctx, cn_id, invoice, amount, pre, post, p, refunds) | sums
    ctx.add("credit_note", note, {"lines": lines})
    _apply(ctx, invoice, pre, post)
    ctx.emit("credit_note.created", note)
    return ctx.render(note)


def _credit_note(ctx, cn_id, invoice, amount, pre, post, p, refunds) -> dict:
    kind = "mixed" if pre and post else "pre_payment" if pre else "post_payment"
    return {
        "id": cn_id,
        "object": "credit_note",
        "amount": amount,
        "amount_shipping": 0,
        "created": ctx.now(),
        "currency": invoice["currency"],
        "customer": invoice["customer"],
        "customer_account": None,
        "customer_balance_transaction": None,
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": p.get("effective_at", ctx.now()),
        "invoice": invoice["id"],
        "livemode": ctx.livemode,
        "memo": p.get("memo"),
        "metadata": merge_metadata({}, p.get("metadata")),
        "number": _number(ctx, invoice),
        "out_of_band_amount": p.get("out_of_band_amount"),
        "pdf": ctx.emu.url(f"/i/{invoice['id']}/pdf"),
        "post_payment_amount": post,
        "pre_payment_amount": pre,
        "pretax_credit_amounts": [],
        "reason": p.get("reason"),
        "refunds": [
            {
                "amount_refunded": r["amount"],
                "payment_record_refund": None,
                "refund": r["id"],
                "type": "refund",
            }
            for r in refunds
        ],
        "shipping_cost": None,
        "status": "issued",
        "type": kind,
        "voided_at": None,
    }


@route(
    "POST",
    "/v1/credit_notes/{id}/void",
    CreditNoteVoidCreditNoteParams,
    perm=("credit_notes", "write"),
)
def void_credit_note(ctx):
    """Void an issued credit note on an open invoice: what it took off the amount due is owed
    again (and what it settled after payment out of band no longer counts)."""
    note = ctx.get("credit_note", ctx.path["id"], label="credit_note")
    invoice = ctx.get("invoice", note["invoice"], "invoice")
    if note["status"] != "issued":
        raise invalid("This credit note is already void.")
    if invoice["status"] != "open":
        raise invalid(
            f"You can only void a credit note if the associated invoice is open; this one is "
            f"{invoice['status']}."
        )
    if note["refunds"]:
        raise invalid("The emulator does not void credit notes that refunded money.")
    before = copy.deepcopy(invoice)
    pre, post = note["pre_payment_amount"], note["post_payment_amount"]
    invoice["pre_payment_credit_notes_amount"] -= pre
    invoice["post_payment_credit_notes_amount"] -= post
    invoice["amount_due"] += pre
    invoice["amount_remaining"] += pre
    note["status"] = "void"
    note["voided_at"] = ctx.now()
    ctx.emit("invoice.updated", invoice, diff(before, invoice))
    ctx.emit("credit_note.voided", note)
    return ctx.render(note)


def render_credit_note(emu, note: dict) -> dict:
    out = copy.deepcopy(note)
    lines = emu.store.internal.get(note["id"], {}).get("lines", [])
    out["lines"] = list_object(
        copy.deepcopy(lines), f"/v1/credit_notes/{note['id']}/lines", total_count=len(lines)
    )
    return out


@route("GET", "/v1/credit_notes/{id}", CreditNoteRetrieveParams, perm=("credit_notes", "read"))
def retrieve_credit_note(ctx):
    return ctx.render(ctx.get("credit_note", ctx.path["id"], label="credit_note"))


@route(
    "GET",
    "/v1/credit_notes/{id}/lines",
    CreditNoteLineItemListParams,
    perm=("credit_notes", "read"),
)
def list_credit_note_lines(ctx):
    note = ctx.get("credit_note", ctx.path["id"], label="credit_note")
    lines = list(reversed(ctx.internal(note["id"])["lines"]))
    return paginate(ctx, lines, f"/v1/credit_notes/{note['id']}/lines", render=copy.deepcopy)


@route("GET", "/v1/credit_notes", CreditNoteListParams, perm=("credit_notes", "read"))
def list_credit_notes(ctx):
    p = ctx.params
    notes = [
        note
        for note in ctx.store.all("credit_note", ctx.owner)
        if ("invoice" not in p or note["invoice"] == p["invoice"])
        and ("customer" not in p or note["customer"] == p["customer"])
        and match_range(note["created"], p.get("created"))
    ]
    return paginate(ctx, notes, "/v1/credit_notes")
