"""The VAT return's pure rules (billing.evidence.vat_return) against hand computations: Soll
by performance with Anzahlungen (§13 Abs. 1 Nr. 1 a UStG), Ist by receipt (§20), Kz 21 and the
EC Sales List by performance (§18b S. 3, §18a Abs. 8), corrections in the period of the change
(§17 Abs. 1 S. 8, UStAE 17.1 Abs. 2 S. 3), and the UStVA's Kennzahlen."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from billing.evidence import vat_return as vr
from billing.evidence.rules import Period

AGREED, RECEIVED, PERFORMED = vr.Timing.AGREED, vr.Timing.RECEIVED, vr.Timing.PERFORMED


def _line(key="il_1", net=10000, tax=1900, rate="19", treatment="domestic", on=date(2026, 1, 31)):
    return vr.Line(key, treatment, rate, "EUR", net, tax, on, "DE", "", "Kunde GmbH")


def _month(year, month):
    period = Period("month", year, month)
    return period.start, period.end


def _in(invoices, method, year, month):
    """(net, tax) of the month under ``method``, summed over the lines."""
    found = vr.contributions(invoices, method, *_month(year, month))
    return sum(c.net for c in found), sum(c.tax for c in found)


def test_soll_counts_a_monthly_period_when_performed_ist_when_paid():
    """A January subscription period (performed 31 Jan), paid 10 Feb: Soll in January, Ist in
    February; 100.00 + 19.00."""
    invoice = vr.Invoice("in_1", (_line(),), (vr.Movement("py_1", date(2026, 2, 10), 11900),))
    assert _in([invoice], AGREED, 2026, 1) == (10000, 1900)
    assert _in([invoice], AGREED, 2026, 2) == (0, 0)
    assert _in([invoice], RECEIVED, 2026, 1) == (0, 0)
    assert _in([invoice], RECEIVED, 2026, 2) == (10000, 1900)


def test_a_yearly_plan_paid_in_advance_is_taxed_when_received():
    """§13 Abs. 1 Nr. 1 a S. 4: 1,200.00 + 228.00 for 2026, performed 31 Dec, paid 5 Jan:
    all of it in January (Anzahlung), nothing at performance."""
    line = _line(net=120000, tax=22800, on=date(2026, 12, 31))
    invoice = vr.Invoice("in_1", (line,), (vr.Movement("py_1", date(2026, 1, 5), 142800),))
    assert _in([invoice], AGREED, 2026, 1) == (120000, 22800)
    assert _in([invoice], AGREED, 2026, 12) == (0, 0)


def test_only_the_unpaid_rest_counts_at_performance():
    """Half paid in January (714.00 = 600.00 + 114.00), the rest unpaid: January 714.00, the
    other 714.00 in December (performed), none again when paid in 2027."""
    line = _line(net=120000, tax=22800, on=date(2026, 12, 31))
    money = (
        vr.Movement("py_1", date(2026, 1, 5), 71400),
        vr.Movement("py_2", date(2027, 2, 1), 71400),
    )
    invoice = vr.Invoice("in_1", (line,), money)
    assert _in([invoice], AGREED, 2026, 1) == (60000, 11400)
    assert _in([invoice], AGREED, 2026, 12) == (60000, 11400)
    assert _in([invoice], AGREED, 2027, 2) == (0, 0)
    assert _in([invoice], RECEIVED, 2027, 2) == (60000, 11400)


def test_a_credit_note_on_an_unpaid_invoice_counts_in_its_period():
    """Performed in January (119.00), credited 23.80 on 10 Feb while unpaid: Soll -20.00/-3.80
    in February; Ist counts only the 95.20 paid in March."""
    notes = (vr.CreditNote("cn_1", date(2026, 2, 10), 2380),)
    money = (vr.Movement("py_1", date(2026, 3, 2), 9520),)
    invoice = vr.Invoice("in_1", (_line(),), money, notes)
    assert _in([invoice], AGREED, 2026, 1) == (10000, 1900)
    assert _in([invoice], AGREED, 2026, 2) == (-2000, -380)
    assert _in([invoice], AGREED, 2026, 3) == (0, 0)
    assert _in([invoice], RECEIVED, 2026, 2) == (0, 0)
    assert _in([invoice], RECEIVED, 2026, 3) == (8000, 1520)


def test_a_credit_note_on_a_paid_invoice_counts_when_refunded():
    """UStAE 17.1 Abs. 2 S. 3: paid 15 Jan, credit note 10 Feb whose refund is paid out 3 Mar:
    the 23.80 lowers March under both methods, not February."""
    notes = (vr.CreditNote("cn_1", date(2026, 2, 10), 2380, refunds=("re_1",)),)
    money = (
        vr.Movement("py_1", date(2026, 1, 15), 11900),
        vr.Movement("re_1", date(2026, 3, 3), -2380),
    )
    invoice = vr.Invoice("in_1", (_line(),), money, notes)
    for method in (AGREED, RECEIVED):
        assert _in([invoice], method, 2026, 1) == (10000, 1900)
        assert _in([invoice], method, 2026, 2) == (0, 0)
        assert _in([invoice], method, 2026, 3) == (-2000, -380)
    assert vr.credit_note_parts(invoice) == {"cn_1": (0, 2380, 0)}


def test_a_credit_note_that_refunds_nothing_on_a_paid_invoice_counts_on_its_day():
    """Credited back outside Stripe (out of band): repaid on the note's day."""
    notes = (vr.CreditNote("cn_1", date(2026, 2, 10), 1190),)
    money = (vr.Movement("py_1", date(2026, 1, 15), 11900),)
    invoice = vr.Invoice("in_1", (_line(),), money, notes)
    assert vr.credit_note_parts(invoice) == {"cn_1": (0, 0, 1190)}
    assert _in([invoice], AGREED, 2026, 2) == (-1000, -190)
    assert _in([invoice], RECEIVED, 2026, 2) == (-1000, -190)


