"""From our mirror to the pure builder: a finalized Stripe invoice with Stripe's lines, its
quote (units and true quantities of unchanged lines), customer and workspace become the facts
compose() takes. credit_notes.py does the same for credit notes with these helpers."""

from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal

from django.utils import formats, translation
from django.utils.translation import pgettext

from billing.edge import edge
from billing.einvoice.compose import (
    LineFacts,
    NotAnEInvoice,
    StripeFigures,
    StripeLineFacts,
    compose,
)
from billing.einvoice.model import Address, Contact, EInvoice, Party
from billing.models import Ownership, StripeInvoice, StripeSubscription
from mspercury.localtime import local_date
from mspercury.models import Membership, Role
from quotes.models import BillingPeriod
from rules import wording
from rules.tax import Party as TaxParty
from rules.tax import TaxTreatment, decide_tax
from rules.taxids import TaxIdType

FINALIZED = (
    StripeInvoice.Status.OPEN,
    StripeInvoice.Status.PAID,
    StripeInvoice.Status.UNCOLLECTIBLE,
)
PERIOD_OF_INTERVAL = {"month": BillingPeriod.MONTHLY, "year": BillingPeriod.YEARLY}


def leitweg_id(customer) -> str:
    """The public buyer's routing ID (BT-10)."""
    return (customer.leitweg_id or "").strip()


def wants_einvoice(customer) -> bool:
    """Whether the invoice emails carry the e-invoice: asked for, or a public buyer."""
    return bool(customer.wants_einvoices or leitweg_id(customer))


def _vat_id(tax_id_type: str, tax_id: str) -> str:
    return tax_id.replace(" ", "").upper() if tax_id_type == TaxIdType.EU_VAT else ""


def _owner(workspace):
    membership = (
        Membership.objects.filter(workspace=workspace, role=Role.OWNER)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return membership.user if membership else None


def seller_party(workspace) -> Party:
    """The MSP. The invoice contact of its settings; name and email default to the owner's."""
    owner = None
    if not (workspace.invoice_email and workspace.invoice_contact_name):
        owner = _owner(workspace)
    email = workspace.invoice_email or (owner.email if owner else "")
    contact = Contact(
        name=workspace.invoice_contact_name or (owner.full_name if owner else ""),
        phone=workspace.invoice_phone,
        email=email,
    )
    address = Address(
        country=workspace.country.code or "",
        street=workspace.street,
        postal_code=workspace.postal_code,
        city=workspace.city,
        region=workspace.region,
    )
    return Party(
        name=workspace.name,
        address=address,
        vat_id=_vat_id(workspace.tax_id_type, workspace.tax_id),
        tax_number=workspace.tax_number,
        contact=contact,
        email=email,
    )


def buyer_party(customer) -> Party:
    address = Address(
        country=customer.country.code or "",
        street=customer.street,
        street2=customer.street2,
        postal_code=customer.postal_code,
        city=customer.city,
        region=customer.state,
    )
    contact = Contact(name=customer.contact_name, phone=customer.phone, email=customer.email)
    return Party(
        name=customer.company_name,
        address=address,
        vat_id=_vat_id(customer.tax_id_type, customer.tax_id),
        contact=contact,
        email=customer.email,
    )


def _facts(lines) -> list[LineFacts]:
    return [
        LineFacts(
            line.description, line.quantity, line.unit, line.unit_price, line.discount_percent
        )
        for line in lines
    ]


def _moment(timestamp, zone: tzinfo) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), tz=UTC).astimezone(zone) if timestamp else None


def line_period(line: dict, zone: tzinfo = UTC) -> tuple[date, date] | None:
    """BT-134/135 as local dates in the MSP's zone (§§1, 4 EinhZeitG). Stripe's period end is
    exclusive (the next period's start), so the last day is the local date of end − 1 s. A
    one-time item (start = end) is dated its day: start and end are that date."""
    start, end = _moment(line.get("period_start"), zone), _moment(line.get("period_end"), zone)
    if not (start and end) or end < start:
        return None
    if end == start:
        return start.date(), start.date()
    return start.date(), max(start.date(), (end - timedelta(seconds=1)).date())


