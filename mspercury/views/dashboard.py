from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from mspercury.access import workspace_required


@workspace_required
def dashboard(request):
    return render(request, "mspercury/dashboard.html", {})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