def test_a_credit_note_on_a_half_paid_invoice_lowers_what_is_owed_first():
    """Stripe's pre/post split: 119.00 with 59.50 paid, a 71.40 note: 59.50 lowers what was
    owed (its day), 11.90 was paid and is refunded (the refund's day)."""
    notes = (vr.CreditNote("cn_1", date(2026, 2, 10), 7140, refunds=("re_1",)),)
    money = (
        vr.Movement("py_1", date(2026, 1, 15), 5950, seq=1),
        vr.Movement("re_1", date(2026, 2, 10), -1190, seq=2),
    )
    invoice = vr.Invoice("in_1", (_line(),), money, notes)
    assert vr.credit_note_parts(invoice) == {"cn_1": (5950, 1190, 0)}
    assert _in([invoice], AGREED, 2026, 2) == (-6000, -1140)
    assert _in([invoice], RECEIVED, 2026, 2) == (-1000, -190)


def _voided(invoice, on, seq=100):
    """The invoice with its void on ``on`` as the report adds it."""
    note = vr.void_note(invoice, f"void:{invoice.key}", on, seq)
    return replace(invoice, credit_notes=(*invoice.credit_notes, note))


def test_a_void_reverses_a_performed_supply_in_its_own_period():
    """§17 Abs. 1 S. 8: performed in January (119.00, unpaid), voided 10 Feb: Soll +100.00/
    +19.00 in January as filed, -100.00/-19.00 in February; Ist nothing (no money moved)."""
    invoice = _voided(vr.Invoice("in_1", (_line(),)), date(2026, 2, 10))
    assert vr.credit_note_parts(invoice) == {"void:in_1": (11900, 0, 0)}
    assert _in([invoice], AGREED, 2026, 1) == (10000, 1900)
    assert _in([invoice], AGREED, 2026, 2) == (-10000, -1900)
    for month in (1, 2, 3):
        assert _in([invoice], RECEIVED, 2026, month) == (0, 0)


