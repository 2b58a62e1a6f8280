"""Writing the evidence records: ``record_supplies(invoice)`` once an invoice is issued
(finalized), one supply per Stripe line with its service period and the evidence known then
(billing country, VIES answer in force on the service date); ``complete_evidence`` once payment
facts arrive (card/bank country, IP); ``apply_reduction(payment)`` for each refund or credit
note. All idempotent and run inside the invoice's workspace. The provider is read (through
billing.edge) only for the payment items and credit notes; a read that fails leaves the item
out and never blocks.

The settle path and the mirror call ``on_payment_recorded`` and ``on_invoice_mirrored`` by name;
the work runs after their commit, and a failure is logged and never undoes what they saved (the
VAT report lists issued invoices without supplies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from billing.edge import edge
from billing.evidence import rules
from billing.evidence.facts import CreditNote, EvidenceReader
from billing.evidence.models import Evidence, Reduction, Supply
from billing.models import Ownership, Payment, Provider, StripeInvoice
from customers.tax_parties import party
from customers.vatids.models import VatIdStatus
from customers.vatids.services import in_force, vat_id_of
from mspercury import tenancy
from mspercury.localtime import local_date
from rules.tax import Party, TaxTreatment, decide_tax

REDUCING = (Payment.Source.REFUND, Payment.Source.CREDIT_NOTE)
# Money received: by Stripe, recorded by hand, or read back from the accounting tool that issued
# the invoice (Lexware Office, sevDesk).
RECEIVING = (Payment.Source.STRIPE, Payment.Source.MANUAL, Payment.Source.ACCOUNTING)
# Stripe states of an invoice that was never issued.
NOT_ISSUED = (StripeInvoice.Status.DRAFT, StripeInvoice.Status.DELETED)
# Line metadata an MSP's push may set to say a line sells goods (Kz 41/43), not a service.
GOODS_KEY = "mspercury_supply"


def local_day(workspace, moment: datetime | None) -> date:
    return local_date(workspace, moment or timezone.now())


def evidence_reader(workspace_id: int) -> EvidenceReader | None:
    """What reads the provider's evidence items for the workspace; None when not connected."""
    return edge().evidence_reader(workspace_id)


@dataclass(frozen=True)
class ServicePeriod:
    start: date
    end: date  # inclusive
    performed_on: date


def _moment(stamp) -> datetime | None:
    if stamp in (None, ""):
        return None
    if isinstance(stamp, datetime):
        return stamp
    return datetime.fromtimestamp(int(stamp), tz=UTC)


def service_period(workspace, line: dict, issued_on: date) -> ServicePeriod:
    """A line's service period in the workspace's local dates. A period that is not a point
    (a subscription period, or a one-time line Stripe gives one) is its own Teilleistung,
    performed on its last day: Stripe's end is exclusive, so the day of (end - 1 s). Otherwise
    the line is performed on the invoice's issue date."""
    start, end = _moment(line.get("period_start")), _moment(line.get("period_end"))
    if start is None or end is None or end <= start:
        return ServicePeriod(issued_on, issued_on, issued_on)
    last = local_day(workspace, end - timedelta(seconds=1))
    return ServicePeriod(local_day(workspace, start), last, last)


@dataclass(frozen=True)
class IssueEvidence:
    """What places an invoice's lines when it is issued: its date and the billing country."""

    day: date
    billing: str

    @property
    def decision(self) -> rules.Decision:
        return rules.place_of_supply(self.billing)


def _payment_intents(invoice: StripeInvoice) -> list[str]:
    paid = Payment.objects.filter(invoice=invoice, source__in=RECEIVING)
    return list(paid.exclude(payment_intent="").values_list("payment_intent", flat=True))


def _our_rate_keys(invoice: StripeInvoice) -> dict[str, rules.RateKey]:
    ids = {tax["tax_rate"] for line in invoice.lines for tax in line["taxes"] if tax["tax_rate"]}
    mapped = edge().tax_rate_keys(invoice.workspace_id, ids) if ids else {}
    keys = {stripe_id: rules.parse_rate_key(ref) for stripe_id, ref in mapped.items()}
    return {stripe_id: key for stripe_id, key in keys.items() if key}


def _decided(invoice: StripeInvoice, found: IssueEvidence, validation) -> tuple[str, Decimal]:
    customer = invoice.customer
    buyer = Party(
        country=found.billing,
        tax_id_type=customer.tax_id_type if customer else "",
        tax_id=customer.tax_id if customer else "",
        vat_id_status=validation.status if validation else "",
    )
    decision = decide_tax(party(invoice.workspace), buyer, found.day)
    return str(decision.treatment), decision.rate


