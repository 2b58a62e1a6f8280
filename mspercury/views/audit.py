from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from mspercury.access import admin_required
from mspercury.models import AuditEvent

PER_PAGE = 50

# Readable names for the actions we know; unknown ones are shown by their code.
ACTION_LABELS = {
    "auth.sign_in": _("Signed in"),
    "workspace.created": _("Workspace created"),
    "workspace.switched": _("Switched workspace"),
    "invite.sent": _("Invite sent"),
    "invite.revoked": _("Invite revoked"),
    "invite.accepted": _("Invite accepted"),
    "member.role_changed": _("Role changed"),
    "member.removed": _("Member removed"),
}


@admin_required
def audit_log(request):
    events = AuditEvent.objects.filter(workspace=request.workspace).select_related("actor")
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    for event in page:
        event.label = ACTION_LABELS.get(event.action, event.action)
    return render(request, "mspercury/audit_log.html", {"page": page})
