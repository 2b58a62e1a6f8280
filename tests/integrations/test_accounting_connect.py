"""Settings → Integrations: connect, verify, replace and disconnect a Lexware Office or sevDesk
key, and choose the billing provider, over real HTTP against the doubles."""

import io
import logging

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from emulators.lexware import DEFAULT_KEY as LEXWARE_KEY
from emulators.lexware import DEFAULT_ORGANIZATION
from integrations.models import AccountingConnection, BillingProviderChoice
from mspercury.models import AuditEvent

PAGE = "/settings/integrations/"
SEVDESK_TOKEN = "5e7d3b1f0c9a4e2d8b6f1a3c5e7d9b0f"


@pytest.fixture(autouse=True)
def doubles(settings, lexware_emulator, sevdesk_emulator):
    settings.MSPERCURY_LEXWARE_API_URL = lexware_emulator.base_url
    settings.MSPERCURY_SEVDESK_API_URL = sevdesk_emulator.api_url
    settings.MSPERCURY_LEXWARE_RATE_LIMIT = 0
    settings.MSPERCURY_SEVDESK_RATE_LIMIT = 0


def _connect(client, provider, key):
    return client.post(f"/settings/integrations/{provider}/connect/", {f"{provider}-key": key})


def _replace(client, provider, key):
    return client.post(
        f"/settings/integrations/{provider}/replace/", {f"{provider}-replace-key": key}
    )


def _lexware_key(lexware_emulator, name="Muster IT GmbH", **spec):
    return lexware_emulator.add_key(name=name, **spec)


def _everything_said(client, alpha) -> str:
    """The page, the audit log and every stored audit row, as one text."""
    events = AuditEvent.objects.filter(workspace=alpha)
    rows = " ".join(f"{e.summary} {e.summary_text} {e.details}" for e in events)
    return (
        client.get(PAGE).content.decode() + client.get("/settings/audit/").content.decode() + rows
    )


def test_it_connects_lexware_verified_by_the_profile_and_shows_only_the_hint(
    client_for, alice, alpha, lexware_emulator, caplog
):
    spec = _lexware_key(lexware_emulator)
    key = spec["key"]
    client = client_for(alice)
    with caplog.at_level(logging.DEBUG):
        r = _connect(client, "lexware", f"  {key}\n")
    assert r.status_code == 302
    connection = AccountingConnection.objects.get(workspace=alpha)
    assert (connection.provider, connection.api_key) == ("lexware", key)
    assert connection.key_last4 == key[-4:]
    assert (connection.organization_id, connection.organization_name) == (
        spec["organizationId"],
        "Muster IT GmbH",
    )
    assert connection.connected_by == alice and connection.verified_at
    assert connection.facts == {"tax_type": "net", "small_business": False}
    # The key is verified by its profile; then the event subscriptions are registered (here
    # refused: the test's public URL is not reachable; tests/integrations/accounting/
    # test_lexware_readback.py registers them).
    paths = [q["path"] for q in lexware_emulator.requests()]
    assert paths[0] == "/v1/profile" and set(paths[1:]) <= {"/v1/event-subscriptions"}
    said = _everything_said(client, alpha)
    assert "Muster IT GmbH" in said and f"…{key[-4:]}" in said
    assert key not in said and key not in caplog.text
    event = AuditEvent.objects.get(action="accounting.connected")
    assert event.summary == f"Lexware Office connected with key …{key[-4:]}"
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT key_encrypted FROM integrations_accountingconnection")
        (raw,) = cursor.fetchone()
    assert key not in raw
    dump = io.StringIO()
    call_command("dumpdata", "integrations", stdout=dump)
    assert key not in dump.getvalue()


def test_a_refused_key_shows_lexwares_words_and_stores_nothing(
    client_for, alice, alpha, lexware_emulator
):
    key = "not-a-lexware-key-9876"
    client = client_for(alice)
    r = _connect(client, "lexware", key)
    html = r.content.decode()
    assert r.status_code == 400
    assert "Lexware Office answered HTTP 401: Unauthorized" in html  # {"message":"Unauthorized"}
    assert key not in html
    assert not AccountingConnection.objects.exists()
    event = AuditEvent.objects.get(action="accounting.connect_failed")
    assert event.details["key"] == "…9876"
    assert key not in _everything_said(client, alpha)