def _validation(invoice: StripeInvoice, day: date, cache: dict):
    """The VIES answer in force on the service date, else (a service date still ahead, past
    the answer's reuse window) the one in force on the issue date: the check the MSP could make
    when it issued the invoice (Art. 18 (1) (a) Impl. Reg. 282/2011). One query per date."""
    customer = invoice.customer
    if customer is None or not vat_id_of(customer):
        return None
    for on in (day, invoice.issued_on):
        if on not in cache:
            cache[on] = in_force(customer, on)
        if cache[on] is not None:
            return cache[on]
    return None


def _supply(invoice, line: dict, found: IssueEvidence, keys: dict, cache: dict) -> Supply:
    period = service_period(invoice.workspace, line, found.day)
    validation = _validation(invoice, period.performed_on, cache)
    key = next((keys[t["tax_rate"]] for t in line["taxes"] if t["tax_rate"] in keys), None)
    if key is not None:
        treatment, rate, source = key.treatment, Decimal(key.percent), Supply.RateSource.TAX_RATE
    else:
        treatment, rate = _decided(invoice, found, validation)
        source = Supply.RateSource.DECIDED
    confirmed = validation is not None and validation.status == VatIdStatus.VALID
    customer = invoice.customer
    goods = treatment == TaxTreatment.INTRA_EU_GOODS
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
        service_start=period.start,
        service_end=period.end,
        performed_on=period.performed_on,
        goods=goods or (line.get("metadata") or {}).get(GOODS_KEY) == "goods",
        vat_validation=validation,
        conflict=False,
        unconfirmed_vat_id=treatment == TaxTreatment.REVERSE_CHARGE and not confirmed,
    )


def _evidence(supply: Supply, found: IssueEvidence) -> Evidence:
    return Evidence(
        workspace_id=supply.workspace_id,
        supply=supply,
        billing_country=found.billing,
        decided_country=found.decision.country,
    )


def issued(invoice: StripeInvoice) -> bool:
    """Finalized (any state but draft or deleted), ours and issued through Stripe: its lines
    are supplies. An invoice MSPercury issued in Lexware Office or sevDesk is booked there (its
    VAT return and DATEV export come from that tool, the MSP's book of record), so it records
    none here and the VAT report and DATEV export leave it out."""
    return (
        invoice.status not in NOT_ISSUED
        and invoice.ownership == Ownership.OURS
        and invoice.provider == Provider.STRIPE
    )


def on_payment_recorded(payment: Payment) -> None:
    """After commit: a refund or credit note is shared over the invoice's supplies, any other
    new payment records them (if missing) and completes their evidence."""
    workspace_id, pk = payment.workspace_id, payment.pk
    transaction.on_commit(lambda: _after_payment(workspace_id, pk), robust=True)


def on_invoice_mirrored(invoice: StripeInvoice) -> None:
    """After commit, the supplies of an invoice the mirror saved issued and with lines."""
    if issued(invoice) and invoice.lines:
        workspace_id, pk = invoice.workspace_id, invoice.pk
        transaction.on_commit(lambda: _after_issued_invoice(workspace_id, pk), robust=True)


def _after_payment(workspace_id: int, payment_pk: int) -> None:
    with tenancy.workspace_context(workspace_id):
        payment = Payment.objects.select_related("invoice").filter(pk=payment_pk).first()
        if payment is None:
            return
        if payment.source in REDUCING:
            apply_reduction(payment)
        else:
            record_supplies(payment.invoice)


def _after_issued_invoice(workspace_id: int, invoice_pk: int) -> None:
    with tenancy.workspace_context(workspace_id):
        invoice = StripeInvoice.objects.filter(pk=invoice_pk).first()
        if invoice is not None:
            record_supplies(invoice)


def record_supplies(invoice: StripeInvoice, reader: EvidenceReader | None = None) -> list[Supply]:
    """Write the supplies and their evidence of an issued invoice's lines not recorded yet,
    apply its refunds and credit notes, and complete the payment evidence once it is paid.
    Returns the new supplies ([] when nothing to do)."""
    invoice = StripeInvoice.objects.select_related("customer", "workspace").get(pk=invoice.pk)
    if not issued(invoice):
        return []
    recorded = set(Supply.objects.filter(invoice=invoice).values_list("line_id", flat=True))
    missing = [line for line in invoice.lines if line.get("id") and line["id"] not in recorded]
    written = []
    if missing:
        customer = invoice.customer
        found = IssueEvidence(invoice.issued_on, (customer.country.code or "") if customer else "")
        keys, cache = _our_rate_keys(invoice), {}
        with transaction.atomic():
            StripeInvoice.objects.select_for_update().filter(pk=invoice.pk).first()
            for line in missing:
                written += _write_once(invoice, line, found, keys, cache)
        for payment in Payment.objects.filter(invoice=invoice, source__in=REDUCING).order_by("id"):
            apply_reduction(payment, reader=reader)
    complete_evidence(invoice, reader=reader)
    return written


