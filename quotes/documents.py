"""The quote document a customer sees and accepts: a PDF, and its SHA-256.

One seam: ``render_document(quote)`` returns the PDF of the quote's current revision. It is
rendered once from a canonical snapshot of the quote (``quote_snapshot``) and stored in a
``QuoteDocument`` (see ``quotes.stored_documents``), so showing the share page does not render
again; acceptance records the stored PDF's hash, and that PDF is served unchanged forever.
``render_snapshot`` renders a snapshot without storing it: the same snapshot gives the same bytes.

A snapshot holds only strings, integers, None, lists and dicts (no floats), so it survives a
round trip through a JSON column unchanged and re-renders to the same bytes.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from mspercury.languages import document_language
from mspercury.localtime import local_date
from mspercury.particulars import particulars_data
from quotes import domain, pdf
from quotes.models import Quote, QuoteLine
from quotes.summary import summarize

SNAPSHOT_FORMAT = 2
FINGERPRINT_LENGTH = 16
LINE_FIELDS = (
    "description",
    "quantity",
    "unit",
    "unit_price",
    "billing_period",
    "discount_percent",
    "net",
)
HEADER_FIELDS = ("title", "currency", "valid_until", "intro", "closing", "project")
TOTAL_FIELDS = ("one_time", "monthly", "yearly", "first_invoice", "mrr")


PDF_MEDIA_TYPE = "application/pdf"


class DocumentUnavailable(Exception):
    """The PDF could not be rendered (the stored row says why)."""


@dataclass(frozen=True)
class Document:
    snapshot: dict
    content: bytes
    sha256: str
    media_type: str
    stored: object = None  # the QuoteDocument it was served from, if any

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sha256)


def fingerprint(sha256: str) -> str:
    """The short form shown to people: the first 16 hex digits."""
    return sha256[:FINGERPRINT_LENGTH]


def _text(value) -> str | None:
    return None if value is None else str(value)


def _address(obj, region_field: str) -> dict:
    return {
        "street": obj.street,
        "postal_code": obj.postal_code,
        "city": obj.city,
        "region": getattr(obj, region_field),
        "country": obj.country.code or "",
        "tax_id_type": obj.tax_id_type,
        "tax_id": obj.tax_id,
    }


def _taxed(total: domain.TaxedTotal) -> dict:
    return {"net": str(total.net), "tax": str(total.tax), "gross": str(total.gross)}


def quote_snapshot(quote: Quote, *, today: date | None = None) -> dict:
    """Everything the customer's document shows, as plain strings. Cost prices stay out."""
    workspace = quote.workspace
    today = today or local_date(workspace, timezone.now())
    customer = quote.customer
    lines = list(QuoteLine.objects.filter(quote=quote).order_by("position", "id"))
    summary = summarize(quote, lines, workspace, today)
    totals, tax = summary.totals, summary.tax
    return {
        "format": SNAPSHOT_FORMAT,
        "number": quote.number,
        "revision": quote.revision,
        "language": document_language(customer.language),
        "title": quote.title,
        "currency": quote.currency,
        "valid_until": _text(quote.valid_until),
        "intro": quote.intro,
        "closing": quote.closing,
        "project": quote.project.name if quote.project else "",
        "customer": {
            "name": customer.company_name,
            "contact": customer.contact_name,
            "street2": customer.street2,
            **_address(customer, "state"),
            # The customer's own language: the reverse-charge notice speaks it even where the
            # rest of the document falls back to English.
            "language": customer.language,
        },
        # The company particulars too (§35a GmbHG): the document keeps those it was made with.
        "workspace": {
            "name": workspace.name,
            **_address(workspace, "region"),
            **particulars_data(workspace),
            # Its times and dates read in the zone it was made in, whatever the workspace
            # chooses later: the document renders to the same bytes.
            "time_zone": workspace.zone.key,
        },
        "lines": [
            {
                "id": str(row.line.public_id),
                "description": row.line.description,
                "quantity": str(row.line.quantity),
                "unit": row.line.unit,
                "unit_price": str(row.line.unit_price),
                "billing_period": row.line.billing_period,
                "discount_percent": _text(row.line.discount_percent),
                "net": str(row.amounts.net),
            }
            for row in summary.rows
        ],
        "totals": {
            "one_time": str(totals.one_time.net),
            "monthly": str(totals.monthly.net),
            "yearly": str(totals.yearly.net),
            "first_invoice": str(totals.first_invoice.net),
            "mrr": str(totals.mrr_display),
        },
        "tax": {
            "treatment": str(tax.decision.treatment),
            "rate": str(tax.decision.rate),
            "rate_country": tax.decision.rate_country,
            "one_time": _taxed(tax.one_time),
            "monthly": _taxed(tax.monthly),
            "yearly": _taxed(tax.yearly),
            "first_invoice": _taxed(tax.first_invoice),
        },
    }


