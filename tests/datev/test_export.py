"""The export from the mirror: a known March read back column by column, fiscal years, voids,
the quote's treatment, debtor accounts, currencies and workspace isolation."""

import csv
import io
import zipfile
from datetime import UTC, date, datetime

import pytest

from billing.datev import export
from billing.datev.actions import DebtorRangeFull, do_assign_debtor_accounts
from billing.datev.extf import COLUMNS
from billing.datev.models import DatevSettings, DebtorAccount
from billing.models import StripeInvoice
from customers.models import Customer
from integrations.models import StripeEvent
from mspercury.tenancy import workspace_context
from quotes.models import Quote, QuoteAcceptance, RevisionAcceptance
from tests.datev.conftest import at, make_invoice
from tests.factories import payment

NOW = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def run(workspace, start, end, **settings):
    with workspace_context(workspace):
        prefs = DatevSettings.for_workspace(workspace)
        for name, value in settings.items():
            setattr(prefs, name, value)
        gathered = export.gather(workspace, start, end)
        debtors = do_assign_debtor_accounts(workspace, gathered.customers)
        return export.export(
            workspace,
            prefs,
            start,
            end,
            gathered=gathered,
            debtors=debtors,
            now=NOW,
            exported_by="Alice Owner",
        )


def lines(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("cp1252"), newline=""), delimiter=";"))


def row(**values) -> list[str]:
    out = [""] * len(COLUMNS)
    for name, value in values.items():
        out[COLUMNS.index(name)] = value
    return out


def booking(amount, side, konto, gegenkonto, day, document, text, *infos, **more):
    values = {
        "Umsatz (ohne Soll/Haben-Kz)": amount,
        "Soll/Haben-Kennzeichen": side,
        "WKZ Umsatz": "EUR",
        "Konto": konto,
        "Gegenkonto (ohne BU-Schlüssel)": gegenkonto,
        "Belegdatum": day,
        "Belegfeld 1": document,
        "Buchungstext": text,
    }
    for n, (kind, content) in enumerate(infos, start=1):
        values[f"Beleginfo - Art {n}"] = kind
        values[f"Beleginfo - Inhalt {n}"] = content
    return row(**values, **more)


def test_it_reads_back_every_column_of_a_known_march(march):
    result = run(march["domestic"].workspace, *MARCH)
    [file] = result.files
    assert file.name == "EXTF_Buchungsstapel_20260301_20260331.csv"
    header, columns, *data = lines(file.content)
    assert header[10:16] == ["1234567", "12345", "20260101", "4", "20260301", "20260331"]
    assert header[5] == "20260402100000000"  # created, German time
    assert header[26] == "03"
    assert columns == list(COLUMNS)
    assert data == [
        booking(
            "1190,00",
            "S",
            "10000",
            "8400",
            "1503",
            "A1B2C3D4-0001",
            "Rechnung A1B2C3D4-0001 Müller GmbH",
            ("Stripe-Rechnung", "in_known1"),
            Leistungsdatum="15032026",
            **{"Fälligkeit": "29032026"},
        ),
        booking(
            "1000,00",
            "S",
            "10001",
            "8336",
            "1603",
            "A1B2C3D4-0002",
            "Rechnung A1B2C3D4-0002 Dupont SARL",
            ("Stripe-Rechnung", "in_known2"),
            Leistungsdatum="16032026",
            **{"EU-Land u. UStID (Bestimmung)": "FR40303265045"},
        ),
        booking(
            "500,00",
            "S",
            "10002",
            "8338",
            "1703",
            "A1B2C3D4-0003",
            "Rechnung A1B2C3D4-0003 Acme Inc",
            ("Stripe-Rechnung", "in_known3"),
            Leistungsdatum="17032026",
        ),
        booking(
            "1190,00",
            "S",
            "1360",
            "10000",
            "2003",
            "A1B2C3D4-0001",
            "Zahlung A1B2C3D4-0001 Müller GmbH",
            ("Stripe-Rechnung", "in_known1"),
            ("Stripe-Zahlung", "inpay_1"),
        ),
        booking(
            "119,00",
            "H",
            "1360",
            "10000",
            "2503",
            "A1B2C3D4-0001",
            "Erstattung A1B2C3D4-0001 Müller GmbH",
            ("Stripe-Rechnung", "in_known1"),
            ("Stripe-Erstattung", "re_1"),
        ),
        booking(
            "119,00",
            "H",
            "10000",
            "8400",
            "2503",
            "A1B2C3D4-0001-CN-01",
            "Gutschrift A1B2C3D4-0001-CN-01 Müller GmbH",
            ("Stripe-Rechnung", "in_known1"),
            ("Stripe-Gutschrift", "cn_1"),
            ("Rechnung", "A1B2C3D4-0001"),
            Leistungsdatum="15032026",
        ),
    ]
    assert result.counts() == {"invoices": 3, "credit_notes": 1, "payments": 2, "reversals": 0}
    assert result.problems == []


