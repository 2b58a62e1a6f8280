"""The VAT report of a period: the return as the workspace's method computes it
(billing.evidence.vat_return), read from the supplies of issued invoices and the payments,
refunds and credit notes of those invoices, with the EC Sales List by service period, what to
look at, and a reconciliation with Stripe to the cent. Dates are the workspace's local dates."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time

from django.db.models import Exists, OuterRef, Q, Sum

from billing.evidence import rules, vat_return
from billing.evidence.models import Reduction, Supply
from billing.evidence.services import NOT_ISSUED, RECEIVING
from billing.models import Ownership, Payment, Provider, StripeInvoice
from mspercury.localtime import local_date
from mspercury.models import VatTaxation

Timing = vat_return.Timing


@dataclass(frozen=True)
class Reconciliation:
    currency: str
    evidence: int  # what the records add up to (gross, minor units)
    stripe: int  # what Stripe's invoices (or payments) add up to

    @property
    def difference(self) -> int:
        return self.evidence - self.stripe


@dataclass
class Report:
    period: rules.Period
    method: str = VatTaxation.AGREED
    german: bool = False
    totals: list[rules.Total] = field(default_factory=list)
    fields: list[vat_return.Field] = field(default_factory=list)
    outside: list[vat_return.Contribution] = field(default_factory=list)
    outside_count: int | None = None  # the summary counts them without listing them
    sales_list: list[vat_return.SalesListEntry] = field(default_factory=list)
    flagged: list[Supply] = field(default_factory=list)
    unrecorded: list[StripeInvoice] = field(default_factory=list)
    reconciliation: list[Reconciliation] = field(default_factory=list)
    contributions: list[vat_return.Contribution] = field(default_factory=list)
    supplies: dict[str, Supply] = field(default_factory=dict)  # by line id

    @property
    def received(self) -> bool:
        return self.method == VatTaxation.RECEIVED

    @property
    def reconciled(self) -> bool:
        return all(r.difference == 0 for r in self.reconciliation)

    @property
    def outside_lines(self) -> int:
        return len(self.outside) if self.outside_count is None else self.outside_count

    @property
    def output_tax(self) -> int:
        return sum(f.tax or 0 for f in self.fields)


def bounds(workspace, period: rules.Period) -> tuple[datetime, datetime]:
    zone = workspace.zone
    return (
        datetime.combine(period.start, time.min, zone),
        datetime.combine(period.end, time.min, zone),
    )


def _line(supply: Supply) -> vat_return.Line:
    return vat_return.Line(
        key=supply.line_id,
        treatment=supply.treatment,
        rate=format(supply.rate.normalize(), "f"),
        currency=supply.currency,
        net=supply.net,
        tax=supply.tax,
        performed_on=supply.performed,
        country=supply.place_of_supply,
        vat_id=supply.customer_vat_id,
        customer=supply.customer.company_name if supply.customer else "",
        goods=supply.goods,
    )


def _credit_note(workspace, payment: Payment, reductions: list[Reduction]):
    covers = tuple(sorted({ref for r in reductions for ref in r.covers}))
    lines = tuple((r.supply.line_id, r.net + r.tax) for r in reductions)
    return vat_return.CreditNote(
        key=payment.provider_id,
        on=local_date(workspace, payment.paid_at),
        amount=-payment.amount,
        refunds=covers,
        lines=lines,
        seq=payment.pk,
    )


def voided_at(invoice: StripeInvoice) -> datetime | None:
    """When Stripe voided the invoice. Rows voided before ``voided_at`` was mirrored have only
    ``synced_at`` (the last mirror, at or after the void): the best date known for them."""
    if invoice.status != StripeInvoice.Status.VOID:
        return None
    return invoice.voided_at or invoice.synced_at


def _void_window(start, end) -> Q:
    return Q(status=StripeInvoice.Status.VOID) & (
        Q(voided_at__gte=start, voided_at__lt=end)
        | Q(voided_at__isnull=True, synced_at__gte=start, synced_at__lt=end)
    )


def _with_void(workspace, found: vat_return.Invoice, mirror, payments) -> vat_return.Invoice:
    """The invoice with its void as a credit note of what was still owed (vat_return.void_note),
    after the payments recorded up to the void (their ids order them)."""
    moment = voided_at(mirror)
    if moment is None:
        return found
    seq = max((p.pk for p in payments if p.paid_at <= moment), default=0)
    key = f"void:{mirror.stripe_id}"
    note = vat_return.void_note(found, key, local_date(workspace, moment), seq)
    if note is None:
        return found
    return replace(found, credit_notes=(*found.credit_notes, note))


def _invoices(workspace, supplies, payments, reductions) -> list[vat_return.Invoice]:
    by_invoice: dict[int, list] = {}
    for supply in supplies:
        by_invoice.setdefault(supply.invoice_id, []).append(supply)
    notes_of: dict[int, list[Reduction]] = {}
    for reduction in reductions:
        notes_of.setdefault(reduction.payment_id, []).append(reduction)
    money: dict[int, list] = {}
    notes: dict[int, list] = {}
    paid: dict[int, list[Payment]] = {}
    for p in payments:
        paid.setdefault(p.invoice_id, []).append(p)
        if p.source == Payment.Source.CREDIT_NOTE:
            notes.setdefault(p.invoice_id, []).append(
                _credit_note(workspace, p, notes_of.get(p.pk, []))
            )
        else:
            on = local_date(workspace, p.paid_at)
            money.setdefault(p.invoice_id, []).append(
                vat_return.Movement(p.provider_id, on, p.amount, p.pk)
            )
    return [
        _with_void(
            workspace,
            vat_return.Invoice(
                str(pk),
                tuple(_line(s) for s in lines),
                tuple(money.get(pk, ())),
                tuple(notes.get(pk, ())),
            ),
            lines[0].invoice,
            paid.get(pk, []),
        )
        for pk, lines in by_invoice.items()
    ]


def _touched(workspace, period, start, end) -> tuple[list[int], list[StripeInvoice]]:
    """Invoices with a line performed in the period, money or a credit note in it, or voided in
    it; and those voided in it. Three queries on the period's indexes, none over the history."""
    window = Q(performed_on__gte=period.start, performed_on__lt=period.end) | Q(
        performed_on__isnull=True, supplied_on__gte=period.start, supplied_on__lt=period.end
    )
    performed = Supply.objects.filter(window, workspace=workspace).values_list("invoice_id")
    moved = Payment.objects.filter(
        workspace=workspace, paid_at__gte=start, paid_at__lt=end, voided_at__isnull=True
    ).values_list("invoice_id")
    voided = voided_in(workspace, start, end)
    ids = {pk for (pk,) in performed.order_by().union(moved.order_by())}
    ids |= {i.pk for i in voided}
    return sorted(ids), voided


