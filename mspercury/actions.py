"""Writes that touch several rows: sign-up, workspace creation, switching."""

from django.db import transaction

from mspercury import audit
from mspercury.models import Membership, Role, User, Workspace


@transaction.atomic
def do_create_workspace(user: User, name: str, request=None) -> Workspace:
    workspace = Workspace.objects.create(name=name, default_language=user.language or "en")
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    user.last_workspace = workspace
    user.save(update_fields=["last_workspace"])
    audit.record(request, workspace, "workspace.created", f"Workspace “{name}” created", actor=user)
    return workspace


@transaction.atomic
def do_signup(
    *, email: str, password: str, full_name: str, workspace_name: str, language: str, request=None
) -> User:
    user = User.objects.create_user(email, password, full_name=full_name, language=language)
    do_create_workspace(user, workspace_name, request=request)
    return user
