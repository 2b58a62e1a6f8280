"""Customers and their projects. Owners, admins and members alike may manage them."""

import re
from smtplib import SMTPException

from django.contrib import messages
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from customers.access import access_customer, access_project
from customers.actions import (
    CustomerInUse,
    do_create_customer,
    do_delete_customer,
    do_delete_project,
    do_save_project,
    do_update_customer,
)
from customers.forms import CUSTOMER_FIELDS, CustomerForm, ProjectForm
from customers.models import Customer, Project
from customers.portal_invite import InviteRefused, do_invite_to_portal
from customers.tax_parties import vat_id_status
from customers.vatids.views import check_on_save
from mspercury.access import workspace_required
from mspercury.keyset import Keyset

PAGE_SIZE = 25
# Alphabetical, through the customer_list index; no COUNT, no OFFSET.
CUSTOMER_PAGES = Keyset("company_name", "id", size=PAGE_SIZE)
# Changing any of these asks VIES again as the customer is saved.
VAT_FIELDS = {"country", "tax_id_type", "tax_id"}


def _search(queryset, q: str):
    """Match company, contact, email, city or tax ID; tax IDs also without their separators."""
    match = (
        Q(company_name__icontains=q)
        | Q(contact_name__icontains=q)
        | Q(email__icontains=q)
        | Q(city__icontains=q)
        | Q(tax_id__icontains=q)
    )
    compact = re.sub(r"[\s.\-/]", "", q)
    if compact and compact != q:
        match |= Q(tax_id__icontains=compact)
    return queryset.filter(match)


def _project_count():
    """Counted per customer shown (a correlated subquery), not grouped over every customer."""
    projects = Project.objects.filter(customer=OuterRef("pk")).order_by().values("customer")
    return Coalesce(Subquery(projects.annotate(n=Count("*")).values("n")), 0)


@workspace_required
@require_GET
def customer_list(request):
    q = request.GET.get("q", "").strip()[:100]
    customers = (
        Customer.objects.filter(workspace=request.workspace)
        .annotate(project_count=_project_count())
        .order_by("company_name", "id")
    )
    if q:
        customers = _search(customers, q)
    scope = f"customers:{request.workspace.pk}"
    page = CUSTOMER_PAGES.page(customers, request.GET.get("cursor"), scope=scope)
    return render(request, "customers/list.html", {"page": page, "q": q})


def _snapshot(customer: Customer) -> dict[str, str]:
    return {name: str(getattr(customer, name)) for name in CUSTOMER_FIELDS}


def _customer_form(request, **options) -> CustomerForm:
    """The form for a POST: a refreshed copy for ``_refresh`` (nothing saved), else bound."""
    if "_refresh" in request.POST:
        return CustomerForm.refreshed(request.POST, **options)
    return CustomerForm(request.POST, **options)


@workspace_required
def customer_create(request):
    options = {"workspace": request.workspace}
    if request.method == "POST":
        form = _customer_form(request, **options)
        if form.is_valid():
            customer = do_create_customer(request, form.save(commit=False))
            messages.success(request, _("Customer created."))
            check_on_save(request, customer)
            return redirect("customers:detail", customer_id=customer.public_id)
    else:
        form = CustomerForm(**options)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@workspace_required
@require_GET
def customer_detail(request, customer_id):
    customer = access_customer(request, customer_id)
    return render(
        request,
        "customers/detail.html",
        {"customer": customer, "projects": customer.projects.all()},
    )


@workspace_required
def customer_edit(request, customer_id):
    customer = access_customer(request, customer_id)
    options = {"instance": customer, "workspace": request.workspace}
    if request.method == "POST":
        before = _snapshot(customer)
        form = _customer_form(request, **options)
        if form.is_valid():
            form.save(commit=False)
            after = _snapshot(customer)
            changed = [name for name in CUSTOMER_FIELDS if before[name] != after[name]]
            do_update_customer(request, customer, changed)
            messages.success(request, _("Customer saved."))
            if VAT_FIELDS & set(changed) or not vat_id_status(customer):
                check_on_save(request, customer)
            return redirect("customers:detail", customer_id=customer.public_id)
    else:
        form = CustomerForm(**options)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@workspace_required
@require_POST
def portal_invite(request, customer_id):
    """Invite the customer's contact to the client portal (any member may, as with quotes)."""
    customer = access_customer(request, customer_id)
    try:
        do_invite_to_portal(request, customer)
    except InviteRefused as refused:
        messages.error(request, str(refused))
    except (OSError, SMTPException):
        messages.error(request, _("The invitation could not be sent: the mail server refused it."))
    else:
        messages.success(
            request, _("Portal invitation sent to %(email)s.") % {"email": customer.email}
        )
    return redirect("customers:detail", customer_id=customer.public_id)


@workspace_required
@require_POST
def customer_delete(request, customer_id):
    customer = access_customer(request, customer_id)
    try:
        do_delete_customer(request, customer)
    except CustomerInUse as exc:
        messages.error(request, str(exc))
        return redirect("customers:detail", customer_id=customer.public_id)
    messages.success(request, _("Customer “%(name)s” deleted.") % {"name": customer.company_name})
    return redirect("customers:list")


@workspace_required
@require_GET
def tax_id_type(request):
    """htmx: the tax-ID type field (and state hint) for the chosen country."""
    form = CustomerForm.refreshed(request.GET)
    return render(request, "customers/_tax_id_type_response.html", {"form": form})


@workspace_required
def project_create(request, customer_id):
    customer = access_customer(request, customer_id)
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_save_project(request, form.save(commit=False), customer)
        messages.success(request, _("Project added."))
        return redirect("customers:detail", customer_id=customer.public_id)
    return render(
        request,
        "customers/project_form.html",
        {"form": form, "customer": customer, "project": None},
    )


@workspace_required
def project_edit(request, customer_id, project_id):
    customer = access_customer(request, customer_id)
    project = access_project(request, customer, project_id)
    form = ProjectForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        do_save_project(request, form.save(commit=False), customer)
        messages.success(request, _("Project saved."))
        return redirect("customers:detail", customer_id=customer.public_id)
    return render(
        request,
        "customers/project_form.html",
        {"form": form, "customer": customer, "project": project},
    )


@workspace_required
@require_POST
def project_delete(request, customer_id, project_id):
    customer = access_customer(request, customer_id)
    project = access_project(request, customer, project_id)
    do_delete_project(request, project)
    messages.success(request, _("Project “%(name)s” deleted.") % {"name": project.name})
    return redirect("customers:detail", customer_id=customer.public_id)
