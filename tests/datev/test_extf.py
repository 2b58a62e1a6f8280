"""The EXTF writer: header fields, the column line, data rows read back, encoding policy."""

import csv
import io
from datetime import date, datetime

import pytest

from billing.datev import extf
from billing.datev.extf import Batch, Booking, Encoding, Side, UnencodableText

BATCH = Batch(
    consultant_number=1234567,
    client_number=12345,
    fiscal_year_start=date(2026, 1, 1),
    account_length=4,
    date_from=date(2026, 3, 1),
    date_to=date(2026, 3, 31),
    chart="03",
    created_at=datetime(2026, 4, 2, 9, 5, 7, 123456),
    label="MSPercury 01.03.26-31.03.26",
    exported_by="Alice Owner",
)
INVOICE = Booking(
    amount=119000,
    side=Side.DEBIT,
    account="10000",
    contra_account="8400",
    day=date(2026, 3, 15),
    document="A1B2C3D4-0001",
    text="Rechnung A1B2C3D4-0001 Müller GmbH",
    service_date=date(2026, 3, 15),
    due_date=date(2026, 3, 29),
    infos=(("Stripe-Rechnung", "in_known1"),),
    party="Müller GmbH",
)


def read(content: bytes, encoding="cp1252") -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode(encoding), newline=""), delimiter=";"))


def row(**values) -> list[str]:
    """A full 125-column row: the named columns set, every other one empty."""
    out = [""] * len(extf.COLUMNS)
    for name, value in values.items():
        out[extf.COLUMNS.index(name)] = value
    return out


def test_it_writes_the_31_header_fields():
    header = read(extf.render(BATCH, [], Encoding.CP1252_REPLACE).content)[0]
    assert header == [
        "EXTF",
        "700",
        "21",
        "Buchungsstapel",
        "13",
        "20260402090507123",
        "",
        "RE",
        "Alice Owner",
        "",
        "1234567",
        "12345",
        "20260101",
        "4",
        "20260301",
        "20260331",
        "MSPercury 01.03.26-31.03.26",
        "",
        "1",
        "0",
        "0",
        "EUR",
        "",
        "",
        "",
        "",
        "03",
        "",
        "",
        "",
        "MSPercury",
    ]


def test_it_quotes_the_header_text_fields_only():
    line = extf.render(BATCH, [], Encoding.CP1252_REPLACE).content.split(b"\r\n")[0]
    assert line.startswith(b'"EXTF";700;21;"Buchungsstapel";13;20260402090507123;;"RE";')
    assert (
        b';1234567;12345;20260101;4;20260301;20260331;"MSPercury 01.03.26-31.03.26";"";1;0;0;"EUR";'
        in line
    )
    assert line.endswith(b';"";;;"03";;;"";"MSPercury"')


def test_it_marks_a_locked_batch():
    locked = Batch(**{**BATCH.__dict__, "locked": True})
    assert read(extf.render(locked, [], Encoding.CP1252_REPLACE).content)[0][20] == "1"


def test_it_names_all_125_columns_on_line_two():
    lines = read(extf.render(BATCH, [], Encoding.CP1252_REPLACE).content)
    assert len(lines[1]) == 125
    assert lines[1][:14] == [
        "Umsatz (ohne Soll/Haben-Kz)",
        "Soll/Haben-Kennzeichen",
        "WKZ Umsatz",
        "Kurs",
        "Basis-Umsatz",
        "WKZ Basis-Umsatz",
        "Konto",
        "Gegenkonto (ohne BU-Schlüssel)",
        "BU-Schlüssel",
        "Belegdatum",
        "Belegfeld 1",
        "Belegfeld 2",
        "Skonto",
        "Buchungstext",
    ]
    assert lines[1][39] == "EU-Land u. UStID (Bestimmung)"
    assert lines[1][113:117] == [
        "Festschreibung",
        "Leistungsdatum",
        "Datum Zuord. Steuerperiode",
        "Fälligkeit",
    ]
    assert lines[1][124] == "Abw. Skontokonto"


def test_it_reads_back_every_column_of_an_invoice_in_cp1252():
    content = extf.render(BATCH, [INVOICE], Encoding.CP1252_REPLACE).content
    assert read(content)[2] == row(
        **{
            "Umsatz (ohne Soll/Haben-Kz)": "1190,00",
            "Soll/Haben-Kennzeichen": "S",
            "WKZ Umsatz": "EUR",
            "Konto": "10000",
            "Gegenkonto (ohne BU-Schlüssel)": "8400",
            "Belegdatum": "1503",
            "Belegfeld 1": "A1B2C3D4-0001",
            "Buchungstext": "Rechnung A1B2C3D4-0001 Müller GmbH",
            "Beleginfo - Art 1": "Stripe-Rechnung",
            "Beleginfo - Inhalt 1": "in_known1",
            "Leistungsdatum": "15032026",
            "Fälligkeit": "29032026",
        }
    )


