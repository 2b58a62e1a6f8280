"""Company particulars of business letters (§35a GmbHG, §80 AktG, §§37a, 125, 177a HGB): which
legal forms need them, what is missing, and the footer lines in the document's language."""

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from mspercury.models import Workspace
from mspercury.particulars import (
    AG,
    EK,
    EKFM,
    EKFR,
    GERMAN_LEGAL_FORMS,
    GGMBH,
    GMBH,
    GMBH_CO_KG,
    KG,
    KGAA,
    OHG,
    SE,
    UG,
    UG_CO_KG,
    canonical_legal_form,
    has_particulars,
    legal_form_of,
    missing_particulars,
    name_with_legal_form,
    particulars_data,
    particulars_lines,
    requires_particulars,
)
from tests.factories import BANK_ACCOUNT, GMBH_PARTICULARS

COMPLETE = {
    "name": "Muster IT",
    "country": "DE",
    **{k: v for k, v in GMBH_PARTICULARS.items() if k != "legal_form"},
    "supervisory_board_chair": "Clara Aufsicht",
    "tax_id_type": "eu_vat",
    "tax_id": "DE136695976",
    **BANK_ACCOUNT,
}


def ws(**fields):
    return {"name": "Muster IT", "country": "DE", **fields}


def en(function, *args):
    with translation.override("en"):
        return function(*args)


# requires_particulars


@pytest.mark.parametrize("form", GERMAN_LEGAL_FORMS)
def test_it_requires_particulars_of_every_german_commercial_form(form):
    """GmbH, UG, gGmbH, AG, SE, KGaA, e.K., OHG, KG and GmbH & Co. KG in Germany."""
    assert requires_particulars(form, "DE")
    assert requires_particulars(form, "de")


@pytest.mark.parametrize("form", GERMAN_LEGAL_FORMS)
def test_it_requires_nothing_outside_germany(form):
    """German company law binds German companies; an Austrian GmbH is not checked here."""
    assert not requires_particulars(form, "AT")
    assert not requires_particulars(form, "")


@pytest.mark.parametrize("form", ["", "GbR", "Einzelunternehmen", "Freiberufler", "Ltd", "SAS"])
def test_it_requires_nothing_of_other_forms(form):
    assert not requires_particulars(form, "DE")


@pytest.mark.parametrize(
    ("typed", "form"),
    [
        ("gmbh", GMBH),
        ("Gesellschaft mit beschränkter Haftung", GMBH),
        ("UG", UG),
        ("ug (haftungsbeschränkt)", UG),
        ("Unternehmergesellschaft (haftungsbeschränkt)", UG),
        ("gGmbH", GGMBH),
        ("Aktiengesellschaft", AG),
        ("se", SE),
        ("kgaa", KGAA),
        ("e. K.", EK),
        ("eK", EK),
        ("eingetragener Kaufmann", EKFM),
        ("eingetragene Kauffrau", EKFR),
        ("ohg", OHG),
        ("Kommanditgesellschaft", KG),
        ("GmbH & Co. KG", GMBH_CO_KG),
        ("gmbh & co kg", GMBH_CO_KG),
        ("UG (haftungsbeschränkt) & Co. KG", UG_CO_KG),
        ("  Ltd  ", "Ltd"),
        ("", ""),
    ],
)
def test_it_writes_legal_forms_as_the_law_does(typed, form):
    assert canonical_legal_form(typed) == form


def test_it_reads_the_legal_form_from_the_name_when_none_is_set():
    """A "Muster IT GmbH" that never chose its legal form is still a GmbH."""
    assert legal_form_of(ws(name="Muster IT GmbH")) == GMBH
    assert legal_form_of(ws(name="Muster IT GmbH & Co. KG")) == GMBH_CO_KG
    assert legal_form_of(ws(name="Muster IT")) == ""
    assert legal_form_of(ws(name="Muster IT GmbH", legal_form="AG")) == AG


