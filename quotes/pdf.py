"""PDF documents: Django template → HTML → WeasyPrint, in the customer's language.

Deterministic: the same snapshot renders to the same bytes. Nothing reads the clock (the PDF's
dates come from the snapshot), nothing is fetched (fonts are the Debian packages that
scripts/setup.sh installs, photos are inlined as data: URLs, the fetcher refuses every other
URL), and WeasyPrint writes no random identifiers.

Every document extends ``pdf/_base.html``, whose footer (``pdf/_footer.html``) carries the MSP's
name, address and tax ID with its customary label, the company particulars a business letter
needs (``mspercury.particulars``, from the snapshot for quotes and agreements), and "Page x of y".
"""

import re
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from customers.addresses import address_lines
from mspercury.languages import document_language
from mspercury.localtime import local_date, zone_named
from mspercury.particulars import particulars_lines
from quotes.assessments import report
from quotes.domain import MONTHLY, ONE_TIME, YEARLY
from quotes.models import BillingPeriod, QuoteAcceptance, Unit
from rules import wording
from rules.tax import TaxTreatment

STYLESHEET = "pdf/pdf.css"

PERIOD_HEADINGS = {
    ONE_TIME: gettext_lazy("One-time services"),
    MONTHLY: gettext_lazy("Monthly services"),
    YEARLY: gettext_lazy("Yearly services"),
}
PERIOD_TOTALS = {
    ONE_TIME: gettext_lazy("One-time"),
    MONTHLY: gettext_lazy("Monthly, per month"),
    YEARLY: gettext_lazy("Yearly, per year"),
}
PERIOD_SUBTOTALS = {
    ONE_TIME: gettext_lazy("Subtotal one-time"),
    MONTHLY: gettext_lazy("Subtotal per month"),
    YEARLY: gettext_lazy("Subtotal per year"),
}


# WeasyPrint machinery, kept between renders: loading fonts and parsing the CSS once saves
# time. Per thread, as Pango's font objects are not meant to be shared across threads.
_local = threading.local()


def _font_config() -> FontConfiguration:
    if getattr(_local, "font_config", None) is None:
        _local.font_config = FontConfiguration()
        _local.stylesheets = {}
    return _local.font_config


def _stylesheet(source: str) -> weasyprint.CSS:
    font_config = _font_config()
    stylesheets = _local.stylesheets
    if source not in stylesheets:
        if len(stylesheets) >= 4:  # templates overridden in tests or by a theme
            stylesheets.clear()
        stylesheets[source] = weasyprint.CSS(string=source, font_config=font_config)
    return stylesheets[source]


def stylesheet_source() -> str:
    """The CSS of all documents (a template, so a test or a theme can override it)."""
    return render_to_string(STYLESHEET)


def _url_fetcher() -> URLFetcher:
    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=False)


def css_string(text: str) -> str:
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{escaped}"'


def page_counter_css() -> str:
    """CSS ``content`` for the translated "Page x of y", counters in the translator's order."""
    tokens = []
    for part in re.split(r"(%\(page\)s|%\(pages\)s)", _("Page %(page)s of %(pages)s")):
        if part == "%(page)s":
            tokens.append("counter(page)")
        elif part == "%(pages)s":
            tokens.append("counter(pages)")
        elif part:
            tokens.append(css_string(part))
    return " ".join(tokens)


def document_zone(snapshot_workspace: dict) -> ZoneInfo:
    """The zone a document's times are shown in: the one its snapshot was made in (the MSP's,
    DESIGN.md "Local time, language, sender"); UTC for snapshots older than that."""
    return zone_named(snapshot_workspace.get("time_zone") or "UTC")


def html_document(template_name: str, context: dict, *, language: str, zone=UTC) -> str:
    """The complete HTML of a document, rendered in ``language``, times in ``zone``."""
    with translation.override(language), timezone.override(zone):
        return render_to_string(
            template_name, {**context, "page_counter": page_counter_css(), "language": language}
        )


def write_pdf(html: str) -> bytes:
    document = weasyprint.HTML(string=html, url_fetcher=_url_fetcher())
    return document.write_pdf(
        stylesheets=[_stylesheet(stylesheet_source())], font_config=_font_config()
    )