def voided_in(workspace, start, end) -> list[StripeInvoice]:
    """The invoices voided in [start, end), with what the reconciliation reads of them."""
    voided = StripeInvoice.objects.filter(
        _void_window(start, end), workspace=workspace, provider=Provider.STRIPE
    ).only("status", "voided_at", "synced_at", "total", "currency", "ownership")
    return [i for i in voided if voided_at(i) and start <= voided_at(i) < end]


def _by_currency(pairs) -> dict[str, int]:
    sums: dict[str, int] = {}
    for currency, amount in pairs:
        sums[currency.upper()] = sums.get(currency.upper(), 0) + amount
    return sums


def _reconcile(ours: dict[str, int], theirs: dict[str, int]) -> list[Reconciliation]:
    currencies = sorted(set(ours) | set(theirs))
    return [Reconciliation(c, ours.get(c, 0), theirs.get(c, 0)) for c in currencies]


def _issued_in(workspace, start, end):
    window = Q(finalized_at__gte=start, finalized_at__lt=end) | Q(
        finalized_at__isnull=True, created__gte=start, created__lt=end
    )
    return StripeInvoice.objects.filter(
        window, workspace=workspace, ownership=Ownership.OURS, provider=Provider.STRIPE
    )


def _credited_in(workspace, start, end):
    return Payment.objects.filter(
        workspace=workspace,
        source=Payment.Source.CREDIT_NOTE,
        paid_at__gte=start,
        paid_at__lt=end,
        voided_at__isnull=True,
        invoice__ownership=Ownership.OURS,
    )


