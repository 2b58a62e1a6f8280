from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/unlinked/", views.unlinked_invoices, name="unlinked_invoices"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
