"""Invoices as Lexware Office takes and computes them: validation (406 details) and totals.

Pure functions over plain dicts; the emulator keeps the results. What is checked is what the
API reference states for `POST /v1/invoices` (required fields, the tax types, 0 % for the
vat-free types and only with a referenced contact, EUR only, up to 4 decimals for quantities
and unit prices and 2 for discounts, at most 300 line items, text lengths, the strict date-time
format, serviceperiod needing both dates in order). Violation codes other than `NOTNULL` and
their messages are the emulator's own: Lexware documents the shape, not the list.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from .._doubles import decimals, money

TAX_TYPES = (
    "net",
    "gross",
    "vatfree",
    "intraCommunitySupply",
    "constructionService13b",
    "externalService13b",
    "thirdPartyCountryService",
    "thirdPartyCountryDelivery",
    "photovoltaicEquipment",
)
VAT_FREE_TYPES = frozenset(TAX_TYPES) - {"net", "gross"}
TAX_SUB_TYPES = ("distanceSales", "electronicServices")
SHIPPING_TYPES = ("service", "serviceperiod", "delivery", "deliveryperiod", "none")
LINE_TYPES = ("custom", "service", "material", "text")
TAX_RATES = (Decimal(0), Decimal(7), Decimal(19))
MAX_LINE_ITEMS = 300
TEXT_LIMITS = {"title": 25, "introduction": 2000, "remark": 2000}
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$")
NOT_EMPTY = "darf nicht leer sein"
REFUSED = (
    "totalDiscountAbsolute",
    "totalDiscountPercentage",
    "xRechnung",
    "printLayoutId",
)


class Issues(list):
    def add(self, violation: str, field: str, message: str) -> None:
        self.append({"violation": violation, "field": field, "message": message})

    def required(self, value, field: str) -> bool:
        if value is None or value == "" or value == {} or value == []:
            self.add("NOTNULL", field, NOT_EMPTY)
            return False
        return True


def validate(payload, contact_exists) -> list[dict]:
    """The 406 details for an invoice payload (empty: acceptable). `contact_exists(id)`."""
    issues = Issues()
    if not isinstance(payload, dict):
        issues.add("NOTNULL", "invoice", NOT_EMPTY)
        return issues
    for name in REFUSED:
        if name in payload:
            issues.add("NOT_EMULATED", name, "not modelled by the emulator")
    if issues.required(payload.get("voucherDate"), "voucherDate"):
        _date_time(issues, payload["voucherDate"], "voucherDate")
    tax = payload.get("taxConditions") or {}
    tax_type = tax.get("taxType")
    if issues.required(tax_type, "taxConditions.taxType") and tax_type not in TAX_TYPES:
        issues.add("INVALID_VALUE", "taxConditions.taxType", f"unbekannter Steuertyp {tax_type}")
    if tax.get("taxSubType") not in (None, *TAX_SUB_TYPES):
        issues.add("INVALID_VALUE", "taxConditions.taxSubType", "unbekannter Untertyp")
    _address(issues, payload.get("address"), tax_type, contact_exists)
    _lines(issues, payload.get("lineItems"), tax_type)
    total = payload.get("totalPrice") or {}
    if issues.required(total.get("currency"), "totalPrice.currency"):
        _currency(issues, total["currency"], "totalPrice.currency")
    _shipping(issues, payload.get("shippingConditions") or {})
    for field, limit in TEXT_LIMITS.items():
        value = payload.get(field)
        if isinstance(value, str) and len(value) > limit:
            issues.add("SIZE", field, f"Größe muss zwischen 0 und {limit} sein")
    term = (payload.get("paymentConditions") or {}).get("paymentTermDuration")
    if term is not None and (not isinstance(term, int) or term < 0):
        issues.add("INVALID_VALUE", "paymentConditions.paymentTermDuration", "ganze Tage")
    return issues


def _date_time(issues: Issues, value, field: str) -> None:
    if not isinstance(value, str) or not DATE_TIME.match(value):
        issues.add("INVALID_FORMAT", field, "Format muss yyyy-MM-ddTHH:mm:ss.SSSXXX sein")


def _currency(issues: Issues, value, field: str) -> None:
    if value != "EUR":
        issues.add("INVALID_CURRENCY", field, "Aktuell wird nur EUR unterstützt")


def _address(issues: Issues, address, tax_type, contact_exists) -> None:
    if not issues.required(address, "address"):
        return
    contact_id = address.get("contactId")
    if contact_id:
        if not contact_exists(contact_id):
            issues.add("NOT_FOUND", "address.contactId", "Kontakt nicht gefunden")
        return
    issues.required(address.get("name"), "address.name")
    issues.required(address.get("countryCode"), "address.countryCode")
    if tax_type in VAT_FREE_TYPES:
        issues.add(
            "INVALID_VALUE",
            "address.contactId",
            "Steuerfreie Steuertypen nur mit referenziertem Kontakt",
        )


def _lines(issues: Issues, lines, tax_type) -> None:
    if not issues.required(lines, "lineItems"):
        return
    if not isinstance(lines, list):
        issues.add("INVALID_VALUE", "lineItems", "Liste erwartet")
        return
    if len(lines) > MAX_LINE_ITEMS:
        issues.add("SIZE", "lineItems", f"höchstens {MAX_LINE_ITEMS} Positionen")
    for index, line in enumerate(lines):
        _line(issues, line if isinstance(line, dict) else {}, f"lineItems[{index}]", tax_type)


def _line(issues: Issues, line: dict, at: str, tax_type) -> None:
    kind = line.get("type")
    if issues.required(kind, f"{at}.type") and kind not in LINE_TYPES:
        issues.add("INVALID_VALUE", f"{at}.type", f"unbekannter Positionstyp {kind}")
    if kind == "text":
        if not line.get("name") and not line.get("description"):
            issues.add("NOTNULL", f"{at}.name", NOT_EMPTY)
        return
    issues.required(line.get("name"), f"{at}.name")
    if isinstance(line.get("name"), str) and len(line["name"]) > 255:
        issues.add("SIZE", f"{at}.name", "Größe muss zwischen 0 und 255 sein")
    if isinstance(line.get("description"), str) and len(line["description"]) > 2000:
        issues.add("SIZE", f"{at}.description", "Größe muss zwischen 0 und 2000 sein")
    if kind in ("service", "material"):
        issues.required(line.get("id"), f"{at}.id")
    issues.required(line.get("unitName"), f"{at}.unitName")
    _number(issues, line.get("quantity"), f"{at}.quantity", places=4, required=True)
    _number(issues, line.get("discountPercentage"), f"{at}.discountPercentage", places=2)
    price = line.get("unitPrice")
    if not issues.required(price, f"{at}.unitPrice"):
        return
    if issues.required(price.get("currency"), f"{at}.unitPrice.currency"):
        _currency(issues, price["currency"], f"{at}.unitPrice.currency")
    amount_field = "grossAmount" if tax_type == "gross" else "netAmount"
    _number(issues, price.get(amount_field), f"{at}.unitPrice.{amount_field}", 4, True)
    rate = price.get("taxRatePercentage")
    field = f"{at}.unitPrice.taxRatePercentage"
    if _number(issues, rate, field, places=2, required=True):
        if Decimal(str(rate)) not in TAX_RATES:
            issues.add("INVALID_VALUE", field, "ungültiger Steuersatz")
        elif tax_type in VAT_FREE_TYPES and Decimal(str(rate)) != 0:
            issues.add("INVALID_VALUE", field, "muss 0 sein für steuerfreie Belege")


def _number(issues: Issues, value, field: str, places: int, required: bool = False) -> bool:
    if value is None:
        if required:
            issues.add("NOTNULL", field, NOT_EMPTY)
        return False
    if isinstance(value, bool) or not isinstance(value, int | float):
        issues.add("INVALID_VALUE", field, "Zahl erwartet")
        return False
    if value < 0:
        issues.add("INVALID_VALUE", field, "darf nicht negativ sein")
        return False
    if decimals(value) > places:
        issues.add("DIGITS", field, f"höchstens {places} Nachkommastellen")
        return False
    return True


def _shipping(issues: Issues, shipping: dict) -> None:
    kind = shipping.get("shippingType")
    if not issues.required(kind, "shippingConditions.shippingType"):
        return
    if kind not in SHIPPING_TYPES:
        issues.add("INVALID_VALUE", "shippingConditions.shippingType", "unbekannter Versandtyp")
        return
    if kind == "none":
        return
    if issues.required(shipping.get("shippingDate"), "shippingConditions.shippingDate"):
        _date_time(issues, shipping["shippingDate"], "shippingConditions.shippingDate")
    if kind.endswith("period"):
        end = shipping.get("shippingEndDate")
        if issues.required(end, "shippingConditions.shippingEndDate"):
            _date_time(issues, end, "shippingConditions.shippingEndDate")
            start = shipping.get("shippingDate")
            ok = all(isinstance(v, str) and DATE_TIME.match(v) for v in (start, end))
            if ok and datetime.fromisoformat(end) < datetime.fromisoformat(start):
                issues.add(
                    "INVALID_VALUE",
                    "shippingConditions.shippingEndDate",
                    "darf nicht vor shippingDate liegen",
                )


def compute(lines: list[dict], tax_type: str) -> tuple[list[dict], dict, list[dict]]:
    """Line items with `lineItemAmount` and both unit prices, the total price and the tax
    amounts per rate. Net types: tax per rate = rate × the rate's summed net amounts, rounded
    half up to the cent; gross: net per rate = the rate's gross sum / (1 + rate), tax the rest.
    (Lexware computes these read-only; its exact rounding is not documented.)"""
    gross = tax_type == "gross"
    by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
    out = []
    for line in lines:
        line = {k: v for k, v in line.items() if k != "lineItemAmount"}
        if line["type"] != "text":
            price = dict(line["unitPrice"])
            rate = Decimal(str(price["taxRatePercentage"]))
            factor = 1 + rate / 100
            if gross:
                price["netAmount"] = float(money(Decimal(str(price["grossAmount"])) / factor))
            else:
                price["grossAmount"] = float(money(Decimal(str(price["netAmount"])) * factor))
            unit = Decimal(str(price["grossAmount" if gross else "netAmount"]))
            discount = Decimal(str(line.get("discountPercentage") or 0))
            amount = money(Decimal(str(line["quantity"])) * unit * (1 - discount / 100))
            line["unitPrice"] = price
            line.setdefault("discountPercentage", 0)
            line["lineItemAmount"] = float(amount)
            by_rate[rate] += amount
        out.append(line)
    taxes, total_net, total_tax = [], Decimal(0), Decimal(0)
    for rate in sorted(by_rate):
        if gross:
            net = money(by_rate[rate] / (1 + rate / 100))
            tax = by_rate[rate] - net
        else:
            net, tax = by_rate[rate], money(by_rate[rate] * rate / 100)
        taxes.append(
            {"taxRatePercentage": float(rate), "taxAmount": float(tax), "netAmount": float(net)}
        )
        total_net += net
        total_tax += tax
    total = {
        "currency": "EUR",
        "totalNetAmount": float(total_net),
        "totalGrossAmount": float(total_net + total_tax),
        "totalTaxAmount": float(total_tax),
    }
    return out, total, taxes