def canonical_json(snapshot: dict) -> bytes:
    """One byte sequence per snapshot: sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def render_snapshot(snapshot: dict) -> Document:
    """The PDF of a snapshot, rendered now and not stored."""
    content = pdf.render_quote(snapshot)
    return Document(
        snapshot=snapshot,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type=PDF_MEDIA_TYPE,
    )


# What changed since acceptance


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object
    after: object


@dataclass(frozen=True)
class LineChange:
    before: dict
    after: dict
    fields: tuple[str, ...]


@dataclass(frozen=True)
class SnapshotDiff:
    header: tuple[FieldChange, ...]
    added: tuple[dict, ...]
    removed: tuple[dict, ...]
    changed: tuple[LineChange, ...]
    totals: tuple[FieldChange, ...]
    customer_changed: bool

    @property
    def added_one_time_net(self) -> Decimal:
        """What the lines a revision adds that are billed once come to (net): a running
        contract invoices them once, with its next invoice."""
        return sum(
            (Decimal(x["net"]) for x in self.added if x.get("billing_period") == "one_time"),
            Decimal(0),
        )

    @property
    def is_empty(self) -> bool:
        return not (
            self.header
            or self.added
            or self.removed
            or self.changed
            or self.totals
            or self.customer_changed
        )


NUMERIC_FIELDS = frozenset({"quantity", "unit_price", "discount_percent", "net", *TOTAL_FIELDS})


def _differs(field: str, a, b) -> bool:
    """Amounts compare as numbers ("5.0" and "5.00" are the same), everything else as is."""
    if field in NUMERIC_FIELDS and a is not None and b is not None:
        return Decimal(a) != Decimal(b)
    return a != b


def diff_snapshots(before: dict, after: dict) -> SnapshotDiff:
    """Lines added, removed and changed (matched by line id), header fields and totals."""
    old_lines = {line["id"]: line for line in before["lines"]}
    new_lines = {line["id"]: line for line in after["lines"]}
    changed = []
    for line_id, new in new_lines.items():
        old = old_lines.get(line_id)
        if old is None:
            continue
        fields = tuple(f for f in LINE_FIELDS if _differs(f, old.get(f), new.get(f)))
        if fields:
            changed.append(LineChange(old, new, fields))
    return SnapshotDiff(
        header=tuple(
            FieldChange(f, before.get(f), after.get(f))
            for f in HEADER_FIELDS
            if before.get(f) != after.get(f)
        ),
        added=tuple(line for line_id, line in new_lines.items() if line_id not in old_lines),
        removed=tuple(line for line_id, line in old_lines.items() if line_id not in new_lines),
        changed=tuple(changed),
        totals=tuple(
            FieldChange(f, before["totals"][f], after["totals"][f])
            for f in TOTAL_FIELDS
            if _differs(f, before["totals"][f], after["totals"][f])
        ),
        customer_changed=before["customer"] != after["customer"],
    )
