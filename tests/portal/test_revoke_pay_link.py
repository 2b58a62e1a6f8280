"""Revoking a pay link from the MSP's invoice page: owners and admins, by POST with CSRF,
audited; the customer who opens it afterwards is told it is no longer valid, in their language."""

import pytest
from django.test import Client
from django.utils import translation

from billing.models import StripeInvoice
from mspercury.models import AuditEvent
from portal import links
from portal.models import PayLink
from tests.portal.test_portal import pushed  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def invoice(pushed):  # noqa: F811
    return StripeInvoice.objects.filter(customer=pushed.customer, status="open").first()


def _revoke_url(invoice, link):
    return f"/billing/invoices/{invoice.public_id}/pay-links/{link.public_id}/revoke/"


def test_an_admin_revokes_a_pay_link_and_the_customer_is_told(client_for, alice, invoice):
    link, token = links.issue_pay_link(invoice, "reminder")
    client = client_for(alice)
    page = client.get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    row = page[page.index(f'data-pay-link="{link.public_id}"') :]
    assert 'data-state="active"' in row[:80] and _revoke_url(invoice, link) in row
    r = client.post(_revoke_url(invoice, link))
    assert r.status_code == 302 and r.url == f"/billing/invoices/{invoice.public_id}/"
    link.refresh_from_db()
    assert link.revoked_at is not None and link.state() == "revoked"
    (event,) = AuditEvent.objects.filter(action="pay_link.revoked")
    assert event.actor == alice and event.details["pay_link"] == str(link.public_id)
    assert invoice.number in event.summary and token not in str(event.details)

    customer_page = Client().get(f"/pay/{token}/")
    with translation.override(invoice.customer.language):
        title = translation.gettext("This payment link is no longer valid")
    assert customer_page.status_code == 200 and title in customer_page.content.decode()
    assert 'data-message="pay_revoked"' in customer_page.content.decode()

    page = client.get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    row = page[page.index(f'data-pay-link="{link.public_id}"') :]
    assert 'data-state="revoked"' in row[:80] and _revoke_url(invoice, link) not in row
    client.post(_revoke_url(invoice, link))  # twice: nothing new recorded
    assert AuditEvent.objects.filter(action="pay_link.revoked").count() == 1


def test_a_member_may_not_revoke(client_for, bob, invoice):
    link, _token = links.issue_pay_link(invoice)
    client = client_for(bob)
    page = client.get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    assert (
        f'data-pay-link="{link.public_id}"' in page and 'data-testid="revoke-pay-link"' not in page
    )
    assert client.post(_revoke_url(invoice, link)).status_code == 403
    assert PayLink.objects.get(pk=link.pk).revoked_at is None


def test_it_needs_post_and_csrf(alice, invoice):
    link, _token = links.issue_pay_link(invoice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(_revoke_url(invoice, link)).status_code == 405
    assert client.post(_revoke_url(invoice, link)).status_code == 403
    assert PayLink.objects.get(pk=link.pk).revoked_at is None


def test_it_checks_ownership(client_for, charlie, invoice):
    """Another workspace's admin gets 404 for our invoice's link."""
    link, _token = links.issue_pay_link(invoice)
    assert client_for(charlie).post(_revoke_url(invoice, link)).status_code == 404
    assert PayLink.objects.get(pk=link.pk).revoked_at is None


def test_a_link_of_another_invoice_is_not_found_here(client_for, alice, invoice, pushed):  # noqa: F811
    other = StripeInvoice.objects.filter(customer=pushed.customer).exclude(pk=invoice.pk).get()
    link, _token = links.issue_pay_link(other)
    assert client_for(alice).post(_revoke_url(invoice, link)).status_code == 404
    assert PayLink.objects.get(pk=link.pk).revoked_at is None
