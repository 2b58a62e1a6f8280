"""Settings → Workspace: time zone, VAT taxation method, company particulars and bank account,
each checked where a mistake can be told and stored in one form."""

import pytest

from mspercury.models import AuditEvent, VatTaxation
from tests.factories import GMBH_PARTICULARS
from tests.mspercury.test_workspace_settings import URL, form_data

GMBH = GMBH_PARTICULARS


def save(client, workspace, **fields):
    return client.post(URL, form_data(workspace, **fields))


def error(response, field) -> str:
    assert response.status_code == 200, "the form should have been refused"
    (message,) = response.context["form"].errors[field]
    return message


def test_it_shows_the_new_sections(client_for, dana):
    html = client_for(dana).get(URL).content.decode()
    for section in ('id="time-zone"', 'id="particulars"', 'id="bank-account"'):
        assert section in html
    for name in ("time_zone", "vat_taxation", "legal_form", "iban", "bic", "sepa_creditor_id"):
        assert f'name="{name}"' in html
    assert '<option value="UG (haftungsbeschränkt)">' in html  # the legal-form suggestions
    assert "800,000 EUR" in html  # the §20 UStG note


def test_it_offers_the_countrys_zone_as_the_default(client_for, dana):
    """Alpha is German and has no zone of its own: the blank choice names Europe/Berlin."""
    html = client_for(dana).get(URL).content.decode()
    assert "Your country&#x27;s zone (Europe/Berlin)" in html
    assert '<option value="America/New_York">' in html


def test_it_saves_a_time_zone(client_for, dana, alpha):
    assert save(client_for(dana), alpha, time_zone="Europe/Vienna").status_code == 302
    alpha.refresh_from_db()
    assert alpha.time_zone == "Europe/Vienna"
    assert str(alpha.zone) == "Europe/Vienna"


def test_it_keeps_blank_as_the_countrys_zone(client_for, dana, alpha):
    assert save(client_for(dana), alpha, time_zone="").status_code == 302
    alpha.refresh_from_db()
    assert alpha.time_zone == "" and str(alpha.zone) == "Europe/Berlin"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "posixrules", "CET; DROP TABLE"])
def test_it_refuses_what_is_no_zone(client_for, dana, alpha, zone):
    assert error(save(client_for(dana), alpha, time_zone=zone), "time_zone")


def test_it_saves_the_vat_taxation_method(client_for, dana, alpha):
    assert alpha.vat_taxation == VatTaxation.AGREED
    save(client_for(dana), alpha, vat_taxation="received")
    alpha.refresh_from_db()
    assert alpha.vat_taxation == VatTaxation.RECEIVED


def test_it_keeps_the_method_when_a_form_leaves_it_out(client_for, dana, alpha):
    alpha.vat_taxation = VatTaxation.RECEIVED
    alpha.save()
    assert save(client_for(dana), alpha).status_code == 302
    alpha.refresh_from_db()
    assert alpha.vat_taxation == VatTaxation.RECEIVED


def test_it_refuses_an_unknown_method(client_for, dana, alpha):
    assert error(save(client_for(dana), alpha, vat_taxation="cash"), "vat_taxation")


def test_it_saves_the_particulars_of_a_gmbh(client_for, dana, alpha):
    r = save(client_for(dana), alpha, **GMBH, supervisory_board_chair="Clara Aufsicht")
    assert r.status_code == 302
    alpha.refresh_from_db()
    assert (alpha.legal_form, alpha.registered_seat, alpha.register_court) == (
        "GmbH",
        "München",
        "Amtsgericht München",
    )
    assert alpha.register_number == "HRB 123456"
    assert alpha.managing_directors == "Anna Muster\nBernd Beispiel"
    assert alpha.supervisory_board_chair == "Clara Aufsicht"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("ug", "UG (haftungsbeschränkt)"), ("gmbh & co kg", "GmbH & Co. KG"), ("SAS", "SAS")],
)
def test_it_writes_the_legal_form_as_the_law_does(client_for, dana, alpha, typed, stored):
    save(client_for(dana), alpha, legal_form=typed)
    alpha.refresh_from_db()
    assert alpha.legal_form == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("München", "Amtsgericht München"), ("AG  Köln", "Amtsgericht Köln")],
)
def test_it_names_the_register_court_in_full(client_for, dana, alpha, typed, stored):
    save(client_for(dana), alpha, register_court=typed)
    alpha.refresh_from_db()
    assert alpha.register_court == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("hrb123456", "HRB 123456"), ("HRB 12345 b", "HRB 12345 B"), ("GnR 12", "GnR 12")],
)
def test_it_writes_register_numbers_one_way(client_for, dana, alpha, typed, stored):
    save(client_for(dana), alpha, register_number=typed)
    alpha.refresh_from_db()
    assert alpha.register_number == stored


