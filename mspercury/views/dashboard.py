from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from customers.models import Customer
from mspercury.access import workspace_required
from mspercury.charts import mrr_charts
from quotes.reporting import workspace_report


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


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
