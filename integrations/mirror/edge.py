"""The Stripe answers billing asks for (billing.edge): read from what the edge stored."""

from integrations.mirror.evidence_reads import StripeEvidenceReader
from integrations.models import StripeConnection, StripeEvent, StripeObjectMap
from integrations.stripe.client import make_client


class StripeEdge:
    def void_moments(self, workspace, invoice_ids):
        events = StripeEvent.objects.filter(
            workspace=workspace,
            event_type="invoice.voided",
            payload__data__object__id__in=list(invoice_ids),
        ).values_list("payload__data__object__id", "created")
        return {stripe_id: created for stripe_id, created in events if created}

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
        connection = StripeConnection.objects.filter(workspace_id=workspace_id).first()
        return StripeEvidenceReader(make_client(connection.api_key)) if connection else None