def _voids(invoices, period) -> list[tuple[str, int]]:
    """(currency, amount) of the voids the records count in the period."""
    return [
        (invoice.lines[0].currency, note.amount)
        for invoice in invoices
        for note in invoice.credit_notes
        if note.void and period.start <= note.on < period.end
    ]


def _stripe_voids(voided, payments) -> list[tuple[str, int]]:
    """(currency, amount) of what Stripe's invoices voided in the period still asked for then:
    their total less the credit notes and payments recorded before the void (Stripe voids only
    open invoices)."""
    kinds = (*RECEIVING, Payment.Source.CREDIT_NOTE)
    of_invoice: dict[int, list[Payment]] = {}
    for p in payments:
        if p.source in kinds:
            of_invoice.setdefault(p.invoice_id, []).append(p)
    found = []
    for invoice in voided:
        if invoice.ownership != Ownership.OURS:
            continue
        moment = voided_at(invoice)
        before = sum(abs(p.amount) for p in of_invoice.get(invoice.pk, ()) if p.paid_at <= moment)
        found.append((invoice.currency, max(0, invoice.total - before)))
    return found


def _sums(queryset, amount) -> dict[str, int]:
    """Per currency (upper case) in one grouped query."""
    rows = queryset.order_by().values("currency").annotate(total=amount)
    return _by_currency((r["currency"], r["total"] or 0) for r in rows)


def _add(into: dict[str, int], more: dict[str, int], sign: int = 1) -> None:
    for currency, amount in more.items():
        into[currency] = into.get(currency, 0) + sign * amount


def _issued_sums(workspace, start, end) -> tuple[dict[str, int], dict[str, int]]:
    """Per currency the gross of the lines of the invoices issued in the period, and Stripe's
    totals of them."""
    issued = _issued_in(workspace, start, end).exclude(status__in=NOT_ISSUED)
    rows = list(issued.order_by().values_list("pk", "currency", "total"))
    theirs = _by_currency((currency, total) for _pk, currency, total in rows)
    # By the ids (never empty, so the query always runs): a join here lets the planner loop.
    lines = Supply.objects.filter(invoice_id__in=[pk for pk, _c, _t in rows] or [0])
    return _sums(lines, Sum("net") + Sum("tax")), theirs


def invoiced(
    workspace, period, start, end, *, invoices=(), voided=(), payments=(), issued=None
) -> list[Reconciliation]:
    """Soll: the supplies of invoices issued in the period less its credit notes and voids,
    against Stripe's totals of the invoices finalized in it less the same credit notes and what
    the voided ones still asked for (``voided``: the period's voided invoices, ``payments``: at
    least theirs). An invoice voided later was still issued in the period. ``issued``: the
    issued invoices' (ours, theirs) per currency where the caller summed them (the summary)."""
    ours, theirs = issued or _issued_sums(workspace, start, end)
    ours, theirs = dict(ours), dict(theirs)
    notes = _credited_in(workspace, start, end)
    recorded = Exists(Supply.objects.filter(invoice_id=OuterRef("invoice_id")))
    for row in (
        notes.order_by()
        .values("currency")
        .annotate(every=Sum("amount"), recorded=Sum("amount", filter=recorded))
    ):
        _add(ours, {row["currency"].upper(): row["recorded"] or 0})
        _add(theirs, {row["currency"].upper(): row["every"] or 0})
    for currency, amount in _voids(invoices, period):
        ours[currency.upper()] = ours.get(currency.upper(), 0) - amount
    for currency, amount in _stripe_voids(voided, payments):
        theirs[currency.upper()] = theirs.get(currency.upper(), 0) - amount
    return _reconcile(ours, theirs)