# missing_particulars


def test_it_lists_everything_a_gmbh_lacks():
    """Seat, court, number and managing directors (§35a GmbHG); no chair unless one exists."""
    assert en(missing_particulars, ws(legal_form="GmbH")) == [
        "registered seat",
        "register court",
        "register number",
        "managing directors",
    ]


@pytest.mark.parametrize("form", [GMBH, UG, GGMBH])
@pytest.mark.parametrize(
    ("field", "word"),
    [
        ("registered_seat", "registered seat"),
        ("register_court", "register court"),
        ("register_number", "register number"),
        ("managing_directors", "managing directors"),
    ],
)
def test_it_names_each_missing_item_of_a_limited_company(form, field, word):
    data = {**COMPLETE, "legal_form": form, field: ""}
    assert en(missing_particulars, data) == [word]


@pytest.mark.parametrize("form", [GMBH, UG, GGMBH, SE, OHG, KG, GMBH_CO_KG, EK])
def test_it_misses_nothing_when_complete(form):
    assert missing_particulars({**COMPLETE, "legal_form": form}) == []


def test_it_asks_an_ag_for_its_board_members_and_supervisory_chair():
    """§80 AktG: all members of the management board and the chair of the supervisory board."""
    assert en(missing_particulars, ws(legal_form="AG")) == [
        "registered seat",
        "register court",
        "register number",
        "members of the management board",
        "chair of the supervisory board",
    ]
    assert en(missing_particulars, {**COMPLETE, "legal_form": AG, "supervisory_board_chair": ""})
    assert missing_particulars({**COMPLETE, "legal_form": AG}) == []


def test_it_asks_an_se_for_its_board_but_not_for_a_chair():
    """A monistic SE has no supervisory board; its chair is not asked for."""
    assert en(missing_particulars, {**COMPLETE, "legal_form": SE, "managing_directors": ""}) == [
        "members of the management board"
    ]
    assert missing_particulars({**COMPLETE, "legal_form": SE, "supervisory_board_chair": ""}) == []


def test_it_asks_a_kgaa_for_its_general_partners_and_chair():
    assert en(missing_particulars, ws(legal_form="KGaA"))[-2:] == [
        "general partners",
        "chair of the supervisory board",
    ]


@pytest.mark.parametrize("form", [EK, EKFM, EKFR])
def test_it_asks_a_registered_merchant_for_place_court_and_number_only(form):
    """§37a HGB: no managing directors for an e.K."""
    assert en(missing_particulars, ws(legal_form=form)) == [
        "place of business",
        "register court",
        "register number",
    ]


@pytest.mark.parametrize("form", [OHG, KG])
def test_it_asks_a_partnership_for_seat_court_and_number_only(form):
    assert en(missing_particulars, ws(legal_form=form)) == [
        "registered seat",
        "register court",
        "register number",
    ]


@pytest.mark.parametrize("form", [GMBH_CO_KG, UG_CO_KG])
def test_it_asks_a_gmbh_co_kg_for_the_general_partners_directors(form):
    """§177a HGB: no natural person is liable, so the general partner's directors are named."""
    assert en(missing_particulars, ws(legal_form=form))[-1] == (
        "managing directors of the general partner"
    )


def test_it_asks_nothing_of_an_empty_workspace():
    assert missing_particulars({}) == []
    assert missing_particulars(ws()) == []


def test_it_asks_a_gmbh_by_its_name_too():
    assert "register court" in en(missing_particulars, ws(name="Muster IT GmbH"))


def test_it_asks_nothing_outside_germany():
    assert missing_particulars(ws(legal_form="GmbH", country="AT")) == []


def test_it_ignores_blank_director_lines():
    assert en(missing_particulars, {**COMPLETE, "legal_form": GMBH, "managing_directors": "\n \n"})


