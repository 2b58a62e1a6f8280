"""The DATEV EXTF "Buchungsstapel" file (header version 700, category 21, format version 13).

Pure: plain data in, bytes out; no ORM, no settings, no clock. Facts and sources in
../shared/notes/einvoicing-and-datev.md §4 and docs/datev-export.md:
- line 1 is the 31-field header, line 2 names all 125 columns, then one line per booking;
- ``;`` separates, CRLF ends lines, text fields are quoted (quotes doubled), amounts have a
  decimal comma and no thousands separator, and are positive (the side says the sign);
- Belegdatum is DDMM: the year comes from the header, so one file never spans two fiscal years;
- cp1252 by default, with an explicit policy for characters cp1252 lacks, or UTF-8 with a BOM.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

HEADER_VERSION = 700
CATEGORY = 21
FORMAT_NAME = "Buchungsstapel"
FORMAT_VERSION = 13
ORIGIN = "RE"  # Herkunft, two characters; DATEV replaces it with SV on import
APPLICATION = "MSPercury"

# Line 2, word for word as in DATEV's sample file for format version 13 (including its
# "Zusatzinformation- Inhalt" spelling).
_INFO = [f"Beleginfo - {kind} {n}" for n in range(1, 9) for kind in ("Art", "Inhalt")]
_EXTRA = [f"Zusatzinformation{sep} {n}" for n in range(1, 21) for sep in (" - Art", "- Inhalt")]
COLUMNS: tuple[str, ...] = (
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
    "Postensperre",
    "Diverse Adressnummer",
    "Geschäftspartnerbank",
    "Sachverhalt",
    "Zinssperre",
    "Beleglink",
    *_INFO,
    "KOST1 - Kostenstelle",
    "KOST2 - Kostenstelle",
    "Kost-Menge",
    "EU-Land u. UStID (Bestimmung)",
    "EU-Steuersatz (Bestimmung)",
    "Abw. Versteuerungsart",
    "Sachverhalt L+L",
    "Funktionsergänzung L+L",
    "BU 49 Hauptfunktionstyp",
    "BU 49 Hauptfunktionsnummer",
    "BU 49 Funktionsergänzung",
    *_EXTRA,
    "Stück",
    "Gewicht",
    "Zahlweise",
    "Forderungsart",
    "Veranlagungsjahr",
    "Zugeordnete Fälligkeit",
    "Skontotyp",
    "Auftragsnummer",
    "Buchungstyp",
    "USt-Schlüssel (Anzahlungen)",
    "EU-Land (Anzahlungen)",
    "Sachverhalt L+L (Anzahlungen)",
    "EU-Steuersatz (Anzahlungen)",
    "Erlöskonto (Anzahlungen)",
    "Herkunft-Kz",
    "Buchungs GUID",
    "KOST-Datum",
    "SEPA-Mandatsreferenz",
    "Skontosperre",
    "Gesellschaftername",
    "Beteiligtennummer",
    "Identifikationsnummer",
    "Zeichnernummer",
    "Postensperre bis",
    "Bezeichnung SoBil-Sachverhalt",
    "Kennzeichen SoBil-Buchung",
    "Festschreibung",
    "Leistungsdatum",
    "Datum Zuord. Steuerperiode",
    "Fälligkeit",
    "Generalumkehr (GU)",
    "Steuersatz",
    "Land",
    "Abrechnungsreferenz",
    "BVV-Position",
    "EU-Land u. UStID (Ursprung)",
    "EU-Steuersatz (Ursprung)",
    "Abw. Skontokonto",
)
# Text fields (1-based positions) of the format description: always quoted, "" when empty.
TEXT_COLUMNS = frozenset(
    {2, 3, 6, 9, 11, 12, 14, 16, 20, *range(21, 39), 40, 42, *range(48, 88), 91, 95, 96, 98}
    | {102, 103, 105, 107, 109, 110, 112, 118, 120, 121, 123}
)
HEADER_TEXT_FIELDS = frozenset({1, 4, 8, 9, 10, 17, 18, 22, 24, 27, 30, 31})

COL = {name: index for index, name in enumerate(COLUMNS)}
MAX_AMOUNT_CENTS = 9_999_999_999  # ten digits before the comma, two after
TEXT_MAX = 60  # Buchungstext
DOCUMENT_MAX = 36  # Belegfeld 1
INFO_KIND_MAX = 20
INFO_CONTENT_MAX = 210
LABEL_MAX = 30  # header field 17, Bezeichnung
EXPORTED_BY_MAX = 25
# Belegfeld 1 takes letters, digits and $ & % * + - / only (it keys DATEV's open items).
_NOT_DOCUMENT = re.compile(r"[^A-Za-z0-9$&%*+\-/]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class Side(StrEnum):
    DEBIT = "S"  # Soll
    CREDIT = "H"  # Haben


class Encoding(StrEnum):
    """How the file is encoded and what happens to characters cp1252 cannot hold."""

    CP1252_REPLACE = "cp1252_replace"  # transliterate (Č → C) or "?", and report each one
    CP1252_REJECT = "cp1252_reject"  # refuse the export, naming the customer
    UTF8_BOM = "utf8_bom"  # UTF-8 with a byte-order mark (newer DATEV versions read it)


@dataclass(frozen=True)
class Batch:
    """What the header says about one file."""

    consultant_number: int
    client_number: int
    fiscal_year_start: date
    account_length: int
    date_from: date
    date_to: date
    chart: str  # "03" or "04"
    created_at: datetime
    label: str = ""
    exported_by: str = ""
    locked: bool = False
    currency: str = "EUR"


@dataclass(frozen=True)
class Booking:
    """One data line: ``amount`` minor units (> 0) on ``side`` of ``account``."""

    amount: int
    side: Side
    account: str
    contra_account: str
    day: date  # Belegdatum
    document: str  # Belegfeld 1
    text: str  # Buchungstext
    tax_key: str = ""
    service_date: date | None = None  # Leistungsdatum
    due_date: date | None = None  # Fälligkeit
    vat_id: str = ""  # EU-Land u. UStID (Bestimmung), reverse charge only
    infos: tuple[tuple[str, str], ...] = ()  # Beleginfo Art / Inhalt pairs
    party: str = ""  # who the text is about, for encoding reports
    currency: str = "EUR"


@dataclass(frozen=True)
class Replacement:
    party: str
    column: str
    original: str
    written: str


@dataclass
class Rendered:
    content: bytes
    replacements: list[Replacement] = field(default_factory=list)


class UnencodableText(ValueError):
    """Text that cp1252 cannot hold while the policy is to reject; names who it is about."""

    def __init__(self, party: str, column: str, value: str):
        self.party, self.column, self.value = party, column, value
        super().__init__(f"{party}: {column} {value!r} has characters cp1252 cannot hold")


def format_amount(cents: int) -> str:
    """119000 → "1190,00": decimal comma, no thousands separator, never negative."""
    if cents <= 0:
        raise ValueError(f"DATEV amounts are positive (got {cents}); the side carries the sign")
    if cents > MAX_AMOUNT_CENTS:
        raise ValueError(f"{cents} minor units exceed DATEV's ten digits before the comma")
    return f"{cents // 100},{cents % 100:02d}"


def ddmm(day: date) -> str:
    return day.strftime("%d%m")


def ddmmyyyy(day: date | None) -> str:
    return day.strftime("%d%m%Y") if day else ""


def document_field(value: str) -> str:
    """Belegfeld 1: only the characters DATEV allows there, at most 36."""
    return _NOT_DOCUMENT.sub("", value)[:DOCUMENT_MAX]


def clean_text(value: str, limit: int) -> str:
    return _CONTROL.sub(" ", value).strip()[:limit]


def quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def header_fields(batch: Batch) -> list[str]:
    """The 31 fields of line 1, formatted (text fields quoted)."""
    values = [
        "EXTF",
        str(HEADER_VERSION),
        str(CATEGORY),
        FORMAT_NAME,
        str(FORMAT_VERSION),
        batch.created_at.strftime("%Y%m%d%H%M%S") + f"{batch.created_at.microsecond // 1000:03d}",
        "",  # 7 imported (DATEV fills it)
        ORIGIN,
        clean_text(batch.exported_by, EXPORTED_BY_MAX),
        "",  # 10 imported by
        str(batch.consultant_number),
        str(batch.client_number),
        batch.fiscal_year_start.strftime("%Y%m%d"),
        str(batch.account_length),
        batch.date_from.strftime("%Y%m%d"),
        batch.date_to.strftime("%Y%m%d"),
        clean_text(batch.label, LABEL_MAX),
        "",  # 18 Diktatkürzel
        "1",  # 19 Buchungstyp: Finanzbuchführung
        "0",  # 20 Rechnungslegungszweck: unabhängig
        "1" if batch.locked else "0",  # 21 Festschreibung
        batch.currency,
        "",  # 23 reserved
        "",  # 24 Derivatskennzeichen
        "",  # 25 reserved
        "",  # 26 reserved
        batch.chart,
        "",  # 28 Branchenlösungs-ID
        "",  # 29 reserved
        "",  # 30 reserved
        APPLICATION,
    ]
    return [quote(v) if n in HEADER_TEXT_FIELDS else v for n, v in enumerate(values, start=1)]


def row_values(booking: Booking) -> list[str]:
    """The 125 unformatted values of one booking (empty where we have nothing to say)."""
    values = [""] * len(COLUMNS)

    def put(column: str, value: str) -> None:
        values[COL[column]] = value

    put("Umsatz (ohne Soll/Haben-Kz)", format_amount(booking.amount))
    put("Soll/Haben-Kennzeichen", str(booking.side))
    put("WKZ Umsatz", booking.currency)
    put("Konto", booking.account)
    put("Gegenkonto (ohne BU-Schlüssel)", booking.contra_account)
    put("BU-Schlüssel", booking.tax_key)
    put("Belegdatum", ddmm(booking.day))
    put("Belegfeld 1", document_field(booking.document))
    put("Buchungstext", clean_text(booking.text, TEXT_MAX))
    for n, (kind, content) in enumerate(booking.infos[:8], start=1):
        put(f"Beleginfo - Art {n}", clean_text(kind, INFO_KIND_MAX))
        put(f"Beleginfo - Inhalt {n}", clean_text(content, INFO_CONTENT_MAX))
    put("EU-Land u. UStID (Bestimmung)", booking.vat_id)
    put("Leistungsdatum", ddmmyyyy(booking.service_date))
    put("Fälligkeit", ddmmyyyy(booking.due_date))
    return values


def format_row(values: list[str]) -> str:
    return ";".join(quote(v) if n in TEXT_COLUMNS else v for n, v in enumerate(values, start=1))


def transliterate(value: str) -> str:
    """The closest cp1252 text: accents cp1252 lacks are dropped (Č → C), the rest is "?"."""
    out = []
    for char in value:
        if fits(char):
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if fits(c))
        base = "".join(c for c in base if not unicodedata.combining(c))
        out.append(base or "?")
    return "".join(out)


def fits(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def apply_policy(
    values: list[str],
    columns: tuple[str, ...],
    party: str,
    policy: Encoding,
    report: list[Replacement],
) -> list[str]:
    """The values as the policy writes them; replacements are appended to ``report``."""
    if policy == Encoding.UTF8_BOM or fits("".join(values)):
        return values  # one encode for the row: a row cp1252 holds needs no replacement
    out = []
    for column, value in zip(columns, values, strict=True):
        if fits(value):  # one encode per value: cp1252 maps character by character
            out.append(value)
            continue
        if policy == Encoding.CP1252_REJECT:
            raise UnencodableText(party, column, value)
        written = transliterate(value)
        report.append(Replacement(party, column, value, written))
        out.append(written)
    return out


def encode(text: str, policy: Encoding) -> bytes:
    return text.encode("utf-8-sig" if policy == Encoding.UTF8_BOM else "cp1252")


def render(batch: Batch, bookings: list[Booking], policy: Encoding) -> Rendered:
    """The whole file as bytes, with every replacement the cp1252 policy made."""
    if any(b.day < batch.date_from or b.day > batch.date_to for b in bookings):
        raise ValueError("a booking lies outside the batch's period")
    report: list[Replacement] = []
    lines = [";".join(header_fields(batch)), ";".join(COLUMNS)]
    for booking in bookings:
        values = apply_policy(row_values(booking), COLUMNS, booking.party, policy, report)
        lines.append(format_row(values))
    return Rendered(encode("\r\n".join(lines) + "\r\n", policy), report)
