"""The DATEV "Debitoren/Kreditoren" file (category 16, format version 5): the names, addresses
and VAT IDs behind the personal debtor accounts, so the advisor's DATEV shows who 10000 is.
Pure, like extf.py, whose header and text rules it shares. Column list as in ALYF's
erpnext_datev (utils/datev_constants.py); DATEV reads the columns by position."""

from dataclasses import dataclass

from billing.datev import extf
from billing.datev.extf import Batch, Encoding, Rendered

CATEGORY = 16
FORMAT_NAME = "Debitoren/Kreditoren"
FORMAT_VERSION = 5
COMPANY = "2"  # Adressatentyp: Unternehmen


def _bank(n: int) -> list[str]:
    return [
        f"Bankleitzahl {n}",
        f"Bankbezeichnung {n}",
        f"Bankkonto-Nummer {n}",
        f"Länderkennzeichen {n}",
        f"IBAN {n}",
        "Leerfeld",
        f"SWIFT-Code {n}",
        f"Abw. Kontoinhaber {n}",
        f"Kennz. Haupt-Bankverb. {n}",
        f"Bankverb. {n} Gültig von",
        f"Bankverb. {n} Gültig bis",
    ]


_ADDRESS = ["Anrede", "Titel/Akad. Grad", "Adelstitel", "Namensvorsatz", "Adressart", "Straße"]
_ADDRESS += ["Postfach", "Postleitzahl", "Ort", "Land", "Versandzusatz", "Adresszusatz"]
_TERMS = [
    "Briefanrede",
    "Grußformel",
    "Kundennummer",
    "Steuernummer",
    "Sprache",
    "Ansprechpartner",
    "Vertreter",
    "Sachbearbeiter",
    "Diverse-Konto",
    "Ausgabeziel",
    "Währungssteuerung",
    "Kreditlimit (Debitor)",
    "Zahlungsbedingung",
    "Fälligkeit in Tagen (Debitor)",
    "Skonto in Prozent (Debitor)",
    "Kreditoren-Ziel 1 (Tage)",
    "Kreditoren-Skonto 1 (%)",
    "Kreditoren-Ziel 2 (Tage)",
    "Kreditoren-Skonto 2 (%)",
    "Kreditoren-Ziel 3 Brutto (Tage)",
    "Kreditoren-Ziel 4 (Tage)",
    "Kreditoren-Skonto 4 (%)",
    "Kreditoren-Ziel 5 (Tage)",
    "Kreditoren-Skonto 5 (%)",
    "Mahnung",
    "Kontoauszug",
    "Mahntext 1",
    "Mahntext 2",
    "Mahntext 3",
    "Kontoauszugstext",
    "Mahnlimit Betrag",
    "Mahnlimit %",
    "Zinsberechnung",
    "Mahnzinssatz 1",
    "Mahnzinssatz 2",
    "Mahnzinssatz 3",
    "Lastschrift",
    "Verfahren",
    "Mandantenbank",
    "Zahlungsträger",
    *(f"Indiv. Feld {n}" for n in range(1, 16)),
]
_BILLING_ADDRESS = [
    f"{name} (Rechnungsadresse)"
    for name in (
        "Abweichende Anrede",
        "Adressart",
        "Straße",
        "Postfach",
        "Postleitzahl",
        "Ort",
        "Land",
        "Versandzusatz",
        "Adresszusatz",
        "Abw. Zustellbezeichnung 1",
        "Abw. Zustellbezeichnung 2",
        "Adresse Gültig von",
        "Adresse Gültig bis",
    )
]
_TAIL = [
    "Nummer Fremdsystem",
    "Insolvent",
    *(f"SEPA-Mandatsreferenz {n}" for n in range(1, 11)),
    "Verknüpftes OPOS-Konto",
    "Mahnsperre bis",
    "Lastschriftsperre bis",
    "Zahlungssperre bis",
    "Gebührenberechnung",
    "Mahngebühr 1",
    "Mahngebühr 2",
    "Mahngebühr 3",
    "Pauschalberechnung",
    "Verzugspauschale 1",
    "Verzugspauschale 2",
    "Verzugspauschale 3",
    "Alternativer Suchname",
    "Status",
    "Anschrift manuell geändert (Korrespondenzadresse)",
    "Anschrift individuell (Korrespondenzadresse)",
    "Anschrift manuell geändert (Rechnungsadresse)",
    "Anschrift individuell (Rechnungsadresse)",
    "Fristberechnung bei Debitor",
    "Mahnfrist 1",
    "Mahnfrist 2",
    "Mahnfrist 3",
    "Letzte Frist",
]
COLUMNS: tuple[str, ...] = (
    "Konto",
    "Name (Adressatentyp Unternehmen)",
    "Unternehmensgegenstand",
    "Name (Adressatentyp natürl. Person)",
    "Vorname (Adressatentyp natürl. Person)",
    "Name (Adressatentyp keine Angabe)",
    "Adressatentyp",
    "Kurzbezeichnung",
    "EU-Land",
    "EU-USt-IdNr.",
    *_ADDRESS,
    "Abweichende Anrede",
    "Abw. Zustellbezeichnung 1",
    "Abw. Zustellbezeichnung 2",
    "Kennz. Korrespondenzadresse",
    "Adresse gültig von",
    "Adresse gültig bis",
    "Telefon",
    "Bemerkung (Telefon)",
    "Telefon Geschäftsleitung",
    "Bemerkung (Telefon GL)",
    "E-Mail",
    "Bemerkung (E-Mail)",
    "Internet",
    "Bemerkung (Internet)",
    "Fax",
    "Bemerkung (Fax)",
    "Sonstige",
    "Bemerkung (Sonstige)",
    *(name for n in range(1, 6) for name in _bank(n)),
    "Leerfeld",
    *_TERMS,
    *_BILLING_ADDRESS,
    *(name for n in range(6, 11) for name in _bank(n)),
    *_TAIL,
)
LIMITS = {"Name (Adressatentyp Unternehmen)": 50, "Kurzbezeichnung": 15, "EU-USt-IdNr.": 13}


