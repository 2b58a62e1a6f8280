"""The only way views reach quotes and catalog rows: by public id, within the active workspace.

Another workspace's object and a missing one both give 404.
"""

from mspercury.access import get_for_workspace
from quotes.models import PackageItem, PackageTemplate, Quote, QuoteLine, Service


def access_quote(request, quote_id) -> Quote:
    queryset = Quote.objects.select_related("customer", "project")
    return get_for_workspace(request, queryset, public_id=quote_id)


def access_line(request, quote: Quote, line_id) -> QuoteLine:
    """A line of ``quote`` (a line id of another quote is a 404 too)."""
    line = get_for_workspace(request, QuoteLine.objects, public_id=line_id, quote=quote)
    line.quote = quote
    return line


def access_service(request, service_id) -> Service:
    return get_for_workspace(request, Service.objects, public_id=service_id)


def access_package(request, package_id) -> PackageTemplate:
    return get_for_workspace(request, PackageTemplate.objects, public_id=package_id)


def access_package_item(request, package: PackageTemplate, item_id) -> PackageItem:
    queryset = PackageItem.objects.select_related("service")
    item = get_for_workspace(request, queryset, public_id=item_id, package=package)
    item.package = package
    return item
