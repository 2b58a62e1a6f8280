"""Accounts, API keys and restricted-key permissions.

Pre-seeded keys (documented in emulators/README.md):

- `sk_test_emulator`: the account's full secret key.
- `rk_test_emulator`: restricted exactly as MSPercury's setup guide asks (Customers, Invoices,
  Subscriptions, Products, Prices and Tax IDs: write; Tax Rates: read; nothing else).
  `GET /v1/account` answers 403, as it does for many real restricted keys.
- `rk_test_emulator_account`: the same permissions, but `GET /v1/account` works.
- `rk_test_emulator_readonly`: read on the same resources; `GET /v1/account` answers 403.

Permissions are per resource group, `"read"` or `"write"` (write includes read). Names in the
403 message follow the `rak_<resource>_<read|write>` pattern of Stripe's real messages.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .errors import StripeError, mask_key

DEFAULT_ACCOUNT = "acct_1EmulatorSeedAcct"

# resource group -> rak_ permission stem
PERMISSIONS = {
    "customers": "rak_customer",
    "tax_ids": "rak_tax_id",
    "products": "rak_product",
    "prices": "rak_price",
    "tax_rates": "rak_tax_rate",
    "invoices": "rak_invoice",
    "subscriptions": "rak_subscription",
    "checkout_sessions": "rak_checkout_session",
    "webhook_endpoints": "rak_webhook",
    "events": "rak_event",
    "charges": "rak_charge",
    "payment_intents": "rak_payment_intent",
    "refunds": "rak_refund",
    "payment_records": "rak_payment_record",
    "credit_notes": "rak_credit_note",
}
ACCOUNT_PERMISSION = "rak_accounts_kyc_id_numbers_read"

SEED_PERMISSIONS = {
    "customers": "write",
    "invoices": "write",
    "subscriptions": "write",
    "products": "write",
    "prices": "write",
    "tax_ids": "write",
    "tax_rates": "read",
}
READONLY_PERMISSIONS = {name: "read" for name in SEED_PERMISSIONS}


@dataclass
class ApiKey:
    key: str
    account: str
    livemode: bool
    permissions: dict[str, str] | None = None
    """None for a secret key (everything allowed); else resource group -> "read"|"write"."""
    account_access: bool = True
    """Whether GET /v1/account answers the account (True) or Stripe's 403 (False)."""
    rate_limited: bool = True
    name: str = ""

    @property
    def restricted(self) -> bool:
        return self.permissions is not None

    @property
    def owner(self) -> tuple[str, bool]:
        return (self.account, self.livemode)

    def public(self) -> dict:
        return {
            "key": mask_key(self.key),
            "account": self.account,
            "livemode": self.livemode,
            "restricted": self.restricted,
            "permissions": copy.deepcopy(self.permissions),
            "account_access": self.account_access,
            "rate_limited": self.rate_limited,
            "name": self.name,
        }


@dataclass
class KeyRing:
    accounts: dict[str, dict] = field(default_factory=dict)
    keys: dict[str, ApiKey] = field(default_factory=dict)

    def reset(self, created: int) -> None:
        self.accounts = {}
        self.keys = {}
        self.add_account(DEFAULT_ACCOUNT, "MSPercury Emulator Test Account", created)
        self.add(ApiKey("sk_test_emulator", DEFAULT_ACCOUNT, False, name="Secret key"))
        self.add(
            ApiKey(
                "rk_test_emulator",
                DEFAULT_ACCOUNT,
                False,
                permissions=dict(SEED_PERMISSIONS),
                account_access=False,
                name="MSPercury - Quote Push",
            )
        )
        self.add(
            ApiKey(
                "rk_test_emulator_account",
                DEFAULT_ACCOUNT,
                False,
                permissions=dict(SEED_PERMISSIONS),
                account_access=True,
                name="MSPercury - Quote Push (account readable)",
            )
        )
        self.add(
            ApiKey(
                "rk_test_emulator_readonly",
                DEFAULT_ACCOUNT,
                False,
                permissions=dict(READONLY_PERMISSIONS),
                account_access=False,
                name="Read only",
            )
        )

    def add(self, key: ApiKey) -> ApiKey:
        self.keys[key.key] = key
        return key

    def add_account(
        self,
        account_id: str,
        display_name: str,
        created: int,
        country: str = "DE",
        currency: str = "eur",
        email: str | None = None,
    ) -> dict:
        account = {
            "id": account_id,
            "object": "account",
            "business_profile": {
                "annual_revenue": None,
                "estimated_worker_count": None,
                "mcc": None,
                "minority_owned_business_designation": None,
                "name": display_name,
                "product_description": None,
                "support_address": None,
                "support_email": email,
                "support_phone": None,
                "support_url": None,
                "url": None,
            },
            "business_type": "company",
            "capabilities": {"card_payments": "active", "transfers": "active"},
            "charges_enabled": True,
            "controller": {"type": "account"},
            "country": country,
            "created": created,
            "default_currency": currency,
            "details_submitted": True,
            "email": email or "billing@emulator.invalid",
            "metadata": {},
            "payouts_enabled": True,
            "settings": {
                "branding": {
                    "icon": None,
                    "logo": None,
                    "primary_color": None,
                    "secondary_color": None,
                },
                "dashboard": {"display_name": display_name, "timezone": "Europe/Berlin"},
                "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": None},
                "payments": {"statement_descriptor": display_name[:22].upper()},
            },
            "type": "standard",
        }
        self.accounts[account_id] = account
        return account

    def lookup(self, key: str | None) -> ApiKey:
        if not key:
            raise StripeError(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
                "or we can help at https://support.stripe.com/.",
                status=401,
            )
        found = self.keys.get(key)
        if found is None:
            raise StripeError(f"Invalid API Key provided: {mask_key(key)}", status=401)
        return found


def check_permission(key: ApiKey, resource: str, access: str) -> None:
    """Raise Stripe's 403 unless the key may `access` ("read"/"write") the resource group."""
    if not key.restricted:
        return
    granted = key.permissions.get(resource)
    if granted == "write" or (granted == "read" and access == "read"):
        return
    permission = f"{PERMISSIONS[resource]}_{access}"
    raise forbidden(key, permission)


def forbidden(key: ApiKey, permission: str) -> StripeError:
    return StripeError(
        f"The provided key '{mask_key(key.key)}' does not have the required permissions for "
        f"this endpoint on account '{key.account}'. Having the '{permission}' permission would "
        "allow this request to continue.",
        status=403,
    )
