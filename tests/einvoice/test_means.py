"""How an invoice is paid (BG-16) from plain facts: every combination of collection method,
charged method and known details gives the means XRechnung accepts, or names what is missing."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.einvoice.means import (
    BANK_CARD,
    MUTUALLY_DEFINED,
    NO_BANK_ACCOUNT,
    NO_CREDITOR_ID,
    NO_DEBITED_ACCOUNT,
    NO_MANDATE,
    SEPA_CREDIT_TRANSFER,
    SEPA_DIRECT_DEBIT,
    PaymentFacts,
    decide_means,
    girocode_amount,
    masked_card,
    masked_iban,
)

IBAN = "DE89 3704 0044 0532 0130 00"
texts = st.sampled_from(["", "x", "MANDATE-1", "DE02120300000000202051"])
facts = st.builds(
    PaymentFacts,
    collection=st.sampled_from(["charge_automatically", "send_invoice", ""]),
    method=st.sampled_from(["card", "sepa_debit", ""]),
    reference=st.just("RE-2026-0001"),
    iban=st.sampled_from(["", IBAN]),
    bic=st.sampled_from(["", "cobadeffxxx"]),
    account_holder=st.sampled_from(["", "Alpha IT GmbH"]),
    creditor_id=st.sampled_from(["", "DE98ZZZ09999999999"]),
    mandate_reference=texts,
    debited_account=st.sampled_from(["", "DE******************3000"]),
    card_number=st.sampled_from(["", "4242", "4000 0566 5566 5556"]),
)


@given(facts)
def test_it_always_decides_one_of_the_four_means(f):
    means = decide_means(f)
    assert means.code in {SEPA_CREDIT_TRANSFER, SEPA_DIRECT_DEBIT, BANK_CARD, MUTUALLY_DEFINED}
    assert means.remittance == "RE-2026-0001"


@given(facts)
def test_each_means_carries_only_its_own_group(f):
    """BR-DE-23-b, BR-DE-24-b, BR-DE-25-b: 58 only BG-17, 48 only BG-18, 59 only BG-19."""
    means = decide_means(f)
    transfer = bool(means.iban or means.bic or means.account_name)
    card = bool(means.card_number or means.card_holder)
    debit = bool(means.mandate_reference or means.creditor_id or means.debited_account)
    assert (transfer, card, debit) == {
        SEPA_CREDIT_TRANSFER: (True, False, False),
        BANK_CARD: (False, True, False),
        SEPA_DIRECT_DEBIT: (False, False, True),
        MUTUALLY_DEFINED: (False, False, False),
    }[means.code]


@given(facts)
def test_it_follows_who_collects(f):
    """Stripe collecting: 59 by SEPA debit, 48 by a card it names, ZZZ otherwise; the buyer
    paying: 58 to the MSP's account, or ZZZ naming the missing account."""
    means = decide_means(f)
    if f.collection == "charge_automatically":
        debit_ready = f.creditor_id and f.mandate_reference and f.debited_account
        if f.method == "sepa_debit":
            assert means.code == (SEPA_DIRECT_DEBIT if debit_ready else MUTUALLY_DEFINED)
        elif f.method == "card" and f.card_number:
            assert means.code == BANK_CARD
        else:
            assert (means.code, means.missing) == (MUTUALLY_DEFINED, ())
    elif f.iban:
        assert (means.code, means.iban, means.missing) == (
            SEPA_CREDIT_TRANSFER,
            "DE89370400440532013000",
            (),
        )
        assert means.bic == f.bic.upper()
    else:
        assert (means.code, means.missing) == (MUTUALLY_DEFINED, (NO_BANK_ACCOUNT,))


@pytest.mark.parametrize(
    "creditor, mandate, account, missing",
    [
        ("", "M-1", "DE**3000", (NO_CREDITOR_ID,)),
        ("DE98ZZZ09999999999", "", "DE**3000", (NO_MANDATE,)),
        ("DE98ZZZ09999999999", "M-1", "", (NO_DEBITED_ACCOUNT,)),
        ("", "", "", (NO_CREDITOR_ID, NO_MANDATE, NO_DEBITED_ACCOUNT)),
    ],
)
def test_a_direct_debit_without_its_particulars_names_them(creditor, mandate, account, missing):
    """BR-DE-30/31 would reject a 59 without them: ZZZ, saying what is missing."""
    means = decide_means(
        PaymentFacts(
            "charge_automatically",
            "sepa_debit",
            creditor_id=creditor,
            mandate_reference=mandate,
            debited_account=account,
        )
    )
    assert (means.code, means.missing) == (MUTUALLY_DEFINED, missing)


def test_a_complete_direct_debit_is_59():
    means = decide_means(
        PaymentFacts(
            "charge_automatically",
            "sepa_debit",
            "RE-1",
            creditor_id="de98 zzz0 9999 9999 99",
            mandate_reference="MNDT-42",
            debited_account="DE******************3000",
        )
    )
    assert (means.code, means.creditor_id, means.mandate_reference, means.debited_account) == (
        "59",
        "DE98ZZZ09999999999",
        "MNDT-42",
        "DE******************3000",
    )


@given(st.text(alphabet="0123456789 -", max_size=25))
def test_a_card_number_shows_at_most_its_last_four_digits(number):
    """BR-51: never more than the first 6 and the last 4 digits."""
    shown = masked_card(number)
    digits = "".join(c for c in number if c.isdigit())
    assert shown == digits[-4:]
    assert len(shown) <= 4


@pytest.mark.parametrize(
    "country, last4, shown",
    [
        ("DE", "3000", "DE" + "*" * 16 + "3000"),
        ("AT", "1234", "AT" + "*" * 14 + "1234"),
        ("NL", "0417", "NL" + "*" * 12 + "0417"),
        ("", "3000", ""),
        ("DE", "", ""),
    ],
)
def test_a_debited_account_is_masked_at_its_ibans_length(country, last4, shown):
    assert masked_iban(country, last4) == shown
    assert len(shown) in (0, {"DE": 22, "AT": 20, "NL": 18}.get(country, 0))


@pytest.mark.parametrize(
    "code, left, expected",
    [
        ("58", Decimal("602.01"), Decimal("602.01")),
        ("58", Decimal("0"), None),
        ("58", Decimal("-5"), None),
        ("59", Decimal("602.01"), None),
        ("48", Decimal("602.01"), None),
        ("ZZZ", Decimal("602.01"), None),
        ("58", Decimal("1000000000"), Decimal("999999999.99")),
    ],
)
def test_a_girocode_only_asks_for_a_transfer_with_something_left(code, left, expected):
    from billing.einvoice.means import PaymentMeans

    assert girocode_amount(PaymentMeans(code), left) == expected
