from django.urls import path

from billing.evidence import views

app_name = "evidence"

urlpatterns = [
    path("billing/vat-report/", views.vat_report, name="vat_report"),
    path("billing/vat-report/report.csv", views.vat_report_csv, name="vat_report_csv"),
    path("billing/vat-report/ec-sales-list.csv", views.ec_sales_list_csv, name="ec_sales_list_csv"),
    path("billing/vat-report/supplies.csv", views.supplies_csv, name="supplies_csv"),
]
