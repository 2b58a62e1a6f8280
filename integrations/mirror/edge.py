"""The Stripe answers billing and the portal ask for (billing.edge): read from what the edge
stored, or from Stripe now."""

import logging

from integrations.mirror.checkout import check_returned_session, create_session
from integrations.mirror.evidence_reads import StripeEvidenceReader
from integrations.mirror.payments import collect_invoice_payments
from integrations.mirror.sync import sync_invoice
from integrations.models import StripeConnection, StripeEvent, StripeObjectMap
from integrations.stripe.client import make_client
from integrations.stripe.errors import StripeFailure

logger = logging.getLogger(__name__)


class StripeEdge:
    def void_moments(self, workspace, invoice_ids):
        events = StripeEvent.objects.filter(
            workspace=workspace,
            event_type="invoice.voided",
            payload__data__object__id__in=list(invoice_ids),
        ).values_list("payload__data__object__id", "created")
        return {stripe_id: created for stripe_id, created in events if created}

    def voided_between(self, workspace, start, end):
        events = StripeEvent.objects.filter(
            workspace=workspace,
            event_type="invoice.voided",
            created__gte=start,
            created__lt=end,
        ).values_list("payload__data__object__id", flat=True)
        return [stripe_id for stripe_id in events if stripe_id]

    def charge_details(self, workspace_id, payment_intent):
        event = (
            StripeEvent.objects.filter(
                workspace_id=workspace_id,
                event_type="charge.succeeded",
                payload__data__object__payment_intent=payment_intent,
            )
            .order_by("-id")
            .first()
        )
        charge = event.payload["data"]["object"] if event else {}
        return charge.get("payment_method_details") or {}

    def tax_rate_keys(self, workspace_id, tax_rate_ids):
        return dict(
            StripeObjectMap.objects.filter(
                workspace_id=workspace_id,
                kind=StripeObjectMap.Kind.TAX_RATE,
                stripe_id__in=list(tax_rate_ids),
            ).values_list("stripe_id", "local_ref")
        )

    def evidence_reader(self, workspace_id):
        connection = StripeConnection.objects.for_workspace(workspace_id)
        return StripeEvidenceReader(make_client(connection.api_key)) if connection else None

    def connected(self, workspace_id):
        return StripeConnection.objects.for_workspace(workspace_id) is not None

    def read_fresh(self, invoice):
        """Re-read with its payments recorded, so the portal shows and asks for the ledger's
        balance as of now. A key that may not list invoice payments leaves that to webhooks."""
        connection = StripeConnection.objects.for_workspace(invoice.workspace_id)
        if connection is None:
            return None
        client = make_client(connection.api_key)
        mirror = sync_invoice(connection, invoice.stripe_id, client)
        if mirror is None:
            return None
        try:
            collect_invoice_payments(connection, mirror, client)
        except StripeFailure as failure:
            if failure.retryable:
                raise
            logger.warning("Payments of %s not read: %s", mirror.stripe_id, failure.message)
        mirror.refresh_from_db()
        return mirror

    def checkout_url(self, invoice, *, success_url, cancel_url, expires_at, amount):
        connection = StripeConnection.objects.for_workspace(invoice.workspace_id)
        if connection is None:
            return None
        try:
            return create_session(
                connection,
                invoice,
                success_url=success_url,
                cancel_url=cancel_url,
                link_expires_at=expires_at,
                amount=amount,
            )
        except StripeFailure as failure:
            if failure.retryable:
                raise
            # The customer can still pay on Stripe's invoice page where that is right.
            logger.warning("Checkout refused for %s: %s", invoice.stripe_id, failure.message)
            return None

    def check_returned_session(self, invoice, session_id):
        connection = StripeConnection.objects.for_workspace(invoice.workspace_id)
        return check_returned_session(connection, session_id, invoice) if connection else ""

    def invoice_file(self, invoice):
        from integrations.accounting.files import invoice_file

        return invoice_file(invoice)
