"""Settings → Workspace: the invoice contact and tax number that e-invoices carry (XRechnung's
BR-DE-2/5/6/7 seller contact, BT-32 Steuernummer)."""

import pytest

from mspercury.models import AuditEvent
from tests.mspercury.test_workspace_settings import URL, form_data


def test_it_shows_the_invoice_contact_fields(client_for, dana):
    html = client_for(dana).get(URL).content.decode()
    assert 'id="invoice-contact"' in html
    for name in ("tax_number", "invoice_contact_name", "invoice_phone", "invoice_email"):
        assert f'name="{name}"' in html
    assert 'type="tel"' in html
    assert "Required for XRechnung" in html


def test_it_saves_the_invoice_contact(client_for, dana, alpha):
    data = form_data(
        alpha,
        tax_number="21/815/08150",
        invoice_contact_name="Erika Buchhaltung",
        invoice_phone="+49 30 1234567",
        invoice_email="rechnung@alpha.example",
    )
    r = client_for(dana).post(URL, data)
    assert r.status_code == 302
    alpha.refresh_from_db()
    assert (
        alpha.tax_number,
        alpha.invoice_contact_name,
        alpha.invoice_phone,
        alpha.invoice_email,
    ) == ("21/815/08150", "Erika Buchhaltung", "+49 30 1234567", "rechnung@alpha.example")
    event = AuditEvent.objects.get(workspace=alpha, action="workspace.settings_changed")
    assert "invoice_phone" in event.summary and "tax_number" in event.summary


@pytest.mark.parametrize("number", ["21/815/08150", "1121081508150", "181/815/08155"])
def test_it_accepts_german_tax_numbers_in_state_or_federal_form(client_for, dana, alpha, number):
    assert client_for(dana).post(URL, form_data(alpha, tax_number=number)).status_code == 302
    alpha.refresh_from_db()
    assert alpha.tax_number == number


def test_it_rejects_what_is_no_german_tax_number(client_for, dana, alpha):
    r = client_for(dana).post(URL, form_data(alpha, tax_number="12345"))
    assert r.status_code == 200
    (error,) = r.context["form"].errors["tax_number"]
    assert "This is not a Steuernummer" in error and "21/815/08150" in error
    alpha.refresh_from_db()
    assert alpha.tax_number == ""


def test_it_leaves_other_countries_tax_numbers_unchecked(client_for, dana, alpha):
    r = client_for(dana).post(
        URL,
        form_data(
            alpha, country="AT", country_was="AT", tax_id_type="eu_vat", tax_number="12 345/6789"
        ),
    )
    assert r.status_code == 302
    alpha.refresh_from_db()
    assert alpha.tax_number == "12 345/6789"


def test_it_rejects_an_invalid_invoice_email(client_for, dana, alpha):
    r = client_for(dana).post(URL, form_data(alpha, invoice_email="not an address"))
    assert r.status_code == 200
    assert r.context["form"].errors["invoice_email"]


def test_it_checks_ownership(client_for, charlie, alpha, charlie_ws):
    """Charlie's save changes Charlie's workspace, never Alpha's contact."""
    client_for(charlie).post(URL, form_data(charlie_ws, invoice_phone="+43 1 999"))
    alpha.refresh_from_db()
    charlie_ws.refresh_from_db()
    assert alpha.invoice_phone == "" and charlie_ws.invoice_phone == "+43 1 999"