@pytest.mark.parametrize("number", ["123456", "HRX 1", "HRB", "HRB 12a34"])
def test_it_refuses_a_register_number_without_its_register(client_for, dana, alpha, number):
    assert "e.g. HRB 123456" in error(
        save(client_for(dana), alpha, register_number=number), "register_number"
    )


def test_it_refuses_the_wrong_register_for_the_legal_form(client_for, dana, alpha):
    """A GmbH is in the HRB, a KG in the HRA (§3 HRV)."""
    message = error(
        save(client_for(dana), alpha, legal_form="GmbH", register_number="HRA 1"),
        "register_number",
    )
    assert message == "Each GmbH is registered in the HRB, not the HRA."
    assert error(
        save(client_for(dana), alpha, legal_form="KG", register_number="HRB 1"), "register_number"
    )


def test_it_leaves_foreign_register_numbers_unchecked(client_for, dana, charlie_ws, charlie):
    r = save(client_for(charlie), charlie_ws, register_number="FN 123456 a", register_court="Wien")
    assert r.status_code == 302
    charlie_ws.refresh_from_db()
    assert (charlie_ws.register_number, charlie_ws.register_court) == ("FN 123456 a", "Wien")


def test_it_keeps_one_director_per_line(client_for, dana, alpha):
    save(client_for(dana), alpha, managing_directors="  Anna   Muster \n\n Dr. Bernd Beispiel\n")
    alpha.refresh_from_db()
    assert alpha.managing_directors == "Anna Muster\nDr. Bernd Beispiel"


@pytest.mark.parametrize("name", ["Muster", "A. Muster", "Dr. Muster"])
def test_it_asks_for_first_names_in_full(client_for, dana, alpha, name):
    """§35a GmbHG: family name and at least one first name written out."""
    message = error(
        save(client_for(dana), alpha, managing_directors=f"Anna Muster\n{name}"),
        "managing_directors",
    )
    assert f"Write “{name}” with at least one first name in full" in message
    assert error(
        save(client_for(dana), alpha, supervisory_board_chair=name), "supervisory_board_chair"
    )


def test_it_limits_the_directors(client_for, dana, alpha):
    many = "\n".join(f"Anna Muster{i}" for i in range(21))
    assert "At most 20" in error(
        save(client_for(dana), alpha, managing_directors=many), "managing_directors"
    )
    assert "longer than 100" in error(
        save(client_for(dana), alpha, managing_directors="Anna " + "M" * 120),
        "managing_directors",
    )


def test_it_stores_the_iban_compact_and_shows_it_grouped(client_for, dana, alpha):
    r = save(
        client_for(dana),
        alpha,
        iban="de89 3704 0044 0532 0130 00",
        bic="cobadeffxxx",
        bank_account_holder="Alpha IT GmbH",
        bank_name="Commerzbank",
    )
    assert r.status_code == 302
    alpha.refresh_from_db()
    assert (alpha.iban, alpha.bic) == ("DE89370400440532013000", "COBADEFFXXX")
    html = client_for(dana).get(URL).content.decode()
    assert 'value="DE89 3704 0044 0532 0130 00"' in html


@pytest.mark.parametrize(
    ("iban", "words"),
    [
        ("DE89 3704 0044 0532 0130 01", "check digits do not match"),
        ("DE89 3704 0044 0532 0130", "wrong length or format for an IBAN from DE"),
        ("XX89 3704 0044 0532 0130 00", "No country issues IBANs starting with XX"),
        ("not an iban", "This is not an IBAN"),
    ],
)
def test_it_tells_what_is_wrong_with_an_iban(client_for, dana, alpha, iban, words):
    assert words in error(save(client_for(dana), alpha, iban=iban), "iban")
    alpha.refresh_from_db()
    assert alpha.iban == ""


