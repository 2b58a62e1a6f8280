from django.urls import path

from billing.datev import views

app_name = "datev"

urlpatterns = [
    path("settings/datev/", views.datev_settings, name="settings"),
    path("billing/datev/", views.datev_export, name="export"),
    path("billing/datev/debtors/", views.datev_debtors, name="debtors"),
]
