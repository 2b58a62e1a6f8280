from django.shortcuts import render

from mspercury.access import admin_required


@admin_required
def audit_log(request):
    return render(request, "mspercury/audit_log.html", {})
