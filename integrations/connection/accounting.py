"""Connect, verify, replace and disconnect a workspace's Lexware Office or sevDesk key, and
choose which provider issues the workspace's invoices.

As with the Stripe key (integrations.connection.actions): the provider is asked before anything
is written, so a refused key changes nothing; the provider's own words are shown; the key is
stored encrypted and never shown again, and the audit log names it only by its last four
characters. Lexware Office is asked for the key's profile (``GET /v1/profile``), sevDesk for its
bookkeeping system version and bank accounts.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from integrations.accounting.http import ProviderError
from integrations.connection.actions import ConnectionError_
from integrations.lexware.client import LexwareClient
from integrations.models import (
    AccountingConnection,
    AccountingProvider,
    BillingProvider,
    BillingProviderChoice,
    StripeConnection,
)
from integrations.sevdesk.client import SevdeskClient
from mspercury import audit
from mspercury.texts import Text

KEY_LIMIT = 300
# sevDesk's bookkeeping system "Update 2.0": invoices carry a taxRule, as the connector writes them.
SEVDESK_BOOKKEEPING = "2.0"


class Unusable(Exception):
    """The key works, but its account cannot be used; ``text`` says why."""

    def __init__(self, text: Text):
        super().__init__(text.msgid)
        self.text = text


@dataclass(frozen=True)
class Verified:
    """What the provider answered about the key's account."""

    organization_id: str
    organization_name: str
    facts: dict = field(default_factory=dict)


def provider_name(provider: str) -> str:
    return str(AccountingProvider(provider).label)


def hint(key: str) -> str:
    return f"…{key[-4:]}"


def clean_key(raw_key: str) -> str:
    key = (raw_key or "").strip()
    if not key:
        raise ConnectionError_(_("Paste the API key."))
    if any(c.isspace() for c in key) or len(key) > KEY_LIMIT:
        raise ConnectionError_(
            _("This does not look like an API key: it contains spaces or is too long.")
        )
    return key


def verify(provider: str, key: str) -> Verified:
    """Ask the provider about the key; its failure propagates as a ProviderError, an account
    MSPercury cannot work with as Unusable."""
    if provider == AccountingProvider.LEXWARE:
        profile = LexwareClient(key).profile()
        return Verified(
            str(profile.get("organizationId") or ""),
            str(profile.get("companyName") or ""),
            {
                "tax_type": str(profile.get("taxType") or ""),
                "small_business": bool(profile.get("smallBusiness")),
            },
        )
    client = SevdeskClient(key)
    version = client.bookkeeping_version()
    if version != SEVDESK_BOOKKEEPING:
        raise Unusable(
            Text(
                gettext_noop(
                    "This sevDesk account books with the bookkeeping system %(version)s. "
                    "MSPercury writes invoices with tax rules, which need sevDesk's bookkeeping "
                    "system Update 2.0."
                ),
                version=version,
            )
        )
    accounts = client.check_accounts()
    owner = next((a.get("sevClient") or {} for a in accounts if a.get("sevClient")), {})
    return Verified(
        str(owner.get("id") or ""),
        "",
        {"bookkeeping_version": version, "check_accounts": len(accounts)},
    )


def provider_words(key: str, failure: ProviderError) -> str:
    """The provider's words as it sent them (the key itself, should it echo it, masked)."""
    return str(failure).replace(key, hint(key)) if key else str(failure)


def provider_message(provider: str, key: str, failure: ProviderError) -> str:
    """What the admin reads: the provider's words with the HTTP status it answered."""
    words = provider_words(key, failure)
    if failure.status is None:
        return words
    return _("%(provider)s answered HTTP %(status)s: %(message)s") % {
        "provider": provider_name(provider),
        "status": failure.status,
        "message": words,
    }


def _failure(provider: str, key: str, failure: ProviderError | Unusable) -> tuple[str, object]:
    """(what the admin reads now, the reason kept in the audit log in no language yet)."""
    if isinstance(failure, Unusable):
        return str(failure.text), failure.text
    words = provider_words(key, failure)
    if failure.status is None:
        return words, words
    reason = Text(
        gettext_noop("HTTP %(status)s: %(message)s"), status=failure.status, message=words
    )
    return provider_message(provider, key, failure), reason


def _verified_or_refused(request, workspace, provider: str, key: str, action: str) -> Verified:
    try:
        return verify(provider, key)
    except (ProviderError, Unusable) as failure:
        message, reason = _failure(provider, key, failure)
        audit.record(
            request,
            workspace,
            action,
            Text(
                gettext_noop("%(provider)s refused key %(key)s: %(message)s"),
                provider=provider_name(provider),
                key=hint(key),
                message=reason,
            ),
            provider=provider,
            key=hint(key),
            status=getattr(failure, "status", None),
        )
        raise ConnectionError_(message) from None


def _apply(connection: AccountingConnection, key: str, verified: Verified) -> None:
    connection.api_key = key
    connection.key_last4 = key[-4:]
    connection.organization_id = verified.organization_id
    connection.organization_name = verified.organization_name
    connection.facts = verified.facts
    connection.verified_at = timezone.now()
    connection.last_error = ""


