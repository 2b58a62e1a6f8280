"""The quote's owner hears when the customer accepts, re-accepts or declines the quote: in the
bell (theirs alone) and by mail in their own language with a link to the quote, unless they
turned that kind of mail off in their profile."""

from decimal import Decimal
from email.header import decode_header, make_header

import pytest
from django.test import Client
from django.utils import translation

from mspercury.models import Membership, Notification
from quotes import actions, sharing
from quotes.models import QuoteAcceptance, QuoteLine
from tests.quotes.share_helpers import accept_data, add_priced_lines, page_url, share


@pytest.fixture
def shared(quote, rmm, setup_fee, acme):
    acme.language = "fr"  # the customer's pages are French; the owner reads German
    acme.save()
    add_priced_lines(quote, rmm, setup_fee)
    _, token = share(quote)
    quote.token = token
    return quote


def _accept(token, commit):
    client = Client()
    html = client.get(page_url(token)).content.decode()
    with commit():
        assert client.post(page_url(token, "accept"), accept_data(html)).status_code == 302


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """The tests run in a transaction: send what waits for the commit, as a request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _mails(smtp_server, count=1):
    return [m for m in smtp_server.wait(count, timeout=2) if "[MSPercury]" in subject(m)]


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_it_tells_the_owner_of_an_acceptance_in_their_language(
    shared, alice, bob, smtp_server, client_for, commit
):
    alice.language = "de"
    alice.save()
    _accept(shared.token, commit)
    notice = Notification.objects.get(kind=Notification.Kind.QUOTE_ACCEPTED)
    assert notice.recipient == alice
    # Stored in English, shown and mailed in the reader's language (mspercury.texts).
    assert notice.title == f"Acme GmbH accepted quote {shared.number}"
    with translation.override("de"):
        assert notice.shown_title == f"Acme GmbH hat Angebot {shared.number} angenommen"
    assert "Carla Customer" in notice.body and notice.url == f"/quotes/{shared.public_id}/"
    (mail,) = _mails(smtp_server)
    assert mail["To"] == "alice@example.org"
    assert "angenommen" in str(make_header(decode_header(mail["Subject"])))
    assert f"http://127.0.0.1:8000/quotes/{shared.public_id}/" in smtp_server.text(mail)
    assert client_for(bob).get("/billing/notifications/").context["unread_notifications"] == 0
    page = client_for(alice).get("/billing/notifications/")
    assert page.context["unread_notifications"] == 1


def test_it_tells_the_owner_of_a_decline_with_the_reason(shared, alice, smtp_server, commit):
    with commit():
        response = Client().post(page_url(shared.token, "decline"), {"reason": "Too expensive"})
    assert response.status_code == 302
    notice = Notification.objects.get(kind=Notification.Kind.QUOTE_DECLINED)
    assert notice.recipient == alice and "Too expensive" in notice.body
    assert notice.title == f"Acme GmbH declined quote {shared.number}"
    assert [m["To"] for m in _mails(smtp_server)] == ["alice@example.org"]


def test_it_tells_the_owner_of_a_re_acceptance(shared, alice, smtp_server, commit):
    _accept(shared.token, commit)
    shared.refresh_from_db()
    actions.do_update_line(
        QuoteLine.objects.get(quote=shared, description="RMM agent"), quantity=Decimal("20")
    )
    shared.refresh_from_db()
    _, token = share(shared)
    _accept(token, commit)
    shared.refresh_from_db()
    notice = Notification.objects.get(kind=Notification.Kind.QUOTE_REACCEPTED)
    assert notice.recipient == alice
    assert f"(revision {shared.revision})" in notice.title
    assert len(_mails(smtp_server, 2)) == 2


def test_staff_marking_it_accepted_notifies_nobody(shared, alice, smtp_server):
    shared.refresh_from_db()
    sharing.do_accept_quote(
        shared,
        via=QuoteAcceptance.Via.MANUAL,
        name="Alice Owner",
        revision=shared.revision,
        sha256=None,
        user=alice,
    )
    assert not Notification.objects.exists()


def test_muted_mail_still_rings_the_bell(shared, alice, smtp_server, client_for, commit):
    client = client_for(alice)
    html = client.get("/settings/profile/").content.decode()
    assert 'value="quote_accepted"' in html
    kinds = [k for k, _ in Notification.Kind.choices if k != "quote_accepted"]
    data = {"full_name": "Alice Owner", "language": "en", "mail_kinds": kinds}
    assert client.post("/settings/profile/", data).status_code == 302
    alice.refresh_from_db()
    assert alice.mail_muted_kinds == ["quote_accepted"]
    _accept(shared.token, commit)
    assert Notification.objects.filter(recipient=alice, kind="quote_accepted").exists()
    assert _mails(smtp_server, 1) == []


def test_an_owner_who_left_is_replaced_by_the_owners_and_admins(
    shared, alice, dana, bob, smtp_server, commit
):
    shared.created_by = bob
    shared.save()
    Membership.objects.filter(user=bob).delete()
    _accept(shared.token, commit)
    notice = Notification.objects.get(kind=Notification.Kind.QUOTE_ACCEPTED)
    assert notice.recipient is None
    (mail,) = _mails(smtp_server)
    assert sorted(mail["To"].split(", ")) == ["alice@example.org", "dana@example.org"]
