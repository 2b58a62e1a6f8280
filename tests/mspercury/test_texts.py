"""Words written by a worker in English and read later in the reader's language."""

from email.header import decode_header, make_header

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

from integrations.models import StripeEvent
from integrations.webhooks.failures import notify_failure
from mspercury.models import Notification
from mspercury.texts import Joined, Text, plural, render, stored
from tests.mail_server import Inbox


def test_a_text_reads_in_the_active_language_and_survives_storage():
    text = Text(gettext_noop("Customer “%(name)s”"), name="ACME GmbH")
    assert str(text) == "Customer “ACME GmbH”"
    with translation.override("de"):
        assert str(text) == "Kunde „ACME GmbH“"
        assert render(stored(text)) == "Kunde „ACME GmbH“"


def test_texts_nest_and_join():
    inner = Text(gettext_noop("Finalize the invoice"))
    text = Text("%(a)s / %(b)s", a=inner, b=Joined([inner, "x"], ", "))
    with translation.override("de"):
        assert str(text) == render(stored(text))
        assert str(text).count(str(inner)) == 2 and str(text).endswith(", x")
    assert render(stored(Text("%(lines)s", lines=["a", "b"]))) == "a\nb"


@pytest.mark.parametrize("count,english", [(1, "1 Stripe event"), (3, "3 Stripe events")])
def test_plural_forms_follow_the_number(count, english):
    text = plural(
        "%(count)s Stripe event not processed", "%(count)s Stripe events not processed", count
    )
    assert str(text) == f"{english} not processed"
    with translation.override("de"):
        assert str(text).startswith(f"{count} ") and "Stripe" in str(text)
        assert str(text) != str(Text(text.msgid))


def test_plain_words_stored_before_texts_read_as_they_are():
    assert render("Push of Q-1 failed") == "Push of Q-1 failed"
    assert render({}) == "" and render(None) == "" and stored("plain") == {}


def test_a_translation_whose_placeholders_do_not_fit_falls_back_to_english():
    data = {"msgid": "Customer “%(name)s”", "params": {"other": 1}}
    assert render(data).startswith("Customer")  # no KeyError on a page


def test_a_workers_notification_reads_in_each_readers_language_in_the_bell_and_the_mail(
    client_for, alice, dana, alpha, smtp_server: Inbox, django_capture_on_commit_callbacks
):
    """A Celery worker (English) tells owners and admins of a failed event: the German owner
    reads it in German, on the page and in her mail; the English admin in English."""
    alice.language = "de"
    alice.save(update_fields=["language"])
    event = StripeEvent.objects.create(
        workspace=alpha,
        stripe_account="acct_1",
        event_id="evt_1",
        event_type="invoice.paid",
        payload={"id": "evt_1", "data": {"object": {"id": "in_1", "object": "invoice"}}},
    )
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        notification = notify_failure(event, "boom", ours=True)
    assert notification.title == "Stripe event invoice.paid could not be processed"
    client = client_for(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"  # what signing in sets for her
    german = client.get("/billing/notifications/").content.decode()
    assert "Stripe-Ereignis invoice.paid" in german and "could not be processed" not in german
    mails = {m["To"]: m for m in smtp_server.wait(2)}
    subject = {
        to: " ".join(str(make_header(decode_header(m["Subject"]))).split())
        for to, m in mails.items()
    }
    assert "Stripe-Ereignis invoice.paid konnte nicht" in subject[alice.email]
    assert "MSPercury konnte" in Inbox.text(mails[alice.email])
    assert "Stripe event invoice.paid could not be processed" in subject[dana.email]
    client = client_for(dana)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/billing/notifications/").content.decode()
    assert "Stripe event invoice.paid could not be processed" in english
    assert Notification.objects.get().shown_title == notification.title
