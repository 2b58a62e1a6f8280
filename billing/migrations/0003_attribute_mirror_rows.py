"""Give every existing mirror row and stored event to the workspace it really belongs to.

Before issue 12 a workspace's webhook stored every event of a shared Stripe account, and the
mirror rows went to whichever workspace saw the object first. Rows whose quote or customer is
another workspace's move there (or go, if that workspace has its own); rows with neither cannot
be attributed here and wait, hidden, for reconciliation to re-read them from Stripe. Stored
events go by the workspace identity in their payload. Runs before row-level security.
"""

from django.db import migrations

MARK = "mspercury_workspace"


def _marks(payload) -> set[str]:
    obj = ((payload or {}).get("data") or {}).get("object") or {}
    parent = (obj.get("parent") or {}).get("subscription_details") or {}
    customer = obj.get("customer") if isinstance(obj.get("customer"), dict) else {}
    found = {
        str((source.get("metadata") or {}).get(MARK) or "").strip()
        for source in (obj, parent, customer)
        if isinstance(source, dict)
    }
    return found - {""}


def _owner(row) -> int | None:
    if row.quote_id:
        return row.quote.workspace_id
    if row.customer_id:
        return row.customer.workspace_id
    return None


def _rehome_mirror(model, movement_model, using) -> None:
    rows = model.objects.using(using).select_related("quote", "customer")
    for row in rows.iterator():
        owner = _owner(row)
        if owner is None:
            model.objects.using(using).filter(pk=row.pk).update(ownership="unverified")
            continue
        if owner == row.workspace_id:
            continue
        taken = model.objects.using(using).filter(
            workspace_id=owner, account_ref=row.account_ref, stripe_id=row.stripe_id
        )
        if taken.exists():
            model.objects.using(using).filter(pk=row.pk).delete()
            continue
        model.objects.using(using).filter(pk=row.pk).update(workspace_id=owner)
        if movement_model is not None:
            movement_model.objects.using(using).filter(subscription_id=row.pk).update(
                workspace_id=owner
            )


def _rehome_events(event_model, workspace_model, using) -> None:
    workspaces = dict(workspace_model.objects.using(using).values_list("public_id", "pk"))
    by_ref = {str(public_id): pk for public_id, pk in workspaces.items()}
    for event in event_model.objects.using(using).iterator():
        marks = _marks(event.payload)
        owners = {by_ref.get(mark) for mark in marks}
        if not marks or owners == {event.workspace_id}:
            continue
        owner = owners.pop() if len(owners) == 1 else None
        taken = (
            owner is None
            or event_model.objects.using(using)
            .filter(
                workspace_id=owner, stripe_account=event.stripe_account, event_id=event.event_id
            )
            .exists()
        )
        if taken:  # another workspace's event it already has, or nobody we know: not ours
            event_model.objects.using(using).filter(pk=event.pk).delete()
        else:
            event_model.objects.using(using).filter(pk=event.pk).update(workspace_id=owner)


def attribute(apps, schema_editor):
    using = schema_editor.connection.alias
    _rehome_mirror(apps.get_model("billing", "StripeInvoice"), None, using)
    _rehome_mirror(
        apps.get_model("billing", "StripeSubscription"),
        apps.get_model("billing", "MrrMovement"),
        using,
    )
    _rehome_events(
        apps.get_model("integrations", "StripeEvent"),
        apps.get_model("mspercury", "Workspace"),
        using,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_ownership"),
        ("integrations", "0005_workspace_constraints"),
    ]

    operations = [migrations.RunPython(attribute, migrations.RunPython.noop)]
