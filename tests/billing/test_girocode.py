"""The GiroCode's payload, field by field as EPC069-12 (version 002) lays it down."""

from decimal import Decimal

import pytest
import segno.helpers

from billing.girocode import Transfer, epc_payload, girocode_svg

TRANSFER = Transfer(
    name="Alpha IT GmbH",
    iban="DE89 3704 0044 0532 0130 00",
    bic="cobadeffxxx",
    amount=Decimal("1234.5"),
    reference="RE1001",
)


def test_the_payload_has_every_epc069_12_field_in_order():
    assert epc_payload(TRANSFER).split("\n") == [
        "BCD",  # service tag
        "002",  # version
        "1",  # character set: UTF-8
        "SCT",  # identification: SEPA credit transfer
        "COBADEFFXXX",  # BIC
        "Alpha IT GmbH",  # beneficiary name
        "DE89370400440532013000",  # IBAN without spaces
        "EUR1234.50",  # amount
        "",  # purpose
        "",  # structured (ISO 11649) reference: none
        "RE1001",  # unstructured remittance text: the invoice number
    ]


def test_it_reads_as_segnos_own_epc_data_says():
    """The same fields as segno's reference implementation builds (its amount drops trailing
    zeros and it picks the smallest character set; the fields are the same)."""
    ours = epc_payload(TRANSFER).split("\n")
    theirs = (
        segno.helpers._make_epc_qr_data(
            name="Alpha IT GmbH",
            iban="DE89370400440532013000",
            amount=Decimal("1234.50"),
            text="RE1001",
            bic="COBADEFFXXX",
            encoding="utf-8",
        )
        .decode()
        .split("\n")
    )
    assert ours[:7] == theirs[:7] and ours[8:] == theirs[8:]
    assert Decimal(ours[7][3:]) == Decimal(theirs[7][3:])


def test_the_bic_may_be_left_out_in_version_002():
    payload = epc_payload(Transfer("A", "DE89370400440532013000", "", Decimal("1"), "R-1"))
    assert payload.split("\n")[4] == "" and payload.split("\n")[7] == "EUR1.00"


@pytest.mark.parametrize(
    "change",
    [
        {"name": ""},
        {"name": "x" * 71},
        {"iban": "DE89"},
        {"bic": "COBADE"},
        {"amount": Decimal("0")},
        {"amount": Decimal("1000000000")},
        {"reference": "x" * 141},
    ],
)
def test_what_the_epc_does_not_allow_is_refused(change):
    values = {**TRANSFER.__dict__, **change}
    with pytest.raises(ValueError):
        epc_payload(Transfer(**values))


def test_the_qr_code_is_an_svg_with_error_correction_m():
    uri = girocode_svg(epc_payload(TRANSFER))
    assert uri.startswith("data:image/svg+xml")
    assert segno.make_qr(epc_payload(TRANSFER), error="m", boost_error=False).error == "M"