def render_pdf(template_name: str, context: dict, *, language: str, zone=UTC) -> bytes:
    return write_pdf(html_document(template_name, context, language=language, zone=zone))


# Shared pieces: parties, footer, dates


def _iso(value: str | None) -> str:
    """A W3C date-time for the PDF's metadata (WeasyPrint reads it from <meta>)."""
    moment = parse_datetime(value) if value else None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def _date(value, zone=UTC) -> date | None:
    """A snapshot's date, or the date in ``zone`` of a snapshot's moment."""
    if value is None or isinstance(value, date):
        return value
    moment = parse_datetime(value)
    if moment is None:
        return parse_date(value)
    return moment.astimezone(zone).date() if timezone.is_aware(moment) else moment.date()


def party(data: dict, *, name_key: str = "name") -> dict:
    """Name, address lines and tax-ID line of a workspace or customer snapshot."""
    country = data.get("country") or ""
    lines = address_lines(
        street=data.get("street") or "",
        street2=data.get("street2") or "",
        postal_code=data.get("postal_code") or "",
        city=data.get("city") or "",
        region=data.get("region") or "",
        country=country,
        country_name=str(countries.name(country)) if country else "",
    )
    return {
        "name": data.get(name_key, ""),
        "contact": data.get("contact", ""),
        "lines": lines,
        "tax_id": wording.tax_id_line(country, data.get("tax_id_type", ""), data.get("tax_id")),
    }


def supplier_data(workspace) -> dict:
    """A workspace as the documents show it, for documents not made from a quote snapshot."""
    return {
        "name": workspace.name,
        "street": workspace.street,
        "postal_code": workspace.postal_code,
        "city": workspace.city,
        "region": workspace.region,
        "country": workspace.country.code or "",
        "tax_id_type": workspace.tax_id_type,
        "tax_id": workspace.tax_id,
    }


def customer_data(customer) -> dict:
    return {
        "name": customer.company_name,
        "contact": customer.contact_name,
        "street": customer.street,
        "street2": customer.street2,
        "postal_code": customer.postal_code,
        "city": customer.city,
        "region": customer.state,
        "country": customer.country.code or "",
        "tax_id_type": customer.tax_id_type,
        "tax_id": customer.tax_id,
        "language": customer.language,
    }


# Quote and agreement


def reverse_charge_banner(snapshot: dict) -> dict | None:
    """The notice when the quote's treatment is EU reverse charge, else None."""
    if snapshot["tax"]["treatment"] != TaxTreatment.REVERSE_CHARGE:
        return None
    supplier, customer = snapshot["workspace"], snapshot["customer"]
    return wording.reverse_charge_notice(
        customer.get("language") or snapshot["language"],
        supplier.get("country", ""),
        supplier.get("tax_id", ""),
        customer.get("tax_id", ""),
    )


def tax_line_label(tax: dict) -> str:
    """What the tax row of the totals says, by treatment."""
    rate = Decimal(tax["rate"]).normalize()
    rate_text = f"{rate:f}"
    treatment = tax["treatment"]
    if treatment == TaxTreatment.REVERSE_CHARGE:
        return _("VAT 0 % (reverse charge)")
    if treatment == TaxTreatment.EXPORT:
        return _("VAT 0 % (not taxable here: place of supply abroad)")
    if treatment == TaxTreatment.NOT_CALCULATED:
        return _("Sales tax not included")
    return _("VAT %(rate)s %%") % {"rate": rate_text}


def line_groups(snapshot: dict) -> list[dict]:
    """The lines by billing period (one-time, monthly, yearly), each with its subtotal."""
    units = dict(Unit.choices)
    groups = []
    position = 0
    for period in (ONE_TIME, MONTHLY, YEARLY):
        lines = []
        for line in snapshot["lines"]:
            if line["billing_period"] == period:
                position += 1
                lines.append(
                    {**line, "pos": position, "unit_label": units.get(line["unit"], line["unit"])}
                )
        if lines:
            groups.append(
                {
                    "period": period,
                    "heading": PERIOD_HEADINGS[period],
                    "subtotal_label": PERIOD_SUBTOTALS[period],
                    "total_label": PERIOD_TOTALS[period],
                    "lines": lines,
                    "subtotal": snapshot["totals"][period],
                    "taxed": snapshot["tax"][period],
                }
            )
    return groups


