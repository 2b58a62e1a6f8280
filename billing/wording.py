"""What documents call a tax ID, and the reverse-charge notice, per country and language.

Pure: no ORM, no settings. Sources: ../shared/notes/vat-and-tax-id-facts.md §3.3 (the official
language versions of the reverse-charge mention, Directive 2010/45/EU) and §3.4 (labels), and
the seed's footer examples ("USt-IdNr.: DE…", "VAT ID: ATU…", "EIN: 12-3456789",
"GST/HST: 123456789RT0001").

The labels are the customary ones of the *workspace's* country, not of the reader's language: a
German MSP's quote says "USt-IdNr." in English too, as its letterhead would.
"""

from billing.taxids import TaxIdType

DEFAULT_TAX_ID_LABEL = "VAT ID"

# Non-EU tax-ID types carry their own customary label wherever the MSP sits.
_LABEL_BY_TYPE = {
    TaxIdType.US_EIN: "EIN",
    TaxIdType.CA_GST_HST: "GST/HST",
    TaxIdType.CA_BN: "BN",
    TaxIdType.CH_VAT: "MWST-Nr.",
    TaxIdType.CH_UID: "UID",
    TaxIdType.GB_VAT: "VAT Reg. No.",
    TaxIdType.NO_VAT: "Org.nr.",
    TaxIdType.AU_ABN: "ABN",
}
# EU VAT IDs (and numbers without a type) by the country's usage. Austria keeps "VAT ID", as the
# seed shows it.
_LABEL_BY_COUNTRY = {
    "DE": "USt-IdNr.",
    "AT": "VAT ID",
    "FR": "N° TVA",
    "MC": "N° TVA",  # Monaco's businesses hold French VAT IDs
    "IT": "P.IVA",
    "ES": "NIF-IVA",
    "NL": "Btw-id",
    "CH": "MWST-Nr.",
    "GB": "VAT Reg. No.",
    "US": "EIN",
    "CA": "GST/HST",
}


def tax_id_label(country: str, tax_id_type: str) -> str:
    """The label in front of a tax ID on a document, e.g. "USt-IdNr." for a German VAT ID."""
    if tax_id_type in _LABEL_BY_TYPE:
        return _LABEL_BY_TYPE[tax_id_type]
    return _LABEL_BY_COUNTRY.get((country or "").upper(), DEFAULT_TAX_ID_LABEL)


def tax_id_line(country: str, tax_id_type: str, tax_id: str) -> str:
    """ "USt-IdNr.: DE136695976", or "" without a number."""
    if not tax_id:
        return ""
    return f"{tax_id_label(country, tax_id_type)}: {tax_id}"


# Reverse charge. Each language: the official mention (the title), the sentence naming who owes
# the VAT with the Art. 196 citation, and the words for the two VAT IDs.
ART_196 = "Art. 196"
GERMAN_MENTION = "Steuerschuldnerschaft des Leistungsempfängers"
GERMAN_CITATION = "§13b UStG"

_NOTICES = {
    "de": {
        "title": GERMAN_MENTION,
        "sentence": (
            "Die Umsatzsteuer schuldet der Leistungsempfänger (Reverse Charge, "
            "Art. 196 MwStSystRL, Richtlinie 2006/112/EG). Der Rechnungsbetrag enthält keine "
            "Umsatzsteuer."
        ),
        "supplier": "USt-IdNr. des Leistenden",
        "customer": "USt-IdNr. des Leistungsempfängers",
    },
    "en": {
        "title": "Reverse charge",
        "sentence": (
            "VAT is payable by the recipient of the services (Art. 196 VAT Directive "
            "2006/112/EC). No VAT is charged on this document."
        ),
        "supplier": "Supplier's VAT ID",
        "customer": "Customer's VAT ID",
    },
    "fr": {
        "title": "Autoliquidation",
        "sentence": (
            "La TVA est due par le preneur (Art. 196 de la directive TVA 2006/112/CE). "
            "Aucune TVA n'est facturée sur ce document."
        ),
        "supplier": "N° TVA du prestataire",
        "customer": "N° TVA du preneur",
    },
    "it": {
        "title": "Inversione contabile",
        "sentence": (
            "L'IVA è dovuta dal committente (Art. 196 della direttiva IVA 2006/112/CE). "
            "Il presente documento non comprende l'IVA."
        ),
        "supplier": "P.IVA del prestatore",
        "customer": "P.IVA del committente",
    },
    "es": {
        "title": "Inversión del sujeto pasivo",
        "sentence": (
            "El IVA lo adeuda el destinatario de los servicios (Art. 196 de la Directiva del "
            "IVA 2006/112/CE). Este documento no incluye IVA."
        ),
        "supplier": "NIF-IVA del prestador",
        "customer": "NIF-IVA del destinatario",
    },
    "nl": {
        "title": "Btw verlegd",
        "sentence": (
            "De btw is verschuldigd door de afnemer (Art. 196 Btw-richtlijn 2006/112/EG). "
            "Op dit document wordt geen btw in rekening gebracht."
        ),
        "supplier": "Btw-id dienstverrichter",
        "customer": "Btw-id afnemer",
    },
    "pl": {
        "title": "Odwrotne obciążenie",
        "sentence": (
            "Podatek VAT rozlicza nabywca usług (Art. 196 dyrektywy VAT 2006/112/WE). "
            "Niniejszy dokument nie zawiera podatku VAT."
        ),
        "supplier": "NIP UE usługodawcy",
        "customer": "NIP UE nabywcy",
    },
    "pt": {
        "title": "Autoliquidação",
        "sentence": (
            "O IVA é devido pelo adquirente dos serviços (Art. 196 da Diretiva IVA "
            "2006/112/CE). Este documento não inclui IVA."
        ),
        "supplier": "NIF-IVA do prestador",
        "customer": "NIF-IVA do adquirente",
    },
}
NOTICE_LANGUAGES = tuple(_NOTICES)


