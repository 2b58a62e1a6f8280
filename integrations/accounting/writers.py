"""One period invoice of a contract, written into Lexware Office or sevDesk and read back.

Each writer knows three things of its provider: how a billing.schedule.PeriodInvoice reads as
its invoice (service period stated, quantities with their decimals, the tax fields of
integrations/*/tax.py), how to create it with MSPercury's reference in it, and how to find it by
that reference after an answer that may have landed (a 504 or a lost answer; Lexware §1.11,
sevDesk §2.11 of notes/connectors-lexware-sevdesk-polar.md). ``read`` returns the provider's
own numbers (its number, totals and due date), which go into the ledger as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.schedule import PeriodInvoice
from integrations.accounting.contracts import contract_tax, provider_tax
from integrations.lexware.client import LexwareClient
from integrations.sevdesk.client import SevdeskClient, ref

BERLIN = ZoneInfo("Europe/Berlin")
UNIT_NAMES = {
    "workstation": "Arbeitsplatz",
    "server": "Server",
    "user": "Benutzer",
    "hour": "Stunde",
    "unit": "Stück",
}


@dataclass(frozen=True)
class Issued:
    """What the provider holds: its id and number, totals in currency units, status, due."""

    external_id: str
    number: str
    net: Decimal
    tax: Decimal
    gross: Decimal
    status: str  # the ledger's: "draft" or "open" (paid/void come back through read-back)
    due_date: date | None


def german_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def service_text(invoice: PeriodInvoice) -> str:
    return (
        f"Leistungszeitraum {german_date(invoice.service_start)} – "
        f"{german_date(invoice.service_end)}"
    )


def line_text(line) -> str:
    text = f"Leistungszeitraum {german_date(line.service_start)} – {german_date(line.service_end)}"
    if line.prorated:
        text += f" (anteilig {line.served_days} von {line.period_days} Tagen)"
    return text


def lexware_moment(day: date) -> str:
    """Lexware's date-time format, ``yyyy-MM-ddTHH:mm:ss.SSSXXX``, midnight in Berlin."""
    moment = datetime.combine(day, time(), BERLIN)
    offset = moment.strftime("%z")
    return f"{day.isoformat()}T00:00:00.000{offset[:3]}:{offset[3:]}"


class LexwareWriter:
    def __init__(self, client: LexwareClient, contract, units: dict[str, str]):
        self.client, self.contract, self.units = client, contract, units

    def body(self, invoice: PeriodInvoice, issued_on: date) -> dict:
        contract = self.contract
        tax = provider_tax("lexware", contract_tax(contract, [x.tax_rate for x in invoice.lines]))
        pairs = zip(invoice.lines, tax.line_rates, strict=True)
        items = [self._item(line, rate) for line, rate in pairs]
        days = contract.days_until_due
        return {
            "voucherDate": lexware_moment(issued_on),
            "address": {"contactId": contract.contact_id},
            "lineItems": items,
            "totalPrice": {"currency": contract.currency},
            "taxConditions": tax.tax_conditions(),
            "paymentConditions": {
                "paymentTermLabel": f"Zahlbar innerhalb von {days} Tagen ohne Abzug",
                "paymentTermDuration": days,
            },
            "shippingConditions": {
                "shippingType": "serviceperiod",
                "shippingDate": lexware_moment(invoice.service_start),
                "shippingEndDate": lexware_moment(invoice.service_end),
            },
            "language": tax.language,
            "title": "Rechnung",
            "introduction": service_text(invoice),
        }

    def _item(self, line, rate: Decimal) -> dict:
        item = {
            "type": "custom",
            "name": line.description[:255],
            "description": line_text(line),
            "quantity": line.quantity,
            "unitName": "Pauschale" if line.prorated else self.units.get(line.ref, "Stück"),
            "unitPrice": {
                "currency": self.contract.currency,
                "netAmount": line.unit_price,
                "taxRatePercentage": rate,
            },
        }
        if line.discount_percent:
            item["discountPercentage"] = line.discount_percent
        return item

    def create(self, invoice: PeriodInvoice, issued_on: date, reference: str) -> str:
        return str(self.client.create_invoice(self.body(invoice, issued_on), reference)["id"])

    def find(self, reference: str, since: date) -> str | None:
        found = self.client.find_invoices(reference, self.contract.contact_id, since)
        return str(found[0]["id"]) if found else None

    def read(self, external_id: str) -> Issued:
        data = self.client.get_invoice(external_id)
        total = data.get("totalPrice") or {}
        due = data.get("dueDate")
        return Issued(
            external_id,
            str(data.get("voucherNumber") or ""),
            Decimal(str(total.get("totalNetAmount", 0))),
            Decimal(str(total.get("totalTaxAmount", 0))),
            Decimal(str(total.get("totalGrossAmount", 0))),
            "draft" if data.get("voucherStatus") == "draft" else "open",
            date.fromisoformat(due[:10]) if due else None,
        )