def test_a_void_before_performance_never_counts():
    """A March period (performed 31 Mar), unpaid, voided 10 Feb: nothing in any month, under
    either method, in the EC Sales List neither."""
    line = vr.Line("il_fr", "reverse_charge", "0", "EUR", 50000, 0, date(2026, 3, 31), "FR", "FR1")
    invoices = [
        _voided(vr.Invoice("in_1", (_line(on=date(2026, 3, 31)),)), date(2026, 2, 10)),
        _voided(vr.Invoice("in_2", (line,)), date(2026, 2, 10)),
    ]
    for month in range(1, 13):
        for method in (AGREED, RECEIVED):
            found = vr.vat_return(invoices, method, *_month(2026, month))
            assert found.contributions == [] and found.sales_list == [], (month, method)


def test_a_part_paid_invoice_voided_reverses_only_the_unpaid_rest():
    """119.00 performed 31 Jan, 59.50 paid 15 Jan (recorded by hand), voided 10 Feb: the void
    lowers the unpaid 59.50 (-50.00/-9.50 in February); the 59.50 paid stays taxed (Soll
    January 100.00/19.00 in all, Ist January 50.00/9.50, Ist February nothing)."""
    money = (vr.Movement("py_1", date(2026, 1, 15), 5950, seq=1),)
    invoice = _voided(vr.Invoice("in_1", (_line(),), money), date(2026, 2, 10))
    assert vr.credit_note_parts(invoice) == {"void:in_1": (5950, 0, 0)}
    assert _in([invoice], AGREED, 2026, 1) == (10000, 1900)
    assert _in([invoice], AGREED, 2026, 2) == (-5000, -950)
    assert _in([invoice], RECEIVED, 2026, 1) == (5000, 950)
    assert _in([invoice], RECEIVED, 2026, 2) == (0, 0)


def test_a_void_after_a_credit_note_lowers_what_the_note_left():
    """119.00 performed in January; a 23.80 note on 5 Feb; voided 10 Feb: the void is 95.20,
    February -100.00/-19.00 in all (-20.00/-3.80 and -80.00/-15.20)."""
    notes = (vr.CreditNote("cn_1", date(2026, 2, 5), 2380, seq=1),)
    invoice = _voided(vr.Invoice("in_1", (_line(),), (), notes), date(2026, 2, 10))
    assert vr.credit_note_parts(invoice)["void:in_1"] == (9520, 0, 0)
    assert _in([invoice], AGREED, 2026, 2) == (-10000, -1900)
    assert _in([invoice], AGREED, 2026, 3) == (0, 0)


def test_a_void_splits_what_was_owed_per_line_as_the_receipts_were_split():
    """119.00 at 19 % performed 31 Jan and 53.50 at 7 % performed 31 Mar; 100.00 paid 20 Jan
    (68.99 and 31.01 by gross, see the part-payment test); voided 10 Feb. The void is 50.01 +
    22.49 = 72.50. January: the 19 % line performed (100.00/19.00) and the 7 % line's
    Anzahlung 31.01 (28.98/2.03). February: the 19 % line keeps 68.99 = 57.97/11.02 (57.974…
    /11.015…), so -42.03/-7.98. March: the 7 % line performed keeps its Anzahlung: nothing."""
    lines = (_line("il_19"), _line("il_7", 5000, 350, "7", on=date(2026, 3, 31)))
    money = (vr.Movement("py_1", date(2026, 1, 20), 10000, seq=1),)
    invoice = _voided(vr.Invoice("in_1", lines, money), date(2026, 2, 10))
    assert invoice.credit_notes[-1].lines == (("il_19", 5001), ("il_7", 2249))
    assert invoice.credit_notes[-1].amount == 7250

    def per_line(month):
        found = vr.contributions([invoice], AGREED, *_month(2026, month))
        return [(c.line.key, c.net, c.tax) for c in found]

    assert per_line(1) == [("il_19", 10000, 1900), ("il_7", 2898, 203)]
    assert per_line(2) == [("il_19", -4203, -798)]
    assert per_line(3) == []
    assert _in([invoice], RECEIVED, 2026, 2) == (0, 0)


