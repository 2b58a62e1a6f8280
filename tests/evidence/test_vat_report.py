"""The VAT report page and its CSVs: the return's Kennzahlen (a German workspace), totals per
treatment × place of supply × rate, the EC Sales List, what to look at and the reconciliation
with Stripe's invoices; CSVs a German spreadsheet opens (";", decimal comma, CRLF, BOM)."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.evidence.models import Evidence, Reduction, Supply
from billing.models import Payment, StripeInvoice
from customers.models import Customer
from customers.vatids.models import VatIdValidation

pytestmark = pytest.mark.django_db

URL = "/billing/vat-report/"


def _customer(workspace, name="Dupont SARL", country="FR", vat_id="FR40303265045"):
    return Customer.objects.create(
        workspace=workspace,
        company_name=name,
        country=country,
        tax_id_type="eu_vat" if vat_id else "",
        tax_id=vat_id,
    )


def _supply(customer, *, net, tax, treatment, rate, country, day, flags=None, stripe_id=None):
    """A paid invoice of one line and its evidence record (as record_supplies writes them)."""
    invoice = StripeInvoice.objects.create(
        workspace=customer.workspace,
        account_ref="acct_1",
        stripe_id=stripe_id or f"in_{Supply.objects.count() + 1}_{customer.pk}",
        number=f"INV-{Supply.objects.count() + 1}",
        customer=customer,
        status="paid",
        payment_status="paid",
        currency="EUR",
        total=net + tax,
        tax=tax,
        created=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
    )
    supply = Supply.objects.create(
        workspace=customer.workspace,
        invoice=invoice,
        line_id=f"il_{invoice.stripe_id}",
        description="RMM agent",
        customer=customer,
        customer_vat_id=customer.tax_id,
        currency="EUR",
        net=net,
        tax=tax,
        rate=Decimal(rate),
        treatment=treatment,
        rate_source="tax_rate",
        place_of_supply=country,
        supplied_on=day,
        **(flags or {}),
    )
    Evidence.objects.create(
        workspace=customer.workspace,
        supply=supply,
        billing_country=country,
        decided_country=country,
    )
    return supply


def _refund(supply, amount, day):
    payment = Payment.objects.create(
        workspace=supply.workspace,
        invoice=supply.invoice,
        amount=-amount,
        currency="EUR",
        source="refund",
        provider_id=f"re_{supply.pk}_{amount}",
        paid_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
    )
    tax = amount * supply.tax // supply.gross
    return Reduction.objects.create(
        workspace=supply.workspace,
        supply=supply,
        payment=payment,
        net=amount - tax,
        tax=tax,
        reduced_on=day,
    )


@pytest.fixture
def books(alpha):
    fr = _customer(alpha)
    de = _customer(alpha, "Müller GmbH", "DE", "DE811907980")
    ch = _customer(alpha, "Zürich AG", "CH", "")
    oct5, nov3 = date(2026, 10, 5), date(2026, 11, 3)
    rc = {"treatment": "reverse_charge", "rate": "0", "tax": 0, "country": "FR"}
    return {
        # Card and address disagree, but a valid VIES answer places it: nothing to look at.
        "rc1": _supply(fr, net=50000, day=oct5, **rc, flags={"conflict": True}),
        "rc2": _supply(fr, net=12345, day=nov3, **rc, flags={"unconfirmed_vat_id": True}),
        "de": _supply(
            de, net=10000, tax=1900, treatment="domestic", rate="19", country="DE", day=nov3
        ),
        "ch": _supply(
            ch,
            net=7000,
            tax=0,
            treatment="export",
            rate="0",
            country="CH",
            day=oct5,
            flags={"conflict": True},
        ),
    }


def _rows(response):
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)  # the downloads stream
    assert body.startswith("\ufeff".encode())  # UTF-8 with BOM
    assert body.count(b"\n") == body.count(b"\r\n")  # one line ending: CRLF
    text = body.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def test_it_totals_per_treatment_country_and_rate(client_for, alice, books):
    _refund(books["de"], 1190, date(2026, 12, 1))  # 1000 net + 190 VAT back
    response = client_for(alice).get(URL, {"period": "2026-Q4"})
    assert response.status_code == 200
    report = response.context["report"]
    totals = {(t.treatment, t.country, t.rate): (t.net, t.tax) for t in report.totals}
    assert totals == {
        ("domestic", "DE", "19"): (9000, 1710),
        ("export", "CH", "0"): (7000, 0),
        ("reverse_charge", "FR", "0"): (62345, 0),
    }
    # Kz 81: 90.00 (100.00 less 10.00 refunded) with 17.10 VAT; Kz 21: 623.45 → 623; Kz 45: 70.
    assert [(f.code, f.base_euros, f.tax) for f in report.fields] == [
        ("81", 90, 1710),
        ("21", 623, None),
        ("45", 70, None),
    ]
    assert [(r.vat_id, r.net) for r in report.sales_list] == [("FR40303265045", 62345)]
    # Soll: invoices issued in Q4 (812.45) less credit notes (none; the refund is no note).
    assert [(r.evidence, r.stripe, r.difference) for r in report.reconciliation] == [
        (81245, 81245, 0)
    ]
    body = response.content.decode()
    assert "623.45" in body and "17.10" in body and "FR40303265045" in body
    assert "Kz 81" in body and "§13 Abs. 1 Nr. 1 a UStG" in body


def test_a_refund_counts_in_the_period_it_happens_in(client_for, alice, books):
    _refund(books["de"], 1190, date(2026, 12, 1))
    client = client_for(alice)
    november = client.get(URL, {"period": "2026-11"}).context["report"]
    december = client.get(URL, {"period": "2026-12"}).context["report"]
    assert {(t.treatment, t.net, t.tax) for t in november.totals if t.country == "DE"} == {
        ("domestic", 10000, 1900)
    }
    assert [(t.treatment, t.net, t.tax) for t in december.totals] == [("domestic", -1000, -190)]
    october = client.get(URL, {"period": "2026-10"}).context["report"]
    assert {t.country for t in october.totals} == {"FR", "CH"}


def test_it_lists_what_a_tax_advisor_must_look_at(client_for, alice, alpha, books):
    unrecorded = StripeInvoice.objects.create(
        workspace=alpha,
        account_ref="acct_1",
        stripe_id="in_unrecorded",
        number="INV-99",
        status="paid",
        payment_status="paid",
        currency="EUR",
        total=999,
        created=datetime(2026, 11, 20, 12, tzinfo=UTC),
        lines=[{"id": "il_x", "amount": 999, "taxes": []}],
    )
    response = client_for(alice).get(URL, {"period": "2026"})
    report = response.context["report"]
    assert {s.pk for s in report.flagged} == {books["rc2"].pk, books["ch"].pk}
    assert [i.pk for i in report.unrecorded] == [unrecorded.pk]
    body = response.content.decode()
    assert "without a valid VIES confirmation" in body and "disagrees" in body
    assert "INV-99" in body and "issued, but no evidence records yet" in body


def test_the_report_csv_reads_back_column_by_column(client_for, alice, books):
    _refund(books["de"], 1190, date(2026, 12, 1))
    response = client_for(alice).get(f"{URL}report.csv", {"period": "2026-Q4"})
    assert 'filename="vat-report-2026-Q4.csv"' in response["Content-Disposition"]
    rows = _rows(response)
    assert list(rows[0]) == [
        "period",
        "section",
        "treatment",
        "place_of_supply",
        "rate",
        "currency",
        "net",
        "vat",
        "records",
        "evidence_gross",
        "stripe_gross",
        "difference_minor",
    ]
    fields = [r for r in rows if r["section"].startswith("Kz")]
    assert [(r["section"], r["net"], r["vat"]) for r in fields] == [
        ("Kz 81", "90", "17,10"),
        ("Kz 21", "623", ""),
        ("Kz 45", "70", ""),
    ]
    totals = [r for r in rows if r["section"] == "total"]
    assert [
        (r["treatment"], r["place_of_supply"], r["rate"], r["net"], r["vat"]) for r in totals
    ] == [
        ("domestic", "DE", "19", "90,00", "17,10"),
        ("export", "CH", "0", "70,00", "0,00"),
        ("reverse_charge", "FR", "0", "623,45", "0,00"),
    ]
    assert [r["records"] for r in totals] == ["1", "1", "2"]
    assert {r["period"] for r in rows} == {"2026-Q4"}
    recon = [r for r in rows if r["section"].startswith("reconciliation")]
    assert [
        (r["section"], r["evidence_gross"], r["stripe_gross"], r["difference_minor"]) for r in recon
    ] == [("reconciliation:invoiced", "812,45", "812,45", "0")]


def test_the_ec_sales_list_csv_has_one_row_per_quarter_and_vat_id(client_for, alice, books):
    _supply(
        _customer(books["rc1"].workspace, "Wien GmbH", "AT", "ATU13585627"),
        net=2000,
        tax=0,
        treatment="reverse_charge",
        rate="0",
        country="AT",
        day=date(2026, 7, 1),
    )
    client = client_for(alice)
    response = client.get(f"{URL}ec-sales-list.csv", {"period": "2026-Q3"})
    assert 'filename="ec-sales-list-2026-Q3.csv"' in response["Content-Disposition"]
    assert [tuple(r.values()) for r in _rows(response)] == [
        ("2026-Q3", "AT", "ATU13585627", "S", "Wien GmbH", "EUR", "20,00"),
    ]
    q4 = _rows(client.get(f"{URL}ec-sales-list.csv", {"period": "2026-Q4"}))
    assert [tuple(r.values()) for r in q4] == [
        ("2026-Q4", "FR", "FR40303265045", "S", "Dupont SARL", "EUR", "623,45"),
    ]


@pytest.mark.parametrize("path", ["", "report.csv", "ec-sales-list.csv"])
@pytest.mark.parametrize("period", ["2026-13", "Q4", "2026-Q5", "x" * 300])
def test_a_bad_period_is_a_clear_error(client_for, alice, path, period):
    response = client_for(alice).get(f"{URL}{path}", {"period": period})
    assert response.status_code == 400
    assert "is not a period" in response.content.decode()


def test_without_a_period_it_shows_this_quarter(client_for, alice):
    response = client_for(alice).get(URL)
    assert response.status_code == 200
    assert response.context["period"].kind == "quarter"


def test_it_checks_ownership(client_for, charlie, alice, books):
    """Another workspace's owner sees none of Alpha's records, nor its invoices."""
    client = client_for(charlie)
    report = client.get(URL, {"period": "2026"}).context["report"]
    assert report.totals == [] and report.sales_list == [] and report.flagged == []
    assert _rows(client.get(f"{URL}report.csv", {"period": "2026"})) == []
    assert _rows(client.get(f"{URL}ec-sales-list.csv", {"period": "2026"})) == []
    invoice = books["rc2"].invoice
    assert client.get(f"/billing/invoices/{invoice.public_id}/").status_code == 404


@pytest.mark.parametrize("path", ["", "report.csv", "ec-sales-list.csv"])
def test_members_cannot_see_it(client_for, bob, books, path):
    assert client_for(bob).get(f"{URL}{path}", {"period": "2026"}).status_code == 403


def test_admins_can(client_for, dana, books):
    assert client_for(dana).get(URL, {"period": "2026"}).status_code == 200


def test_the_invoice_list_links_it_for_admins_only(client_for, alice, bob):
    assert (
        'data-testid="vat-report-link"'
        in client_for(alice).get("/billing/invoices/").content.decode()
    )
    assert (
        'data-testid="vat-report-link"'
        not in client_for(bob).get("/billing/invoices/").content.decode()
    )


def test_the_page_takes_a_fixed_number_of_queries(
    client_for, alice, books, django_assert_max_num_queries
):
    client = client_for(alice)
    client.get(URL, {"period": "2026"})  # warm the session and caches
    with django_assert_max_num_queries(16) as few:
        client.get(URL, {"period": "2026"})
    fr = books["rc1"].customer
    for day in range(1, 21):
        supply = _supply(
            fr,
            net=100,
            tax=0,
            treatment="reverse_charge",
            rate="0",
            country="FR",
            day=date(2026, 12, day),
            flags={"unconfirmed_vat_id": True},
        )
        _refund(supply, 10, date(2026, 12, day))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL, {"period": "2026"})
    assert len(response.context["report"].flagged) == 22


def test_a_voided_credit_note_lowers_nothing(client_for, alice, books):
    from django.utils import timezone

    from billing.evidence.services import withdraw

    reduction = _refund(books["de"], 1190, date(2026, 12, 1))
    withdraw(reduction.payment)  # sums what counts: the credit note, still valid
    books["de"].refresh_from_db()
    assert (books["de"].refunded_net, books["de"].refunded_tax) == (1000, 190)
    Payment.objects.filter(pk=reduction.payment_id).update(
        source="credit_note", voided_at=timezone.now()
    )
    withdraw(reduction.payment)
    books["de"].refresh_from_db()
    assert (books["de"].refunded_net, books["de"].refunded_tax) == (0, 0)
    report = client_for(alice).get(URL, {"period": "2026-12"}).context["report"]
    assert report.totals == [] and report.reconciliation == []


def test_the_supplies_csv_explains_every_cent(client_for, alice, books):
    _refund(books["de"], 1190, date(2026, 12, 1))
    response = client_for(alice).get(f"{URL}supplies.csv", {"period": "2026-Q4"})
    assert 'filename="vat-supplies-2026-Q4.csv"' in response["Content-Disposition"]
    rows = _rows(response)
    assert len(rows) == 4
    de = next(r for r in rows if r["stripe_invoice"] == books["de"].invoice.stripe_id)
    assert (de["treatment"], de["kennzahl"], de["rate"], de["place_of_supply"]) == (
        "domestic",
        "81",
        "19",
        "DE",
    )
    assert (de["net"], de["vat"], de["performed_on"]) == ("90,00", "17,10", "2026-11-03")
    assert (de["billing_country"], de["conflict"], de["unconfirmed_vat_id"]) == ("DE", "0", "0")
    assert de["stripe_line"] == books["de"].line_id
    flagged = next(r for r in rows if r["stripe_invoice"] == books["rc2"].invoice.stripe_id)
    assert (flagged["vat_id"], flagged["unconfirmed_vat_id"]) == ("FR40303265045", "1")
    # Every cent: the records add up to the report's totals.
    total = sum(
        Decimal(r["net"].replace(",", ".")) + Decimal(r["vat"].replace(",", ".")) for r in rows
    )
    assert total == Decimal("812.45") - Decimal("11.90")


def test_the_supplies_csv_is_for_the_workspaces_admins(client_for, bob, charlie, books):
    path = f"{URL}supplies.csv"
    assert client_for(bob).get(path, {"period": "2026"}).status_code == 403
    assert _rows(client_for(charlie).get(path, {"period": "2026"})) == []


def test_the_supplies_csv_gives_the_vies_time_in_local_time_with_its_offset(
    client_for, alice, books
):
    """A VIES answer at 23:30 UTC reads 00:30 the next day in Berlin, with +01:00."""
    supply = books["rc2"]
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    validation = VatIdValidation.objects.create(
        workspace=supply.workspace,
        customer=supply.customer,
        country="FR",
        number="40303265045",
        status="valid",
        requested_at=late,
        checked_at=late,
    )
    Supply.objects.filter(pk=supply.pk).update(vat_validation=validation)  # as recorded
    response = client_for(alice).get(f"{URL}supplies.csv", {"period": "2026-Q4"})
    row = next(r for r in _rows(response) if r["stripe_invoice"] == supply.invoice.stripe_id)
    assert row["vies_checked_at"] == "2026-12-01T00:30:00+01:00"
