"""Recognise, verify and probe a Stripe API key."""

from dataclasses import dataclass, field, replace

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from integrations.stripe.client import call, make_client
from integrations.stripe.errors import FailureKind, StripeFailure
from mspercury.texts import Text

KEY_PREFIXES = {
    "rk_test_": ("restricted", "test"),
    "rk_live_": ("restricted", "live"),
    "sk_test_": ("secret", "test"),
    "sk_live_": ("secret", "live"),
}


class KeyFormatError(ValueError):
    """What is wrong with a pasted key; ``text`` is also kept in the audit log, where each
    reader sees it in their own language."""

    def __init__(self, text: Text):
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class KeyInfo:
    key: str
    kind: str  # "restricted" or "secret"
    mode: str  # "test" or "live"

    @property
    def prefix(self) -> str:
        return self.key[:8]

    @property
    def last4(self) -> str:
        return self.key[-4:]

    @property
    def masked(self) -> str:
        return f"{self.prefix}…{self.last4}"


def parse_key(raw: str) -> KeyInfo:
    """Trim and recognise a pasted key, or raise KeyFormatError with a specific message."""
    key = "".join((raw or "").split())
    if not key:
        raise KeyFormatError(Text(gettext_noop("Paste your Stripe key.")))
    if key.startswith("pk_"):
        raise KeyFormatError(
            Text(
                gettext_noop(
                    "This is a publishable key (pk_…). It cannot create invoices. Create a "
                    "restricted key (rk_test_… or rk_live_…) in the Stripe Dashboard under "
                    "Developers → API keys."
                )
            )
        )
    if key.startswith("whsec_"):
        raise KeyFormatError(
            Text(
                gettext_noop(
                    "This is a webhook signing secret (whsec_…), not an API key. Paste a "
                    "restricted key (rk_…) here."
                )
            )
        )
    for prefix, (kind, mode) in KEY_PREFIXES.items():
        if key.startswith(prefix):
            if len(key) < len(prefix) + 8:
                raise KeyFormatError(
                    Text(gettext_noop("This key is too short; copy the whole key from Stripe."))
                )
            return KeyInfo(key=key, kind=kind, mode=mode)
    raise KeyFormatError(
        Text(
            gettext_noop(
                "This does not look like a Stripe API key. Restricted keys start with rk_test_ "
                "or rk_live_, secret keys with sk_test_ or sk_live_."
            )
        )
    )


@dataclass(frozen=True)
class Scope:
    code: str
    label: str
    access: str  # what the product needs: "write" or "read"
    probe: str  # the harmless read that shows the key can at least read it


REQUIRED_SCOPES = [
    Scope("customers", gettext_lazy("Customers"), "write", "customers"),
    Scope("invoices", gettext_lazy("Invoices"), "write", "invoices"),
    Scope("subscriptions", gettext_lazy("Subscriptions"), "write", "subscriptions"),
    Scope("products", gettext_lazy("Products"), "write", "products"),
    Scope("prices", gettext_lazy("Prices"), "write", "prices"),
    Scope("tax_ids", gettext_lazy("Tax IDs (Customers)"), "write", "tax_ids"),
    Scope("tax_rates", gettext_lazy("Tax Rates"), "read", "tax_rates"),
    Scope("webhook_endpoints", gettext_lazy("Webhook Endpoints"), "write", "webhook_endpoints"),
]

# Not needed for quotes and pushes; each makes one part of getting paid work in Stripe too.
OPTIONAL_SCOPES = [
    (
        Scope("payment_records", gettext_lazy("Payment Records"), "write", ""),
        gettext_lazy("partial manual payments recorded on the Stripe invoice"),
    ),
    (
        Scope("checkout_sessions", gettext_lazy("Checkout Sessions"), "write", ""),
        gettext_lazy("pay links through Checkout (card, SEPA Direct Debit)"),
    ),
    (
        Scope("payment_intents", gettext_lazy("Payment Intents"), "read", ""),
        gettext_lazy("the payment method and its country for each payment"),
    ),
    (
        Scope("refunds", gettext_lazy("Refunds"), "read", ""),
        gettext_lazy("refunds made in Stripe lower what was paid"),
    ),
    (
        Scope("credit_notes", gettext_lazy("Credit Notes"), "read", ""),
        gettext_lazy("credit notes made in Stripe lower what is owed"),
    ),
]


