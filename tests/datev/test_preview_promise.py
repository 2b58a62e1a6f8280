"""The preview promises what the download delivers: for books with voids (with and without
Stripe's event), credit notes, refunds, voided payments, a name cp1252 cannot hold, an invoice
without a customer, another currency, VAT against its treatment and a treatment without an
account, the preview's counts, files, problems, replacements and refusals are export()'s."""

from datetime import date

import pytest

from billing.datev import export
from billing.datev.extf import UnencodableText
from billing.datev.models import DatevSettings
from integrations.models import StripeEvent
from mspercury.tenancy import workspace_context
from quotes.models import Quote, QuoteAcceptance
from tests import factories, scale_books
from tests.datev.conftest import at, make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(german_msp, muller, acme):
    people = scale_books.customers(german_msp, 6)
    scale_books.write(german_msp, people, date(2026, 5, 20), 60, 90, tag="p")
    capek = factories.customer(german_msp, "CZ", company_name="Čapek s.r.o.", tax_id="")
    cz = make_invoice(german_msp, capek, "in_cz", "CZ-1", at("2026-06-03"), 12100, 2100)
    factories.payment(cz, "pi_cz", "stripe", 12100, at("2026-06-04"), method="card")
    make_invoice(german_msp, None, "in_nobody", "X-1", at("2026-06-05"), 500)
    make_invoice(german_msp, muller, "in_usd", "X-2", at("2026-06-06"), 500, currency="USD")
    make_invoice(german_msp, muller, "in_novat", "X-3", at("2026-06-07"), 10000, 0)
    old = make_invoice(german_msp, acme, "in_old", "X-4", at("2026-04-07"), 700, status="void")
    StripeEvent.objects.create(
        workspace=german_msp,
        stripe_account="acct_1",
        event_id="evt_void_old",
        event_type="invoice.voided",
        created=at("2026-06-09"),
        payload={"data": {"object": {"id": old.stripe_id, "object": "invoice"}}},
    )
    factories.payment(
        old, "manual:1", "manual", 700, at("2026-05-28"), method="cash", voided_at=at("2026-06-02")
    )
    _unmapped(german_msp, muller)
    return german_msp


def _unmapped(workspace, customer):
    """An invoice whose accepted quote says VAT was not calculated, with a credit note."""
    quote = Quote.objects.create(
        workspace=workspace, number="Q-1", customer=customer, currency="EUR"
    )
    QuoteAcceptance.objects.create(
        workspace=workspace,
        quote=quote,
        revision=1,
        snapshot={"tax": {"treatment": "not_calculated"}},
        via="manual",
        name="A",
        accepted_at=at("2026-05-01"),
        document_sha256="0",
    )
    invoice = make_invoice(workspace, customer, "in_nc", "X-5", at("2026-06-10"), 900, quote=quote)
    factories.payment(invoice, "cn_nc", "credit_note", -100, at("2026-06-11"), reference="X-5-CN")


def _outcome(run):
    try:
        result = run()
    except UnencodableText as refused:
        return ("refused", refused.party, refused.column, refused.value)
    return (
        result.counts(),
        [(f.name, f.bookings) for f in result.files],
        [(p.stripe_id, p.code) for p in result.problems],
        [(r.party, r.column, r.original, r.written) for r in result.replacements],
    )


def _both(workspace, period, encoding):
    with workspace_context(workspace):
        prefs = DatevSettings.for_workspace(workspace)
        prefs.encoding = encoding
        gathered = export.gather(workspace, *period)
        debtors = export.existing_debtors(gathered.customers)
        args = (workspace, prefs, *period)
        planned = _outcome(lambda: export.preview(*args, gathered=gathered, debtors=debtors))
        made = _outcome(lambda: export.export(*args, gathered=gathered, debtors=debtors))
        return planned, made


JUNE = (date(2026, 6, 1), date(2026, 6, 30))
PERIODS = [JUNE, (date(2026, 5, 1), date(2026, 7, 31)), (date(2025, 12, 1), date(2026, 6, 30))]


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("encoding", ["cp1252_replace", "cp1252_reject", "utf8_bom"])
def test_the_preview_is_what_the_export_makes(books, period, encoding):
    planned, made = _both(books, period, encoding)
    assert planned == made


def test_the_books_hold_every_case(books):
    """The comparison above is only worth as much as the cases the books hold."""
    counts, _files, problems, replacements = _both(books, JUNE, "cp1252_replace")[0]
    assert all(counts[kind] > 0 for kind in ("invoices", "credit_notes", "payments", "reversals"))
    assert {code for _id, code in problems} == {
        "no_customer",
        "other_currency",
        "no_vat_on_taxed",
        "unmapped_treatment",
    }
    assert [p for p in problems if p[1] == "unmapped_treatment"] == [
        ("in_nc", "unmapped_treatment"),
        ("in_nc", "unmapped_treatment"),
    ]
    assert [(r[0], r[2]) for r in replacements] == [
        ("Čapek s.r.o.", "Rechnung CZ-1 Čapek s.r.o."),
        ("Čapek s.r.o.", "Zahlung CZ-1 Čapek s.r.o."),
    ]
    refused = _both(books, JUNE, "cp1252_reject")[0]
    assert refused[:3] == ("refused", "Čapek s.r.o.", "Buchungstext")


def test_an_old_void_is_read_only_in_the_period_stripe_voided_it(books):
    """The period reads the voids of the period, not every void of the workspace's history."""
    with workspace_context(books):
        june = export.gather(books, *JUNE)
        july = export.gather(books, date(2026, 7, 1), date(2026, 7, 31))
        made = export.export(
            books, DatevSettings.for_workspace(books), *JUNE, gathered=june, debtors={}
        )
    assert "in_old" in [i.stripe_id for i in june.invoices]
    assert "in_old" not in [
        i.stripe_id
        for i in export._invoices(
            books, *export.bounds(date(2026, 7, 1), date(2026, 7, 31), books.zone)
        )
    ]
    assert "in_old" not in [i.stripe_id for i in july.invoices]
    assert b"Storno Rechnung X-4 Acme Inc" in made.files[0].content


def test_the_preview_writes_no_file(books, client_for, alice, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the preview rendered the file")

    monkeypatch.setattr(export, "render", refuse)
    response = client_for(alice).get(
        "/billing/datev/", {"date_from": "2026-06-01", "date_to": "2026-06-30"}
    )
    assert response.status_code == 200
    assert response.context["counts"]["invoices"] > 0
