"""Writing the evidence records: ``record_supplies(invoice)`` once an invoice is paid, and
``apply_reduction(payment)`` for each refund or credit note of it. Both are idempotent (one
supply per Stripe line, one reduction per payment and supply) and run inside the invoice's
workspace. Stripe is read for the card/bank and IP countries and for credit notes (their
refunds and lines); a read that fails leaves the item out and never blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from billing.evidence import rules, stripe_items
from billing.evidence.models import Evidence, Reduction, Supply
from billing.models import Ownership, Payment, PaymentStatus, StripeInvoice
from billing.tax import Party, TaxTreatment, decide_tax
from billing.tax_parties import party
from billing.vatids.models import VatIdStatus
from billing.vatids.services import in_force, vat_id_of
from integrations.models import StripeConnection, StripeObjectMap

# The supply date is the invoice date as the German books have it (as the DATEV export does).
BOOKS_TZ = ZoneInfo("Europe/Berlin")
REDUCING = (Payment.Source.REFUND, Payment.Source.CREDIT_NOTE)


def books_day(moment: datetime | None) -> date:
    return (moment or timezone.now()).astimezone(BOOKS_TZ).date()


def stripe_client(workspace_id: int):
    """The workspace's Stripe client, or None when it is not connected any more."""
    from integrations.stripe.client import make_client

    connection = StripeConnection.objects.filter(workspace_id=workspace_id).first()
    return make_client(connection.api_key) if connection else None


@dataclass(frozen=True)
class InvoiceEvidence:
    """What places every line of one invoice, and the VIES answer in force on its date."""

    day: date
    billing: str
    bank: stripe_items.Item
    ip: stripe_items.Item
    validation: object  # VatIdValidation | None

    @property
    def decision(self) -> rules.Decision:
        return rules.place_of_supply(self.billing, self.bank.country, self.ip.country)


def gather(invoice: StripeInvoice, client) -> InvoiceEvidence:
    """The invoice's evidence items: its customer's address, and (read from Stripe through
    ``client``, None when not connected) the paying card or bank account and an IP country."""
    customer = invoice.customer
    day = books_day(invoice.created)
    bank = ip = stripe_items.Item()
    if client is not None:
        bank = stripe_items.bank_country(client, _payment_intents(invoice))
        line_metadata = [line.get("metadata") or {} for line in invoice.lines]
        ip = stripe_items.ip_country(client, invoice.stripe_id, line_metadata)
    return InvoiceEvidence(
        day=day,
        billing=(customer.country.code or "") if customer else "",
        bank=bank,
        ip=ip,
        validation=in_force(customer, day) if customer and vat_id_of(customer) else None,
    )


def _payment_intents(invoice: StripeInvoice) -> list[str]:
    paid = Payment.objects.filter(
        invoice=invoice, source__in=[Payment.Source.STRIPE, Payment.Source.MANUAL]
    )
    return list(paid.exclude(payment_intent="").values_list("payment_intent", flat=True))


def _our_rate_keys(invoice: StripeInvoice) -> dict[str, rules.RateKey]:
    ids = {tax["tax_rate"] for line in invoice.lines for tax in line["taxes"] if tax["tax_rate"]}
    mapped = StripeObjectMap.objects.filter(
        workspace_id=invoice.workspace_id, kind=StripeObjectMap.Kind.TAX_RATE, stripe_id__in=ids
    ).values_list("stripe_id", "local_ref")
    keys = {stripe_id: rules.parse_rate_key(ref) for stripe_id, ref in mapped}
    return {stripe_id: key for stripe_id, key in keys.items() if key}


def _decided(invoice: StripeInvoice, found: InvoiceEvidence) -> tuple[str, Decimal]:
    customer = invoice.customer
    status = found.validation.status if found.validation else ""
    buyer = Party(
        country=found.billing,
        tax_id_type=customer.tax_id_type if customer else "",
        tax_id=customer.tax_id if customer else "",
        vat_id_status=status,
    )
    decision = decide_tax(party(invoice.workspace), buyer, found.day)
    return str(decision.treatment), decision.rate