def test_it_speaks_german_to_german_staff():
    with translation.override("de"):
        assert missing_particulars(ws(legal_form="GmbH")) == [
            "Sitz",
            "Registergericht",
            "Registernummer",
            "Geschäftsführer",
        ]


# particulars_lines


def test_it_prints_a_gmbhs_footer_in_german():
    with translation.override("de"):
        lines = particulars_lines({**COMPLETE, "legal_form": "GmbH"})
    assert lines == [
        "Muster IT GmbH",
        "Sitz: München",
        "Amtsgericht München, HRB 123456",
        "Geschäftsführer: Anna Muster, Bernd Beispiel",
        "Aufsichtsratsvorsitz: Clara Aufsicht",
        "USt-IdNr.: DE136695976",
        "Bankverbindung: Muster IT GmbH, Commerzbank, IBAN DE89 3704 0044 0532 0130 00, "
        "BIC COBADEFFXXX",
    ]


def test_it_prints_a_gmbhs_footer_in_english():
    lines = en(particulars_lines, {**COMPLETE, "legal_form": "GmbH"})
    assert lines[1:4] == [
        "Registered office: München",
        "Amtsgericht München, HRB 123456",
        "Managing directors: Anna Muster, Bernd Beispiel",
    ]
    assert lines[4] == "Chair of the supervisory board: Clara Aufsicht"
    assert lines[6].startswith("Bank account: ")


def test_it_says_managing_director_for_one():
    lines = en(particulars_lines, {**COMPLETE, "legal_form": "GmbH", "managing_directors": "A B"})
    assert "Managing director: A B" in lines


@pytest.mark.parametrize(
    ("form", "english", "german"),
    [
        (GMBH, "Managing directors: ", "Geschäftsführer: "),
        (UG, "Managing directors: ", "Geschäftsführer: "),
        (GGMBH, "Managing directors: ", "Geschäftsführer: "),
        (AG, "Management board: ", "Vorstand: "),
        (SE, "Management board: ", "Vorstand: "),
        (KGAA, "General partners: ", "Persönlich haftende Gesellschafter: "),
        (EK, "Owner: ", "Inhaber: "),
        (OHG, "Managing partners: ", "Geschäftsführende Gesellschafter: "),
        (KG, "Managing partners: ", "Geschäftsführende Gesellschafter: "),
        (GMBH_CO_KG, "Managing directors of the general partner: ", "Geschäftsführer der "),
        (UG_CO_KG, "Managing directors of the general partner: ", "Geschäftsführer der "),
        ("Ltd", "Managing directors: ", "Geschäftsführer: "),
    ],
)
def test_it_names_the_representatives_by_legal_form(form, english, german):
    data = {**COMPLETE, "legal_form": form}
    assert any(line.startswith(english) for line in en(particulars_lines, data))
    with translation.override("de"):
        assert any(line.startswith(german) for line in particulars_lines(data))


@pytest.mark.parametrize(
    ("name", "form", "line"),
    [
        ("Muster IT", "GmbH", "Muster IT GmbH"),
        ("Muster IT GmbH", "GmbH", "Muster IT GmbH"),
        ("Muster IT gmbh", "GmbH", "Muster IT GmbH"),
        ("Muster UG", "UG", "Muster UG (haftungsbeschränkt)"),
        ("Muster UG (haftungsbeschränkt)", "UG", "Muster UG (haftungsbeschränkt)"),
        ("Muster", "e.K.", "Muster e.K."),
        ("Muster GmbH & Co. KG", "GmbH & Co. KG", "Muster GmbH & Co. KG"),
        ("Muster Ltd", "Ltd", "Muster Ltd"),
        ("Muster", "", "Muster"),
    ],
)
def test_it_writes_the_legal_form_once(name, form, line):
    assert name_with_legal_form(name, form) == line