def do_connect(request, workspace, provider: str, raw_key: str) -> AccountingConnection:
    name = provider_name(provider)
    if AccountingConnection.objects.for_workspace(workspace, provider) is not None:
        raise ConnectionError_(
            _("%(provider)s is already connected; use “Replace key”.") % {"provider": name}
        )
    key = clean_key(raw_key)
    verified = _verified_or_refused(request, workspace, provider, key, "accounting.connect_failed")
    connection = AccountingConnection(
        workspace=workspace, provider=provider, connected_by=request.user
    )
    _apply(connection, key, verified)
    try:
        with transaction.atomic():
            connection.save()
            audit.record(
                request,
                workspace,
                "accounting.connected",
                Text(
                    gettext_noop("%(provider)s connected with key %(key)s"),
                    provider=name,
                    key=connection.key_hint,
                ),
                provider=provider,
                key=connection.key_hint,
                organization=verified.organization_id,
            )
    except IntegrityError:
        raise ConnectionError_(
            _("%(provider)s was connected meanwhile by someone else.") % {"provider": name}
        ) from None
    start_read_back(connection)
    return connection


def start_read_back(connection: AccountingConnection) -> None:
    """How payments come back: Lexware's event subscriptions are registered (a failure is kept
    on the connection and can be repaired on the card); sevDesk is polled from now on."""
    if connection.provider == AccountingProvider.LEXWARE:
        from integrations.lexware.readback import register_callbacks

        register_callbacks(connection)
    else:
        connection.polled_until = timezone.now()
        connection.save(update_fields=["polled_until"])


def do_test(request, connection: AccountingConnection) -> None:
    """Verify the stored key again; a failure is kept on the connection and audited."""
    key = connection.api_key
    try:
        verified = verify(connection.provider, key)
    except (ProviderError, Unusable) as failure:
        connection.last_error, reason = _failure(connection.provider, key, failure)
        connection.save(update_fields=["last_error"])
        audit.record(
            request,
            connection.workspace,
            "accounting.test_failed",
            Text(
                gettext_noop("%(provider)s connection test failed: %(message)s"),
                provider=provider_name(connection.provider),
                message=reason,
            ),
            provider=connection.provider,
            key=connection.key_hint,
        )
        raise ConnectionError_(connection.last_error) from None
    _apply(connection, key, verified)
    connection.save()


def do_replace_key(request, connection: AccountingConnection, raw_key: str) -> list[str]:
    """Verify the new key first; only then replace the old one. Returns warnings."""
    workspace, provider = connection.workspace, connection.provider
    key = clean_key(raw_key)
    verified = _verified_or_refused(request, workspace, provider, key, "accounting.replace_failed")
    old_hint, old_organization = connection.key_hint, connection.organization_id
    switched = bool(old_organization) and verified.organization_id != old_organization
    _apply(connection, key, verified)
    with transaction.atomic():
        connection.save()
        audit.record(
            request,
            workspace,
            "accounting.key_replaced",
            Text(
                gettext_noop("%(provider)s key %(old)s replaced by %(new)s"),
                provider=provider_name(provider),
                old=old_hint,
                new=connection.key_hint,
            ),
            provider=provider,
            old_key=old_hint,
            key=connection.key_hint,
            organization=verified.organization_id,
            switched_organization=switched,
        )
    start_read_back(connection)
    if not switched:
        return []
    return [
        _(
            "The new key belongs to another %(provider)s account than the old one. What "
            "MSPercury created with the old key stays in the old account."
        )
        % {"provider": provider_name(provider)}
    ]


def do_disconnect(request, connection: AccountingConnection) -> None:
    workspace, provider, key_hint = connection.workspace, connection.provider, connection.key_hint
    if provider == AccountingProvider.LEXWARE:
        _drop_callbacks(connection)
    with transaction.atomic():
        connection.delete()
        audit.record(
            request,
            workspace,
            "accounting.disconnected",
            Text(
                gettext_noop("%(provider)s key %(key)s removed"),
                provider=provider_name(provider),
                key=key_hint,
            ),
            provider=provider,
            key=key_hint,
        )


def billing_provider(workspace) -> str:
    choice = BillingProviderChoice.objects.for_workspace(workspace)
    return choice.provider if choice else BillingProvider.STRIPE


def is_connected(workspace, provider: str) -> bool:
    if provider == BillingProvider.STRIPE:
        return StripeConnection.objects.for_workspace(workspace) is not None
    return AccountingConnection.objects.for_workspace(workspace, provider) is not None


def do_choose_billing_provider(request, workspace, provider: str) -> bool:
    """Store the choice (a provider must be connected to be chosen); False: it was already."""
    choice = BillingProviderChoice.objects.for_workspace(workspace) or BillingProviderChoice(
        workspace=workspace
    )
    old = choice.provider
    if old == provider:
        return False
    if not is_connected(workspace, provider):
        raise ConnectionError_(
            _("Connect %(provider)s first, then choose it.")
            % {"provider": BillingProvider(provider).label}
        )
    choice.provider = provider
    choice.changed_by = request.user
    with transaction.atomic():
        choice.save()
        audit.record(
            request,
            workspace,
            "accounting.billing_provider_changed",
            Text(
                gettext_noop("Billing provider changed from %(old)s to %(new)s"),
                old=str(BillingProvider(old).label),
                new=str(BillingProvider(provider).label),
            ),
            old=old,
            new=provider,
        )
    return True


def _drop_callbacks(connection: AccountingConnection) -> None:
    """Delete our event subscriptions in Lexware (best effort: a revoked key took them along)."""
    from integrations.lexware.readback import drop_subscriptions

    with contextlib.suppress(ProviderError):
        drop_subscriptions(LexwareClient(connection.api_key), connection.callback_subscriptions)