def mapped_tax_rates(workspace_id: int, lines: list[dict]) -> dict[str, tuple[str, Decimal]]:
    """The Stripe tax rates on these lines that MSPercury made: txr_… → (treatment, percent),
    read from their key (integrations.push.tax_rates.TaxRateSpec.key)."""
    ids = {tax["tax_rate"] for line in lines for tax in line.get("taxes", []) if tax["tax_rate"]}
    if not ids:
        return {}
    known = {}
    for stripe_id, key in edge().tax_rate_keys(workspace_id, ids).items():
        _country, percent, _behaviour, treatment = key.split(":")
        known[stripe_id] = (treatment, Decimal(percent))
    return known


def stripe_line_facts(
    line: dict,
    rates: dict,
    quoted: dict[str, LineFacts],
    inherited: dict | None = None,
    zone: tzinfo = UTC,
) -> StripeLineFacts:
    """One mirrored line (billing.mirror.line_facts) as compose() takes it. ``inherited`` is
    the invoice line a credit-note line credits: its period and tax rate, when it has none."""
    taxes = line.get("taxes") or []
    rate_ids = [t["tax_rate"] for t in taxes if t["tax_rate"]] or [
        t["tax_rate"] for t in (inherited or {}).get("taxes", []) if t["tax_rate"]
    ]
    treatment, rate = rates.get(rate_ids[0], ("", None)) if rate_ids else ("", None)
    inclusive = any(t["behavior"] == "inclusive" for t in taxes)
    line_id = (line.get("metadata") or {}).get("mspercury_line_id", "")
    return StripeLineFacts(
        description=line["description"],
        quantity=Decimal(line["quantity"]),
        amount=line["amount"],
        discount=line["discount"],
        tax=sum(t["amount"] for t in taxes),
        taxed=bool(taxes),
        taxable=sum(t["taxable_amount"] for t in taxes[:1]) if inclusive else None,
        treatment=treatment,
        rate=rate,
        period=line_period(line, zone) or (line_period(inherited, zone) if inherited else None),
        quote=quoted.get(line_id),
    )


def quoted_lines(quote) -> dict[str, LineFacts]:
    """The quote's lines by the id MSPercury put into Stripe's metadata (mspercury_line_id)."""
    if quote is None:
        return {}
    lines = quote.lines.order_by("position", "id")
    return {str(x.public_id): _facts([x])[0] for x in lines}


def candidate_lines(invoice: StripeInvoice) -> list[list[LineFacts]]:
    """Which of the quote's lines this invoice may bill, most likely first: a subscription's
    period lines (a renewal), with the one-time lines (the first invoice), or everything."""
    lines = list(invoice.quote.lines.order_by("position", "id"))
    one_time = [x for x in lines if x.billing_period == BillingPeriod.ONE_TIME]
    interval = (
        StripeSubscription.objects.filter(
            workspace_id=invoice.workspace_id, stripe_id=invoice.subscription_id
        )
        .values_list("interval", flat=True)
        .first()
        if invoice.subscription_id
        else None
    )
    period = PERIOD_OF_INTERVAL.get(interval or "")
    recurring = [x for x in lines if x.billing_period == period] if period else []
    sets = [recurring, recurring + one_time] if period else [one_time]
    return [_facts(s) for s in [*sets, lines] if s]


def local_day(value: date, language: str) -> str:
    """A date as the reader writes it (mspercury/formats): 21.12.2026, 21/12/2026 …"""
    with translation.override(language):
        return formats.date_format(value, "SHORT_DATE_FORMAT")


def payment_terms(due: date | None, automatic: bool, days: int, language: str) -> str:
    """BT-20 in the customer's language."""
    with translation.override(language):
        if due:
            return pgettext("e-invoice", "Payable by %(date)s.") % {
                "date": local_day(due, language)
            }
        if automatic:
            return pgettext("e-invoice", "Charged to the payment method on file.")
        return pgettext("e-invoice", "Payable within %(days)s days.") % {"days": days}


def legal_notes(treatment, workspace, seller: Party, buyer: Party, language: str) -> list[str]:
    """The legal mention (BT-22) of a zero-rated invoice, in the customer's language."""
    country = workspace.country.code or ""
    if treatment == TaxTreatment.REVERSE_CHARGE:
        notice = wording.reverse_charge_notice(language, country, seller.vat_id, buyer.vat_id)
    elif treatment == TaxTreatment.EXPORT and hasattr(wording, "export_notice"):
        notice = wording.export_notice(language, country)  # arrives with the VAT engine
    else:
        return []
    return [f"{notice['title']}: {notice['body']}"]