def test_it_connects_sevdesk_verified_by_version_and_bank_accounts(
    client_for, alice, alpha, sevdesk_emulator
):
    client = client_for(alice)
    r = _connect(client, "sevdesk", SEVDESK_TOKEN)
    assert r.status_code == 302
    connection = AccountingConnection.objects.get(workspace=alpha)
    assert (connection.provider, connection.api_key) == ("sevdesk", SEVDESK_TOKEN)
    assert connection.organization_id == "1"  # the sevClient behind the token
    assert connection.facts == {"bookkeeping_version": "2.0", "check_accounts": 1}
    html = client.get(PAGE).content.decode()
    assert "…9b0f" in html and SEVDESK_TOKEN not in html


def test_a_refused_sevdesk_token_shows_sevdesks_words(client_for, alice, sevdesk_emulator):
    r = _connect(client_for(alice), "sevdesk", "0" * 32)
    assert r.status_code == 400
    assert "sevDesk answered HTTP 401: Authentication required" in r.content.decode()
    assert not AccountingConnection.objects.exists()


def test_a_sevdesk_account_on_the_old_bookkeeping_system_is_refused_with_the_reason(
    client_for, alice, alpha, sevdesk_emulator
):
    """The token works, but MSPercury writes tax rules (Update 2.0): nothing is stored, the
    reason is shown, and the audit entry keeps it in the reader's language."""
    sevdesk_emulator.config(bookkeeping_version="1.0")
    client = client_for(alice)
    r = _connect(client, "sevdesk", SEVDESK_TOKEN)
    assert r.status_code == 400
    assert "books with the bookkeeping system 1.0" in r.content.decode()
    assert not AccountingConnection.objects.exists()
    event = AuditEvent.objects.get(action="accounting.connect_failed")
    with translation.override("de"):
        assert "bucht mit dem Buchhaltungssystem 1.0" in event.shown_summary


def test_an_unreachable_provider_stores_nothing(client_for, alice, settings):
    settings.MSPERCURY_LEXWARE_API_URL = "http://127.0.0.1:9"
    r = _connect(client_for(alice), "lexware", LEXWARE_KEY)
    assert r.status_code == 400
    assert "Lexware Office could not be reached" in r.content.decode()
    assert not AccountingConnection.objects.exists()


def test_replacing_verifies_the_new_key_first_then_replaces_it(
    client_for, alice, alpha, lexware_emulator
):
    client = client_for(alice)
    _connect(client, "lexware", LEXWARE_KEY)
    r = _replace(client, "lexware", "revoked-or-mistyped-1111")
    assert r.status_code == 400 and "Unauthorized" in r.content.decode()
    assert AccountingConnection.objects.get().api_key == LEXWARE_KEY  # a failure changes nothing
    assert AuditEvent.objects.filter(action="accounting.replace_failed").count() == 1
    new = lexware_emulator.add_key(organizationId=DEFAULT_ORGANIZATION)["key"]
    r = _replace(client, "lexware", new)
    assert r.status_code == 302
    connection = AccountingConnection.objects.get()
    assert connection.api_key == new and connection.key_last4 == new[-4:]
    event = AuditEvent.objects.get(action="accounting.key_replaced")
    assert event.details["switched_organization"] is False
    assert event.summary == f"Lexware Office key …{LEXWARE_KEY[-4:]} replaced by …{new[-4:]}"
    assert new not in _everything_said(client, alpha)


def test_a_key_of_another_organization_is_replaced_with_a_warning(
    client_for, alice, lexware_emulator
):
    client = client_for(alice)
    _connect(client, "lexware", LEXWARE_KEY)
    other = _lexware_key(lexware_emulator, name="Andere GmbH")["key"]
    html = client.post(
        "/settings/integrations/lexware/replace/", {"lexware-replace-key": other}, follow=True
    ).content.decode()
    assert "belongs to another Lexware Office account" in html
    assert AccountingConnection.objects.get().organization_name == "Andere GmbH"


def test_disconnect_needs_confirmation_and_removes_the_key(client_for, alice, sevdesk_emulator):
    client = client_for(alice)
    _connect(client, "sevdesk", SEVDESK_TOKEN)
    client.post("/settings/integrations/sevdesk/disconnect/")
    assert AccountingConnection.objects.exists()
    client.post("/settings/integrations/sevdesk/disconnect/", {"confirm": "yes"})
    assert not AccountingConnection.objects.exists()
    event = AuditEvent.objects.get(action="accounting.disconnected")
    assert event.summary == "sevDesk key …9b0f removed"
    html = client.get(PAGE).content.decode()
    assert 'name="sevdesk-key"' in html  # the connect form is back


