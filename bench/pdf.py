"""How long a 50-line quote PDF takes through quotes/pdf.py, against bare WeasyPrint.

    .venv/bin/python bench/pdf.py [--renders 20] [--lines 50]

Both sides render the same HTML: ours goes template → HTML → WeasyPrint with the shared font
configuration and the parsed stylesheet; the bare side hands WeasyPrint the finished HTML with
the stylesheet inlined, as a fresh ``weasyprint.HTML(string=...).write_pdf()`` each time.
No database is needed: the quote is a snapshot built here.
"""

import argparse
import base64
import io
import os
import secrets
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mspercury.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "bench-only-" + secrets.token_urlsafe(48))
os.environ.setdefault(
    "MSPERCURY_ENCRYPTION_KEYS", "v1:" + base64.b64encode(secrets.token_bytes(32)).decode()
)

import django

django.setup()

import weasyprint  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from quotes import pdf  # noqa: E402

PERIODS = ("one_time", "monthly", "yearly")


def snapshot(lines: int) -> dict:
    rows = [
        {
            "id": str(i),
            "description": f"Managed service {i + 1}: monitoring, patching and support",
            "quantity": "12",
            "unit": "workstation",
            "unit_price": "19.90",
            "billing_period": PERIODS[i % 3],
            "discount_percent": "5" if i % 4 == 0 else None,
            "net": "238.80",
        }
        for i in range(lines)
    ]
    net = Decimal("238.80")
    per_period = {p: str(net * sum(1 for r in rows if r["billing_period"] == p)) for p in PERIODS}
    taxed = {p: {"net": v, "tax": "0.00", "gross": v} for p, v in per_period.items()}
    total = str(sum(Decimal(v) for v in per_period.values()))
    return {
        "format": 2,
        "number": "Q-2026-0050",
        "revision": 4,
        "language": "en",
        "title": "Managed IT for 12 workstations",
        "currency": "EUR",
        "valid_until": "2026-12-31",
        "intro": "Thank you for your interest. We are pleased to offer you the following services.",
        "closing": "We look forward to working with you.",
        "project": "Head office",
        "as_of": "2026-11-02T09:30:00+00:00",
        "customer": {
            "name": "Client SARL",
            "contact": "Marie Dupont",
            "street": "1 rue de Rivoli",
            "street2": "",
            "postal_code": "75001",
            "city": "Paris",
            "region": "",
            "country": "FR",
            "tax_id_type": "eu_vat",
            "tax_id": "FR40303265045",
            "language": "fr",
        },
        "workspace": {
            "name": "Alpha IT GmbH",
            "street": "Hauptstraße 1",
            "postal_code": "10115",
            "city": "Berlin",
            "region": "",
            "country": "DE",
            "tax_id_type": "eu_vat",
            "tax_id": "DE136695976",
        },
        "lines": rows,
        "totals": {**per_period, "first_invoice": total, "mrr": per_period["monthly"]},
        "tax": {
            "treatment": "reverse_charge",
            "rate": "0",
            "rate_country": "FR",
            **taxed,
            "first_invoice": {"net": total, "tax": "0.00", "gross": total},
        },
    }


def timed(render) -> float:
    start = time.perf_counter()
    render()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--lines", type=int, default=50)
    args = parser.parse_args()

    quote = snapshot(args.lines)
    context = pdf.quote_context(quote)
    html = pdf.html_document("pdf/quote.html", context, language=quote["language"])
    standalone = html.replace("</head>", f"<style>{pdf.stylesheet_source()}</style></head>", 1)

    def ours():
        return pdf.render_quote(quote)

    def bare():
        return weasyprint.HTML(string=standalone).write_pdf()

    assert ours() == ours(), "the same snapshot must give the same bytes"
    bare()  # warm-up: fonts, Pango
    ours_times, bare_times = [], []
    for _ in range(args.renders):  # interleaved, so load on the machine hits both alike
        ours_times.append(timed(ours))
        bare_times.append(timed(bare))
    ours_s, bare_s = statistics.median(ours_times), statistics.median(bare_times)
    pages = len(PdfReader(io.BytesIO(ours())).pages)
    print(f"{args.lines}-line quote, {args.renders} renders each (median):")
    print(f"  quotes/pdf.py     {ours_s:.3f} s per quote")
    print(f"  bare WeasyPrint   {bare_s:.3f} s per quote")
    print(f"  ratio             {ours_s / bare_s:.2f}  (aim ≤ 1.2; pages: {pages})")


if __name__ == "__main__":
    main()