def tax_parties(workspace, customer) -> tuple[TaxParty, TaxParty]:
    """The parties as the VAT engine builds them (with the customer's VIES status)."""
    try:
        from customers.tax_parties import customer_party, party
    except ImportError:  # before customers/tax_parties.py lands
        return (
            TaxParty(workspace.country.code or "", workspace.tax_id_type, workspace.tax_id),
            TaxParty(customer.country.code or "", customer.tax_id_type, customer.tax_id),
        )
    return party(workspace), customer_party(customer)


def invoice_line_facts(invoice: StripeInvoice) -> list[StripeLineFacts]:
    """Stripe's lines of the invoice as mirrored; empty for a row mirrored before lines were."""
    if not invoice.lines:
        return []
    rates = mapped_tax_rates(invoice.workspace_id, invoice.lines)
    quoted = quoted_lines(invoice.quote)
    zone = invoice.workspace.zone
    return [stripe_line_facts(line, rates, quoted, zone=zone) for line in invoice.lines]


def einvoice_from_stripe(invoice: StripeInvoice, *, pay_link: str | None = None) -> EInvoice:
    """The e-invoice of a finalized invoice of ours. ``pay_link`` defaults to Stripe's hosted
    page while something is due; pass a portal pay link to put that in instead."""
    if invoice.status not in FINALIZED or invoice.ownership != Ownership.OURS:
        raise NotAnEInvoice(f"invoice {invoice} is not a finalized invoice of ours")
    quote = invoice.quote
    customer = invoice.customer or (quote.customer if quote else None)
    if quote is None and not invoice.lines:
        raise NotAnEInvoice(f"invoice {invoice} has neither Stripe's lines nor a quote")
    if customer is None or not invoice.number or invoice.created is None:
        raise NotAnEInvoice(f"invoice {invoice} has no customer, number or date")
    from billing.einvoice.paying import means_for, means_text

    workspace = invoice.workspace
    issued = invoice.issued_on  # BT-2: the local date of finalization
    seller, buyer = seller_party(workspace), buyer_party(customer)
    decision = decide_tax(*tax_parties(workspace, customer), issued)
    due_date = local_date(workspace, invoice.due_date)
    figures = StripeFigures(
        number=invoice.number,
        issue_date=issued,
        currency=invoice.currency.upper(),
        total=invoice.total,
        tax=invoice.tax,
        amount_due=invoice.amount_due,
        due_date=due_date,
        amount_paid=invoice.amount_paid,
        credited_before_payment=credited_before_payment(invoice),
    )
    if pay_link is None:
        due = invoice.status == StripeInvoice.Status.OPEN and invoice.amount_remaining > 0
        pay_link = invoice.hosted_invoice_url if due else ""
    language = customer.language or workspace.default_language
    means = means_for(invoice, customer)
    automatic = customer.collection_method == "charge_automatically"
    return compose(
        figures,
        seller=seller,
        buyer=buyer,
        treatment=decision.treatment,
        rate=decision.rate,
        candidates=candidate_lines(invoice) if not invoice.lines else (),
        stripe_lines=invoice_line_facts(invoice),
        payment_terms=payment_terms(due_date, automatic, customer.days_until_due, language),
        pay_link=pay_link,
        buyer_reference=leitweg_id(customer),
        order_reference=quote.number if quote else "",
        notes=legal_notes(decision.treatment, workspace, seller, buyer, language),
        language=language,
        means=means,
        means_text=means_text(means, pay_link, language),
    )


def credited_before_payment(invoice: StripeInvoice) -> int:
    """What the invoice's issued credit notes took off its amount due before payment (none
    when Stripe's amount due is the whole total)."""
    from billing.einvoice.models import StripeCreditNote

    if invoice.amount_due >= invoice.total:
        return 0
    notes = StripeCreditNote.objects.filter(
        workspace_id=invoice.workspace_id, invoice=invoice, status=StripeCreditNote.Status.ISSUED
    )
    return sum(notes.values_list("pre_payment_amount", flat=True))
