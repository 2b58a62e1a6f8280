"""The VAT report's figures summed in PostgreSQL, so a period of 20,000 supplies costs about
what a period of 10 costs; the same figures as ``report.build`` to the cent.

An invoice is *plain* in a period when nothing but whole receipts touched it before the
period's end: no refund, no credit note, no void, and at each end of the period it was either
not paid at all or paid in full (receipts equal to the gross of its lines). Then the law's
computation (``vat_return``) is a switch per line: every share of money is 0 or the line's
whole gross, so each line adds its net and VAT once, in the period where ``counted`` turns from
0 to its gross, or nothing. That switch is summed in SQL, grouped by what the report groups by.
Every other invoice of the period (a handful: refunded, credited, voided, paid in part) goes
through ``vat_return`` in Python exactly as before.

The period's invoices are found, classified and summed in one statement: their ids never travel
to Python and back, so the cost is that of the period's rows, read through the period indexes
and the invoice foreign keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from billing.evidence import report, rules, vat_return
from billing.evidence.services import NOT_ISSUED
from billing.models import Ownership, Payment, Provider, StripeInvoice
from mspercury.models import VatTaxation

Timing = vat_return.Timing

# The invoices of the period: a line performed in it, money or a credit note in it, voided in
# it ("touched", report._touched's conditions), or issued in it (report.invoiced's; their rows
# also give the status of most touched invoices without a look-up); per invoice its status,
# and for a touched one its receipts before the period's start and end and whether a refund or
# credit note touched it.
_INVOICES = """
found AS (
    SELECT s.invoice_id AS id, true AS touched, NULL::text AS status, NULL::text AS currency,
           NULL::bigint AS total
    FROM evidence_supply s
    WHERE s.workspace_id = %(workspace)s AND (
        (s.performed_on >= %(period_start)s AND s.performed_on < %(period_end)s)
        OR (s.performed_on IS NULL
            AND s.supplied_on >= %(period_start)s AND s.supplied_on < %(period_end)s))
    UNION ALL
    SELECT p.invoice_id, true, NULL, NULL, NULL FROM billing_payment p
    WHERE p.workspace_id = %(workspace)s AND p.paid_at >= %(start)s AND p.paid_at < %(end)s
      AND p.voided_at IS NULL
    UNION ALL
    SELECT i.id, true, i.status, NULL, NULL FROM billing_stripeinvoice i
    WHERE i.workspace_id = %(workspace)s AND i.provider = %(stripe)s AND i.status = %(void)s AND (
        (i.voided_at >= %(start)s AND i.voided_at < %(end)s)
        OR (i.voided_at IS NULL AND i.synced_at >= %(start)s AND i.synced_at < %(end)s))
    UNION ALL
    SELECT i.id, false, i.status, i.currency, i.total FROM billing_stripeinvoice i
    WHERE i.workspace_id = %(workspace)s AND i.ownership = %(ours)s AND i.provider = %(stripe)s
      AND i.status <> ALL(%(not_issued)s) AND (
        (i.finalized_at >= %(start)s AND i.finalized_at < %(end)s)
        OR (i.finalized_at IS NULL AND i.created >= %(start)s AND i.created < %(end)s))
),
invoices AS MATERIALIZED (
    SELECT f.id, f.touched, f.issued, f.currency, f.total,
           COALESCE(f.status, (SELECT i.status FROM billing_stripeinvoice i WHERE i.id = f.id))
             = %(void)s AS void,
           p.by_start, p.by_end, p.reduced
    FROM (SELECT id, BOOL_OR(touched) AS touched, BOOL_OR(NOT touched) AS issued,
                 MAX(status) AS status, MAX(currency) AS currency, MAX(total) AS total
          FROM found GROUP BY id) f
    CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(p.amount) FILTER (WHERE p.paid_at < %(start)s), 0) AS by_start,
               COALESCE(SUM(p.amount) FILTER (WHERE p.paid_at < %(end)s), 0) AS by_end,
               COALESCE(BOOL_OR(p.source = %(credit_note)s OR p.amount < 0), false) AS reduced
        FROM billing_payment p
        WHERE f.touched AND p.invoice_id = f.id AND p.voided_at IS NULL
    ) p
    WHERE f.touched OR %(issued)s
),
"""

# Per line of those invoices: whether its invoice is plain (a touched one whose receipts at
# each end are nothing or its lines' gross), and how often (-1, 0, 1) its net and VAT count in
# the period under each timing (vat_return.counted: performed before the day, or paid in full
# before it); a line of another invoice or of no amount counts 0 here. Each step materialized,
# so that an expression is computed once per line, not once per aggregate that reads it; the
# last one only with the columns the sums read (narrow rows sort faster).
_LINES = """
lines AS (
    SELECT s.id, s.invoice_id, s.treatment, s.place_of_supply, s.rate, s.currency, s.goods,
           s.customer_vat_id, s.net, s.tax, s.unconfirmed_vat_id, s.conflict,
           COALESCE(s.performed_on, s.supplied_on) AS perf, v.touched, v.issued, v.void,
           v.reduced, v.by_start, v.by_end,
           SUM(s.net + s.tax) OVER (PARTITION BY s.invoice_id) AS gross
    FROM invoices v JOIN evidence_supply s ON s.invoice_id = v.id
),
classified AS MATERIALIZED (
    SELECT lines.*, (touched AND NOT (void OR reduced
               OR (by_start <> 0 AND (by_start <> gross OR gross = 0))
               OR (by_end <> 0 AND (by_end <> gross OR gross = 0)))) IS TRUE AS plain
    FROM lines
),
timed AS MATERIALIZED (
    SELECT c.id, c.invoice_id, c.treatment, c.place_of_supply, c.rate, c.currency, c.goods,
           c.customer_vat_id, c.net, c.tax, c.unconfirmed_vat_id, c.conflict, c.touched,
           c.issued, c.plain, c.performed, c.received,
           CASE WHEN treatment = ANY(%(by_performance)s) THEN performed
                WHEN %(method)s = 'received' THEN received ELSE agreed END AS k
    FROM (
        SELECT classified.*,
               live * ((perf < %(period_end)s)::int - (perf < %(period_start)s)::int)
                 AS performed,
               live * ((by_end <> 0)::int - (by_start <> 0)::int) AS received,
               live * ((perf < %(period_end)s OR by_end <> 0)::int
                       - (perf < %(period_start)s OR by_start <> 0)::int) AS agreed
        FROM classified
        CROSS JOIN LATERAL (SELECT (plain AND net + tax <> 0)::int AS live) l
    ) c
)
"""

# Three kinds of row: per treatment × place × rate × currency × goods × VAT ID what its plain
# lines add (level 0), per currency the gross of the issued invoices' lines (level 2), and once
# the other invoices and Stripe's totals of the issued ones per currency (level 3).
_SUMS = """
SELECT g.*,
       CASE WHEN g.first IS NOT NULL THEN (
           SELECT COALESCE(c.company_name, '') FROM evidence_supply f
           LEFT JOIN customers_customer c ON c.id = f.customer_id WHERE f.id = g.first[2]
       ) END,
       CASE WHEN g.level = 3 THEN (
           SELECT ARRAY_AGG(ARRAY[currency, total::text]) FROM (
               SELECT currency, SUM(total) AS total FROM invoices
               WHERE issued AND %(issued)s GROUP BY currency
           ) t
       ) END