def test_a_void_corrects_kz_21_and_the_ec_sales_list_in_its_period():
    """UStAE 18a.4: an EU B2B service performed in January, voided in February: the ZM and Kz 21
    show +500.00 in January and -500.00 in February, under either method."""
    line = vr.Line("il_fr", "reverse_charge", "0", "EUR", 50000, 0, date(2026, 1, 31), "FR", "FR1")
    invoice = _voided(vr.Invoice("in_1", (line,)), date(2026, 2, 10))
    for method in (AGREED, RECEIVED):
        january = vr.vat_return([invoice], method, *_month(2026, 1))
        february = vr.vat_return([invoice], method, *_month(2026, 2))
        assert [(r.vat_id, r.net) for r in january.sales_list] == [("FR1", 50000)]
        assert [(r.vat_id, r.net) for r in february.sales_list] == [("FR1", -50000)]
        assert [(f.code, f.base_euros) for f in february.fields] == [("21", -500)]


def test_nothing_owed_is_no_void():
    """Fully paid (Stripe would refuse the void anyway): no correction."""
    money = (vr.Movement("py_1", date(2026, 1, 15), 11900),)
    invoice = vr.Invoice("in_1", (_line(),), money)
    assert vr.void_note(invoice, "void:in_1", date(2026, 2, 10)) is None


def test_reverse_charge_is_by_performance_even_under_ist():
    """§18b S. 3: an EU B2B service performed 31 Mar, paid 5 Apr: Kz 21 and the ZM in March."""
    line = vr.Line(
        "il_fr", "reverse_charge", "0", "EUR", 50000, 0, date(2026, 3, 31), "FR", "FR40303265045"
    )
    invoice = vr.Invoice("in_1", (line,), (vr.Movement("py_1", date(2026, 4, 5), 50000),))
    march = vr.vat_return([invoice], RECEIVED, *_month(2026, 3))
    assert [(f.code, f.base, f.tax) for f in march.fields] == [("21", 50000, None)]
    assert [(r.vat_id, r.kind, r.net) for r in march.sales_list] == [("FR40303265045", "S", 50000)]
    april = vr.vat_return([invoice], RECEIVED, *_month(2026, 4))
    assert april.fields == [] and april.sales_list == []


def test_the_ec_sales_list_follows_performance_even_when_paid_in_advance():
    """A yearly French plan paid in January counts in the ZM of December (performed), with a
    credit note refunded in March as a negative correction in March."""
    line = vr.Line(
        "il_fr", "reverse_charge", "0", "EUR", 120000, 0, date(2026, 12, 31), "FR", "FR1"
    )
    notes = (vr.CreditNote("cn_1", date(2026, 3, 2), 10000, refunds=("re_1",)),)
    money = (
        vr.Movement("py_1", date(2026, 1, 5), 120000),
        vr.Movement("re_1", date(2026, 3, 2), -10000),
    )
    invoice = vr.Invoice("in_1", (line,), money, notes)
    assert vr.vat_return([invoice], AGREED, *_month(2026, 1)).sales_list == []
    march = vr.vat_return([invoice], AGREED, *_month(2026, 3)).sales_list
    assert [(r.vat_id, r.net) for r in march] == []  # not performed yet: nothing to correct
    december = vr.vat_return([invoice], AGREED, *_month(2026, 12)).sales_list
    assert [(r.vat_id, r.net) for r in december] == [("FR1", 110000)]