def test_it_prints_the_place_of_business_of_a_merchant():
    with translation.override("de"):
        lines = particulars_lines({**COMPLETE, "legal_form": "e.K."})
    assert "Handelsniederlassung: München" in lines


def test_it_prints_the_tax_number_only_without_a_vat_id():
    """§14 Abs. 4 Nr. 2 UStG needs one of them; the Steuernummer stays private otherwise."""
    data = {**COMPLETE, "tax_number": "21/815/08150"}
    assert not any("21/815/08150" in line for line in en(particulars_lines, data))
    data["tax_id"] = ""
    assert "Tax number: 21/815/08150" in en(particulars_lines, data)
    with translation.override("de"):
        assert "Steuernummer: 21/815/08150" in particulars_lines(data)


def test_it_leaves_out_the_bank_without_an_iban():
    lines = en(particulars_lines, {**COMPLETE, "iban": ""})
    assert not any("Commerzbank" in line for line in lines)


def test_it_prints_only_what_there_is():
    assert en(particulars_lines, ws(legal_form="GmbH", register_number="HRB 1")) == [
        "Muster IT GmbH",
        "HRB 1",
    ]


def test_it_prints_nothing_for_an_empty_workspace():
    assert particulars_lines({}) == []
    assert particulars_lines(ws()) == []
    assert particulars_lines(ws(name="Muster IT GmbH")) == []


def test_it_prints_the_legal_form_the_name_lacks():
    """A GmbH whose name lacks "GmbH" still shows it: the legal form is a particular."""
    assert particulars_lines(ws(legal_form="GmbH")) == ["Muster IT GmbH"]


@pytest.mark.parametrize("language", ["fr", "it", "es", "nl", "pl"])
def test_it_speaks_the_customers_language(language):
    with translation.override(language):
        lines = particulars_lines({**COMPLETE, "legal_form": "GmbH"})
    assert not any(
        line.startswith(("Registered office", "Managing", "Bank account")) for line in lines
    )
    assert "Amtsgericht München, HRB 123456" in lines


@given(
    st.fixed_dictionaries(
        {},
        optional={
            name: st.text(max_size=30)
            for name in (
                "name",
                "legal_form",
                "registered_seat",
                "register_court",
                "register_number",
                "managing_directors",
                "supervisory_board_chair",
                "bank_name",
                "tax_number",
            )
        },
    )
)
def test_it_never_prints_an_empty_line_and_names_first(data):
    lines = particulars_lines({**data, "country": "DE"})
    assert all(line.strip() for line in lines)
    name = name_with_legal_form(data.get("name", ""), legal_form_of(data))
    if lines and name:
        assert lines[0] == name


def test_it_reads_a_workspace_and_its_snapshot_alike(db):
    workspace = Workspace.objects.create(
        country="DE",
        legal_form="GmbH",
        **{k: v for k, v in COMPLETE.items() if k not in {"country"}},
    )
    snapshot = {
        "name": workspace.name,
        "country": "DE",
        "tax_id_type": workspace.tax_id_type,
        "tax_id": workspace.tax_id,
        **particulars_data(workspace),
    }
    assert particulars_data(workspace)["managing_directors"] == ["Anna Muster", "Bernd Beispiel"]
    assert en(particulars_lines, workspace) == en(particulars_lines, snapshot)
    assert missing_particulars(workspace) == missing_particulars(snapshot) == []


@pytest.mark.parametrize(
    "field",
    [
        "legal_form",
        "registered_seat",
        "register_court",
        "register_number",
        "managing_directors",
        "supervisory_board_chair",
        "iban",
    ],
)
def test_it_tells_whether_any_particular_is_set(field):
    assert has_particulars(ws(**{field: "x"}))
    assert not has_particulars(ws(**{field: "  "}))


def test_it_counts_neither_name_nor_tax_id_as_particulars():
    assert not has_particulars(ws(name="Muster IT GmbH", tax_id="DE136695976", tax_number="1"))
    assert not has_particulars({})
