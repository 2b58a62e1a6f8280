"""The VAT report (owners and admins): a period's totals, EC Sales List, flagged supplies and
reconciliation on a page, and the same as CSV downloads."""

import csv
import itertools

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from billing.evidence import report, rules, summary, vat_return
from mspercury.access import admin_required
from mspercury.localtime import local_date
from rules.money import from_minor_units


def _period(request) -> tuple[rules.Period | None, str]:
    text = request.GET.get("period", "")
    if not text:
        return rules.quarter_of(local_date(request.workspace, timezone.now())), ""
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
    built = summary.summary(request.workspace, period)
    context = {"report": built, "period": period, "entered": period.code}
    return render(request, "evidence/vat_report.html", context)


def _decimal(amount: int, currency: str) -> str:
    """An amount as a German spreadsheet reads it: decimal comma, no thousands separator."""
    return str(from_minor_units(amount, currency)).replace(".", ",")


def _cell(value):
    """One line per record: line breaks inside a text would mix line endings."""
    if isinstance(value, str):
        return " ".join(value.splitlines())
    return value


class _Line:
    """What csv.writer writes into: hands back each line instead of keeping it."""

    def write(self, text: str) -> str:
        return text


def _csv(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """CSV for a German spreadsheet: UTF-8 with BOM, ``;`` between fields, CRLF after every
    line (RFC 4180), amounts with a decimal comma; streamed as ``rows`` yields them."""
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    zone = timezone.get_current_timezone()  # the workspace's; gone once the view returns

    def lines():
        with timezone.override(zone):
            yield "\ufeff" + writer.writerow(header)
            for row in rows:
                yield writer.writerow([_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _total_row(period, t) -> list:
    money = [_decimal(t.net, t.currency), _decimal(t.tax, t.currency), t.rows]
    return [period.code, "total", t.treatment, t.country, t.rate, t.currency, *money, "", "", ""]


def _field_row(period, f) -> list:
    tax = _decimal(f.tax, "EUR") if f.tax is not None else ""
    return [period.code, f"Kz {f.code}", f.label, "DE", "", "EUR", f.base_euros, tax, f.lines]


def _reconciliation_row(period, kind: str, r) -> list:
    money = [_decimal(r.evidence, r.currency), _decimal(r.stripe, r.currency), r.difference]
    return [period.code, f"reconciliation:{kind}", "", "", "", r.currency, "", "", "", *money]


def _bad_period(error: str) -> HttpResponse:
    return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")


@admin_required
@require_GET
def vat_report_csv(request):
    """The return's Kennzahlen (German workspaces: bases in whole euros, VAT with cents), the
    totals per treatment × place of supply × rate × currency, then the reconciliation with
    Stripe (gross of the records against Stripe's, the difference in minor units)."""
    period, error = _period(request)
    if period is None:
        return _bad_period(error)
    built = summary.summary(request.workspace, period)
    kind = "collected" if built.received else "invoiced"
    rows = itertools.chain(
        (_field_row(period, f) for f in (built.fields if built.german else ())),
        (_total_row(period, t) for t in built.totals),
        (_reconciliation_row(period, kind, r) for r in built.reconciliation),
    )
    header = ["period", "section", "treatment", "place_of_supply", "rate", "currency"]
    header += ["net", "vat", "records", "evidence_gross", "stripe_gross", "difference_minor"]
    return _csv(f"vat-report-{period.code}.csv", header, rows)


def _sales_list_row(period, r) -> list:
    return [
        period.code,
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
    """The EC Sales List (Zusammenfassende Meldung) rows of the period, by service period."""
    period, error = _period(request)
    if period is None:
        return _bad_period(error)
    found = summary.sales_list(request.workspace, period)
    rows = (_sales_list_row(period, r) for r in found)
    header = ["period", "country", "vat_id", "kind", "customer", "currency", "net"]
    return _csv(f"ec-sales-list-{period.code}.csv", header, rows)


SUPPLY_COLUMNS = [
    "issued_on",
    "service_start",
    "service_end",
    "performed_on",
    "invoice",
    "stripe_invoice",
    "stripe_line",
    "description",
    "customer",
    "vat_id",
    "treatment",
    "kennzahl",
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
]


def _iso(day) -> str:
    return day.isoformat() if day else ""


def _moment(moment) -> str:
    """A moment in the workspace's zone with its UTC offset: 2026-12-07T15:52:00+01:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def _supply_row(supply, contribution) -> list:
    invoice, evidence, vies = supply.invoice, supply.evidence, supply.vat_validation
    return [
        _iso(supply.supplied_on),
        _iso(supply.service_start),
        _iso(supply.service_end),
        _iso(supply.performed),
        invoice.number,
        invoice.stripe_id,
        supply.line_id,
        supply.description,
        supply.customer.company_name if supply.customer else "",
        supply.customer_vat_id,
        supply.treatment,
        vat_return.kennzahl(contribution.line) or "",
        format(supply.rate.normalize(), "f"),
        supply.rate_source,
        supply.place_of_supply,
        supply.currency,
        _decimal(contribution.net, supply.currency),
        _decimal(contribution.tax, supply.currency),
        evidence.billing_country,
        evidence.bank_country,
        evidence.bank_source,
        evidence.ip_country,
        evidence.ip_source,
        vies.status if vies else "",
        vies.consultation_number if vies else "",
        _moment(vies.checked_at if vies else None),
        int(supply.conflict),
        int(supply.unconfirmed_vat_id),
    ]


@admin_required
@require_GET
def supplies_csv(request):
    """Every record behind the return: what each supply (invoice line) adds to the period
    under the workspace's method (negative for a correction), with its service period,
    evidence and VIES answer, so every cent can be traced to a Stripe line."""
    period, error = _period(request)
    if period is None:
        return _bad_period(error)
    built = report.build(request.workspace, period)
    rows = (_supply_row(built.supplies[c.line.key], c) for c in built.contributions)
    return _csv(f"vat-supplies-{period.code}.csv", SUPPLY_COLUMNS, rows)