def test_a_part_payment_is_split_over_lines_and_rates_to_the_cent():
    """Ist, 100.00 of 172.50 (119.00 at 19 %, 53.50 at 7 %): 119/172.5 × 100 = 68.9855… and
    53.5/172.5 × 100 = 31.0144…; largest remainder gives 68.99 and 31.01; 68.99 splits into
    57.97 net + 11.02 VAT (57.974…/11.015…, the cent to the larger remainder .52) and 31.01
    into 28.98 + 2.03 (28.981…/2.028…)."""
    lines = (_line("il_19"), _line("il_7", 5000, 350, "7"))
    invoice = vr.Invoice("in_1", lines, (vr.Movement("py_1", date(2026, 1, 20), 10000),))
    found = vr.contributions([invoice], RECEIVED, *_month(2026, 1))
    assert [(c.line.key, c.net, c.tax) for c in found] == [
        ("il_19", 5797, 1102),
        ("il_7", 2898, 203),
    ]
    fields, _ = vr.ustva(found)
    assert [(f.code, f.base, f.base_euros, f.tax) for f in fields] == [
        ("81", 5797, 57, 1102),
        ("86", 2898, 28, 203),
    ]


@pytest.mark.parametrize(
    "treatment, rate, goods, code",
    [
        ("domestic", "19", False, "81"),
        ("eu_no_vat_id", "19", False, "81"),
        ("domestic", "7", False, "86"),
        ("domestic", "16", False, "35"),
        ("domestic", "0", False, None),
        ("reverse_charge", "0", False, "21"),
        ("intra_eu_goods", "0", True, "41"),
        ("export", "0", False, "45"),
        ("export", "0", True, "43"),
        ("not_calculated", "0", False, None),
    ],
)
def test_each_treatment_has_its_kennzahl(treatment, rate, goods, code):
    line = vr.Line("il", treatment, rate, "EUR", 100, 0, date(2026, 1, 1), goods=goods)
    assert vr.kennzahl(line) == code


@pytest.mark.parametrize(
    "cents, euros", [(0, 0), (99, 0), (1234567, 12345), (-1299, -12), (-100, -1)]
)
def test_bases_are_whole_euros_with_the_cents_dropped(cents, euros):
    assert vr.whole_euros(cents) == euros


def test_other_currencies_are_in_no_field():
    line = vr.Line("il", "domestic", "19", "USD", 100, 19, date(2026, 1, 1))
    invoice = vr.Invoice("in", (line,), ())
    found = vr.vat_return([invoice], AGREED, *_month(2026, 1))
    assert found.fields == [] and [c.line.key for c in found.outside] == ["il"]


# -- properties ----------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
LINES = st.lists(
    st.tuples(
        st.integers(0, 500_000),
        st.sampled_from([("19", 19), ("7", 7), ("0", 0)]),
        st.sampled_from(["domestic", "reverse_charge", "export"]),
        DAYS,
    ),
    min_size=1,
    max_size=4,
)


@st.composite
def invoices(draw, paid_in_full=False):
    raw = draw(LINES)
    lines = tuple(
        vr.Line(
            f"il_{i}",
            t if r[1] == 0 or t == "domestic" else "domestic",
            r[0],
            "EUR",
            n,
            n * r[1] // 100,
            d,
        )
        for i, (n, r, t, d) in enumerate(raw)
    )
    total = sum(line.gross for line in lines)
    cuts = sorted(draw(st.lists(st.integers(0, total), max_size=3)))
    if not paid_in_full:
        cuts = [*cuts, draw(st.integers(cuts[-1] if cuts else 0, total))]
    else:
        cuts = [*cuts, total]
    amounts = [b - a for a, b in zip([0, *cuts[:-1]], cuts, strict=True)]
    money = tuple(vr.Movement(f"py_{i}", draw(DAYS), a, seq=i) for i, a in enumerate(amounts) if a)
    notes = ()
    paid = sum(m.amount for m in money)
    if not paid_in_full and total - paid > 0 and draw(st.booleans()):
        notes = (vr.CreditNote("cn_1", draw(DAYS), draw(st.integers(1, total - paid)), seq=99),)
    return vr.Invoice("in", lines, money, notes)


def _months():
    return [Period("month", year, month) for year in (2025, 2026, 2027) for month in range(1, 13)]


