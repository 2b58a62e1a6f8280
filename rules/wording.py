"""What documents call a tax ID, and the reverse-charge, export and e-invoice exemption
wording, per country and in the 24 official EU languages.

Pure: no ORM, no settings. Sources: ../shared/notes/vat-and-tax-id-facts.md §3.3 (the mention
Art. 226(11a) VAT Directive 2006/112/EC, inserted by Directive 2010/45/EU, prescribes, in each
language version; as tabulated by IHK Rheinhessen and Haufe after BMF 25.10.2013) and §3.4
(labels), and the seed's footer examples ("USt-IdNr.: DE…", "VAT ID: ATU…",
"EIN: 12-3456789", "GST/HST: 123456789RT0001"). Slovenian and Irish are not in that table:
"Obrnjena davčna obveznost" and "Aisiompú muirir" are the terms of those language versions as
used in practice (secondary sources); German tax offices accept any language's term (Abschn.
14a.1 Abs. 2 S. 3 UStAE), and every notice also carries the English "reverse charge".

The labels are the customary ones of the *workspace's* country, not of the reader's language: a
German MSP's quote says "USt-IdNr." in English too, as its letterhead would.
"""

from typing import Any

from rules.taxids import TaxIdType

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
    "bg": {
        "title": "Обратно начисляване",
        "sentence": (
            "ДДС се дължи от получателя на услугите (чл. 196 от Директива 2006/112/ЕО за ДДС). "
            "В този документ не се начислява ДДС."
        ),
        "supplier": "ИН по ДДС на доставчика",
        "customer": "ИН по ДДС на получателя",
    },
    "cs": {
        "title": "Daň odvede zákazník",
        "sentence": (
            "DPH je povinen přiznat příjemce služeb (čl. 196 směrnice o DPH 2006/112/ES). "
            "Na tomto dokladu není účtována DPH."
        ),
        "supplier": "DIČ poskytovatele",
        "customer": "DIČ příjemce",
    },
    "da": {
        "title": "Omvendt betalingspligt",
        "sentence": (
            "Momsen betales af modtageren af ydelserne (art. 196 i momsdirektivet 2006/112/EF). "
            "Der er ikke opkrævet moms på dette dokument."
        ),
        "supplier": "Leverandørens momsnummer",
        "customer": "Kundens momsnummer",
    },
    "el": {
        "title": "Αντίστροφη επιβάρυνση",
        "sentence": (
            "Ο ΦΠΑ οφείλεται από τον λήπτη των υπηρεσιών (άρθρο 196 της οδηγίας ΦΠΑ "
            "2006/112/ΕΚ). Στο παρόν έγγραφο δεν χρεώνεται ΦΠΑ."
        ),
        "supplier": "Αριθμός ΦΠΑ του παρόχου",
        "customer": "Αριθμός ΦΠΑ του λήπτη",
    },
    "et": {
        "title": "Pöördmaksustamine",
        "sentence": (
            "Käibemaksu tasub teenuse saaja (käibemaksudirektiivi 2006/112/EÜ artikkel 196). "
            "Sellel dokumendil käibemaksu ei arvestata."
        ),
        "supplier": "Teenuse osutaja KMKR number",
        "customer": "Teenuse saaja KMKR number",
    },
    "fi": {
        "title": "Käännetty verovelvollisuus",
        "sentence": (
            "Arvonlisäveron suorittaa palvelujen ostaja (arvonlisäverodirektiivin 2006/112/EY "
            "196 artikla). Tähän asiakirjaan ei sisälly arvonlisäveroa."
        ),
        "supplier": "Myyjän ALV-tunniste",
        "customer": "Ostajan ALV-tunniste",
    },
    "ga": {
        "title": "Aisiompú muirir",
        "sentence": (
            "Is é faighteoir na seirbhísí atá faoi dhliteanas CBL (Airteagal 196 de Threoir CBL "
            "2006/112/CE). Ní ghearrtar CBL ar an doiciméad seo."
        ),
        "supplier": "Uimhir CBL an tsoláthraí",
        "customer": "Uimhir CBL an chustaiméara",
    },
    "hr": {
        "title": "Prijenos porezne obveze",
        "sentence": (
            "PDV plaća primatelj usluga (članak 196. Direktive o PDV-u 2006/112/EZ). "
            "Na ovom dokumentu nije obračunan PDV."
        ),
        "supplier": "PDV ID broj isporučitelja",
        "customer": "PDV ID broj primatelja",
    },
    "hu": {
        "title": "Fordított adózás",
        "sentence": (
            "Az áfát a szolgáltatás igénybevevője fizeti (a 2006/112/EK héairányelv 196. "
            "cikke). Ez a bizonylat nem tartalmaz áfát."
        ),
        "supplier": "A szolgáltató közösségi adószáma",
        "customer": "Az igénybevevő közösségi adószáma",
    },
    "lt": {
        "title": "Atvirkštinis apmokestinimas",
        "sentence": (
            "PVM moka paslaugų pirkėjas (PVM direktyvos 2006/112/EB 196 straipsnis). "
            "Šiame dokumente PVM neskaičiuojamas."
        ),
        "supplier": "Tiekėjo PVM mokėtojo kodas",
        "customer": "Pirkėjo PVM mokėtojo kodas",
    },
    "lv": {
        "title": "Nodokļa apgrieztā maksāšana",
        "sentence": (
            "PVN maksā pakalpojumu saņēmējs (PVN direktīvas 2006/112/EK 196. pants). "
            "Šajā dokumentā PVN nav aprēķināts."
        ),
        "supplier": "Piegādātāja PVN reģistrācijas numurs",
        "customer": "Saņēmēja PVN reģistrācijas numurs",
    },
    "mt": {
        "title": "Inverżjoni tal-ħlas",
        "sentence": (
            "Il-VAT titħallas mir-riċevitur tas-servizzi (Art. 196 tad-Direttiva tal-VAT "
            "2006/112/KE). L-ebda VAT ma hija mitluba fuq dan id-dokument."
        ),
        "supplier": "Numru tal-VAT tal-fornitur",
        "customer": "Numru tal-VAT tal-klijent",
    },
    "ro": {
        "title": "Taxare inversă",
        "sentence": (
            "TVA se datorează de către beneficiarul serviciilor (art. 196 din Directiva TVA "
            "2006/112/CE). Prezentul document nu include TVA."
        ),
        "supplier": "Cod TVA al prestatorului",
        "customer": "Cod TVA al beneficiarului",
    },
    "sk": {
        "title": "Prenesenie daňovej povinnosti",
        "sentence": (
            "DPH je povinný zaplatiť príjemca služieb (čl. 196 smernice o DPH 2006/112/ES). "
            "Na tomto doklade nie je účtovaná DPH."
        ),
        "supplier": "IČ DPH poskytovateľa",
        "customer": "IČ DPH príjemcu",
    },
    "sl": {
        "title": "Obrnjena davčna obveznost",
        "sentence": (
            "DDV plača prejemnik storitev (člen 196 Direktive o DDV 2006/112/ES). "
            "Na tem dokumentu DDV ni obračunan."
        ),
        "supplier": "ID za DDV izvajalca",
        "customer": "ID za DDV prejemnika",
    },
    "sv": {
        "title": "Omvänd betalningsskyldighet",
        "sentence": (
            "Mervärdesskatten betalas av köparen av tjänsterna (artikel 196 i "
            "mervärdesskattedirektivet 2006/112/EG). Ingen mervärdesskatt debiteras på detta "
            "dokument."
        ),
        "supplier": "Säljarens momsregistreringsnummer",
        "customer": "Köparens momsregistreringsnummer",
    },
}
NOTICE_LANGUAGES = tuple(_NOTICES)