def quote_context(snapshot: dict) -> dict:
    return {
        "q": snapshot,
        "supplier": party(snapshot["workspace"]),
        "particulars": particulars_lines(snapshot["workspace"]),
        "customer": party(snapshot["customer"]),
        "as_of": _date(snapshot.get("as_of"), document_zone(snapshot["workspace"])),
        "created": _iso(snapshot.get("as_of")),
        "valid_until": _date(snapshot.get("valid_until")),
        "groups": line_groups(snapshot),
        "banner": reverse_charge_banner(snapshot),
        "tax_label": tax_line_label(snapshot["tax"]),
        "periods": dict(BillingPeriod.choices),
    }


def pdf_language(language: str) -> str:
    """The assessment report exists whole in the UI's languages (en, de) only; others read it
    in English. Never half one, half the other."""
    return language if language in dict(settings.LANGUAGES) else "en"


def quote_language(snapshot: dict) -> str:
    """Quotes, agreements and certificates are translated whole into every document language
    (``MSPERCURY_DOCUMENT_LANGUAGES``): the customer reads them in their own."""
    return document_language(snapshot["language"])


def render_quote(snapshot: dict) -> bytes:
    """The quote PDF of a snapshot (see ``quotes.documents.quote_snapshot``)."""
    language = quote_language(snapshot)
    # The context holds translated text (tax line, country names): build it in the document's
    # language, not in whatever language the request or the worker happens to speak.
    with translation.override(language):
        context = quote_context(snapshot)
    zone = document_zone(snapshot["workspace"])
    return render_pdf("pdf/quote.html", context, language=language, zone=zone)


def acceptance_context(acceptance: dict) -> dict:
    """The acceptance facts as the agreement's certificate page shows them.

    ``acceptance`` holds name, email, accepted_at (ISO, UTC), via, staff (name and email of the
    staff member who marked it accepted, if so), ip_address, user_agent, revision and
    document_sha256; records made before some of these existed simply lack them.
    """
    via = dict(QuoteAcceptance.Via.choices)
    return {
        "acceptance": {**acceptance, "via_label": via.get(acceptance.get("via"), "")},
        "accepted_at": parse_datetime(acceptance["accepted_at"]),
        "accepted_at_iso": _iso(acceptance["accepted_at"]),
        "created": _iso(acceptance["accepted_at"]),
    }


def render_agreement(snapshot: dict, acceptance: dict) -> bytes:
    """The service agreement that follows the acceptance of the quote in ``snapshot``, with the
    acceptance certificate as its last page (see ``acceptance_context``)."""
    language = quote_language(snapshot)
    with translation.override(language):
        context = quote_context(snapshot)
        context.update(acceptance_context(acceptance))
    zone = document_zone(snapshot["workspace"])
    return render_pdf("pdf/agreement.html", context, language=language, zone=zone)


# Assessment report


def render_assessment_report(assessment, *, created: datetime) -> bytes:
    """The report PDF of an assessment as it is now; ``created`` dates the document."""
    assessment = report.load_assessment(assessment)
    language = pdf_language(document_language(assessment.customer.language))
    with translation.override(language):  # labels and country names in the reader's language
        summary = report.summarize_assessment(assessment)
        for group in summary.by_severity:
            for finding in group.findings:
                finding.photo_data = report.photo_data_url(finding)
        context = {
            "assessment": assessment,
            "summary": summary,
            "supplier": party(supplier_data(assessment.workspace)),
            "particulars": particulars_lines(assessment.workspace),
            "customer": party(customer_data(assessment.customer)),
            "created": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "as_of": local_date(assessment.workspace, created),
        }
    zone = assessment.workspace.zone
    return render_pdf("pdf/assessment_report.html", context, language=language, zone=zone)
