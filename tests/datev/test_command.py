"""manage.py datev_export: files per fiscal year in a folder, by workspace id or public id."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from billing.datev.models import DatevSettings, DebtorAccount
from tests.datev.conftest import at, make_invoice


def rows(path) -> list[list[str]]:
    text = path.read_bytes().decode("cp1252")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_it_writes_the_period_into_the_folder(march, tmp_path):
    workspace = march["domestic"].workspace
    out = io.StringIO()
    call_command(
        "datev_export",
        "--workspace",
        str(workspace.public_id),
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--out",
        str(tmp_path / "datev"),
        stdout=out,
    )
    path = tmp_path / "datev" / "EXTF_Buchungsstapel_20260301_20260331.csv"
    assert f"{path}: 6 bookings" in out.getvalue()
    lines = rows(path)
    assert lines[0][8] == "manage.py"
    assert [(r[0], r[1], r[6], r[7], r[10]) for r in lines[2:]] == [
        ("1190,00", "S", "10000", "8400", "A1B2C3D4-0001"),
        ("1000,00", "S", "10001", "8336", "A1B2C3D4-0002"),
        ("500,00", "S", "10002", "8338", "A1B2C3D4-0003"),
        ("1190,00", "S", "1360", "10000", "A1B2C3D4-0001"),
        ("119,00", "H", "1360", "10000", "A1B2C3D4-0001"),
        ("119,00", "H", "10000", "8400", "A1B2C3D4-0001-CN-01"),
    ]
    assert DebtorAccount.objects.filter(workspace=workspace).count() == 3


def test_it_splits_fiscal_years_into_files_and_takes_the_numeric_id(march, tmp_path):
    workspace = march["domestic"].workspace
    DatevSettings.objects.filter(workspace=workspace).update(fiscal_year_start_month=3)
    make_invoice(workspace, march["domestic"].customer, "in_feb", "F-1", at("2026-02-10"), 119, 19)
    out = io.StringIO()
    call_command(
        "datev_export",
        "--workspace",
        str(workspace.pk),
        "--from",
        "2026-02-01",
        "--to",
        "2026-03-31",
        "--out",
        str(tmp_path),
        stdout=out,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "EXTF_Buchungsstapel_20260201_20260228.csv",
        "EXTF_Buchungsstapel_20260301_20260331.csv",
    ]
    february = rows(tmp_path / "EXTF_Buchungsstapel_20260201_20260228.csv")
    assert february[0][12] == "20250301" and [r[10] for r in february[2:]] == ["F-1"]
    assert rows(tmp_path / "EXTF_Buchungsstapel_20260301_20260331.csv")[0][12] == "20260301"


def test_it_says_so_when_there_is_nothing(german_msp, tmp_path):
    out = io.StringIO()
    call_command(
        "datev_export",
        "--workspace",
        str(german_msp.pk),
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--out",
        str(tmp_path),
        stdout=out,
    )
    assert "No bookings in this period" in out.getvalue()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workspace", "999999"], "No workspace 999999."),
        (["--workspace", "nope"], "is not a workspace id or public id"),
        (["--from", "2026-13-01"], "is not a date"),
        (["--from", "2026-04-01"], "ends before it starts"),
    ],
)
def test_it_refuses_bad_arguments(german_msp, tmp_path, args, message):
    base = {"--workspace": str(german_msp.pk), "--from": "2026-03-01", "--to": "2026-03-31"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [item for pair in base.items() for item in pair]
    with pytest.raises(CommandError, match=message):
        call_command("datev_export", *flat, "--out", str(tmp_path))


def test_it_needs_consultant_and_client_numbers(alpha, tmp_path):
    with pytest.raises(CommandError, match="consultant and client numbers"):
        call_command(
            "datev_export",
            "--workspace",
            str(alpha.pk),
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "--out",
            str(tmp_path),
        )


def test_it_warns_about_left_out_invoices_and_names_a_refused_customer(march, tmp_path):
    workspace = march["domestic"].workspace
    make_invoice(
        workspace, march["export"].customer, "in_usd", "U-1", at("2026-03-09"), 100, currency="USD"
    )
    args = ["--workspace", str(workspace.pk), "--from", "2026-03-01", "--to", "2026-03-31"]
    out = io.StringIO()
    call_command("datev_export", *args, "--out", str(tmp_path), stdout=out)
    assert "warning: in_usd: other_currency" in out.getvalue()
    DatevSettings.objects.filter(workspace=workspace).update(encoding="cp1252_reject")
    march["reverse"].customer.__class__.objects.filter(pk=march["reverse"].customer_id).update(
        company_name="ООО Ромашка"
    )
    with pytest.raises(CommandError, match="ООО Ромашка"):
        call_command("datev_export", *args, "--out", str(tmp_path / "again"))
