from django.urls import path

from quotes.views import catalog

urlpatterns = [
    path("catalog/", catalog.catalog, name="catalog"),
    path("catalog/services/new/", catalog.service_create, name="service_create"),
    path("catalog/services/<uuid:service_id>/", catalog.service_edit, name="service_edit"),
    path(
        "catalog/services/<uuid:service_id>/active/",
        catalog.service_toggle,
        name="service_toggle",
    ),
    path(
        "catalog/services/<uuid:service_id>/delete/",
        catalog.service_delete,
        name="service_delete",
    ),
    path("catalog/packages/new/", catalog.package_create, name="package_create"),
    path("catalog/packages/<uuid:package_id>/", catalog.package_detail, name="package_detail"),
    path(
        "catalog/packages/<uuid:package_id>/default/",
        catalog.package_default,
        name="package_default",
    ),
    path(
        "catalog/packages/<uuid:package_id>/delete/",
        catalog.package_delete,
        name="package_delete",
    ),
    path(
        "catalog/packages/<uuid:package_id>/items/",
        catalog.package_item_add,
        name="package_item_add",
    ),
    path(
        "catalog/packages/<uuid:package_id>/items/<uuid:item_id>/delete/",
        catalog.package_item_remove,
        name="package_item_remove",
    ),
]