@settings(max_examples=150, deadline=None)
@given(invoice=invoices(), method=st.sampled_from([AGREED, RECEIVED]))
def test_every_cent_is_counted_in_exactly_one_period(invoice, method):
    """Month by month over three years adds up to what is finally taxable, line by line."""
    totals = {}
    for period in _months():
        for c in vr.contributions([invoice], method, period.start, period.end):
            entry = totals.setdefault(c.line.key, [0, 0])
            entry[0] += c.net
            entry[1] += c.tax
    whole = vr.contributions([invoice], method, date(2000, 1, 1), date(2100, 1, 1))
    assert {k: v for k, v in totals.items() if any(v)} == {
        c.line.key: [c.net, c.tax] for c in whole
    }


@settings(max_examples=150, deadline=None)
@given(invoice=invoices(paid_in_full=True))
def test_over_the_year_soll_and_ist_of_paid_invoices_agree(invoice):
    """Performed and paid in 2026: the year's Soll and Ist are the same per line and field."""
    year = Period("year", 2026)
    soll = vr.vat_return([invoice], AGREED, year.start, year.end)
    ist = vr.vat_return([invoice], RECEIVED, year.start, year.end)
    assert soll.fields == ist.fields
    assert sorted((c.line.key, c.net, c.tax) for c in soll.contributions) == sorted(
        (c.line.key, c.net, c.tax) for c in ist.contributions
    )
    assert {c.line.key: (c.net, c.tax) for c in soll.contributions} == {
        line.key: (line.net, line.tax) for line in invoice.lines if line.gross
    }


@settings(max_examples=200, deadline=None)
@given(invoice=invoices())
def test_receipts_split_over_the_lines_add_up_exactly(invoice):
    """Every receipt's parts add up to it; a line never receives more than its gross while the
    invoice is not overpaid."""
    received = 0
    for event in vr.events(invoice):
        if event.kind == "receipt":
            received += sum(event.parts)
    assert received == sum(m.amount for m in invoice.movements if m.amount > 0)
    whole = vr.contributions(
        [invoice], RECEIVED, date(2000, 1, 1), date(2100, 1, 1), all_by=RECEIVED
    )
    assert sum(c.gross for c in whole) == received
    for c in whole:
        assert 0 <= c.gross <= c.line.gross


@settings(max_examples=150, deadline=None)
@given(invoice=invoices(), later=st.integers(0, 40))
def test_a_voided_invoice_is_finally_taxed_on_what_was_received(invoice, later):
    """Voided after its last payment and note: over all time Soll, the EC Sales List's timing
    and Ist tax exactly the money kept, line by line, and every cent lands in one month."""
    days = [m.on for m in invoice.movements] + [n.on for n in invoice.credit_notes]
    on = max(days, default=date(2026, 1, 1)) + timedelta(days=later)
    note = vr.void_note(invoice, "void:in", on, seq=1000)
    assume(note is not None)
    voided = replace(invoice, credit_notes=(*invoice.credit_notes, note))
    always = (date(2000, 1, 1), date(2100, 1, 1))
    ist = {
        (c.line.key, c.net, c.tax)
        for c in vr.contributions([voided], RECEIVED, *always, all_by=RECEIVED)
    }
    for timing in (AGREED, PERFORMED):
        found = vr.contributions([voided], timing, *always, all_by=timing)
        assert {(c.line.key, c.net, c.tax) for c in found} == ist, timing
    monthly = {}
    for period in _months():
        for c in vr.contributions([voided], AGREED, period.start, period.end):
            entry = monthly.setdefault(c.line.key, [0, 0])
            entry[0] += c.net
            entry[1] += c.tax
    assert {k: tuple(v) for k, v in monthly.items() if any(v)} == {
        key: (net, tax) for key, net, tax in ist
    }


def test_performed_is_on_or_after_day():
    """A line performed on the last day of a month counts in that month, not the next."""
    line = _line(on=date(2026, 1, 31))
    found = vr.events(vr.Invoice("in", (line,)))
    assert vr.counted(line, 0, found, PERFORMED, date(2026, 2, 1)) == 11900
    assert vr.counted(line, 0, found, PERFORMED, date(2026, 1, 31)) == 0
    assert vr.counted(line, 0, found, PERFORMED, date(2026, 1, 31) + timedelta(days=1)) == 11900
