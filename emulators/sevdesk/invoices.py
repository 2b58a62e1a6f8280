"""sevDesk invoices as `POST /Invoice/Factory/saveInvoice` takes them: checks and sums.

Pure functions over plain dicts. The checks are the spec's required fields (400), Update 2.0's
tax rules with the rates each allows per position (422, "Wrong taxRate for the rule"), "only
drafts (100) can be created", and "a regular invoice's deliveryDate may not be later than its
invoiceDate". The messages are the emulator's own: sevDesk documents the body
(`{"error": {"message", "exceptionUUID"}}`), not the wording.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from .._doubles import money

# taxRule id → the position tax rates it allows (sevDesk "Tax Rules", revenue side).
TAX_RULES = {
    "1": (0, 7, 19),  # Umsatzsteuerpflichtige Umsätze
    "2": (0,),  # Ausfuhren
    "3": (0, 7, 19),  # Innergemeinschaftliche Lieferungen
    "4": (0,),  # Steuerfreie Umsätze §4 UStG
    "5": (0,),  # Reverse Charge gem. §13b UStG
    "11": (0,),  # Kleinunternehmer §19 UStG
    "17": (0,),  # Nicht im Inland steuerbare Leistung
    "21": (0,),  # Reverse Charge gem. §18b UStG
}
NOT_FOR_PARTIAL = ("17", "21")  # not for AR/TR/ER
OSS_RULES = ("18", "19", "20")
# Booking types that close the invoice with less than the open amount (discount, currency,
# other reasons, monetary traffic costs).
BOOKING_TYPES_REDUCING = ("CB", "CF", "O", "MTC")
INVOICE_TYPES = ("RE", "WKR", "SR", "MA", "TR", "AR", "ER")
REQUIRED = (
    "invoiceDate",
    "contact",
    "discount",
    "status",
    "addressCountry",
    "contactPerson",
    "taxRule",
    "taxText",
    "invoiceType",
    "currency",
    "mapAll",
)
POSITION_REQUIRED = ("unity", "taxRate", "quantity", "mapAll")


class Invalid(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def parse_date(value, zone) -> datetime:
    """sevDesk dates: a unix timestamp, `dd.mm.yyyy` or ISO 8601."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, zone)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return datetime.fromtimestamp(int(text), zone)
        if re.fullmatch(r"\d\d\.\d\d\.\d{4}", text):
            return datetime.strptime(text, "%d.%m.%Y").replace(tzinfo=zone)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    raise Invalid(400, f"Invalid date: {value!r}")


def ref_id(value, object_name: str, field: str) -> str:
    """The id of a `{"id": …, "objectName": …}` reference."""
    if not isinstance(value, dict) or value.get("id") in (None, ""):
        raise Invalid(400, f"Missing or invalid reference: {field}")
    if value.get("objectName") != object_name:
        raise Invalid(400, f"{field}.objectName must be {object_name}")
    return str(value["id"])


def check_invoice(invoice, creating: bool) -> None:
    if not isinstance(invoice, dict):
        raise Invalid(400, "Missing required parameter: invoice")
    if invoice.get("objectName") != "Invoice":
        raise Invalid(400, "invoice.objectName must be Invoice")
    for field in REQUIRED:
        if invoice.get(field) in (None, ""):
            raise Invalid(400, f"Missing required parameter: invoice.{field}")
    if creating and str(invoice["status"]) != "100":
        raise Invalid(422, "Invoices can only be created with the status DRAFT (100)")
    if invoice["invoiceType"] not in INVOICE_TYPES:
        raise Invalid(400, f"Unknown invoiceType {invoice['invoiceType']}")
    rule = ref_id(invoice["taxRule"], "TaxRule", "invoice.taxRule")
    if rule in OSS_RULES:
        raise Invalid(422, f"taxRule {rule} (One Stop Shop) is not modelled by the emulator")
    if rule not in TAX_RULES:
        raise Invalid(422, f"Unknown taxRule {rule}")
    if rule in NOT_FOR_PARTIAL and invoice["invoiceType"] in ("AR", "TR", "ER"):
        raise Invalid(
            422, f"taxRule {rule} is not allowed for invoiceType {invoice['invoiceType']}"
        )
    if not re.fullmatch(r"[A-Z]{3}", str(invoice["currency"])):
        raise Invalid(400, "currency must be an ISO 4217 code")


def check_positions(positions, rule: str) -> None:
    if not isinstance(positions, list):
        raise Invalid(400, "invoicePosSave must be a list")
    for index, position in enumerate(positions):
        if not isinstance(position, dict) or position.get("objectName") != "InvoicePos":
            raise Invalid(400, f"invoicePosSave[{index}].objectName must be InvoicePos")
        for field in POSITION_REQUIRED:
            if position.get(field) in (None, ""):
                raise Invalid(400, f"Missing required parameter: invoicePosSave[{index}].{field}")
        ref_id(position["unity"], "Unity", f"invoicePosSave[{index}].unity")
        if all(position.get(k) is None for k in ("price", "priceNet", "priceGross")):
            raise Invalid(400, f"Missing required parameter: invoicePosSave[{index}].price")
        for field in ("quantity", "price", "priceNet", "priceGross", "discount", "taxRate"):
            value = position.get(field)
            if value is not None and (isinstance(value, bool) or not _numeric(value)):
                raise Invalid(400, f"invoicePosSave[{index}].{field} must be a number")
        rate = Decimal(str(position["taxRate"]))
        if rate not in {Decimal(r) for r in TAX_RULES[rule]}:
            raise Invalid(422, f"taxRate {position['taxRate']} is not allowed for taxRule {rule}")


def _numeric(value) -> bool:
    try:
        Decimal(str(value))
    except ArithmeticError:
        return False
    return not isinstance(value, dict | list)


def compute(positions: list[dict], show_net: bool) -> tuple[list[dict], dict]:
    """Each position's net, tax and gross price and the invoice sums. `price` is net when the
    invoice shows net (else gross). Tax per rate = rate × the rate's net sum, rounded half up to
    the cent (sevDesk's exact rounding is not documented)."""
    by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
    out = []
    for position in positions:
        rate = Decimal(str(position["taxRate"]))
        factor = 1 + rate / 100
        price = position.get("price")
        if position.get("priceNet") is not None and price is None:
            price, net_given = position["priceNet"], True
        elif position.get("priceGross") is not None and price is None:
            price, net_given = position["priceGross"], False
        else:
            net_given = show_net
        price = Decimal(str(price))
        net_price = price if net_given else price / factor
        discount = Decimal(str(position.get("discount") or 0))
        net = Decimal(str(position["quantity"])) * net_price * (1 - discount / 100)
        net = money(net)
        by_rate[rate] += net
        out.append(
            {
                **position,
                "priceNet": money(net_price, "0.0001"),
                "priceGross": money(net_price * factor, "0.0001"),
                "priceTax": money(net_price * factor - net_price, "0.0001"),
                "sumNet": net,
            }
        )
    sum_net = sum(by_rate.values(), Decimal(0))
    sum_tax = sum((money(v * r / 100) for r, v in by_rate.items()), Decimal(0))
    return out, {"sumNet": sum_net, "sumTax": sum_tax, "sumGross": sum_net + sum_tax}
