"""Pushing an accepted quote when the workspace bills from Lexware Office or sevDesk: the contact
in the provider and a contract in MSPercury, which billing.schedule then bills period by period
(integrations.accounting.issue).

Neither API creates recurring invoices (Lexware's and sevDesk's recurring templates are
read-only; notes/connectors-lexware-sevdesk-polar.md §1.9, §2.9), so the push writes no invoice
itself. It refuses, with the reason, what the provider cannot represent (integrations/*/tax.py,
e.g. Lexware accepts only EUR) before anything is written anywhere. Pushing twice makes one
contract (one per quote and provider, under the quote's row lock) and one contact (Lexware: found
by the reference in its ``note``; sevDesk: by MSPercury's ``customerNumber``).
"""

from __future__ import annotations

import time
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import Contract, ContractLine
from billing.schedule import quote_interval
from integrations.accounting import readback
from integrations.accounting.http import RateLimited
from integrations.accounting.tax import InvoiceTax, TaxRefused
from integrations.connection.accounting import billing_provider
from integrations.lexware.client import LexwareClient
from integrations.lexware.tax import lexware_tax
from integrations.models import AccountingConnection, BillingProvider, Push
from integrations.push.inputs import push_snapshot
from integrations.sevdesk.client import Address, SevdeskClient
from integrations.sevdesk.tax import sevdesk_tax
from mspercury.localtime import today_in
from quotes.models import Quote
from rules.taxids import TaxIdType

ACCOUNTING = (BillingProvider.LEXWARE, BillingProvider.SEVDESK)
RATE_LIMIT_TRIES = 30
MAX_RETRY_AFTER = 60.0


def patiently(call, *args):
    """``call(*args)``, waiting out 429s as the provider asks (Retry-After, else a second)
    instead of failing."""
    for _attempt in range(RATE_LIMIT_TRIES - 1):
        try:
            return call(*args)
        except RateLimited as limited:
            time.sleep(min(limited.retry_after, MAX_RETRY_AFTER))
    return call(*args)


class ContractRefused(Exception):
    """Nothing was pushed; ``message`` says why, for the MSP."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def accounting_provider(workspace) -> str | None:
    """Lexware Office or sevDesk when the workspace bills from one of them, else None."""
    provider = billing_provider(workspace)
    return provider if provider in ACCOUNTING else None


def connection_for(workspace, provider: str) -> AccountingConnection:
    connection = AccountingConnection.objects.for_workspace(workspace, provider)
    if connection is None:
        raise ContractRefused(
            _("Connect %(provider)s first.") % {"provider": BillingProvider(provider).label}
        )
    return connection


def client_for(connection: AccountingConnection):
    if connection.provider == BillingProvider.LEXWARE:
        return LexwareClient(connection.api_key)
    return SevdeskClient(connection.api_key)


def account_ref(connection: AccountingConnection) -> str:
    """The provider account the ledger files the invoices under: the one the read-back matches
    callbacks and polls against (integrations.accounting.readback.account_ref)."""
    return readback.account_ref(connection)


def contract_tax(contract: Contract, rates) -> InvoiceTax:
    """The contract's VAT decision for lines of ``rates`` (one per invoice line)."""
    return InvoiceTax(
        currency=contract.currency.upper(),
        language=contract.language,
        supplier_country=(contract.workspace.country.code or "").upper(),
        lines=tuple(
            InvoiceTax.uniform(
                contract.tax_treatment,
                Decimal(rate),
                lines=1,
                rate_country=contract.tax_rate_country or "DE",
            ).lines[0]
            for rate in rates
        ),
        supplier_vat_id=contract.supplier_vat_id,
        customer_vat_id=contract.customer_vat_id,
    )


def provider_tax(provider: str, invoice: InvoiceTax):
    """The provider's tax fields for ``invoice``, or TaxRefused with the reason."""
    return lexware_tax(invoice) if provider == BillingProvider.LEXWARE else sevdesk_tax(invoice)


# -- the contact ---------------------------------------------------------------------------------


def contact_reference(customer) -> str:
    """MSPercury's key of the customer in the provider (Lexware: a line in the contact's note;
    sevDesk: its customerNumber)."""
    return f"MSP-{customer.public_id.hex[:12]}"


def _vat_id(customer) -> str:
    return customer.tax_id if customer.tax_id_type == TaxIdType.EU_VAT else ""


def lexware_contact(customer) -> dict:
    """Lexware's contact body: company, VAT ID, billing address, e-mail, and the Leitweg-ID for
    XRechnung with the MSP's supplier number at the customer beside it, which Lexware requires
    (``vendorNumberAtCustomer``; notes/connectors-lexware-sevdesk-polar.md §1.5, §1.15)."""
    company: dict = {"name": customer.company_name}
    if _vat_id(customer):
        company["vatRegistrationId"] = _vat_id(customer)
    body: dict = {"company": company}
    if customer.street or customer.city:
        address = {
            "street": customer.street,
            "zip": customer.postal_code,
            "city": customer.city,
            "countryCode": customer.country.code or "DE",
        }
        body["addresses"] = {"billing": [address]}
    if customer.email:
        body["emailAddresses"] = {"business": [customer.email]}
    if customer.leitweg_id:
        body["xRechnung"] = {
            "buyerReference": customer.leitweg_id,
            "vendorNumberAtCustomer": customer.supplier_number,
        }
    return body


