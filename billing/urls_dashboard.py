"""The dashboard at the site's root, named "dashboard" without a namespace."""

from django.urls import path

from billing.views_dashboard import dashboard

urlpatterns = [path("", dashboard, name="dashboard")]