def test_testing_a_revoked_key_keeps_the_providers_words(client_for, alice, lexware_emulator):
    key = _lexware_key(lexware_emulator)["key"]
    client = client_for(alice)
    _connect(client, "lexware", key)
    r = client.post("/settings/integrations/lexware/test/", follow=True)
    assert "The Lexware Office key works." in r.content.decode()
    lexware_emulator.revoke_key(key)
    html = client.post("/settings/integrations/lexware/test/", follow=True).content.decode()
    assert "Lexware Office answered HTTP 401: Unauthorized" in html
    connection = AccountingConnection.objects.get()
    assert connection.last_error == "Lexware Office answered HTTP 401: Unauthorized"
    assert AuditEvent.objects.filter(action="accounting.test_failed").count() == 1


def test_changes_need_a_recent_two_factor_check(client_for, dana, lexware_emulator):
    client = client_for(dana, recent_2fa=False)
    r = _connect(client, "lexware", LEXWARE_KEY)
    assert r.status_code == 302 and r["Location"].startswith("/settings/security/")
    for action, data in [
        ("billing-provider", {"provider": "stripe"}),
        ("sevdesk/replace", {"sevdesk-replace-key": SEVDESK_TOKEN}),
        ("sevdesk/test", {}),
        ("sevdesk/disconnect", {"confirm": "yes"}),
    ]:
        r = client.post(f"/settings/integrations/{action}/", data)
        assert r.status_code == 302 and r["Location"].startswith("/settings/security/")
    assert not AccountingConnection.objects.exists()
    assert lexware_emulator.requests() == []  # nothing was sent to Lexware
    html = client.get(PAGE).content.decode()
    assert 'name="lexware-key"' not in html and 'name="sevdesk-key"' not in html
    assert "two-factor check from the last few minutes" in html
    assert 'name="lexware-key"' in client_for(dana).get(PAGE).content.decode()


def test_a_member_sees_the_state_but_may_change_nothing(client_for, alice, bob, lexware_emulator):
    _connect(client_for(alice), "lexware", LEXWARE_KEY)
    client = client_for(bob)
    html = client.get(PAGE).content.decode()
    assert "Emulator GmbH" in html and "Only owners and admins can change the Lexware" in html
    assert "Disconnect Lexware Office" not in html
    for action, data in [
        ("lexware/connect", {"lexware-key": LEXWARE_KEY}),
        ("sevdesk/connect", {"sevdesk-key": SEVDESK_TOKEN}),
        ("lexware/replace", {"lexware-replace-key": LEXWARE_KEY}),
        ("lexware/test", {}),
        ("lexware/disconnect", {"confirm": "yes"}),
        ("billing-provider", {"provider": "lexware"}),
    ]:
        assert client.post(f"/settings/integrations/{action}/", data).status_code == 403
    assert AccountingConnection.objects.count() == 1
    assert not BillingProviderChoice.objects.exists()


def test_another_workspace_neither_sees_nor_touches_the_connection(
    client_for, alice, charlie, charlie_ws, lexware_emulator
):
    _connect(client_for(alice), "lexware", LEXWARE_KEY)
    client = client_for(charlie)
    html = client.get(PAGE).content.decode()
    assert "Emulator GmbH" not in html and 'name="lexware-key"' in html
    assert client.post("/settings/integrations/lexware/test/").status_code == 404
    r = client.post("/settings/integrations/lexware/disconnect/", {"confirm": "yes"})
    assert r.status_code == 404
    r = client.post("/settings/integrations/lexware/replace/", {"lexware-replace-key": "x1234"})
    assert r.status_code == 404
    r = client.post("/settings/integrations/billing-provider/", {"provider": "lexware"})
    assert r.status_code == 400 and "Connect Lexware Office first" in r.content.decode()
    assert AccountingConnection.objects.filter(workspace=alice.last_workspace).count() == 1
    # Charlie connects his own: one connection each, per workspace.
    _connect(client, "lexware", _lexware_key(lexware_emulator, name="Charlie Buch")["key"])
    assert AccountingConnection.objects.get(workspace=charlie_ws).organization_name == (
        "Charlie Buch"
    )


