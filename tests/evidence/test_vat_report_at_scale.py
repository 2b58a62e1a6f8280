"""The VAT report at scale: its SQL summary gives the Python engine's figures to the cent, its
pages cost a fixed number of queries, and the CSVs stream what they wrote before."""

import hashlib
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.evidence import report, rules, summary
from mspercury.models import VatTaxation
from tests import factories, scale_books

pytestmark = pytest.mark.django_db

URL = "/billing/vat-report/"
PERIODS = ("2026-07", "2026-08", "2026-Q3", "2026-Q4", "2026-09", "2026")


@pytest.fixture
def books(alpha):
    factories.german_msp(alpha)
    people = scale_books.customers(alpha, 10)
    scale_books.write(alpha, people, date(2026, 5, 20), 120, 400, tag="a")
    return alpha


def _figures(built):
    return (
        built.totals,
        built.fields,
        built.outside_lines,
        built.sales_list,
        [s.pk for s in built.flagged],
        [i.pk for i in built.unrecorded],
        built.reconciliation,
    )


@pytest.mark.parametrize("method", [VatTaxation.AGREED, VatTaxation.RECEIVED])
def test_the_summary_gives_the_engines_figures(books, method):
    """Refunds, credit notes, voids, late and early payments across month ends: same figures."""
    books.vat_taxation = method
    books.save(update_fields=["vat_taxation"])
    for code in PERIODS:
        period = rules.parse_period(code)
        full = report.build(books, period)
        fast = summary.summary(books, period)
        assert full.totals and full.sales_list, code
        assert _figures(fast) == _figures(full), (method, code)
        assert summary.sales_list(books, period) == full.sales_list, (method, code)


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# sha256 (first 24 digits) of the downloads of ``books`` as the views wrote them before they
# streamed (main at 9f32f5b), for Soll and Ist: the stream must be the same bytes.
BEFORE = {
    (
        "agreed",
        "report.csv",
        "2026-Q3",
    ): "ead3e87d39bbeaf139b343fe",
    (
        "agreed",
        "report.csv",
        "2026-08",
    ): "0e0ad78e2f1493bb62ec6637",
    (
        "agreed",
        "ec-sales-list.csv",
        "2026-Q3",
    ): "07658851fe6bf45aef7ecc19",
    (
        "agreed",
        "ec-sales-list.csv",
        "2026-08",
    ): "626f7ae6d2626a2f139b6b99",
    (
        "agreed",
        "supplies.csv",
        "2026-Q3",
    ): "f2fd6a5ec23e7bd3e58b0a7c",
    (
        "agreed",
        "supplies.csv",
        "2026-08",
    ): "d6251f7e557d37bdc2242418",
    (
        "received",
        "report.csv",
        "2026-Q3",
    ): "2a05689e0c09f46795df73b8",
    (
        "received",
        "report.csv",
        "2026-08",
    ): "fb21664de3dba1d4f7d46626",
    (
        "received",
        "ec-sales-list.csv",
        "2026-Q3",
    ): "07658851fe6bf45aef7ecc19",
    (
        "received",
        "ec-sales-list.csv",
        "2026-08",
    ): "626f7ae6d2626a2f139b6b99",
    (
        "received",
        "supplies.csv",
        "2026-Q3",
    ): "cc110819ca5e103c13675883",
    (
        "received",
        "supplies.csv",
        "2026-08",
    ): "9606a03bb99a91593b73a98a",
}


@pytest.mark.parametrize("method", [VatTaxation.AGREED, VatTaxation.RECEIVED])
def test_the_downloads_stream_what_they_wrote_before(books, client_for, alice, method):
    books.vat_taxation = method
    books.save(update_fields=["vat_taxation"])
    client = client_for(alice)
    for name in ("report.csv", "ec-sales-list.csv", "supplies.csv"):
        for code in ("2026-Q3", "2026-08"):
            response = client.get(f"{URL}{name}", {"period": code})
            digest = hashlib.sha256(_body(response)).hexdigest()[:24]
            assert response.streaming, name
            assert digest == BEFORE[(method.value, name, code)], (name, code)


@pytest.mark.parametrize("path", ["", "report.csv", "ec-sales-list.csv"])
def test_a_full_quarter_costs_the_queries_of_a_few_days(books, client_for, alice, path):
    """May holds 12 days of invoices, Q3 some 300 (and their refunds, notes, voids)."""
    client = client_for(alice)
    client.get(f"{URL}{path}", {"period": "2026-05"})  # warm the session
    counts = []
    for code in ("2026-05", "2026-Q3"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{URL}{path}", {"period": code})
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def _id_lists(sql: str) -> set[int]:
    """The integers of the IN (…) lists and array literals of a statement."""
    found = set()
    for text in re.findall(r"IN \(([\d, ]+)\)|'\{([\d,]+)\}'", sql):
        found |= {int(n) for n in "".join(text).replace(" ", "").split(",") if n}
    return found


@pytest.mark.parametrize("path", ["", "report.csv", "ec-sales-list.csv"])
def test_only_the_invoices_python_reads_travel_as_ids(books, client_for, alice, path):
    """The period's plain invoices stay in PostgreSQL: no statement lists them."""
    client = client_for(alice)
    period = rules.parse_period("2026-Q3")
    start, end = report.bounds(books, period)
    method = summary.Timing(books.vat_taxation or VatTaxation.AGREED)
    found = summary.figures(books, period, method, issued=True)
    read = found.others | {i.pk for i in report.voided_in(books, start, end)}
    read |= {invoice for _supply, invoice in found.flagged} | {0}
    touched, _voided = report._touched(books, period, start, end)
    assert len(touched) > 4 * len(read)  # most of the quarter's invoices are plain
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{URL}{path}", {"period": period.code})
        _body(response)
    assert response.status_code == 200
    listed = set().union(*(_id_lists(q["sql"]) for q in queries.captured_queries))
    assert listed <= read
