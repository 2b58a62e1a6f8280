from django.shortcuts import render

from mspercury.access import admin_required, workspace_required


@workspace_required
def team(request):
    return render(request, "mspercury/team.html", {})


@admin_required
def invite_create(request):
    return render(request, "mspercury/team.html", {})


@admin_required
def invite_revoke(request, invite_id):
    return render(request, "mspercury/team.html", {})


@admin_required
def member_role(request, membership_id):
    return render(request, "mspercury/team.html", {})


@admin_required
def member_remove(request, membership_id):
    return render(request, "mspercury/team.html", {})


def invite_accept(request, token):
    return render(request, "mspercury/team.html", {})
