from django.urls import path

from portal import settings_views, staff_views, views, views_einvoice

app_name = "portal"

urlpatterns = [
    path("portal/", views.overview, name="overview"),
    path("portal/invoices/", views.invoices, name="invoices"),
    path("portal/invoices/<uuid:invoice_id>/", views.invoice, name="invoice"),
    path("portal/invoices/<uuid:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("portal/invoices/<uuid:invoice_id>/pay/", views.pay, name="pay"),
    path("portal/invoices/<uuid:invoice_id>/paid/", views.paid, name="paid"),
    path("portal/invoices/<uuid:invoice_id>/einvoice/", views_einvoice.einvoice, name="einvoice"),
    path(
        "portal/credit-notes/<uuid:credit_note_id>/einvoice/",
        views_einvoice.credit_note_einvoice,
        name="credit_note_einvoice",
    ),
    path("portal/quotes/", views.quotes, name="quotes"),
    path(
        "portal/quotes/<uuid:acceptance_id>/<str:kind>/",
        views.quote_document,
        name="quote_document",
    ),
    path("portal/sign-out/", views.logout, name="logout"),
    path("portal/login/<str:token>/", views.login, name="login"),
    path("portal/w/<uuid:workspace_id>/", views.entry, name="entry"),
    path("pay/back/<str:ticket>/", views.pay_link_return, name="pay_link_return"),
    path("pay/<str:token>/", views.pay_link, name="pay_link"),
    path("pay/<str:token>/done/", views.pay_link_done, name="pay_link_done"),
    path(
        "billing/invoices/<uuid:invoice_id>/pay-links/<uuid:pay_link_id>/revoke/",
        staff_views.revoke_pay_link,
        name="revoke_pay_link",
    ),
    path(
        "billing/invoices/<uuid:invoice_id>/reminder/",
        staff_views.send_reminder,
        name="send_reminder",
    ),
    path("settings/payments/", settings_views.payment_settings, name="payment_settings"),
]
