"""The VAT report (owners and admins): a period's totals, EC Sales List, flagged supplies and
reconciliation on a page, and the same as CSV downloads."""

import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from billing.evidence import report, rules
from billing.money import from_minor_units
from mspercury.access import admin_required


def _period(request) -> tuple[rules.Period | None, str]:
    text = request.GET.get("period", "")
    if not text:
        return rules.quarter_of(timezone.localdate()), ""
    try:
        return rules.parse_period(text), ""
    except rules.BadPeriod:
        return None, _(
            "“%(period)s” is not a period: write a month (2026-11), a quarter (2026-Q4) or a "
            "year (2026)."
        ) % {"period": text[:20]}


@admin_required
@require_GET
def vat_report(request):
    period, error = _period(request)
    if period is None:
        context = {"error": error, "entered": request.GET.get("period", "")[:20]}
        return render(request, "evidence/vat_report.html", context, status=400)
    built = report.build(request.workspace, period)
    context = {"report": built, "period": period, "entered": period.code}
    return render(request, "evidence/vat_report.html", context)


def _decimal(amount: int, currency: str) -> str:
    return str(from_minor_units(amount, currency))


def _csv(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def _total_row(period, t) -> list:
    money = [_decimal(t.net, t.currency), _decimal(t.tax, t.currency), t.rows]
    return [period.code, "total", t.treatment, t.country, t.rate, t.currency, *money, "", "", ""]


def _reconciliation_row(period, kind: str, r) -> list:
    money = [_decimal(r.evidence, r.currency), _decimal(r.stripe, r.currency), r.difference]
    return [period.code, f"reconciliation:{kind}", "", "", "", r.currency, "", "", "", *money]


def _bad_period(error: str) -> HttpResponse:
    return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")


@admin_required
@require_GET
def vat_report_csv(request):
    """Totals per treatment × place of supply × rate × currency (amounts in the currency's
    units, a point as decimal separator), then the reconciliation lines (gross of the records
    against Stripe's, the difference in minor units)."""
    period, error = _period(request)
    if period is None:
        return _bad_period(error)
    built = report.build(request.workspace, period)
    rows = [_total_row(period, t) for t in built.totals]
    for kind, lines in (("invoices", built.invoices), ("corrections", built.corrections)):
        rows += [_reconciliation_row(period, kind, r) for r in lines]
    header = ["period", "section", "treatment", "place_of_supply", "rate", "currency"]
    header += ["net", "vat", "records", "evidence_gross", "stripe_gross", "difference_minor"]
    return _csv(f"vat-report-{period.code}.csv", header, rows)


def _sales_list_row(r) -> list:
    return [
        r.quarter,
        r.country,
        r.vat_id,
        r.kind,
        r.customer,
        r.currency,
        _decimal(r.net, r.currency),
    ]


@admin_required
@require_GET
def ec_sales_list_csv(request):
    """The EC Sales List (Zusammenfassende Meldung) rows of the period."""
    period, error = _period(request)
    if period is None:
        return _bad_period(error)
    built = report.build(request.workspace, period)
    rows = [_sales_list_row(r) for r in built.sales_list]
    header = ["quarter", "country", "vat_id", "kind", "customer", "currency", "net"]
    return _csv(f"ec-sales-list-{period.code}.csv", header, rows)


SUPPLY_COLUMNS = [
    "date",
    "entry",
    "invoice",
    "stripe_invoice",
    "stripe_line",
    "description",
    "customer",
    "vat_id",
    "treatment",
    "rate",
    "rate_source",
    "place_of_supply",
    "currency",
    "net",
    "vat",
    "billing_country",
    "bank_country",
    "bank_source",
    "ip_country",
    "ip_source",
    "vies_status",
    "vies_consultation_number",
    "vies_checked_at",
    "conflict",
    "unconfirmed_vat_id",
    "payment",
]


def _supply_row(day, entry: str, supply, net: int, tax: int, payment: str) -> list:
    invoice, evidence, vies = supply.invoice, supply.evidence, supply.vat_validation
    return [
        day.isoformat(),
        entry,
        invoice.number,
        invoice.stripe_id,
        supply.line_id,
        supply.description,
        supply.customer.company_name if supply.customer else "",
        supply.customer_vat_id,
        supply.treatment,
        format(supply.rate.normalize(), "f"),
        supply.rate_source,
        supply.place_of_supply,
        supply.currency,
        _decimal(net, supply.currency),
        _decimal(tax, supply.currency),
        evidence.billing_country,
        evidence.bank_country,
        evidence.bank_source,
        evidence.ip_country,
        evidence.ip_source,
        vies.status if vies else "",
        vies.consultation_number if vies else "",
        vies.checked_at.isoformat() if vies and vies.checked_at else "",
        int(supply.conflict),
        int(supply.unconfirmed_vat_id),
        payment,
    ]


@admin_required
@require_GET
def supplies_csv(request):
    """Every record behind the totals: each supply with its evidence and VIES answer, and each
    refund or credit note share (negative), so every cent can be traced to Stripe."""
    period, error = _period(request)
    if period is None:
        return _bad_period(error)
    built = report.build(request.workspace, period)
    rows = [_supply_row(s.supplied_on, "supply", s, s.net, s.tax, "") for s in built.supplies]
    rows += [
        _supply_row(r.reduced_on, r.payment.source, r.supply, -r.net, -r.tax, r.payment.provider_id)
        for r in built.reductions
    ]
    return _csv(f"vat-supplies-{period.code}.csv", SUPPLY_COLUMNS, rows)
