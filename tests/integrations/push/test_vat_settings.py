"""The workspace's VAT setting on the integrations page: Stripe Tax, MSPercury's VAT, or the
tax rates the MSP made in Stripe."""

from django.urls import reverse

from integrations.models import PushSettings

URL = reverse("integrations:push_settings")
FORM = {"quantity_mode": "exact"}


def test_it_offers_the_three_vat_modes(client_for, alice):
    """The page shows the choice, MSPercury's VAT with the permission it needs."""
    page = client_for(alice).get(reverse("integrations:stripe_settings")).content.decode()
    for value in ("stripe_tax", "mspercury", "own_rates"):
        assert f'value="{value}"' in page
    assert "Tax Rates: Write" in page


def test_it_switches_to_mspercurys_vat(client_for, alice, alpha):
    """Choosing MSPercury's VAT turns Stripe Tax off and MSPercury's VAT on."""
    PushSettings.objects.create(workspace=alpha, stripe_tax=True)
    response = client_for(alice).post(URL, {**FORM, "vat_mode": "mspercury"})
    assert response.status_code == 302
    prefs = PushSettings.objects.get(workspace=alpha)
    assert (prefs.stripe_tax, prefs.mspercury_vat) == (False, True)
    client_for(alice).post(URL, {**FORM, "vat_mode": "stripe_tax"})
    prefs.refresh_from_db()
    assert (prefs.stripe_tax, prefs.mspercury_vat) == (True, False)
    client_for(alice).post(URL, {**FORM, "vat_mode": "own_rates"})
    prefs.refresh_from_db()
    assert (prefs.stripe_tax, prefs.mspercury_vat) == (False, False)


def test_it_refuses_an_unknown_mode(client_for, alice, alpha):
    response = client_for(alice).post(URL, {**FORM, "vat_mode": "whatever"})
    assert response.status_code == 400
    assert not PushSettings.objects.filter(workspace=alpha, mspercury_vat=True).exists()


def test_it_checks_ownership(client_for, charlie, alpha):
    """Charlie's post changes Charlie's own workspace, never Alpha's."""
    PushSettings.objects.create(workspace=alpha)
    client_for(charlie).post(URL, {**FORM, "vat_mode": "mspercury"})
    assert not PushSettings.objects.get(workspace=alpha).mspercury_vat


def test_members_cannot_change_it(client_for, bob, alpha):
    assert client_for(bob).post(URL, {**FORM, "vat_mode": "mspercury"}).status_code == 403
    assert not PushSettings.objects.filter(workspace=alpha, mspercury_vat=True).exists()


def test_a_form_without_the_mode_keeps_it(client_for, alice, alpha):
    """Posting only the quantity setting leaves MSPercury's VAT on."""
    PushSettings.objects.create(workspace=alpha, mspercury_vat=True)
    assert client_for(alice).post(URL, {"quantity_mode": "round"}).status_code == 302
    prefs = PushSettings.objects.get(workspace=alpha)
    assert (prefs.mspercury_vat, prefs.quantity_mode) == (True, "round")