FROM (
    SELECT GROUPING(treatment, currency) AS level,
           treatment, place_of_supply, rate, currency, goods, customer_vat_id,
           SUM(k * net), SUM(k * tax), COUNT(*) FILTER (WHERE k <> 0),
           SUM(performed * net), COUNT(*) FILTER (WHERE performed <> 0),
           SUM(received * (net + tax)), COUNT(*) FILTER (WHERE received <> 0),
           MIN(ARRAY[invoice_id, id]) FILTER (WHERE performed <> 0) AS first,
           ARRAY_AGG(ARRAY[id, invoice_id]) FILTER (WHERE k <> 0 AND (unconfirmed_vat_id
               OR (conflict AND customer_vat_id = ''
                   AND NOT (treatment = 'reverse_charge' AND NOT unconfirmed_vat_id)))),
           SUM(net + tax) FILTER (WHERE issued AND %(issued)s),
           ARRAY_AGG(invoice_id) FILTER (WHERE touched AND NOT plain)
    FROM timed
    GROUP BY GROUPING SETS (
        (treatment, place_of_supply, rate, currency, goods, customer_vat_id), (currency), ()
    )
) g
"""
_FIGURES = "WITH " + _INVOICES + _LINES + _SUMS
# An id no row has: an empty list would skip the query, and the page's count would vary.
NONE = [0]


@dataclass
class Group:
    """What the lines of one treatment × place × rate × currency × goods × VAT ID add."""

    line: vat_return.Line  # the group's keys as a line (amounts unused)
    net: int = 0
    tax: int = 0
    rows: int = 0
    performed_net: int = 0
    performed_rows: int = 0
    received: int = 0
    received_rows: int = 0
    first: tuple = ()  # (invoice id, supply id) of the first line the EC Sales List names
    customer: str = ""


@dataclass
class Figures:
    """What the statement found: the plain lines' groups, their flagged supplies (supply,
    invoice), the other invoices, and per currency the issued invoices' gross by their lines
    (``ours``) and by Stripe's totals (``theirs``)."""

    groups: dict[tuple, Group] = field(default_factory=dict)
    flagged: list[tuple[int, int]] = field(default_factory=list)
    others: set[int] = field(default_factory=set)
    ours: dict[str, int] = field(default_factory=dict)
    theirs: dict[str, int] = field(default_factory=dict)


