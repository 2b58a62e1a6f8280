"""A manual payment on an invoice MSPercury issued in the workspace's accounting tool: written
back where the API allows it, then recorded on the one settle path.

- sevDesk books it on the invoice (``PUT /Invoice/{id}/bookAmount``, notes §2.12) on the
  account's first check account; a refusal records nothing.
- Lexware Office's API cannot record a payment ("The status of an invoice cannot be changed via
  the api", notes §1.13): the payment is kept in MSPercury only and labelled so
  (billing.payments.NOT_IN_LEXWARE), and linked to
  Lexware's own once someone books it there (integrations.accounting.readback).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from billing.models import Invoice, Provider
from billing.payments import PaymentError
from integrations.accounting.http import ProviderError
from integrations.models import AccountingConnection
from integrations.sevdesk.client import SevdeskClient


def write_back(invoice: Invoice, amount: int, paid_at: datetime) -> bool:
    """Book the payment in the invoice's provider where its API allows; whether it did. Raises
    PaymentError with the provider's words when it refused."""
    if invoice.provider != Provider.SEVDESK:
        return False
    connection = AccountingConnection.objects.for_workspace(invoice.workspace_id, "sevdesk")
    if connection is None:
        raise PaymentError(_("Connect sevDesk first: the invoice lives in your sevDesk account."))
    client = SevdeskClient(connection.api_key)
    try:
        accounts = client.check_accounts()
        if not accounts:
            raise PaymentError(_("sevDesk has no bank account to book the payment on."))
        client.book_amount(
            invoice.stripe_id,
            Decimal(amount) / 100,
            paid_at.date(),
            str(accounts[0]["id"]),
        )
    except ProviderError as failure:
        raise PaymentError(
            _("sevDesk refused: %(message)s") % {"message": failure.message}
        ) from failure
    return True
