"""The UN/CEFACT CII D16B XML of an EInvoice, for Factur-X EN 16931 and XRechnung 3.0. Pure.

Element order follows the CII schema (the XSD checks it); what goes in follows EN 16931 and,
for XRechnung, the KoSIT CIUS (BT-10 buyer reference, seller contact BG-6, BG-16).
"""

from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from billing.einvoice.model import (
    Category,
    EInvoice,
    Line,
    Party,
    Profile,
    TaxSubtotal,
    exemption,
)
from rules.money import quantum

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "qdt": QDT, "ram": RAM, "udt": UDT}


def _el(parent: Any, tag: str, text: object = None, **attrs: str) -> Any:
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrs)
    if text is not None:
        node.text = str(text)
    return node


def _money(value: Decimal, currency: str) -> str:
    return str(Decimal(value).quantize(quantum(currency)))


def _price(value: Decimal, currency: str) -> str:
    """A unit price: at least the currency's minor unit, more digits only when it has them."""
    minimum = Decimal(value).quantize(quantum(currency))
    return str(minimum if minimum == value else Decimal(value).normalize())


def _date(parent: Any, tag: str, value: date, qualified: bool = False) -> None:
    holder = _el(parent, tag)
    _el(
        holder,
        "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        value.strftime("%Y%m%d"),
        format="102",
    )


def to_cii(invoice: EInvoice, profile: Profile = Profile.EN16931) -> bytes:
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", profile.value)
    _document(_el(root, "rsm:ExchangedDocument"), invoice)
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in invoice.lines:
        _line(_el(transaction, "ram:IncludedSupplyChainTradeLineItem"), line, invoice.currency)
    _agreement(_el(transaction, "ram:ApplicableHeaderTradeAgreement"), invoice)
    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    if invoice.delivery_date:
        _date(
            _el(delivery, "ram:ActualDeliverySupplyChainEvent"),
            "ram:OccurrenceDateTime",
            invoice.delivery_date,
        )
    _settlement(_el(transaction, "ram:ApplicableHeaderTradeSettlement"), invoice)
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml


def _document(node: Any, invoice: EInvoice) -> None:
    _el(node, "ram:ID", invoice.number)
    _el(node, "ram:TypeCode", invoice.type_code.value)
    _date(node, "ram:IssueDateTime", invoice.issue_date)
    for note in invoice.notes:
        _el(_el(node, "ram:IncludedNote"), "ram:Content", note)


