"""Settings → DATEV and the export page: roles, validation, preview, download, isolation."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from billing.datev.forms import last_month
from billing.datev.models import DatevSettings, DebtorAccount
from mspercury.localtime import local_date
from mspercury.models import AuditEvent
from mspercury.tenancy import workspace_context
from tests.datev.conftest import at, make_invoice

SETTINGS = reverse("datev:settings")
EXPORT = reverse("datev:export")
MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
VALID = {
    "consultant_number": "1234567",
    "client_number": "12345",
    "fiscal_year_start_month": "1",
    "chart": "04",
    "account_length": "4",
    "encoding": "cp1252_replace",
    "debtor_range_start": "10000",
    "debtor_range_end": "69999",
    "account_revenue_domestic": "4400",
    "account_revenue_reverse_charge": "4337",
    "tax_key_revenue_reverse_charge": "94",
}


def rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("cp1252"), newline=""), delimiter=";"))


@pytest.mark.parametrize("url", [SETTINGS, EXPORT])
def test_it_is_for_owners_and_admins_only(client_for, bob, url):
    assert client_for(bob).get(url).status_code == 403


@pytest.mark.parametrize("url", [SETTINGS, EXPORT])
def test_it_asks_strangers_to_sign_in(client, db, url):
    assert client.get(url).status_code == 302


def test_an_admin_saves_settings_and_only_real_overrides_are_kept(client_for, dana, alpha):
    response = client_for(dana).post(SETTINGS, VALID)
    assert response.status_code == 302
    prefs = DatevSettings.objects.get(workspace=alpha)
    assert (prefs.consultant_number, prefs.client_number, prefs.chart) == (1234567, 12345, "04")
    assert prefs.account_overrides == {"revenue_reverse_charge": "4337"}  # 4400 is the default
    assert prefs.tax_keys == {"revenue_reverse_charge": "94"}
    assert AuditEvent.objects.filter(workspace=alpha, action="datev.settings_changed").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("consultant_number", "12345678", "The consultant number has 1 to 7 digits."),
        ("consultant_number", "12a", "The consultant number has 1 to 7 digits."),
        ("consultant_number", "0", "The consultant number has 1 to 7 digits."),
        ("client_number", "123456", "The client number has 1 to 5 digits."),
        ("account_clearing", "13600", "An account has digits only, at most 4."),
        ("account_bank", "12O0", "An account has digits only, at most 4."),
        ("tax_key_revenue_domestic", "3a", "A tax key has up to four digits."),
        ("debtor_range_start", "9999", "debtor accounts lie between 10000 and 69999"),
        ("debtor_range_end", "70000", "debtor accounts lie between 10000 and 69999"),
        ("account_length", "3", "greater than or equal to 4"),
    ],
)
def test_it_explains_invalid_settings(client_for, alice, alpha, field, value, message):
    response = client_for(alice).post(SETTINGS, {**VALID, field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DatevSettings.objects.filter(workspace=alpha).exists()


def test_the_debtor_range_must_not_end_before_it_starts(client_for, alice):
    data = {**VALID, "debtor_range_start": "20000", "debtor_range_end": "19999"}
    response = client_for(alice).post(SETTINGS, data)
    assert "The last debtor account comes after the first." in response.content.decode()


def test_the_export_page_previews_counts_without_assigning_numbers(client_for, alice, march):
    response = client_for(alice).get(EXPORT, MARCH)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="count-invoices">3<' in page
    assert 'data-testid="count-credit-notes">1<' in page
    assert 'data-testid="count-payments">2<' in page
    assert 'data-testid="count-new-debtors">3<' in page
    assert "EXTF_Buchungsstapel_20260301_20260331.csv" in page
    assert not DebtorAccount.objects.exists()


def test_the_export_page_makes_a_fixed_number_of_queries(
    client_for, alice, march, django_assert_max_num_queries
):
    client = client_for(alice)
    client.get(EXPORT, MARCH)
    workspace = march["domestic"].workspace
    customer = march["domestic"].customer
    for n in range(20):
        make_invoice(workspace, customer, f"in_more{n}", f"M-{n}", at("2026-03-03"), 1190, 190)
    # the page's own, the invoices (after the provider's voids of the period), the payments
    # and the invoices they name, the customers with their debtor numbers, and which accounting
    # tools booked invoices of their own (the page says those are not in it): 12
    with django_assert_max_num_queries(12):
        response = client.get(EXPORT, MARCH)
    assert 'data-testid="count-invoices">23<' in response.content.decode()


def test_the_download_is_the_csv_of_the_period(client_for, alice, march):
    response = client_for(alice).post(EXPORT, MARCH)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == (
        'attachment; filename="EXTF_Buchungsstapel_20260301_20260331.csv"'
    )
    lines = rows(response.content)
    assert lines[0][:5] == ["EXTF", "700", "21", "Buchungsstapel", "13"]
    assert lines[0][8] == "Alice Owner"
    assert [(r[0], r[6], r[7]) for r in lines[2:5]] == [
        ("1190,00", "10000", "8400"),
        ("1000,00", "10001", "8336"),
        ("500,00", "10002", "8338"),
    ]
    assert DebtorAccount.objects.count() == 3
    (event,) = AuditEvent.objects.filter(action="datev.exported")
    assert event.summary == "DATEV export 2026-03-01–2026-03-31: 6 bookings in 1 file"


def test_the_audit_line_speaks_each_readers_language(client_for, alice, march):
    """Exported by a German user, the line reads German to German readers and English to
    English ones (the stored summary is the English one)."""
    alice.language = "de"
    alice.save()
    client_for(alice).post(EXPORT, MARCH, HTTP_ACCEPT_LANGUAGE="de")
    (event,) = AuditEvent.objects.filter(action="datev.exported")
    assert event.summary == "DATEV export 2026-03-01–2026-03-31: 6 bookings in 1 file"
    with translation.override("de"):
        assert event.shown_summary == "DATEV-Export 2026-03-01–2026-03-31: 6 Buchungen in 1 Datei"
    with translation.override("en"):
        assert event.shown_summary == event.summary


def test_a_download_across_fiscal_years_is_a_zip(client_for, alice, march):
    make_invoice(
        march["domestic"].workspace,
        march["domestic"].customer,
        "in_jan",
        "J-1",
        at("2027-01-05"),
        119,
        19,
    )
    response = client_for(alice).post(EXPORT, {"date_from": "2026-03-01", "date_to": "2027-01-31"})
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == [
        "EXTF_Buchungsstapel_20260301_20261231.csv",
        "EXTF_Buchungsstapel_20270101_20270131.csv",
    ]


def test_the_download_needs_consultant_and_client_numbers(client_for, alice, alpha):
    response = client_for(alice).post(EXPORT, MARCH)
    assert response.status_code == 302 and response["Location"] == SETTINGS


def test_a_rejected_name_is_named_and_nothing_is_downloaded(client_for, alice, march):
    DatevSettings.objects.filter(workspace=march["domestic"].workspace).update(
        encoding="cp1252_reject"
    )
    customer = march["reverse"].customer
    customer.company_name = "ООО Ромашка"
    customer.save()
    client = client_for(alice)
    page = client.get(EXPORT, MARCH).content.decode()
    assert 'data-testid="datev-encoding-error"' in page and "ООО Ромашка" in page
    response = client.post(EXPORT, MARCH, follow=True)
    assert response["Content-Type"].startswith("text/html")
    assert "ООО Ромашка" in response.content.decode()


def test_the_download_needs_a_csrf_token(alice, march):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(EXPORT, MARCH).status_code == 403


def test_it_checks_ownership(client_for, charlie, march):
    """Charlie's export holds none of Alpha's invoices and assigns none of its customers."""
    DatevSettings.objects.create(
        workspace=charlie.last_workspace, consultant_number=1, client_number=1
    )
    client = client_for(charlie)
    page = client.get(EXPORT, MARCH).content.decode()
    assert 'data-testid="count-invoices">0<' in page
    assert "A1B2C3D4" not in page and "Müller" not in page
    response = client.post(EXPORT, MARCH, follow=True)
    assert "Nothing to export in this period." in response.content.decode()
    assert not DebtorAccount.objects.exists()
    with workspace_context(march["domestic"].workspace):
        assert DatevSettings.objects.count() == 1  # row-level security: Alpha's row only


def test_the_settings_page_shows_the_charts_defaults_and_is_linked_for_admins(client_for, alice):
    page = client_for(alice).get(SETTINGS).content.decode()
    assert "Empty: 8400 (the chart&#x27;s default)." in page
    assert "Empty: 1360 (the chart&#x27;s default)." in page
    assert f'href="{SETTINGS}"' in page and f'href="{EXPORT}"' in page


def test_members_see_no_datev_link(client_for, bob):
    page = client_for(bob).get(reverse("profile")).content.decode()
    assert f'href="{SETTINGS}"' not in page


def test_the_preview_lists_each_replaced_character(client_for, alice, march):
    customer = march["reverse"].customer
    customer.company_name = "Čapek s.r.o."
    customer.save()
    page = client_for(alice).get(EXPORT, MARCH).content.decode()
    assert 'data-testid="datev-replacements"' in page
    assert (
        "Čapek s.r.o.: “Rechnung A1B2C3D4-0002 Čapek s.r.o.” → "
        "“Rechnung A1B2C3D4-0002 Capek s.r.o.”" in page
    )


def test_utf8_with_bom_when_the_settings_say_so(client_for, alice, march):
    DatevSettings.objects.filter(workspace=march["domestic"].workspace).update(encoding="utf8_bom")
    customer = march["reverse"].customer
    customer.company_name = "ООО Ромашка"
    customer.save()
    content = client_for(alice).post(EXPORT, MARCH).content
    assert content.startswith(b'\xef\xbb\xbf"EXTF";700;21;')
    assert "Rechnung A1B2C3D4-0002 ООО Ромашка" in content.decode("utf-8-sig")


def test_the_german_page_opens_on_last_months_preview_with_iso_dates(client_for, alice, alpha):
    """type=date inputs need ISO values whatever the language: the German page opens with
    last month's dates filled in (YYYY-MM-DD) and previews them, saying why nothing is there."""
    alice.language = "de"
    alice.save()
    DatevSettings.objects.create(workspace=alpha)
    page = client_for(alice).get(EXPORT, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    start, end = last_month(local_date(alpha, timezone.now()))
    assert f'type="date" name="date_from" value="{start.isoformat()}"' in page
    assert f'type="date" name="date_to" value="{end.isoformat()}"' in page
    assert 'data-testid="datev-preview"' in page
    assert "Nichts zu exportieren vom" in page


def test_a_german_date_typed_in_the_query_still_previews(client_for, alice, march):
    """A date in the German format (from an old bookmark or a browser without a date picker)
    is read, and the inputs show it back in ISO."""
    page = client_for(alice).get(
        EXPORT, {"date_from": "01.03.2026", "date_to": "31.03.2026"}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert 'value="2026-03-01"' in page.content.decode()
    assert 'data-testid="count-invoices">3<' in page.content.decode()
