"""Account mapping: the SKR03 and SKR04 defaults per treatment, overrides, tax keys, checks."""

import pytest

from billing.datev.accounts import (
    UnmappedTreatment,
    account_problem,
    debtor_range,
    plan_for,
    tax_key_problem,
)


@pytest.mark.parametrize(
    ("chart", "treatment", "account"),
    [
        ("03", "domestic", "8400"),
        ("03", "eu_no_vat_id", "8400"),
        ("03", "reverse_charge", "8336"),
        ("03", "export", "8338"),
        ("03", "intra_eu_goods", "8125"),
        ("04", "domestic", "4400"),
        ("04", "eu_no_vat_id", "4400"),
        ("04", "reverse_charge", "4336"),
        ("04", "export", "4338"),
        ("04", "intra_eu_goods", "4125"),
    ],
)
def test_it_maps_each_treatment_to_the_charts_revenue_account(chart, treatment, account):
    assert plan_for(chart).revenue(treatment) == (account, "")


@pytest.mark.parametrize(
    ("chart", "source", "method", "account"),
    [
        ("03", "stripe", "card", "1360"),
        ("03", "refund", "card", "1360"),
        ("03", "manual", "bank_transfer", "1200"),
        ("03", "manual", "cheque", "1200"),
        ("03", "manual", "other", "1200"),
        ("03", "manual", "cash", "1000"),
        ("04", "stripe", "sepa_debit", "1460"),
        ("04", "refund", "", "1460"),
        ("04", "manual", "bank_transfer", "1800"),
        ("04", "manual", "cash", "1600"),
    ],
)
def test_it_books_money_on_clearing_bank_or_cash(chart, source, method, account):
    assert plan_for(chart).money(source, method) == account


def test_a_treatment_without_vat_calculation_has_no_revenue_account():
    with pytest.raises(UnmappedTreatment):
        plan_for("03").revenue("not_calculated")


def test_workspace_overrides_and_tax_keys_win_empty_ones_keep_the_default():
    plan = plan_for(
        "03",
        {"revenue_reverse_charge": "8337", "revenue_domestic": "", "clearing": "1361"},
        {"revenue_reverse_charge": "94", "revenue_export": ""},
    )
    assert plan.revenue("reverse_charge") == ("8337", "94")
    assert plan.revenue("domestic") == ("8400", "")
    assert plan.revenue("export") == ("8338", "")
    assert plan.money("stripe", "card") == "1361"


@pytest.mark.parametrize(
    ("number", "length", "problem"),
    [
        ("8400", 4, None),
        ("990", 4, None),
        ("84000", 4, "at most 4 digits"),
        ("84a0", 4, "digits only"),
        ("84000", 5, None),
    ],
)
def test_it_checks_general_ledger_accounts(number, length, problem):
    assert account_problem(number, length) == problem


def test_debtor_accounts_have_one_digit_more():
    assert debtor_range(4) == (10000, 69999)
    assert debtor_range(5) == (100000, 699999)


@pytest.mark.parametrize(
    ("key", "ok"), [("", True), ("3", True), ("9401", True), ("94011", False), ("A", False)]
)
def test_it_checks_tax_keys(key, ok):
    assert (tax_key_problem(key) is None) is ok