def test_it_ends_lines_with_crlf_and_quotes_text_columns_even_when_empty():
    content = extf.render(BATCH, [INVOICE], Encoding.CP1252_REPLACE).content
    assert content.endswith(b"\r\n")
    assert content.count(b"\r\n") == 3 and b"\n" not in content.replace(b"\r\n", b"")
    data = content.split(b"\r\n")[2].decode("cp1252")
    assert data.startswith('1190,00;"S";"EUR";;;"";10000;8400;"";1503;"A1B2C3D4-0001";"";;')
    assert "Müller".encode("cp1252") in content


def test_it_doubles_quotes_inside_text():
    booking = Booking(**{**INVOICE.__dict__, "text": 'Rechnung 1 "Die Firma"'})
    raw = extf.render(BATCH, [booking], Encoding.CP1252_REPLACE).content.decode("cp1252")
    assert '"Rechnung 1 ""Die Firma"""' in raw
    assert read(raw.encode("cp1252"))[2][13] == 'Rechnung 1 "Die Firma"'


@pytest.mark.parametrize(
    ("cents", "text"),
    [(1, "0,01"), (119000, "1190,00"), (123456789, "1234567,89"), (9_999_999_999, "99999999,99")],
)
def test_it_formats_amounts_with_a_decimal_comma(cents, text):
    assert extf.format_amount(cents) == text


@pytest.mark.parametrize("cents", [0, -100, 10_000_000_000])
def test_it_refuses_amounts_datev_cannot_hold(cents):
    with pytest.raises(ValueError):
        extf.format_amount(cents)


def test_it_cuts_booking_text_at_60_and_document_at_36_with_datev_characters_only():
    booking = Booking(
        **{**INVOICE.__dict__, "text": "x" * 70 + "\r\nend", "document": "RE 2026_0001." + "9" * 40}
    )
    values = extf.row_values(booking)
    assert values[13] == "x" * 60
    assert values[10] == "RE20260001" + "9" * 26
    assert len(values[10]) == 36


def test_it_writes_the_vat_id_of_a_reverse_charge_row():
    booking = Booking(**{**INVOICE.__dict__, "contra_account": "8336", "vat_id": "FR40303265045"})
    assert extf.row_values(booking)[39] == "FR40303265045"


def test_it_refuses_a_booking_outside_the_batch_period():
    late = Booking(**{**INVOICE.__dict__, "day": date(2026, 4, 1)})
    with pytest.raises(ValueError):
        extf.render(BATCH, [late], Encoding.CP1252_REPLACE)


def test_it_replaces_characters_cp1252_lacks_and_reports_them():
    booking = Booking(**{**INVOICE.__dict__, "text": "Rechnung 1 Čapek Ωmega", "party": "Čapek"})
    rendered = extf.render(BATCH, [booking], Encoding.CP1252_REPLACE)
    assert read(rendered.content)[2][13] == "Rechnung 1 Capek ?mega"
    assert [(r.party, r.column, r.original, r.written) for r in rendered.replacements] == [
        ("Čapek", "Buchungstext", "Rechnung 1 Čapek Ωmega", "Rechnung 1 Capek ?mega")
    ]


def test_it_rejects_characters_cp1252_lacks_naming_the_customer():
    booking = Booking(
        **{**INVOICE.__dict__, "text": "Rechnung 1 ООО Ромашка", "party": "ООО Ромашка"}
    )
    with pytest.raises(UnencodableText) as caught:
        extf.render(BATCH, [booking], Encoding.CP1252_REJECT)
    assert caught.value.party == "ООО Ромашка"
    assert caught.value.column == "Buchungstext"


def test_it_keeps_everything_in_utf8_with_a_bom():
    booking = Booking(**{**INVOICE.__dict__, "text": "Rechnung 1 ООО Ромашка"})
    rendered = extf.render(BATCH, [booking], Encoding.UTF8_BOM)
    assert rendered.content.startswith(b'\xef\xbb\xbf"EXTF"')
    assert read(rendered.content, "utf-8-sig")[2][13] == "Rechnung 1 ООО Ромашка"
    assert rendered.replacements == []
