"""Invoice arithmetic with manual tax rates, in integer minor units (pure functions).

The rule (written down in emulators/README.md, checked by a table of hand-computed cases):

- A line's `amount` is `unit_amount * quantity` (with `unit_amount_decimal`, the product is
  rounded half up to a whole minor unit).
- Tax is computed per line and per tax rate, and each amount is rounded half up (away from
  zero) to the minor unit, as Stripe rounds per line item; invoice tax is the sum of the line
  taxes, never a rounding of the summed base.
- Inclusive rates are carved out of the line amount: with the inclusive percentages p1..pn
  summing to P, the net is `amount * 100 / (100 + P)` and each inclusive tax is
  `round(net * pi / 100)`; the line's taxable amount is `amount - sum(inclusive taxes)`.
- Exclusive rates are added on top of the taxable amount: `round(taxable * p / 100)`.
- Invoice totals: `subtotal` = sum of line amounts; `subtotal_excluding_tax` and
  `total_excluding_tax` = subtotal minus inclusive tax; `total` = subtotal plus exclusive tax;
  `amount_due` = max(total, 0) (no customer balance or discounts are emulated).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_amount(unit_amount_decimal: Decimal, quantity: Decimal | int) -> int:
    return round_half_up(Decimal(unit_amount_decimal) * Decimal(quantity))


def line_taxes(amount: int, rates: list[dict]) -> list[dict]:
    """Tax entries for one line. `rates` are TaxRate dicts (percentage, inclusive, id)."""
    inclusive = [r for r in rates if r["inclusive"]]
    exclusive = [r for r in rates if not r["inclusive"]]
    taxes: list[dict] = []
    included_total = 0
    if inclusive:
        percent_sum = sum(Decimal(str(r["percentage"])) for r in inclusive)
        net = Decimal(amount) * 100 / (100 + percent_sum)
        for rate in inclusive:
            tax = round_half_up(net * Decimal(str(rate["percentage"])) / 100)
            included_total += tax
            taxes.append({"rate": rate, "amount": tax, "behavior": "inclusive"})
    taxable = amount - included_total
    for entry in taxes:
        entry["taxable_amount"] = taxable
    for rate in exclusive:
        tax = round_half_up(Decimal(taxable) * Decimal(str(rate["percentage"])) / 100)
        taxes.append(
            {"rate": rate, "amount": tax, "behavior": "exclusive", "taxable_amount": taxable}
        )
    return [
        {
            "amount": entry["amount"],
            "tax_behavior": entry["behavior"],
            "tax_rate_details": {"tax_rate": entry["rate"]["id"]},
            "taxability_reason": "standard_rated" if entry["rate"]["percentage"] else "zero_rated",
            "taxable_amount": entry["taxable_amount"],
            "type": "tax_rate_details",
        }
        for entry in taxes
    ]


def totals(lines: list[dict]) -> dict:
    """Invoice totals from lines that carry `amount` and `taxes` (as `line_taxes` returns)."""
    subtotal = sum(line["amount"] for line in lines)
    inclusive = sum(
        tax["amount"]
        for line in lines
        for tax in line["taxes"]
        if tax["tax_behavior"] == "inclusive"
    )
    exclusive = sum(
        tax["amount"]
        for line in lines
        for tax in line["taxes"]
        if tax["tax_behavior"] == "exclusive"
    )
    grouped: dict[tuple, dict] = {}
    for line in lines:
        for tax in line["taxes"]:
            group = (
                tax["tax_rate_details"]["tax_rate"],
                tax["tax_behavior"],
                tax["taxability_reason"],
            )
            entry = grouped.setdefault(
                group,
                {
                    "amount": 0,
                    "tax_behavior": tax["tax_behavior"],
                    "tax_rate_details": dict(tax["tax_rate_details"]),
                    "taxability_reason": tax["taxability_reason"],
                    "taxable_amount": 0,
                    "type": "tax_rate_details",
                },
            )
            entry["amount"] += tax["amount"]
            entry["taxable_amount"] += tax["taxable_amount"]
    total = subtotal + exclusive
    return {
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - inclusive,
        "total": total,
        "total_excluding_tax": subtotal - inclusive,
        "total_taxes": list(grouped.values()),
        "amount_due": max(total, 0),
    }