def scopes_for(push_settings) -> list[Scope]:
    """The required scopes; with MSPercury's VAT the push creates tax rates: write."""
    if push_settings is not None and getattr(push_settings, "mspercury_vat", False):
        return [replace(s, access="write") if s.code == "tax_rates" else s for s in REQUIRED_SCOPES]
    return REQUIRED_SCOPES


GRANTED = "granted"  # a read worked; for read scopes that is the whole need
READABLE = "readable"  # a read worked; write can't be proven without writing
DENIED = "denied"
UNKNOWN = "unknown"


@dataclass
class Verification:
    mode: str
    account_id: str = ""
    account_name: str = ""
    account_details_available: bool = True
    permissions: dict[str, str] = field(default_factory=dict)
    livemode_seen: bool | None = None


def _probe(client, resource: str):
    service = getattr(client.v1, resource)
    return call(lambda: service.list({"limit": 1}))


def verify_key(info: KeyInfo) -> Verification:
    """Prove the key works and learn the account. Raises StripeFailure with Stripe's message.

    GET /v1/account often answers 403 for restricted keys; then the key is proven by a read the
    product needs anyway (customers) and the account details are shown as unavailable.
    """
    client = make_client(info.key)
    result = Verification(mode=info.mode)
    try:
        account = call(client.v1.accounts.retrieve_current)
        result.account_id = account.id
        result.account_name = _display_name(account)
    except StripeFailure as failure:
        if not (failure.kind == FailureKind.PERMISSION and info.kind == "restricted"):
            raise
        result.account_details_available = False

    denials: dict[str, StripeFailure] = {}
    for scope in REQUIRED_SCOPES:
        try:
            listing = _probe(client, scope.probe)
        except StripeFailure as failure:
            if failure.kind == FailureKind.PERMISSION:
                result.permissions[scope.code] = DENIED
                denials[scope.code] = failure
                continue
            if failure.kind == FailureKind.AUTHENTICATION:
                raise
            result.permissions[scope.code] = UNKNOWN
            continue
        result.permissions[scope.code] = GRANTED if scope.access == "read" else READABLE
        for obj in listing.data[:1]:
            livemode = getattr(obj, "livemode", None)
            if livemode is not None:
                result.livemode_seen = bool(livemode)

    if not result.account_details_available and "customers" in denials:
        # Neither the account nor the read the product needs most works: show Stripe's word.
        raise denials["customers"]
    if result.livemode_seen is not None and result.livemode_seen != (info.mode == "live"):
        raise StripeFailure(
            kind=FailureKind.INVALID_REQUEST,
            message=_(
                "The key's prefix says %(mode)s mode, but Stripe returned objects of the "
                "other mode."
            )
            % {"mode": info.mode},
        )
    return result


def _display_name(account) -> str:
    settings = getattr(account, "settings", None)
    dashboard = getattr(settings, "dashboard", None) if settings else None
    name = getattr(dashboard, "display_name", None) if dashboard else None
    if not name:
        profile = getattr(account, "business_profile", None)
        name = getattr(profile, "name", None) if profile else None
    return name or getattr(account, "email", None) or ""


def sees_customer(api_key: str, customer_id: str) -> bool | None:
    """Whether this key's account holds the customer (deleted ones included): True, False, or
    None when Stripe gave no clear answer. Tells two keys of one account apart from keys of two
    accounts when GET /v1/account is closed to them."""
    client = make_client(api_key)
    try:
        call(lambda: client.v1.customers.retrieve(customer_id))
    except StripeFailure as failure:
        if failure.is_missing:
            return False
        return None
    return True