def reverse_charge_notice(
    language: str, supplier_country: str, supplier_vat_id: str, customer_vat_id: str
) -> dict[str, Any]:
    """The banner of a reverse-charge document in ``language`` (English if we lack it).

    Returns {"title", "mention", "body", "lines"}: ``mention`` is the official mention in that
    language, ``title`` the same plus the English one (the usual safe pattern), ``body`` the
    whole notice as one paragraph, ``lines`` the same in parts (sentence, German citation if
    any, the two VAT IDs). A German MSP also cites §13b UStG with the German wording, whatever
    the reader's language.
    """
    words = _NOTICES.get(_base(language), _NOTICES["en"])
    lines = [words["sentence"]]
    if (supplier_country or "").upper() == "DE":
        lines.append(f"{GERMAN_CITATION}: {GERMAN_MENTION}.")
    lines.append(f"{words['supplier']}: {supplier_vat_id}")
    lines.append(f"{words['customer']}: {customer_vat_id}")
    title = words["title"]
    if words is not _NOTICES["en"]:
        title = f"{title} (reverse charge)"
    return {"title": title, "mention": words["title"], "body": " ".join(lines), "lines": lines}


# Exports: a service whose place of supply lies outside the supplier's VAT territory. No
# statutory wording exists (vat-and-tax-id-facts.md §3.2); this is the customary one, and a
# German MSP adds "Nicht im Inland steuerbare Leistung (§ 3a Abs. 2 UStG)". Per language: the
# title, the sentence (Art. 44), and the exemption of exported goods (Art. 146) for e-invoices
# in category G.
GERMAN_EXPORT = "Nicht im Inland steuerbare Leistung (§ 3a Abs. 2 UStG)."
_EXPORT = {
    "bg": (
        "Извън приложното поле на ДДС",
        "Мястото на изпълнение е държавата на получателя (чл. 44 от Директивата за ДДС); не се "
        "начислява ДДС. Дължимият там данък е за сметка на получателя.",
        "Освободен износ (чл. 146 от Директивата за ДДС)",
    ),
    "cs": (
        "Mimo předmět DPH",
        "Místem plnění je země příjemce (čl. 44 směrnice o DPH); DPH není účtována. Daň "
        "splatnou v této zemi odvádí příjemce.",
        "Osvobozený vývoz (čl. 146 směrnice o DPH)",
    ),
    "da": (
        "Uden for momsens anvendelsesområde",
        "Leveringsstedet er kundens land (art. 44 i momsdirektivet); der er ikke opkrævet moms. "
        "Eventuel afgift dér betales af kunden.",
        "Momsfri eksport (art. 146 i momsdirektivet)",
    ),
    "de": (
        "Nicht steuerbar im Land des Leistenden",
        "Ort der Leistung ist das Land des Leistungsempfängers (Art. 44 MwStSystRL); die "
        "Rechnung enthält keine Umsatzsteuer. Eine dort anfallende Steuer schuldet der "
        "Leistungsempfänger.",
        "Steuerfreie Ausfuhr (Art. 146 MwStSystRL)",
    ),
    "el": (
        "Εκτός πεδίου εφαρμογής του ΦΠΑ",
        "Τόπος παροχής είναι η χώρα του λήπτη (άρθρο 44 της οδηγίας ΦΠΑ)· δεν χρεώνεται ΦΠΑ. "
        "Τυχόν φόρος που οφείλεται εκεί βαρύνει τον λήπτη.",
        "Απαλλασσόμενη εξαγωγή (άρθρο 146 της οδηγίας ΦΠΑ)",
    ),
    "en": (
        "Outside the scope of VAT",
        "The place of supply is the customer's country (Art. 44 VAT Directive); no VAT is "
        "charged on this document. Any tax due there is payable by the customer.",
        "Exempt export (Art. 146 VAT Directive)",
    ),
    "es": (
        "Operación no sujeta a IVA",
        "El lugar de la prestación es el país del destinatario (Art. 44 de la Directiva del "
        "IVA); no se repercute IVA. Los impuestos allí debidos corresponden al destinatario.",
        "Exportación exenta (art. 146 de la Directiva del IVA)",
    ),
    "et": (
        "Käibemaksuga mittemaksustatav",
        "Teenuse osutamise koht on saaja riik (käibemaksudirektiivi artikkel 44); käibemaksu ei "
        "arvestata. Seal tasumisele kuuluva maksu tasub saaja.",
        "Maksuvaba eksport (käibemaksudirektiivi artikkel 146)",
    ),
    "fi": (
        "Ei arvonlisäveron alainen",
        "Palvelun myyntimaa on ostajan maa (arvonlisäverodirektiivin 44 artikla); "
        "arvonlisäveroa ei veloiteta. Siellä mahdollisesti maksettavan veron suorittaa ostaja.",
        "Veroton vienti (arvonlisäverodirektiivin 146 artikla)",
    ),
    "fr": (
        "Hors champ de la TVA",
        "Le lieu de la prestation est le pays du preneur (Art. 44 de la directive TVA); aucune "
        "TVA n'est facturée. Toute taxe due dans ce pays incombe au preneur.",
        "Exportation exonérée (art. 146 de la directive TVA)",
    ),
    "ga": (
        "Lasmuigh de raon feidhme CBL",
        "Is í tír an chustaiméara áit an tsoláthair (Airteagal 44 de Threoir CBL); ní ghearrtar "
        "CBL. Is ar an gcustaiméir atá aon cháin is iníoctha ansin.",
        "Onnmhairiú díolmhaithe (Airteagal 146 de Threoir CBL)",
    ),
    "hr": (
        "Izvan sustava PDV-a",
        "Mjesto obavljanja usluge je država primatelja (članak 44. Direktive o PDV-u); PDV nije "
        "obračunan. Porez koji se ondje plaća snosi primatelj.",
        "Oslobođeni izvoz (članak 146. Direktive o PDV-u)",
    ),
    "hu": (
        "Az áfa hatályán kívül",
        "A teljesítés helye az igénybevevő országa (a héairányelv 44. cikke); áfa nem kerül "
        "felszámításra. Az ott fizetendő adót az igénybevevő fizeti.",
        "Adómentes export (a héairányelv 146. cikke)",
    ),
    "it": (
        "Operazione non soggetta a IVA",
        "Il luogo della prestazione è il paese del committente (Art. 44 della direttiva IVA); "
        "nessuna IVA addebitata. Le imposte ivi dovute sono a carico del committente.",
        "Esportazione non imponibile (art. 146 della direttiva IVA)",
    ),
    "lt": (
        "PVM neapmokestinama",
        "Paslaugų teikimo vieta yra pirkėjo šalis (PVM direktyvos 44 straipsnis); PVM "
        "neskaičiuojamas. Ten mokėtiną mokestį sumoka pirkėjas.",
        "PVM neapmokestinamas eksportas (PVM direktyvos 146 straipsnis)",
    ),
    "lv": (
        "Ārpus PVN piemērošanas jomas",
        "Pakalpojumu sniegšanas vieta ir saņēmēja valsts (PVN direktīvas 44. pants); PVN nav "
        "aprēķināts. Tur maksājamo nodokli maksā saņēmējs.",
        "Ar PVN neapliekams eksports (PVN direktīvas 146. pants)",
    ),
    "mt": (
        "Barra mill-kamp tal-VAT",
        "Il-post tal-provvista huwa l-pajjiż tal-klijent (Art. 44 tad-Direttiva tal-VAT); ma "
        "tintalab l-ebda VAT. Kull taxxa dovuta hemmhekk titħallas mill-klijent.",
        "Esportazzjoni eżentata (Art. 146 tad-Direttiva tal-VAT)",
    ),
    "nl": (
        "Buiten de reikwijdte van de btw",
        "De plaats van dienst is het land van de afnemer (Art. 44 Btw-richtlijn); er wordt geen "
        "btw in rekening gebracht. Belasting die daar verschuldigd is, draagt de afnemer.",
        "Vrijgestelde uitvoer (art. 146 Btw-richtlijn)",
    ),
    "pl": (
        "Poza zakresem VAT",
        "Miejscem świadczenia jest kraj nabywcy (Art. 44 dyrektywy VAT); nie nalicza się VAT. "
        "Podatek należny w tym kraju rozlicza nabywca.",
        "Eksport zwolniony (art. 146 dyrektywy VAT)",
    ),
    "pt": (
        "Fora do âmbito do IVA",
        "O lugar da prestação é o país do adquirente (Art. 44 da Diretiva IVA); não é "
        "liquidado IVA. O imposto aí devido é da responsabilidade do adquirente.",
        "Exportação isenta (art. 146.º da Diretiva IVA)",
    ),
    "ro": (
        "În afara sferei de aplicare a TVA",
        "Locul prestării este țara beneficiarului (art. 44 din Directiva TVA); nu se facturează "
        "TVA. Orice taxă datorată acolo revine beneficiarului.",
        "Export scutit (art. 146 din Directiva TVA)",
    ),
    "sk": (
        "Mimo predmetu DPH",
        "Miestom dodania je krajina príjemcu (čl. 44 smernice o DPH); DPH sa neúčtuje. Daň "
        "splatnú v tejto krajine platí príjemca.",
        "Oslobodený vývoz (čl. 146 smernice o DPH)",
    ),
    "sl": (
        "Ni predmet DDV",
        "Kraj opravljanja storitve je država prejemnika (člen 44 Direktive o DDV); DDV ni "
        "obračunan. Morebitni davek tam plača prejemnik.",
        "Oproščen izvoz (člen 146 Direktive o DDV)",
    ),
    "sv": (
        "Utanför momsens tillämpningsområde",
        "Platsen för tillhandahållandet är köparens land (artikel 44 i "
        "mervärdesskattedirektivet); ingen mervärdesskatt debiteras. Skatt som ska betalas där "
        "betalas av köparen.",
        "Skattefri export (artikel 146 i mervärdesskattedirektivet)",
    ),
}


def _base(language: str) -> str:
    return (language or "").lower().split("-")[0]


def export_notice(language: str, supplier_country: str) -> dict[str, Any]:
    """The mention on an export invoice in ``language`` (English if we lack it), shaped like
    ``reverse_charge_notice``'s answer."""
    title, sentence, _goods = _EXPORT.get(_base(language), _EXPORT["en"])
    lines = [sentence]
    if (supplier_country or "").upper() == "DE":
        lines.append(GERMAN_EXPORT)
    return {"title": title, "mention": title, "body": " ".join(lines), "lines": lines}


def exemption_text(category: str, language: str) -> str:
    """BT-120 of an e-invoice's VAT breakdown in ``language`` (English if we lack it), for the
    EN 16931 categories that need an exemption reason: AE the official reverse-charge mention
    (Art. 226(11a)), O outside the scope of VAT (services abroad, Art. 44), G the exempt export
    of goods (Art. 146). "" for other categories."""
    language = _base(language)
    if category == "AE":
        return _NOTICES.get(language, _NOTICES["en"])["title"]
    title, _sentence, goods = _EXPORT.get(language, _EXPORT["en"])
    return {"O": title, "G": goods}.get(str(category), "")
