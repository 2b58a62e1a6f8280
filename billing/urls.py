from django.urls import path

from billing import views, views_contracts, views_einvoice

app_name = "billing"

urlpatterns = [
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/unlinked/", views.unlinked_invoices, name="unlinked_invoices"),
    path("invoices/stuck/", views.stuck_invoices, name="stuck_invoices"),
    path("invoices/<uuid:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path(
        "invoices/<uuid:invoice_id>/payments/<uuid:payment_id>/void/",
        views.void_payment,
        name="void_payment",
    ),
    path("invoices/<uuid:invoice_id>/einvoice/", views_einvoice.einvoice, name="einvoice"),
    path(
        "credit-notes/<uuid:credit_note_id>/einvoice/",
        views_einvoice.credit_note_einvoice,
        name="credit_note_einvoice",
    ),
    path("contracts/", views_contracts.contracts, name="contracts"),
    path("contracts/issue-now/", views_contracts.issue_now, name="issue_now"),
    path("contracts/<uuid:contract_id>/", views_contracts.contract_detail, name="contract_detail"),
    path("contracts/<uuid:contract_id>/end/", views_contracts.end_contract, name="end_contract"),
    path("billing-runs/<uuid:run_id>/", views_contracts.billing_run, name="billing_run"),
    path("billing-runs/<uuid:run_id>/pause/", views_contracts.pause_run, name="pause_run"),
    path("billing-runs/<uuid:run_id>/resume/", views_contracts.resume_run, name="resume_run"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