def _rate(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _key(line: vat_return.Line) -> tuple:
    return (line.treatment, line.country, line.rate, line.currency, line.goods, line.vat_id)


def _params(workspace, period, method: Timing, issued: bool) -> dict:
    start, end = report.bounds(workspace, period)
    return {
        "workspace": workspace.pk,
        "start": start,
        "end": end,
        "period_start": period.start,
        "period_end": period.end,
        "method": method.value,
        "issued": issued,
        "void": StripeInvoice.Status.VOID,
        "ours": Ownership.OURS,
        "stripe": Provider.STRIPE,
        "not_issued": list(NOT_ISSUED),
        "credit_note": Payment.Source.CREDIT_NOTE,
        "by_performance": sorted(vat_return.BY_PERFORMANCE),
    }


def _add(sums: dict[str, int], currency: str, amount) -> None:
    sums[currency.upper()] = sums.get(currency.upper(), 0) + int(amount)


def _group(row) -> Group:
    treatment, place, rate, currency, goods, vat_id = row[1:7]
    line = vat_return.Line(
        "", treatment, _rate(rate), currency, 0, 0, None, place, vat_id, "", goods
    )
    return Group(
        line,
        *(int(n or 0) for n in row[7:14]),
        first=tuple(row[14]) if row[14] else (),
        customer=row[18] or "",
    )


def figures(workspace, period, method: Timing, *, issued: bool) -> Figures:
    """The period's figures in one statement; ``issued``: with the Soll reconciliation's sums
    of the invoices issued in the period."""
    with connection.cursor() as cursor:
        cursor.execute(_FIGURES, _params(workspace, period, method, issued))
        rows = cursor.fetchall()
    found = Figures()
    for row in rows:
        level, flagged, gross, others = row[0], row[15], row[16], row[17]
        if level == 0:
            group = _group(row)
            found.groups[_key(group.line)] = group
            found.flagged += [(supply, invoice) for supply, invoice in flagged or ()]
        elif level == 2 and gross is not None:
            _add(found.ours, row[4], gross)
        elif level == 3:
            found.others = set(others or ())
            for currency, total in row[19] or ():
                _add(found.theirs, currency, total)
    return found


def _add_contributions(groups, found, performed, order) -> None:
    """The Python engine's contributions of the other invoices, into the same groups."""

    def group(line):
        return groups.setdefault(_key(line), Group(line))

    for c in found:
        entry = group(c.line)
        entry.net, entry.tax, entry.rows = entry.net + c.net, entry.tax + c.tax, entry.rows + 1
    for c in performed:
        entry = group(c.line)
        entry.performed_net += c.net
        entry.performed_rows += 1
        at = order[(c.invoice, c.line.key)]
        if not entry.first or at < entry.first:
            entry.first, entry.customer = at, c.line.customer


@dataclass
class Others:
    """The invoices the statement leaves to ``vat_return``, as it read them."""

    invoices: list[vat_return.Invoice]
    payments: list[Payment]
    flagged: list  # the flagged supplies of the period, plain invoices' and these
    found: list[vat_return.Contribution]


def _others(workspace, period, method, found: Figures, voided, *, page=True) -> Others:
    """The other invoices (and those voided in the period: a void of an invoice without
    supplies still lowers what Stripe asked for) through the Python engine, their
    contributions added into ``found.groups``. ``page``: with the method's contributions and
    the flagged supplies, not only the EC Sales List's (by performance). Three queries."""
    others = sorted({*found.others, *(i.pk for i in voided)})
    wanted = {supply for supply, _invoice in found.flagged} if page else set()
    also = {invoice for _supply, invoice in found.flagged} if page else set()
    supplies, payments, reductions = report._load(
        workspace, others or NONE, also=also, related=("customer", "invoice")
    )
    flagged = [s for s in supplies if s.pk in wanted]
    of_others = set(others)
    supplies = [s for s in supplies if s.invoice_id in of_others]
    invoices = report._invoices(workspace, supplies, payments, reductions)
    order = {(str(s.invoice_id), s.line_id): (s.invoice_id, s.pk) for s in supplies}
    contributions = (
        vat_return.contributions(invoices, method, period.start, period.end) if page else []
    )
    performed = vat_return.contributions(
        invoices, method, period.start, period.end, all_by=Timing.PERFORMED
    )
    _add_contributions(found.groups, contributions, performed, order)
    involved = {c.line.key for c in contributions}
    flagged += [s for s in supplies if s.line_id in involved and s.flagged]
    flagged.sort(key=lambda s: (s.invoice_id, s.pk))
    return Others(invoices, payments, flagged, contributions)


def _totals(groups) -> list[rules.Total]:
    sums: dict[tuple, list[int]] = {}
    for g in groups.values():
        if g.rows:
            key = (g.line.treatment, g.line.country, g.line.rate, g.line.currency)
            entry = sums.setdefault(key, [0, 0, 0])
            entry[0], entry[1], entry[2] = entry[0] + g.net, entry[1] + g.tax, entry[2] + g.rows
    return [rules.Total(*key, net, tax, count) for key, (net, tax, count) in sorted(sums.items())]


def _fields(groups) -> tuple[list[vat_return.Field], int]:
    """The UStVA's fields (as vat_return.ustva) and how many contributions no field takes."""
    sums: dict[str, list[int]] = {}
    outside = 0
    for g in groups.values():
        code = vat_return.kennzahl(g.line) if g.line.currency == "EUR" else None
        if code is None:
            outside += g.rows
        elif g.rows:
            entry = sums.setdefault(code, [0, 0, 0])
            entry[0], entry[1], entry[2] = entry[0] + g.net, entry[1] + g.tax, entry[2] + g.rows
    labels = vat_return.FIELDS
    fields = [
        vat_return.Field(code, labels[code][0], base, tax if labels[code][1] else None, count)
        for code, (base, tax, count) in sums.items()
    ]
    return sorted(fields, key=lambda f: list(vat_return.FIELDS).index(f.code)), outside


def _sales_list(groups) -> list[vat_return.SalesListEntry]:
    """As vat_return.sales_list: net per VAT ID, kind and currency, the first line's customer."""
    sums: dict[tuple, list] = {}
    for g in groups.values():
        kind = vat_return.SALES_LIST_KINDS.get(g.line.treatment)
        if kind is None or not g.performed_rows:
            continue
        key = (g.line.vat_id, g.line.vat_id[:2], kind, g.line.currency)
        entry = sums.setdefault(key, [0, g.first, g.customer])
        entry[0] += g.performed_net
        if g.first < entry[1]:
            entry[1], entry[2] = g.first, g.customer
    return [
        vat_return.SalesListEntry(*key, net=net, customer=name)
        for key, (net, _first, name) in sorted(sums.items())
    ]


def _method(workspace) -> Timing:
    return Timing(workspace.vat_taxation or VatTaxation.AGREED)


def summary(workspace, period: rules.Period) -> report.Report:
    """The report's page and its totals, Kennzahlen and EC Sales List: ``report.build``'s
    figures in a fixed number of queries, without the per-line contributions."""
    start, end = report.bounds(workspace, period)
    method = _method(workspace)
    voided = report.voided_in(workspace, start, end)
    found = figures(workspace, period, method, issued=method != Timing.RECEIVED)
    others = _others(workspace, period, method, found, voided)
    fields, outside = _fields(found.groups)
    return report.Report(
        period=period,
        method=method.value,
        german=(workspace.country.code or "") == "DE",
        totals=_totals(found.groups),
        fields=fields,
        outside_count=outside,
        sales_list=_sales_list(found.groups),
        flagged=others.flagged,
        unrecorded=report.unrecorded(workspace, start, end),
        reconciliation=_reconciliation(workspace, period, method, found, others, voided),
    )


def sales_list(workspace, period: rules.Period) -> list[vat_return.SalesListEntry]:
    """The EC Sales List of the period alone (its CSV): the summary's statement without the
    reconciliation's sums, the other invoices by performance only."""
    start, end = report.bounds(workspace, period)
    method = _method(workspace)
    voided = report.voided_in(workspace, start, end)
    found = figures(workspace, period, method, issued=False)
    _others(workspace, period, method, found, voided, page=False)
    return _sales_list(found.groups)


def _reconciliation(workspace, period, method, found: Figures, others: Others, voided):
    start, end = report.bounds(workspace, period)
    if method != Timing.RECEIVED:
        return report.invoiced(
            workspace,
            period,
            start,
            end,
            invoices=others.invoices,
            voided=voided,
            payments=others.payments,
            issued=(found.ours, found.theirs),
        )
    taken: dict[str, int] = {}
    for g in found.groups.values():
        if g.received_rows:
            currency = g.line.currency.upper()
            taken[currency] = taken.get(currency, 0) + g.received
    return report.collected(workspace, others.invoices, start, end, period, taken=taken)