def collected(workspace, invoices, start, end, period, *, taken=None) -> list[Reconciliation]:
    """Ist: what the records took in (receipts less refunds, split over the lines) against the
    payments less refunds Stripe and the MSP recorded in the period. ``taken``: what the
    records took in on invoices other than ``invoices``, per currency (the summary's SQL)."""
    cash = vat_return.contributions(
        invoices, Timing.RECEIVED, period.start, period.end, all_by=Timing.RECEIVED
    )
    ours = _by_currency((c.line.currency, c.gross) for c in cash)
    _add(ours, taken or {})
    payments = Payment.objects.filter(
        workspace=workspace,
        source__in=[*RECEIVING, Payment.Source.REFUND],
        paid_at__gte=start,
        paid_at__lt=end,
        voided_at__isnull=True,
        invoice__ownership=Ownership.OURS,
    )
    theirs = _sums(payments, Sum("amount"))
    for invoice in invoices:  # credit notes settled by crediting back, as the records count them
        for note, (_owed, _refunded, returned) in vat_return.credit_note_parts(invoice).items():
            day = next(n.on for n in invoice.credit_notes if n.key == note)
            if period.start <= day < period.end and invoice.lines:
                currency = invoice.lines[0].currency
                theirs[currency] = theirs.get(currency, 0) - returned
    return _reconcile(ours, theirs)


EVERY_RELATED = ("customer", "invoice", "vat_validation", "evidence")


def _load(workspace, ids, also=(), related=EVERY_RELATED):
    """The supplies, payments and credit-note reductions of the invoices ``ids`` (and the
    supplies of the invoices ``also``, in the same query); the supplies' ``related`` rows
    joined (the supplies CSV shows the evidence and VIES answer, the page does not)."""
    supplies = list(
        Supply.objects.filter(invoice_id__in=sorted({*ids, *also}))
        .select_related(*related)
        .order_by("invoice_id", "id")
    )
    payments = list(
        Payment.objects.filter(invoice_id__in=ids, voided_at__isnull=True).order_by("id")
    )
    reductions = list(
        Reduction.objects.filter(
            supply__invoice_id__in=ids,
            payment__source=Payment.Source.CREDIT_NOTE,
            payment__voided_at__isnull=True,
        )
        .select_related("supply")
        .order_by("supply_id")
    )
    return supplies, payments, reductions


def unrecorded(workspace, start, end) -> list[StripeInvoice]:
    """Invoices issued in the period that have lines but no evidence records yet."""
    found = (
        _issued_in(workspace, start, end)
        .exclude(status__in=NOT_ISSUED)
        .filter(~Exists(Supply.objects.filter(invoice_id=OuterRef("pk"))))
        .exclude(lines=[])
    )
    return list(found.only("public_id", "number", "stripe_id", "total", "currency"))


def _rows(contributions) -> list[rules.Row]:
    return [
        rules.Row(
            treatment=c.line.treatment,
            country=c.line.country,
            rate=c.line.rate,
            currency=c.line.currency,
            net=c.net,
            tax=c.tax,
        )
        for c in contributions
    ]


def build(workspace, period: rules.Period) -> Report:
    start, end = bounds(workspace, period)
    ids, voided = _touched(workspace, period, start, end)
    supplies, payments, reductions = _load(workspace, ids)
    invoices = _invoices(workspace, supplies, payments, reductions)
    method = Timing(workspace.vat_taxation or VatTaxation.AGREED)
    found = vat_return.vat_return(invoices, method, period.start, period.end)
    by_line = {s.line_id: s for s in supplies}
    involved = {c.line.key for c in found.contributions}
    if method == Timing.RECEIVED:
        reconciliation = collected(workspace, invoices, start, end, period)
    else:
        reconciliation = invoiced(
            workspace, period, start, end, invoices=invoices, voided=voided, payments=payments
        )
    return Report(
        period=period,
        method=method.value,
        german=(workspace.country.code or "") == "DE",
        totals=rules.aggregate(_rows(found.contributions)),
        fields=found.fields,
        outside=found.outside,
        sales_list=found.sales_list,
        flagged=[s for s in supplies if s.line_id in involved and s.flagged],
        unrecorded=unrecorded(workspace, start, end),
        reconciliation=reconciliation,
        contributions=found.contributions,
        supplies=by_line,
    )
