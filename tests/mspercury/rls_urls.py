"""Views that forget their workspace filter on purpose, for the row-level security tests."""

from django.db import connection
from django.http import JsonResponse
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import include, path

from customers.models import Customer
from mspercury.access import workspace_required

LAZY = engines["django"].from_string("{% for c in customers %}{{ c.company_name }};{% endfor %}")


@workspace_required
def unscoped_lazy(request):
    # No workspace filter, and the queryset is only evaluated when the response is rendered,
    # after the view has returned.
    return TemplateResponse(request, LAZY, {"customers": Customer.objects.order_by("pk")})


def settings_seen(request):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, current_setting('app.workspace_id', true), "
            "current_setting('app.user_id', true)"
        )
        role, workspace_id, user_id = cursor.fetchone()
    return JsonResponse({"role": role, "workspace_id": workspace_id, "user_id": user_id})


@workspace_required
def write_then_fail(request):
    Customer.objects.create(workspace=request.workspace, company_name="Half-written GmbH")
    raise RuntimeError("the view fails after a write")


urlpatterns = [
    path("write-then-fail/", write_then_fail),
    path("unscoped/", unscoped_lazy),
    path("settings-seen/", settings_seen),
    path("", include("mspercury.urls")),
]
