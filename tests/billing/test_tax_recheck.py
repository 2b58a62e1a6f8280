"""The re-check rule for a renewal draft: which lines and defaults get which tax-rate key."""

from datetime import date

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from billing.recheck.rules import DraftLine, Wording, reason, recheck, reword
from integrations.push.tax_rates import tax_rate_spec
from rules.tax import Party, decide_tax

DE_MSP = Party("DE", "eu_vat", "DE136695976")
EE_MSP = Party("EE", "eu_vat", "EE100931558")
FI_MSP = Party("FI", "eu_vat", "FI20774740")
RC_FR = "FR:0:exclusive:reverse_charge"


def today_key(supplier, customer, on):
    decision = decide_tax(supplier, customer, on)
    return decision, tax_rate_spec(decision.treatment, decision.rate, decision.rate_country).key


def draft(key, lines=2):
    return [DraftLine(f"il_{n}", f"Line {n}", (key,)) for n in range(lines)], (key,)


CASES = [
    # (what, supplier, customer today, supply date, key on the draft, key wanted, reason)
    (
        "VAT ID became invalid",
        DE_MSP,
        Party("FR", "eu_vat", "FR40303265045", "invalid"),
        date(2026, 12, 1),
        RC_FR,
        "DE:19:exclusive:eu_no_vat_id",
        "VIES reports the customer's VAT ID as invalid",
    ),
    (
        "customer moved to Germany",
        DE_MSP,
        Party("DE", "eu_vat", "DE811569869"),
        date(2026, 12, 1),
        RC_FR,
        "DE:19:exclusive:domestic",
        "the customer is now in DE",
    ),
    (
        "customer moved out of the EU",
        DE_MSP,
        Party("CH"),
        date(2026, 12, 1),
        "DE:19:exclusive:domestic",
        "CH:0:exclusive:export",
        "the customer is now in CH",
    ),
    (
        "EE 22 → 24 % on 2025-07-01",
        EE_MSP,
        Party("EE", "eu_vat", "EE100247019"),
        date(2025, 7, 1),
        "EE:22:exclusive:domestic",
        "EE:24:exclusive:domestic",
        "the VAT rate in EE is 24 % from 2025-07-01",
    ),
    (
        "FI 24 → 25.5 % on 2024-09-01",
        FI_MSP,
        Party("FI", "eu_vat", "FI20774740"),
        date(2024, 9, 1),
        "FI:24:exclusive:domestic",
        "FI:25.5:exclusive:domestic",
        "the VAT rate in FI is 25.5 % from 2024-09-01",
    ),
]


@pytest.mark.parametrize("what,supplier,customer,on,old,want,why", CASES, ids=[c[0] for c in CASES])
def test_a_changed_treatment_corrects_every_line_and_the_default(
    what, supplier, customer, on, old, want, why
):
    decision, key = today_key(supplier, customer, on)
    assert key == want
    lines, defaults = draft(old)
    found = reason(old, decision, on, customer.country)
    assert str(found) == why
    correction = recheck(lines, defaults, key, found)
    assert correction.lines == {"il_0": want, "il_1": want}
    assert correction.default_key == want
    assert len(correction.changes) == 3 and all(why in str(c) for c in correction.changes)
    assert correction.changed


def test_the_day_before_a_rate_change_keeps_the_old_rate():
    _decision, key = today_key(EE_MSP, Party("EE"), date(2025, 6, 30))
    lines, defaults = draft("EE:22:exclusive:domestic")
    assert not recheck(lines, defaults, key).changed


def test_nothing_changed_means_no_correction():
    lines, defaults = draft(RC_FR)
    _d, key = today_key(DE_MSP, Party("FR", "eu_vat", "FR40303265045", "valid"), date(2026, 1, 5))
    correction = recheck(lines, defaults, key)
    assert (correction.lines, correction.default_key, correction.changes) == ({}, None, ())
    assert not correction.changed


def test_a_rate_someone_else_set_is_left_alone_and_reported():
    lines = [DraftLine("il_0", "Monitoring", (None,)), DraftLine("il_1", "Backup", (RC_FR,))]
    correction = recheck(lines, (RC_FR,), "DE:19:exclusive:domestic")
    assert correction.lines == {"il_1": "DE:19:exclusive:domestic"}
    assert correction.skipped and "Monitoring" in str(correction.skipped[0])


def test_a_treatment_without_tax_rate_changes_nothing():
    lines, defaults = draft(RC_FR)
    assert not recheck(lines, defaults, None).changed


OLD = Wording("Reverse charge. Tax liability of the recipient.", ({"name": "RC", "value": "x"},))
NEW = Wording("Not taxable in Germany.", ({"name": "Export", "value": "y"},))


def test_the_legal_wording_is_swapped_after_the_msps_own_footer():
    current = Wording(
        f"Thanks!\n\n{OLD.footer}", ({"name": "PO", "value": "1"}, *OLD.custom_fields)
    )
    assert reword(current, OLD, None) == Wording("Thanks!", ({"name": "PO", "value": "1"},))
    swapped = reword(current, OLD, NEW)
    assert swapped.footer == f"Thanks!\n\n{NEW.footer}"
    assert swapped.custom_fields == ({"name": "PO", "value": "1"}, *NEW.custom_fields)


def test_wording_edited_by_hand_is_not_touched():
    assert reword(Wording("Edited in Stripe", ()), OLD, None) is None
    assert reword(Wording("x", ()), OLD, OLD) is None


KEYS = st.sampled_from(
    [RC_FR, "DE:19:exclusive:domestic", "DE:19:exclusive:eu_no_vat_id", "DE:7:exclusive:domestic"]
)


@given(st.lists(st.lists(KEYS, min_size=1, max_size=2), max_size=6), KEYS, KEYS)
def test_after_the_correction_every_line_is_taxed_with_the_wanted_key(line_keys, default, want):
    lines = [DraftLine(f"il_{n}", "", tuple(keys)) for n, keys in enumerate(line_keys)]
    correction = recheck(lines, (default,), want)
    for line in lines:
        after = {correction.lines[line.id]} if line.id in correction.lines else set(line.rate_keys)
        assert after == {want}
    assert (correction.default_key or default) == want
    # Applying it again finds nothing left to do.
    fixed = [DraftLine(line.id, "", (want,)) for line in lines]
    assert not recheck(fixed, (want,), want).changed


def test_percent_formatting_in_the_change_list():
    (change,) = recheck(
        [DraftLine("il", "Support", (RC_FR,))], (), "FI:25.5:exclusive:domestic"
    ).changes
    assert str(change) == "Support: 0 % VAT, reverse charge → 25.5 % VAT (FI)"


def test_the_change_list_reads_in_the_language_it_is_shown_in():
    """Written once by a worker, read by a German MSP in German (mspercury.texts)."""
    (change,) = recheck(
        [DraftLine("il", "Support", (RC_FR,))], (), "FI:25.5:exclusive:domestic"
    ).changes
    with translation.override("de"):
        assert str(change) == "Support: 0 % USt, Reverse Charge → 25.5 % USt (FI)"