@pytest.mark.parametrize(
    ("bic", "words"),
    [
        ("COBADEFF1", "8 or 11 characters"),
        ("COBAXXFFXXX", "country code"),
        ("12BADEFFXXX", "This is not a BIC"),
    ],
)
def test_it_tells_what_is_wrong_with_a_bic(client_for, dana, alpha, bic, words):
    assert words in error(save(client_for(dana), alpha, bic=bic), "bic")


def test_it_accepts_an_eight_character_bic(client_for, dana, alpha):
    assert save(client_for(dana), alpha, bic="COBADEFF").status_code == 302


def test_it_stores_the_creditor_identifier_compact(client_for, dana, alpha):
    save(client_for(dana), alpha, sepa_creditor_id="de98 zzz0 9999 9999 99")
    alpha.refresh_from_db()
    assert alpha.sepa_creditor_id == "DE98ZZZ09999999999"


@pytest.mark.parametrize(
    ("value", "words"),
    [("DE99ZZZ09999999999", "check digits"), ("hello", "not a SEPA creditor identifier")],
)
def test_it_refuses_a_bad_creditor_identifier(client_for, dana, alpha, value, words):
    assert words in error(save(client_for(dana), alpha, sepa_creditor_id=value), "sepa_creditor_id")


def test_it_warns_about_missing_particulars(client_for, dana, alpha):
    """A GmbH without court and directors is told what is missing; the rest saves anyway."""
    r = save(client_for(dana), alpha, legal_form="GmbH", registered_seat="München")
    assert r.status_code == 302
    html = client_for(dana).get(URL).content.decode()
    assert 'id="particulars-missing"' in html
    assert "register court, register number, managing directors" in html
    save(client_for(dana), alpha, **GMBH)
    assert 'id="particulars-missing"' not in client_for(dana).get(URL).content.decode()


def test_it_speaks_german(client_for, dana, alpha):
    client = client_for(dana)
    client.post("/settings/profile/", {"full_name": "Dana Admin", "language": "de"})
    r = save(client, alpha, iban="DE89 3704 0044 0532 0130 01")
    assert "Die Prüfziffern der IBAN stimmen nicht" in r.content.decode()
    save(client, alpha, legal_form="GmbH", registered_seat="Köln")
    html = client.get(URL).content.decode()
    assert "Registergericht, Registernummer, Geschäftsführer" in html
    assert "Zeitzone Ihres Landes (Europe/Berlin)" in html


def test_it_audits_the_changed_fields(client_for, alice, alpha):
    save(client_for(alice), alpha, **GMBH, iban="DE89370400440532013000", time_zone="UTC")
    event = AuditEvent.objects.get(workspace=alpha, action="workspace.settings_changed")
    assert event.details["changed"] == [
        "time_zone",
        "legal_form",
        "registered_seat",
        "register_court",
        "register_number",
        "managing_directors",
        "iban",
    ]
    assert "DE89" not in event.summary  # names of fields, not their values


def test_it_does_not_audit_an_unchanged_iban(client_for, alice, alpha):
    alpha.iban = "DE89370400440532013000"
    alpha.save()
    save(client_for(alice), alpha, iban="DE89 3704 0044 0532 0130 00")
    assert not AuditEvent.objects.filter(action="workspace.settings_changed").exists()


def test_it_forbids_members_to_save_particulars(client_for, bob, alpha):
    assert save(client_for(bob), alpha, **GMBH).status_code == 403
    alpha.refresh_from_db()
    assert alpha.legal_form == ""


def test_it_checks_ownership(client_for, charlie, alpha, charlie_ws):
    """Charlie's save changes Charlie's workspace, never Alpha's bank account."""
    save(client_for(charlie), charlie_ws, iban="AT61 1904 3002 3457 3201", legal_form="GmbH")
    alpha.refresh_from_db()
    charlie_ws.refresh_from_db()
    assert alpha.iban == "" and alpha.legal_form == ""
    assert charlie_ws.iban == "AT611904300234573201"