def test_the_billing_provider_is_stripe_until_a_connected_one_is_chosen(
    client_for, alice, alpha, sevdesk_emulator
):
    client = client_for(alice)
    html = client.get(PAGE).content.decode()
    assert 'data-testid="billing-provider">Stripe<' in html
    r = client.post("/settings/integrations/billing-provider/", {"provider": "sevdesk"})
    assert r.status_code == 400 and "Connect sevDesk first, then choose it." in r.content.decode()
    assert not BillingProviderChoice.objects.exists()
    _connect(client, "sevdesk", SEVDESK_TOKEN)
    r = client.post("/settings/integrations/billing-provider/", {"provider": "sevdesk"})
    assert r.status_code == 302
    choice = BillingProviderChoice.objects.get(workspace=alpha)
    assert (choice.provider, choice.changed_by) == ("sevdesk", alice)
    event = AuditEvent.objects.get(action="accounting.billing_provider_changed")
    assert event.summary == "Billing provider changed from Stripe to sevDesk"
    html = client.get(PAGE).content.decode()
    assert 'data-testid="billing-provider">sevDesk<' in html
    assert "billing-provider-unconnected" not in html
    # Disconnecting the chosen provider keeps the choice and says it is not connected.
    client.post("/settings/integrations/sevdesk/disconnect/", {"confirm": "yes"})
    html = client.get(PAGE).content.decode()
    assert 'data-testid="billing-provider-unconnected"' in html


def test_the_page_notes_that_neither_tool_has_a_sandbox(client_for, bob):
    html = client_for(bob).get(PAGE).content.decode()
    assert "Lexware Office has no sandbox or test mode" in html
    assert "free trial account" in html
    assert "sevDesk has no sandbox or test mode either" in html


def test_the_entries_read_german_for_a_german_reader(client_for, alice, lexware_emulator):
    client = client_for(alice)
    _connect(client, "lexware", "wrong-key-4321")
    _connect(client, "lexware", LEXWARE_KEY)
    client.post("/settings/integrations/billing-provider/", {"provider": "lexware"})
    client.post("/settings/integrations/lexware/disconnect/", {"confirm": "yes"})
    alice.language = "de"
    alice.save(update_fields=["language"])
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "de"
    html = client.get("/settings/audit/").content.decode()
    hint = f"…{LEXWARE_KEY[-4:]}"
    assert f"Lexware Office mit Schlüssel {hint} verbunden" in html
    assert "Lexware Office hat Schlüssel …4321 abgelehnt: HTTP 401: Unauthorized" in html
    assert "Rechnungsstellung von Stripe auf Lexware Office umgestellt" in html
    assert f"Schlüssel {hint} für Lexware Office entfernt" in html
    assert "Buchhaltungsprogramm verbunden" in html  # the action's label
    page = client.get(PAGE).content.decode()
    assert "Lexware Office hat keine Sandbox" in page


def test_the_page_asks_the_same_number_of_queries_whatever_is_connected(
    client_for, alice, alpha, django_assert_num_queries
):
    client = client_for(alice)
    client.get(PAGE)
    with CaptureQueriesContext(db_connection) as none:
        assert client.get(PAGE).status_code == 200
    for provider, key in (("lexware", LEXWARE_KEY), ("sevdesk", SEVDESK_TOKEN)):
        connection = AccountingConnection(
            workspace=alpha, provider=provider, key_last4=key[-4:], connected_by=alice
        )
        connection.api_key = key
        connection.save()
    BillingProviderChoice.objects.create(workspace=alpha, provider="lexware")
    with django_assert_num_queries(len(none.captured_queries)):
        html = client.get(PAGE).content.decode()
    assert html.count("Disconnect Lexware Office") == 1 and "Disconnect sevDesk" in html
    tables = " ".join(q["sql"] for q in none.captured_queries)
    assert tables.count('FROM "integrations_accountingconnection"') == 1
    assert tables.count('FROM "integrations_billingproviderchoice"') == 1


def test_a_stored_key_decrypts_only_on_its_own_row(alpha, alice):
    """The key is bound to its row: copied onto another connection it does not decrypt."""
    from mspercury.secrets import DecryptionError

    first = AccountingConnection(workspace=alpha, provider="lexware", key_last4="abcd")
    first.api_key = "secret-abcd"
    first.save()
    second = AccountingConnection(workspace=alpha, provider="sevdesk", key_last4="abcd")
    second.key_encrypted = first.key_encrypted
    second.save()
    with pytest.raises(DecryptionError):
        _ = second.api_key


def test_a_provider_answer_that_echoes_the_key_is_shown_masked():
    """Lexware's gateway repeats a bearer token in some 403 answers: the key never reaches the
    page or the audit log that way either."""
    from integrations.accounting.http import Refused
    from integrations.connection.accounting import provider_message

    key = "abcdefghijklmnop-4711"
    failure = Refused(
        "Lexware Office",
        f"'{key}' not a valid key=value pair (missing equal-sign) in Authorization header",
        status=403,
    )
    message = provider_message("lexware", key, failure)
    assert message == (
        "Lexware Office answered HTTP 403: '…4711' not a valid key=value pair (missing "
        "equal-sign) in Authorization header"
    )