@dataclass(frozen=True)
class Debtor:
    number: int
    name: str
    country: str = ""  # ISO 3166 alpha-2
    vat_id: str = ""  # with its country prefix, e.g. FR40303265045
    street: str = ""
    postal_code: str = ""
    city: str = ""
    email: str = ""


def row_values(debtor: Debtor) -> list[str]:
    values = dict.fromkeys(range(len(COLUMNS)), "")
    filled = {
        "Konto": str(debtor.number),
        "Name (Adressatentyp Unternehmen)": debtor.name,
        "Adressatentyp": COMPANY,
        "Kurzbezeichnung": debtor.name,
        "EU-Land": debtor.vat_id[:2],
        "EU-USt-IdNr.": debtor.vat_id[2:],
        "Straße": debtor.street,
        "Postleitzahl": debtor.postal_code,
        "Ort": debtor.city,
        "Land": debtor.country,
        "E-Mail": debtor.email,
    }
    for name, value in filled.items():
        values[COLUMNS.index(name)] = extf.clean_text(value, LIMITS.get(name, 100))
    return [values[n] for n in range(len(COLUMNS))]


def _format(values: list[str]) -> str:
    return ";".join(v if n == 0 else extf.quote(v) for n, v in enumerate(values))


def header(batch: Batch) -> list[str]:
    fields = extf.header_fields(batch)
    fields[2], fields[3], fields[4] = str(CATEGORY), extf.quote(FORMAT_NAME), str(FORMAT_VERSION)
    fields[14] = fields[15] = ""  # master data has no period
    fields[18] = fields[20] = ""  # no Buchungstyp, no Festschreibung
    return fields


def render(batch: Batch, debtors: list[Debtor], policy: Encoding) -> Rendered:
    """The master-data file; the same encoding policy as the booking batch."""
    report: list[extf.Replacement] = []
    lines = [";".join(header(batch)), ";".join(COLUMNS)]
    for debtor in debtors:
        values = extf.apply_policy(row_values(debtor), COLUMNS, debtor.name, policy, report)
        lines.append(_format(values))
    return Rendered(extf.encode("\r\n".join(lines) + "\r\n", policy), report)