def _supply(invoice, line: dict, found: InvoiceEvidence, keys: dict) -> Supply:
    key = next((keys[t["tax_rate"]] for t in line["taxes"] if t["tax_rate"] in keys), None)
    if key is not None:
        treatment, rate, source = key.treatment, Decimal(key.percent), Supply.RateSource.TAX_RATE
    else:
        treatment, rate = _decided(invoice, found)
        source = Supply.RateSource.DECIDED
    validation = found.validation
    confirmed = validation is not None and validation.status == VatIdStatus.VALID
    customer = invoice.customer
    return Supply(
        workspace_id=invoice.workspace_id,
        invoice=invoice,
        line_id=line["id"],
        description=line.get("description", "")[:500],
        customer=customer,
        customer_vat_id=(customer.tax_id if customer else "")[:40],
        currency=(line.get("currency") or invoice.currency).upper(),
        net=int(line["amount"]) - int(line.get("discount", 0)),
        tax=sum(int(t["amount"]) for t in line["taxes"]),
        rate=rate,
        treatment=treatment,
        rate_source=source,
        place_of_supply=found.decision.country,
        supplied_on=found.day,
        vat_validation=validation,
        conflict=found.decision.conflict,
        unconfirmed_vat_id=treatment == TaxTreatment.REVERSE_CHARGE and not confirmed,
    )


def _evidence(supply: Supply, found: InvoiceEvidence) -> Evidence:
    return Evidence(
        workspace_id=supply.workspace_id,
        supply=supply,
        billing_country=found.billing,
        bank_country=found.bank.country,
        bank_source=found.bank.source,
        ip_country=found.ip.country,
        ip_source=found.ip.source,
        decided_country=found.decision.country,
    )


def _payable(invoice: StripeInvoice) -> bool:
    return invoice.payment_status == PaymentStatus.PAID and invoice.ownership == Ownership.OURS


def record_supplies(invoice: StripeInvoice, client=None) -> list[Supply]:
    """Write the supplies and their evidence of a paid invoice's lines not recorded yet, then
    apply its refunds and credit notes. Returns the new supplies ([] when nothing to do)."""
    invoice = StripeInvoice.objects.select_related("customer", "workspace").get(pk=invoice.pk)
    recorded = set(Supply.objects.filter(invoice=invoice).values_list("line_id", flat=True))
    missing = [line for line in invoice.lines if line.get("id") and line["id"] not in recorded]
    if not _payable(invoice) or not missing:
        return []
    client = client or stripe_client(invoice.workspace_id)
    found = gather(invoice, client)
    keys = _our_rate_keys(invoice)
    written = []
    with transaction.atomic():
        StripeInvoice.objects.select_for_update().filter(pk=invoice.pk).first()
        for line in missing:
            written += _write_once(invoice, line, found, keys)
    for payment in Payment.objects.filter(invoice=invoice, source__in=REDUCING).order_by("id"):
        apply_reduction(payment, client=client)
    return written


def _write_once(invoice, line, found, keys) -> list[Supply]:
    try:
        with transaction.atomic():
            supply = _supply(invoice, line, found, keys)
            supply.save()
            _evidence(supply, found).save()
            return [supply]
    except IntegrityError:  # recorded meanwhile by a redelivered event
        return []


# -- refunds and credit notes --------------------------------------------------------------------


def _credit_note(payment: Payment, client) -> stripe_items.CreditNote:
    if payment.source != Payment.Source.CREDIT_NOTE:
        return stripe_items.CreditNote()
    client = client or stripe_client(payment.workspace_id)
    return (
        stripe_items.credit_note(client, payment.provider_id)
        if client
        else stripe_items.CreditNote()
    )