def _line(node: Any, line: Line, currency: str) -> None:
    _el(_el(node, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.position)
    _el(_el(node, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
    agreement = _el(node, "ram:SpecifiedLineTradeAgreement")
    price = _el(agreement, "ram:NetPriceProductTradePrice")
    _el(price, "ram:ChargeAmount", _price(line.unit_price, currency))
    if line.base_quantity is not None:
        _el(price, "ram:BasisQuantity", str(line.base_quantity), unitCode=line.unit_code)
    _el(
        _el(node, "ram:SpecifiedLineTradeDelivery"),
        "ram:BilledQuantity",
        str(line.quantity),
        unitCode=line.unit_code,
    )
    settlement = _el(node, "ram:SpecifiedLineTradeSettlement")
    tax = _el(settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", line.category.value)
    if line.category != Category.OUTSIDE_SCOPE:  # BR-O-05: no rate on O lines
        _el(tax, "ram:RateApplicablePercent", str(line.rate))
    if line.period_start and line.period_end:
        period = _el(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", line.period_start)
        _date(period, "ram:EndDateTime", line.period_end)
    if line.discount:
        _discount(settlement, line, currency)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _money(line.net, currency))


def _discount(settlement: Any, line: Line, currency: str) -> None:
    allowance = _el(settlement, "ram:SpecifiedTradeAllowanceCharge")
    _el(_el(allowance, "ram:ChargeIndicator"), "udt:Indicator", "false")
    if line.discount_percent:
        _el(allowance, "ram:CalculationPercent", str(line.discount_percent))
        _el(allowance, "ram:BasisAmount", _money(line.net + line.discount, currency))
    _el(allowance, "ram:ActualAmount", _money(line.discount, currency))
    _el(allowance, "ram:ReasonCode", "95")  # UNTDID 5189: discount
    _el(allowance, "ram:Reason", "Discount")


def _agreement(node: Any, invoice: EInvoice) -> None:
    if invoice.buyer_reference:
        _el(node, "ram:BuyerReference", invoice.buyer_reference)
    outside = any(s.category == Category.OUTSIDE_SCOPE for s in invoice.subtotals)
    _party(_el(node, "ram:SellerTradeParty"), invoice.seller, seller=True, outside=outside)
    _party(_el(node, "ram:BuyerTradeParty"), invoice.buyer, seller=False, outside=outside)
    if invoice.order_reference:
        _el(
            _el(node, "ram:BuyerOrderReferencedDocument"),
            "ram:IssuerAssignedID",
            invoice.order_reference,
        )


def _party(node: Any, party: Party, *, seller: bool, outside: bool) -> None:
    # BR-O-02..04 forbid VAT IDs on "not subject to VAT" invoices; BR-CO-26 still wants the
    # seller identified, so its VAT ID number becomes the seller identifier (BT-29).
    if seller and outside and party.vat_id:
        _el(node, "ram:ID", party.vat_id)
    _el(node, "ram:Name", party.name)
    if party.contact:
        contact = _el(node, "ram:DefinedTradeContact")
        if party.contact.name:
            _el(contact, "ram:PersonName", party.contact.name)
        if party.contact.phone:
            _el(
                _el(contact, "ram:TelephoneUniversalCommunication"),
                "ram:CompleteNumber",
                party.contact.phone,
            )
        if party.contact.email:
            _el(
                _el(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", party.contact.email
            )
    _address(_el(node, "ram:PostalTradeAddress"), party)
    if party.email:
        _el(_el(node, "ram:URIUniversalCommunication"), "ram:URIID", party.email, schemeID="EM")
    if party.tax_number and seller:
        _el(_el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_number, schemeID="FC")
    if party.vat_id and not outside:
        _el(_el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")


def _address(node: Any, party: Party) -> None:
    address = party.address
    for tag, value in (
        ("ram:PostcodeCode", address.postal_code),
        ("ram:LineOne", address.street),
        ("ram:LineTwo", address.street2),
        ("ram:CityName", address.city),
    ):
        if value:
            _el(node, tag, value)
    _el(node, "ram:CountryID", address.country)
    if address.region:
        _el(node, "ram:CountrySubDivisionName", address.region)


def _settlement(node: Any, invoice: EInvoice) -> None:
    currency, means = invoice.currency, invoice.payment.means
    if means.creditor_id:
        _el(node, "ram:CreditorReferenceID", means.creditor_id)  # BT-90
    _el(node, "ram:PaymentReference", means.remittance or invoice.number)  # BT-83
    _el(node, "ram:InvoiceCurrencyCode", currency)
    _means(_el(node, "ram:SpecifiedTradeSettlementPaymentMeans"), invoice)  # BG-16, BR-DE-1
    for subtotal in invoice.subtotals:
        _tax(_el(node, "ram:ApplicableTradeTax"), subtotal, currency, invoice.language)
    if invoice.period:
        period = _el(node, "ram:BillingSpecifiedPeriod")  # BG-14
        _date(period, "ram:StartDateTime", invoice.period[0])
        _date(period, "ram:EndDateTime", invoice.period[1])
    terms = _el(node, "ram:SpecifiedTradePaymentTerms")
    _el(terms, "ram:Description", _terms_text(invoice))
    if invoice.payment.due_date:
        _date(terms, "ram:DueDateDateTime", invoice.payment.due_date)
    if means.mandate_reference:
        _el(terms, "ram:DirectDebitMandateID", means.mandate_reference)  # BT-89
    _summation(_el(node, "ram:SpecifiedTradeSettlementHeaderMonetarySummation"), invoice)
    if invoice.preceding:
        reference = _el(node, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", invoice.preceding.number)
        _date(reference, "ram:FormattedIssueDateTime", invoice.preceding.issue_date, True)


def _means(node: Any, invoice: EInvoice) -> None:
    """BT-81, BT-82 and the one group its code needs: card (BG-18), the debited account of a
    direct debit (BT-91) or the payee's account (BG-17)."""
    payment, means = invoice.payment, invoice.payment.means
    _el(node, "ram:TypeCode", means.code)
    _el(node, "ram:Information", payment.means_text)
    if means.card_number:
        card = _el(node, "ram:ApplicableTradeSettlementFinancialCard")
        _el(card, "ram:ID", means.card_number)
        if means.card_holder:
            _el(card, "ram:CardholderName", means.card_holder)
    if means.debited_account:
        _el(_el(node, "ram:PayerPartyDebtorFinancialAccount"), "ram:IBANID", means.debited_account)
    if means.iban:
        account = _el(node, "ram:PayeePartyCreditorFinancialAccount")
        _el(account, "ram:IBANID", means.iban)
        if means.account_name:
            _el(account, "ram:AccountName", means.account_name)
        if means.bic:
            institution = _el(node, "ram:PayeeSpecifiedCreditorFinancialInstitution")
            _el(institution, "ram:BICID", means.bic)


def _terms_text(invoice: EInvoice) -> str:
    payment = invoice.payment
    if payment.pay_link and payment.pay_link not in payment.terms:
        return f"{payment.terms} {payment.means_text}."
    return payment.terms


def _tax(node: Any, subtotal: TaxSubtotal, currency: str, language: str) -> None:
    _el(node, "ram:CalculatedAmount", _money(subtotal.tax, currency))
    _el(node, "ram:TypeCode", "VAT")
    reason = exemption(subtotal.category, language)  # BT-121 and BT-120 in the reader's language
    if reason:
        _el(node, "ram:ExemptionReason", reason[1])
    _el(node, "ram:BasisAmount", _money(subtotal.basis, currency))
    _el(node, "ram:CategoryCode", subtotal.category.value)
    if reason:
        _el(node, "ram:ExemptionReasonCode", reason[0])
    # Also 0 for O: EN 16931 allows it and BR-DE-14 wants the rate in every breakdown.
    _el(node, "ram:RateApplicablePercent", str(subtotal.rate))


def _summation(node: Any, invoice: EInvoice) -> None:
    totals, currency = invoice.totals, invoice.currency
    _el(node, "ram:LineTotalAmount", _money(totals.lines, currency))
    _el(node, "ram:TaxBasisTotalAmount", _money(totals.tax_exclusive, currency))
    _el(node, "ram:TaxTotalAmount", _money(totals.tax, currency), currencyID=currency)
    _el(node, "ram:GrandTotalAmount", _money(totals.grand, currency))
    if totals.prepaid:
        _el(node, "ram:TotalPrepaidAmount", _money(totals.prepaid, currency))
    _el(node, "ram:DuePayableAmount", _money(totals.due, currency))
