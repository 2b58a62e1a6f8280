"""The dashboard: revenue of accepted quotes, MRR as Stripe bills it, the quote pipeline."""

from django.shortcuts import render

from billing.reporting import workspace_report
from customers.models import Customer
from mspercury.access import workspace_required
from mspercury.charts import mrr_charts


@workspace_required
def dashboard(request):
    """Revenue of accepted quotes and the quote pipeline; onboarding steps until the first quote."""
    report = workspace_report(request.workspace)
    context = {
        "report": report,
        "mrr_charts": mrr_charts(report.history),
        "has_customers": report.quote_count > 0
        or Customer.objects.filter(workspace=request.workspace).exists(),
    }
    return render(request, "mspercury/dashboard.html", context)