def find_or_create_contact(client, customer) -> str:
    """The customer's contact id in the provider, made if it does not exist yet."""
    reference = contact_reference(customer)
    if isinstance(client, LexwareClient):
        contact_id, _created = client.find_or_create_contact(lexware_contact(customer), reference)
        return contact_id
    address = None
    if customer.street or customer.city:
        address = Address(
            customer.street, customer.postal_code, customer.city, customer.country.code or "DE"
        )
    contact, _created = client.find_or_create_contact(
        customer.company_name,
        reference,
        address=address,
        email=customer.email,
        vat_number=_vat_id(customer),
        buyer_reference=customer.leitweg_id,
    )
    return str(contact["id"])


# -- the contract --------------------------------------------------------------------------------


def contract_fields(quote: Quote, snapshot: dict, provider: str) -> dict:
    workspace, customer = quote.workspace, quote.customer
    tax = snapshot["tax"]
    return {
        "customer": customer,
        "quote_revision": snapshot["revision"],
        "currency": snapshot["currency"].upper(),
        "starts_on": today_in(workspace),
        "tax_treatment": tax["treatment"],
        "tax_rate": Decimal(tax["rate"]),
        "tax_rate_country": tax.get("rate_country") or "",
        "supplier_vat_id": workspace.tax_id,
        "customer_vat_id": _vat_id(customer),
        "language": customer.language or snapshot.get("language") or "de",
        "days_until_due": customer.days_until_due,
    }


def line_rows(contract: Contract, snapshot: dict) -> list[ContractLine]:
    """The quote's lines as the contract's: quantity, price and discount exactly as quoted."""
    return [
        ContractLine(
            workspace=contract.workspace,
            contract=contract,
            position=position,
            quote_line_ref=row["id"],
            description=row["description"],
            unit=row.get("unit") or "",
            quantity=Decimal(row["quantity"]),
            unit_price=Decimal(row["unit_price"]),
            discount_percent=Decimal(row["discount_percent"])
            if row.get("discount_percent")
            else None,
            interval=quote_interval(row["billing_period"]),
            tax_rate=contract.tax_rate,
        )
        for position, row in enumerate(snapshot["lines"])
    ]


def check_contract(quote: Quote, snapshot: dict, provider: str) -> None:
    """Refuse what the provider cannot bill, before the provider is asked anything."""
    if not snapshot["lines"]:
        raise ContractRefused(_("The quote has no lines to bill."))
    _refuse_xrechnung_without_supplier_number(quote.customer, provider)
    draft = Contract(workspace=quote.workspace, **contract_fields(quote, snapshot, provider))
    try:
        provider_tax(provider, contract_tax(draft, [draft.tax_rate] * len(snapshot["lines"])))
    except TaxRefused as refused:
        raise ContractRefused(refused.message) from refused


def _refuse_xrechnung_without_supplier_number(customer, provider: str) -> None:
    """Lexware Office rejects a contact with a Leitweg-ID but no ``vendorNumberAtCustomer``
    (notes/connectors-lexware-sevdesk-polar.md §1.5: "setting buyerReference requires
    vendorNumberAtCustomer"). sevDesk's contact has no such field (§2.5)."""
    if provider == BillingProvider.LEXWARE and customer.leitweg_id and not customer.supplier_number:
        raise ContractRefused(
            _(
                "%(customer)s has a Leitweg-ID, so Lexware Office bills them with XRechnung, "
                "which needs your supplier number at the customer. Add it on the customer "
                "(“Our supplier number at the customer”) and push again."
            )
            % {"customer": customer.company_name}
        )


def do_push_contract(quote: Quote) -> tuple[Contract, bool]:
    """(contract, created): the contract of the accepted ``quote`` in the workspace's accounting
    tool, with the customer's contact found or made there. Safe to call twice."""
    workspace = quote.workspace
    provider = accounting_provider(workspace)
    if provider is None:
        raise ContractRefused(_("This workspace bills with Stripe."))
    existing = Contract.objects.filter(workspace=workspace, quote=quote, provider=provider).first()
    if existing is not None:
        return existing, False
    _refuse_billed_elsewhere(quote)
    snapshot = push_snapshot(quote)
    if snapshot is None:
        raise ContractRefused(_("Only accepted quotes can be billed."))
    check_contract(quote, snapshot, provider)
    connection = connection_for(workspace, provider)
    client = client_for(connection)
    contact_id = patiently(find_or_create_contact, client, quote.customer)
    return _create(quote, snapshot, provider, contact_id)


def _refuse_billed_elsewhere(quote: Quote) -> None:
    """A quote is billed by one provider: not again after the workspace changed its choice."""
    other = Contract.objects.filter(quote=quote, status=Contract.Status.ACTIVE).first()
    if other is not None:
        raise ContractRefused(
            _("MSPercury already bills this quote in %(provider)s.")
            % {"provider": other.get_provider_display()}
        )
    if Push.objects.filter(quote=quote).exists():
        raise ContractRefused(
            _("This quote was pushed to Stripe, which bills it (discard a failed push first).")
        )


def _create(quote: Quote, snapshot: dict, provider: str, contact_id: str):
    with transaction.atomic():
        Quote.objects.select_for_update().get(pk=quote.pk)
        contract, created = Contract.objects.get_or_create(
            workspace=quote.workspace,
            quote=quote,
            provider=provider,
            defaults={**contract_fields(quote, snapshot, provider), "contact_id": contact_id},
        )
        if created:
            ContractLine.objects.bulk_create(line_rows(contract, snapshot))
    return contract, created