def _write_once(invoice, line, found, keys, cache) -> list[Supply]:
    try:
        with transaction.atomic():
            supply = _supply(invoice, line, found, keys, cache)
            supply.save()
            _evidence(supply, found).save()
            return [supply]
    except IntegrityError:  # recorded meanwhile by a redelivered event
        return []


def complete_evidence(invoice: StripeInvoice, reader: EvidenceReader | None = None) -> int:
    """Fill in the payment items (card/bank country, IP country) of the invoice's evidence,
    once, when a payment has arrived and Stripe can be read. Returns how many were completed."""
    pending = list(
        Evidence.objects.filter(supply__invoice=invoice, completed_at__isnull=True).select_related(
            "supply"
        )
    )
    intents = _payment_intents(invoice) if pending else []
    if not pending or not Payment.objects.filter(invoice=invoice, source__in=RECEIVING).exists():
        return 0
    reader = reader or evidence_reader(invoice.workspace_id)
    if reader is None:
        return 0
    bank = reader.bank_country(intents)
    line_metadata = [line.get("metadata") or {} for line in invoice.lines]
    ip = reader.ip_country(invoice.stripe_id, line_metadata)
    decision = rules.place_of_supply(pending[0].billing_country, bank.country, ip.country)
    now = timezone.now()
    with transaction.atomic():
        for evidence in pending:
            evidence.bank_country, evidence.bank_source = bank.country, bank.source
            evidence.ip_country, evidence.ip_source = ip.country, ip.source
            evidence.decided_country, evidence.completed_at = decision.country, now
            evidence.save(update_fields=sorted(Evidence.PAYMENT_ITEMS))
            supply = evidence.supply
            supply.place_of_supply, supply.conflict = decision.country, decision.conflict
            supply.save(update_fields=["place_of_supply", "conflict"])
    return len(pending)


# -- refunds and credit notes --------------------------------------------------------------------


def _credit_note(payment: Payment, reader: EvidenceReader | None) -> CreditNote:
    if payment.source != Payment.Source.CREDIT_NOTE:
        return CreditNote()
    reader = reader or evidence_reader(payment.workspace_id)
    return reader.credit_note(payment.provider_id) if reader else CreditNote()


def _shares(payment: Payment, supplies: list[Supply], note) -> list[tuple[int, int]]:
    """(net, tax) per supply: by the credit note's lines where they name our lines and add up
    to it, else pro rata to the supplies' gross amounts."""
    amounts = [rules.SupplyAmount(s.line_id, s.net, s.tax) for s in supplies]
    found = rules.by_credited_lines(-payment.amount, amounts, note.lines)
    return found if found is not None else rules.pro_rata(-payment.amount, amounts)


def apply_reduction(payment: Payment, reader: EvidenceReader | None = None) -> list[Reduction]:
    """Lower the invoice's supplies by a refund or credit note (gross, negative), to the cent.
    Once per payment; a refund that a credit note names is kept superseded, so the same money
    back never counts twice."""
    if payment.source not in REDUCING or not payment.counts:
        return []
    supplies = list(Supply.objects.filter(invoice_id=payment.invoice_id).order_by("id"))
    if not supplies or Reduction.objects.filter(payment=payment).exists():
        return []
    note = _credit_note(payment, reader)
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
                reduced_on=local_day(payment.workspace, payment.paid_at),
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
    """The workspace's issued invoices of ours that have lines but no supplies yet."""
    return (
        StripeInvoice.objects.filter(
            workspace_id=workspace_id, ownership=Ownership.OURS, supplies__isnull=True
        )
        .exclude(status__in=NOT_ISSUED)
        .exclude(lines=[])
        .order_by("id")
    )


def record_missing(workspace_id: int) -> int:
    """Write the supplies of issued invoices that have none (issued before this app, or an
    earlier attempt failed). Returns how many supplies were written."""
    reader = evidence_reader(workspace_id)
    return sum(len(record_supplies(invoice, reader)) for invoice in unrecorded(workspace_id))
