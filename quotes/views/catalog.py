"""The catalog: services and package templates. Every workspace member may edit it."""

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mspercury.access import workspace_required
from quotes import actions
from quotes.access import access_package, access_package_item, access_service
from quotes.forms import PackageForm, PackageItemForm, ServiceForm
from quotes.models import PackageItem, PackageTemplate, Service


@workspace_required
def catalog(request):
    services = Service.objects.filter(workspace=request.workspace).annotate(
        package_count=Count("package_items__package", distinct=True)
    )
    packages = PackageTemplate.objects.filter(workspace=request.workspace).prefetch_related(
        Prefetch("items", queryset=PackageItem.objects.select_related("service"))
    )
    return render(request, "quotes/catalog.html", {"services": services, "packages": packages})


@workspace_required
def service_create(request):
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        service = actions.do_create_service(request.workspace, request=request, **form.cleaned_data)
        messages.success(request, _("Service “%(name)s” created.") % {"name": service.name})
        return redirect("quotes:catalog")
    return render(request, "quotes/service_form.html", {"form": form})


@workspace_required
def service_edit(request, service_id):
    service = access_service(request, service_id)
    form = ServiceForm(request.POST or None, instance=Service(**_values(service)))
    if request.method == "POST" and form.is_valid():
        actions.do_update_service(service, request=request, **form.cleaned_data)
        messages.success(
            request,
            _("Service “%(name)s” saved. Existing quotes keep the values they were made with.")
            % {"name": service.name},
        )
        return redirect("quotes:catalog")
    return render(request, "quotes/service_form.html", {"form": form, "service": service})


def _values(service: Service) -> dict:
    """A detached copy for the form, so a failed validation leaves ``service`` untouched."""
    return {f.attname: getattr(service, f.attname) for f in Service._meta.concrete_fields}


@workspace_required
@require_POST
def service_toggle(request, service_id):
    service = access_service(request, service_id)
    active = request.POST.get("active") == "1"
    actions.do_set_service_active(service, active, request=request)
    if active:
        msg = _("“%(name)s” is active again and can be added to quotes.")
    else:
        msg = _("“%(name)s” is inactive: hidden from the quote editor, existing quotes unchanged.")
    messages.success(request, msg % {"name": service.name})
    return redirect("quotes:catalog")


@workspace_required
@require_POST
def service_delete(request, service_id):
    service = access_service(request, service_id)
    try:
        actions.do_delete_service(service, request=request)
    except actions.CatalogError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Service “%(name)s” deleted.") % {"name": service.name})
    return redirect("quotes:catalog")


@workspace_required
def package_create(request):
    form = PackageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        package = actions.do_create_package(request.workspace, request=request, **form.cleaned_data)
        messages.success(
            request, _("Package “%(name)s” created. Now add its services.") % {"name": package.name}
        )
        return redirect("quotes:package_detail", package_id=package.public_id)
    return render(request, "quotes/package_form.html", {"form": form})


def _package_context(request, package, form=None, item_form=None):
    return {
        "package": package,
        "items": package.items.select_related("service"),
        "form": form
        or PackageForm(
            initial={
                "name": package.name,
                "description": package.description,
                "is_default": package.is_default,
            }
        ),
        "item_form": item_form or PackageItemForm(workspace=request.workspace),
    }


@workspace_required
def package_detail(request, package_id):
    package = access_package(request, package_id)
    if request.method == "POST":
        form = PackageForm(request.POST)
        if form.is_valid():
            actions.do_update_package(package, request=request, **form.cleaned_data)
            messages.success(request, _("Package “%(name)s” saved.") % {"name": package.name})
            return redirect("quotes:package_detail", package_id=package.public_id)
    else:
        form = None
    context = _package_context(request, package, form)
    return render(request, "quotes/package_detail.html", context)


@workspace_required
@require_POST
def package_default(request, package_id):
    package = access_package(request, package_id)
    is_default = request.POST.get("is_default") == "1"
    actions.do_set_default_package(package, is_default, request=request)
    if is_default:
        msg = _("“%(name)s” is now the default package.")
    else:
        msg = _("“%(name)s” is no longer the default package.")
    messages.success(request, msg % {"name": package.name})
    if request.POST.get("next") == "package":
        return redirect("quotes:package_detail", package_id=package.public_id)
    return redirect("quotes:catalog")


@workspace_required
@require_POST
def package_delete(request, package_id):
    package = access_package(request, package_id)
    actions.do_delete_package(package, request=request)
    messages.success(request, _("Package “%(name)s” deleted.") % {"name": package.name})
    return redirect("quotes:catalog")


@workspace_required
@require_POST
def package_item_add(request, package_id):
    package = access_package(request, package_id)
    form = PackageItemForm(request.POST, workspace=request.workspace)
    if not form.is_valid():
        context = _package_context(request, package, item_form=form)
        return render(request, "quotes/package_detail.html", context)
    item = actions.do_add_package_item(package, request=request, **form.cleaned_data)
    messages.success(request, _("“%(name)s” added.") % {"name": item.service.name})
    return redirect("quotes:package_detail", package_id=package.public_id)


@workspace_required
@require_POST
def package_item_remove(request, package_id, item_id):
    package = access_package(request, package_id)
    item = access_package_item(request, package, item_id)
    actions.do_remove_package_item(item, request=request)
    messages.success(request, _("“%(name)s” removed.") % {"name": item.service.name})
    return redirect("quotes:package_detail", package_id=package.public_id)
