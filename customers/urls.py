from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="new"),
    path("tax-id-type/", views.tax_id_type, name="tax_id_type"),
    path("<uuid:customer_id>/", views.customer_detail, name="detail"),
    path("<uuid:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<uuid:customer_id>/delete/", views.customer_delete, name="delete"),
    path("<uuid:customer_id>/portal-invite/", views.portal_invite, name="portal_invite"),
    path("<uuid:customer_id>/projects/new/", views.project_create, name="project_new"),
    path(
        "<uuid:customer_id>/projects/<uuid:project_id>/edit/",
        views.project_edit,
        name="project_edit",
    ),
    path(
        "<uuid:customer_id>/projects/<uuid:project_id>/delete/",
        views.project_delete,
        name="project_delete",
    ),
]
