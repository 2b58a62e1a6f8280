from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mspercury import audit
from mspercury.access import workspace_required
from mspercury.actions import do_create_workspace
from mspercury.forms import WorkspaceCreateForm
from mspercury.middleware import SESSION_WORKSPACE_KEY
from mspercury.models import Membership


@login_required
def workspace_create(request):
    form = WorkspaceCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = do_create_workspace(request.user, form.cleaned_data["name"], request=request)
        request.session[SESSION_WORKSPACE_KEY] = str(workspace.public_id)
        messages.success(request, _("Workspace created. Fill in its details next."))
        return redirect("workspace_settings")
    return render(request, "mspercury/workspace_create.html", {"form": form})


@login_required
@require_POST
def workspace_switch(request, workspace_id):
    membership = get_object_or_404(
        Membership.objects.select_related("workspace"),
        user=request.user,
        workspace__public_id=workspace_id,
    )
    request.session[SESSION_WORKSPACE_KEY] = str(membership.workspace.public_id)
    request.user.last_workspace = membership.workspace
    request.user.save(update_fields=["last_workspace"])
    audit.record(
        request,
        membership.workspace,
        "workspace.switched",
        f"{request.user.email} switched to this workspace",
    )
    return redirect("dashboard")


@workspace_required
def settings_home(request):
    return redirect("workspace_settings" if request.membership.is_admin else "team")


@workspace_required
def workspace_settings(request):
    return render(request, "mspercury/workspace_settings.html", {})


@workspace_required
def workspace_tax_id_type(request):
    return render(request, "mspercury/workspace_settings.html", {})
