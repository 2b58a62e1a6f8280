"""Company particulars of business letters: which a German MSP must print, which are missing,
and the footer lines of its documents. Pure: reads a Workspace or a document snapshot's
"workspace" mapping (``particulars_data``), never the database.

Company law, independent of VAT: every business letter to a named recipient, in whatever form,
quotes and invoices included, carries the legal form, the seat, the register court and number
and the people who represent the company (notes/german-vat-filing-and-invoice-particulars.md §4):
- GmbH, UG (haftungsbeschränkt), gGmbH: §35a Abs. 1 GmbHG (all managing directors, and the chair
  of the supervisory board where the company has formed one);
- AG, SE, KGaA: §80 Abs. 1 AktG (all members of the management board, the chair of the
  supervisory board); the KGaA through §278 Abs. 3 AktG, its general partners in the board's
  place (§283 AktG);
- e.K.: §37a Abs. 1 HGB (firm, the designation e.K./e.Kfm./e.Kfr., place of business, register
  court and number);
- OHG and KG: §125 HGB, §177a HGB (legal form, seat, register court and number); where no
  partner is a natural person (GmbH & Co. KG), also the general partner's particulars, its
  managing directors included (§177a with §125 Abs. 1 S. 2 HGB, formerly §125a HGB).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from stdnum import iban as iban_number

from rules.wording import tax_id_line

GMBH = "GmbH"
UG = "UG (haftungsbeschränkt)"
GGMBH = "gGmbH"
AG = "AG"
SE = "SE"
KGAA = "KGaA"
EK = "e.K."
EKFM = "e.Kfm."
EKFR = "e.Kfr."
OHG = "OHG"
KG = "KG"
GMBH_CO_KG = "GmbH & Co. KG"
UG_CO_KG = "UG (haftungsbeschränkt) & Co. KG"

# The forms the settings offer, in the order they are offered.
GERMAN_LEGAL_FORMS = (GMBH, UG, GGMBH, AG, SE, KGAA, EK, EKFM, EKFR, OHG, KG, GMBH_CO_KG, UG_CO_KG)

LIMITED = frozenset({GMBH, UG, GGMBH})  # §35a GmbHG
STOCK = frozenset({AG, SE, KGAA})  # §80 AktG
MERCHANTS = frozenset({EK, EKFM, EKFR})  # §37a HGB
PARTNERSHIPS = frozenset({OHG, KG})  # §§125, 177a HGB
LIMITED_PARTNERSHIPS = frozenset({GMBH_CO_KG, UG_CO_KG})  # §177a HGB, no natural person liable

# How people write them → the form as the law names it. Keys are lower case without spaces.
_SPELLINGS = {
    "gmbh": GMBH,
    "gesellschaftmitbeschränkterhaftung": GMBH,
    "ug": UG,
    "ug(haftungsbeschränkt)": UG,
    "unternehmergesellschaft(haftungsbeschränkt)": UG,
    "ggmbh": GGMBH,
    "ag": AG,
    "aktiengesellschaft": AG,
    "se": SE,
    "kgaa": KGAA,
    "kommanditgesellschaftaufaktien": KGAA,
    "ek": EK,
    "e.k.": EK,
    "eingetragenerkaufmann": EKFM,
    "eingetragenekauffrau": EKFR,
    "e.kfm.": EKFM,
    "e.kfr.": EKFR,
    "ohg": OHG,
    "offenehandelsgesellschaft": OHG,
    "kg": KG,
    "kommanditgesellschaft": KG,
    "gmbh&co.kg": GMBH_CO_KG,
    "gmbh&cokg": GMBH_CO_KG,
    "gmbhundco.kg": GMBH_CO_KG,
    "ug(haftungsbeschränkt)&co.kg": UG_CO_KG,
    "ug&co.kg": UG_CO_KG,
    "ug&cokg": UG_CO_KG,
}

SEAT = gettext_lazy("registered seat")
PLACE_OF_BUSINESS = gettext_lazy("place of business")
REGISTER_COURT = gettext_lazy("register court")
REGISTER_NUMBER = gettext_lazy("register number")
MANAGING_DIRECTORS = gettext_lazy("managing directors")
BOARD_MEMBERS = gettext_lazy("members of the management board")
GENERAL_PARTNERS = gettext_lazy("general partners")
PARTNER_DIRECTORS = gettext_lazy("managing directors of the general partner")
BOARD_CHAIR = gettext_lazy("chair of the supervisory board")


def _key(text: str) -> str:
    return "".join((text or "").split()).lower()


def canonical_legal_form(text: str) -> str:
    """A German legal form as the law writes it ("ug" → "UG (haftungsbeschränkt)"); any other
    text as typed, whitespace collapsed."""
    return _SPELLINGS.get(_key(text), " ".join((text or "").split()))


def _form_in_name(name: str) -> str:
    """The German legal form the company name ends with, or ""."""
    words = (name or "").split()
    for start in range(max(0, len(words) - 4), len(words)):
        form = _SPELLINGS.get(_key(" ".join(words[start:])))
        if form:
            return form
    return ""


def _get(source: Any, name: str, default: Any = "") -> Any:
    if isinstance(source, Mapping):
        return source.get(name, default)
    return getattr(source, name, default)


def _country(source: Any) -> str:
    country = _get(source, "country")
    return str(getattr(country, "code", country) or "").upper()


def legal_form_of(source: Any) -> str:
    """The legal form as set, else the one the company name ends with ("Muster IT GmbH")."""
    return canonical_legal_form(_get(source, "legal_form")) or _form_in_name(_get(source, "name"))


def requires_particulars(legal_form: str, country: str) -> bool:
    """Whether German company law requires the particulars on business letters: corporations
    (§35a GmbHG, §80 AktG), registered merchants (§37a HGB) and commercial partnerships (§§125,
    177a HGB) of a German MSP. Sole traders not in the register and GbRs are not covered."""
    if (country or "").upper() != "DE":
        return False
    form = canonical_legal_form(legal_form)
    return form in LIMITED | STOCK | MERCHANTS | PARTNERSHIPS | LIMITED_PARTNERSHIPS


def directors(source: Any) -> list[str]:
    """The managing directors (board members, general partners), one per line."""
    value = _get(source, "managing_directors") or ""
    names = value if isinstance(value, list | tuple) else str(value).splitlines()
    return [" ".join(name.split()) for name in names if name.strip()]


def missing_particulars(source: Any) -> list[str]:
    """What the law requires of this workspace's business letters and the settings lack, in
    words ("register court", "managing directors"); [] when nothing is required or missing."""
    form = legal_form_of(source)
    if not requires_particulars(form, _country(source)):
        return []
    seat = PLACE_OF_BUSINESS if form in MERCHANTS else SEAT
    required = [
        (seat, _get(source, "registered_seat")),
        (REGISTER_COURT, _get(source, "register_court")),
        (REGISTER_NUMBER, _get(source, "register_number")),
    ]
    people = {
        **dict.fromkeys(LIMITED, MANAGING_DIRECTORS),
        AG: BOARD_MEMBERS,
        SE: BOARD_MEMBERS,
        KGAA: GENERAL_PARTNERS,
        **dict.fromkeys(LIMITED_PARTNERSHIPS, PARTNER_DIRECTORS),
    }.get(form)
    if people is not None:
        required.append((people, directors(source)))
    if form in {AG, KGAA}:  # both must have a supervisory board (§§95, 287 AktG)
        required.append((BOARD_CHAIR, _get(source, "supervisory_board_chair")))
    return [str(label) for label, value in required if _blank(value)]


def _blank(value: Any) -> bool:
    return not value if isinstance(value, list) else not str(value or "").strip()


def name_with_legal_form(name: str, legal_form: str) -> str:
    """The firm with its legal form, written once and as the law writes it: "Muster UG" with
    UG → "Muster UG (haftungsbeschränkt)" (§5a Abs. 1 GmbHG)."""
    name = " ".join((name or "").split())
    form = canonical_legal_form(legal_form)
    if not form:
        return name
    words = name.split()
    for start in range(max(0, len(words) - 4), len(words)):
        tail = " ".join(words[start:])
        if canonical_legal_form(tail) == form or _key(tail) == _key(form):
            return " ".join([*words[:start], form])
    return f"{name} {form}".strip()


def _directors_line(form: str, names: list[str]) -> str:
    people = {"names": ", ".join(names)}
    count = len(names)
    if form in STOCK - {KGAA}:
        return _("Management board: %(names)s") % people
    if form == KGAA:
        return ngettext("General partner: %(names)s", "General partners: %(names)s", count) % people
    if form in LIMITED_PARTNERSHIPS:
        return (
            ngettext(
                "Managing director of the general partner: %(names)s",
                "Managing directors of the general partner: %(names)s",
                count,
            )
            % people
        )
    if form in PARTNERSHIPS:
        return (
            ngettext("Managing partner: %(names)s", "Managing partners: %(names)s", count) % people
        )
    if form in MERCHANTS:
        return _("Owner: %(names)s") % people
    return ngettext("Managing director: %(names)s", "Managing directors: %(names)s", count) % people


def bank_line(source: Any) -> str:
    """ "Bank account: holder, bank, IBAN in groups of four, BIC", or "" without an IBAN."""
    iban = _get(source, "iban")
    if not iban:
        return ""
    parts = [
        _get(source, "bank_account_holder"),
        _get(source, "bank_name"),
        f"IBAN {iban_number.format(iban)}",
        f"BIC {_get(source, 'bic')}" if _get(source, "bic") else "",
    ]
    return _("Bank account: %(details)s") % {"details": ", ".join(p for p in parts if p)}


def particulars_lines(source: Any) -> list[str]:
    """The footer lines of a business letter, in the active language: the firm with its legal
    form first, then seat, register, the people who represent it, the supervisory board's chair,
    the VAT ID (else the tax number, §14 Abs. 4 Nr. 2 UStG asks for one of them) and the bank
    account. [] when there is nothing to say beyond the name."""
    form = legal_form_of(source)
    seat = " ".join(str(_get(source, "registered_seat") or "").split())
    court = " ".join(str(_get(source, "register_court") or "").split())
    number = " ".join(str(_get(source, "register_number") or "").split())
    names = directors(source)
    chair = " ".join(str(_get(source, "supervisory_board_chair") or "").split())
    tax = tax_id_line(_country(source), _get(source, "tax_id_type"), _get(source, "tax_id"))
    if not tax and _get(source, "tax_number"):
        tax = _("Tax number: %(number)s") % {"number": _get(source, "tax_number")}
    candidates: list[Any] = [
        seat
        and (
            _("Place of business: %(place)s") % {"place": seat}
            if form in MERCHANTS
            else _("Registered office: %(seat)s") % {"seat": seat}
        ),
        ", ".join(part for part in (court, number) if part),
        names and _directors_line(form, names),
        chair and _("Chair of the supervisory board: %(name)s") % {"name": chair},
        tax,
        bank_line(source),
    ]
    lines: list[str] = [line for line in candidates if line]
    name = name_with_legal_form(_get(source, "name"), form)
    if not lines and name == " ".join(str(_get(source, "name") or "").split()):
        return []
    return [name, *lines] if name else lines


PARTICULARS_FIELDS = (
    "legal_form",
    "registered_seat",
    "register_court",
    "register_number",
    "supervisory_board_chair",
    "tax_number",
    "bank_account_holder",
    "bank_name",
    "iban",
    "bic",
)


def has_particulars(source: Any) -> bool:
    """Whether any company particular or the bank account is set (beyond name and tax ID)."""
    fields = (*PARTICULARS_FIELDS[:5], "iban")
    return bool(directors(source)) or any(str(_get(source, name) or "").strip() for name in fields)


def particulars_data(workspace: Any) -> dict[str, Any]:
    """The workspace's particulars as plain strings, for a document's frozen snapshot (its
    name, address, country and tax ID are already there)."""
    return {
        **{name: str(getattr(workspace, name) or "") for name in PARTICULARS_FIELDS},
        "managing_directors": directors(workspace),
    }
