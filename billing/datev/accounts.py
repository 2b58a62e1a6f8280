"""Which DATEV accounts and tax keys a booking uses: defaults per chart, overridable per workspace.

Pure and table-tested. The defaults (written down here and in docs/datev-export.md; sources in
../shared/notes/einvoicing-and-datev.md §4) — the tax advisor confirms or overrides them:

| slot                         | SKR03 | SKR04 | what                                            |
|------------------------------|-------|-------|-------------------------------------------------|
| revenue_domestic             | 8400  | 4400  | Erlöse 19 % USt (automatic account)             |
| revenue_reverse_charge       | 8336  | 4336  | EU services, recipient owes the VAT (§13b, ZM)  |
| revenue_export               | 8338  | 4338  | third-country services, not taxable in DE       |
| revenue_intra_eu_goods       | 8125  | 4125  | tax-free intra-EU supplies of goods (§4 Nr. 1b) |
| clearing (Stripe)            | 1360  | 1460  | Geldtransit: Stripe's balance until the payout  |
| bank (manual transfers)      | 1200  | 1800  | Bank                                            |
| cash                         | 1000  | 1600  | Kasse                                           |

Tax keys (BU-Schlüssel) default to empty for all revenue accounts: they are automatic
accounts, which carry their tax function themselves, and a key on them is an import error.
Customers get personal debtor accounts (10000–69999 with four-digit accounts).
"""

from dataclasses import dataclass
from enum import StrEnum

from rules.tax import TaxTreatment


class Chart(StrEnum):
    SKR03 = "03"
    SKR04 = "04"


class Slot(StrEnum):
    REVENUE_DOMESTIC = "revenue_domestic"
    REVENUE_REVERSE_CHARGE = "revenue_reverse_charge"
    REVENUE_EXPORT = "revenue_export"
    REVENUE_INTRA_EU_GOODS = "revenue_intra_eu_goods"
    CLEARING = "clearing"
    BANK = "bank"
    CASH = "cash"


REVENUE_SLOTS = (
    Slot.REVENUE_DOMESTIC,
    Slot.REVENUE_REVERSE_CHARGE,
    Slot.REVENUE_EXPORT,
    Slot.REVENUE_INTRA_EU_GOODS,
)

DEFAULT_ACCOUNTS: dict[Chart, dict[Slot, str]] = {
    Chart.SKR03: {
        Slot.REVENUE_DOMESTIC: "8400",
        Slot.REVENUE_REVERSE_CHARGE: "8336",
        Slot.REVENUE_EXPORT: "8338",
        Slot.REVENUE_INTRA_EU_GOODS: "8125",
        Slot.CLEARING: "1360",
        Slot.BANK: "1200",
        Slot.CASH: "1000",
    },
    Chart.SKR04: {
        Slot.REVENUE_DOMESTIC: "4400",
        Slot.REVENUE_REVERSE_CHARGE: "4336",
        Slot.REVENUE_EXPORT: "4338",
        Slot.REVENUE_INTRA_EU_GOODS: "4125",
        Slot.CLEARING: "1460",
        Slot.BANK: "1800",
        Slot.CASH: "1600",
    },
}
DEFAULT_TAX_KEYS: dict[Slot, str] = {slot: "" for slot in REVENUE_SLOTS}

# An EU customer without a VAT ID is taxed like a domestic one (the OSS aside, see the docs).
TREATMENT_SLOTS: dict[str, Slot] = {
    TaxTreatment.DOMESTIC: Slot.REVENUE_DOMESTIC,
    TaxTreatment.EU_NO_VAT_ID: Slot.REVENUE_DOMESTIC,
    TaxTreatment.REVERSE_CHARGE: Slot.REVENUE_REVERSE_CHARGE,
    TaxTreatment.EXPORT: Slot.REVENUE_EXPORT,
    # Goods resold to EU businesses (rules.tax decides it for goods supplies).
    "intra_eu_goods": Slot.REVENUE_INTRA_EU_GOODS,
}
TAXED_TREATMENTS = frozenset({TaxTreatment.DOMESTIC, TaxTreatment.EU_NO_VAT_ID})

# Which account money moves through, by how it was paid (Payment.Source / Payment.Method).
STRIPE_SOURCES = frozenset({"stripe", "refund"})
CASH_METHODS = frozenset({"cash"})


class UnmappedTreatment(ValueError):
    """A treatment with no revenue account (VAT not calculated): the booking needs a person."""


@dataclass(frozen=True)
class AccountPlan:
    chart: Chart
    accounts: dict[Slot, str]
    tax_keys: dict[Slot, str]

    def revenue(self, treatment: str) -> tuple[str, str]:
        """(revenue account, tax key) for an invoice of ``treatment``."""
        slot = TREATMENT_SLOTS.get(treatment)
        if slot is None:
            raise UnmappedTreatment(treatment)
        return self.accounts[slot], self.tax_keys.get(slot, "")

    def money(self, source: str, method: str) -> str:
        """The account that received (or paid back) the money."""
        if source in STRIPE_SOURCES:
            return self.accounts[Slot.CLEARING]
        if method in CASH_METHODS:
            return self.accounts[Slot.CASH]
        return self.accounts[Slot.BANK]


def plan_for(
    chart: str, overrides: dict[str, str] | None = None, tax_keys: dict[str, str] | None = None
) -> AccountPlan:
    """The chart's defaults with the workspace's overrides (empty values keep the default)."""
    chart = Chart(chart)
    accounts = dict(DEFAULT_ACCOUNTS[chart])
    for slot, number in (overrides or {}).items():
        if number:
            accounts[Slot(slot)] = number
    keys = dict(DEFAULT_TAX_KEYS)
    for slot, key in (tax_keys or {}).items():
        keys[Slot(slot)] = key or ""
    return AccountPlan(chart, accounts, keys)


def account_problem(number: str, length: int) -> str | None:
    """Why ``number`` cannot be a general-ledger account with ``length`` digits, or None."""
    if not number.isdigit():
        return "digits only"
    if len(number) > length:
        return f"at most {length} digits"
    return None


def debtor_range(length: int) -> tuple[int, int]:
    """Personal debtor accounts have one digit more than general-ledger accounts: 10000–69999."""
    return 10**length, 7 * 10**length - 1


def tax_key_problem(key: str) -> str | None:
    if key and not (key.isdigit() and len(key) <= 4):
        return "up to four digits"
    return None
