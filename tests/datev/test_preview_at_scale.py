"""The DATEV export page at scale: a month of hundreds of invoices and payments costs the
queries of a month of a few, and its preview and download are what they were."""

import hashlib
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.datev.models import DatevSettings
from tests import factories, scale_books

pytestmark = pytest.mark.django_db

EXPORT = "/billing/datev/"


@pytest.fixture
def books(alpha):
    factories.german_msp(alpha)
    DatevSettings.objects.create(workspace=alpha, consultant_number=1234567, client_number=12345)
    people = scale_books.customers(alpha, 10)
    scale_books.write(alpha, people, date(2026, 5, 20), 70, 300, tag="a")
    return alpha


def _month(first: str, last: str) -> dict:
    return {"date_from": first, "date_to": last}


def test_a_busy_month_costs_the_queries_of_a_quiet_one(books, client_for, alice):
    """May holds 12 days of invoices, June some 130 with their payments, refunds and notes."""
    client = client_for(alice)
    client.get(EXPORT, _month("2026-05-01", "2026-05-31"))  # warm the session
    counts = []
    for month in (_month("2026-05-01", "2026-05-31"), _month("2026-06-01", "2026-06-30")):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(EXPORT, month)
        assert response.status_code == 200
        assert response.context["counts"]["invoices"] > 0
        counts.append(len(queries))
    assert counts[0] == counts[1]


# sha256 (first 24 digits) of June's file below its header line (which holds the time of the
# export), as main wrote it at 9f32f5b, and the preview's counts then.
BEFORE = {
    "file": "667ecabb82615add28e01781",
    "counts": {"invoices": 128, "credit_notes": 8, "payments": 112, "reversals": 7},
}


def test_the_preview_and_the_file_are_what_they_were(books, client_for, alice):
    client = client_for(alice)
    june = _month("2026-06-01", "2026-06-30")
    counts = client.get(EXPORT, june).context["counts"]
    response = client.post(EXPORT, june)
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    rows = body.split(b"\r\n", 1)[1]
    digest = hashlib.sha256(rows).hexdigest()[:24]
    assert counts == BEFORE["counts"]
    assert digest == BEFORE["file"]


def test_the_preview_counts_the_rows_of_the_download(books, client_for, alice):
    client = client_for(alice)
    june = _month("2026-06-01", "2026-06-30")
    page = client.get(EXPORT, june).context
    response = client.post(EXPORT, june)
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    texts = [line.split(b";")[13] for line in body.split(b"\r\n")[2:] if line]
    kinds = {
        "reversals": sum(t.startswith(b'"Storno ') for t in texts),
        "credit_notes": sum(t.startswith(b'"Gutschrift ') for t in texts),
        "invoices": sum(t.startswith(b'"Rechnung ') for t in texts),
    }
    kinds["payments"] = len(texts) - sum(kinds.values())
    assert page["counts"] == kinds
    assert [f.bookings for f in page["result"].files] == [len(texts)]
