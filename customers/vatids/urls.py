from django.urls import path

from customers.vatids import views

app_name = "vatids"

urlpatterns = [
    path("customers/<uuid:customer_id>/vies/check/", views.check_now, name="check_now"),
]
