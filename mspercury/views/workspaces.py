from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from mspercury import audit, tenancy
from mspercury.access import admin_required, workspace_required
from mspercury.actions import do_create_workspace
from mspercury.forms import WorkspaceCreateForm
from mspercury.forms_workspace import WorkspaceSettingsForm, changed_fields, settings_snapshot
from mspercury.middleware import SESSION_WORKSPACE_KEY
from mspercury.models import Membership, Workspace
from mspercury.particulars import missing_particulars
from mspercury.texts import Text


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
    with tenancy.workspace_context(membership.workspace, request.user):
        audit.record(
            request,
            membership.workspace,
            "workspace.switched",
            Text(gettext_noop("%(email)s switched to this workspace"), email=request.user.email),
        )
    return redirect("dashboard")


@workspace_required
def settings_home(request):
    return redirect("workspace_settings" if request.membership.is_admin else "team")


@admin_required
def workspace_settings(request):
    workspace = Workspace.objects.get(pk=request.workspace.pk)  # a copy the form may modify
    options = {"instance": workspace, "can_set_2fa_policy": request.membership.is_owner}
    if request.method == "POST" and "_refresh" in request.POST:
        form = WorkspaceSettingsForm.refreshed(request.POST, **options)
    elif request.method == "POST":
        before = settings_snapshot(workspace)
        form = WorkspaceSettingsForm(request.POST, **options)
        if form.is_valid():
            with transaction.atomic():
                form.save()
                changed = changed_fields(before, workspace)
                if changed:
                    audit.record(
                        request,
                        workspace,
                        "workspace.settings_changed",
                        Text(
                            gettext_noop("Workspace settings changed: %(fields)s"),
                            fields=", ".join(changed),
                        ),
                        changed=changed,
                    )
            messages.success(request, _("Workspace settings saved."))
            return redirect("workspace_settings")
    else:
        form = WorkspaceSettingsForm(**options)
    return render(
        request,
        "mspercury/workspace_settings.html",
        {"form": form, "missing_particulars": missing_particulars(request.workspace)},
    )


@admin_required
@require_GET
def workspace_tax_id_type(request):
    """htmx: the tax-ID type field for the chosen country, with its expected format."""
    form = WorkspaceSettingsForm.refreshed(
        request.GET, instance=request.workspace, can_set_2fa_policy=False
    )
    return render(request, "mspercury/_tax_id_type_field.html", {"form": form})
