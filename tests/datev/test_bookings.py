"""From mirrored facts to bookings: sides, accounts, reversals, document numbers, problems."""

from dataclasses import replace
from datetime import date

from billing.datev import bookings
from billing.datev.accounts import plan_for
from billing.datev.bookings import InvoiceFact, MoneyFact, Problem, build, tax_problems
from billing.datev.extf import Side

SKR03 = plan_for("03")
INVOICE = InvoiceFact(
    stripe_id="in_known1",
    number="A1B2C3D4-0001",
    day=date(2026, 3, 15),
    total=119000,
    tax=19000,
    currency="EUR",
    treatment="domestic",
    debtor="10000",
    customer_name="Müller GmbH",
    due_date=date(2026, 3, 29),
)
RC_INVOICE = replace(
    INVOICE, treatment="reverse_charge", tax=0, total=100000, vat_id="FR40303265045"
)


def _money(source, amount, **extra):
    return MoneyFact(
        provider_id=extra.pop("provider_id", f"{source}_1"),
        source=source,
        method=extra.pop("method", "card"),
        amount=amount,
        day=date(2026, 3, 20),
        invoice=extra.pop("invoice", INVOICE),
        **extra,
    )


def _sides(items):
    return [(b.account, b.side, b.contra_account, b.amount, b.day) for b in items]


def test_an_invoice_debits_the_debtor_against_revenue():
    [booking] = bookings.invoice_bookings(INVOICE, SKR03)
    assert _sides([booking]) == [("10000", Side.DEBIT, "8400", 119000, date(2026, 3, 15))]
    assert booking.document == "A1B2C3D4-0001"
    assert booking.text == "Rechnung A1B2C3D4-0001 Müller GmbH"
    assert booking.infos == (("Stripe-Rechnung", "in_known1"),)
    assert (booking.service_date, booking.due_date, booking.vat_id) == (
        date(2026, 3, 15),
        date(2026, 3, 29),
        "",
    )


def test_a_reverse_charge_invoice_carries_the_customers_vat_id():
    [booking] = bookings.invoice_bookings(RC_INVOICE, SKR03)
    assert (booking.contra_account, booking.vat_id) == ("8336", "FR40303265045")


def test_a_voided_invoice_is_reversed_on_the_day_it_was_voided():
    voided = replace(INVOICE, voided_on=date(2026, 4, 2))
    original, storno = bookings.invoice_bookings(voided, SKR03)
    assert _sides([original, storno]) == [
        ("10000", Side.DEBIT, "8400", 119000, date(2026, 3, 15)),
        ("10000", Side.CREDIT, "8400", 119000, date(2026, 4, 2)),
    ]
    assert storno.text == "Storno Rechnung A1B2C3D4-0001 Müller GmbH"
    assert storno.document == "A1B2C3D4-0001"


def test_a_zero_invoice_has_no_booking_and_a_negative_one_credits_the_debtor():
    assert bookings.invoice_bookings(replace(INVOICE, total=0), SKR03) == []
    [booking] = bookings.invoice_bookings(replace(INVOICE, total=-500), SKR03)
    assert (booking.side, booking.amount) == (Side.CREDIT, 500)


def test_a_stripe_payment_debits_the_clearing_account_against_the_debtor():
    [booking] = bookings.money_bookings(_money("stripe", 119000, provider_id="inpay_1"), SKR03)
    assert _sides([booking]) == [("1360", Side.DEBIT, "10000", 119000, date(2026, 3, 20))]
    assert booking.document == "A1B2C3D4-0001"  # the invoice it pays: DATEV's open items match
    assert booking.text == "Zahlung A1B2C3D4-0001 Müller GmbH"
    assert booking.infos == (("Stripe-Rechnung", "in_known1"), ("Stripe-Zahlung", "inpay_1"))
    assert booking.tax_key == "" and booking.vat_id == ""