def test_skr04_and_overrides_change_the_accounts(march):
    result = run(
        march["domestic"].workspace,
        *MARCH,
        chart="04",
        account_overrides={"revenue_export": "4339"},
        tax_keys={"revenue_reverse_charge": "94"},
    )
    data = lines(result.files[0].content)[2:]
    assert [(r[6], r[7], r[8]) for r in data] == [
        ("10000", "4400", ""),
        ("10001", "4336", "94"),
        ("10002", "4339", ""),
        ("1460", "10000", ""),
        ("1460", "10000", ""),
        ("10000", "4400", ""),
    ]


def test_the_belegdatum_follows_german_time(german_msp, muller):
    make_invoice(
        german_msp, muller, "in_late", "N-1", datetime(2026, 3, 31, 22, 30, tzinfo=UTC), 100
    )
    assert run(german_msp, *MARCH).files == []  # 1 April in Berlin
    april = run(german_msp, date(2026, 4, 1), date(2026, 4, 30))
    assert lines(april.files[0].content)[2][9] == "0104"


def test_a_period_across_fiscal_years_gives_one_file_per_year(german_msp, muller):
    make_invoice(german_msp, muller, "in_a", "N-1", at("2026-06-10"), 100, 16)
    make_invoice(german_msp, muller, "in_b", "N-2", at("2026-07-10"), 200, 32)
    result = run(german_msp, date(2026, 6, 1), date(2026, 7, 31), fiscal_year_start_month=7)
    assert [f.name for f in result.files] == [
        "EXTF_Buchungsstapel_20260601_20260630.csv",
        "EXTF_Buchungsstapel_20260701_20260731.csv",
    ]
    first, second = (lines(f.content) for f in result.files)
    assert first[0][12:16] == ["20250701", "4", "20260601", "20260630"]
    assert second[0][12:16] == ["20260701", "4", "20260701", "20260731"]
    assert [r[10] for r in first[2:]] == ["N-1"] and [r[10] for r in second[2:]] == ["N-2"]
    name, content, media_type = export.bundle(result.files)
    assert (name, media_type) == ("EXTF_Buchungsstapel_20260601_20260731.zip", "application/zip")
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.namelist() == [f.name for f in result.files]
    assert archive.read(result.files[1].name) == result.files[1].content


def test_a_voided_invoice_is_reversed_in_the_month_stripe_voided_it(german_msp, muller):
    make_invoice(german_msp, muller, "in_v", "N-9", at("2026-03-05"), 11900, 1900, status="void")
    StripeEvent.objects.create(
        workspace=german_msp,
        stripe_account="acct_1",
        event_id="evt_void",
        event_type="invoice.voided",
        created=at("2026-04-03"),
        payload={"data": {"object": {"id": "in_v", "object": "invoice"}}},
    )
    march = run(german_msp, *MARCH)
    assert [(r[1], r[9], r[13]) for r in lines(march.files[0].content)[2:]] == [
        ("S", "0503", "Rechnung N-9 Müller GmbH")
    ]
    april = run(german_msp, date(2026, 4, 1), date(2026, 4, 30))
    assert [(r[1], r[9], r[13]) for r in lines(april.files[0].content)[2:]] == [
        ("H", "0304", "Storno Rechnung N-9 Müller GmbH")
    ]
    assert april.counts()["reversals"] == 1
    may = run(german_msp, date(2026, 5, 1), date(2026, 5, 31))
    assert (may.files, may.problems) == ([], [])


def test_an_old_voided_invoice_gives_a_later_period_no_debtor(german_msp, muller, dupont):
    make_invoice(german_msp, muller, "in_ok", "N-1", at("2026-05-05"), 119, 19)
    make_invoice(german_msp, dupont, "in_v", "N-2", at("2026-01-05"), 100, status="void")
    with workspace_context(german_msp):
        gathered = export.gather(german_msp, date(2026, 5, 1), date(2026, 5, 31))
    assert [c.company_name for c in gathered.customers] == ["Müller GmbH"]


def test_a_voided_manual_payment_is_reversed_when_it_was_voided(march):
    invoice = march["export"]
    payment(
        invoice,
        "manual:1",
        "manual",
        50000,
        at("2026-03-28"),
        method="bank_transfer",
        voided_at=at("2026-04-02"),
    )
    march_rows = lines(run(invoice.workspace, *MARCH).files[0].content)[2:]
    assert ("1200", "S", "2803") in [(r[6], r[1], r[9]) for r in march_rows]
    april = lines(run(invoice.workspace, date(2026, 4, 1), date(2026, 4, 30)).files[0].content)
    assert [(r[6], r[1], r[7], r[9], r[13]) for r in april[2:]] == [
        ("1200", "H", "10002", "0204", "Storno Zahlung A1B2C3D4-0003 Acme Inc")
    ]


