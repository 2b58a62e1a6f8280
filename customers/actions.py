"""Writes to customers and projects, each with its audit event, in one transaction."""

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from customers.models import Customer, Project
from mspercury import audit
from mspercury.texts import Text


class CustomerInUse(Exception):
    """The customer has quotes, so deleting it would lose their history."""


@transaction.atomic
def do_create_customer(request, customer: Customer) -> Customer:
    """Save a new (validated, unsaved) customer into the active workspace."""
    customer.workspace = request.workspace
    customer.save()
    audit.record(
        request,
        customer.workspace,
        "customer.created",
        Text(gettext_noop("Customer “%(customer)s” created"), customer=customer.company_name),
        customer=str(customer.public_id),
    )
    return customer


@transaction.atomic
def do_update_customer(request, customer: Customer, changed: list[str]) -> Customer:
    """Save an edited customer; the audit event names the changed fields (not their values)."""
    customer.save()
    if changed:
        audit.record(
            request,
            customer.workspace,
            "customer.updated",
            Text(
                gettext_noop("Customer “%(customer)s” changed: %(fields)s"),
                customer=customer.company_name,
                fields=", ".join(changed),
            ),
            customer=str(customer.public_id),
            changed=changed,
        )
    return customer


@transaction.atomic
def do_delete_customer(request, customer: Customer) -> None:
    """Delete a customer and its projects; refused while quotes refer to it."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.quotes.exists():
        raise CustomerInUse(_("This customer has quotes and cannot be deleted."))
    try:
        with transaction.atomic():
            locked.delete()
    except ProtectedError:
        raise CustomerInUse(_("This customer has quotes and cannot be deleted.")) from None
    audit.record(
        request,
        customer.workspace,
        "customer.deleted",
        Text(gettext_noop("Customer “%(customer)s” deleted"), customer=customer.company_name),
        customer=str(customer.public_id),
    )


@transaction.atomic
def do_save_project(request, project: Project, customer: Customer) -> Project:
    """Create or update a project of ``customer``."""
    created = project.pk is None
    project.customer = customer
    project.workspace = customer.workspace
    project.save()
    audit.record(
        request,
        customer.workspace,
        "project.created" if created else "project.updated",
        Text(
            gettext_noop("Project “%(project)s” of “%(customer)s” created")
            if created
            else gettext_noop("Project “%(project)s” of “%(customer)s” changed"),
            project=project.name,
            customer=customer.company_name,
        ),
        customer=str(customer.public_id),
        project=str(project.public_id),
    )
    return project


@transaction.atomic
def do_delete_project(request, project: Project) -> None:
    """Delete a project; quotes made for it keep their lines and lose only the link."""
    project.delete()
    audit.record(
        request,
        project.workspace,
        "project.deleted",
        Text(
            gettext_noop("Project “%(project)s” of “%(customer)s” deleted"),
            project=project.name,
            customer=project.customer.company_name,
        ),
        customer=str(project.customer.public_id),
        project=str(project.public_id),
    )
