"""What billing reads of the billing provider's world, asked of the edge that registered itself
(integrations, in its AppConfig.ready). Billing never imports the edge: the arrow points in.

The edge answers with plain data; a workspace without an edge (a test of billing alone) gets
the empty answers of ``NoEdge``."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Edge(Protocol):
    def void_moments(self, workspace, invoice_ids: list[str]) -> dict[str, datetime]:
        """When each voided invoice was voided, as the provider said."""

    def voided_between(self, workspace, start: datetime, end: datetime) -> list[str]:
        """The invoices the provider said were voided at a moment in [start, end)."""

    def charge_details(self, workspace_id: int, payment_intent: str) -> dict:
        """``payment_method_details`` of the charge behind a payment intent."""

    def tax_rate_keys(self, workspace_id: int, tax_rate_ids: set[str]) -> dict[str, str]:
        """The key (country:percent:behaviour:treatment) of each tax rate MSPercury made."""

    def evidence_reader(self, workspace_id: int):
        """A billing.evidence.facts.EvidenceReader for the workspace, None when not connected."""

    def connected(self, workspace_id: int) -> bool:
        """Whether the workspace's invoices can be read and paid at the provider now."""

    def read_fresh(self, invoice):
        """The invoice read from the provider now, its payments recorded in the ledger; None
        when not connected or gone. Errors that a retry may fix propagate."""

    def checkout_url(self, invoice, *, success_url, cancel_url, expires_at, amount) -> str | None:
        """A payment page for ``amount`` of the invoice, or None when the provider refused."""

    def check_returned_session(self, invoice, session_id: str) -> str:
        """ "paid", "processing", "failed", "unpaid" or "unknown" for a returning payer."""

    def invoice_file(self, invoice) -> tuple[str, str, bytes] | None:
        """(filename, content type, content) of an accounting tool's invoice PDF, read from
        the tool now; None when it has none (Stripe's invoices link their own PDF)."""


class NoEdge:
    def void_moments(self, workspace, invoice_ids):
        return {}

    def voided_between(self, workspace, start, end):
        return []

    def charge_details(self, workspace_id, payment_intent):
        return {}

    def tax_rate_keys(self, workspace_id, tax_rate_ids):
        return {}

    def evidence_reader(self, workspace_id):
        return None

    def connected(self, workspace_id):
        return False

    def read_fresh(self, invoice):
        return None

    def checkout_url(self, invoice, **_page):
        return None

    def check_returned_session(self, invoice, session_id):
        return ""

    def invoice_file(self, invoice):
        return None


_edge: Edge = NoEdge()


def register(edge: Edge) -> None:
    global _edge
    _edge = edge


def edge() -> Edge:
    return _edge
