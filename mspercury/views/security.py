from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def security(request):
    return render(request, "mspercury/security.html", {})


@login_required
def totp_enrol(request):
    return render(request, "mspercury/security.html", {})


@login_required
def backup_codes(request):
    return render(request, "mspercury/security.html", {})


@login_required
def totp_disable(request):
    return render(request, "mspercury/security.html", {})


@login_required
def verify_2fa(request):
    return render(request, "mspercury/security.html", {})
