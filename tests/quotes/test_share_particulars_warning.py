"""Before a quote goes to the customer, the quote page and the new link's page warn when the
legal form requires company particulars (§35a GmbHG) that the settings lack; sharing still
works (a warning, not a block)."""

from quotes.models import ShareLink

WARNING = 'id="particulars-warning"'


def _gmbh(workspace, **fields):
    workspace.legal_form = "GmbH"
    for name, value in fields.items():
        setattr(workspace, name, value)
    workspace.save()


def test_it_warns_on_the_quote_page(client_for, alice, alpha, quote):
    _gmbh(alpha, registered_seat="München")
    html = client_for(alice).get(f"/quotes/{quote.public_id}/").content.decode()
    assert WARNING in html
    assert "Missing: register court, register number, managing directors." in html
    assert 'href="/settings/workspace/#particulars"' in html


def test_it_warns_on_the_new_links_page_and_shares_anyway(client_for, alice, alpha, quote):
    _gmbh(alpha)
    r = client_for(alice).post(f"/quotes/{quote.public_id}/share/", {"expires_in": "30"})
    assert r.status_code == 200
    assert WARNING in r.content.decode()
    assert ShareLink.objects.filter(quote=quote).exists()


def test_it_is_quiet_when_complete(client_for, alice, alpha, quote):
    _gmbh(
        alpha,
        registered_seat="München",
        register_court="Amtsgericht München",
        register_number="HRB 123456",
        managing_directors="Anna Muster",
    )
    client = client_for(alice)
    assert WARNING not in client.get(f"/quotes/{quote.public_id}/").content.decode()
    r = client.post(f"/quotes/{quote.public_id}/share/", {"expires_in": "30"})
    assert WARNING not in r.content.decode()


def test_it_is_quiet_for_forms_that_need_none(client_for, alice, alpha, quote):
    """A sole trader (no legal form set, no form in the name) is not warned."""
    assert WARNING not in client_for(alice).get(f"/quotes/{quote.public_id}/").content.decode()


def test_it_warns_by_the_name_alone(client_for, alice, alpha, quote):
    alpha.name = "Alpha IT GmbH"
    alpha.save()
    assert WARNING in client_for(alice).get(f"/quotes/{quote.public_id}/").content.decode()


def test_it_speaks_german(client_for, alice, alpha, quote):
    _gmbh(alpha)
    client = client_for(alice)
    client.post("/settings/profile/", {"full_name": "Alice Owner", "language": "de"})
    html = client.get(f"/quotes/{quote.public_id}/").content.decode()
    assert "Es fehlen: Sitz, Registergericht, Registernummer, Geschäftsführer." in html


def test_it_checks_ownership(client_for, charlie, alpha, quote):
    """Charlie never sees Alpha's quote, nor its warning."""
    _gmbh(alpha)
    assert client_for(charlie).get(f"/quotes/{quote.public_id}/").status_code == 404