def test_the_treatment_comes_from_the_accepted_quote(german_msp, muller, alice):
    quote = Quote.objects.create(
        workspace=german_msp, number="Q-2026-0001", customer=muller, currency="EUR"
    )
    accepted = {
        "via": "manual",
        "name": "A",
        "accepted_at": at("2026-02-01"),
        "document_sha256": "0",
    }
    QuoteAcceptance.objects.create(
        workspace=german_msp,
        quote=quote,
        revision=1,
        snapshot={"tax": {"treatment": "domestic"}},
        **accepted,
    )
    RevisionAcceptance.objects.create(
        workspace=german_msp,
        quote=quote,
        previous_revision=1,
        revision=2,
        snapshot={"tax": {"treatment": "export"}},
        name="A",
        accepted_at=at("2026-02-10"),
        document_sha256="0",
    )
    make_invoice(german_msp, muller, "in_q", "N-1", at("2026-03-02"), 100, quote=quote)
    result = run(german_msp, *MARCH)
    assert lines(result.files[0].content)[2][7] == "8338"  # the latest accepted revision


def test_it_reports_vat_that_contradicts_the_treatment(german_msp, muller):
    make_invoice(german_msp, muller, "in_novat", "N-1", at("2026-03-02"), 10000, 0)
    result = run(german_msp, *MARCH)
    assert [(p.stripe_id, p.code) for p in result.problems] == [("in_novat", "no_vat_on_taxed")]


def test_other_currencies_drafts_and_foreign_invoices_stay_out(german_msp, muller):
    make_invoice(german_msp, muller, "in_usd", "N-1", at("2026-03-02"), 100, currency="USD")
    make_invoice(german_msp, muller, "in_draft", "", at("2026-03-02"), 100, status="draft")
    make_invoice(german_msp, muller, "in_gone", "N-3", at("2026-03-02"), 100, status="deleted")
    make_invoice(german_msp, muller, "in_dash", "N-4", at("2026-03-02"), 100, ownership="unlinked")
    result = run(german_msp, *MARCH)
    assert result.files == []
    assert [(p.stripe_id, p.code) for p in result.problems] == [("in_usd", "other_currency")]


def test_debtor_accounts_are_stable_and_never_reused(german_msp, muller, dupont):
    with workspace_context(german_msp):
        assert do_assign_debtor_accounts(german_msp, [muller]) == {muller.pk: 10000}
        assert do_assign_debtor_accounts(german_msp, [dupont, muller]) == {
            muller.pk: 10000,
            dupont.pk: 10001,
        }
    DebtorAccount.objects.filter(customer=dupont).update(customer=None)
    Customer.objects.filter(pk=dupont.pk).delete()
    newcomer = Customer.objects.create(workspace=german_msp, company_name="Neu AG", country="DE")
    with workspace_context(german_msp):
        assert do_assign_debtor_accounts(german_msp, [newcomer]) == {newcomer.pk: 10002}
    assert DebtorAccount.objects.get(number=10001).name == "Dupont SARL"


def test_debtor_numbers_start_where_the_workspace_says_and_stop_at_its_end(
    german_msp, muller, dupont
):
    DatevSettings.objects.filter(workspace=german_msp).update(
        debtor_range_start=20000, next_debtor_number=20000, debtor_range_end=20000
    )
    with workspace_context(german_msp):
        assert do_assign_debtor_accounts(german_msp, [muller]) == {muller.pk: 20000}
        with pytest.raises(DebtorRangeFull):
            do_assign_debtor_accounts(german_msp, [dupont])


def test_it_exports_only_its_own_workspace(march, charlie_ws):
    other = Customer.objects.create(workspace=charlie_ws, company_name="Fremd GmbH", country="AT")
    make_invoice(charlie_ws, other, "in_known1", "A1B2C3D4-0001", at("2026-03-15"), 999, 0)
    DatevSettings.objects.create(workspace=charlie_ws, consultant_number=1, client_number=1)
    alpha_rows = lines(run(march["domestic"].workspace, *MARCH).files[0].content)[2:]
    assert all("Fremd" not in r[13] for r in alpha_rows)
    charlie_rows = lines(run(charlie_ws, *MARCH).files[0].content)[2:]
    assert [(r[0], r[6]) for r in charlie_rows] == [("9,99", "10000")]
    assert StripeInvoice.objects.filter(stripe_id="in_known1").count() == 2


def test_a_voided_invoice_without_its_event_is_reversed_on_its_own_day(german_msp, dupont):
    make_invoice(german_msp, dupont, "in_v", "N-2", at("2026-01-05"), 100, status="void")
    january = run(german_msp, date(2026, 1, 1), date(2026, 1, 31))
    assert [(r[1], r[9]) for r in lines(january.files[0].content)[2:]] == [
        ("S", "0501"),
        ("H", "0501"),
    ]
