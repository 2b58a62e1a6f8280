"""The other history-long lists read an index in their own order: customers, quotes, Stripe
events and the audit log, planned by PostgreSQL as the app role under row-level security."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from integrations.models import StripeEvent
from mspercury import tenancy
from mspercury.models import AuditEvent
from quotes.models import Quote
from tests.billing.test_invoice_list_at_scale import _analyze, _link


def _page_plan(client, url, workspace, limit: int) -> str:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    (sql,) = [q["sql"] for q in captured.captured_queries if f"LIMIT {limit}" in q["sql"]]
    with tenancy.workspace_context(workspace), connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    return plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_customers_quotes_events_and_audit_pages_read_their_index_in_order(
    client_for, alice, alpha, transactional_db
):
    customers = Customer.objects.bulk_create(
        Customer(workspace=alpha, company_name=f"Kunde {n:04d}") for n in range(3000)
    )
    Quote.objects.bulk_create(
        Quote(workspace=alpha, number=f"Q-{n:05d}", customer=customers[n % 3000], currency="EUR")
        for n in range(6000)
    )
    StripeEvent.objects.bulk_create(
        StripeEvent(
            workspace=alpha,
            stripe_account="acct_1",
            event_id=f"evt_{n}",
            event_type="invoice.paid",
            payload={},
            status="processed",
        )
        for n in range(6000)
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(workspace=alpha, action="test.event", summary=f"event {n}") for n in range(6000)
    )
    _analyze(
        "customers_customer", "quotes_quote", "integrations_stripeevent", "mspercury_auditevent"
    )
    client = client_for(alice)
    cases = [
        ("/customers/", 26, "customer_list"),
        ("/quotes/", 26, "quote_list"),
        ("/settings/integrations/events/", 51, "event_list"),
        ("/settings/audit/", 51, "audit_list"),
    ]
    for url, limit, index in cases:
        later = _link(client.get(url), "next")
        for page in (url, f"{url}?{later}"):
            plan = _page_plan(client, page, alpha, limit)
            assert f"using {index} " in plan and "Sort" not in plan, (page, plan)
