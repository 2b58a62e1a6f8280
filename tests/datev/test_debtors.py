"""The debtor master data file (Debitoren/Kreditoren): header, 254 columns, one row a number."""

import csv
import io
from datetime import date, datetime

import pytest
from django.urls import reverse

from billing.datev import debtors
from billing.datev.actions import do_assign_debtor_accounts
from billing.datev.debtors import Debtor
from billing.datev.extf import Batch, Encoding, UnencodableText
from billing.datev.models import DebtorAccount
from customers.models import Customer
from mspercury.tenancy import workspace_context

BATCH = Batch(
    consultant_number=1234567,
    client_number=12345,
    fiscal_year_start=date(2026, 1, 1),
    account_length=4,
    date_from=date(2026, 4, 2),
    date_to=date(2026, 4, 2),
    chart="03",
    created_at=datetime(2026, 4, 2, 9, 0),
)
DUPONT = Debtor(
    10001,
    "Dupont SARL",
    country="FR",
    vat_id="FR40303265045",
    street="1 rue de la Paix",
    postal_code="75002",
    city="Paris",
    email="compta@dupont.example",
)


def read(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("cp1252"), newline=""), delimiter=";"))


def test_it_writes_a_category_16_header_and_all_254_columns():
    header, columns = read(debtors.render(BATCH, [], Encoding.CP1252_REPLACE).content)
    assert header[:5] == ["EXTF", "700", "16", "Debitoren/Kreditoren", "5"]
    assert header[10:16] == ["1234567", "12345", "20260101", "4", "", ""]
    assert len(header) == 31
    assert len(columns) == 254
    assert columns[0] == "Konto" and columns[253] == "Letzte Frist"


def test_it_reads_back_every_column_of_a_debtor():
    [row] = read(debtors.render(BATCH, [DUPONT], Encoding.CP1252_REPLACE).content)[2:]
    expected = [""] * 254
    for position, value in {
        1: "10001",
        2: "Dupont SARL",
        7: "2",
        8: "Dupont SARL",
        9: "FR",
        10: "40303265045",
        16: "1 rue de la Paix",
        18: "75002",
        19: "Paris",
        20: "FR",
        33: "compta@dupont.example",
    }.items():
        expected[position - 1] = value
    assert row == expected


def test_it_keeps_the_short_name_at_15_characters_and_quotes_all_but_the_account():
    content = debtors.render(
        BATCH, [Debtor(10000, "Müller Maschinenbau GmbH")], Encoding.CP1252_REPLACE
    ).content
    line = content.split(b"\r\n")[2].decode("cp1252")
    assert line.startswith('10000;"Müller Maschinenbau GmbH";"";"";"";"";"2";"Müller Maschine";')


def test_it_applies_the_encoding_policy():
    with pytest.raises(UnencodableText):
        debtors.render(BATCH, [Debtor(10000, "ООО Ромашка")], Encoding.CP1252_REJECT)


def test_the_download_lists_every_number_handed_out(client_for, alice, march):
    workspace = march["domestic"].workspace
    gone = Customer.objects.create(workspace=workspace, company_name="Weg GmbH", country="DE")
    with workspace_context(workspace):
        do_assign_debtor_accounts(workspace, [c for c in Customer.objects.order_by("pk")])
    DebtorAccount.objects.filter(customer=gone).update(customer=None)
    gone.delete()
    response = client_for(alice).post(reverse("datev:debtors"))
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="EXTF_Debitoren_')
    rows = read(response.content)[2:]
    assert [(r[0], r[1], r[8], r[9]) for r in rows] == [
        ("10000", "Müller GmbH", "", ""),
        ("10001", "Dupont SARL", "FR", "40303265045"),
        ("10002", "Acme Inc", "", ""),
        ("10003", "Weg GmbH", "", ""),
    ]


def test_the_debtor_download_is_for_admins_and_posts_only(client_for, bob, alice, march):
    assert client_for(bob).post(reverse("datev:debtors")).status_code == 403
    assert client_for(alice).get(reverse("datev:debtors")).status_code == 405


def test_the_command_writes_the_debtor_file_on_request(march, tmp_path):
    from django.core.management import call_command

    workspace = march["domestic"].workspace
    out = io.StringIO()
    call_command(
        "datev_export",
        "--workspace",
        str(workspace.pk),
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--out",
        str(tmp_path),
        "--debtors",
        stdout=out,
    )
    [master] = tmp_path.glob("EXTF_Debitoren_*.csv")
    assert f"{master}: 3 debtor accounts" in out.getvalue()
    assert [r[0] for r in read(master.read_bytes())[2:]] == ["10000", "10001", "10002"]