def reverse_charge_notice(
    language: str, supplier_country: str, supplier_vat_id: str, customer_vat_id: str
) -> dict:
    """The banner of a reverse-charge document in ``language`` (English if we lack it).

    Returns {"title", "body", "lines"}: ``title`` is the official mention in that language
    (plus the English one, the usual safe pattern), ``body`` the whole notice as one paragraph,
    ``lines`` the same in parts (sentence, German citation if any, the two VAT IDs). A German
    MSP also cites §13b UStG with the German wording, whatever the reader's language.
    """
    words = _NOTICES.get((language or "").lower().split("-")[0], _NOTICES["en"])
    lines = [words["sentence"]]
    if (supplier_country or "").upper() == "DE":
        lines.append(f"{GERMAN_CITATION}: {GERMAN_MENTION}.")
    lines.append(f"{words['supplier']}: {supplier_vat_id}")
    lines.append(f"{words['customer']}: {customer_vat_id}")
    title = words["title"]
    if words is not _NOTICES["en"]:
        title = f"{title} (reverse charge)"
    return {"title": title, "body": " ".join(lines), "lines": lines}


# Exports: a service whose place of supply lies outside the supplier's VAT territory. No
# statutory wording exists (vat-and-tax-id-facts.md §3.2); this is the customary one, and a
# German MSP adds "Nicht im Inland steuerbare Leistung (§ 3a Abs. 2 UStG)".
GERMAN_EXPORT = "Nicht im Inland steuerbare Leistung (§ 3a Abs. 2 UStG)."
_EXPORT = {
    "de": (
        "Nicht steuerbar im Land des Leistenden",
        "Ort der Leistung ist das Land des Leistungsempfängers (Art. 44 MwStSystRL); die "
        "Rechnung enthält keine Umsatzsteuer. Eine dort anfallende Steuer schuldet der "
        "Leistungsempfänger.",
    ),
    "en": (
        "Outside the scope of VAT",
        "The place of supply is the customer's country (Art. 44 VAT Directive); no VAT is "
        "charged on this document. Any tax due there is payable by the customer.",
    ),
    "fr": (
        "Hors champ de la TVA",
        "Le lieu de la prestation est le pays du preneur (Art. 44 de la directive TVA); aucune "
        "TVA n'est facturée. Toute taxe due dans ce pays incombe au preneur.",
    ),
    "it": (
        "Operazione non soggetta a IVA",
        "Il luogo della prestazione è il paese del committente (Art. 44 della direttiva IVA); "
        "nessuna IVA addebitata. Le imposte ivi dovute sono a carico del committente.",
    ),
    "es": (
        "Operación no sujeta a IVA",
        "El lugar de la prestación es el país del destinatario (Art. 44 de la Directiva del "
        "IVA); no se repercute IVA. Los impuestos allí debidos corresponden al destinatario.",
    ),
    "nl": (
        "Buiten de reikwijdte van de btw",
        "De plaats van dienst is het land van de afnemer (Art. 44 Btw-richtlijn); er wordt geen "
        "btw in rekening gebracht. Belasting die daar verschuldigd is, draagt de afnemer.",
    ),
    "pl": (
        "Poza zakresem VAT",
        "Miejscem świadczenia jest kraj nabywcy (Art. 44 dyrektywy VAT); nie nalicza się VAT. "
        "Podatek należny w tym kraju rozlicza nabywca.",
    ),
    "pt": (
        "Fora do âmbito do IVA",
        "O lugar da prestação é o país do adquirente (Art. 44 da Diretiva IVA); não é "
        "liquidado IVA. O imposto aí devido é da responsabilidade do adquirente.",
    ),
}


def export_notice(language: str, supplier_country: str) -> dict:
    """The mention on an export invoice in ``language`` (English if we lack it), shaped like
    ``reverse_charge_notice``'s answer."""
    title, sentence = _EXPORT.get((language or "").lower().split("-")[0], _EXPORT["en"])
    lines = [sentence]
    if (supplier_country or "").upper() == "DE":
        lines.append(GERMAN_EXPORT)
    return {"title": title, "body": " ".join(lines), "lines": lines}