def test_a_manual_bank_transfer_goes_to_the_bank_account():
    money = _money("manual", 5000, method="bank_transfer", provider_id="manual:1")
    [booking] = bookings.money_bookings(money, plan_for("04"))
    assert _sides([booking])[0][:3] == ("1800", Side.DEBIT, "10000")


def test_a_payment_read_back_from_lexware_or_sevdesk_goes_to_the_bank_account():
    """The accounting tool's own payments (bank transfers it matched) are booked as payments."""
    money = _money("accounting", 5000, method="bank_transfer", provider_id="lexware:x:1")
    [booking] = bookings.money_bookings(money, plan_for("04"))
    assert _sides([booking])[0][:3] == ("1800", Side.DEBIT, "10000")
    assert booking.text.startswith("Zahlung ")
    assert booking.infos[1] == ("Zahlung laut Buchhaltung", "lexware:x:1")


def test_a_refund_credits_the_clearing_account():
    [booking] = bookings.money_bookings(_money("refund", -11900, provider_id="re_1"), SKR03)
    assert _sides([booking]) == [("1360", Side.CREDIT, "10000", 11900, date(2026, 3, 20))]
    assert booking.text == "Erstattung A1B2C3D4-0001 Müller GmbH"
    assert booking.infos[1] == ("Stripe-Erstattung", "re_1")


def test_a_credit_note_credits_the_debtor_against_revenue_under_its_own_number():
    money = _money(
        "credit_note", -11900, provider_id="cn_1", reference="A1B2C3D4-0001-CN-01", method=""
    )
    [booking] = bookings.money_bookings(money, SKR03)
    assert _sides([booking]) == [("10000", Side.CREDIT, "8400", 11900, date(2026, 3, 20))]
    assert booking.document == "A1B2C3D4-0001-CN-01"
    assert booking.text == "Gutschrift A1B2C3D4-0001-CN-01 Müller GmbH"
    assert booking.service_date == date(2026, 3, 15)  # the supply it corrects
    assert booking.infos == (
        ("Stripe-Rechnung", "in_known1"),
        ("Stripe-Gutschrift", "cn_1"),
        ("Rechnung", "A1B2C3D4-0001"),
    )


def test_a_reverse_charge_credit_note_uses_the_invoices_account_and_vat_id():
    money = _money("credit_note", -10000, invoice=RC_INVOICE, reference="CN-1")
    [booking] = bookings.money_bookings(money, plan_for("04"))
    assert (booking.contra_account, booking.vat_id) == ("4336", "FR40303265045")


def test_a_voided_payment_keeps_its_booking_and_is_reversed():
    money = _money("manual", 5000, method="cash", voided_on=date(2026, 4, 1))
    original, storno = bookings.money_bookings(money, SKR03)
    assert _sides([original, storno]) == [
        ("1000", Side.DEBIT, "10000", 5000, date(2026, 3, 20)),
        ("1000", Side.CREDIT, "10000", 5000, date(2026, 4, 1)),
    ]
    assert storno.text.startswith("Storno Zahlung")


def test_it_reports_vat_that_contradicts_the_treatment():
    assert tax_problems(INVOICE) == []
    assert tax_problems(RC_INVOICE) == []
    assert tax_problems(replace(INVOICE, tax=0)) == [Problem("in_known1", bookings.NO_VAT_ON_TAXED)]
    assert tax_problems(replace(RC_INVOICE, tax=100)) == [
        Problem("in_known1", bookings.VAT_ON_UNTAXED)
    ]


def test_an_invoice_without_a_revenue_account_is_left_out_and_reported():
    lost = replace(INVOICE, treatment="not_calculated")
    rows, problems = build([lost, RC_INVOICE], [_money("stripe", 100, invoice=lost)], SKR03)
    assert [(b.account, b.contra_account) for b in rows] == [("10000", "8336"), ("1360", "10000")]
    assert problems == [Problem("in_known1", bookings.UNMAPPED_TREATMENT)]