class SevdeskWriter:
    DRAFT = "100"

    def __init__(self, client: SevdeskClient, contract, units: dict[str, str]):
        self.client, self.contract, self.units = client, contract, units

    def parts(self, invoice: PeriodInvoice, issued_on: date) -> tuple[dict, list[dict]]:
        contract = self.contract
        tax = provider_tax("sevdesk", contract_tax(contract, [x.tax_rate for x in invoice.lines]))
        country = contract.customer.country.code or "DE"
        head = {
            "contact": ref(contract.contact_id, "Contact"),
            "contactPerson": ref(self.client.user_id(), "SevUser"),
            "invoiceDate": german_date(issued_on),
            "deliveryDate": german_date(invoice.service_start),
            "deliveryDateUntil": german_date(invoice.service_end),
            "discount": 0,
            "addressCountry": ref(self.client.country_id(country), "StaticCountry"),
            "currency": contract.currency,
            "timeToPay": contract.days_until_due,
            "headText": service_text(invoice),
            "footText": tax.foot_text,
            **tax.invoice_fields(),
        }
        pairs = zip(invoice.lines, tax.line_rates, strict=True)
        positions = [self._position(line, rate) for line, rate in pairs]
        return head, positions

    def _position(self, line, rate: Decimal) -> dict:
        position = {
            "name": line.description,
            "text": line_text(line),
            "quantity": line.quantity,
            "price": line.unit_price,
            "unity": ref(1, "Unity"),
            "taxRate": rate,
        }
        if line.discount_percent:
            position["discount"] = line.discount_percent
        return position

    def create(self, invoice: PeriodInvoice, issued_on: date, reference: str) -> str:
        head, positions = self.parts(invoice, issued_on)
        saved = self.client.save_invoice(head, positions, reference)
        return str(saved["invoice"]["id"])

    def find(self, reference: str, since: date) -> str | None:
        found = self.client.find_invoices(reference, self.contract.contact_id)
        return str(found[0]["id"]) if found else None

    def read(self, external_id: str) -> Issued:
        data = self.client.get_invoice(external_id)
        if str(data.get("status")) == self.DRAFT:
            # saveInvoice only makes drafts; marking it sent makes it open (PUT sendBy).
            self.client.mark_sent(external_id)
            data = self.client.get_invoice(external_id)
        invoice_date = _sevdesk_date(data.get("invoiceDate"))
        days = int(data.get("timeToPay") or 0)
        return Issued(
            external_id,
            str(data.get("invoiceNumber") or ""),
            Decimal(str(data.get("sumNet") or 0)),
            Decimal(str(data.get("sumTax") or 0)),
            Decimal(str(data.get("sumGross") or 0)),
            "open",
            invoice_date + timedelta(days=days) if invoice_date else None,
        )


def _sevdesk_date(value) -> date | None:
    if not value:
        return None
    text = str(value)
    if "." in text[:6]:
        return datetime.strptime(text[:10], "%d.%m.%Y").date()
    return date.fromisoformat(text[:10])


def writer_for(client, contract, units: dict[str, str]):
    if isinstance(client, LexwareClient):
        return LexwareWriter(client, contract, units)
    return SevdeskWriter(client, contract, units)