def _shares(payment: Payment, supplies: list[Supply], note) -> list[tuple[int, int]]:
    """(net, tax) per supply: by the credit note's lines where they name our lines and add up
    to it, else pro rata to the supplies' gross amounts."""
    amounts = [rules.SupplyAmount(s.line_id, s.net, s.tax) for s in supplies]
    found = rules.by_credited_lines(-payment.amount, amounts, note.lines)
    return found if found is not None else rules.pro_rata(-payment.amount, amounts)


def apply_reduction(payment: Payment, client=None) -> list[Reduction]:
    """Lower the invoice's supplies by a refund or credit note (gross, negative), to the cent.
    Once per payment; a refund that a credit note names is kept superseded, so the same money
    back never counts twice."""
    if payment.source not in REDUCING or not payment.counts:
        return []
    supplies = list(Supply.objects.filter(invoice_id=payment.invoice_id).order_by("id"))
    if not supplies or Reduction.objects.filter(payment=payment).exists():
        return []
    note = _credit_note(payment, client)
    explained = _explained_by_credit_note(payment)
    shares = _shares(payment, supplies, note)
    with transaction.atomic():
        made = [
            _reduce(payment, supply, share, list(note.refunds), superseded=explained)
            for supply, share in zip(supplies, shares, strict=True)
        ]
        if note.refunds:
            Reduction.objects.filter(
                supply__invoice_id=payment.invoice_id, payment__provider_id__in=note.refunds
            ).update(superseded=True)
        for supply in supplies:
            _resum(supply)
    return [reduction for reduction in made if reduction is not None]


def _explained_by_credit_note(payment: Payment) -> bool:
    """Whether a credit note of the invoice made this refund (read in Python: SQLite, the
    demo's database, has no JSON containment)."""
    covers = Reduction.objects.filter(supply__invoice_id=payment.invoice_id).values_list(
        "covers", flat=True
    )
    return any(payment.provider_id in refunds for refunds in covers)


def _reduce(payment, supply, share: tuple[int, int], covers, *, superseded: bool):
    net, tax = share
    try:
        with transaction.atomic():
            return Reduction.objects.create(
                workspace_id=supply.workspace_id,
                supply=supply,
                payment=payment,
                net=net,
                tax=tax,
                reduced_on=books_day(payment.paid_at),
                covers=covers,
                superseded=superseded,
            )
    except IntegrityError:
        return None


def _resum(supply: Supply) -> None:
    """The supply's refunded amounts: its reductions that count (not superseded, not of a
    voided credit note)."""
    counting = Reduction.objects.filter(
        supply=supply, superseded=False, payment__voided_at__isnull=True
    )
    sums = counting.aggregate(net=Sum("net", default=0), tax=Sum("tax", default=0))
    supply.refunded_net, supply.refunded_tax = sums["net"], sums["tax"]
    supply.save(update_fields=["refunded_net", "refunded_tax"])


def withdraw(payment: Payment) -> None:
    """A credit note voided in Stripe no longer lowers its supplies (call after voiding it)."""
    supplies = Supply.objects.filter(reductions__payment=payment).distinct()
    with transaction.atomic():
        for supply in supplies:
            _resum(supply)


def unrecorded(workspace_id: int):
    """The workspace's paid invoices of ours that have lines but no supplies yet."""
    return (
        StripeInvoice.objects.filter(
            workspace_id=workspace_id,
            ownership=Ownership.OURS,
            payment_status=PaymentStatus.PAID,
            supplies__isnull=True,
        )
        .exclude(lines=[])
        .order_by("id")
    )


def record_missing(workspace_id: int) -> int:
    """Write the supplies of paid invoices that have none (paid before this app, or an earlier
    attempt failed). Returns how many supplies were written."""
    client = stripe_client(workspace_id)
    return sum(len(record_supplies(invoice, client)) for invoice in unrecorded(workspace_id))
