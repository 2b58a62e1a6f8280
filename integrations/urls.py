from django.urls import path

from integrations.accounting import file_views as accounting_files
from integrations.connection import accounting_views, views
from integrations.lexware import callbacks as lexware_callbacks
from integrations.mirror import views as views_manual
from integrations.push import amend_views as views_amend
from integrations.push import views as views_push
from integrations.webhooks import views as views_webhooks

app_name = "integrations"

urlpatterns = [
    path(
        "billing/invoices/<uuid:invoice_id>/payments/",
        views_manual.record_manual_payment,
        name="record_manual_payment",
    ),
    path(
        "billing/invoices/<uuid:invoice_id>/pdf/",
        accounting_files.invoice_pdf,
        name="invoice_pdf",
    ),
    path("settings/integrations/", views.stripe_settings, name="stripe_settings"),
    path("settings/integrations/stripe/connect/", views.stripe_connect, name="stripe_connect"),
    path("settings/integrations/stripe/test/", views.stripe_test, name="stripe_test"),
    path("settings/integrations/stripe/replace/", views.stripe_replace, name="stripe_replace"),
    path(
        "settings/integrations/stripe/disconnect/",
        views.stripe_disconnect,
        name="stripe_disconnect",
    ),
    path(
        "settings/integrations/stripe/webhook/retry/",
        views.stripe_webhook_retry,
        name="stripe_webhook_retry",
    ),
    path(
        "settings/integrations/stripe/webhook/secret/",
        views.stripe_webhook_secret,
        name="stripe_webhook_secret",
    ),
    *[
        path(
            f"settings/integrations/{provider}/{action}/",
            getattr(accounting_views, action),
            {"provider": provider},
            name=f"{provider}_{action}",
        )
        for provider in ("lexware", "sevdesk")
        for action in accounting_views.ACTIONS
    ],
    path(
        "settings/integrations/billing-provider/",
        accounting_views.choose_billing_provider,
        name="billing_provider",
    ),
    path("webhooks/stripe/<str:token>/", views_webhooks.stripe_webhook, name="stripe_webhook"),
    path(
        "webhooks/lexware/<str:token>/",
        lexware_callbacks.lexware_callback,
        name="lexware_callback",
    ),
    path(
        "settings/integrations/lexware/callbacks/",
        accounting_views.repair_callbacks,
        name="lexware_callbacks",
    ),
    path("settings/integrations/push/", views.push_settings, name="push_settings"),
    path(
        "settings/integrations/push/no-sales-tax/",
        views.confirm_no_sales_tax,
        name="confirm_no_sales_tax",
    ),
    path("settings/integrations/events/", views_webhooks.stripe_events, name="stripe_events"),
    path(
        "settings/integrations/events/<uuid:event_id>/replay/",
        views_webhooks.stripe_event_replay,
        name="stripe_event_replay",
    ),
    path("quotes/<uuid:quote_id>/stripe/", views_push.push_page, name="push_page"),
    path("quotes/<uuid:quote_id>/stripe/push/", views_push.push_start, name="push_start"),
    path("quotes/<uuid:quote_id>/stripe/retry/", views_push.push_retry, name="push_retry"),
    path(
        "quotes/<uuid:quote_id>/contract/revise/",
        views_push.contract_revise,
        name="contract_revise",
    ),
    path("quotes/<uuid:quote_id>/stripe/amend/", views_amend.amend_page, name="amend_page"),
    path("quotes/<uuid:quote_id>/stripe/amend/apply/", views_amend.amend_apply, name="amend_apply"),
    path(
        "quotes/<uuid:quote_id>/stripe/amend/<uuid:amendment_id>/discard/",
        views_amend.amend_discard,
        name="amend_discard",
    ),
    path("quotes/<uuid:quote_id>/stripe/discard/", views_push.push_discard, name="push_discard"),
    path(
        "quotes/<uuid:quote_id>/stripe/subscriptions/<str:subscription_id>/end/",
        views_amend.end_subscription,
        name="end_subscription",
    ),
    path(
        "quotes/<uuid:quote_id>/stripe/progress/",
        views_push.push_progress,
        name="push_progress",
    ),
]
